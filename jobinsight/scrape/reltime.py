"""Vietnamese relative times ("Cập nhật 2 giờ trước", "Đăng hôm qua") to durations.

Why: listing cards never carry a timestamp, only "N units ago" relative to when the page was
served. Turning that into an approximate aware datetime at parse time (against the page's own
``fetched_at``) is the only moment it can be done right; later the reference point is lost.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_UNITS: dict[str, timedelta] = {
    "giây": timedelta(seconds=1),
    "phút": timedelta(minutes=1),
    "giờ": timedelta(hours=1),
    "tiếng": timedelta(hours=1),
    "ngày": timedelta(days=1),
    "tuần": timedelta(weeks=1),
    "tháng": timedelta(days=30),
    "năm": timedelta(days=365),
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=30),
    "year": timedelta(days=365),
}
_AGO = re.compile(
    r"(\d{1,4})\s*(giây|phút|giờ|tiếng|ngày|tuần|tháng|năm|seconds?|minutes?|hours?|days?|weeks?|months?|years?)"
    r"\s*(?:trước|ago)",
    re.IGNORECASE,
)
_WORDS: tuple[tuple[str, timedelta], ...] = (
    ("hôm kia", timedelta(days=2)),
    ("hôm qua", timedelta(days=1)),
    ("hôm nay", timedelta(0)),
    ("vừa xong", timedelta(0)),
    ("vừa đăng", timedelta(0)),
    ("yesterday", timedelta(days=1)),
    ("today", timedelta(0)),
    ("just now", timedelta(0)),
)


def parse_ago(text: str | None) -> timedelta | None:
    """``"Cập nhật 3 ngày trước"`` -> 3 days; ``"hôm qua"`` -> 1 day; unknown -> ``None``."""
    if not text:
        return None
    lowered = text.lower()
    m = _AGO.search(lowered)
    if m:
        unit = m.group(2)
        step = _UNITS.get(unit) or _UNITS.get(unit.rstrip("s"))
        if step is not None:
            return int(m.group(1)) * step
    for word, delta in _WORDS:
        if word in lowered:
            return delta
    return None


def approx_time(text: str | None, reference: datetime) -> datetime | None:
    """``reference - parse_ago(text)`` or ``None`` when the text carries no usable time."""
    delta = parse_ago(text)
    if delta is None:
        return None
    return reference - delta
