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

Currencies, periods and units (non-Vietnamese boards): "$53K" is 53,000 dollars; any ISO
currency code or symbol is read (USD, AUD, EUR, GBP, SGD, JPY, ...; "A$", "€", "£"); an explicit
Vietnamese unit ("tr", "triệu", "₫") wins over a stray "$" ("$ 65tr-80tr /tháng" is VND). The
period is the one stated ("/tháng", "Per Hour", "/năm", "/tuần"); when none is stated, a
dollar-like amount of 20,000 or more is yearly (US/AU/EU boards quote annual pay, Vietnamese
boards never post a monthly 20,000 USD) and one of 200 or less is hourly. "-1", "N/A" and
"Sign in to view salary" mean no salary (unknown). Board labels ("Employer Provided Salary:",
"(Glassdoor est.)") are dropped. Amounts keep their own currency; the monthly figure in millions
of VND is filled only for VND, USD (``usd_rate``) and currencies with a configured rate
(``fx_rates``, e.g. JOBINSIGHT_FX_RATES="AUD=16500,EUR=27000"); no network lookup.

``suspect`` flags a monthly figure outside the plausible band (1 to 1,000 million VND): it is
kept, so it can be inspected, but analysts can leave it out of averages.

:func:`salary_from_text` finds a salary stated in a description ("The base salary range is
between $148,200 and $239,800") for postings with no structured salary.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from jobinsight.transform.text import clean_text

__all__ = [
    "PLAUSIBLE_MONTHLY_M_VND", "SalaryParse", "parse_fx_rates", "parse_salary", "salary_from_text", "SALARY_TYPES",
    "SALARY_PERIODS",
]

SALARY_TYPES = ("range", "upto", "from", "exact", "negotiable", "unknown")
# "day" is an addition to the four periods of the brief: Vietnamese boards post daily wages
# ("500k/ngày"), and forcing them into "month" would inflate salary_min by ~25x.
SALARY_PERIODS = ("month", "year", "hour", "piece", "day", "week")
#: Monthly salaries (millions of VND) outside this band are flagged ``suspect``.
PLAUSIBLE_MONTHLY_M_VND = (1.0, 1000.0)


class SalaryParse(NamedTuple):
    """Result of :func:`parse_salary`; amounts in posted unit, salary_* in M VND / month."""

    salary_type: str
    currency: str | None
    period: str | None
    amount_min: float | None
    amount_max: float | None
    salary_min: float | None
    salary_max: float | None

    @property
    def suspect(self) -> bool:
        """A monthly figure outside :data:`PLAUSIBLE_MONTHLY_M_VND` (kept, but not to be averaged blindly)."""
        return _suspect(self.salary_min, self.salary_max)


UNKNOWN = SalaryParse("unknown", None, None, None, None, None, None)
NEGOTIABLE = SalaryParse("negotiable", None, None, None, None, None, None)
# Board placeholders for "no salary given".
_NO_SALARY_RE = re.compile(
    r"^\s*(?:-1(?:\.0+)?|-|–|n/?a|none|null|nan|not (?:disclosed|specified|available|provided)|undisclosed"
    r"|sign in to view salary|salary not (?:disclosed|available|specified)|không hiển thị)\s*$",
    re.IGNORECASE,
)
_BOARD_LABEL_RE = re.compile(
    r"employer provided salary\s*:?|\(\s*(?:glassdoor|employer|indeed)\s+est\.?\s*\)|glassdoor est\.?"
    r"|estimated salary\s*:?|salary\s*:\s*",
    re.IGNORECASE,
)
_CURRENCY_SYMBOLS = {
    "us$": "USD", "$": "USD", "usd": "USD", "a$": "AUD", "au$": "AUD", "aud": "AUD", "c$": "CAD", "ca$": "CAD",
    "cad": "CAD", "s$": "SGD", "sgd": "SGD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP", "¥": "JPY",
    "jpy": "JPY", "yên": "JPY", "krw": "KRW", "₩": "KRW", "won": "KRW", "cny": "CNY", "rmb": "CNY", "nhân dân tệ": "CNY",
    "hkd": "HKD", "twd": "TWD", "ntd": "TWD", "thb": "THB", "myr": "MYR", "inr": "INR", "₹": "INR", "chf": "CHF",
    "nzd": "NZD", "php": "PHP", "idr": "IDR", "sek": "SEK", "nok": "NOK", "dkk": "DKK", "pln": "PLN",
    "vnđ": "VND", "vnd": "VND", "đồng": "VND", "dong": "VND", "đ": "VND", "₫": "VND",
}
# Currencies whose annual pay is >= 20,000 and hourly pay <= 200 (the period heuristic applies).
_DOLLAR_LIKE = frozenset({"USD", "AUD", "CAD", "SGD", "EUR", "GBP", "CHF", "NZD"})

_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_NEGOTIABLE_RE = re.compile(
    r"th[oỏ][aả] ?thu[aậ]n|thoa thuan|thương lượng|thuong luong|cạnh tranh|canh tranh"
    r"|\bnegotiable\b|\bnegotiate\b|\bcompetitive\b|\bdeal\b|\bnego\b|\btbd\b|theo năng lực"
    r"|hấp dẫn|attractive|upon request"
)
_USD_RE = re.compile(r"usd|us\$|\$|\bđô\b|\bdollars?\b")
_CUR_ALT = (
    r"us\$|au\$|ca\$|a\$|c\$|s\$|\$|€|£|¥|₩|₹|usd|aud|cad|sgd|eur|gbp|jpy|krw|cny|rmb|hkd|twd|ntd|thb|myr|inr|chf|nzd"
    r"|php|idr|sek|nok|dkk|pln"
)
_TEXT_CURRENCY_RE = re.compile(rf"(?<![a-z])(?:{_CUR_ALT}|yên|won|nhân dân tệ)(?![a-z])")
# One amount: optional leading currency, the number, an optional unit, an optional currency.
_AMOUNT_RE = re.compile(
    rf"(?P<cur1>{_CUR_ALT})?\s*"
    r"(?<![\d.,])(?P<num>\d+(?:[.,]\d+)*)(?![\d])"
    r"\s*(?P<unit>triệu|triêu|trieu|tr|củ|million|mil|m|nghìn|nghin|ngàn|ngan|k|tỷ|tỉ|ty|billion|bn)?"
    r"(?![^\W\d_])"
    rf"\s*(?P<cur2>{_CUR_ALT}|vnđ|vnd|đồng|dong|đ|₫)?(?![^\W\d_])"
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
    ("hour", re.compile(r"/\s*(?:giờ|gio|h|hr|hour)\b|\bgiờ\b|\bhourly\b|\bper hour\b|\bhour\b|\ban hour\b")),
    ("piece", re.compile(r"/\s*(?:sp|sản phẩm|san pham|cái|piece)\b|\bsản phẩm\b|\bper piece\b")),
    ("day", re.compile(r"/\s*(?:ngày|ngay|day)\b|\bngày\b|\bdaily\b|\bper day\b")),
    ("week", re.compile(r"/\s*(?:tuần|tuan|week|wk)\b|\btuần\b|\bweekly\b|\bper week\b|\ba week\b")),
    ("year", re.compile(r"/\s*(?:năm|nam|year|yr|y)\b|\bnăm\b|\byearly\b|\bannual(?:ly)?\b|\bper year\b|\b/?year\b"
                        r"|\ba year\b|\bper annum\b|\bp\.?a\.?$")),
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
        if unit in _VND_UNITS:
            currency = "VND"  # "tr"/"triệu" is Vietnamese money whatever stray "$" stands next to it
        elif cur is not None:
            currency = _CURRENCY_SYMBOLS.get(cur, "VND")
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
    """Amount in posted currency's base unit (đồng, dollars, euros...), or None when ambiguous."""
    if amount.unit is not None:
        return round(amount.value * _UNIT_FACTORS[amount.unit], 4)
    if currency != "VND" or amount.currency is not None:
        return amount.value
    # A bare number in VND: read the order of magnitude.
    if period in _SUB_MONTHLY:
        return amount.value * 1e3 if amount.value < 1000 else amount.value
    if amount.value < 1000:
        return amount.value * 1e6
    if amount.value >= 100_000:
        return amount.value
    return None


def _monthly_millions(
    value: float | None, currency: str, period: str, usd_rate: float, fx_rates: tuple[tuple[str, float], ...]
) -> float | None:
    if value is None or period in _SUB_MONTHLY:
        return None
    if currency == "VND":
        rate: float | None = 1.0
    elif currency == "USD":
        rate = usd_rate
    else:
        rate = dict(fx_rates).get(currency)
    if rate is None:
        return None  # no configured rate: the amount stays in its own currency only
    vnd = value * rate
    if period == "year":
        vnd /= 12.0
    elif period == "week":
        vnd *= 52.0 / 12.0
    return round(vnd / 1e6, 6)


def _suspect(low: float | None, high: float | None) -> bool:
    lo, hi = PLAUSIBLE_MONTHLY_M_VND
    return any(v is not None and not lo <= v <= hi for v in (low, high))


@lru_cache(maxsize=65_536)
def _parse_cached(text: str, usd_rate: float, fx_rates: tuple[tuple[str, float], ...] = ()) -> SalaryParse:
    if _NO_SALARY_RE.match(text):
        return UNKNOWN
    s = _DASHES.sub("-", text.lower())
    if "est" in s or "salary" in s:
        s = _BOARD_LABEL_RE.sub(" ", s).strip()
        if not s or _NO_SALARY_RE.match(s):
            return UNKNOWN
    amounts = _amounts(s)
    if not amounts:
        return NEGOTIABLE if _NEGOTIABLE_RE.search(s) else UNKNOWN

    if any(a.unit in _VND_UNITS for a in amounts):
        text_currency: str | None = "VND"
    else:
        found = _TEXT_CURRENCY_RE.search(s)
        text_currency = _CURRENCY_SYMBOLS.get(found.group(), None) if found else None
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
    period = _period(s) or _default_period(first, second, currency)

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
    monthly_low = _monthly_millions(low, currency, period, usd_rate, fx_rates)
    monthly_high = _monthly_millions(high, currency, period, usd_rate, fx_rates)
    return SalaryParse(kind, currency, period, low, high, monthly_low, monthly_high)


def _default_period(first: _Amount, second: _Amount | None, currency: str) -> str:
    """The period when none is stated: month, except dollar-like annual (>= 20,000) or hourly (<= 200) pay."""
    if currency not in _DOLLAR_LIKE:
        return "month"
    values = [a.value * (_UNIT_FACTORS[a.unit] if a.unit else 1.0) for a in (first, second) if a is not None]
    top = max(values)
    if top >= 20_000:
        return "year"
    if top <= 200:
        return "hour"
    return "month"


def parse_fx_rates(text: str | None) -> tuple[tuple[str, float], ...]:
    """``"AUD=16500,EUR=27000"`` -> (("AUD", 16500.0), ("EUR", 27000.0)): VND per unit of each currency.

    Raises ValueError naming the bad entry, so a typo in JOBINSIGHT_FX_RATES fails loudly.
    """
    if not text or not text.strip():
        return ()
    out: dict[str, float] = {}
    for entry in re.split(r"[,;\s]+", text.strip()):
        if not entry:
            continue
        code, sep, value = entry.partition("=")
        code = code.strip().upper()
        try:
            rate = float(value)
        except ValueError:
            rate = -1.0
        if not sep or not re.fullmatch(r"[A-Z]{3}", code) or rate <= 0:
            raise ValueError(
                f"JOBINSIGHT_FX_RATES entry {entry!r} is not CODE=RATE: write ISO currency codes with the VND "
                "value of one unit, separated by commas, e.g. JOBINSIGHT_FX_RATES=\"AUD=16500,EUR=27000\"."
            )
        out[code] = rate
    return tuple(sorted(out.items()))


def parse_salary(
    text: str | None, usd_rate: float = 25_000.0, fx_rates: tuple[tuple[str, float], ...] = ()
) -> SalaryParse:
    """Parse a posted salary string; never raises, unknown/garbage gives type ``unknown``."""
    cleaned = clean_text(text)
    if cleaned is None:
        return UNKNOWN
    return _parse_cached(cleaned, float(usd_rate), tuple(fx_rates))


# A salary stated in free text: a pay cue, then within one sentence a range or a single amount
# with a currency ("The base salary range ... is between $148,200 and $239,800", "mức lương 15-20 triệu").
_TEXT_CUE_RE = re.compile(
    r"(?:salary|salaries|base pay|pay range|pay rate|compensation|wage|hourly rate|annual pay|mức lương|lương"
    r"|thu nhập|income)",
    re.IGNORECASE,
)
_NUM = r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_MONEY = rf"(?:{_CUR_ALT})\s*(?:{_NUM})\s*(?:k|m|triệu|tr)?|(?:{_NUM})\s*(?:k|m|triệu|tr)?\s*(?:{_CUR_ALT}|vnđ|vnd|triệu|tr)"
_TEXT_SALARY_RE = re.compile(
    rf"(?P<amount>(?:between\s+|from\s+|từ\s+)?(?:(?:{_MONEY})(?:\s*(?:-|–|to|and|đến|tới)\s*(?:{_MONEY}|(?:{_NUM})\s*(?:k|m)?))?"
    rf"|(?:{_NUM})\s*(?:-|–|to|and|đến|tới)\s*(?:{_MONEY})))",
    re.IGNORECASE,
)
_SENTENCE_END_RE = re.compile(r"(?<!\d)[.!?](?!\d)|\n|;")
_TEXT_PERIOD_HINTS = (
    (re.compile(r"\b(?:per hour|an hour|hourly|/\s*hr|/\s*hour|theo giờ|/giờ)\b", re.IGNORECASE), " /hour"),
    (re.compile(r"\b(?:per year|a year|annual(?:ly)?|yearly|per annum|/\s*yr|/\s*year|/năm|một năm)\b", re.IGNORECASE), " /year"),
    (re.compile(r"\b(?:per month|a month|monthly|/\s*month|/tháng|hàng tháng|mỗi tháng)\b", re.IGNORECASE), " /month"),
)


@lru_cache(maxsize=4096)
def _salary_from_text_cached(text: str, usd_rate: float, fx_rates: tuple[tuple[str, float], ...]) -> SalaryParse | None:
    for cue in _TEXT_CUE_RE.finditer(text):
        window = text[cue.start() : cue.start() + 300]
        end = _SENTENCE_END_RE.search(window, cue.end() - cue.start())
        sentence = window[: end.start()] if end else window
        m = _TEXT_SALARY_RE.search(sentence)
        if m is None:
            continue
        snippet = m.group("amount").replace("between", "").replace("and", "-")
        for pattern, hint in _TEXT_PERIOD_HINTS:
            if pattern.search(sentence):
                snippet += hint
                break
        found = _parse_cached(clean_text(snippet) or snippet, usd_rate, fx_rates)
        if found.salary_type not in ("unknown", "negotiable"):
            return found
    return None


def salary_from_text(
    text: str | None, usd_rate: float = 25_000.0, fx_rates: tuple[tuple[str, float], ...] = ()
) -> SalaryParse | None:
    """A salary stated in a description (first pay sentence with an amount), or None."""
    if not isinstance(text, str) or not text or _TEXT_CUE_RE.search(text) is None:
        return None
    return _salary_from_text_cached(text, float(usd_rate), tuple(fx_rates))
