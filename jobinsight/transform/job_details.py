"""Detail-page values as the board writes them -> staging values: experience, openings, education, work form.

Why: TopCV's general-info box says "Kinh nghiệm: 1 - 3 năm", "Số lượng tuyển: 10 người",
"Học vấn: Đại Học trở lên", "Hình thức làm việc: Toàn thời gian"; analysts filter on months,
counts and a small set of labels. Each function reads one value, never raises on odd text and
returns None for text it cannot read (a board can put anything there: the 1,250-row real crawl
has salaries in its experience column).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["EDUCATION_LEVELS", "EMPLOYMENT_TYPES", "education_level", "employment_type", "experience_months",
           "openings_count"]

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_RANGE = re.compile(_NUMBER + r"\s*(?:-|–|—|đến|to|~)\s*" + _NUMBER + r"\s*(năm|year|years|yrs?|tháng|months?)\b")
_SINGLE = re.compile(_NUMBER + r"\s*\+?\s*(năm|year|years|yrs?|tháng|months?)\b")
_NONE = re.compile(r"không yêu cầu|chưa có kinh nghiệm|không cần kinh nghiệm|no experience|not required|fresher|"
                   r"^không$|^none$")
_UNDER = re.compile(r"^(?:dưới|ít hơn|under|less than|<)")
_OVER = re.compile(r"^(?:trên|hơn|từ|tối thiểu|ít nhất|over|more than|at least|from|>)|\+")
_UP_TO = re.compile(r"^(?:tới|đến|lên đến|up to|tối đa)")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split())).lower()


def _folded(text: object) -> str | None:
    """``text`` folded for matching, or None when it is not text or is blank: every reader's first step."""
    return (_fold(text) or None) if isinstance(text, str) else None


def _first_label(folded: str | None, table: tuple[tuple[str, re.Pattern[str]], ...]) -> str | None:
    """The label of the first pattern of ``table`` found in ``folded`` (tables go most specific first)."""
    if folded is None:
        return None
    return next((label for label, pattern in table if pattern.search(folded)), None)


def _number(raw: str) -> float:
    return float(raw.replace(",", "."))


def _months(value: float, unit: str) -> int:
    return round(value * (1 if unit.startswith(("tháng", "month")) else 12))


@lru_cache(maxsize=4096)
def experience_months(text: str | None) -> tuple[int | None, int | None]:
    """(min, max) months of experience asked for; (None, None) when the text says nothing readable.

    "Không yêu cầu" -> (0, 0); "2 năm" -> (24, 24); "1 - 3 năm" -> (12, 36); "Dưới 1 năm" -> (0, 12);
    "Trên 5 năm" -> (60, None); "6 tháng" -> (6, 6).
    """
    folded = _folded(text)
    if folded is None:
        return None, None
    if _NONE.search(folded):
        return 0, 0
    m = _RANGE.search(folded)
    if m:
        low, high = _months(_number(m.group(1)), m.group(3)), _months(_number(m.group(2)), m.group(3))
        return (low, high) if low <= high else (high, low)
    m = _SINGLE.search(folded)
    if m is None:
        return None, None
    months = _months(_number(m.group(1)), m.group(2))
    if _UNDER.search(folded):
        return 0, months
    if _UP_TO.search(folded):
        return 0, months
    if _OVER.search(folded):
        return months, None
    return months, months


_OPENINGS = re.compile(r"(\d[\d.,]*)\s*(?:người|nguoi|vị trí|vi tri|people|persons?|positions?|openings?|nhân sự)?")


@lru_cache(maxsize=4096)
def openings_count(text: str | None) -> int | None:
    """Number of people hired: "10 người" -> 10, "5" -> 5; anything without a count -> None."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return int(text) if text >= 0 else None
    folded = _folded(text)
    if folded is None or "năm" in folded or "triệu" in folded or "usd" in folded:
        return None  # an experience or salary value in the wrong box
    m = _OPENINGS.search(folded)
    if m is None:
        return None
    digits = re.sub(r"[.,]", "", m.group(1))
    try:
        value = int(digits)
    except ValueError:
        return None
    return value if 0 < value < 100_000 else None


# Education labels, most demanding first (a value naming two levels gets the first found).
_EDUCATION = (
    ("doctorate", re.compile(r"tiến sĩ|tiến sỹ|doctor|phd")),
    ("master", re.compile(r"thạc sĩ|thạc sỹ|cao học|master|mba")),
    ("university", re.compile(r"đại học|cử nhân|kỹ sư|bachelor|university")),
    ("college", re.compile(r"cao đẳng|college")),
    ("vocational", re.compile(r"trung cấp|trung học nghề|nghề|vocational")),
    ("high_school", re.compile(r"trung học phổ thông|thpt|phổ thông|trung học|12/12|high school|lớp 9|lớp 12")),
    ("none", re.compile(r"không yêu cầu|không cần|not required|^none$|^any$")),
)
#: The education labels :func:`education_level` gives, most demanding first.
EDUCATION_LEVELS = tuple(label for label, _ in _EDUCATION)


@lru_cache(maxsize=4096)
def education_level(text: str | None) -> str | None:
    """"Đại Học trở lên" -> ``university``, "Cao Đẳng trở lên" -> ``college`` … (see :data:`EDUCATION_LEVELS`)."""
    return _first_label(_folded(text), _EDUCATION)


# Employment types, in the order they are tried. TopCV's "Hình thức làm việc" names either the contract ("Toàn thời gian") or,
#: since mid-2026, where the work happens ("Làm việc tại văn phòng / Onsite"): the latter is a work
#: mode (read by the enricher), not an employment type, so it gives None here.
_EMPLOYMENT = (
    ("internship", re.compile(r"thực tập|intern")),
    ("part_time", re.compile(r"bán thời gian|part[- ]?time|ngoài giờ")),
    ("full_time", re.compile(r"toàn thời gian|full[- ]?time|chính thức")),
    ("freelance", re.compile(r"freelance|tự do|cộng tác viên|ctv")),
    ("contract", re.compile(r"hợp đồng|contract(or)?\b|thời vụ")),
    ("temporary", re.compile(r"temporary|tạm thời")),
    ("other", re.compile(r"^khác$|^other$")),
)
#: The employment types :func:`employment_type` gives.
EMPLOYMENT_TYPES = tuple(label for label, _ in _EMPLOYMENT)


@lru_cache(maxsize=4096)
def employment_type(text: str | None) -> str | None:
    """"Toàn thời gian" -> ``full_time``; JSON-LD "FULL_TIME" too; a work-mode value -> None."""
    folded = _folded(text)
    return _first_label(folded and folded.replace("_", " "), _EMPLOYMENT)
