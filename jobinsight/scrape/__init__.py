"""Prefect-free scraping: polite fetching, page checks, parsers, archive, crawl helpers.

Why a package of its own: everything here is plain Python that runs (and is tested) without
Prefect or a database; the Prefect tasks in ``tasks/`` call ``crawl_listing`` /
``crawl_jsonld`` / ``replay_archive`` and hand ``CrawlOutcome.jobs`` to the raw upsert.
"""

from jobinsight.scrape.archive import ArchivedPage, ArchiveWriter, default_archive_root, iter_archive
from jobinsight.scrape.crawl import (
    acrawl_jsonld,
    acrawl_listing,
    crawl_jsonld,
    crawl_listing,
    plan_listing_urls,
)
from jobinsight.scrape.fetcher import FetchedPage, Fetcher, FetchSettings, FetchStats, fetch_all
from jobinsight.scrape.outcome import CrawlOutcome, PageResult
from jobinsight.scrape.page_checks import PageVerdict, check_listing_page
from jobinsight.scrape.records import RawJob, dedupe_jobs
from jobinsight.scrape.sources.archive import parse_archived, replay_archive
from jobinsight.scrape.sources.demo_board import DemoBoard
from jobinsight.scrape.sources.jsonld import parse_jobposting_page, parse_sitemap
from jobinsight.scrape.sources.topcv import listing_url, parse_listing

__all__ = [
    "ArchiveWriter",
    "ArchivedPage",
    "CrawlOutcome",
    "DemoBoard",
    "FetchSettings",
    "FetchStats",
    "FetchedPage",
    "Fetcher",
    "PageResult",
    "PageVerdict",
    "RawJob",
    "acrawl_jsonld",
    "acrawl_listing",
    "check_listing_page",
    "crawl_jsonld",
    "crawl_listing",
    "dedupe_jobs",
    "default_archive_root",
    "fetch_all",
    "iter_archive",
    "listing_url",
    "parse_archived",
    "parse_jobposting_page",
    "parse_listing",
    "parse_sitemap",
    "plan_listing_urls",
    "replay_archive",
]
