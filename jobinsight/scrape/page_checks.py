"""Decide whether a fetched listing page is real data before anything is stored from it.

Why: a board that blocks you still answers — with a captcha, a Cloudflare interstitial, an
"Access denied" page, an empty result list or the previous page again. Every one of those
parses to "zero jobs" or "the same jobs" and, stored as success, silently ends or corrupts a
crawl. Each page therefore gets exactly one verdict — ``ok``, ``blocked``, ``empty``,
``repeated`` or ``http_error`` — with a reason a human can act on.

Real listing pages embed an invisible reCAPTCHA for their login popup, so captcha markers only
count when the page has no job cards (or came with a 403/429/503 status), and the invisible
widget itself is not a marker — otherwise the normal end of a listing would read as a block.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from jobinsight.scrape.fetcher import FetchedPage
from jobinsight.scrape.records import RawJob

Verdict = Literal["ok", "blocked", "empty", "repeated", "http_error"]
VERDICTS: tuple[Verdict, ...] = ("ok", "blocked", "empty", "repeated", "http_error")


def _compile(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern, re.IGNORECASE), label) for pattern, label in pairs)


#: Markers that only appear on interstitial / challenge pages.
_STRONG_MARKERS = _compile(
    (
        (r"<title>\s*just a moment", "Cloudflare 'Just a moment' interstitial"),
        (r"attention required!?\s*\|\s*cloudflare", "Cloudflare 'Attention Required' page"),
        (r"cf-chl-|/cdn-cgi/challenge-platform|cf-browser-verification|cf_chl_opt", "Cloudflare challenge"),
        (r"bạn đã gửi quá nhiều yêu cầu", "rate-limit page ('Bạn đã gửi quá nhiều yêu cầu')"),
        (r"<title>[^<]{0,80}access denied|<h1>[^<]{0,80}access denied", "'Access denied' page"),
        (r"h-captcha|hcaptcha\.com", "hCaptcha challenge"),
        (r"cf-turnstile|challenges\.cloudflare\.com/turnstile", "Cloudflare Turnstile challenge"),
        (r"are you a robot|verify you are human|không phải (là )?robot", "bot check page"),
    )
)
#: Markers that also appear on normal pages (TopCV embeds an invisible reCAPTCHA for its login
#: popup), so they only count after those benign uses are removed.
_WEAK_MARKERS = _compile(
    (
        (r"g-recaptcha|recaptcha/api|grecaptcha", "reCAPTCHA challenge"),
        (r"captcha", "captcha page"),
        (r"access denied", "'Access denied' text"),
    )
)
_BENIGN = re.compile(
    r"<[^>]*\bdata-size\s*=\s*[\"']invisible[\"'][^>]*>"  # invisible reCAPTCHA widget
    r"|[A-Za-z_]*recaptcha_site_key"  # its site-key variable
    r"|recaptcha/(?:api|enterprise)\.js\?render="  # reCAPTCHA v3 (always invisible)
    r"|grecaptcha\.(?:ready|execute)",
    re.IGNORECASE,
)
_SCAN_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class PageVerdict:
    verdict: Verdict
    reason: str

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


def block_marker(text: str) -> str | None:
    """The label of the block/captcha marker found in ``text``, else ``None``."""
    head = text[:_SCAN_CHARS]
    for pattern, label in _STRONG_MARKERS:
        if pattern.search(head):
            return label
    cleaned = _BENIGN.sub(" ", head)
    for pattern, label in _WEAK_MARKERS:
        if pattern.search(cleaned):
            return label
    return None


def check_listing_page(
    page: FetchedPage,
    jobs: Sequence[RawJob],
    previous_ids: Collection[str] | None = None,
) -> PageVerdict:
    """Classify one listing page given what was parsed from it and the previous page's job ids."""
    if page.robots_disallowed:
        return PageVerdict("http_error", page.error or "disallowed by robots.txt")
    if page.status is None:
        return PageVerdict("http_error", page.error or "no response")
    if page.status >= 400 or page.error is not None:
        marker = block_marker(page.text) if page.status in (403, 429, 503) else None
        if marker is not None:
            return PageVerdict("blocked", f"HTTP {page.status} with {marker}")
        return PageVerdict("http_error", page.error or f"HTTP {page.status}")
    if not jobs:
        marker = block_marker(page.text)
        if marker is not None:
            return PageVerdict("blocked", f"{marker} (HTTP {page.status}, no job cards)")
        return PageVerdict("empty", f"no job cards (HTTP {page.status}, {page.size} bytes)")
    ids = {job.job_id for job in jobs}
    if previous_ids:
        previous = set(previous_ids)
        if ids <= previous:
            same = "the same" if ids == previous else "a subset of the"
            return PageVerdict("repeated", f"{len(ids)} job ids are {same} previous page's ({len(previous)})")
    return PageVerdict("ok", f"{len(jobs)} jobs")
