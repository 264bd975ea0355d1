"""The scrape flow's steps as Prefect tasks: fetch + parse, upsert, archive.

Fetching is retried by the fetcher itself per request (backoff, Retry-After); the task-level
retry covers a crawl that failed as a whole (e.g. the network dropped). Nothing here is
cached: every step has side effects on the outside world or the database, and the upsert is
idempotent (a content hash decides inserted / updated / unchanged) so a retry is safe.
"""

from __future__ import annotations

import httpx
from prefect import task
from prefect.cache_policies import NO_CACHE

from jobinsight import progress
from jobinsight.db.detail_state import known_postings
from jobinsight.db.raw_upsert import UpsertResult, upsert_raw_jobs
from jobinsight.metrics import measure
from jobinsight.options import PipelineOptions
from jobinsight.scrape.outcome import CrawlOutcome
from jobinsight.scrape.runner import SourceTarget, archive_pages, crawl, follow_details
from jobinsight.tasks.process_phases import PhaseOutput
from jobinsight.tasks.retry_policy import BACKOFF, retry_on_transient


def _retry_crawl(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's callback signature
    """Retry a crawl that failed on the network or the database as a whole."""
    try:
        state.result()
    except (httpx.TransportError, OSError):
        return True
    except BaseException:
        return retry_on_transient(task, task_run, state)
    return False


@task(name="scrape-fetch-and-parse", retries=2, retry_delay_seconds=BACKOFF, retry_condition_fn=_retry_crawl,
      cache_policy=NO_CACHE)
def fetch_and_parse(target: SourceTarget, options: PipelineOptions) -> PhaseOutput:
    """Fetch listing/job pages politely, check each page, parse the good ones."""
    with measure("fetch_and_parse") as timer:
        outcome: CrawlOutcome = crawl(target, options,
                                      progress=lambda done, total: progress.report("scrape", done, total))
        timer.rows_in = outcome.pages_fetched
        timer.rows_out = outcome.jobs_found
        timer.extra = {"pages": outcome.pages_fetched, "jobs": outcome.jobs_found, "retries": outcome.retries,
                       "bytes": outcome.bytes, "problems": len(outcome.problems),
                       "pages_archived": outcome.pages_archived, "archive_errors": outcome.archive_errors,
                       "limits_hit": outcome.limits_hit, "browser_pages": outcome.browser_pages}
    return PhaseOutput(outcome, timer.metric)


@task(name="scrape-upsert-raw", retries=3, retry_delay_seconds=BACKOFF, retry_condition_fn=retry_on_transient,
      cache_policy=NO_CACHE)
def upsert_raw(db_url: str, outcome: CrawlOutcome, run_id: str) -> PhaseOutput:
    """Bulk upsert the parsed jobs into raw_jobs (idempotent)."""
    with measure("upsert_raw") as timer:
        result: UpsertResult = upsert_raw_jobs(db_url, (job.to_row() for job in outcome.records), run_id=run_id)
        timer.rows_in = result.received
        timer.rows_out = result.inserted + result.updated + result.unchanged
        timer.extra = result.to_dict()
    return PhaseOutput(result, timer.metric)


@task(name="scrape-archive-pages", retries=2, retry_delay_seconds=BACKOFF, cache_policy=NO_CACHE)
def archive_fetched_pages(outcome: CrawlOutcome, root: str) -> PhaseOutput:
    """Save every fetched page (gzip) so parsing can be re-run without re-crawling."""
    with measure("archive") as timer:
        written = archive_pages(outcome, root)
        timer.rows_in = len(outcome.pages)
        timer.rows_out = written
        timer.extra = {"bytes": sum(len(p.page.body) for p in outcome.pages), "errors": outcome.archive_errors}
    return PhaseOutput(written, timer.metric)


@task(name="scrape-follow-details", retries=2, retry_delay_seconds=BACKOFF, retry_condition_fn=_retry_crawl,
      cache_policy=NO_CACHE)
def follow_listing_details(db_url: str, target: SourceTarget, outcome: CrawlOutcome,
                           options: PipelineOptions) -> PhaseOutput:
    """Fetch the detail pages of new, changed or stale cards (within the run's detail budget)."""
    with measure("follow_details") as timer:
        before = len(outcome.detail_jobs)
        follow_details(outcome, target, options, lambda source, ids: known_postings(db_url, source, ids),
                       progress=lambda done, total: progress.report("details", done, total))
        timer.rows_in = int(outcome.detail_counts.get("details_planned", 0))
        timer.rows_out = len(outcome.detail_jobs) - before
        timer.extra = dict(outcome.detail_counts)
    return PhaseOutput(outcome, timer.metric)
