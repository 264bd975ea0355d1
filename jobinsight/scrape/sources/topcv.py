"""TopCV search-result pages -> ``RawJob`` rows, for both markups TopCV has served.

Why both: archived pages from the reference crawler use the older ``div.job-item-2`` cards,
live pages (2025) use ``div.job-item-search-result[data-job-id]``; replaying the archive must
give the same columns as crawling today. Parsing is selectolax/lexbor: a real 1.5 MB page
with 50 cards parses in ~10-15 ms (BeautifulSoup needs ~600 ms).

What each column holds (raw, as the board shows it; the process flow normalises):

* ``title`` — the full title from the tooltip attribute (the visible text is cut with "...").
* ``salary`` — label text without its icon, whitespace collapsed ("Thoả thuận", "Từ 900 USD").
* ``location`` — the visible city text ("Hà Nội, Hồ Chí Minh", "Hồ Chí Minh & 2 nơi khác");
  ``location_detail`` — the tooltip HTML verbatim (``<p ...>Hà Nội: Cầu Giấy<br/>Đà Nẵng: Hải Châu</p>``),
  its text lines in ``payload["location_lines"]``.
* ``skills`` — current markup: the card's tags, with the "+N" tooltip expanded; older markup:
  ``div.skills label.item`` with the "+N" tooltip expanded.
* ``last_update`` — "Cập nhật 48 giây trước"; ``posted_time`` — approximate, from "Đăng 2 ngày
  trước" (or the update text on the older markup) minus the page's fetch time.
* ``deadline`` — the days-left text of ``label.time`` ("Còn 12 ngày để ứng tuyển") when the card
  has one (older markup always; current cards only on some boards built on it).
* ``verified_employer`` — current: ``.icon-verified-employer``; older: that icon or
  ``span.vip-badge`` (the reference's meaning; ``payload["vip_badge"]`` keeps them apart).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

from selectolax.lexbor import LexborNode

from jobinsight.scrape.records import RawJob
from jobinsight.scrape.reltime import approx_time
from jobinsight.scrape.text import clean, fragment_lines, html_parser
from jobinsight.scrape.urls import clean_url, id_from_url, with_query

logger = logging.getLogger("jobinsight.scrape")

SOURCE = "topcv"
PARSER_NAME = "topcv"
PARSER_VERSION = "1"
DEFAULT_BASE_URL = "https://www.topcv.vn/viec-lam-it"

_CARD_SELECTOR = "div.job-item-search-result, div.job-item-2"
_PLUS_N = re.compile(r"^\+\s*(\d+)$")
_DIGITS = re.compile(r"\d+")
_PLACEHOLDER_LOGO = re.compile(r"logo_default|default[-_]logo|no[-_]logo|placeholder", re.IGNORECASE)


def listing_url(base_url: str = DEFAULT_BASE_URL, page: int = 1) -> str:
    """``base_url?page=N`` keeping the base URL's other query parameters."""
    if page < 1:
        raise ValueError(f"page must be >= 1, got {page}")
    return with_query(base_url, page=page)


def parse_listing(
    html: str | bytes,
    page_url: str,
    *,
    fetched_at: datetime | None = None,
    source: str = SOURCE,
    whole_document: bool = False,
) -> list[RawJob]:
    """Every job card on a TopCV listing page, in page order.

    ``fetched_at`` (aware; default now) anchors the approximate ``posted_time``. A card that
    cannot be read (no id anywhere) is skipped and logged; the function itself never raises
    on malformed HTML.

    Only the stretch of the page from the first card to the pagination is handed to the HTML
    parser (a third of a real page: header, scripts and footer are skipped), which is what
    keeps a 1.5 MB page under 20 ms. ``whole_document=True`` parses everything instead; the
    tests check both give identical rows.
    """
    reference = _aware(fetched_at)
    doc = html_parser(html if whole_document else card_region(html))
    jobs: list[RawJob] = []
    for card in doc.css(_CARD_SELECTOR):
        try:
            identity = _identity(card, page_url)
            if identity is None:
                logger.warning("TopCV card without a job id on %s", page_url)
                continue
            read = _parse_current if "job-item-search-result" in _classes(card) else _parse_older
            job = read(card, identity, page_url, reference, source)
        except Exception:  # one broken card must not cost the other 49
            logger.warning("skipping unreadable TopCV card on %s", page_url, exc_info=True)
            continue
        jobs.append(job)
    return jobs


class _Identity(NamedTuple):
    """What makes a card a posting, the same in both markups: its id, its link and title link."""

    job_id: str
    job_url: str | None
    title_link: LexborNode | None


def _identity(card: LexborNode, page_url: str) -> _Identity | None:
    """The card's id (``data-job-id``, else the number in its link); None when it has neither."""
    title_link = card.css_first("h3.title a")
    job_url = clean_url(_attr(title_link, "href"), page_url) or clean_url(
        _attr(card.css_first(".avatar a"), "href"), page_url
    )
    job_id = clean(_attr(card, "data-job-id")) or id_from_url(job_url)
    return _Identity(job_id, job_url, title_link) if job_id else None


def card_region(html: str | bytes) -> str | bytes:
    """The part of ``html`` from the first job card's ``<div`` to the pagination after the last card.

    Falls back to the whole input when a marker is missing. Cutting there is safe for an HTML5
    parser: the region starts at a tag and ends after every card has closed.
    """
    if isinstance(html, bytes):
        markers: tuple[Any, ...] = (b"job-item-search-result", b"job-item-2")
        div, ends = b"<div", (b'class="pagination"', b"<footer")
        lt: Any = b"<"
    else:
        markers, div, ends, lt = (
            ("job-item-search-result", "job-item-2"),
            "<div",
            ('class="pagination"', "<footer"),
            "<",
        )
    # A page uses one markup: look for the older marker only when the current one is absent
    # (scanning 1.5 MB for a missing marker costs ~1 ms).
    for marker in markers:
        first = html.find(marker)
        if first >= 0:
            break
    else:
        return html
    start = html.rfind(div, 0, first)
    if start < 0:
        return html
    last = html.rfind(marker)
    for end_marker in ends:
        end = html.find(end_marker, last)
        if end < 0:
            continue
        if end_marker[:1] != lt:  # an attribute: cut at the start of the tag that carries it
            tag_start = html.rfind(lt, last, end)
            end = tag_start if tag_start > last else end
        return html[start:end]
    return html[start:]


# -- current markup (2025: div.job-item-search-result[data-job-id]) ------------------------------


def _parse_current(card: LexborNode, identity: _Identity, page_url: str, fetched_at: datetime, source: str) -> RawJob:
    # Few, broad queries: each selector costs ~7 µs to compile and run, times 50 cards.
    job_id, job_url, title_link = identity
    payload: dict[str, Any] = _base_payload(page_url, fetched_at, "current")
    _put(payload, "job_position", clean(_attr(card, "data-job-position")))

    title = None
    if title_link is not None:
        title = _tooltip_or_text(title_link.css_first("span[data-original-title]")) or clean(
            _text(title_link)
        )

    company_link = card.css_first("a.company")
    company_span = (company_link or card).css_first("span.company-name")
    company_name = _tooltip_or_text(company_span)
    if company_link is not None and "job-pro" in _classes(company_link):
        payload["pro_company"] = True

    salary_label = address_label = update_label = exp_label = time_label = None
    badges: list[str] = []
    for label in card.css("label"):
        label_classes = _classes(label)
        if "title-salary" in label_classes:
            salary_label = salary_label or label
        elif "label-update" in label_classes:
            update_label = update_label or label
        elif "address" in label_classes:
            address_label = address_label or label
        elif "exp" in label_classes:
            exp_label = exp_label or label
        elif "time" in label_classes:
            time_label = time_label or label
        elif "tag-diamond-employer" in label_classes:
            payload["diamond_employer"] = True
        elif (
            "label" in label_classes
            and label.parent is not None
            and "box-label-top" in _classes(label.parent)
        ):
            badge = clean(_text(label))
            if badge:
                badges.append(badge)

    location, location_detail = _location(address_label, payload)
    if exp_label is not None:
        exp_span = exp_label.css_first("span")
        _put(payload, "experience", clean(_text(exp_span if exp_span is not None else exp_label)))
    if badges:
        payload["badges"] = badges

    skills = _current_tags(card, payload)

    last_update, posted_text = _update_label(update_label)
    _put(payload, "posted_text", posted_text)
    posted_time = (
        approx_time(posted_text, fetched_at) if posted_text else approx_time(last_update, fetched_at)
    )
    if posted_time is not None:
        payload["posted_time_approx"] = True

    verified = card.css_first(".icon-verified-employer")
    if verified is not None:
        level = sorted(c for c in _classes(verified) if c.startswith("level-"))
        if level:
            payload["verified_level"] = level[0]

    logo_img = card.css_first(".avatar img")
    if company_name is None:
        company_name = clean(_attr(logo_img, "alt"))

    return RawJob(
        source=source,
        job_id=job_id,
        title=title,
        job_url=job_url,
        company_name=company_name,
        company_url=clean_url(_attr(company_link, "href"), page_url),
        salary=clean(_text(salary_label)),
        skills=skills,
        location=location,
        location_detail=location_detail,
        deadline=_days_left(time_label, payload),
        verified_employer=verified is not None,
        last_update=last_update,
        logo_url=_logo(logo_img, page_url),
        posted_time=posted_time,
        payload=payload,
    )


def _current_tags(card: LexborNode, payload: dict[str, Any]) -> list[str] | None:
    """Tags of ``div.tag``: links and spans, the "+N" tooltip replacing the truncated last one."""
    box = card.css_first("div.tag")
    if box is None:
        return None
    items: list[str] = []
    linked: list[str] = []
    truncated: str | None = None
    for node in box.iter():
        node_classes = _classes(node)
        text = clean(_text(node))
        if "remaining-items" in node_classes:
            rest = _split_tooltip(_attr(node, "data-original-title"), _plus_n(text))
            if rest:
                items.extend(rest)
            elif truncated:
                items.append(truncated)
            truncated = None
        elif "item-tag" in node_classes and text:
            if truncated:
                items.append(truncated)
                truncated = None
            if node.tag == "span" and text.endswith("..."):
                truncated = text
            else:
                items.append(text)
                if node.tag == "a":
                    linked.append(text)
    if truncated:
        items.append(truncated)
    items = _unique(items)
    if linked:
        payload["category_tags"] = _unique(linked)
    if items:
        payload["tags"] = items
    return items or None


def _update_label(label: LexborNode | None) -> tuple[str | None, str | None]:
    """(last-update text, posted text) from ``label.label-update``.

    Current cards show "Đăng 2 ngày trước" and keep "Cập nhật 48 giây trước" in the tooltip.
    """
    if label is None:
        return None, None
    visible = clean(_text(label))
    tooltip = clean(_attr(label, "data-original-title"))
    if visible and visible.lower().startswith("cập nhật"):
        return visible, None
    return tooltip, visible


# -- older markup (div.job-item-2) ---------------------------------------------------------------


def _parse_older(card: LexborNode, identity: _Identity, page_url: str, fetched_at: datetime, source: str) -> RawJob:
    job_id, job_url, title_link = identity
    payload: dict[str, Any] = _base_payload(page_url, fetched_at, "older")
    company_link = card.css_first("a.company") or card.css_first(".company a")
    company_name = _tooltip_or_text(card.css_first(".company span.company-name")) or clean(
        _text(company_link)
    )
    if company_name is None:
        company_name = clean(_attr(card.css_first(".avatar img"), "alt"))

    location, location_detail = _location(_address_label(card), payload)

    deadline = _days_left(card.css_first("label.time"), payload)

    last_update = clean(_text(card.css_first("label.deadline")))
    posted_time = approx_time(last_update, fetched_at)
    if posted_time is not None:
        payload["posted_time_approx"] = True

    skills: list[str] = []
    for label in card.css("div.skills label.item"):
        text = clean(_text(label))
        n = _plus_n(text)
        if n is not None:
            skills.extend(_split_tooltip(_attr(label, "data-original-title"), n))
        elif text:
            skills.append(text)
    skills = _unique(skills)

    vip = card.css_first("span.vip-badge") is not None
    payload["vip_badge"] = vip
    verified_icon = card.css_first(".icon-verified-employer") is not None
    _put(payload, "experience", clean(_text(card.css_first("label.exp span") or card.css_first("label.exp"))))

    return RawJob(
        source=source,
        job_id=job_id,
        title=_tooltip_or_text(card.css_first("h3.title a span[data-original-title]"))
        or clean(_text(title_link)),
        job_url=job_url,
        company_name=company_name,
        company_url=clean_url(_attr(company_link, "href"), page_url),
        salary=clean(_text(card.css_first("label.title-salary") or card.css_first(".salary"))),
        skills=skills or None,
        location=location,
        location_detail=location_detail,
        deadline=deadline,
        verified_employer=vip or verified_icon,
        last_update=last_update,
        logo_url=_logo(card.css_first(".avatar img") or card.css_first("img"), page_url),
        posted_time=posted_time,
        payload=payload,
    )


# -- shared helpers ------------------------------------------------------------------------------


def _days_left(time_label: LexborNode | None, payload: dict[str, Any]) -> str | None:
    """The deadline text of a ``label.time`` ("Còn 12 ngày để ứng tuyển"); its day count to the payload."""
    deadline = clean(_text(time_label))
    if time_label is not None:
        strong = clean(_text(time_label.css_first("strong")))
        digits = _DIGITS.search(strong or deadline or "")
        if digits and "ngày" in (deadline or ""):
            payload["days_left"] = int(digits.group())
    return deadline


def _address_label(card: LexborNode) -> LexborNode | None:
    for label in card.css("label.address"):
        if "label-update" not in _classes(label):
            return label
    return None


def _location(label: LexborNode | None, payload: dict[str, Any]) -> tuple[str | None, str | None]:
    """(visible city text, tooltip HTML) of an address label; tooltip lines go to the payload."""
    if label is None:
        return None, None
    city = label.css_first("span.city-text")
    location = clean(_text(city if city is not None else label))
    tooltip = _attr(label, "data-original-title")
    detail = tooltip.strip() if tooltip and tooltip.strip() else None
    lines = fragment_lines(detail)
    if lines:
        payload["location_lines"] = lines
    return location, detail


def _logo(img: LexborNode | None, page_url: str) -> str | None:
    if img is None:
        return None
    for attr in ("data-src", "src"):
        value = _attr(img, attr)
        if value and not value.strip().startswith("data:"):
            if _PLACEHOLDER_LOGO.search(value):
                return None  # the board's generic picture is not this company's logo
            return clean_url(value, page_url)
    return None


def _split_tooltip(tooltip: str | None, expected: int | None) -> list[str]:
    """The "+N" tooltip's items: HTML lines (``<p>a</p><p>b</p>``) or a ", "-separated list."""
    if not tooltip or not tooltip.strip():
        return []
    if "<" in tooltip:
        lines = fragment_lines(tooltip)
        if len(lines) == 1 and expected != 1:
            lines = [p for p in (clean(x) for x in lines[0].split(",")) if p]
        return lines
    if expected == 1:
        return [t for t in [clean(tooltip)] if t]
    return [p for p in (clean(x) for x in tooltip.split(",")) if p]


def _plus_n(text: str | None) -> int | None:
    if not text:
        return None
    m = _PLUS_N.match(text)
    return int(m.group(1)) if m else None


def _base_payload(page_url: str, fetched_at: datetime, markup: str) -> dict[str, Any]:
    return {
        "page_url": page_url,
        "fetched_at": fetched_at.isoformat(),
        "parser": PARSER_NAME,
        "parser_version": PARSER_VERSION,
        "markup": markup,
    }


def _tooltip_or_text(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    return clean(_attr(node, "data-original-title")) or clean(_text(node))


def _attr(node: LexborNode | None, name: str) -> str | None:
    if node is None:
        return None
    return node.attrs.get(name)  # lazy lookup: ``attributes`` would build a dict of all of them


def _text(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    return node.text(deep=True)


def _classes(node: LexborNode) -> set[str]:
    return set((node.attrs.get("class") or "").split())


def _put(payload: dict[str, Any], key: str, value: object) -> None:
    if value is not None:
        payload[key] = value


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)
