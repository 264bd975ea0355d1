"""Salary parsing on the shapes real Vietnamese boards publish."""

from __future__ import annotations

import unicodedata

import pytest

from jobinsight.transform.salary import SalaryParse, parse_salary


def _shape(text: str, usd_rate: float = 25_000.0) -> tuple:
    return tuple(parse_salary(text, usd_rate))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 - 15 triệu", ("range", "VND", "month", 10e6, 15e6, 10.0, 15.0)),
        ("7.5 - 10 triệu", ("range", "VND", "month", 7.5e6, 10e6, 7.5, 10.0)),
        ("56.4 - 77.3 triệu", ("range", "VND", "month", 56.4e6, 77.3e6, 56.4, 77.3)),
        ("Từ 15 triệu", ("from", "VND", "month", 15e6, None, 15.0, None)),
        ("Tới 20 triệu", ("upto", "VND", "month", None, 20e6, None, 20.0)),
        ("Trên 30 triệu", ("from", "VND", "month", 30e6, None, 30.0, None)),
        ("Dưới 10 triệu", ("upto", "VND", "month", None, 10e6, None, 10.0)),
        ("1,000 - 2,500 USD", ("range", "USD", "month", 1000.0, 2500.0, 25.0, 62.5)),
        ("Tới 2,000 USD", ("upto", "USD", "month", None, 2000.0, None, 50.0)),
        ("Từ 900 USD", ("from", "USD", "month", 900.0, None, 22.5, None)),
        ("$ 1,000-2,000 /tháng", ("range", "USD", "month", 1000.0, 2000.0, 25.0, 50.0)),
        ("20tr-30tr ₫/tháng", ("range", "VND", "month", 20e6, 30e6, 20.0, 30.0)),
        ("300 - 480 triệu /năm", ("range", "VND", "year", 300e6, 480e6, 25.0, 40.0)),
        ("Up to 40", ("upto", "VND", "month", None, 40e6, None, 40.0)),
        ("Upto $2000", ("upto", "USD", "month", None, 2000.0, None, 50.0)),
        ("15 triệu", ("exact", "VND", "month", 15e6, 15e6, 15.0, 15.0)),
        ("15.000.000 VND", ("exact", "VND", "month", 15e6, 15e6, 15.0, 15.0)),
        ("1.000.000", ("exact", "VND", "month", 1e6, 1e6, 1.0, 1.0)),
        ("1,5 triệu", ("exact", "VND", "month", 1.5e6, 1.5e6, 1.5, 1.5)),
        ("15.000.000 - 20.000.000", ("range", "VND", "month", 15e6, 20e6, 15.0, 20.0)),
        ("1.5k - 2k USD", ("range", "USD", "month", 1500.0, 2000.0, 37.5, 50.0)),
    ],
)
def test_monthly_shapes(text: str, expected: tuple) -> None:
    assert _shape(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "kind", "period", "amounts"),
    [
        ("30 k - 40 k /giờ", "range", "hour", (30_000.0, 40_000.0)),
        ("25 k - 40 k /giờ", "range", "hour", (25_000.0, 40_000.0)),
        ("Tới 5 k /sp", "upto", "piece", (None, 5_000.0)),
        ("500k/ngày", "exact", "day", (500_000.0, 500_000.0)),
    ],
)
def test_sub_monthly_rates_keep_amounts_but_no_monthly_figure(
    text: str, kind: str, period: str, amounts: tuple
) -> None:
    parsed = parse_salary(text)
    assert (parsed.salary_type, parsed.currency, parsed.period) == (kind, "VND", period)
    assert (parsed.amount_min, parsed.amount_max) == amounts
    assert parsed.salary_min is None and parsed.salary_max is None


@pytest.mark.parametrize(
    "text",
    ["Thoả thuận", "Thỏa thuận", "THỎA THUẬN", "  thoả   thuận ", "Thương lượng", "Cạnh tranh", "Negotiable",
     "Lương thỏa thuận theo năng lực"],
)
def test_negotiable_spellings(text: str) -> None:
    assert parse_salary(text) == SalaryParse("negotiable", None, None, None, None, None, None)


def test_nfd_decomposed_text_is_normalised_first() -> None:
    decomposed = unicodedata.normalize("NFD", "Thoả thuận")
    assert decomposed != "Thoả thuận"
    assert parse_salary(decomposed).salary_type == "negotiable"
    assert parse_salary(unicodedata.normalize("NFD", "Từ 15 triệu")).amount_min == 15e6


def test_zero_bounds_are_not_amounts() -> None:
    # TopCV renders an unset salary as "0.0 - 0.0 triệu" and an open lower bound as 0.
    assert parse_salary("0.0 - 0.0 triệu").salary_type == "negotiable"
    upto = parse_salary("0.0 - 48 triệu")
    assert (upto.salary_type, upto.amount_min, upto.salary_max) == ("upto", None, 48.0)


def test_equal_bounds_are_an_exact_amount() -> None:
    assert _shape("4.0 - 4 triệu") == ("exact", "VND", "month", 4e6, 4e6, 4.0, 4.0)


def test_reversed_bounds_are_ordered() -> None:
    parsed = parse_salary("20 - 10 triệu")
    assert (parsed.amount_min, parsed.amount_max) == (10e6, 20e6)


def test_usd_rate_is_applied() -> None:
    assert parse_salary("1,000 USD", usd_rate=26_000).salary_min == pytest.approx(26.0)


def test_first_currency_wins_over_a_converted_hint() -> None:
    parsed = parse_salary("15 triệu (~600 USD)")
    assert (parsed.salary_type, parsed.currency, parsed.salary_min) == ("exact", "VND", 15.0)


@pytest.mark.parametrize("text", [None, "", "   ", "garbage", "xyz abc", "5000", "lương tháng", float("nan")])
def test_unknown_is_none_never_zero(text: object) -> None:
    parsed = parse_salary(text)  # type: ignore[arg-type]
    assert parsed.salary_type == "unknown"
    assert parsed.salary_min is None and parsed.salary_max is None
    assert parsed.amount_min is None and parsed.amount_max is None


def test_parse_is_memoised_per_text() -> None:
    assert parse_salary("12 - 18 triệu") is parse_salary("12 - 18 triệu")
