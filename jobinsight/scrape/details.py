"""Listings -> details: which cards to follow to their detail page, and fetching those pages.

Why: detail pages are ~50x the requests of the listing (one per posting), so the crawler only
follows a card when the detail is worth having:

* the posting is new (not in raw_jobs yet, or stored without details),
* its card changed (its card hash differs from the one stored: ``raw_upsert.card_hash``),
* or its details are older than ``refresh_after``;

everything else costs no request. Details are only followed on the listing's own host (a card
linking elsewhere is counted, not fetched), and at most ``budget`` detail requests go out per
run; cards beyond it are counted as ``over_budget`` and their details wait for the next run.
Prefect-free and database-free: the caller passes what raw_jobs knows about the cards.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jobinsight.scrape.aio import blocking
from jobinsight.scrape.archive import ArchiveWriter
from jobinsight.scrape.fetcher import Fetcher, FetchSettings, open_fetcher
from jobinsight.scrape.outcome import CrawlOutcome, PageResult
from jobinsight.scrape.page_checks import PageVerdict, check_listing_page
from jobinsight.scrape.records import RawJob
from jobinsight.scrape.sources import topcv_detail
from jobinsight.scrape.urls import host_of

logger = logging.getLogger("jobinsight.scrape")

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class KnownPosting:
    """What raw_jobs holds about a posting the listing showed."""

    listing_hash: str | None
    detail_scraped_at: datetime | None


@dataclass(slots=True)
class DetailPlan:
    """The detail pages to fetch (in card order) and why the other cards need none."""

    targets: list[tuple[str, str]] = field(default_factory=list)  # (job_id, url)
    new: int = 0
    changed: int = 0
    stale: int = 0
    fresh: int = 0
    off_host: int = 0
    no_url: int = 0
    over_budget: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "details_planned": len(self.targets),
            "details_new": self.new,
            "details_changed": self.changed,
            "details_stale": self.stale,
            "details_fresh": self.fresh,
            "details_off_host": self.off_host,
            "details_no_url": self.no_url,
            "details_over_budget": self.over_budget,
        }


def plan_details(
    cards: Sequence[RawJob],
    known: Mapping[str, KnownPosting],
    *,
    listing_url: str,
    card_hash: Callable[[Mapping[str, Any]], str],
    refresh_after: timedelta,
    budget: int | None,
    now: datetime,
) -> DetailPlan:
    """Decide which cards to follow (see module docstring); ``budget=None`` means no limit."""
    plan = DetailPlan()
    host = host_of(listing_url)
    for card in cards:
        url = card.job_url
        if not url:
            plan.no_url += 1
            continue
        if host_of(url) != host:
            plan.off_host += 1
            continue
        stored = known.get(card.job_id)
        if stored is None or stored.detail_scraped_at is None:
            reason = "new"
        elif stored.listing_hash != card_hash(card.to_row()):
            reason = "changed"
        elif now - stored.detail_scraped_at >= refresh_after:
            reason = "stale"
        else:
            plan.fresh += 1
            continue
        if budget is not None and len(plan.targets) >= budget:
            plan.over_budget += 1
            continue
        setattr(plan, reason, getattr(plan, reason) + 1)
        plan.targets.append((card.job_id, url))
    return plan


@dataclass(slots=True)
class DetailCrawl:
    """Detail pages fetched and the postings read from them."""

    jobs: list[RawJob] = field(default_factory=list)
    pages: list[PageResult] = field(default_factory=list)
    fetched: int = 0
    failed: int = 0
    blocked: int = 0
    empty: int = 0
    jsonld_fallback: int = 0
    id_mismatch: int = 0
    not_fetched: int = 0
    bytes: int = 0
    retries: int = 0
    #: Detail pages the browser fetched (``auto``: a host it took over for the listing stays its).
    browser_pages: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    stopped_reason: str | None = None
    duration_s: float = 0.0

    def counts(self) -> dict[str, Any]:
        return {
            "detail_pages_fetched": self.fetched,
            "detail_pages_failed": self.failed,
            "detail_pages_blocked": self.blocked,
            "detail_pages_empty": self.empty,
            "details_jsonld_fallback": self.jsonld_fallback,
            "details_id_mismatch": self.id_mismatch,
            "details_not_fetched": self.not_fetched,
            "detail_bytes": self.bytes,
            "detail_browser_pages": self.browser_pages,
            "detail_stopped_reason": self.stopped_reason,
            "detail_duration_s": round(self.duration_s, 3),
        }


async def acrawl_details(
    targets: Sequence[tuple[str | None, str]],
    settings: FetchSettings | None = None,
    *,
    parser: Callable[..., list[RawJob]] = topcv_detail.parse_detail,
    parser_name: str = topcv_detail.PARSER_NAME,
    source: str = topcv_detail.SOURCE,
    archive: ArchiveWriter | None = None,
    progress: Progress | None = None,
    progress_every: int = 25,
    keep_bodies: bool = False,
    fetcher: Fetcher | None = None,
) -> DetailCrawl:
    """Fetch detail pages ``(expected job id or None, url)`` and read each with ``parser`` (TopCV's by default).

    A blocked page stops the crawl (the rest is counted as ``not_fetched``); a failed or empty
    page is a problem, the others still count. A page read through its JSON-LD only (a layout
    the parser does not know) is counted as ``jsonld_fallback``. Bodies are archived (when
    ``archive`` is given) and released as soon as a page is judged. ``fetcher``: the run's open
    fetcher (the listing's, on this loop: see ``fetch_session``), so one host's pacing,
    concurrency, robots.txt and browser hold across listing and detail requests; without one a
    new fetcher serves these pages. :func:`crawl_details` is the synchronous twin.
    """
    settings = fetcher.settings if fetcher is not None else (settings or FetchSettings())
    crawl = DetailCrawl()
    started = time.perf_counter()
    total = len(targets)
    batch = max(1, settings.concurrency * 4)
    async with open_fetcher(fetcher, settings) as fetcher:
        before = fetcher.stats.snapshot()
        for start in range(0, total, batch):
            if crawl.stopped_reason is not None:
                crawl.not_fetched = total - start
                break
            chunk = targets[start : start + batch]
            pages = await fetcher.fetch_many([url for _, url in chunk])
            for (expected_id, _), page in zip(chunk, pages, strict=True):
                _judge(crawl, page, expected_id, source, parser)
                result = crawl.pages[-1]
                if archive is not None and not page.robots_disallowed:
                    try:
                        result.archived_path = await asyncio.to_thread(
                            archive.write, page, source=source, parser=parser_name,
                            verdict=result.verdict,
                        )
                    except Exception as exc:  # the archive is a copy; losing it must not lose the crawl
                        logger.error("could not archive %s: %s", page.url, exc)
                if not keep_bodies:
                    page.release_body()
                done = crawl.fetched
                if progress is not None:
                    progress(done, total)
                if progress_every and (done % progress_every == 0 or done == total):
                    logger.info(
                        "details: %d/%d pages, %d postings, %d failed, %d blocked, %d JSON-LD fallback",
                        done, total, len(crawl.jobs), crawl.failed, crawl.blocked, crawl.jsonld_fallback,
                    )
        used = fetcher.stats.since(before)
        crawl.retries = used.retries
        crawl.bytes = used.bytes
        crawl.browser_pages = used.browser_pages
    crawl.duration_s = time.perf_counter() - started
    if crawl.stopped_reason is None:
        crawl.stopped_reason = "done"
    return crawl


#: The synchronous twin (same parameters, via :func:`~jobinsight.scrape.aio.blocking`); safe inside a
#: running loop. Without ``fetcher`` it opens its own for the call.
crawl_details = blocking(acrawl_details)


def _judge(crawl: DetailCrawl, page: Any, expected_id: str | None, source: str,
           parser: Callable[..., list[RawJob]]) -> None:
    crawl.fetched += 1
    jobs: list[RawJob] = []
    if page.ok and page.body:
        jobs = parser(page.body, page.final_url or page.url, fetched_at=page.fetched_at, source=source)
    verdict = check_listing_page(page, jobs, None)
    if verdict.ok and expected_id is not None and jobs and jobs[0].job_id != expected_id:
        # A redirect to another posting (or a moved page): keep the card's key so the row stays one.
        crawl.id_mismatch += 1
        jobs[0].payload["job_id_on_page"] = jobs[0].job_id
        jobs[0].job_id = expected_id
    crawl.pages.append(PageResult(page=page, verdict=verdict, jobs_found=len(jobs)))
    if verdict.ok:
        for job in jobs:
            if job.payload.get("detail_layout") == topcv_detail.LAYOUT_JSONLD:
                crawl.jsonld_fallback += 1
        crawl.jobs.extend(jobs)
        return
    if verdict.verdict == "blocked":
        crawl.blocked += 1
        if crawl.stopped_reason is None:
            crawl.stopped_reason = "blocked"
    elif verdict.verdict == "http_error":
        crawl.failed += 1
    else:
        crawl.empty += 1
    _problem(crawl, page.url, verdict)


def _problem(crawl: DetailCrawl, url: str, verdict: PageVerdict) -> None:
    crawl.problems.append({"url": url, "verdict": verdict.verdict, "reason": verdict.reason, "page": "detail"})
    logger.warning("problem detail page %s: %s (%s)", url, verdict.verdict, verdict.reason)


def merge_into(outcome: CrawlOutcome, crawl: DetailCrawl, plan: DetailPlan | None = None) -> None:
    """Add a detail crawl's postings, problems and counts to the listing crawl's outcome."""
    outcome.detail_jobs.extend(crawl.jobs)
    outcome.problems.extend(crawl.problems)
    outcome.retries += crawl.retries
    outcome.bytes += crawl.bytes
    outcome.browser_pages += crawl.browser_pages
    outcome.detail_counts.update(crawl.counts())
    if plan is not None:
        outcome.detail_counts.update(plan.counts())
