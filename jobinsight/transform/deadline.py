"""Application deadline text -> timezone-aware datetime (Asia/Ho_Chi_Minh).

Why: sources state the deadline as a date ("30/06/2026", "2026-06-30"), as a countdown
relative to when the page was crawled ("Còn 12 ngày", "12"), or as a sentence holding both
("Hạn nộp hồ sơ: 30/06/2026 (Còn 71 ngày)"). The reference pipeline cast the text to a number
and one such value aborted the whole batch; here every shape is read, a stated date wins over a
countdown, and anything else (including impossible dates like 31/02) is None, never an error.

A date without a time means the end of that day in Vietnam (23:59:59 +07:00). Naive datetimes
(for ``crawled_at``/``now``) are taken as UTC, the way PostgreSQL ``timestamp`` values are stored.

``parse_deadline_spec`` separates the text grammar (memoised per distinct text) from resolving a
countdown against ``crawled_at``, so a batch can parse each distinct text once and resolve the
countdowns column-wise.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import NamedTuple

from jobinsight.transform.text import clean_text

__all__ = [
    "VN_TZ",
    "DeadlineSpec",
    "parse_deadline",
    "parse_deadline_spec",
    "resolve_deadline",
    "time_remaining_text",
]


def _vn_tz() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Ho_Chi_Minh")
    except Exception:  # pragma: no cover - only without tzdata; Vietnam has had no DST since 1975
        return timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


VN_TZ = _vn_tz()
END_OF_DAY = time(23, 59, 59)
_MIN_YEAR, _MAX_YEAR = 2000, 2100
_MAX_DAYS = 3650


class DeadlineSpec(NamedTuple):
    """What a deadline text says: an absolute moment, or N days/hours after the crawl."""

    kind: str  # "at" | "days" | "hours"
    at: datetime | None = None
    count: int = 0


_ISO_RE = re.compile(
    r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[t ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?\s*(z|[+-]\d{2}(?::?\d{2})?)?)?(?!\d)"
)
_DMY_RE = re.compile(
    r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/.-])(?:\s*(?:lúc\s*)?(\d{1,2})[:h](\d{2}))?"
)
_DAYS_ONLY_RE = re.compile(r"(\d{1,5})(?:\.0+)?")
_DAYS_RE = re.compile(r"(?<![\d/.:-])(\d{1,5})\s*(?:ngày|ngay|days?)(?![^\W\d_])")
_HOURS_RE = re.compile(r"(?<![\d/.:-])(\d{1,5})\s*(?:giờ|gio|hours?)(?![^\W\d_])")


def _local_datetime(y: int, m: int, d: int, t: time | None) -> datetime | None:
    if not _MIN_YEAR <= y <= _MAX_YEAR:
        return None
    try:
        day = date(y, m, d)
    except ValueError:
        return None
    return datetime.combine(day, t or END_OF_DAY, tzinfo=VN_TZ)


def _iso(m: re.Match[str]) -> datetime | None:
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if m.group(4) is None:
        return _local_datetime(y, mo, d, None)
    try:
        frac = (m.group(7) or "0").ljust(6, "0")
        t = time(int(m.group(4)), int(m.group(5)), int(m.group(6) or 0), int(frac))
    except ValueError:
        return None
    moment = _local_datetime(y, mo, d, t)
    offset = m.group(8)
    if moment is None or offset is None:
        return moment
    if offset == "z":
        return moment.replace(tzinfo=UTC)
    sign = 1 if offset[0] == "+" else -1
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        return None
    return moment.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))


def _dmy(m: re.Match[str]) -> datetime | None:
    d, mo, y = int(m.group(1)), int(m.group(3)), m.group(4)
    year = int(y) + 2000 if len(y) == 2 else int(y)
    t = None
    if m.group(5) is not None:
        try:
            t = time(int(m.group(5)), int(m.group(6)))
        except ValueError:
            return None
    return _local_datetime(year, mo, d, t)


@lru_cache(maxsize=65_536)
def _spec_cached(text: str) -> DeadlineSpec | None:
    s = text.lower()
    iso = _ISO_RE.search(s)
    dmy = _DMY_RE.search(s)
    if iso or dmy:
        # The first stated date wins; an impossible date is None rather than a guess.
        use_iso = iso is not None and (dmy is None or iso.start() <= dmy.start())
        moment = _iso(iso) if use_iso else _dmy(dmy)  # type: ignore[arg-type]
        return DeadlineSpec("at", moment) if moment is not None else None
    bare = _DAYS_ONLY_RE.fullmatch(s)
    days = bare or _DAYS_RE.search(s)
    if days is not None:
        n = int(days.group(1))
        return DeadlineSpec("days", None, n) if n <= _MAX_DAYS else None
    hours = _HOURS_RE.search(s)
    if hours is not None:
        n = int(hours.group(1))
        return DeadlineSpec("hours", None, n) if n <= _MAX_DAYS * 24 else None
    return None


def parse_deadline_spec(text: str | None) -> DeadlineSpec | None:
    """The text-only half of :func:`parse_deadline` (no crawl time needed)."""
    cleaned = clean_text(text)
    if cleaned is None:
        return None
    return _spec_cached(cleaned)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def resolve_deadline(spec: DeadlineSpec | None, crawled_at: datetime | None) -> datetime | None:
    """Turn a spec into a moment; countdowns need ``crawled_at`` (None without it)."""
    if spec is None:
        return None
    if spec.kind == "at":
        return spec.at
    if not isinstance(crawled_at, datetime):
        return None
    try:
        base = _aware(crawled_at).astimezone(VN_TZ)
    except (ValueError, OverflowError):  # NaT and out-of-range values
        return None
    if spec.kind == "hours":
        return base + timedelta(hours=spec.count)
    return datetime.combine(base.date() + timedelta(days=spec.count), END_OF_DAY, tzinfo=VN_TZ)


def parse_deadline(text: str | None, crawled_at: datetime | None) -> datetime | None:
    """Parse a deadline text into an aware datetime, or None when it states no valid date."""
    return resolve_deadline(parse_deadline_spec(text), crawled_at)


def time_remaining_text(due: datetime | None, now: datetime) -> str | None:
    """"Còn N ngày" (calendar days in Vietnam) or "Hết hạn"; None without a due date.

    The staging view computes the live value in SQL; this mirrors it for run summaries.
    """
    if not isinstance(due, datetime):
        return None
    due_aware, now_aware = _aware(due), _aware(now)
    if due_aware < now_aware:
        return "Hết hạn"
    days = (due_aware.astimezone(VN_TZ).date() - now_aware.astimezone(VN_TZ).date()).days
    return f"Còn {days} ngày"
