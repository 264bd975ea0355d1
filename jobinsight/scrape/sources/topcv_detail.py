"""TopCV job detail pages -> one ``RawJob`` with the fields listing cards do not carry.

Why a parser of its own: the listing card is thin. Description, requirements, benefits, rank
("Cấp bậc"), experience, education, openings, work form, category and the *true* deadline are
only on the detail page. What the page shows wins; its JSON-LD ``JobPosting`` is the
cross-check and the fallback:

* visible first: TopCV's JSON-LD ``validThrough`` is datePosted + 1 month, not the deadline the
  page shows ("Hạn nộp hồ sơ: 31/05/2026"); it lists one ``jobLocation`` (its locality is a
  ward, "Phường Thanh Xuân") where the page shows two cities; its ``identifier`` is the
  *company's* id, so the job id comes from the URL.
* JSON-LD fills what the visible page lacks (the posted date is only there) and is the whole
  answer for a layout this parser does not know (the brand pages
  ``/brand/<company>/tuyen-dung/...-j<id>.html``): such a row gets
  ``payload["detail_layout"] = "jsonld"`` so the crawl counts it instead of dropping it.
* a page with neither (a block page, an unrelated page) gives no row.

Only the stretch of the page that holds the job (title box to the category box) and the JSON-LD
scripts are handed to the HTML parser: a real page is 1.4 MB, mostly menus and scripts.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from selectolax.lexbor import LexborNode

from jobinsight.scrape.records import RawJob
from jobinsight.scrape.sources import jsonld
from jobinsight.scrape.text import clean, fragment_lines, html_parser, html_to_text
from jobinsight.scrape.urls import clean_url

logger = logging.getLogger("jobinsight.scrape")

SOURCE = "topcv"
PARSER_NAME = "topcv-detail"  # the registry records a source's detail parser as "<source>-detail"
PARSER_VERSION = "1"

#: ``payload["detail_layout"]``: which reading produced the row.
LAYOUT_VISIBLE = "visible"
LAYOUT_JSONLD = "jsonld"

_JOB_ID = re.compile(r"(?:-j|/)(\d{3,})\.html?$")
_LD_SCRIPT = re.compile(rb"<script[^>]*application/ld\+json[^>]*>(.*?)</script>", re.S | re.I)
_REGION_START = (b"job-detail__info--title", b"job-detail__info")
_REGION_END = (b"box-category-city", b"box-job-similar-company", b"<footer")

#: Section headings (lower-cased, accents kept) -> field.
_SECTIONS = {
    "mô tả công việc": "description",
    "yêu cầu ứng viên": "requirements",
    "quyền lợi": "benefits",
    "thu nhập": "income",
    "địa điểm làm việc": "work_locations",
    "thời gian làm việc": "working_hours",
}
#: General-info labels -> field.
_GENERAL = {
    "cấp bậc": "job_level",
    "học vấn": "education",
    "số lượng tuyển": "openings",
    "hình thức làm việc": "employment_type",
    "kinh nghiệm": "experience",
    "giới tính": "gender",
}


@dataclass(frozen=True, slots=True)
class DetailFields:
    """What the visible page says (every field optional: a layout may lack any of them)."""

    title: str | None = None
    salary: str | None = None
    location: str | None = None
    location_lines: tuple[str, ...] = ()
    experience: str | None = None
    deadline: str | None = None


def job_id_from_detail_url(url: str | None) -> str | None:
    """The posting id of a TopCV detail URL (``.../2129787.html`` or a brand page's ``...-j2129787.html``)."""
    if not url:
        return None
    path = url.split("?", 1)[0].split("#", 1)[0]
    m = _JOB_ID.search(path)
    return m.group(1) if m else None


def is_detail_url(url: str | None) -> bool:
    """True for URLs shaped like a TopCV posting (``/viec-lam/<slug>/<id>.html`` or a brand page)."""
    if not url:
        return False
    path = url.split("?", 1)[0]
    return job_id_from_detail_url(url) is not None and ("/viec-lam/" in path or "/brand/" in path)


def parse_detail(
    html: str | bytes,
    page_url: str,
    *,
    fetched_at: datetime | None = None,
    source: str = SOURCE,
) -> list[RawJob]:
    """The posting on a TopCV detail page as a one-row list (empty when the page holds none).

    Same signature as every registered parser; never raises on malformed HTML.
    """
    try:
        job = _parse(html, page_url, _aware(fetched_at), source)
    except Exception:  # a broken page must not stop the crawl
        logger.warning("unreadable TopCV detail page %s", page_url, exc_info=True)
        return []
    return [job] if job is not None else []


# -- parsing -------------------------------------------------------------------------------------


def _parse(html: str | bytes, page_url: str, fetched_at: datetime, source: str) -> RawJob | None:
    raw = html.encode("utf-8", "replace") if isinstance(html, str) else html
    posting = _jsonld_posting(raw)
    region = _job_region(raw)
    doc = html_parser(region) if region is not None else None
    title_node = doc.css_first("h1.job-detail__info--title") if doc is not None else None
    if title_node is None:
        return _from_jsonld(posting, raw, page_url, fetched_at, source)

    canonical = _canonical(raw)
    job_url = clean_url(canonical, page_url) or clean_url(page_url) or page_url
    job_id = job_id_from_detail_url(page_url) or job_id_from_detail_url(job_url)
    if job_id is None:
        logger.warning("TopCV detail page without a job id in its URL: %s", page_url)
        return None

    payload: dict[str, Any] = _base_payload(page_url, fetched_at, LAYOUT_VISIBLE)
    visible = _info_sections(doc)
    general = _general_info(doc)
    sections, work_locations = _description_sections(doc)
    company_name, company_url, logo_url = _company(doc, page_url, payload)
    categories = [t for t in (clean(a.text(deep=True)) for a in doc.css(".box-category:not(.box-category-city) a.box-category-tag")) if t]
    deadline = visible.deadline or _deadline_from_text(region)

    ld = _jsonld_fields(posting, page_url, fetched_at, source)
    if ld is not None:
        payload["jsonld"] = _jsonld_summary(ld)
        _cross_check(payload, visible, deadline, ld)

    location = visible.location
    if not work_locations and visible.location_lines:
        work_locations = [_split_city(line) for line in visible.location_lines]
    if location is None and work_locations:
        location = ", ".join(dict.fromkeys(w["city"] for w in work_locations if w.get("city")))
    for key in ("income", "working_hours"):
        _put(payload, key, sections.get(key))
    _put(payload, "gender", general.get("gender"))
    if categories:
        payload["categories"] = categories

    title = visible.title or (ld.title if ld else None)
    return RawJob(
        source=source,
        job_id=job_id,
        title=title,
        job_url=job_url,
        company_name=company_name or (ld.company_name if ld else None),
        company_url=company_url or (ld.company_url if ld else None),
        salary=visible.salary or (ld.salary if ld else None),
        skills=None,
        location=location or (ld.location if ld else None),
        location_detail="\n".join(visible.location_lines) or None,
        deadline=deadline or (ld.deadline if ld else None),
        verified_employer=None,
        last_update=None,
        logo_url=logo_url or (ld.logo_url if ld else None),
        posted_time=ld.posted_time if ld else None,
        payload=payload,
        page_kind="detail",
        description=sections.get("description") or (ld.payload.get("description") if ld else None),
        requirements=sections.get("requirements"),
        benefits=sections.get("benefits") or (_ld_text(posting, "jobBenefits")),
        job_level=general.get("job_level") or (_ld_text(posting, "occupationalCategory")),
        experience=visible.experience or general.get("experience"),
        education=general.get("education"),
        openings=general.get("openings") or _ld_openings(posting),
        employment_type=general.get("employment_type"),
        job_category=", ".join(categories) or None,
        work_locations=work_locations or None,
        detail_scraped_at=fetched_at,
    )


def _from_jsonld(
    posting: dict[str, Any] | None, raw: bytes, page_url: str, fetched_at: datetime, source: str
) -> RawJob | None:
    """A layout without the known markup: the JSON-LD posting, keyed by the URL's job id."""
    ld = _jsonld_fields(posting, page_url, fetched_at, source)
    if ld is None:
        return None
    job_id = job_id_from_detail_url(page_url) or job_id_from_detail_url(ld.job_url)
    if job_id is None:
        logger.warning("TopCV detail page (JSON-LD only) without a job id in its URL: %s", page_url)
        return None
    payload = _base_payload(page_url, fetched_at, LAYOUT_JSONLD)
    payload["jsonld"] = _jsonld_summary(ld)
    visible_deadline = _deadline_from_text(raw)
    if visible_deadline is None:
        payload["deadline_source"] = "validThrough"
    places = ld.payload.get("job_location") or []
    work_locations = [
        {"city": p.get("region") or p.get("locality"), "address": _join(p.get("street"), p.get("locality"))}
        for p in places
        if isinstance(p, dict)
    ]
    return RawJob(
        source=source,
        job_id=job_id,
        title=ld.title,
        job_url=clean_url(page_url) or ld.job_url,
        company_name=ld.company_name,
        company_url=ld.company_url,
        salary=ld.salary,
        skills=ld.skills,
        location=ld.location,
        deadline=visible_deadline or ld.deadline,
        logo_url=ld.logo_url,
        posted_time=ld.posted_time,
        payload=payload,
        page_kind="detail",
        description=ld.payload.get("description"),
        benefits=_ld_text(posting, "jobBenefits"),
        job_level=_ld_text(posting, "occupationalCategory"),
        experience=_ld_experience(posting),
        openings=_ld_openings(posting),
        employment_type=_ld_text(posting, "employmentType"),
        job_category=_ld_text(posting, "industry"),
        work_locations=[w for w in work_locations if w["city"] or w["address"]] or None,
        detail_scraped_at=fetched_at,
    )


def _job_region(raw: bytes) -> bytes | None:
    """The page from the job's title box to the category box (None: the markup is not there)."""
    start = -1
    for marker in _REGION_START:
        start = raw.find(marker)
        if start >= 0:
            break
    if start < 0:
        return None
    start = raw.rfind(b"<div", 0, start)
    if start < 0:
        return None
    for marker in _REGION_END:
        end = raw.find(marker, start)
        if end >= 0:
            return raw[start : raw.rfind(b"<", start, end)]
    return raw[start:]


def _info_sections(doc: Any) -> DetailFields:
    """Salary ("Mức lương" or "Thu nhập"), location, experience and deadline of the title box."""
    salary = location = experience = None
    lines: tuple[str, ...] = ()
    for section in doc.css(".job-detail__info--section"):
        label = _label(section.css_first(".job-detail__info--section-content-title"))
        value_node = section.css_first(".job-detail__info--section-content-value")
        if label is None or value_node is None:
            continue
        if label in ("mức lương", "thu nhập", "lương"):
            salary = clean(value_node.text(deep=True))
        elif label.startswith("địa điểm"):
            location = _city_list(value_node)
            tooltip = value_node.css_first("[data-original-title]")
            if tooltip is not None:
                lines = tuple(
                    line for line in fragment_lines(tooltip.attrs.get("data-original-title")) if ":" in line
                )
        elif label.startswith("kinh nghiệm"):
            experience = clean(value_node.text(deep=True))
    deadline_node = doc.css_first(".job-detail__info--deadline-date")
    deadline = clean(deadline_node.text(deep=True)) if deadline_node is not None else None
    title_node = doc.css_first("h1.job-detail__info--title")
    title = clean(title_node.text(deep=True)) if title_node is not None else None
    return DetailFields(title, salary, location, lines, experience, deadline)


def _city_list(node: LexborNode) -> str | None:
    """"Hà Nội, Hồ Chí Minh" from the linked city names (the raw text has stray spaces and commas)."""
    names = [t for t in (clean(a.text(deep=True)) for a in node.css("a")) if t]
    if names:
        return ", ".join(dict.fromkeys(names))
    text = clean(node.text(deep=True))
    if text is None:
        return None
    return ", ".join(p for p in (clean(x) for x in text.split(",")) if p) or None


def _general_info(doc: Any) -> dict[str, str]:
    """The "Thông tin chung" box: rank, education, openings, work form (and whatever else it lists)."""
    out: dict[str, str] = {}
    for group in doc.css(".box-general-group-info"):
        label = _label(group.css_first(".box-general-group-info-title"))
        value = group.css_first(".box-general-group-info-value")
        if label is None or value is None:
            continue
        key = _GENERAL.get(label)
        text = clean(value.text(deep=True))
        if key and text and key not in out:
            out[key] = text
    return out


def _description_sections(doc: Any) -> tuple[dict[str, str], list[dict[str, str | None]]]:
    """Text of each ``job-description__item`` by field, and the work locations (city, address)."""
    sections: dict[str, str] = {}
    locations: list[dict[str, str | None]] = []
    for item in doc.css(".job-description__item"):
        heading = item.css_first("h3")
        content = item.css_first(".job-description__item--content")
        if heading is None or content is None:
            continue
        name = _label(_first_text_node(heading))
        key = next((field for prefix, field in _SECTIONS.items() if name and name.startswith(prefix)), None)
        if key is None or key in sections:
            continue
        if key == "work_locations":
            locations = _work_locations(content)
            continue
        text = html_to_text(content.html)
        if text:
            sections[key] = text
    return sections, locations


def _work_locations(content: LexborNode) -> list[dict[str, str | None]]:
    """``- <strong>Hà Nội:</strong> Tầng 2, …, Phường Thanh Xuân`` lines -> ``{"city", "address"}``."""
    out: list[dict[str, str | None]] = []
    for line in (html_to_text(content.html) or "").splitlines():
        entry = _split_city(line.lstrip("-•+ ").strip())
        if entry["city"] or entry["address"]:
            out.append(entry)
    return out


def _split_city(line: str) -> dict[str, str | None]:
    city, sep, address = line.partition(":")
    if not sep:
        return {"city": clean(line), "address": None}
    return {"city": clean(city), "address": clean(address)}


def _company(doc: Any, page_url: str, payload: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    box = doc.css_first(".job-detail__company")
    if box is None:
        return None, None, None
    link = box.css_first(".company-name a.name") or box.css_first(".company-name a")
    name = clean(link.text(deep=True)) if link is not None else None
    if name is None and link is not None:
        name = clean(link.attrs.get("title"))
    url = clean_url(link.attrs.get("href"), page_url) if link is not None else None
    img = box.css_first(".company-name img")
    logo = clean_url(img.attrs.get("src") or img.attrs.get("data-src"), page_url) if img is not None else None
    for cls, key in (("company-scale", "company_size"), ("company-field", "company_field"),
                     ("company-address", "company_address")):
        value = box.css_first(f".{cls} .company-value")
        _put(payload, key, clean(value.text(deep=True)) if value is not None else None)
    return name, url, logo


# -- JSON-LD -------------------------------------------------------------------------------------


def _jsonld_posting(raw: bytes) -> dict[str, Any] | None:
    """The first ``JobPosting`` in the page's JSON-LD scripts (found by byte search, not a DOM)."""
    for match in _LD_SCRIPT.finditer(raw):
        try:
            data = json.loads(match.group(1).decode("utf-8", "replace"), strict=False,
                              parse_constant=lambda _name: None)
        except ValueError:
            continue
        found = next(jsonld._iter_postings(data, 0), None)
        if found is not None:
            return found
    return None


def _jsonld_fields(
    posting: dict[str, Any] | None, page_url: str, fetched_at: datetime, source: str
) -> RawJob | None:
    if posting is None:
        return None
    try:
        return jsonld._posting_to_job(posting, page_url, 0, fetched_at, source)
    except Exception:
        logger.warning("unreadable JobPosting JSON-LD on %s", page_url, exc_info=True)
        return None


def _jsonld_summary(ld: RawJob) -> dict[str, Any]:
    """What the JSON-LD said, kept for cross-checks and re-parsing (descriptions left out)."""
    keep = ("date_posted", "valid_through", "base_salary", "job_location", "employmentType",
            "experienceRequirements", "totalJobOpenings", "occupationalCategory", "industry")
    out: dict[str, Any] = {k: ld.payload[k] for k in keep if k in ld.payload}
    _put(out, "title", ld.title)
    _put(out, "salary", ld.salary)
    _put(out, "location", ld.location)
    return out


def _cross_check(payload: dict[str, Any], visible: DetailFields, deadline: str | None, ld: RawJob) -> None:
    """Record where the visible page and the JSON-LD disagree (the visible value is kept)."""
    disagree: list[str] = []
    if deadline and ld.deadline and jsonld.parse_datetime(deadline) != jsonld.parse_datetime(ld.deadline):
        disagree.append("deadline")
    if visible.title and ld.title and clean(visible.title) != clean(ld.title):
        disagree.append("title")
    if disagree:
        payload["jsonld_disagrees"] = disagree


def _ld_text(posting: dict[str, Any] | None, key: str) -> str | None:
    if posting is None:
        return None
    value = posting.get(key)
    if isinstance(value, list):
        parts = [jsonld._text_of(v) for v in value]
        return ", ".join(p for p in parts if p) or None
    text = jsonld._text_of(value)
    return html_to_text(text) if text and "<" in text else text


def _ld_openings(posting: dict[str, Any] | None) -> str | None:
    value = _ld_text(posting, "totalJobOpenings")
    return f"{value} người" if value and value.isdigit() else value


def _ld_experience(posting: dict[str, Any] | None) -> str | None:
    if posting is None:
        return None
    req = posting.get("experienceRequirements")
    if isinstance(req, dict):
        months = req.get("monthsOfExperience")
        if isinstance(months, (int, float)) and not isinstance(months, bool):
            return f"{_months_text(float(months))}"
        return jsonld._text_of(req.get("description"))
    return jsonld._text_of(req)


def _months_text(months: float) -> str:
    if months <= 0:
        return "Không yêu cầu"
    if months % 12 == 0:
        return f"{int(months // 12)} năm"
    return f"{int(months)} tháng"


# -- small helpers -------------------------------------------------------------------------------


def _canonical(raw: bytes) -> str | None:
    m = re.search(rb'<link[^>]+rel=["\']canonical["\'][^>]*href=["\']([^"\']+)', raw[:200_000])
    return m.group(1).decode("utf-8", "replace") if m else None


def _deadline_from_text(raw: bytes | None) -> str | None:
    return jsonld.visible_deadline_of(raw) if raw else None


def _first_text_node(node: LexborNode) -> str | None:
    """A heading's own text without nested notes ("Địa điểm làm việc (đã được cập nhật…)")."""
    child = node.child
    while child is not None:
        if child.tag == "-text":
            text = clean(child.text(deep=False))
            if text:
                return text
        child = child.next
    return clean(node.text(deep=True))


def _label(node: LexborNode | str | None) -> str | None:
    text = node if isinstance(node, str) or node is None else node.text(deep=True)
    text = clean(text)
    return text.rstrip(":").strip().lower() if text else None


def _join(*parts: str | None) -> str | None:
    return ", ".join(p for p in parts if p) or None


def _base_payload(page_url: str, fetched_at: datetime, layout: str) -> dict[str, Any]:
    return {
        "page_url": page_url,
        "fetched_at": fetched_at.isoformat(),
        "parser": PARSER_NAME,
        "parser_version": PARSER_VERSION,
        "detail_layout": layout,
    }


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)
