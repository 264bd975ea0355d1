"""Dead rows: quarantined raw rows that have used up their processing attempts.

A row whose transformation keeps failing must stop being retried at some point, or every
retry run spends its time on the same hopeless rows. The retry flow re-processes quarantined
rows below ``max_attempts``; this module then closes the quarantine entries of rows at or over
the maximum (``status = 'dead'``) so they leave the open queue but stay listed, with their
reason and record, for a person to look at. A dead row becomes eligible again by itself when
the crawler sees new content for it (the raw upsert resets its attempts).

Prefect-free and parameterized SQL only, so it is unit-testable and safe with any input.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from jobinsight.db.connect import transaction

_MARK_DEAD = """
    UPDATE jobinsight_monitoring.quarantine q
       SET status = 'dead', updated_at = now()
      FROM public.raw_jobs r
     WHERE q.stage = 'process' AND q.status = 'open' AND q.raw_id = r.id
       AND NOT r.is_processed AND r.process_error IS NOT NULL
       AND r.process_attempts >= %(max_attempts)s
 RETURNING q.id, q.raw_id, r.source, r.job_id, r.process_attempts, q.reason, q.run_id, q.created_at
"""

_COUNT_DEAD = """
    SELECT count(*) FROM jobinsight_monitoring.quarantine q
     WHERE q.stage = 'process' AND q.status = 'dead'
"""


@dataclass(frozen=True)
class DeadRow:
    """One raw row given up on: where it came from, how often it failed, and why."""

    quarantine_id: int
    raw_id: int
    source: str | None
    job_id: str | None
    attempts: int
    reason: str
    last_run_id: str | None
    quarantined_at: datetime

    def to_dict(self) -> dict:
        row = asdict(self)
        row["quarantined_at"] = self.quarantined_at.isoformat()
        return row


def mark_dead_rows(url: str, max_attempts: int) -> list[DeadRow]:
    """Mark open process-quarantine entries whose raw row has ``process_attempts >= max_attempts``
    as dead; returns the rows marked now (ordered by raw id). Idempotent: a second call marks none."""
    if max_attempts < 1:
        raise ValueError("max_attempts: must be at least 1")
    with transaction(url, application_name="jobinsight-dead-rows") as conn, conn.cursor() as cur:
        cur.execute(_MARK_DEAD, {"max_attempts": max_attempts})
        rows = cur.fetchall()
    dead = [DeadRow(int(r[0]), int(r[1]), r[2], r[3], int(r[4]), r[5], r[6], r[7]) for r in rows]
    return sorted(dead, key=lambda d: d.raw_id)


def count_dead_rows(url: str) -> int:
    """How many process-quarantine entries are dead in total (this run's and earlier ones)."""
    with transaction(url) as conn, conn.cursor() as cur:
        cur.execute(_COUNT_DEAD)
        return int(cur.fetchone()[0])
