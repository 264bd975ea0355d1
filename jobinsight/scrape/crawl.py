"""Crawl orchestration without Prefect: fetch pages, check each one, parse, archive, count.

Why Prefect-free: these are the decisions that need tests (when to stop paginating, what counts
as a problem, which rows are kept) and they must run the same from a Prefect task, the CLI, a
benchmark or a notebook. The Prefect layer only wraps these calls with retries, caching and
events.

Listing crawls keep up to ``concurrency`` pages in flight (a sliding window) but judge them
strictly in page order, stopping at the first page that is blocked, empty, a repeat of the
previous page, or an HTTP error; pages requested beyond that point are discarded unused. Rows are only ever taken from ``ok`` pages. An empty page after at least one
good page is the normal end of the listing and is not reported as a problem; an empty first
page is.

How a listing is paginated belongs to its source (``jobinsight.scrape.registry``): numbered
pages (``page_url(base, n)``, e.g. TopCV's ``?page=N``) are planned ahead and fetched in a
window; a next-link listing learns each URL from the page before it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from jobinsight.scrape.aio import blocking
from jobinsight.scrape.archive import ArchiveWriter
from jobinsight.scrape.fetcher import FetchedPage, Fetcher, FetchSettings, FetchStats, open_fetcher
from jobinsight.scrape.outcome import CrawlOutcome, PageResult
from jobinsight.scrape.page_checks import PageVerdict, check_listing_page
from jobinsight.scrape.records import RawJob, dedupe_jobs
from jobinsight.scrape.registry import (
    DEFAULT_PAGINATION,
    NextLink,
    Pagination,
    ParserFn,
    get_parser,
    get_source,
    parser_name,
)
from jobinsight.scrape.sources.jsonld import parse_sitemap_document

logger = logging.getLogger("jobinsight.scrape")

Progress = Callable[[int, int | None], None]


def plan_listing_urls(
    base_url: str, max_pages: int, *, start_page: int = 1, pagination: Pagination = DEFAULT_PAGINATION
) -> list[str]:
    """The listing URLs a numbered crawl requests (default ``?page=N``, other query parameters kept).

    A :class:`~jobinsight.scrape.registry.NextLink` listing is only known page by page: its plan
    is the first page.
    """
    if max_pages < 0:
        raise ValueError(f"max_pages must be >= 0, got {max_pages}")
    if isinstance(pagination, NextLink):
        return [base_url] if max_pages else []
    return pagination.plan(base_url, max_pages, start_page)


def _pagination_for(source: str, parser_name_: str) -> Pagination:
    """The registered pagination of ``source`` (else of the source named like the parser), else the default."""
    for name in (source, parser_name_):
        try:
            pagination = get_source(name).pagination
        except KeyError:
            continue
        if pagination is not None:
            return pagination
    return DEFAULT_PAGINATION


# -- listing crawl -------------------------------------------------------------------------------


async def acrawl_listing(
    base_url: str,
    max_pages: int,
    settings: FetchSettings | None = None,
    parser: str | ParserFn = "topcv",
    *,
    source: str | None = None,
    archive: ArchiveWriter | None = None,
    progress: Progress | None = None,
    start_page: int = 1,
    keep_bodies: bool = True,
    pagination: Pagination | None = None,
    fetcher: Fetcher | None = None,
) -> CrawlOutcome:
    """Crawl listing pages ``start_page..start_page+max_pages-1`` of ``base_url`` in order.

    Pages follow ``pagination`` (default: the registered source's, else ``?page=N``): numbered
    pages keep up to ``concurrency`` in flight, a next-link listing is fetched page by page.
    Stops at the first blocked / empty / repeated / HTTP-error page (or, for next links, at the
    page without one). Jobs come only from ``ok`` pages, de-duplicated by ``(source, job_id)``
    keeping the last sighting. Every evaluated page is archived as soon as it is judged when
    ``archive`` is given; with ``keep_bodies=False`` the outcome then keeps only page metadata
    (200 real TopCV pages are ~300 MB of bodies). ``crawl_listing`` is the same, blocking (safe
    inside a running event loop). Pass an open ``fetcher`` to share its politeness (per-host
    delay and concurrency, robots.txt, the browser) with other crawls of the run, e.g. details.
    """
    settings = fetcher.settings if fetcher is not None else (settings or FetchSettings())
    parse, name = _resolve_parser(parser)
    source = source or name
    pagination = pagination or _pagination_for(source, name)
    urls = plan_listing_urls(base_url, max_pages, start_page=start_page, pagination=pagination)
    seen = set(urls)
    outcome = CrawlOutcome(source=source)
    started = time.perf_counter()
    collected: list[RawJob] = []
    previous_ids: set[str] | None = None
    done = 0
    async with open_fetcher(fetcher, settings) as fetcher:
        before = fetcher.stats.snapshot()
        # Sliding window: up to ``concurrency`` pages in flight while the oldest is judged, so
        # parsing overlaps the network; verdicts are still taken strictly in page order.
        pending: deque[tuple[int, asyncio.Task[FetchedPage]]] = deque()
        scheduled = 0

        def schedule() -> None:
            nonlocal scheduled
            while len(pending) < settings.concurrency and scheduled < len(urls):
                pending.append((scheduled, asyncio.create_task(fetcher.fetch(urls[scheduled]))))
                scheduled += 1

        schedule()
        try:
            while pending:
                index, task = pending.popleft()
                page = await task
                number = start_page + index
                jobs = _parse(parse, page, source)
                verdict = check_listing_page(page, jobs, previous_ids)
                following = _next_link(pagination, page) if verdict.ok and len(urls) < max_pages else None
                result = PageResult(page=page, verdict=verdict, jobs_found=len(jobs), page_number=number)
                await _archive(archive, outcome, result, source, name)
                _record(outcome, result, first_page=(number == start_page and not collected))
                if not keep_bodies:
                    page.release_body()
                done += 1
                if progress is not None:
                    progress(done, max_pages)
                if not verdict.ok:
                    outcome.stopped_reason = verdict.verdict
                    outcome.stopped_url = page.url
                    break
                collected.extend(jobs)
                previous_ids = {job.job_id for job in jobs}
                if isinstance(pagination, NextLink) and len(urls) < max_pages:
                    if following is None or following in seen:
                        outcome.stopped_reason = "last_page"  # no link on, or a link back: the listing ends
                    else:
                        urls.append(following)
                        seen.add(following)
                schedule()
        finally:
            # Pages asked for beyond the stop are not used (nor judged): cancel what is in flight.
            outcome.pages_discarded = len(pending)
            for _, task in pending:
                task.cancel()
            await asyncio.gather(*(task for _, task in pending), return_exceptions=True)
        return _finish(outcome, fetcher, before, collected, started, ended="max_pages",
                       what=f"crawl of {base_url}")


crawl_listing = blocking(acrawl_listing)


# -- page-list crawl (JSON-LD job pages, sitemaps) -----------------------------------------------


async def acrawl_pages(
    urls_or_sitemap: str | Sequence[str],
    settings: FetchSettings | None = None,
    parser: str | ParserFn = "jsonld",
    *,
    source: str | None = None,
    archive: ArchiveWriter | None = None,
    progress: Progress | None = None,
    max_pages: int | None = None,
    sitemap_depth: int = 3,
    keep_bodies: bool = True,
    fetcher: Fetcher | None = None,
) -> CrawlOutcome:
    """Fetch job pages (or every page listed by a sitemap / sitemap index) and parse each one.

    For sources without pagination (default: the ``jsonld`` parser, which reads schema.org
    ``JobPosting`` JSON-LD). ``urls_or_sitemap``: one URL or a list; URLs that look like
    sitemaps (``*.xml``, ``*.xml.gz``, ``sitemap`` in the path) are expanded, following sitemap
    indexes up to ``sitemap_depth`` levels. A page without any posting is reported as
    ``empty``; a block page stops the crawl. ``crawl_pages`` is the same, blocking.
    ``fetcher``: an open one to share, see ``acrawl_listing``.
    """
    settings = fetcher.settings if fetcher is not None else (settings or FetchSettings())
    parse, name = _resolve_parser(parser)
    source = source or name
    outcome = CrawlOutcome(source=source)
    started = time.perf_counter()
    collected: list[RawJob] = []
    async with open_fetcher(fetcher, settings) as fetcher:
        before = fetcher.stats.snapshot()
        if progress is not None:
            progress(0, None)
        page_urls = await _expand_sitemaps(fetcher, urls_or_sitemap, outcome, sitemap_depth)
        if max_pages is not None:
            page_urls = page_urls[:max_pages]
        total = len(page_urls)
        done = 0
        batch = max(1, settings.concurrency * 4)
        for start in range(0, total, batch):
            if outcome.stopped_reason is not None:
                break
            pages = await fetcher.fetch_many(page_urls[start : start + batch])
            for page in pages:
                jobs = _parse(parse, page, source)
                verdict = check_listing_page(page, jobs, None)
                result = PageResult(page=page, verdict=verdict, jobs_found=len(jobs))
                await _archive(archive, outcome, result, source, name)
                _record(outcome, result, first_page=True)
                if not keep_bodies:
                    page.release_body()
                if verdict.ok:
                    collected.extend(jobs)
                elif verdict.verdict == "blocked" and outcome.stopped_reason is None:
                    # The site is pushing back: stop asking (the rest of this batch is already in).
                    outcome.stopped_reason = "blocked"
                    outcome.stopped_url = page.url
                done += 1
                if progress is not None:
                    progress(done, total)
        return _finish(outcome, fetcher, before, collected, started, ended="done",
                       what=f"page crawl ({name})")


crawl_pages = blocking(acrawl_pages)
#: The JSON-LD crawl: a page-list crawl with the ``jsonld`` parser (its default).
acrawl_jsonld = acrawl_pages
crawl_jsonld = crawl_pages


def looks_like_sitemap(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith((".xml", ".xml.gz")) or "sitemap" in path


async def _expand_sitemaps(
    fetcher: Fetcher, urls_or_sitemap: str | Sequence[str], outcome: CrawlOutcome, depth: int
) -> list[str]:
    items = [urls_or_sitemap] if isinstance(urls_or_sitemap, str) else list(urls_or_sitemap)
    pages: list[str] = []
    seen_maps: set[str] = set()
    level = [u for u in items if looks_like_sitemap(u)]
    pages.extend(u for u in items if not looks_like_sitemap(u))
    for _ in range(depth + 1):
        level = [u for u in dict.fromkeys(level) if u not in seen_maps]
        if not level:
            break
        seen_maps.update(level)
        fetched = await fetcher.fetch_many(level)
        next_level: list[str] = []
        for page in fetched:
            if not page.ok:
                verdict = PageVerdict("http_error", page.error or f"HTTP {page.status}")
                _problem(outcome, page.url, verdict)
                continue
            sitemap = parse_sitemap_document(page.body)
            if sitemap.kind == "sitemapindex":
                next_level.extend(sitemap.locs)
            elif sitemap.kind == "urlset":
                pages.extend(sitemap.locs)
            else:
                _problem(
                    outcome, page.url, PageVerdict("empty", "not a sitemap (no <urlset>/<sitemapindex>)")
                )
        level = next_level
    else:
        if level:
            logger.warning("sitemap nesting deeper than %d levels; ignoring %d sitemaps", depth, len(level))
    return list(dict.fromkeys(pages))


# -- shared steps --------------------------------------------------------------------------------


def _resolve_parser(parser: str | ParserFn) -> tuple[ParserFn, str]:
    if isinstance(parser, str):
        return get_parser(parser), parser
    return parser, parser_name(parser)


def _next_link(pagination: Pagination, page: FetchedPage) -> str | None:
    """The next listing page's URL for a next-link listing (None for numbered pages)."""
    if not isinstance(pagination, NextLink) or not page.body:
        return None
    return pagination.find_next(page.body, page.final_url or page.url)


def _parse(parse: ParserFn, page: FetchedPage, source: str) -> list[RawJob]:
    """Parse an ``ok`` page. UTF-8 pages go to the parser as bytes (lexbor reads them fastest);
    any other charset is decoded first — by BOM, header, meta tag (found in the *whole* page,
    before a parser cuts it to the card region) or detector — so the parser sees real text."""
    if not page.ok or not page.body:
        return []
    content: bytes | str = page.body
    if page.decoded.encoding not in ("utf-8", "utf-8-sig"):
        content = page.text
    return parse(content, page.final_url or page.url, fetched_at=page.fetched_at, source=source)


async def _archive(
    archive: ArchiveWriter | None, outcome: CrawlOutcome, result: PageResult, source: str, parser: str
) -> None:
    if archive is None or result.page.robots_disallowed:
        return
    try:
        result.archived_path = await asyncio.to_thread(
            archive.write, result.page, source=source, parser=parser, verdict=result.verdict
        )
        outcome.pages_archived += 1
    except Exception as exc:  # the crawl result is still worth returning; the summary says so
        outcome.archive_errors += 1
        if outcome.archive_error is None:
            outcome.archive_error = f"{type(exc).__name__}: {exc}"
        logger.error("could not archive %s: %s", result.page.url, exc)


def _record(outcome: CrawlOutcome, result: PageResult, *, first_page: bool) -> None:
    outcome.pages.append(result)
    outcome.pages_fetched += 1
    verdict = result.verdict
    if verdict.verdict == "blocked":
        outcome.pages_blocked += 1
    elif verdict.verdict == "http_error":
        outcome.pages_failed += 1
    if verdict.ok:
        return
    if verdict.verdict == "empty" and not first_page:
        logger.info("end of listing at %s: %s", result.page.url, verdict.reason)
        return
    _problem(outcome, result.page.url, verdict)


def _problem(outcome: CrawlOutcome, url: str, verdict: PageVerdict) -> None:
    outcome.problems.append({"url": url, "verdict": verdict.verdict, "reason": verdict.reason})
    logger.warning("problem page %s: %s (%s)", url, verdict.verdict, verdict.reason)


def _finish(
    outcome: CrawlOutcome, fetcher: Fetcher, before: FetchStats, collected: list[RawJob], started: float, *,
    ended: str, what: str,
) -> CrawlOutcome:
    """Fill in the outcome's jobs and counters; ``ended`` is the stop reason when no page stopped it.

    The fetcher's counters since ``before`` only: a shared fetcher also counts other crawls."""
    outcome.jobs = dedupe_jobs(collected)
    outcome.duplicates_collapsed = len(collected) - len(outcome.jobs)
    outcome.jobs_found = len(outcome.jobs)
    used = fetcher.stats.since(before)
    outcome.retries = used.retries
    outcome.bytes = used.bytes
    outcome.limits_hit = dict(used.limits)
    outcome.browser_pages = used.browser_pages
    outcome.browser_hosts = list(used.browser_hosts)
    outcome.fetcher = fetcher.settings.fetcher
    outcome.duration_s = time.perf_counter() - started
    if outcome.stopped_reason is None:
        outcome.stopped_reason = ended
    logger.info("%s finished: %s", what, outcome.counts())
    return outcome
