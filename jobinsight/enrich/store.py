"""Database side of the LLM enricher: the answer cache, the daily quota and the pending marks.

Why: tokens cost money, so an answer is kept by the posting's content hash (with the model and
the prompt version) and re-processing an unchanged posting costs nothing; the daily quota must
hold across runs and processes, so its counter lives in the database and is taken atomically;
postings the quota (or an outage) kept from the LLM are recorded so they can be enriched later.

Every function works per batch, never per row: one query looks up all of a batch's hashes
(``= ANY(%s)``), one statement writes all answers (``unnest`` of arrays), one marks all pending
postings. Values always travel as psycopg2 parameters; table names are fixed identifiers.

Daily quota: a run reserves a chunk of the day's requests (``SELECT … FOR UPDATE`` then
``UPDATE`` in one transaction, so concurrent runs never over-grant) and gives back what it did
not use at the end of the batch. A crashed run's unused reservation stays counted: the day's
limit errs on the side of spending less.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import psycopg2.extensions

__all__ = ["Answer", "PendingMark", "lookup_answers", "release_day", "reserve_day", "save_outcomes", "used_today"]


@dataclass(frozen=True, slots=True)
class Answer:
    """A validated answer to store: its cache key, the answer as JSON text and what it cost."""

    content_hash: str
    answer_json: str
    tokens: int


@dataclass(frozen=True, slots=True)
class PendingMark:
    """A posting that still needs the LLM (its labels are the rules ones for now)."""

    content_hash: str
    raw_id: int | None
    reason: str


def lookup_answers(conn: psycopg2.extensions.connection, model: str, prompt_version: str,
                   hashes: Sequence[str]) -> list[tuple[str, str, str, str, str, str, str]]:
    """Cached answers of ``hashes`` for this model and prompt version, as staging columns: one query.

    Each row: (content_hash, skills_normalized JSON, seniority, job_family, work_mode,
    languages_required JSON, capabilities JSON) - rendered by PostgreSQL, so a cache hit costs
    no JSON parsing in Python.
    """
    if not hashes:
        return []
    with conn.cursor() as cur:
        cur.execute(
            """SELECT c.content_hash, (c.answer -> 'skills_normalized')::text, c.answer ->> 'seniority',
                      c.answer ->> 'job_family', c.answer ->> 'work_mode',
                      (c.answer -> 'languages_required')::text, (c.answer -> 'capabilities')::text
                 FROM jobinsight_monitoring.llm_cache c
                WHERE c.model = %s AND c.prompt_version = %s AND c.content_hash = ANY(%s::text[])""",
            (model, prompt_version, list(hashes)),
        )
        return cur.fetchall()


def save_outcomes(conn: psycopg2.extensions.connection, model: str, prompt_version: str,
                  answers: Sequence[Answer], pending: Sequence[PendingMark]) -> None:
    """Store new answers, mark pending postings, unmark answered ones: one transaction, three statements."""
    if not answers and not pending:
        return
    with conn, conn.cursor() as cur:
        if answers:
            cur.execute(
                """INSERT INTO jobinsight_monitoring.llm_cache AS c
                       (content_hash, model, prompt_version, answer, tokens)
                   SELECT h, %s, %s, a::jsonb, t
                     FROM unnest(%s::text[], %s::text[], %s::int[]) AS u(h, a, t)
                   ON CONFLICT (content_hash, model, prompt_version)
                   DO UPDATE SET answer = EXCLUDED.answer, tokens = EXCLUDED.tokens, created_at = now()""",
                (model, prompt_version, [a.content_hash for a in answers], [a.answer_json for a in answers],
                 [a.tokens for a in answers]),
            )
            cur.execute(
                "DELETE FROM jobinsight_monitoring.llm_pending "
                "WHERE model = %s AND prompt_version = %s AND content_hash = ANY(%s::text[])",
                (model, prompt_version, [a.content_hash for a in answers]),
            )
        if pending:
            cur.execute(
                """INSERT INTO jobinsight_monitoring.llm_pending AS p
                       (content_hash, model, prompt_version, raw_id, reason)
                   SELECT h, %s, %s, r, why
                     FROM unnest(%s::text[], %s::bigint[], %s::text[]) AS u(h, r, why)
                   ON CONFLICT (content_hash, model, prompt_version)
                   DO UPDATE SET raw_id = COALESCE(EXCLUDED.raw_id, p.raw_id), reason = EXCLUDED.reason,
                                 times_deferred = p.times_deferred + 1, last_marked_at = now()""",
                (model, prompt_version, [p.content_hash for p in pending], [p.raw_id for p in pending],
                 [p.reason for p in pending]),
            )


def reserve_day(conn: psycopg2.extensions.connection, day: date, model: str, want: int, limit: int) -> tuple[int, int]:
    """Take up to ``want`` requests of ``day``'s quota; (granted, requests counted for the day)."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO jobinsight_monitoring.llm_usage (usage_day, model) VALUES (%s, %s) "
            "ON CONFLICT (usage_day, model) DO NOTHING",
            (day, model),
        )
        cur.execute(
            "SELECT requests FROM jobinsight_monitoring.llm_usage WHERE usage_day = %s AND model = %s FOR UPDATE",
            (day, model),
        )
        used = int(cur.fetchone()[0])
        granted = max(0, min(want, limit - used))
        if granted:
            cur.execute(
                "UPDATE jobinsight_monitoring.llm_usage SET requests = requests + %s, updated_at = now() "
                "WHERE usage_day = %s AND model = %s",
                (granted, day, model),
            )
        return granted, used + granted


def release_day(conn: psycopg2.extensions.connection, day: date, model: str, unused: int, tokens: int) -> int:
    """Give back ``unused`` reserved requests and add ``tokens`` spent; the day's request count after."""
    with conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO jobinsight_monitoring.llm_usage AS u (usage_day, model, requests, tokens)
               VALUES (%s, %s, 0, %s)
               ON CONFLICT (usage_day, model) DO UPDATE
                  SET requests = GREATEST(u.requests - %s, 0), tokens = u.tokens + %s, updated_at = now()
               RETURNING requests""",
            (day, model, tokens, unused, tokens),
        )
        return int(cur.fetchone()[0])


def used_today(conn: psycopg2.extensions.connection, day: date, model: str) -> int:
    """Requests counted for ``day`` and ``model`` so far."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT requests FROM jobinsight_monitoring.llm_usage WHERE usage_day = %s AND model = %s",
                    (day, model))
        row = cur.fetchone()
        return int(row[0]) if row else 0


def answer_json(answer: object) -> str:
    """JSON text of a validated answer for the cache (pydantic's dump, UTF-8 kept)."""
    dump = getattr(answer, "model_dump", None)
    return json.dumps(dump() if dump else answer, ensure_ascii=False)
