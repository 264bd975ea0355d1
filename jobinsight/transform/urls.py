"""Job and company links: repair the doubled prefixes some crawlers produce.

Why: scrapers that join a base URL with an href that is already absolute produce links like
"https://www.topcv.vnhttps://www.topcv.vn/viec-lam/…" (seen in real crawls). Such a link opens
nothing and does not group with the same job's correct link. Staging keeps the repaired link;
raw keeps what was scraped.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["repair_url"]

_SCHEME_RE = re.compile(r"https?://", re.IGNORECASE)


@lru_cache(maxsize=65_536)
def _repair(url: str) -> str:
    starts = [m.start() for m in _SCHEME_RE.finditer(url)]
    if len(starts) < 2:
        return url
    return url[starts[-1] :]  # the last absolute URL is the one the href meant


def repair_url(url: str | None) -> str | None:
    """``url`` with a doubled scheme+host prefix removed; other values unchanged (None stays None)."""
    if not isinstance(url, str):
        return None
    stripped = url.strip()
    return _repair(stripped) if stripped else None
