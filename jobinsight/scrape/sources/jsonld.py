"""schema.org ``JobPosting`` JSON-LD -> ``RawJob`` rows: the generic source for any job board.

Why: most career sites (Workday, Greenhouse, Lever, SmartRecruiters, WordPress job plugins)
publish ``JobPosting`` markup for search engines, so one parser covers hundreds of boards
without per-site selectors. Real markup is sloppy, so everything is read defensively:

* blocks: every ``<script type="application/ld+json">``; postings inside ``@graph``, arrays,
  or nested objects; ``@type`` as a string, a list or a full IRI. A block with invalid JSON is
  skipped and reported (log + ``payload["jsonld_errors"]``), the other blocks still count.
* wrong types: a salary given as a string or number, a location as a string or a list, an
  identifier as a string, a number or a ``PropertyValue``, an organisation as a bare name.

Salary text is written in the shapes the process flow's salary parser reads
("15 - 20 triệu", "1,000 - 2,000 USD /tháng", "Từ 1,000 USD /năm", "50 k - 100 k /giờ");
the numbers themselves are kept in ``payload["base_salary"]``.
"""

from __future__ import annotations

import gzip
import hashlib
import html as html_lib
import json
import logging
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from jobinsight.scrape.records import RawJob
from jobinsight.scrape.text import clean, html_parser, html_to_text
from jobinsight.scrape.urls import clean_url, id_from_url

logger = logging.getLogger("jobinsight.scrape")

SOURCE = "jsonld"
PARSER_NAME = "jsonld"
PARSER_VERSION = "1"

_MAX_DEPTH = 24
_UNIT_SUFFIX = {"MONTH": "/tháng", "YEAR": "/năm", "HOUR": "/giờ", "WEEK": "/tuần", "DAY": "/ngày"}
_MAPPED_KEYS = frozenset(
    {
        "@context",
        "@type",
        "title",
        "name",
        "url",
        "identifier",
        "hiringOrganization",
        "jobLocation",
        "jobLocationType",
        "baseSalary",
        "estimatedSalary",
        "salaryCurrency",
        "datePosted",
        "validThrough",
        "dateModified",
        "description",
        "skills",
    }
)
_THOUSANDS_COMMA = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3}){2,}$|^\d{1,3}\.\d{3}$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


@dataclass(slots=True)
class JsonLdExtract:
    """The ``JobPosting`` objects found on a page, plus the blocks that could not be read."""

    postings: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    blocks: int = 0


def extract_jobpostings(html: str | bytes) -> JsonLdExtract:
    """All ``JobPosting`` dicts in the page's JSON-LD blocks (invalid blocks reported, not raised)."""
    out = JsonLdExtract()
    doc = html_parser(html)
    for index, script in enumerate(doc.css("script")):
        kind = (script.attributes.get("type") or "").strip().lower()
        if not kind.startswith("application/ld+json"):
            continue
        out.blocks += 1
        raw = script.text(deep=True) or ""
        data, error = _loads_lenient(raw)
        if error is not None:
            out.errors.append(f"JSON-LD block {out.blocks} (script #{index + 1}): {error}")
            continue
        out.postings.extend(_iter_postings(data, 0))
    return out


def parse_jobposting_page(
    html: str | bytes,
    page_url: str,
    *,
    fetched_at: datetime | None = None,
    source: str = SOURCE,
) -> list[RawJob]:
    """One ``RawJob`` per ``JobPosting`` on the page (in page order); never raises on bad markup."""
    extract = extract_jobpostings(html)
    visible_deadline = visible_deadline_of(html) if len(extract.postings) == 1 else None
    for error in extract.errors:
        logger.warning("skipping invalid JSON-LD on %s: %s", page_url, error)
    jobs: list[RawJob] = []
    fetched = fetched_at if fetched_at is not None else datetime.now(UTC)
    for index, posting in enumerate(extract.postings):
        try:
            job = _posting_to_job(posting, page_url, index, fetched, source)
        except Exception:  # one odd posting must not hide the others
            logger.warning("skipping unreadable JobPosting #%d on %s", index + 1, page_url, exc_info=True)
            continue
        if extract.errors:
            job.payload["jsonld_errors"] = list(extract.errors)
        if visible_deadline is not None:
            # The page's own "Hạn nộp hồ sơ: dd/mm/yyyy" is the true deadline; TopCV's validThrough is
            # datePosted + 1 month. validThrough stays in payload["valid_through"].
            job.deadline = visible_deadline
            job.payload["deadline_source"] = "visible"
        jobs.append(job)
    return jobs


_VISIBLE_DEADLINE = re.compile(
    r"(?:Hạn nộp hồ sơ|Hạn nộp|Hạn chót nhận hồ sơ)\s*:?\s*(?:<[^>]*>\s*)*(\d{1,2}/\d{1,2}/\d{4})", re.IGNORECASE
)
_VISIBLE_DEADLINE_BYTES = re.compile(_VISIBLE_DEADLINE.pattern.encode("utf-8"), re.IGNORECASE)


def visible_deadline_of(html: str | bytes) -> str | None:
    """The application deadline a Vietnamese job page shows ("Hạn nộp hồ sơ: 31/05/2026"), if any.

    Why: a page's JSON-LD ``validThrough`` can disagree with what it shows (TopCV writes datePosted
    + 1 month there); applicants see the visible date, so it is the true one.
    """
    if isinstance(html, bytes):
        m = _VISIBLE_DEADLINE_BYTES.search(html)
        return m.group(1).decode("ascii") if m else None
    m = _VISIBLE_DEADLINE.search(html)
    return m.group(1) if m else None


# -- JSON-LD walking -----------------------------------------------------------------------------


def _loads_lenient(raw: str) -> tuple[Any, str | None]:
    text = raw.strip()
    # CMS wrappers seen in the wild: HTML comments and CDATA markers around the JSON.
    for prefix, suffix in (("<!--", "-->"), ("//<![CDATA[", "//]]>"), ("<![CDATA[", "]]>")):
        if text.startswith(prefix) and text.endswith(suffix):
            text = text[len(prefix) : -len(suffix)].strip()
    if not text:
        return None, "empty block"
    try:
        # NaN/Infinity are not JSON (and PostgreSQL's JSONB rejects them): read them as null.
        return json.loads(text, strict=False, parse_constant=lambda _name: None), None
    except (ValueError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, first


def _is_jobposting(obj: dict[str, Any]) -> bool:
    kinds = obj.get("@type")
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list):
        return False
    for kind in kinds:
        if isinstance(kind, str) and kind.rsplit("/", 1)[-1].rsplit(":", 1)[-1] == "JobPosting":
            return True
    return False


def _iter_postings(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(data, list):
        for item in data:
            yield from _iter_postings(item, depth + 1)
    elif isinstance(data, dict):
        if _is_jobposting(data):
            yield data
            return
        for value in data.values():
            if isinstance(value, (dict, list)):
                yield from _iter_postings(value, depth + 1)


# -- field mapping -------------------------------------------------------------------------------


def _posting_to_job(
    p: dict[str, Any], page_url: str, index: int, fetched_at: datetime, source: str
) -> RawJob:
    job_url = clean_url(_text_of(p.get("url")), page_url) or clean_url(page_url) or page_url
    identifier = _identifier(p.get("identifier"))
    if identifier is not None and _identifies_organization(p.get("identifier"), p.get("hiringOrganization")):
        # TopCV's identifier is the company's id: every posting of one company would collapse into
        # one row. The posting's own URL identifies it instead.
        identifier = id_from_url(job_url)
    if identifier is None:
        basis = job_url if (_text_of(p.get("url")) or index == 0) else f"{job_url}#{index}"
        identifier = "u" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]

    payload: dict[str, Any] = {
        "page_url": page_url,
        "fetched_at": fetched_at.isoformat(),
        "parser": PARSER_NAME,
        "parser_version": PARSER_VERSION,
    }
    if p.get("identifier") is not None:
        payload["identifier"] = p.get("identifier")

    company_name, company_url, logo_url = _organization(p.get("hiringOrganization"), page_url)
    location, places, remote = _location(p.get("jobLocation"), p.get("jobLocationType"))
    if places:
        payload["job_location"] = places
    if remote:
        payload["remote"] = True

    salary, structured = _salary(p.get("baseSalary"), p.get("salaryCurrency"))
    if salary is None and structured is None and p.get("estimatedSalary") is not None:
        salary, structured = _salary(p.get("estimatedSalary"), p.get("salaryCurrency"))
        if salary is not None or structured is not None:
            payload["salary_estimated"] = True
    if structured is not None:
        payload["base_salary"] = structured

    date_posted = _text_of(p.get("datePosted"))
    valid_through = _text_of(p.get("validThrough"))
    _put(payload, "date_posted", date_posted)
    _put(payload, "valid_through", valid_through)
    deadline_dt = parse_datetime(valid_through)
    deadline = deadline_dt.date().isoformat() if deadline_dt is not None else clean(valid_through)

    description = p.get("description")
    _put(payload, "description", html_to_text(description) if isinstance(description, str) else None)
    for key, value in p.items():
        if key not in _MAPPED_KEYS and key not in payload and value not in (None, "", [], {}):
            payload[key] = value

    return RawJob(
        source=source,
        job_id=identifier,
        title=_text_of(p.get("title")) or _text_of(p.get("name")),
        job_url=job_url,
        company_name=company_name,
        company_url=company_url,
        salary=salary,
        skills=_skills(p.get("skills")),
        location=location,
        location_detail=None,
        deadline=deadline,
        verified_employer=None,
        last_update=_text_of(p.get("dateModified")),
        logo_url=logo_url,
        posted_time=parse_datetime(date_posted),
        payload=payload,
        page_kind="full",
        description=payload.get("description"),
    )


def _text_of(value: Any) -> str | None:
    """A display string from a JSON-LD value: str, number, ``{"name"|"@value"|"value"}`` or a list."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return clean(html_lib.unescape(value)) if "&" in value else clean(value)
    if isinstance(value, (int, float)):
        return _plain_number(float(value)) if math.isfinite(value) else None
    if isinstance(value, dict):
        for key in ("name", "@value", "value", "url", "@id"):
            if key in value:
                found = _text_of(value[key])
                if found:
                    return found
        return None
    if isinstance(value, list):
        for item in value:
            found = _text_of(item)
            if found:
                return found
    return None


def _identifier(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("value", "@value", "identifier", "propertyID", "name"):
            if key in value and not isinstance(value[key], (dict, list)):
                found = _text_of(value[key])
                if found:
                    return found
        return None
    if isinstance(value, list):
        for item in value:
            found = _identifier(item)
            if found:
                return found
        return None
    return _text_of(value)


def _identifies_organization(identifier: Any, org: Any) -> bool:
    """True when the identifier is the hiring organisation's id, not the posting's.

    TopCV writes ``{"name": <company>, "value": 192267}`` where 192267 is the number in the
    company's own URL (``sameAs: .../cong-ty/<slug>/192267.html``).
    """
    value = _identifier(identifier)
    if not value or not isinstance(org, dict):
        return False
    for key in ("sameAs", "url", "@id"):
        candidates = org.get(key)
        for candidate in candidates if isinstance(candidates, list) else [candidates]:
            text = candidate if isinstance(candidate, str) else None
            m = re.search(r"(\d+)(?:\.html?)?/?(?:[?#].*)?$", text or "")
            if m and m.group(1) == value:
                return True
    return False


def _organization(org: Any, page_url: str) -> tuple[str | None, str | None, str | None]:
    if isinstance(org, list):
        org = next((o for o in org if isinstance(o, (dict, str))), None)
    if isinstance(org, str):
        return clean(org), None, None
    if not isinstance(org, dict):
        return None, None, None
    name = _text_of(org.get("name")) or _text_of(org.get("legalName"))
    url = None
    for key in ("sameAs", "url"):
        candidate = org.get(key)
        candidates = candidate if isinstance(candidate, list) else [candidate]
        for c in candidates:
            url = clean_url(c if isinstance(c, str) else _text_of(c), page_url)
            if url:
                break
        if url:
            break
    logo = org.get("logo")
    logo_text = (
        logo
        if isinstance(logo, str)
        else (
            _text_of(logo.get("url") or logo.get("contentUrl")) if isinstance(logo, dict) else _text_of(logo)
        )
    )
    return name, url, clean_url(logo_text, page_url)


def _location(job_location: Any, location_type: Any) -> tuple[str | None, list[dict[str, Any]], bool]:
    """(``"A, B"`` city list, address dicts for the payload, remote?)."""
    types = location_type if isinstance(location_type, list) else [location_type]
    remote = any(isinstance(t, str) and t.strip().upper() == "TELECOMMUTE" for t in types)
    places: list[dict[str, Any]] = []
    cities: list[str] = []
    items = job_location if isinstance(job_location, list) else [job_location]
    for item in items:
        place = _place(item)
        if place is None:
            continue
        places.append(place)
        city = _city_of(place)
        if city:
            cities.append(city)
    if remote:
        cities.append("Remote")
    cities = list(dict.fromkeys(cities))
    return (", ".join(cities) or None), places, remote


#: Address parts below a city: Vietnamese wards, communes, districts and towns (old and new names),
#: and their English spellings. A locality starting with one of them names a ward, not a city,
#: e.g. TopCV's ``addressLocality: "Phường Thanh Xuân"`` with ``addressRegion: "Hà Nội"``.
_SUB_CITY = re.compile(
    r"^(?:phường|phuong|p\.|xã|xa|thị trấn|thi tran|thị xã|quận|quan|q\.|huyện|huyen|ward|commune|district)\s",
    re.IGNORECASE,
)


def _city_of(place: dict[str, Any]) -> str | None:
    """The city of an address: its locality, unless that is a ward/district (then the region)."""
    locality, region = place.get("locality"), place.get("region")
    if locality and region and _SUB_CITY.match(locality):
        return region
    return locality or region or place.get("country") or place.get("name")


def _place(item: Any) -> dict[str, Any] | None:
    if isinstance(item, str):
        text = clean(item)
        return {"name": text} if text else None
    if not isinstance(item, dict):
        return None
    address = item.get("address", item if "addressLocality" in item or "addressCountry" in item else None)
    if isinstance(address, list):
        address = next((a for a in address if isinstance(a, (dict, str))), None)
    place: dict[str, Any] = {}
    if isinstance(address, str):
        _put(place, "locality", clean(address))
    elif isinstance(address, dict):
        _put(place, "street", _text_of(address.get("streetAddress")))
        _put(place, "locality", _text_of(address.get("addressLocality")))
        _put(place, "region", _text_of(address.get("addressRegion")))
        _put(place, "postal_code", _text_of(address.get("postalCode")))
        _put(place, "country", _text_of(address.get("addressCountry")))
    _put(place, "name", _text_of(item.get("name")))
    return place or None


def _skills(value: Any) -> list[str] | None:
    items: list[str] = []
    values = value if isinstance(value, list) else [value]
    for v in values:
        if isinstance(v, str):
            items.extend(p for p in (clean(x) for x in re.split(r"[,;\n|]", html_lib.unescape(v))) if p)
        else:
            text = _text_of(v)
            if text:
                items.append(text)
    items = list(dict.fromkeys(items))
    return items or None


# -- salary --------------------------------------------------------------------------------------


def _salary(value: Any, posting_currency: Any) -> tuple[str | None, dict[str, Any] | None]:
    """(salary text, structured values) from ``baseSalary`` in any of its real-world shapes."""
    if value is None:
        return None, None
    if isinstance(value, list):
        for item in value:
            text, structured = _salary(item, posting_currency)
            if text is not None or structured is not None:
                return text, structured
        return None, None
    if isinstance(value, str):
        number = to_number(value)
        if number is None:
            return clean(value), None
        value = number
    currency = _text_of(posting_currency)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        structured = {"currency": currency, "value": float(value)}
        return format_salary(currency, float(value), float(value), None), _compact(structured)
    if not isinstance(value, dict):
        return None, None
    currency = _text_of(value.get("currency")) or currency
    unit = _text_of(value.get("unitText"))
    inner = value.get("value")
    low = high = single = None
    if isinstance(inner, dict):
        unit = _text_of(inner.get("unitText")) or unit
        low = to_number(inner.get("minValue"))
        high = to_number(inner.get("maxValue"))
        single = to_number(inner.get("value"))
    elif isinstance(inner, list):
        numbers = [n for n in (to_number(v) for v in inner) if n is not None]
        if numbers:
            low, high = min(numbers), max(numbers)
    else:
        single = to_number(inner)
    low = low if low is not None else to_number(value.get("minValue"))
    high = high if high is not None else to_number(value.get("maxValue"))
    if low is None and high is None and single is not None:
        low = high = single
    structured = _compact(
        {
            "currency": currency.upper() if currency else None,
            "min": low,
            "max": high,
            "value": single,
            "unit": unit.upper() if unit else None,
        }
    )
    if low is None and high is None:
        # a word where a number belongs ("Thoả thuận"), directly or inside the QuantitativeValue
        words = inner.get("value") if isinstance(inner, dict) else inner
        text = _text_of(words) if isinstance(words, str) else None
        return text, structured or None
    return format_salary(currency, low, high, unit), structured


def format_salary(
    currency: str | None, low: float | None, high: float | None, unit: str | None
) -> str | None:
    """Salary text in TopCV's shapes: ``"15 - 20 triệu"``, ``"1,000 - 2,000 USD /tháng"``, ``"Từ 900 USD"``."""
    if low is None and high is None:
        return None
    if low is not None and high is not None and low > high:
        low, high = high, low  # some boards swap minValue and maxValue
    cur = (currency or "").strip().upper()
    period = (unit or "").strip().upper()
    suffix = _UNIT_SUFFIX.get(period, "")
    amounts = [v for v in (low, high) if v is not None]
    if cur in ("VND", "VNĐ", "₫", "Đ"):
        if max(amounts) >= 1_000_000:
            scale, word = 1_000_000.0, "triệu"
            if period == "MONTH":
                suffix = ""  # "15 - 20 triệu" means monthly on Vietnamese boards
        elif max(amounts) >= 1_000:
            scale, word = 1_000.0, "k"
        else:
            scale, word = 1.0, "VND"

        def amount(v: float) -> str:
            return f"{_plain_number(v / scale)} {word}" if word == "k" else _plain_number(v / scale)

        unit_word = "" if word == "k" else f" {word}"
    else:

        def amount(v: float) -> str:
            return _grouped_number(v)

        unit_word = f" {cur}" if cur else ""
    if low is not None and high is not None:
        core = amount(low) if low == high else f"{amount(low)} - {amount(high)}"
    elif low is not None:
        core = f"Từ {amount(low)}"
    else:
        core = f"Tới {amount(high)}"  # type: ignore[arg-type]
    text = f"{core}{unit_word}"
    return f"{text} {suffix}" if suffix else text


def to_number(value: Any) -> float | None:
    """``1000``, ``"1,000"``, ``"15.000.000"``, ``"1500.50"`` -> float; anything else -> ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
        return number if number == number and abs(number) != float("inf") else None
    if not isinstance(value, str):
        return None
    text = re.sub(r"[\s$€£¥₫]|USD|VND|VNĐ", "", value.strip(), flags=re.IGNORECASE)
    if _THOUSANDS_COMMA.match(text):
        text = text.replace(",", "")
    elif _THOUSANDS_DOT.match(text):
        text = text.replace(".", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _plain_number(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _grouped_number(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")


# -- dates ---------------------------------------------------------------------------------------


def parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601 date or datetime (also ``dd/mm/yyyy``) -> aware datetime; no offset means UTC."""
    if not value:
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        m = _DMY.match(text)
        if m is None:
            try:
                parsed = datetime.combine(date.fromisoformat(text[:10]), datetime.min.time())
            except ValueError:
                return None
        else:
            try:
                parsed = datetime(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            except ValueError:
                return None
    return parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=UTC)


# -- sitemaps ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Sitemap:
    """A parsed sitemap: ``kind`` is ``"urlset"``, ``"sitemapindex"`` or ``"unknown"``."""

    kind: str
    locs: list[str]


def parse_sitemap_document(xml: str | bytes) -> Sitemap:
    """Kind and ``<loc>`` values of a sitemap (gzip-compressed bytes accepted)."""
    if isinstance(xml, bytes):
        if xml[:2] == b"\x1f\x8b":
            try:
                xml = gzip.decompress(xml)
            except (OSError, EOFError):
                return Sitemap("unknown", [])
        xml = xml.decode("utf-8", errors="replace")
    head = xml[:2000]
    if "<!DOCTYPE" not in head and "<!ENTITY" not in xml:
        try:
            root = ET.fromstring(xml.lstrip("\ufeff").strip())
        except ET.ParseError:
            root = None
        if root is not None:
            kind = root.tag.rsplit("}", 1)[-1]
            locs = [
                clean(el.text) or ""
                for el in root.iter()
                if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == "loc" and clean(el.text)
            ]
            return Sitemap(kind if kind in ("urlset", "sitemapindex") else "unknown", locs)
    # Broken or suspicious XML: fall back to reading the <loc> elements as text.
    locs = [
        clean(html_lib.unescape(m)) or "" for m in re.findall(r"<loc>\s*(.*?)\s*</loc>", xml, re.S | re.I)
    ]
    kind = (
        "sitemapindex"
        if re.search(r"<sitemapindex\b", head, re.I)
        else "urlset"
        if re.search(r"<urlset\b", head, re.I)
        else "unknown"
    )
    return Sitemap(kind, [loc for loc in locs if loc])


def parse_sitemap(xml: str | bytes) -> list[str]:
    """The ``<loc>`` URLs of a ``urlset`` (pages) or ``sitemapindex`` (child sitemaps)."""
    return parse_sitemap_document(xml).locs


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
