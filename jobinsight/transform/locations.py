"""Location text -> canonical province names and per-city district details.

Why: a posting's place arrives as a short list ("Hà Nội, Hồ Chí Minh", "Hà Nội & 2 nơi khác",
"Hồ Chí Minh (mới)", "TP.HCM") plus a TopCV tooltip naming the districts per city. The
reference pipeline kept only the first city; analysts need every city, spelled one way, so a
job in Hà Nội and HCM counts in both. Canonical names are the provinces as TopCV writes them
(the 63 provinces before the 2025 merger; the 34 after it are a subset of those names, with
"Thừa Thiên Huế" now "Huế"). The "(mới)" suffix only marks the post-merger province and is
dropped wherever it stands in a list ("Hà Nội, Hồ Chí Minh (mới)"). Places outside the list are
kept as their trimmed NFC text rather than lost.

Places outside Vietnam (:func:`resolve_place`) are one place, not a list: "New York, NY" is the
city New York in the region NY of the country US, never the two cities "New York" and "NY".
"Quốc tế" / "Nước ngoài" (abroad) is no city at all: country ``ZZ`` (see ``countries``).
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, NamedTuple

from jobinsight.transform.countries import ABROAD, country_code, parse_foreign_place
from jobinsight.transform.text import clean_text, fold_key, nfc

__all__ = [
    "PROVINCES",
    "POST_MERGER_PROVINCES",
    "canonical_city",
    "post_merger_province",
    "parse_location_pairs",
    "resolve_cities",
    "place_names",
    "Place",
    "resolve_place",
]


def _load() -> dict[str, Any]:
    data = resources.files("jobinsight").joinpath("data", "vn_provinces.json").read_text(encoding="utf-8")
    return json.loads(data)


_DATA = _load()
PROVINCES: tuple[str, ...] = tuple(p["name"] for p in _DATA["provinces"])
POST_MERGER_PROVINCES: tuple[str, ...] = tuple(sorted({p["since_2025"] for p in _DATA["provinces"]}))
_SINCE_2025: dict[str, str] = {p["name"]: p["since_2025"] for p in _DATA["provinces"]}
_DISTRICTS: tuple[str, ...] = tuple(_DATA["districts"])
_DISTRICT_PREFIX_RE = re.compile(r"^(?:quận|huyện|thị xã|thành phố|tp\.?|phường|xã)\s+", re.IGNORECASE)
_DISTRICT_NAME_RE = re.compile(r"^(?:quận|huyện|phường|xã|thị\s*xã|thị\s*trấn|q\.|p\.|district|ward)\s*\S", re.IGNORECASE)
_DISTRICT_KEYS = frozenset(fold_key(d) for d in _DISTRICTS) | frozenset(
    fold_key(_DISTRICT_PREFIX_RE.sub("", d)) for d in _DISTRICTS
)


def _build_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for entry in (*_DATA["provinces"], *_DATA["other_places"]):
        for alias in (entry["name"], *entry["aliases"]):
            key = fold_key(alias)
            if index.setdefault(key, entry["name"]) != entry["name"]:
                raise ValueError(f"place alias {alias!r} is ambiguous")
    return index


_INDEX = _build_index()
_PREFIX_RE = re.compile(r"^(?:tỉnh|thành\s*phố|tp\s*\.?|t\.p\.?|city\s+of)\s*(?=\S)", re.IGNORECASE)
_SUFFIX_RE = re.compile(r"\s*[(\[]\s*(?:mới|moi|cũ|cu|new|old)\s*[)\]]\s*$", re.IGNORECASE)
_ANY_SUFFIX_RE = re.compile(r"\s*[(\[]\s*(?:mới|moi|cũ|cu|new|old)\s*[)\]]", re.IGNORECASE)
_OTHERS_RE = re.compile(
    r"\s*(?:&|và|\+|and)\s*\d+\s*(?:nơi|noi|địa điểm|dia diem|places?|locations?)(?:\s*(?:khác|khac|others?))?\s*$",
    re.IGNORECASE,
)
_SPLIT_RE = re.compile(r"\s*(?:[,;|\n/]|\s&\s|\s+và\s+|\s-\s)\s*")
_TAG_BREAK_RE = re.compile(r"<\s*br\s*/?\s*>|</\s*p\s*>|</\s*div\s*>|</\s*li\s*>", re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]*>")
_BULLET_RE = re.compile(r"^[\s\-–•*+·]+")


@lru_cache(maxsize=16_384)
def _canonical(name: str) -> str | None:
    text = _SUFFIX_RE.sub("", name).strip()
    key = fold_key(text)
    found = _INDEX.get(key)
    if found is None:
        stripped = _PREFIX_RE.sub("", text)
        if stripped != text:
            found = _INDEX.get(fold_key(stripped))
    return found


def canonical_city(name: str | None) -> str | None:
    """Canonical province/place for one name ("TP.HCM" -> "Hồ Chí Minh"), None when unknown."""
    cleaned = clean_text(name)
    if cleaned is None:
        return None
    return _canonical(cleaned)


def post_merger_province(name: str | None) -> str | None:
    """The post-2025 province a (canonical or alias) province now belongs to."""
    canonical = canonical_city(name)
    return _SINCE_2025.get(canonical) if canonical else None


def _name_or_text(part: str) -> str | None:
    # the "(mới)" suffix goes first: stripping brackets first would leave "Hồ Chí Minh (mới"
    part = _SUFFIX_RE.sub("", part.strip()).strip(" .:-–()[]")
    if not part:
        return None
    return _canonical(part) or nfc(_SUFFIX_RE.sub("", part).strip()) or None


@lru_cache(maxsize=16_384)
def _pairs_cached(detail: str) -> tuple[tuple[str, str | None], ...]:
    text = detail
    for _ in range(3):  # tooltips arrive escaped once or twice
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = _ANY_SUFFIX_RE.sub("", _TAG_RE.sub("", _TAG_BREAK_RE.sub("\n", text)))
    merged: dict[str, list[str]] = {}
    for raw_line in text.splitlines():
        line = clean_text(_BULLET_RE.sub("", raw_line))
        if not line:
            continue
        city_part, sep, rest = line.partition(":")
        city = _name_or_text(city_part)
        if city is None:
            continue
        details = merged.setdefault(city, [])
        piece = clean_text(rest) if sep else None
        if piece and piece not in details:
            details.append(piece)
    return tuple((city, ", ".join(parts) or None) for city, parts in merged.items())


def parse_location_pairs(detail: str | None) -> list[dict[str, str | None]]:
    """TopCV tooltip ("<p>Hà Nội: Cầu Giấy, Đống Đa</p>") -> [{"city", "detail"}], one per city."""
    cleaned = detail if isinstance(detail, str) and detail.strip() else None
    if cleaned is None:
        return []
    return [{"city": city, "detail": det} for city, det in _pairs_cached(nfc(cleaned))]


def _joined_provinces(text: str) -> list[str] | None:
    """Provinces written one after another with spaces only ("Bình Dương Bà Rịa Quảng Ninh"), or None.

    Greedy longest match over words; None unless every word belongs to a known province.
    """
    words = text.split()
    if len(words) < 3:
        return None
    out: list[str] = []
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + 5), i, -1):
            found = _INDEX.get(fold_key(" ".join(words[i:j])))
            if found is not None and found in _SINCE_2025:
                out.append(found)
                i = j
                break
        else:
            return None
    return out if len(out) > 1 else None


@lru_cache(maxsize=16_384)
def _cities_cached(location: str) -> tuple[str, ...]:
    text = _OTHERS_RE.sub("", _ANY_SUFFIX_RE.sub("", location))
    whole = _canonical(text)
    parts: list[str | None] = [whole] if whole else []
    if not whole:
        for piece in _SPLIT_RE.split(text):
            name = _name_or_text(piece)
            if name is not None and name not in _SINCE_2025:
                joined = _joined_provinces(piece)
                if joined:
                    parts.extend(joined)
                    continue
            parts.append(name)
    if any(p in _SINCE_2025 for p in parts):
        # "Hồ Chí Minh, Bình Thạnh": a district after its province is a detail, not another city
        parts = [p for p in parts if p in _SINCE_2025 or (
            fold_key(p or "") not in _DISTRICT_KEYS and not _DISTRICT_NAME_RE.match(p or ""))]
    out: list[str] = []
    for city in parts:
        if city and city not in out:
            out.append(city)
    return tuple(out)


def resolve_cities(location: str | None, pairs: list[dict[str, Any]] | None = None) -> list[str]:
    """Canonical cities of a posting, in stated order, then any extra cities from ``pairs``."""
    cleaned = clean_text(location)
    cities = list(_cities_cached(cleaned)) if cleaned else []
    for pair in pairs or ():
        city = pair.get("city") if isinstance(pair, dict) else None
        if isinstance(city, str):
            canonical = _canonical(city) or clean_text(city)
            if canonical and canonical not in cities:
                cities.append(canonical)
    return cities


def place_names() -> tuple[str, ...]:
    """Every province name/alias and known district, for spotting place words in titles."""
    names: list[str] = []
    for entry in _DATA["provinces"]:
        names.append(entry["name"])
        names.extend(entry["aliases"])
    names.extend(_DISTRICTS)
    return tuple(names)


class Place(NamedTuple):
    """Where a posting is: Vietnamese provinces (canonical), or one foreign city/region; ISO country."""

    cities: tuple[str, ...]
    region: str | None
    country: str | None


_VN_MARKERS = frozenset({"Toàn Quốc", "Remote"})


@lru_cache(maxsize=16_384)
def _place_cached(location: str) -> Place:
    cities = _cities_cached(location)
    if cities and all(c in _SINCE_2025 or c in _VN_MARKERS for c in cities):
        country = "VN" if any(c != "Remote" for c in cities) else None
        return Place(tuple(c for c in cities if c != "Toàn Quốc"), None, country)
    vn = [c for c in cities if c in _SINCE_2025]
    others = [c for c in cities if c not in _SINCE_2025 and c not in _VN_MARKERS]
    codes = [country_code(c) for c in others]
    if others and all(code is not None for code in codes):
        # "Hà Nội, Nhật Bản" / "Quốc tế": countries named, not cities
        if vn:
            return Place(tuple(vn), None, "VN")  # a Vietnamese place first: the posting is in Vietnam
        foreign = {c for c in codes if c != "VN"}
        return Place((), None, foreign.pop() if len(foreign) == 1 else ABROAD)
    if not vn:
        foreign_place = parse_foreign_place(_ANY_SUFFIX_RE.sub("", location))
        if foreign_place is not None:
            city = (foreign_place.city,) if foreign_place.city else ()
            return Place(city, foreign_place.region, foreign_place.country)
    return Place(cities, None, "VN" if vn and not others else None)


def resolve_place(location: str | None, pairs: list[dict[str, Any]] | None = None) -> Place:
    """Cities, region and ISO 3166-1 alpha-2 country of a posting's place.

    Vietnamese places: canonical provinces (plus any from ``pairs``), no region, country VN.
    A foreign place: its one city and region ("New York, NY" -> ("New York",), "NY", "US").
    "Quốc tế" / "Nước ngoài": no city, country ``ZZ``. Unknown text: kept as cities, country None.
    """
    cleaned = clean_text(location)
    place = _place_cached(cleaned) if cleaned else Place((), None, None)
    extra = [c for c in resolve_cities(None, pairs) if c not in place.cities]
    if extra:
        country = place.country if place.country else ("VN" if all(c in _SINCE_2025 for c in extra) else None)
        return Place((*place.cities, *extra), place.region, country)
    return place
