"""Locations: canonical province names, every city of a multi-city posting, tooltip districts."""

from __future__ import annotations

import html
import json
from importlib import resources

import pytest

from jobinsight.transform.locations import (
    POST_MERGER_PROVINCES,
    PROVINCES,
    canonical_city,
    parse_location_pairs,
    post_merger_province,
    resolve_cities,
)
from jobinsight.transform.text import fold_key

# The exact tooltip TopCV puts on a multi-city card (page 4 of the saved search), as it sits in
# the data-original-title attribute.
TOOLTIP_ESCAPED = (
    "&lt;p style='text-align: left;margin-bottom: 0'&gt;Hồ Chí Minh: Quận 12&lt;br/&gt;"
    "Đà Nẵng: Hải Châu&lt;br/&gt;Hà Nội: Cầu Giấy&lt;/p&gt;"
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Hà Nội", "Hà Nội"), ("Ha Noi", "Hà Nội"), ("HN", "Hà Nội"), ("hanoi", "Hà Nội"),
        ("HCM", "Hồ Chí Minh"), ("TP.HCM", "Hồ Chí Minh"), ("TPHCM", "Hồ Chí Minh"), ("Tp. Hồ Chí Minh", "Hồ Chí Minh"),
        ("Thành phố Hồ Chí Minh", "Hồ Chí Minh"), ("Hồ Chí Minh (mới)", "Hồ Chí Minh"), ("Sài Gòn", "Hồ Chí Minh"),
        ("Đà Nẵng", "Đà Nẵng"), ("Da Nang", "Đà Nẵng"), ("Khánh Hoà", "Khánh Hòa"), ("Thừa Thiên Huế", "Huế"),
        ("Bà Rịa - Vũng Tàu", "Bà Rịa-Vũng Tàu"), ("Vũng Tàu", "Bà Rịa-Vũng Tàu"), ("Tỉnh Bình Dương", "Bình Dương"),
        ("Đắc Lắc", "Đắk Lắk"), ("Nước Ngoài", "Nước Ngoài"), ("Nhật Bản", "Nhật Bản"), ("Japan", "Nhật Bản"),
        ("Mars", None), ("", None), (None, None),
    ],
)
def test_canonical_city(name: str | None, expected: str | None) -> None:
    assert canonical_city(name) == expected


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("Hà Nội", ["Hà Nội"]),
        ("Hà Nội, Hồ Chí Minh", ["Hà Nội", "Hồ Chí Minh"]),
        ("Hồ Chí Minh, Hà Nội", ["Hồ Chí Minh", "Hà Nội"]),
        ("Hà Nội , Hồ Chí Minh", ["Hà Nội", "Hồ Chí Minh"]),
        ("Hà Nội & 2 nơi khác", ["Hà Nội"]),
        ("Hồ Chí Minh (mới)", ["Hồ Chí Minh"]),
        ("TP.HCM, HN, TPHCM", ["Hồ Chí Minh", "Hà Nội"]),
        ("Nước Ngoài, Hà Nội", ["Nước Ngoài", "Hà Nội"]),
        ("Bà Rịa-Vũng Tàu", ["Bà Rịa-Vũng Tàu"]),
        ("Hà Nội, Atlantis", ["Hà Nội", "Atlantis"]),
        (None, []),
        ("", []),
    ],
)
def test_resolve_cities(location: str | None, expected: list[str]) -> None:
    assert resolve_cities(location) == expected


def test_other_places_are_filled_from_the_tooltip() -> None:
    pairs = parse_location_pairs(TOOLTIP_ESCAPED)
    assert pairs == [
        {"city": "Hồ Chí Minh", "detail": "Quận 12"},
        {"city": "Đà Nẵng", "detail": "Hải Châu"},
        {"city": "Hà Nội", "detail": "Cầu Giấy"},
    ]
    assert resolve_cities("Hồ Chí Minh & 2 nơi khác", pairs) == ["Hồ Chí Minh", "Đà Nẵng", "Hà Nội"]


def test_pairs_from_paragraphs_merge_duplicate_cities() -> None:
    detail = "<p style='x'>Hồ Chí Minh: Gò Vấp</p><p>Hà Nội: Cầu Giấy, Đống Đa</p><p>TP.HCM: Quận 1</p>"
    assert parse_location_pairs(detail) == [
        {"city": "Hồ Chí Minh", "detail": "Gò Vấp, Quận 1"},
        {"city": "Hà Nội", "detail": "Cầu Giấy, Đống Đa"},
    ]


def test_pairs_from_double_escaped_html_and_plain_lines() -> None:
    double_escaped = TOOLTIP_ESCAPED.replace("&", "&amp;")
    assert parse_location_pairs(double_escaped) == parse_location_pairs(TOOLTIP_ESCAPED)
    assert parse_location_pairs(html.unescape(TOOLTIP_ESCAPED)) == parse_location_pairs(TOOLTIP_ESCAPED)
    assert parse_location_pairs("Hà Nội: Cầu Giấy\n- Nước Ngoài\n\n") == [
        {"city": "Hà Nội", "detail": "Cầu Giấy"},
        {"city": "Nước Ngoài", "detail": None},
    ]
    assert parse_location_pairs(None) == [] and parse_location_pairs("  ") == []


def test_province_lists() -> None:
    assert len(PROVINCES) == 63
    assert len(POST_MERGER_PROVINCES) == 34
    assert set(POST_MERGER_PROVINCES) <= set(PROVINCES)
    assert post_merger_province("Bình Dương") == "Hồ Chí Minh"
    assert post_merger_province("Hải Dương") == "Hải Phòng"
    assert post_merger_province("Hà Nội") == "Hà Nội"


def test_every_alias_points_to_one_place() -> None:
    data = json.loads(resources.files("jobinsight").joinpath("data", "vn_provinces.json").read_text("utf-8"))
    seen: dict[str, str] = {}
    for entry in [*data["provinces"], *data["other_places"]]:
        for alias in [entry["name"], *entry["aliases"]]:
            assert seen.setdefault(fold_key(alias), entry["name"]) == entry["name"], alias
            assert canonical_city(alias) == entry["name"], alias
