"""Phase 2 (SQL procedures): claim the next batch of eligible raw rows for this run.

The claim logic itself is the SQL function ``jobinsight_monitoring.claim_batch`` (see
``sql/migrations/V005__batch_claims.sql``): set-based, under an advisory lock, so any number
of concurrent runs split the rows with no overlap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from jobinsight.db.connect import transaction


@dataclass(frozen=True)
class Claim:
    """A range of raw_jobs ids this run alone processes."""

    claim_id: int
    lo_id: int
    hi_id: int
    n_rows: int
    mode: str
    max_attempts: int

    def to_dict(self) -> dict:
        return asdict(self)


def claim_batch(url: str, *, run_id: str, mode: str, after_id: int, limit: int,
                lease_seconds: int, max_attempts: int) -> Claim | None:
    """Claim up to ``limit`` eligible rows after ``after_id``; None when nothing is left."""
    with transaction(url, application_name="jobinsight-claim") as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT claim_id, lo_id, hi_id, n_rows FROM jobinsight_monitoring.claim_batch(%s, %s, %s, %s, %s, %s)",
            (run_id, mode, after_id, limit, lease_seconds, max_attempts),
        )
        row = cur.fetchone()
    if row is None:
        return None
    return Claim(int(row[0]), int(row[1]), int(row[2]), int(row[3]), mode, max_attempts)


def count_eligible(url: str, *, mode: str, max_attempts: int) -> int:
    """How many raw rows are eligible now (for the run summary and progress)."""
    with transaction(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM public.raw_jobs r WHERE jobinsight_monitoring.raw_is_eligible("
            "%s, r.is_processed, r.process_error, r.process_attempts, %s)",
            (mode, max_attempts),
        )
        return int(cur.fetchone()[0])


def release_claim(url: str, claim_id: int) -> str:
    """Give an unsaved claim back at once, so the next run can take its rows without waiting for the
    lease to end; returns the database's ``statement_timeout`` (for the caller's message).

    Used after a batch failed in a way that would fail again the same way (a statement timeout).
    """
    with transaction(url, application_name="jobinsight-claim") as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM jobinsight_monitoring.batch_claims WHERE claim_id = %s AND saved_at IS NULL",
                    (claim_id,))
        cur.execute("SHOW statement_timeout")
        return str(cur.fetchone()[0])
