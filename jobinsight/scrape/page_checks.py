"""Decide whether a fetched listing page is real data before anything is stored from it.

Why: a board that blocks you still answers — with a captcha, a Cloudflare interstitial, an
"Access denied" page, an empty result list or the previous page again. Every one of those
parses to "zero jobs" or "the same jobs" and, stored as success, silently ends or corrupts a
crawl. Each page therefore gets exactly one verdict — ``ok``, ``blocked``, ``empty``,
``repeated`` or ``http_error`` — with a reason a human can act on.

Status 403/429/503 is a block whatever the body says (after the fetcher's retries and, in
``auto`` mode, its browser attempt — listed in the reason). A page whose text still holds
undecodable bytes after every charset was tried is ``undecodable``: stored, it would put
``K�� Toa�n`` into the database as success.

Real listing pages embed an invisible reCAPTCHA for their login popup, so captcha markers only
count when the page has no job cards (or came with a 403/429/503 status), and the invisible
widget itself is not a marker — otherwise the normal end of a listing would read as a block.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from jobinsight.scrape.block_detect import BLOCK_STATUSES, block_marker
from jobinsight.scrape.fetcher import FetchedPage
from jobinsight.scrape.records import RawJob

Verdict = Literal["ok", "blocked", "empty", "repeated", "http_error", "undecodable"]
VERDICTS: tuple[Verdict, ...] = ("ok", "blocked", "empty", "repeated", "http_error", "undecodable")
__all__ = ["VERDICTS", "PageVerdict", "Verdict", "block_marker", "check_listing_page"]


@dataclass(frozen=True, slots=True)
class PageVerdict:
    verdict: Verdict
    reason: str

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


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
        if page.status in BLOCK_STATUSES:
            marker = block_marker(page.text)
            what = f"HTTP {page.status} with {marker}" if marker else f"HTTP {page.status}"
            return PageVerdict("blocked", what + _tried(page))
        return PageVerdict("http_error", page.error or f"HTTP {page.status}")
    if page.body and page.decoded.replacements:
        d = page.decoded
        return PageVerdict(
            "undecodable",
            f"{d.replacements} characters could not be decoded as {d.encoding} (charset from {d.source}); "
            "the page is not stored",
        )
    if not jobs:
        marker = block_marker(page.text)
        if marker is not None:
            return PageVerdict("blocked", f"{marker} (HTTP {page.status}, no job cards){_tried(page)}")
        return PageVerdict("empty", f"no job cards (HTTP {page.status}, {page.size} bytes)")
    ids = {job.job_id for job in jobs}
    if previous_ids:
        previous = set(previous_ids)
        if ids <= previous:
            same = "the same" if ids == previous else "a subset of the"
            return PageVerdict("repeated", f"{len(ids)} job ids are {same} previous page's ({len(previous)})")
    return PageVerdict("ok", f"{len(jobs)} jobs")


def _tried(page: FetchedPage) -> str:
    """What was attempted, for the reason: "; tried http: HTTP 403; browser: blocked too"."""
    steps = list(page.tried)
    if page.via == "browser" and not any(step.startswith("browser") for step in steps):
        steps.append("browser: blocked too")
    return f"; tried {'; '.join(steps)}" if steps else f"; tried {page.via} only"
