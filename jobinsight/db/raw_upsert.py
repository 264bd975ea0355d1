"""Bulk upsert of scraped postings into ``public.raw_jobs``.

One statement per batch (not one per row): the records go into a temporary table, and one
``INSERT … ON CONFLICT`` writes them. The content hash (SQL function
``jobinsight_content_hash``, the single definition) decides inserted / updated / unchanged;
only changed content sets ``is_processed = false`` (and clears a previous processing error),
so the process flow re-does exactly the jobs that changed. NULL stays NULL. Duplicates
within one crawl collapse to the last one seen. A record PostgreSQL cannot store is
quarantined with its reason while the rest of the batch goes in.

A record with a field bigger than ``JOBINSIGHT_MAX_FIELD_BYTES`` (1 MiB) is quarantined, not
truncated: such a value is a parser that picked the wrong element or a hostile page, never a
real title or salary, and a cut-off value would look valid to every reader downstream (and to
the content hash) while being wrong. The quarantine entry keeps a short preview of the field
and its size, not the value itself. Without the limit one 33 MB title stopped every later
process run at the CSV load (Arrow's 16 MiB block).

Concurrent crawls of overlapping postings write rows in key order and retry a deadlock (the
whole transaction, a few times), so two upserts never fail each other.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import psycopg2
import psycopg2.errors
from psycopg2 import sql
from psycopg2.extras import execute_values

from jobinsight.db.connect import transaction
from jobinsight.settings import get_settings

log = logging.getLogger(__name__)
# Retry jitter from a generator of our own: a program (or Hypothesis) that seeds the global
# `random` must not make two writers sleep alike and meet again.
_JITTER = random.Random()  # noqa: S311 - jitter, not cryptography

TEXT_COLUMNS = ("title", "job_url", "company_name", "company_url", "salary", "location", "location_detail",
                "deadline", "last_update", "logo_url")
#: Text columns only a detail page fills (V008).
DETAIL_TEXT_COLUMNS = ("description", "requirements", "benefits", "job_level", "experience", "education",
                       "openings", "employment_type", "job_category")
#: The temporary table a batch is loaded into: (column, type), in the order of a prepared row.
_TEMP_TABLE = (
    (("source", "text"), ("job_id", "text")) + tuple((c, "text") for c in TEXT_COLUMNS)
    + (("skills", "jsonb"), ("verified_employer", "boolean"), ("posted_time", "timestamptz"), ("payload", "jsonb"),
       ("page_kind", "text"), ("listing_hash", "text"))
    + tuple((c, "text") for c in DETAIL_TEXT_COLUMNS)
    + (("work_locations", "jsonb"), ("detail_scraped_at", "timestamptz"))
)
_COLUMNS = tuple(name for name, _ in _TEMP_TABLE)
#: The order page kinds are written in when one call carries several for one posting.
_KIND_ORDER = ("listing", "full", "detail")

_CREATE_TEMP = sql.SQL("""
CREATE TEMP TABLE jobinsight_scraped ({}) ON COMMIT DROP;
CREATE TEMP TABLE jobinsight_scraped_before ON COMMIT DROP AS
    SELECT ''::text AS source, ''::text AS job_id, ''::text AS content_hash WITH NO DATA;
""").format(sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
                               for name, kind in _TEMP_TABLE))
_INSERT_TEMP = sql.SQL("INSERT INTO jobinsight_scraped ({}) VALUES %s").format(
    sql.SQL(", ").join(sql.Identifier(c) for c in _COLUMNS)
)
_TEMPLATE = "(" + ", ".join("%s::jsonb" if kind == "jsonb" else "%s" for _, kind in _TEMP_TABLE) + ")"

_SNAPSHOT = """
INSERT INTO jobinsight_scraped_before (source, job_id, content_hash)
SELECT r.source, r.job_id, r.content_hash
  FROM public.raw_jobs r
  JOIN (SELECT DISTINCT source, job_id FROM jobinsight_scraped) k ON k.source = r.source AND k.job_id = r.job_id
"""

# One posting is one row, whichever pages contributed to it. What a record of each kind writes:
#   listing  the card's columns as they are (NULL stays NULL) - but once the row has details, a NULL
#            does not erase a detail-page value, and the detail page's deadline and location (the
#            visible deadline, every city) win over the card's; detail columns untouched.
#   detail   the detail columns as they are; the card's columns only where the row has none
#            (deadline and location: the detail page's, when it has them); card-only columns untouched.
#   full     (a JSON-LD page: the whole posting) everything, detail columns where it has them.
# The content hash is computed over the merged row, so a listing re-crawl of a posting that has
# details is "unchanged" when nothing changed.
# Each rule below is that table for one kind of column; {s} is the scraped value, {r} the stored one.
_CARD = ("CASE s.page_kind WHEN 'detail' THEN COALESCE({r}, {s}) "
         "WHEN 'listing' THEN CASE WHEN r.detail_scraped_at IS NULL THEN {s} ELSE COALESCE({s}, {r}) END "
         "ELSE {s} END")
#: A card column the detail page also shows, better (the visible deadline, every city): it wins.
_CARD_DETAIL_WINS = ("CASE s.page_kind WHEN 'detail' THEN COALESCE({s}, {r}) "
                     "WHEN 'listing' THEN CASE WHEN r.detail_scraped_at IS NULL THEN {s} ELSE COALESCE({r}, {s}) END "
                     "ELSE {s} END")
#: Only a card has it: a detail page leaves the stored value.
_CARD_ONLY = "CASE WHEN s.page_kind = 'detail' AND r.id IS NOT NULL THEN {r} ELSE {s} END"
#: Only a detail page (or a full page) has it: a listing leaves the stored value.
_DETAIL = "CASE s.page_kind WHEN 'listing' THEN {r} WHEN 'detail' THEN {s} ELSE COALESCE({s}, {r}) END"
#: Never erased by a NULL; the detail page's wins once the row has details.
_POSTED = ("CASE s.page_kind WHEN 'detail' THEN COALESCE({s}, {r}) "
           "ELSE CASE WHEN r.detail_scraped_at IS NULL THEN COALESCE({s}, {r}) ELSE COALESCE({r}, {s}) END END")
#: A detail page's payload goes under "detail"; another page's replaces the rest and keeps that key.
_PAYLOAD = ("CASE s.page_kind WHEN 'detail' THEN COALESCE({r}, '{{}}'::jsonb) || jsonb_build_object('detail', {s}) "
            "ELSE COALESCE({s}, '{{}}'::jsonb) "
            "|| COALESCE(jsonb_strip_nulls(jsonb_build_object('detail', {r} -> 'detail')), '{{}}'::jsonb) END")
_LISTING_HASH = "CASE WHEN s.page_kind = 'listing' THEN {s} ELSE {r} END"

#: Every stored column of a posting and the rule that merges it: the one place they are listed.
_MERGE = (
    ("title", _CARD), ("job_url", _CARD), ("company_name", _CARD), ("company_url", _CARD), ("salary", _CARD),
    ("location", _CARD_DETAIL_WINS), ("location_detail", _CARD), ("deadline", _CARD_DETAIL_WINS),
    ("last_update", _CARD_ONLY), ("logo_url", _CARD), ("skills", _CARD_ONLY), ("verified_employer", _CARD_ONLY),
    ("posted_time", _POSTED), ("payload", _PAYLOAD), ("listing_hash", _LISTING_HASH),
    *((c, _DETAIL) for c in DETAIL_TEXT_COLUMNS), ("work_locations", _DETAIL), ("detail_scraped_at", _DETAIL),
)


def _merged(column: str, rule: str) -> sql.Composed:
    expression = sql.SQL(rule).format(s=sql.Identifier("s", column), r=sql.Identifier("r", column))
    return sql.SQL("{} AS {}").format(expression, sql.Identifier(column))


def _names(columns: Iterable[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(c) for c in columns)


_MERGED_COLUMNS = tuple(column for column, _ in _MERGE)
_UPSERT = sql.SQL("""
WITH merged AS (
    SELECT s.source, s.job_id, r.id IS NOT NULL AS existed, r.content_hash AS old_hash,
        {merged}
      FROM jobinsight_scraped s
      LEFT JOIN public.raw_jobs r ON r.source = s.source AND r.job_id = s.job_id
     WHERE s.page_kind = %(kind)s
), incoming AS (
    SELECT m.*,
           public.jobinsight_content_hash(m.title, m.job_url, m.company_name, m.company_url, m.salary, m.skills,
               m.location, m.location_detail, m.deadline, m.verified_employer, m.logo_url, m.payload,
               jsonb_build_object('description', m.description, 'requirements', m.requirements,
                   'benefits', m.benefits, 'job_level', m.job_level, 'experience', m.experience,
                   'education', m.education, 'openings', m.openings, 'employment_type', m.employment_type,
                   'job_category', m.job_category, 'work_locations', m.work_locations)) AS new_hash
      FROM merged m
)
INSERT INTO public.raw_jobs AS r (source, job_id, {columns}, content_hash,
                                  is_scraped, scrape_date, first_seen_at, last_seen_at, crawled_at, is_processed)
SELECT source, job_id, {columns}, new_hash, true, now(), now(), now(), now(), false
  FROM incoming
 ORDER BY source, job_id  -- key order: concurrent upserts lock rows in the same order
ON CONFLICT (source, job_id) DO UPDATE SET
    {updates}, content_hash = EXCLUDED.content_hash,
    is_scraped = true, scrape_date = now(), last_seen_at = now(), crawled_at = now(),
    is_processed = r.is_processed AND r.content_hash IS NOT DISTINCT FROM EXCLUDED.content_hash,
    process_error = CASE WHEN r.content_hash IS NOT DISTINCT FROM EXCLUDED.content_hash
                         THEN r.process_error END,
    process_attempts = CASE WHEN r.content_hash IS NOT DISTINCT FROM EXCLUDED.content_hash
                            THEN r.process_attempts ELSE 0 END
""").format(
    merged=sql.SQL(",\n        ").join(_merged(column, rule) for column, rule in _MERGE),
    columns=_names(_MERGED_COLUMNS),
    updates=sql.SQL(", ").join(sql.SQL("{c} = {e}").format(c=sql.Identifier(c), e=sql.Identifier("excluded", c))
                               for c in _MERGED_COLUMNS),
)

# Counted per posting over the whole call (a new posting whose card and detail page both came in
# is one insert, not an insert and an update).
_COUNT = """
SELECT count(*) FILTER (WHERE b.job_id IS NULL),
       count(*) FILTER (WHERE b.job_id IS NOT NULL AND b.content_hash IS DISTINCT FROM r.content_hash),
       count(*) FILTER (WHERE b.job_id IS NOT NULL AND b.content_hash IS NOT DISTINCT FROM r.content_hash)
  FROM (SELECT DISTINCT source, job_id FROM jobinsight_scraped) k
  JOIN public.raw_jobs r ON r.source = k.source AND r.job_id = k.job_id
  LEFT JOIN jobinsight_scraped_before b ON b.source = k.source AND b.job_id = k.job_id
"""

#: Longest ``source`` / ``job_id`` stored, in UTF-8 bytes. ``(source, job_id)`` is a unique btree key of
#: raw_jobs and staging, and a btree entry must fit in a third of a page (~2.7 kB): one longer key
#: would make PostgreSQL reject the whole batch's INSERT, so such a record is quarantined instead.
MAX_KEY_BYTES = 1000

_QUARANTINE = """
INSERT INTO jobinsight_monitoring.quarantine (stage, source, job_id, run_id, reason, record)
VALUES %s
"""


@dataclass
class UpsertResult:
    """Counts of one upsert."""

    received: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates_collapsed: int = 0
    quarantined: int = 0
    quarantine_reasons: list[str] = field(default_factory=list)
    #: records quarantined because a field was bigger than ``max_field_bytes``
    oversized: int = 0
    max_field_bytes: int = 0
    #: transactions rolled back by a deadlock with a concurrent writer and run again
    deadlock_retries: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _clean_text(value: Any) -> Any:
    """Values PostgreSQL (text and jsonb) can store: no NUL bytes, no lone surrogates, no NaN/Infinity."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # jsonb has no NaN/Infinity: keep what the source said, as text
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_clean_text(v) for v in value]
    if isinstance(value, dict):
        return {str(_clean_text(k)): _clean_text(v) for k, v in value.items()}
    return value


def _to_json(value: Any) -> str:
    """JSON that jsonb accepts for any Python value (unknown objects as their cleaned ``str``).

    Why: one value jsonb rejects (NaN, a NUL escape) used to fail the statement of the whole
    batch, including the quarantine insert meant to keep the bad record.
    """
    return json.dumps(_clean_text(value), ensure_ascii=False, allow_nan=False,
                      default=lambda obj: _clean_text(str(obj)))


#: Deadlocked upsert transactions are run again this many times before the error propagates.
DEADLOCK_RETRIES = 5
#: Start of the message of a record quarantined for an oversized field (the run report counts them).
OVERSIZED = "oversized field"


def _oversized(name: str, value: str | None, limit: int) -> str | None:
    """The quarantine reason when ``value`` is bigger than ``limit`` UTF-8 bytes."""
    if value is None or len(value) * 4 <= limit:  # cheap: no str of this length can be over the limit
        return None
    size = len(value.encode("utf-8", "replace"))
    if size <= limit:
        return None
    return f"{OVERSIZED}: {name} is {size:,} bytes, over the limit of {limit:,} (JOBINSIGHT_MAX_FIELD_BYTES)"


def _texts(record: Mapping[str, Any], names: Sequence[str], limit: int) -> tuple[list[str | None], str | None]:
    """The text columns ``names`` of a record, cleaned, or the reason one cannot be stored (too big)."""
    values: list[str | None] = []
    for name in names:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            value = str(value)
        value = _clean_text(value)
        reason = _oversized(name, value, limit)
        if reason:
            return values, reason
        values.append(value)
    return values, None


def _prepare(record: Mapping[str, Any], limit: int = 1 << 20) -> tuple[tuple | None, str | None]:
    """The temp-table tuple for one record, or the reason it cannot be stored."""
    # NUL bytes and lone surrogates go first, so a key or title made only of them counts as missing.
    job_id, source, title = (_clean_text(v) if isinstance(v, str) else v
                             for v in (record.get("job_id"), record.get("source"), record.get("title")))
    if not isinstance(source, str) or not source.strip():
        return None, "missing source"
    if not isinstance(job_id, str) or not job_id.strip():
        return None, "missing job_id"
    for name, value in (("source", source), ("job_id", job_id)):
        if len(value.encode("utf-8", "replace")) > MAX_KEY_BYTES:
            return None, f"{name} longer than {MAX_KEY_BYTES} bytes"
    if not isinstance(title, str) or not title.strip():
        return None, "missing title"
    texts, reason = _texts(record, TEXT_COLUMNS, limit)
    if reason:
        return None, reason
    skills = record.get("skills")
    if skills is not None and not isinstance(skills, list):
        skills = [skills]
    verified = record.get("verified_employer")
    if verified is not None and not isinstance(verified, bool):
        return None, f"verified_employer is {type(verified).__name__}, not a boolean"
    posted = record.get("posted_time")
    if posted is not None and (not isinstance(posted, datetime) or posted.utcoffset() is None):
        return None, "posted_time is not a timezone-aware datetime"
    payload = record.get("payload") or {}
    if not isinstance(payload, dict):
        payload = {"value": payload}
    try:
        # a skill is a name: nested lists/objects and nulls are not skills (the payload keeps them)
        skills_json = None if skills is None else _to_json(
            [s if isinstance(s, str) else str(s) for s in skills
             if s is not None and not isinstance(s, (list, tuple, set, frozenset, dict))])
        payload_json = _to_json(payload)
    except (TypeError, ValueError) as exc:
        return None, f"unserializable value: {exc}"
    for name, value in (("skills", skills_json), ("payload", payload_json)):
        reason = _oversized(name, value, limit)
        if reason:
            return None, reason
    kind = record.get("page_kind") or "listing"
    if kind not in _KIND_ORDER:
        return None, f"page_kind {str(kind)[:40]!r} is not one of {', '.join(_KIND_ORDER)}"
    details, reason = _texts(record, DETAIL_TEXT_COLUMNS, limit)
    if reason:
        return None, reason
    locations = record.get("work_locations")
    detail_at = record.get("detail_scraped_at")
    if detail_at is not None and (not isinstance(detail_at, datetime) or detail_at.utcoffset() is None):
        return None, "detail_scraped_at is not a timezone-aware datetime"
    try:
        locations_json = None if locations is None else _to_json(
            locations if isinstance(locations, list) else [locations])
    except (TypeError, ValueError) as exc:
        return None, f"unserializable value: {exc}"
    listing_hash = card_hash(record) if kind == "listing" else None
    row = (_clean_text(source.strip()), _clean_text(job_id.strip()), *texts, skills_json, verified, posted,
           payload_json, kind, listing_hash, *details, locations_json, detail_at)
    return row, None


#: The card columns whose change means "the card changed" (volatile ones such as "posted 2 days
#: ago" are left out, like in the content hash).
CARD_COLUMNS = ("title", "job_url", "company_name", "company_url", "salary", "skills", "location",
                "location_detail", "deadline", "verified_employer", "logo_url")


def card_hash(record: Mapping[str, Any]) -> str:
    """The listing card's own hash: the crawler follows a card to its detail page when it changes.

    One definition, used both when a listing record is stored (``raw_jobs.listing_hash``) and when
    the crawler compares a fresh card with what is stored.
    """
    values = [_clean_text(record.get(name)) for name in CARD_COLUMNS]
    text = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def upsert_raw_jobs(url: str, records: Iterable[Mapping[str, Any]], *, run_id: str | None = None,
                    max_field_bytes: int | None = None) -> UpsertResult:
    """Insert or update scraped records in one transaction; see module docstring.

    ``max_field_bytes`` defaults to ``JOBINSIGHT_MAX_FIELD_BYTES``.
    """
    limit = max_field_bytes or get_settings().max_field_bytes
    result = UpsertResult(max_field_bytes=limit)
    latest: dict[tuple[str, str], tuple] = {}
    bad: list[tuple[Mapping[str, Any], str]] = []
    for record in records:
        result.received += 1
        try:
            row, reason = _prepare(record, limit)
        except Exception as exc:  # a value whose str()/utcoffset() raises: keep the record, not the crash
            row, reason = None, f"unreadable record: {type(exc).__name__}: {exc}"[:500]
        if row is None:
            bad.append((record, reason or "invalid record"))
            continue
        key = (row[0], row[1], row[16])
        if key in latest:
            result.duplicates_collapsed += 1
        latest[key] = row
    rows = [latest[key] for key in sorted(latest)]  # key order, like the upsert itself
    for attempt in range(DEADLOCK_RETRIES + 1):
        rejected: list[tuple[Mapping[str, Any], str]] = []
        try:
            _write(url, rows, bad, rejected, result, run_id, limit)
            break
        except psycopg2.errors.DeadlockDetected:
            if attempt == DEADLOCK_RETRIES:
                raise
            result.deadlock_retries += 1
            log.info("raw upsert deadlocked with a concurrent writer; running it again (attempt %s)", attempt + 2)
            time.sleep(_JITTER.uniform(0.05, 0.2) * (attempt + 1))  # apart, so the two do not meet again
    bad = bad + rejected
    result.quarantined = len(bad)
    result.oversized = sum(1 for _, reason in bad if reason.startswith(OVERSIZED))
    result.quarantine_reasons = sorted({reason for _, reason in bad})
    if bad:
        log.warning("quarantined %s scraped records: %s", len(bad), ", ".join(result.quarantine_reasons))
    return result


def _write(url: str, rows: list[tuple], bad: list, rejected: list, result: UpsertResult, run_id: str | None,
           limit: int) -> None:
    """One transaction: temp table, upsert, quarantine entries (``rejected`` gets the rows PostgreSQL refused)."""
    with transaction(url, application_name="jobinsight-upsert") as conn, conn.cursor() as cur:
        cur.execute(_CREATE_TEMP)
        good_rows = _load_temp(cur, rows, rejected)
        if good_rows:
            cur.execute(_SNAPSHOT)
            kinds = {row[16] for row in rows}
            for kind in _KIND_ORDER:
                if kind in kinds:
                    cur.execute(_UPSERT, {"kind": kind})
            cur.execute(_COUNT)
            inserted, updated, unchanged = cur.fetchone()
            result.inserted, result.updated, result.unchanged = int(inserted), int(updated), int(unchanged)
        entries = bad + rejected
        if entries:
            execute_values(cur, _QUARANTINE, [_quarantine_row(rec, reason, run_id, limit) for rec, reason in entries],
                           template="(%s, %s, %s, %s, %s, %s::jsonb)")


def _load_temp(cur: psycopg2.extensions.cursor, rows: list[tuple], bad: list) -> int:
    """Fill the temp table; rows PostgreSQL rejects are isolated one by one and set aside."""
    if not rows:
        return 0
    cur.execute("SAVEPOINT bulk")
    try:
        execute_values(cur, _INSERT_TEMP, rows, template=_TEMPLATE, page_size=1000)
        cur.execute("RELEASE SAVEPOINT bulk")
        return len(rows)
    except psycopg2.DataError:
        cur.execute("ROLLBACK TO SAVEPOINT bulk")
    loaded = 0
    for row in rows:  # only after a failure: find the offending rows
        cur.execute("SAVEPOINT one")
        try:
            execute_values(cur, _INSERT_TEMP, [row], template=_TEMPLATE)
            cur.execute("RELEASE SAVEPOINT one")
            loaded += 1
        except psycopg2.DataError as exc:
            cur.execute("ROLLBACK TO SAVEPOINT one")
            bad.append((dict(zip(_COLUMNS, row, strict=True)), f"rejected by PostgreSQL: {exc.pgerror or exc}"[:500]))
    return loaded


def _safe(value: Any) -> str | None:
    return None if value is None else str(_clean_text(str(value)))


#: Characters of an oversized value the quarantine entry keeps, so a person sees what it was.
PREVIEW_CHARS = 500


def _clip(value: Any, limit: int) -> Any:
    """``value`` with every string longer than ``limit`` characters replaced by a preview and its size."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:PREVIEW_CHARS]}… [{len(value):,} characters, cut for the quarantine record]"
    if isinstance(value, Mapping):
        return {k: _clip(v, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clip(v, limit) for v in value]
    return value


def _quarantine_row(rec: Mapping[str, Any], reason: str, run_id: str | None, limit: int = 1 << 20) -> tuple:
    """One quarantine entry; never raises, so a bad record cannot take the batch down with it.

    Values over the field limit are cut to a preview: the entry must not carry the 33 MB it rejects.
    """
    source, job_id = _printable(rec.get("source")), _printable(rec.get("job_id"))
    try:
        record = _to_json(_clip(dict(rec), max(limit // 4, PREVIEW_CHARS)))
    except Exception as exc:  # a value whose str() raises, an int too long to print
        record = _to_json({"unreadable": type(exc).__name__, "keys": [_printable(k) for k in rec]})
    return ("scrape", source, job_id, run_id, _clean_text(reason), record)


def _printable(value: Any) -> str | None:
    try:
        return _safe(value)
    except Exception:
        return "<unprintable>"
