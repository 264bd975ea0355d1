"""The ``archive`` source: re-parse saved pages without touching the network.

Why: after a parser fix (or to back-fill a new column) the pages already on disk are re-read
with the parser recorded in each sidecar, giving the same ``CrawlOutcome`` a live crawl gives,
so the raw upsert downstream cannot tell the difference. Pages archived as blocked, empty,
repeated or failed stay out of the rows, exactly as they did on the day they were fetched.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import Any

from jobinsight.scrape.archive import ArchivedPage, iter_archive
from jobinsight.scrape.fetcher import FetchedPage
from jobinsight.scrape.outcome import CrawlOutcome, PageResult
from jobinsight.scrape.page_checks import PageVerdict, check_listing_page
from jobinsight.scrape.records import RawJob, dedupe_jobs
from jobinsight.scrape.registry import find_parser

logger = logging.getLogger("jobinsight.scrape")

SOURCE = "archive"


def parse_archived(page: ArchivedPage) -> list[RawJob]:
    """Rows from one archived page, using the parser its sidecar names (``[]`` if unknown)."""
    parse = find_parser(page.parser)
    if parse is None:
        logger.warning("no parser %r for archived page %s; skipped", page.parser, page.url)
        return []
    return parse(page.read_body(), page.final_url or page.url, fetched_at=page.fetched_at, source=page.source)


def _parse_page(archived: ArchivedPage, page: FetchedPage) -> list[RawJob]:
    parse = find_parser(archived.parser)
    if parse is None:
        logger.warning("no parser %r for archived page %s; skipped", archived.parser, archived.url)
        return []
    return parse(page.body, page.final_url or page.url, fetched_at=page.fetched_at, source=archived.source)


def replay_archive(
    root: str,
    source: str | None = None,
    date: str | date | None = None,
    *,
    include_problem_pages: bool = False,
    storage_options: dict[str, Any] | None = None,
    keep_bodies: bool = True,
) -> CrawlOutcome:
    """Re-parse every archived page under ``root`` (optionally one source / one day).

    A page is used when its recorded verdict was ``ok`` (pages archived without a verdict are
    checked again now). ``include_problem_pages=True`` re-parses the others too — useful after
    fixing a parser that wrongly found no cards. ``keep_bodies=False`` drops each body once
    parsed (it stays in the archive).
    """
    outcome = CrawlOutcome(source=source or SOURCE)
    started = time.perf_counter()
    collected: list[RawJob] = []
    for archived in iter_archive(root, source, date, storage_options=storage_options):
        try:
            page = archived.to_fetched_page()
        except (OSError, EOFError) as exc:
            verdict = PageVerdict("http_error", f"archived body unreadable: {exc}")
            outcome.problems.append(
                {"url": archived.url, "verdict": verdict.verdict, "reason": verdict.reason}
            )
            outcome.pages_failed += 1
            logger.warning("problem page %s: %s", archived.url, verdict.reason)
            continue
        recorded_ok = archived.verdict in (None, "ok")
        jobs = _parse_page(archived, page) if (recorded_ok or include_problem_pages) and page.ok else []
        if archived.verdict is None or include_problem_pages:
            verdict = check_listing_page(page, jobs, None)
        else:
            verdict = PageVerdict(archived.verdict, archived.reason or "recorded at crawl time")  # type: ignore[arg-type]
        outcome.pages.append(
            PageResult(page=page, verdict=verdict, jobs_found=len(jobs), archived_path=archived.html_path)
        )
        outcome.pages_fetched += 1
        outcome.bytes += page.size
        if verdict.verdict == "blocked":
            outcome.pages_blocked += 1
        elif verdict.verdict == "http_error":
            outcome.pages_failed += 1
        if verdict.ok:
            collected.extend(jobs)
        if not keep_bodies:
            page.release_body()
    outcome.jobs = dedupe_jobs(collected)
    outcome.duplicates_collapsed = len(collected) - len(outcome.jobs)
    outcome.jobs_found = len(outcome.jobs)
    outcome.stopped_reason = "done"
    outcome.duration_s = time.perf_counter() - started
    return outcome
