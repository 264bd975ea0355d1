"""A scrape run without Prefect: choose the source, crawl, archive, and sum up the result.

The scrape flow's tasks call these functions; the CLI reaches them through the flow. Keeping
the decisions here (which URLs, which settings for which source, what counts as success)
makes them testable without a Prefect server.

A run fetches through one fetcher, opened by ``open_source`` for the run's block: the listing
crawl and the detail pages it leads to share each host's delay, concurrency cap, robots.txt
and (``auto``) the browser (see ``fetch_session``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from jobinsight.config import archive_root
from jobinsight.db.raw_upsert import UpsertResult
from jobinsight.errors import UserFacingError
from jobinsight.options import PhaseMetric, PipelineOptions, PipelineResult, PipelineStats
from jobinsight.scrape.aio import run_sync
from jobinsight.scrape.archive import ArchiveWriter
from jobinsight.scrape.crawl import Progress, acrawl_listing, acrawl_pages
from jobinsight.scrape.details import DetailCrawl, acrawl_details, merge_into, plan_details
from jobinsight.scrape.fetch_session import FetchSession
from jobinsight.scrape.fetcher import Fetcher, FetchSettings
from jobinsight.scrape.outcome import CrawlOutcome
from jobinsight.scrape.registry import Politeness, Source, get_source, parser_name
from jobinsight.scrape.urls import host_of

log = logging.getLogger("jobinsight.scrape")
T = TypeVar("T")


@dataclass(frozen=True)
class SourceTarget:
    """Where a crawl goes: a listing base URL or job-page URLs, and how politely."""

    source: str
    base_url: str | None
    urls: list[str]
    settings: FetchSettings
    #: False for a source that re-reads saved pages (the archive): nothing new to archive.
    fetches_pages: bool = True
    #: ``--urls`` files and how many of their lines were not URLs (reported, never shown)
    skipped_lines: tuple[tuple[str, int], ...] = ()
    #: The run's one fetcher (``open_source`` opens it): every crawl of the run goes through it.
    #: ``None``: each crawl opens a fetcher of its own.
    session: FetchSession | None = None


@dataclass(frozen=True)
class UrlArguments:
    """What ``--urls`` gave: the URLs, and how many lines of URL files were not URLs."""

    urls: list[str]
    #: ``(file, lines that are not http(s) URLs)``; the lines themselves are never kept or shown
    skipped: list[tuple[str, int]]


def _is_url(text: str) -> bool:
    """An absolute http(s) URL with a host and no blanks (what the crawler can fetch)."""
    if any(ch.isspace() for ch in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def read_url_arguments(values: list[str]) -> UrlArguments:
    """``--urls`` values: URLs as they are, or files holding one URL per line (# comments).

    A file is read as a URL list only: a line that is not an http(s) URL is counted and
    dropped, never echoed (``--urls /etc/shadow`` must not put the file into logs, artifacts,
    the run table or stdout). A value that is neither a URL nor a readable file is an error.
    """
    urls: list[str] = []
    skipped: list[tuple[str, int]] = []
    for value in values:
        if _is_url(value):
            urls.append(value)
            continue
        path = Path(value).expanduser()
        if not path.is_file():
            raise UserFacingError(
                f"--urls {value!r} is neither an http(s) URL nor a file of URLs. Give job page or sitemap "
                "URLs (https://…), or a text file with one URL per line."
            )
        try:
            text = path.read_bytes().decode("utf-8", "replace")
        except OSError as exc:
            raise UserFacingError(
                f"--urls file {value!r} cannot be read ({exc.strerror or type(exc).__name__}). "
                "Give a readable text file with one URL per line."
            ) from None
        bad = 0
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if _is_url(line):
                urls.append(line)
            else:
                bad += 1
        if bad:
            skipped.append((value, bad))
            log.warning("--urls file %s: %s lines were not URLs and were skipped (not shown)", value, bad)
    return UrlArguments(urls, skipped)


def require_urls(values: list[str], source: str) -> UrlArguments:
    """:func:`read_url_arguments`, failing with a one-paragraph error when no URL is left."""
    return _with_urls(read_url_arguments(values), source)


def _with_urls(given: UrlArguments, source: str) -> UrlArguments:
    if not given.urls:
        not_urls = sum(n for _, n in given.skipped)
        raise UserFacingError(
            f"source {source} needs job page or sitemap URLs (--urls)"
            + (f"; the file(s) given hold {not_urls} lines that are not http(s) URLs (not shown)" if not_urls
               else "") + ". Give https://… URLs or a text file with one URL per line."
        )
    return given


def check_url_arguments(options: PipelineOptions) -> None:
    """Read ``--urls`` as :func:`open_source` will, so a bad value fails before any flow starts."""
    source = get_source(options.source)
    if source.serve is None and source.crawl is None and source.pagination is None:
        require_urls(options.urls, source.name)
    elif options.urls:
        read_url_arguments(options.urls)


def fetch_settings_for(options: PipelineOptions, source: Source | None = None) -> FetchSettings:
    """Environment defaults, then the source's own politeness, then the run's options."""
    board = source.politeness if source is not None else Politeness()
    delay = options.delay_seconds if options.delay_seconds is not None else board.delay_seconds
    concurrency = options.concurrency if options.concurrency is not None else board.concurrency
    return FetchSettings.from_settings(delay_seconds=delay, concurrency=concurrency, respect_robots=options.respect_robots,
                                      fetcher=options.fetcher)


@contextmanager
def open_source(options: PipelineOptions) -> Iterator[SourceTarget]:
    """The crawl target of ``options.source`` (a registry entry) with the run's one fetcher; both
    (and a served board) live for the block, so listing and detail fetches share one host's
    politeness and browser."""
    with _source_target(options) as target:
        if not target.fetches_pages:
            yield target
            return
        with FetchSession(target.settings) as session:
            yield replace(target, session=session)


@contextmanager
def _source_target(options: PipelineOptions) -> Iterator[SourceTarget]:
    """The crawl target of ``options.source`` (a registry entry); a served board lives for the block."""
    source = get_source(options.source)
    settings = fetch_settings_for(options, source)
    given = read_url_arguments(options.urls)
    urls, skipped = given.urls, tuple(given.skipped)
    if source.serve is not None:
        if source.start_url is None:
            raise ValueError(f"source {source.name} serves its own board but declares no start_url "
                             "(its public listing URL): add one to its registry entry")
        # A board we serve ourselves on 127.0.0.1: loopback is allowed for it (the browser loads
        # its pages from there), and requests for its public name go to this run's server.
        settings = settings.with_(allow_private_addresses=True)
        with source.serve(options) as serving_origin:
            routed = settings.with_(routes=((host_of(source.start_url), serving_origin.rstrip("/").lower()),))
            yield SourceTarget(source.name, source.start_url, urls, routed, skipped_lines=skipped)
        return
    if source.crawl is not None:
        yield SourceTarget(source.name, None, [], settings, fetches_pages=False)
        return
    if source.pagination is None:
        yield SourceTarget(source.name, None, _with_urls(given, source.name).urls, settings, skipped_lines=skipped)
        return
    if urls and source.detail_parser is not None and options.base_url is None:
        # detail pages given by URL (``--source topcv --urls ...``): no listing this run
        yield SourceTarget(source.name, None, urls, settings, skipped_lines=skipped)
        return
    base_url = options.base_url or source.start_url
    if base_url is None:
        raise ValueError(f"source {source.name} has no start URL: give its listing URL (--base-url)")
    yield SourceTarget(source.name, base_url, urls, settings, skipped_lines=skipped)


def crawl(target: SourceTarget, options: PipelineOptions, progress: Progress | None = None) -> CrawlOutcome:
    """Fetch, check and parse pages of the target (or re-read saved ones), as its source says.

    Each fetched page is archived as soon as it is judged and its body released right after,
    so a crawl's memory is flat in the number of pages (bodies are never all held to the end).
    Lines of ``--urls`` files that were not URLs are reported by count, never shown.
    """
    outcome = _crawl(target, options, progress)
    for path, lines in target.skipped_lines:
        outcome.problems.append({"url": path, "verdict": "not_urls",
                                 "reason": f"{lines} lines were not URLs and were skipped (not shown)"})
    return outcome


def _crawl(target: SourceTarget, options: PipelineOptions, progress: Progress | None) -> CrawlOutcome:
    source = get_source(target.source)
    if source.crawl is not None:
        return source.crawl(options)
    if target.urls and target.base_url is None and source.detail_parser is not None:
        return crawl_given_details(target, options, progress)
    archive = ArchiveWriter(options.archive_root or archive_root())
    if source.pagination is None or target.base_url is None:
        return on_fetcher(target, lambda fetcher: acrawl_pages(
            target.urls, target.settings, source.parser, source=source.name, progress=progress, archive=archive,
            keep_bodies=False, fetcher=fetcher))
    base_url = target.base_url
    return on_fetcher(target, lambda fetcher: acrawl_listing(
        base_url,
        options.max_pages,
        target.settings,
        source.parser,
        source=source.name,
        progress=progress,
        pagination=source.pagination,
        archive=archive,
        keep_bodies=False,
        fetcher=fetcher,
    ))


def on_fetcher(target: SourceTarget, crawl: Callable[[Fetcher | None], Awaitable[T]]) -> T:
    """Run ``crawl(fetcher)`` on the run's shared fetcher (``target.session``), blocking; without a
    session the crawl gets ``None`` and opens a fetcher of its own."""
    if target.session is not None:
        return target.session.run(crawl)
    return run_sync(lambda: crawl(None))


def _detail_archive(options: PipelineOptions) -> ArchiveWriter | None:
    from jobinsight.config import archive_root

    try:
        return ArchiveWriter(options.archive_root or archive_root())
    except Exception as exc:  # the archive is a copy; a crawl without one still stores its rows
        log.warning("detail pages will not be archived: %s", exc)
        return None


def _crawl_details(targets: list[tuple[str | None, str]], source: Source, target: SourceTarget,
                   options: PipelineOptions, progress: Progress | None) -> DetailCrawl:
    detail_parser = source.detail_parser
    assert detail_parser is not None
    archive = _detail_archive(options)
    return on_fetcher(target, lambda fetcher: acrawl_details(
        targets, target.settings, parser=detail_parser, parser_name=parser_name(detail_parser), source=source.name,
        archive=archive, progress=progress, fetcher=fetcher))


def crawl_given_details(
    target: SourceTarget, options: PipelineOptions, progress: Progress | None = None
) -> CrawlOutcome:
    """Detail pages given by URL, each read with the source's detail parser (the budget applies)."""
    from jobinsight.scrape.sources.topcv_detail import job_id_from_detail_url

    source = get_source(target.source)
    outcome = CrawlOutcome(source=target.source)
    targets = [(job_id_from_detail_url(url), url) for url in dict.fromkeys(target.urls)]
    allowed = targets[: options.detail_budget]
    crawl = _crawl_details(allowed, source, target, options, progress)
    merge_into(outcome, crawl)
    outcome.detail_counts.update({"details_planned": len(allowed), "details_over_budget": len(targets) - len(allowed)})
    _detail_totals(outcome, crawl)
    outcome.jobs_found = len({job.key for job in outcome.detail_jobs})
    outcome.pages_fetched = crawl.fetched  # no listing this run: the detail pages are the pages
    outcome.stopped_reason = crawl.stopped_reason
    if len(targets) > len(allowed):
        log.warning("detail budget of %d requests reached: %d URLs not fetched", options.detail_budget,
                    len(targets) - len(allowed))
    return outcome


#: ``(source, job_ids) -> {job_id: KnownPosting}``: what raw_jobs holds about the cards.
KnownLookup = Callable[[str, list[str]], dict]


def follow_details(
    outcome: CrawlOutcome,
    target: SourceTarget,
    options: PipelineOptions,
    known: KnownLookup,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> CrawlOutcome:
    """Follow the listing's cards to their detail pages where worth it (see ``scrape.details``).

    Only for a source with a detail parser, after a listing crawl. Adds the detail postings,
    problems and counts to ``outcome`` and returns it.
    """
    try:
        source = get_source(target.source)
    except KeyError:
        return outcome
    if not options.follow_details or source.detail_parser is None or not target.base_url or not outcome.jobs:
        return outcome
    from jobinsight.db.raw_upsert import card_hash

    stored = known(outcome.source, [job.job_id for job in outcome.jobs])
    plan = plan_details(
        outcome.jobs, stored, listing_url=target.base_url, card_hash=card_hash,
        refresh_after=timedelta(days=options.detail_refresh_days), budget=options.detail_budget,
        now=now or datetime.now(UTC),
    )
    log.info("details: %d to fetch (%d new, %d changed, %d stale), %d fresh, %d on other hosts, %d over budget",
             len(plan.targets), plan.new, plan.changed, plan.stale, plan.fresh, plan.off_host, plan.over_budget)
    if plan.over_budget:
        log.warning("detail budget of %d requests reached: %d postings keep their old (or no) details until "
                    "the next run", options.detail_budget, plan.over_budget)
    crawl = _crawl_details(plan.targets, source, target, options, progress)
    merge_into(outcome, crawl, plan)
    _detail_totals(outcome, crawl)
    return outcome


def _detail_totals(outcome: CrawlOutcome, crawl: DetailCrawl) -> None:
    outcome.detail_counts["detail_budget_exhausted"] = bool(outcome.detail_counts.get("details_over_budget"))
    outcome.pages_blocked += crawl.blocked
    outcome.pages_failed += crawl.failed


def archive_pages(outcome: CrawlOutcome, root: str) -> int:
    """Save the fetched pages the crawl has not archived yet (gzip + sidecar); returns pages written."""
    writer = ArchiveWriter(root)
    try:
        parser = parser_name(get_source(outcome.source).parser or outcome.source)
    except KeyError:  # a source registered without a parser name we know
        parser = outcome.source
    written = 0
    for result in outcome.pages:
        if result.archived_path is not None or (not result.page.body and result.page.size > 0):
            continue  # archived as it arrived during the crawl (its body is released)
        try:  # the key derives from the page URL, so two base URLs crawled on one day never collide
            result.archived_path = writer.write(
                result.page, source=outcome.source, parser=parser, verdict=result.verdict
            )
            written += 1
        except OSError as exc:  # the archive is a copy; losing it must not lose the crawl (the summary says so)
            outcome.archive_errors += 1
            if outcome.archive_error is None:
                outcome.archive_error = f"{type(exc).__name__}: {exc}"
            log.warning("could not archive %s: %s", result.page.url, exc)
    return written


def _describe_problems(problems: list[dict[str, str]]) -> str:
    return "; ".join(f"{p['verdict']} at {p['url']}: {p['reason']}" for p in problems[:5])


def scrape_result(
    outcome: CrawlOutcome,
    upsert: UpsertResult,
    archived: int,
    run_id: str,
    phases: list[PhaseMetric],
    duration_s: float,
) -> PipelineResult:
    """The scrape run's ``PipelineResult``: success needs usable pages and a clean upsert."""
    problems = _describe_problems(outcome.problems)
    usable = outcome.jobs_found > 0
    archive_failed = outcome.archive_errors > 0
    if usable:
        message = (
            f"{outcome.jobs_found} jobs from {outcome.pages_fetched} pages: {upsert.inserted} inserted, "
            f"{upsert.updated} updated, {upsert.unchanged} unchanged, {upsert.quarantined} quarantined"
        )
        if upsert.oversized:
            message += (f" ({upsert.oversized} with a field over the limit of {upsert.max_field_bytes:,} bytes, "
                        "JOBINSIGHT_MAX_FIELD_BYTES)")
        if outcome.detail_counts:
            c = outcome.detail_counts
            message += (f"; {c.get('detail_pages_fetched', 0)} detail pages read"
                        f" ({c.get('details_jsonld_fallback', 0)} through JSON-LD only)")
            if c.get("detail_budget_exhausted"):
                message += f", detail budget reached ({c.get('details_over_budget', 0)} postings left for later)"
        listing_problems = [p for p in outcome.problems if p.get("page") != "detail"]
        detail_problems = [p for p in outcome.problems if p.get("page") == "detail"]
        if listing_problems:
            message += "; pagination ended early: " + _describe_problems(listing_problems)
        if detail_problems:
            message += f"; {len(detail_problems)} detail pages unusable: " + _describe_problems(detail_problems)
    else:
        message = (
            f"no jobs were scraped from {outcome.pages_fetched} pages"
            + (f": {problems}" if problems else "")
            + ". If the site shows a captcha/block page, slow down (--delay) or try later; "
            "check --base-url and robots.txt."
        )
    if outcome.limits_hit:
        hit = ", ".join(f"{name} x{count}" for name, count in sorted(outcome.limits_hit.items()))
        message += f". Limits hit: {hit} (see problem pages; raise the JOBINSIGHT_* limit if the site is legitimate)"
    if archive_failed:
        message += (
            f". ARCHIVE FAILED for {outcome.archive_errors} pages ({outcome.archive_error}): the rows are "
            "stored but their pages are not kept; free space or fix JOBINSIGHT_ARCHIVE_ROOT and re-run"
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
            # the crawl folds a posting seen on two pages into one; the upsert folds keys equal after trimming
            "duplicates_collapsed": outcome.duplicates_collapsed + upsert.duplicates_collapsed,
            "oversized": upsert.oversized,
            "max_field_bytes": upsert.max_field_bytes,
            "pages_archived": archived or outcome.pages_archived,
            "problem_pages": outcome.problems,
        },
    )
    return PipelineResult(
        success=usable and not archive_failed, message=message, flow="scrape", run_id=run_id, stats=stats, phases=phases
    )


def scrape_summary_markdown(result: PipelineResult) -> str:
    """The scrape run's summary artifact: what a crawl measures (pages, jobs, what the upsert did)."""
    extra = result.stats.extra
    lines = [f"# scrape run {'succeeded' if result.success else 'FAILED'}", "", result.message, "",
             "| figure | value |", "|---|---|"]
    figures = [("pages fetched", extra.get("pages_fetched")), ("jobs found", result.stats.total_records),
               ("inserted", extra.get("inserted")), ("updated", extra.get("updated")),
               ("unchanged", extra.get("unchanged")), ("quarantined", result.stats.quarantined),
               ("pages archived", extra.get("pages_archived")), ("retries", extra.get("retries")),
               ("duration (s)", result.stats.duration_seconds)]
    lines += [f"| {name} | {value:,} |" if isinstance(value, int) else f"| {name} | {value} |"
              for name, value in figures if value is not None]
    lines += ["", "| step | seconds | in | out |", "|---|---|---|---|"]
    for metric in result.phases:
        lines.append(f"| {metric.phase} | {metric.duration_s:.2f} | {'n/a' if metric.rows_in is None else metric.rows_in} "
                     f"| {'n/a' if metric.rows_out is None else metric.rows_out} |")
    return "\n".join(lines)
