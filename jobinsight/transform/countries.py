"""Places outside Vietnam: country names -> ISO 3166-1 alpha-2, and the regions of US/CA/AU/IN boards.

Why: postings from non-Vietnamese boards (Glassdoor, Indeed, Workday) give places as
"New York, NY", "Sydney NSW 2000" or "AMER - Canada - Quebec - Montreal - 10 Rue Duke". Reading
them as a list of Vietnamese cities makes fake cities ("NY"); they are one place with a city, a
region and a country. The tables are small on purpose: the countries Vietnamese and
international boards actually post for, and the first-level regions of the countries whose
boards write "City, Region" (United States, Canada, Australia, India).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from jobinsight.transform.text import fold

__all__ = ["ABROAD", "ForeignPlace", "country_code", "parse_foreign_place"]

#: Country code for "abroad, country not stated" ("Quốc tế", "Nước ngoài"): ISO 3166 user-assigned.
ABROAD = "ZZ"

_COUNTRIES: dict[str, tuple[str, ...]] = {
    "VN": ("Việt Nam", "Vietnam", "Viet Nam", "VN"),
    "JP": ("Nhật Bản", "Nhật", "Japan"), "KR": ("Hàn Quốc", "Korea", "South Korea", "Republic of Korea"),
    "CN": ("Trung Quốc", "China", "PRC"), "TW": ("Đài Loan", "Taiwan"), "HK": ("Hồng Kông", "Hong Kong"),
    "SG": ("Singapore",), "MY": ("Malaysia",), "TH": ("Thái Lan", "Thailand"), "KH": ("Campuchia", "Cambodia"),
    "LA": ("Lào", "Laos"), "ID": ("Indonesia",), "PH": ("Philippines", "Philippin"), "MM": ("Myanmar",),
    "IN": ("Ấn Độ", "India"), "AU": ("Úc", "Australia"), "NZ": ("New Zealand",),
    "US": ("Mỹ", "Hoa Kỳ", "United States", "United States of America", "USA", "US", "U.S.", "U.S.A."),
    "CA": ("Canada",), "MX": ("Mexico",), "BR": ("Brazil",), "GB": ("Anh", "United Kingdom", "UK", "Great Britain",
                                                                   "England", "Scotland", "Wales"),
    "IE": ("Ireland",), "DE": ("Đức", "Germany", "Deutschland"), "FR": ("Pháp", "France"),
    "NL": ("Hà Lan", "Netherlands"), "BE": ("Bỉ", "Belgium"), "CH": ("Thụy Sĩ", "Switzerland"),
    "AT": ("Áo", "Austria"), "IT": ("Ý", "Italy"), "ES": ("Tây Ban Nha", "Spain"), "PT": ("Bồ Đào Nha", "Portugal"),
    "SE": ("Thụy Điển", "Sweden"), "NO": ("Na Uy", "Norway"), "DK": ("Đan Mạch", "Denmark"),
    "FI": ("Phần Lan", "Finland"), "PL": ("Ba Lan", "Poland"), "CZ": ("Séc", "Czech Republic", "Czechia"),
    "HU": ("Hungary",), "RO": ("Romania",), "RU": ("Nga", "Russia"), "UA": ("Ukraine",), "TR": ("Thổ Nhĩ Kỳ", "Turkey"),
    "IL": ("Israel",), "AE": ("UAE", "United Arab Emirates", "Dubai"), "SA": ("Ả Rập Xê Út", "Saudi Arabia"),
    "QA": ("Qatar",), "EG": ("Ai Cập", "Egypt"), "ZA": ("Nam Phi", "South Africa"), "AR": ("Argentina",),
    "CL": ("Chile",), "CO": ("Colombia",),
}
_ABROAD_NAMES = ("Quốc tế", "Nước ngoài", "Nước Ngoài khác", "Overseas", "Abroad", "International")
_US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho",
    "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming", "DC": "District of Columbia",
}
_CA_PROVINCES = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "ON": "Ontario", "PE": "Prince Edward Island",
    "QC": "Quebec", "SK": "Saskatchewan", "NT": "Northwest Territories", "NU": "Nunavut", "YT": "Yukon",
}
_AU_STATES = {
    "NSW": "New South Wales", "VIC": "Victoria", "QLD": "Queensland", "WA": "Western Australia",
    "SA": "South Australia", "TAS": "Tasmania", "ACT": "Australian Capital Territory", "NT": "Northern Territory",
}
_IN_STATES = ("Karnataka", "Maharashtra", "Tamil Nadu", "Telangana", "Delhi", "Haryana", "Uttar Pradesh",
              "Gujarat", "West Bengal", "Kerala")
# Sales-region prefixes of global employers ("AMER - Canada - …", "APAC | Singapore").
_MACRO_REGIONS = frozenset({"amer", "americas", "emea", "apac", "apj", "latam", "na", "north america", "europe",
                            "asia", "asia pacific", "global", "worldwide", "remote"})


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z ]+", " ", fold(text)).split())


def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, names in _COUNTRIES.items():
        for name in names:
            index[_key(name)] = code
    for name in _ABROAD_NAMES:
        index[_key(name)] = ABROAD
    return index


_COUNTRY_INDEX = _country_index()
# Region full names and codes -> (region as written conventionally, country).
_REGION_NAMES: dict[str, tuple[str, str]] = {}
for _code, _name in _US_STATES.items():
    _REGION_NAMES[_key(_name)] = (_code, "US")
for _code, _name in _CA_PROVINCES.items():
    _REGION_NAMES[_key(_name)] = (_name, "CA")
for _code, _name in _AU_STATES.items():
    _REGION_NAMES.setdefault(_key(_name), (_code, "AU"))
for _name in _IN_STATES:
    _REGION_NAMES[_key(_name)] = (_name, "IN")
# Two/three-letter codes only count as written in capitals ("NY", not "ny").
_REGION_CODES: dict[str, dict[str, str]] = {
    "US": {c: c for c in _US_STATES}, "CA": {c: n for c, n in _CA_PROVINCES.items()},
    "AU": {c: c for c in _AU_STATES},
}
_PART_SPLIT_RE = re.compile(r"\s*(?:,|;|\||\s[-–—]\s|\n)\s*")
_POSTCODE_RE = re.compile(r"\s+(?:\d{4,6}(?:-\d{4})?|[A-Z]\d[A-Z]\s?\d[A-Z]\d)$")
_STATE_CODE_TAIL_RE = re.compile(r"^(?P<city>.+?)\s+(?P<code>[A-Z]{2,3})$")


class ForeignPlace(NamedTuple):
    """A place outside Vietnam: city and region may be unknown, country is an ISO alpha-2 code."""

    city: str | None
    region: str | None
    country: str


@lru_cache(maxsize=4096)
def country_code(name: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code of a country name in Vietnamese or English; ``ZZ`` for "abroad"."""
    if not isinstance(name, str) or not name.strip():
        return None
    return _COUNTRY_INDEX.get(_key(name))


def _region_of(part: str, country: str | None) -> tuple[str, str] | None:
    stripped = part.strip()
    if stripped.isupper() and 2 <= len(stripped) <= 3:
        candidates = [country] if country in _REGION_CODES else list(_REGION_CODES)
        for c in candidates:
            region = _REGION_CODES[c].get(stripped)
            if region is not None:
                return region, c
        return None
    return _REGION_NAMES.get(_key(stripped))


@lru_cache(maxsize=16_384)
def parse_foreign_place(text: str) -> ForeignPlace | None:
    """City/region/country of a non-Vietnamese place, or None when nothing names a foreign country.

    "New York, NY" -> (New York, NY, US); "AMER - Canada - Quebec - Montreal - 10 Rue Duke" ->
    (Montreal, Quebec, CA); "Sydney NSW 2000" -> (Sydney, NSW, AU); "Nhật Bản" -> (None, None, JP).
    """
    parts = [p for p in (_POSTCODE_RE.sub("", q.strip()) for q in _PART_SPLIT_RE.split(text)) if p]
    if len(parts) == 1:  # "Sydney NSW", "Austin TX"
        m = _STATE_CODE_TAIL_RE.match(parts[0])
        if m and _region_of(m.group("code"), None):
            parts = [m.group("city"), m.group("code")]
    country: str | None = None
    country_at = region_at = -1
    for i, part in enumerate(parts):
        code = country_code(part)
        if code is not None and code != "VN" or (code == "VN" and len(parts) == 1):
            country, country_at = code, i
            break
    region: str | None = None
    # A region follows its city ("New York, NY") or its country ("Canada - Quebec - Montreal").
    order = list(range(country_at + 1, len(parts))) if country_at >= 0 else list(range(len(parts) - 1, -1, -1))
    if country_at >= 0:
        order += list(range(country_at - 1, -1, -1))
    for i in order:
        part = parts[i]
        found = _region_of(part, country)
        if found is not None:
            region, region_country = found
            country = country or region_country
            region_at = i
            break
    if country is None:
        return None
    if country == ABROAD:
        return ForeignPlace(None, None, ABROAD)
    taken = {country_at, region_at}
    rest = [(i, p) for i, p in enumerate(parts)
            if i not in taken and _key(p) not in _MACRO_REGIONS and not any(ch.isdigit() for ch in p)
            and country_code(p) is None]
    city: str | None = None
    if rest:
        anchor = region_at if region_at >= 0 else country_at
        after = [p for i, p in rest if i > anchor]
        before = [p for i, p in rest if i < anchor]
        # Largest-first lists ("Canada - Quebec - Montreal - street") put the city after the
        # region; "City, Region, Country" puts it first.
        if country_at >= 0 and region_at > country_at and after:
            city = after[0]
        elif before:
            city = before[-1] if region_at >= 0 else before[0]
        else:
            city = after[0]
    return ForeignPlace(city, region, country)
