"""Prefect-free scraping: polite fetching, page checks, parsers, archive, crawl helpers.

Why a package of its own: everything here is plain Python that runs (and is tested) without
Prefect or a database; the Prefect tasks in ``tasks/`` call ``crawl_listing`` /
``crawl_pages`` / ``replay_archive`` and hand ``CrawlOutcome.jobs`` to the raw upsert. Which
boards exist, and how each is crawled, is in :mod:`jobinsight.scrape.registry`.

The names below are imported on first use (PEP 562), so importing one light module of the
package (the registry, for ``jobinsight --help``) does not load httpx, fsspec and the rest.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ArchiveWriter": "archive", "ArchivedPage": "archive", "default_archive_root": "archive",
    "iter_archive": "archive",
    "acrawl_jsonld": "crawl", "acrawl_listing": "crawl", "acrawl_pages": "crawl", "crawl_jsonld": "crawl",
    "crawl_listing": "crawl", "crawl_pages": "crawl", "plan_listing_urls": "crawl",
    "FetchSettings": "fetcher", "FetchStats": "fetcher", "FetchedPage": "fetcher", "Fetcher": "fetcher",
    "fetch_all": "fetcher",
    "CrawlOutcome": "outcome", "PageResult": "outcome",
    "PageVerdict": "page_checks", "check_listing_page": "page_checks",
    "RawJob": "records", "dedupe_jobs": "records",
    "parse_archived": "sources.archive", "replay_archive": "sources.archive",
    "DemoBoard": "sources.demo_board",
    "parse_jobposting_page": "sources.jsonld", "parse_sitemap": "sources.jsonld",
    "listing_url": "sources.topcv", "parse_listing": "sources.topcv",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
