"""``PipelineOptions`` (the one flow parameter) and ``PipelineResult`` (what every flow returns).

They mirror the original pipeline's interface (``pipeline_mode``, ``batch_size``,
``only_unprocessed``, …) so existing callers keep working; ``ETL_BATCH_SIZE``, ``ETL_TIMEOUT``
and ``ETL_MAX_WORKERS`` keep their meaning as defaults (validated in :mod:`jobinsight.settings`).
Out-of-range values are rejected with a message naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jobinsight.settings import get_settings

PipelineMode = Literal["scrapeOnly", "processOnly", "all"]


def _source_names() -> list[str]:
    """The registered sources (imported late: the registry imports the parsers)."""
    from jobinsight.scrape.registry import source_names

    return source_names()


class PipelineOptions(BaseModel):
    """Everything a scrape, process or full run can be told."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    pipeline_mode: PipelineMode = Field("all", description="scrapeOnly | processOnly | all")

    # --- processing -----------------------------------------------------------------------
    batch_size: int = Field(default_factory=lambda: get_settings().batch_size, ge=1, le=1_000_000,
                            description="Raw rows per process batch (ETL_BATCH_SIZE).")
    only_unprocessed: bool = Field(True, description="Only rows not processed since their content changed.")
    max_records: int | None = Field(None, ge=1, description="Stop after this many rows (None: all eligible).")
    max_workers: int = Field(default_factory=lambda: get_settings().max_workers, ge=1, le=64,
                             description="Parallel workers (ETL_MAX_WORKERS).")
    timeout_seconds: int = Field(default_factory=lambda: get_settings().timeout_seconds, ge=1, le=7 * 86400,
                                 description="Run timeout in seconds (ETL_TIMEOUT).")
    integrity_threshold: float = Field(0.98, ge=0.0, le=1.0,
                                       description="Share of eligible rows that must be written or quarantined.")
    usd_rate: float = Field(default_factory=lambda: get_settings().usd_rate, gt=0,
                            allow_inf_nan=False,
                            description="VND per USD for salary_min/max in millions of VND.")
    retry_failed: bool = Field(False, description="Process quarantined rows (attempts below max_attempts).")
    max_attempts: int = Field(3, ge=1, le=100, description="Attempts before a quarantined row is dead.")
    claim_lease_seconds: int = Field(900, ge=5, le=86400,
                                     description="How long a batch claim lasts before another run may take it.")

    # --- scraping -------------------------------------------------------------------------
    source: str = Field("topcv", description="A source of jobinsight.scrape.registry (topcv, demo, …).",
                        json_schema_extra=lambda schema: schema.update(enum=_source_names()))
    base_url: str | None = Field(None, description="Listing base URL (topcv); default TopCV's IT listing.")
    urls: list[str] = Field(default_factory=list,
                            description="Job page or sitemap URLs (jsonld); TopCV detail-page URLs (topcv).")
    max_pages: int = Field(5, ge=1, le=10_000, description="Listing pages to fetch at most.")
    delay_seconds: float | None = Field(None, ge=0, le=600, allow_inf_nan=False, description="Per-host delay (default from env).")
    concurrency: int | None = Field(None, ge=1, le=64, description="Requests in flight (default from env).")
    respect_robots: bool | None = Field(None, description="Honour robots.txt (default from env: true).")
    fetcher: Literal["http", "browser", "auto"] | None = Field(
        None, description="http | browser | auto (default from JOBINSIGHT_FETCHER, else auto): in auto a "
        "page detected as a block or challenge is fetched again through Chromium, which then serves that host.")
    archive_root: str | None = Field(None, description="Archive folder or fsspec URL (default from env).")
    archive_date: str | None = Field(None, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                                     description="archive source: only pages saved on this date.")
    demo_pages: int = Field(3, ge=1, le=1000, description="demo source: listing pages the demo board serves.")
    demo_per_page: int = Field(20, ge=1, le=200, description="demo source: jobs per demo page.")
    follow_details: bool = Field(default_factory=lambda: get_settings().follow_details,
                                 description="topcv/demo: follow new, changed or stale cards to their detail page.")
    detail_budget: int = Field(default_factory=lambda: get_settings().detail_budget, ge=0, le=1_000_000,
                               description="Detail-page requests per run at most (JOBINSIGHT_DETAIL_BUDGET).")
    detail_refresh_days: float = Field(default_factory=lambda: get_settings().detail_refresh_days,
                                       ge=0, le=3650, allow_inf_nan=False,
                                       description="Re-read a posting's detail page when its details are older "
                                                   "than this many days (JOBINSIGHT_DETAIL_REFRESH_DAYS).")
    demo_challenge: bool = Field(False, description="demo source: the board answers with a JavaScript challenge.")

    @field_validator("source")
    @classmethod
    def _registered_source(cls, value: str) -> str:
        """One of the sources in the registry (read when validating, so a source registered later counts)."""
        names = _source_names()
        if value not in names:
            raise ValueError(f"unknown source; registered sources: {', '.join(names)}")
        return value

    @field_validator("archive_date")
    @classmethod
    def _real_date(cls, value: str | None) -> str | None:
        """A calendar date (the pattern alone lets 2026-02-31 through); it becomes part of a path glob."""
        if value is not None:
            date.fromisoformat(value)
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url_with_host(cls, value: str | None) -> str | None:
        """An http(s) URL with a host and no whitespace or control characters (they would end up
        in request lines, archive keys and logs)."""
        if value is None:
            return value
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise ValueError("must not contain spaces or control characters")
        if not urlsplit(value).hostname:
            raise ValueError("has no host")
        return value

    @field_validator("urls")
    @classmethod
    def _no_blank_or_control(cls, values: list[str]) -> list[str]:
        """URLs or files of URLs: none blank, none with control characters."""
        for value in values:
            if not value.strip():
                raise ValueError("empty URL")
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
                raise ValueError(f"{value[:60]!r} contains control characters")
        return values

    @property
    def claim_mode(self) -> str:
        """Which raw rows are eligible: 'retry', 'unprocessed' or 'all'."""
        if self.retry_failed:
            return "retry"
        return "unprocessed" if self.only_unprocessed else "all"


class PhaseMetric(BaseModel):
    """One phase (or step) of one batch: what it took and what it did."""

    phase: str
    batch_no: int | None = None
    duration_s: float
    rows_in: int | None = None
    rows_out: int | None = None
    rss_mb: float | None = None
    rss_delta_mb: float | None = None
    cpu_percent: float | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class PipelineStats(BaseModel):
    """Counts of a run (names kept from the original pipeline's result)."""

    total_records: int = 0
    processed_records: int = 0
    success_count: int = 0
    failure_count: int = 0
    quarantined: int = 0
    duration_seconds: float = 0.0
    batch_count: int = 0
    extra: dict[str, Any] = Field(default_factory=dict)


#: ``outcome`` of a run: it did everything it was asked; it succeeded but left eligible rows behind
#: (held by another run's claim, skipped by a limit, changed meanwhile); it failed.
COMPLETED, COMPLETED_WITH_ROWS_LEFT, FAILED = "completed", "completed_with_rows_left", "failed"


class PipelineResult(BaseModel):
    """What every flow returns (and ``--json`` prints)."""

    success: bool
    message: str
    flow: str
    run_id: str | None = None
    #: completed | completed_with_rows_left | failed (exit codes 0 | 3 | 1; see README "Outcomes")
    outcome: str = COMPLETED
    #: eligible raw rows still waiting when a process run ended (why: ``stats.extra["rows_left"]``)
    rows_left: int = 0
    stats: PipelineStats = Field(default_factory=PipelineStats)
    phases: list[PhaseMetric] = Field(default_factory=list)
    parts: dict[str, PipelineResult] = Field(default_factory=dict)
