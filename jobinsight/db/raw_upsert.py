"""Bulk upsert of scraped postings into ``public.raw_jobs``.

One statement per batch (not one per row): the records go into a temporary table, and one
``INSERT … ON CONFLICT`` writes them. The content hash (SQL function
``jobinsight_content_hash``, the single definition) decides inserted / updated / unchanged;
only changed content sets ``is_processed = false`` (and clears a previous processing error),
so the process flow re-does exactly the jobs that changed. NULL stays NULL. Duplicates
within one crawl collapse to the last one seen. A record PostgreSQL cannot store is
quarantined with its reason while the rest of the batch goes in.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import psycopg2
from psycopg2 import sql
from psycopg2.extras import execute_values

from jobinsight.db.connect import transaction

log = logging.getLogger(__name__)

TEXT_COLUMNS = ("title", "job_url", "company_name", "company_url", "salary", "location", "location_detail",
                "deadline", "last_update", "logo_url")
_COLUMNS = ("source", "job_id") + TEXT_COLUMNS + ("skills", "verified_employer", "posted_time", "payload")

_CREATE_TEMP = """
CREATE TEMP TABLE jobinsight_scraped (
    source text, job_id text, title text, job_url text, company_name text, company_url text, salary text,
    location text, location_detail text, deadline text, last_update text, logo_url text,
    skills jsonb, verified_employer boolean, posted_time timestamptz, payload jsonb
) ON COMMIT DROP
"""
_INSERT_TEMP = sql.SQL("INSERT INTO jobinsight_scraped ({}) VALUES %s").format(
    sql.SQL(", ").join(sql.Identifier(c) for c in _COLUMNS)
)
_TEMPLATE = "(" + ", ".join(["%s"] * 12 + ["%s::jsonb", "%s", "%s", "%s::jsonb"]) + ")"

_UPSERT = """
WITH incoming AS (
    SELECT s.*,
           public.jobinsight_content_hash(s.title, s.job_url, s.company_name, s.company_url, s.salary, s.skills,
               s.location, s.location_detail, s.deadline, s.verified_employer, s.logo_url, s.payload) AS new_hash,
           r.content_hash AS old_hash,
           r.id IS NOT NULL AS existed
      FROM jobinsight_scraped s
      LEFT JOIN public.raw_jobs r ON r.source = s.source AND r.job_id = s.job_id
), written AS (
    INSERT INTO public.raw_jobs AS r (
        source, job_id, title, job_url, company_name, company_url, salary, location, location_detail, deadline,
        last_update, logo_url, skills, verified_employer, posted_time, payload, content_hash,
        is_scraped, scrape_date, first_seen_at, last_seen_at, crawled_at, is_processed)
    SELECT source, job_id, title, job_url, company_name, company_url, salary, location, location_detail, deadline,
           last_update, logo_url, skills, verified_employer, posted_time, payload, new_hash,
           true, now(), now(), now(), now(), false
      FROM incoming
    ON CONFLICT (source, job_id) DO UPDATE SET
        title = EXCLUDED.title, job_url = EXCLUDED.job_url, company_name = EXCLUDED.company_name,
        company_url = EXCLUDED.company_url, salary = EXCLUDED.salary, location = EXCLUDED.location,
        location_detail = EXCLUDED.location_detail, deadline = EXCLUDED.deadline,
        last_update = EXCLUDED.last_update, logo_url = EXCLUDED.logo_url, skills = EXCLUDED.skills,
        verified_employer = EXCLUDED.verified_employer,
        posted_time = COALESCE(EXCLUDED.posted_time, r.posted_time),
        payload = EXCLUDED.payload, content_hash = EXCLUDED.content_hash,
        is_scraped = true, scrape_date = now(), last_seen_at = now(), crawled_at = now(),
        is_processed = r.is_processed AND r.content_hash IS NOT DISTINCT FROM EXCLUDED.content_hash,
        process_error = CASE WHEN r.content_hash IS NOT DISTINCT FROM EXCLUDED.content_hash
                             THEN r.process_error END,
        process_attempts = CASE WHEN r.content_hash IS NOT DISTINCT FROM EXCLUDED.content_hash
                                THEN r.process_attempts ELSE 0 END
    RETURNING 1
)
SELECT count(*) FILTER (WHERE NOT existed),
       count(*) FILTER (WHERE existed AND old_hash IS DISTINCT FROM new_hash),
       count(*) FILTER (WHERE existed AND old_hash IS NOT DISTINCT FROM new_hash),
       (SELECT count(*) FROM written)
  FROM incoming
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


def _prepare(record: Mapping[str, Any]) -> tuple[tuple | None, str | None]:
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
    texts = []
    for name in TEXT_COLUMNS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            value = str(value)
        texts.append(_clean_text(value))
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
    row = (_clean_text(source.strip()), _clean_text(job_id.strip()), *texts, skills_json, verified, posted,
           payload_json)
    return row, None


def upsert_raw_jobs(url: str, records: Iterable[Mapping[str, Any]], *, run_id: str | None = None) -> UpsertResult:
    """Insert or update scraped records in one transaction; see module docstring."""
    result = UpsertResult()
    latest: dict[tuple[str, str], tuple] = {}
    bad: list[tuple[Mapping[str, Any], str]] = []
    for record in records:
        result.received += 1
        try:
            row, reason = _prepare(record)
        except Exception as exc:  # a value whose str()/utcoffset() raises: keep the record, not the crash
            row, reason = None, f"unreadable record: {type(exc).__name__}: {exc}"[:500]
        if row is None:
            bad.append((record, reason or "invalid record"))
            continue
        key = (row[0], row[1])
        if key in latest:
            result.duplicates_collapsed += 1
        latest[key] = row
    rows = list(latest.values())
    with transaction(url, application_name="jobinsight-upsert") as conn, conn.cursor() as cur:
        cur.execute(_CREATE_TEMP)
        good_rows = _load_temp(cur, rows, bad)
        if good_rows:
            cur.execute(_UPSERT)
            inserted, updated, unchanged, _ = cur.fetchone()
            result.inserted, result.updated, result.unchanged = int(inserted), int(updated), int(unchanged)
        if bad:
            execute_values(cur, _QUARANTINE, [_quarantine_row(rec, reason, run_id) for rec, reason in bad],
                           template="(%s, %s, %s, %s, %s, %s::jsonb)")
    result.quarantined = len(bad)
    result.quarantine_reasons = sorted({reason for _, reason in bad})
    if bad:
        log.warning("quarantined %s scraped records: %s", len(bad), ", ".join(result.quarantine_reasons))
    return result


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


def _quarantine_row(rec: Mapping[str, Any], reason: str, run_id: str | None) -> tuple:
    """One quarantine entry; never raises, so a bad record cannot take the batch down with it."""
    source, job_id = _printable(rec.get("source")), _printable(rec.get("job_id"))
    try:
        record = _to_json(dict(rec))
    except Exception as exc:  # a value whose str() raises, an int too long to print
        record = _to_json({"unreadable": type(exc).__name__, "keys": [_printable(k) for k in rec]})
    return ("scrape", source, job_id, run_id, _clean_text(reason), record)


def _printable(value: Any) -> str | None:
    try:
        return _safe(value)
    except Exception:
        return "<unprintable>"
