"""The one record every scraping source produces: a posting as the source gave it.

Why a single dataclass: the raw upsert, the archive replay and every parser meet here, so the
shape of ``public.raw_jobs`` is written down once. Fields mirror the reference's raw columns;
``payload`` keeps everything else the source said (experience, tags, structured salary, the
page URL, which parser read it) so the process flow can re-derive columns later without a
re-crawl. A missing value is ``None`` — never ``""`` — because the upsert stores NULL as NULL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Columns only a detail page fills (V008). A listing record leaves them as they are in raw_jobs,
#: and a detail record leaves the listing-only columns alone: one posting is one row.
DETAIL_COLUMNS: tuple[str, ...] = (
    "description",
    "requirements",
    "benefits",
    "job_level",
    "experience",
    "education",
    "openings",
    "employment_type",
    "job_category",
    "work_locations",
    "detail_scraped_at",
)
#: What a record is: a listing card, a detail page, or a page that is the whole posting (JSON-LD).
PAGE_KINDS = ("listing", "detail", "full")

#: Column order of ``public.raw_jobs`` that a ``RawJob`` fills (crawl bookkeeping columns such as
#: ``crawled_at``/``first_seen_at`` belong to the upsert, not to the parser).
RAW_COLUMNS: tuple[str, ...] = (
    "source",
    "job_id",
    "title",
    "job_url",
    "company_name",
    "company_url",
    "salary",
    "skills",
    "location",
    "location_detail",
    "deadline",
    "verified_employer",
    "last_update",
    "logo_url",
    "posted_time",
    "payload",
    # not stored: tells the raw upsert which column group the record owns
    "page_kind",
    *DETAIL_COLUMNS,
)


@dataclass(slots=True)
class RawJob:
    """One job posting, one row of ``public.raw_jobs``; key is ``(source, job_id)``."""

    source: str
    job_id: str
    title: str | None = None
    job_url: str | None = None
    company_name: str | None = None
    company_url: str | None = None
    salary: str | None = None
    skills: list[str] | None = None
    location: str | None = None
    #: Per-city detail: the source's tooltip HTML (``<p>City: d1, d2<br/>City2: d3</p>``) or text
    #: lines ``"City: districts"`` joined by ``"\n"``.
    location_detail: str | None = None
    deadline: str | None = None
    verified_employer: bool | None = None
    last_update: str | None = None
    logo_url: str | None = None
    #: Timezone-aware; approximate when derived from "N ngày trước" (``payload["posted_time_approx"]``).
    posted_time: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    #: ``listing`` (a card), ``detail`` (a detail page) or ``full`` (a page that is the whole posting).
    page_kind: str = "listing"
    description: str | None = None
    requirements: str | None = None
    benefits: str | None = None
    #: Rank as the board writes it ("Nhân viên", "Trưởng nhóm").
    job_level: str | None = None
    experience: str | None = None
    education: str | None = None
    openings: str | None = None
    #: The board's work form ("Toàn thời gian", "Làm việc tại văn phòng / Onsite").
    employment_type: str | None = None
    job_category: str | None = None
    #: Every work location: ``[{"city": ..., "address": ...}]``.
    work_locations: list[dict[str, Any]] | None = None
    #: When the detail page was read (timezone-aware); None for listing records.
    detail_scraped_at: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.source, str) or not self.source:
            raise ValueError("RawJob.source must be a non-empty string")
        if not isinstance(self.job_id, str) or not self.job_id:
            raise ValueError("RawJob.job_id must be a non-empty string")
        if self.posted_time is not None and self.posted_time.utcoffset() is None:
            raise ValueError("RawJob.posted_time must be timezone-aware")
        if self.page_kind not in PAGE_KINDS:
            raise ValueError(f"RawJob.page_kind must be one of {PAGE_KINDS}, got {self.page_kind!r}")

    @property
    def key(self) -> tuple[str, str]:
        """The natural key of the raw table."""
        return (self.source, self.job_id)

    def to_row(self) -> dict[str, Any]:
        """A plain dict keyed by raw column name (copies, so callers may mutate it freely)."""
        return {
            "source": self.source,
            "job_id": self.job_id,
            "title": self.title,
            "job_url": self.job_url,
            "company_name": self.company_name,
            "company_url": self.company_url,
            "salary": self.salary,
            "skills": list(self.skills) if self.skills is not None else None,
            "location": self.location,
            "location_detail": self.location_detail,
            "deadline": self.deadline,
            "verified_employer": self.verified_employer,
            "last_update": self.last_update,
            "logo_url": self.logo_url,
            "posted_time": self.posted_time,
            "payload": dict(self.payload),
            "page_kind": self.page_kind,
            "description": self.description,
            "requirements": self.requirements,
            "benefits": self.benefits,
            "job_level": self.job_level,
            "experience": self.experience,
            "education": self.education,
            "openings": self.openings,
            "employment_type": self.employment_type,
            "job_category": self.job_category,
            "work_locations": [dict(w) for w in self.work_locations] if self.work_locations is not None else None,
            "detail_scraped_at": self.detail_scraped_at,
        }


def dedupe_jobs(jobs: list[RawJob]) -> list[RawJob]:
    """De-duplicate by ``(source, job_id)`` keeping the last occurrence, in first-seen order.

    A posting that appears on two pages of one crawl (boards re-sort while you paginate) must be
    one row; the later sighting is the fresher one.
    """
    latest: dict[tuple[str, str], RawJob] = {}
    for job in jobs:
        latest[job.key] = job
    return list(latest.values())
