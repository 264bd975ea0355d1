"""What a crawl (or an archive replay) hands back to its caller: pages, jobs, counts, problems.

Why a separate module: the live crawl, the JSON-LD crawl and the archive replay all return the
same shape, so the Prefect tasks above them (raw upsert, artifacts, the
``jobinsight.scrape.completed`` event payload) handle one type and one ``counts()`` dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jobinsight.scrape.fetcher import FetchedPage
from jobinsight.scrape.page_checks import PageVerdict
from jobinsight.scrape.records import RawJob


@dataclass(slots=True)
class PageResult:
    """One fetched (or replayed) page with its verdict."""

    page: FetchedPage
    verdict: PageVerdict
    jobs_found: int
    page_number: int | None = None
    archived_path: str | None = None


@dataclass(slots=True)
class CrawlOutcome:
    """Result of one crawl. ``jobs`` holds rows from ``ok`` pages only, de-duplicated by key."""

    source: str
    pages: list[PageResult] = field(default_factory=list)
    jobs: list[RawJob] = field(default_factory=list)
    pages_fetched: int = 0
    pages_failed: int = 0
    pages_blocked: int = 0
    #: Look-ahead pages fetched in the same window as the page that stopped the crawl, unused.
    pages_discarded: int = 0
    retries: int = 0
    bytes: int = 0
    jobs_found: int = 0
    #: Pages written to the archive during the crawl, and writes that failed.
    pages_archived: int = 0
    #: sightings of a posting already seen in this crawl, folded into the later one (``jobs_found`` counts keys)
    duplicates_collapsed: int = 0
    archive_errors: int = 0
    #: The first archive error, for the summary (e.g. "OSError: [Errno 28] No space left on device").
    archive_error: str | None = None
    #: Pages that hit each fetch limit (``max_body_bytes``, ``request_deadline``, ``run_deadline``,
    #: ``address``, ``scheme``, ``redirects``, ``robots``).
    limits_hit: dict[str, int] = field(default_factory=dict)
    #: Which fetcher mode ran, pages the browser fetched, hosts it took over (``auto``).
    fetcher: str | None = None
    browser_pages: int = 0
    browser_hosts: list[str] = field(default_factory=list)
    #: ``{"url", "verdict", "reason"}`` for every page that is not usable data.
    problems: list[dict[str, str]] = field(default_factory=list)
    #: Why the crawl ended: a verdict (``"blocked"``, ``"empty"``, ...) or ``"max_pages"``/``"done"``.
    stopped_reason: str | None = None
    stopped_url: str | None = None
    duration_s: float = 0.0
    #: Postings read from detail pages (one raw row each with their card, by ``(source, job_id)``).
    detail_jobs: list[RawJob] = field(default_factory=list)
    #: Detail-following numbers (planned, fetched, skipped and why, JSON-LD fallbacks, budget).
    detail_counts: dict[str, Any] = field(default_factory=dict)

    @property
    def records(self) -> list[RawJob]:
        """Everything to upsert: listing rows first, then detail rows (the upsert merges them)."""
        return [*self.jobs, *self.detail_jobs]

    @property
    def ok(self) -> bool:
        """No blocked or failed page: everything the crawl was asked for was read."""
        return self.pages_blocked == 0 and self.pages_failed == 0

    def counts(self) -> dict[str, Any]:
        """Flat, JSON-ready numbers for logs, artifacts and event payloads."""
        return {
            "source": self.source,
            "pages_fetched": self.pages_fetched,
            "pages_failed": self.pages_failed,
            "pages_blocked": self.pages_blocked,
            "pages_discarded": self.pages_discarded,
            "retries": self.retries,
            "bytes": self.bytes,
            "jobs_found": self.jobs_found,
            "duplicates_in_crawl": self.duplicates_collapsed,
            "problems": len(self.problems),
            "pages_archived": self.pages_archived,
            "archive_errors": self.archive_errors,
            "limits_hit": dict(self.limits_hit),
            "fetcher": self.fetcher,
            "browser_pages": self.browser_pages,
            "stopped_reason": self.stopped_reason,
            "duration_s": round(self.duration_s, 3),
            **self.detail_counts,
        }
