"""Salary text -> typed numbers (type, currency, period, amounts, monthly millions of VND).

Why: job boards publish salary as free text ("7.5 - 10 triệu", "Tới 2,000 USD",
"30 k - 40 k /giờ", "Thoả thuận"). Analysts need comparable numbers, so each posting is
reduced to a type, a currency, a period and the amounts in the posted unit, plus a monthly
figure in millions of VND for ranking and averaging. Anything not stated stays None (never 0),
so averages are not dragged down by unparsed rows. Salary strings repeat heavily, so the
parse is memoised.

Number grammar: a dot or comma followed by groups of exactly three digits is a thousands
separator ("1,000", "15.000.000"); otherwise it is a decimal point ("7.5", "1,5").
A bare number with no unit and no currency is read as millions of VND when below 1,000 and
as đồng from 100,000 up; in between it is ambiguous and left unparsed. A posted "0 - 0" is
TopCV's rendering of an unset (negotiable) salary, and a zero bound means "no bound".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from jobinsight.transform.text import clean_text

__all__ = ["SalaryParse", "parse_salary", "SALARY_TYPES", "SALARY_PERIODS"]

SALARY_TYPES = ("range", "upto", "from", "exact", "negotiable", "unknown")
# "day" is an addition to the four periods of the brief: Vietnamese boards post daily wages
# ("500k/ngày"), and forcing them into "month" would inflate salary_min by ~25x.
SALARY_PERIODS = ("month", "year", "hour", "piece", "day")


class SalaryParse(NamedTuple):
    """Result of :func:`parse_salary`; amounts in posted unit, salary_* in M VND / month."""

    salary_type: str
    currency: str | None
    period: str | None
    amount_min: float | None
    amount_max: float | None
    salary_min: float | None
    salary_max: float | None


UNKNOWN = SalaryParse("unknown", None, None, None, None, None, None)
NEGOTIABLE = SalaryParse("negotiable", None, None, None, None, None, None)

_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_NEGOTIABLE_RE = re.compile(
    r"th[oỏ][aả] ?thu[aậ]n|thoa thuan|thương lượng|thuong luong|cạnh tranh|canh tranh"
    r"|\bnegotiable\b|\bnegotiate\b|\bcompetitive\b|\bdeal\b|\bnego\b|\btbd\b|theo năng lực"
    r"|hấp dẫn|attractive|upon request"
)
_USD_RE = re.compile(r"usd|us\$|\$|\bđô\b|\bdollars?\b")
# One amount: optional leading currency, the number, an optional unit, an optional currency.
_AMOUNT_RE = re.compile(
    r"(?P<cur1>us\$|\$|usd)?\s*"
    r"(?<![\d.,])(?P<num>\d+(?:[.,]\d+)*)(?![\d])"
    r"\s*(?P<unit>triệu|triêu|trieu|tr|củ|million|mil|m|nghìn|nghin|ngàn|ngan|k|tỷ|tỉ|ty|billion|bn)?"
    r"(?![^\W\d_])"
    r"\s*(?P<cur2>usd|us\$|\$|vnđ|vnd|đồng|dong|đ|₫)?(?![^\W\d_])"
)
_RANGE_SEP_RE = re.compile(r"^\s*(?:-|~|đến|den|tới|toi|to|and|/)?\s*$")
_RANGE_SEP_REQUIRED_RE = re.compile(r"^\s*(?:-|~|đến|den|tới|toi|to)\s*$")
_UPTO_RE = re.compile(
    r"(?:tới|toi|đến|den|up\s*to|lên\s*(?:đến|tới)|dưới|duoi|tối\s*đa|toi\s*da|max(?:imum)?|under|below"
    r"|không\s*quá|<=?|≤)\s*[:\-]?\s*$"
)
_FROM_RE = re.compile(
    r"(?:từ|tu|trên|tren|from|hơn|hon|tối\s*thiểu|toi\s*thieu|ít\s*nhất|it\s*nhat|min(?:imum)?|over|above"
    r"|starting\s*(?:at|from)?|>=?|≥)\s*[:\-]?\s*$"
)
_PLUS_SUFFIX_RE = re.compile(r"^\s*\++\s*(?:$|[)\]/,;])")
_PERIOD_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hour", re.compile(r"/\s*(?:giờ|gio|h|hr|hour)\b|\bgiờ\b|\bhourly\b|\bper hour\b|\bhour\b")),
    ("piece", re.compile(r"/\s*(?:sp|sản phẩm|san pham|cái|piece)\b|\bsản phẩm\b|\bper piece\b")),
    ("day", re.compile(r"/\s*(?:ngày|ngay|day)\b|\bngày\b|\bdaily\b|\bper day\b")),
    ("year", re.compile(r"/\s*(?:năm|nam|year|yr|y)\b|\bnăm\b|\byearly\b|\bannual(?:ly)?\b|\bper year\b|\b/?year\b")),
    ("month", re.compile(r"/\s*(?:tháng|thang|th|month|mo)\b|\btháng\b|\bmonthly\b|\bmonth\b")),
)
_UNIT_FACTORS = {
    "triệu": 1e6, "triêu": 1e6, "trieu": 1e6, "tr": 1e6, "củ": 1e6, "million": 1e6, "mil": 1e6, "m": 1e6,
    "nghìn": 1e3, "nghin": 1e3, "ngàn": 1e3, "ngan": 1e3, "k": 1e3,
    "tỷ": 1e9, "tỉ": 1e9, "ty": 1e9, "billion": 1e9, "bn": 1e9,
}
_VND_UNITS = frozenset({"triệu", "triêu", "trieu", "tr", "củ", "tỷ", "tỉ", "ty"})
_SUB_MONTHLY = frozenset({"hour", "piece", "day"})


class _Amount(NamedTuple):
    value: float
    unit: str | None
    currency: str | None
    start: int
    end: int


_GROUPED_RE = re.compile(r"\d{1,3}(?:[.,]\d{3})+")


def _to_number(raw: str) -> float | None:
    """Read "1,000" / "15.000.000" as thousands-grouped, "7.5" / "1,5" as decimals."""
    if "." not in raw and "," not in raw:
        return float(raw)
    if _GROUPED_RE.fullmatch(raw) and len({c for c in raw if c in ".,"}) == 1:
        return float(re.sub(r"[.,]", "", raw))
    last = max(raw.rfind("."), raw.rfind(","))
    head, frac = raw[:last], raw[last + 1 :]
    if not head.isdigit() and not _GROUPED_RE.fullmatch(head):
        return None  # e.g. "1.2.3"
    return float(re.sub(r"[.,]", "", head) + "." + frac)


def _amounts(text: str) -> list[_Amount]:
    found: list[_Amount] = []
    for m in _AMOUNT_RE.finditer(text):
        value = _to_number(m.group("num"))
        if value is None:
            continue
        unit = m.group("unit")
        cur = m.group("cur1") or m.group("cur2")
        currency: str | None
        if cur is not None:
            currency = "USD" if cur in ("$", "usd", "us$") else "VND"
        elif unit in _VND_UNITS:
            currency = "VND"
        else:
            currency = None
        found.append(_Amount(value, unit, currency, m.start(), m.end()))
    return found


def _period(text: str) -> str | None:
    for name, rule in _PERIOD_RULES:
        if rule.search(text):
            return name
    return None


def _scale(amount: _Amount, currency: str, period: str | None) -> float | None:
    """Amount in posted currency's base unit (đồng or dollars), or None when ambiguous."""
    if amount.unit is not None:
        return round(amount.value * _UNIT_FACTORS[amount.unit], 4)
    if currency == "USD" or amount.currency is not None:
        return amount.value
    # A bare number in VND: read the order of magnitude.
    if period in _SUB_MONTHLY:
        return amount.value * 1e3 if amount.value < 1000 else amount.value
    if amount.value < 1000:
        return amount.value * 1e6
    if amount.value >= 100_000:
        return amount.value
    return None


def _monthly_millions(value: float | None, currency: str, period: str, usd_rate: float) -> float | None:
    if value is None or period in _SUB_MONTHLY:
        return None
    vnd = value * usd_rate if currency == "USD" else value
    if period == "year":
        vnd /= 12.0
    return round(vnd / 1e6, 6)


@lru_cache(maxsize=65_536)
def _parse_cached(text: str, usd_rate: float) -> SalaryParse:
    s = _DASHES.sub("-", text.lower())
    amounts = _amounts(s)
    if not amounts:
        return NEGOTIABLE if _NEGOTIABLE_RE.search(s) else UNKNOWN

    text_currency = "USD" if _USD_RE.search(s) else None
    first = amounts[0]
    second: _Amount | None = None
    if len(amounts) >= 2 and _RANGE_SEP_REQUIRED_RE.match(s[first.end : amounts[1].start]):
        second = amounts[1]
        # Unit/currency written once for both bounds ("10 - 15 triệu", "$ 1,000-2,000").
        if first.unit is None and first.currency is None:
            first = first._replace(unit=second.unit, currency=second.currency)
        elif second.unit is None and second.currency is None:
            second = second._replace(unit=first.unit, currency=first.currency)
        if first.currency and second.currency and first.currency != second.currency:
            second = None
    currency = first.currency or (second.currency if second else None) or text_currency or "VND"
    period = _period(s) or "month"

    low = _scale(first, currency, period)
    high = _scale(second, currency, period) if second is not None else None
    if low is None and (second is None or high is None):
        return NEGOTIABLE if _NEGOTIABLE_RE.search(s) else UNKNOWN

    prefix = s[: first.start]
    if second is not None:
        low = low or None  # a zero bound means "no bound"
        high = high or None
        if low is None and high is None:
            return NEGOTIABLE
        if low is not None and high is not None:
            if low > high:
                low, high = high, low
            kind = "exact" if low == high else "range"
        elif high is not None:
            kind = "upto"
        else:
            kind = "from"
    else:
        if not low:
            return NEGOTIABLE
        tail = s[first.end :]
        if _UPTO_RE.search(prefix):
            kind, high, low = "upto", low, None
        elif _FROM_RE.search(prefix) or _PLUS_SUFFIX_RE.match(tail):
            kind = "from"
        else:
            kind, high = "exact", low
    return SalaryParse(
        kind,
        currency,
        period,
        low,
        high,
        _monthly_millions(low, currency, period, usd_rate),
        _monthly_millions(high, currency, period, usd_rate),
    )


def parse_salary(text: str | None, usd_rate: float = 25_000.0) -> SalaryParse:
    """Parse a posted salary string; never raises, unknown/garbage gives type ``unknown``."""
    cleaned = clean_text(text)
    if cleaned is None:
        return UNKNOWN
    return _parse_cached(cleaned, float(usd_rate))
