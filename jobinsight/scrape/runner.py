"""A scrape run without Prefect: choose the source, crawl, archive, and sum up the result.

The scrape flow's tasks call these functions; the CLI reaches them through the flow. Keeping
the decisions here (which URLs, which settings for which source, what counts as success)
makes them testable without a Prefect server.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from jobinsight.config import archive_root
from jobinsight.db.raw_upsert import UpsertResult
from jobinsight.options import PhaseMetric, PipelineOptions, PipelineResult, PipelineStats
from jobinsight.scrape.archive import ArchiveWriter
from jobinsight.scrape.crawl import Progress, crawl_jsonld, crawl_listing
from jobinsight.scrape.fetcher import FetchSettings
from jobinsight.scrape.outcome import CrawlOutcome
from jobinsight.scrape.sources.archive import replay_archive

log = logging.getLogger("jobinsight.scrape")

DEFAULT_TOPCV_BASE = "https://www.topcv.vn/viec-lam-it"
#: The parser each live source uses, and the `source` value its rows get in raw_jobs.
PARSER_OF = {"topcv": "topcv", "demo": "topcv", "jsonld": "jsonld"}


@dataclass(frozen=True)
class SourceTarget:
    """Where a crawl goes: a listing base URL or job-page URLs, and how politely."""

    source: str
    base_url: str | None
    urls: list[str]
    settings: FetchSettings


def read_url_arguments(values: list[str]) -> list[str]:
    """``--urls`` values: URLs as they are, or files holding one URL per line (# comments)."""
    urls: list[str] = []
    for value in values:
        path = Path(value)
        if not value.startswith(("http://", "https://")) and path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    urls.append(line)
        else:
            urls.append(value)
    return urls


def fetch_settings_for(options: PipelineOptions) -> FetchSettings:
    """Environment defaults overridden by the run's options."""
    return FetchSettings.from_env(
        delay_seconds=options.delay_seconds,
        concurrency=options.concurrency,
        respect_robots=options.respect_robots,
    )


@contextmanager
def open_source(options: PipelineOptions) -> Iterator[SourceTarget]:
    """The crawl target; for ``demo`` a local board on 127.0.0.1 that lives for the block."""
    settings = fetch_settings_for(options)
    if options.source == "demo":
        from jobinsight.scrape.sources.demo_board import DemoBoard

        fast = settings.with_(delay_seconds=options.delay_seconds or 0.0)
        with DemoBoard(pages=options.demo_pages, per_page=options.demo_per_page) as board:
            yield SourceTarget("demo", board.listing_url, [], fast)
        return
    if options.source == "jsonld":
        urls = read_url_arguments(options.urls)
        if not urls:
            raise ValueError("source jsonld needs urls: job page or sitemap URLs (--urls)")
        yield SourceTarget("jsonld", None, urls, settings)
        return
    if options.source == "archive":
        yield SourceTarget("archive", None, [], settings)
        return
    yield SourceTarget(options.source, options.base_url or DEFAULT_TOPCV_BASE, [], settings)


def crawl(target: SourceTarget, options: PipelineOptions, progress: Progress | None = None) -> CrawlOutcome:
    """Fetch, check and parse pages of the target (or re-parse the archive)."""
    if target.source == "archive":
        return replay_archive(options.archive_root or archive_root(), date=options.archive_date)
    if target.source == "jsonld":
        return crawl_jsonld(target.urls, target.settings, progress=progress, max_pages=None)
    return crawl_listing(
        target.base_url or DEFAULT_TOPCV_BASE,
        options.max_pages,
        target.settings,
        PARSER_OF[target.source],
        source=target.source,
        progress=progress,
    )


def archive_pages(outcome: CrawlOutcome, root: str) -> int:
    """Save every fetched page (gzip + sidecar) under ``root``; returns pages written."""
    writer = ArchiveWriter(root)
    parser = PARSER_OF.get(outcome.source, outcome.source)
    written = 0
    for result in outcome.pages:
        try:  # the key derives from the page URL, so two base URLs crawled on one day never collide
            result.archived_path = writer.write(
                result.page, source=outcome.source, parser=parser, verdict=result.verdict
            )
            written += 1
        except OSError as exc:  # the archive is a copy; losing it must not lose the crawl
            outcome.archive_errors += 1
            log.warning("could not archive %s: %s", result.page.url, exc)
    return written


def scrape_result(
    outcome: CrawlOutcome,
    upsert: UpsertResult,
    archived: int,
    run_id: str,
    phases: list[PhaseMetric],
    duration_s: float,
) -> PipelineResult:
    """The scrape run's ``PipelineResult``: success needs usable pages and a clean upsert."""
    problems = "; ".join(f"{p['verdict']} at {p['url']}: {p['reason']}" for p in outcome.problems[:5])
    usable = outcome.jobs_found > 0
    if usable:
        message = (
            f"{outcome.jobs_found} jobs from {outcome.pages_fetched} pages: {upsert.inserted} inserted, "
            f"{upsert.updated} updated, {upsert.unchanged} unchanged, {upsert.quarantined} quarantined"
        )
        if outcome.problems:
            message += f"; pagination ended early: {problems}"
    else:
        message = (
            f"no jobs were scraped from {outcome.pages_fetched} pages"
            + (f": {problems}" if problems else "")
            + ". If the site shows a captcha/block page, slow down (--delay) or try later; "
            "check --base-url and robots.txt."
        )
    stats = PipelineStats(
        total_records=outcome.jobs_found,
        processed_records=upsert.inserted + upsert.updated + upsert.unchanged,
        success_count=upsert.inserted + upsert.updated + upsert.unchanged,
        failure_count=upsert.quarantined,
        quarantined=upsert.quarantined,
        duration_seconds=round(duration_s, 3),
        batch_count=1 if outcome.jobs else 0,
        extra={
            **outcome.counts(),
            "inserted": upsert.inserted,
            "updated": upsert.updated,
            "unchanged": upsert.unchanged,
            "duplicates_collapsed": upsert.duplicates_collapsed,
            "pages_archived": archived,
            "problem_pages": outcome.problems,
        },
    )
    return PipelineResult(
        success=usable, message=message, flow="scrape", run_id=run_id, stats=stats, phases=phases
    )
