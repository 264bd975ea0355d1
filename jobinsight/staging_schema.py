"""The one declaration of the staging table ``jobinsight_staging.staging_jobs_data``.

Why: the columns used to be listed in four places (the transformer's output, the save step's
column list, its temp-table type map, and the migrations), so a derived column added in one
of them was silently not written. Now the transformer builds exactly :data:`STAGING_COLUMNS`
(it raises if it produced a column more or less), the save step takes its column lists and
temp-table types from here, and ``tests/integration/test_staging_schema.py`` compares this
declaration with ``information_schema`` of a migrated database, name by name and type by type.

The migrations stay the authority on the database (they are checksummed and never edited):
a new column needs a new migration *and* an entry here; the test fails until both agree.

Each column has an ``origin``, which decides who writes it:

* ``key`` — ``raw_id``: the raw row's surrogate id, sent by the save step with the derived columns.
* ``raw`` — copied as it is from ``public.raw_jobs`` in SQL by the save step (never shipped
  back from Python); the transformer passes them through in its output frame. ``content_hash``
  is also sent with the derived columns, to recognise the raw row version that was processed.
* ``derived`` — computed by the transformer (phase 4) and sent to the database by COPY.
* ``save`` — set by the save statement itself (``processed_at``, ``run_id``).
* ``legacy`` — kept from the original pipeline's table; nothing writes it any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Origin = Literal["key", "raw", "derived", "save", "legacy"]

TABLE = ("jobinsight_staging", "staging_jobs_data")
VIEW = ("jobinsight_staging", "staging_jobs")


@dataclass(frozen=True, slots=True)
class StagingColumn:
    """One column: its PostgreSQL type (as ``information_schema.columns.data_type`` names it),
    whether it may be NULL, who writes it, and what it means."""

    name: str
    pg_type: str
    origin: Origin
    meaning: str
    nullable: bool = True

    @property
    def sql_type(self) -> str:
        """The type as written in DDL (for the save step's temporary table)."""
        return _SQL_TYPE.get(self.pg_type, self.pg_type)


_SQL_TYPE = {"timestamp with time zone": "timestamptz"}

_TEXT, _JSON, _NUM, _TS = "text", "jsonb", "numeric", "timestamp with time zone"

#: Every column of the staging table, in the order of the transformer's output frame (key, raw,
#: derived), then the columns the save step and the legacy table add.
COLUMNS: tuple[StagingColumn, ...] = (
    StagingColumn("raw_id", "bigint", "key", "id of the raw_jobs row this staging row was made from"),
    # -- copied from raw_jobs ----------------------------------------------------------------------
    StagingColumn("source", _TEXT, "raw", "the job board (registry name), part of the key", nullable=False),
    StagingColumn("job_id", _TEXT, "raw", "the board's id of the posting, part of the key", nullable=False),
    StagingColumn("title", _TEXT, "raw", "the title as the board shows it"),
    StagingColumn("job_url", _TEXT, "raw", "link to the posting (a doubled prefix repaired; raw keeps the original)"),
    StagingColumn("company_name", _TEXT, "raw", "the employer as the board shows it"),
    StagingColumn("company_url", _TEXT, "raw", "link to the employer's page"),
    StagingColumn("salary", _TEXT, "raw", "salary text as shown ('15 - 20 triệu', 'Thoả thuận')"),
    StagingColumn("skills", _JSON, "raw", "the board's skill tags, a JSON list of strings"),
    StagingColumn("location", _TEXT, "raw", "visible city text ('Hà Nội, Hồ Chí Minh')"),
    StagingColumn("location_detail", _TEXT, "raw", "city: district tooltip, HTML as the board gives it"),
    StagingColumn("deadline", _TEXT, "raw", "deadline text as shown (a date, 'Còn 12 ngày', a day count)"),
    StagingColumn("verified_employer", "boolean", "raw", "the board marks the employer as verified"),
    StagingColumn("last_update", _TEXT, "raw", "'Cập nhật 2 giờ trước' as shown"),
    StagingColumn("logo_url", _TEXT, "raw", "the employer's logo (none for the board's placeholder)"),
    StagingColumn("posted_time", _TS, "raw", "when the posting appeared, approximate for relative texts"),
    StagingColumn("crawled_at", _TS, "raw", "when the page was fetched"),
    StagingColumn("content_hash", _TEXT, "raw", "hash of the raw content that was processed"),
    StagingColumn("job_level", _TEXT, "raw", "rank from the detail page ('Nhân viên', 'Trưởng nhóm')"),
    StagingColumn("job_category", _TEXT, "raw", "the detail page's related categories, ', '-joined"),
    StagingColumn("work_locations", _JSON, "raw", "[{city, address}] every work location on the detail page"),
    StagingColumn("detail_scraped_at", _TS, "raw", "when the detail page was last read (NULL: card only)"),
    # -- computed by the transformer (phase 4) -----------------------------------------------------
    StagingColumn("title_clean", _TEXT, "derived", "title without decorations (salary, city, 'Gấp', …)"),
    StagingColumn("company_name_standardized", _TEXT, "derived", "employer name, legal form and case normalised"),
    StagingColumn("salary_min", _NUM, "derived", "lower bound in millions of VND per month (USD converted; none for hourly/daily/piece pay)"),
    StagingColumn("salary_max", _NUM, "derived", "upper bound in millions of VND per month (USD converted; none for hourly/daily/piece pay)"),
    StagingColumn("salary_type", _TEXT, "derived", "range | from | upto | exact | negotiable | unknown"),
    StagingColumn("salary_currency", _TEXT, "derived", "VND | USD | … as stated"),
    StagingColumn("salary_period", _TEXT, "derived", "month | year | hour | day | piece as stated"),
    StagingColumn("salary_amount_min", _NUM, "derived", "lower bound in salary_currency per salary_period"),
    StagingColumn("salary_amount_max", _NUM, "derived", "upper bound in salary_currency per salary_period"),
    StagingColumn("location_pairs", _JSON, "derived", "[{city, district}] read from location_detail"),
    StagingColumn("cities", _JSON, "derived", "canonical province names, one entry per city"),
    StagingColumn("due_date", _TS, "derived", "deadline as a timestamp (Asia/Ho_Chi_Minh end of day)"),
    StagingColumn("skills_normalized", _JSON, "derived", "skills mapped to the taxonomy's canonical names"),
    StagingColumn("seniority", _TEXT, "derived", "intern | fresher | junior | middle | senior | lead | manager | unknown"),
    StagingColumn("job_family", _TEXT, "derived", "job family label (software, accounting, sales, …)"),
    StagingColumn("work_mode", _TEXT, "derived", "onsite | hybrid | remote | unknown"),
    StagingColumn("languages_required", _JSON, "derived", "[{language, level}] the posting asks for"),
    StagingColumn("capabilities", _JSON, "derived", "capability labels found in the text"),
    StagingColumn("enrichment_source", _TEXT, "derived", "who labelled the row: rules | llm | rules-fallback"),
    StagingColumn("enrichment_version", _TEXT, "derived", "version of the rules / prompt that labelled it"),
    # V007 (issue 13): data quality
    StagingColumn("occupation_isco", _TEXT, "derived",
                  "ISCO-08 sub-major group (2 digits) from family, seniority and title; none for family other"),
    StagingColumn("country", _TEXT, "derived",
                  "ISO 3166-1 alpha-2 country of the place (VN for provinces; ZZ = abroad, country not stated)"),
    StagingColumn("region", _TEXT, "derived", "first-level region of a foreign place (US state, Canadian province, …)"),
    StagingColumn("salary_suspect", "boolean", "derived",
                  "monthly salary outside the plausible band (1-1,000 M VND): kept, flagged"),
    StagingColumn("salary_source", _TEXT, "derived", "posted (the salary field) | text (the description) | none"),
    StagingColumn("title_truncated", "boolean", "derived", "the board cut the title short (ended in an ellipsis)"),
    StagingColumn("company_rating", _NUM, "derived", "a review board's star rating, split off the company name"),
    StagingColumn("experience_min_months", "integer", "derived",
                  "experience asked for, lower bound in months ('Không yêu cầu' 0, '1 - 3 năm' 12)"),
    StagingColumn("experience_max_months", "integer", "derived",
                  "experience asked for, upper bound in months (NULL for 'Trên 5 năm')"),
    StagingColumn("openings", "integer", "derived", "people hired ('10 người' -> 10)"),
    StagingColumn("employment_type", _TEXT, "derived", "full_time | part_time | internship | contract | freelance | …"),
    StagingColumn("education_level", _TEXT, "derived", "doctorate | master | university | college | vocational | …"),
    # -- written by the save statement -------------------------------------------------------------
    StagingColumn("processed_at", _TS, "save", "when this row was last written"),
    StagingColumn("run_id", _TEXT, "save", "the process flow run that wrote it"),
    # -- kept from the original pipeline -----------------------------------------------------------
    StagingColumn("time_remaining_snapshot", _TEXT, "legacy",
                  "the original pipeline's stale time_remaining text; the view computes it from due_date"),
)

#: Columns the view ``staging_jobs`` adds to the table's, computed from ``due_date`` when read.
VIEW_COLUMNS: tuple[StagingColumn, ...] = (
    StagingColumn("time_remaining", _TEXT, "save", "'Còn N ngày' / 'Hết hạn', computed when read"),
    StagingColumn("days_remaining", "integer", "save", "days until due_date, computed when read"),
)

BY_NAME: dict[str, StagingColumn] = {c.name: c for c in COLUMNS}


def _names(*origins: Origin) -> tuple[str, ...]:
    return tuple(c.name for c in COLUMNS if c.origin in origins)


#: What the transformer outputs, in order: the key, the raw columns passed through, the derived ones.
STAGING_COLUMNS: tuple[str, ...] = _names("key", "raw", "derived")
#: Columns copied as they are from the raw row (taken from raw_jobs in SQL by the save step).
PASSTHROUGH_COLUMNS: tuple[str, ...] = _names("raw")
#: Columns the transformer computes.
DERIVED_COLUMNS: tuple[str, ...] = _names("derived")
#: What the save step sends to the database by COPY: the row identity and version, then the derived columns.
SAVED_COLUMNS: tuple[str, ...] = ("raw_id", "content_hash", *DERIVED_COLUMNS)
#: Raw columns whose staging value the transformer repairs when needed (NULL from Python keeps
#: the raw value; raw_jobs keeps the original): ``job_url`` with a doubled prefix.
REPAIRED_COLUMNS: tuple[str, ...] = ("job_url",)
#: The primary key.
KEY: tuple[str, ...] = ("source", "job_id")

__all__ = [
    "BY_NAME", "COLUMNS", "DERIVED_COLUMNS", "KEY", "PASSTHROUGH_COLUMNS", "REPAIRED_COLUMNS", "SAVED_COLUMNS",
    "STAGING_COLUMNS",
    "StagingColumn", "TABLE", "VIEW", "VIEW_COLUMNS",
]
