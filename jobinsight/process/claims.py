"""Phase 2 (SQL procedures): claim the next batch of eligible raw rows for this run.

The claim logic itself is the SQL function ``jobinsight_monitoring.claim_batch`` (see
``sql/migrations/V005__batch_claims.sql``): set-based, under an advisory lock, so any number
of concurrent runs split the rows with no overlap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from psycopg2 import sql

from jobinsight.db.connect import session, transaction

#: Claim modes that take only unprocessed rows, which ``jobinsight_monitoring.raw_pending`` lists (V010).
PENDING_MODES = frozenset({"unprocessed", "retry"})


#: Up to this many queued ids, the counts read eligible rows through the queue; from here on
#: (a first run over most of raw_jobs) one sequential scan of raw_jobs is cheaper than joining
#: the queue to it (measured on 120k queued rows: 0.39 s scan against 0.92 s join).
QUEUE_COUNT_LIMIT = 50_000


def candidate_rows(mode: str, *, through_queue: bool = True) -> sql.Composable:
    """The FROM item (alias ``r``) of the raw rows a mode may take, before the eligibility test.

    Why: the modes that take only unprocessed rows read them through the narrow queue of
    unprocessed ids (V010) instead of scanning raw_jobs, so a run over 1,000 new rows among 1M
    processed ones reads ~1,000 rows, not 1M. ``NOT r.is_processed`` is re-checked on the raw row
    (the queue may hold an id whose row someone else marked processed).
    """
    if mode in PENDING_MODES and through_queue:
        return sql.SQL("(SELECT r.* FROM jobinsight_monitoring.raw_pending p "
                       "JOIN public.raw_jobs r ON r.id = p.raw_id WHERE NOT r.is_processed) r")
    return sql.SQL("public.raw_jobs r")


def queue_is_short(cur) -> bool:  # noqa: ANN001 - a psycopg2 cursor
    """Whether fewer than :data:`QUEUE_COUNT_LIMIT` ids are queued (reads at most that many)."""
    cur.execute("SELECT count(*) FROM (SELECT 1 FROM jobinsight_monitoring.raw_pending LIMIT %s) s",
                (QUEUE_COUNT_LIMIT,))
    return int(cur.fetchone()[0]) < QUEUE_COUNT_LIMIT


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


#: A run that saved at least this many rows vacuums the queue before it finishes.
TIDY_AFTER_ROWS = 10_000


def tidy_queue(url: str) -> None:
    """VACUUM the queue of unprocessed ids (V010) after a run emptied much of it.

    Why: the save deletes each id it marks processed, and until those dead entries are vacuumed
    the next run's walk of the queue steps over all of them (measured: 1,000 new rows over 1M
    just processed took 4.9 s instead of ~1 s). The table is two columns of ids, so this takes
    well under a second for 1M entries; autovacuum (tuned in V010) does it too, but not in time
    for a run that starts right after. Skipped with a warning by the server if the role does not
    own the table.
    """
    # autocommit: VACUUM cannot run inside a transaction
    with session(url, application_name="jobinsight-claim", autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("VACUUM jobinsight_monitoring.raw_pending")


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
        cur.execute(count_eligible_statement(mode, through_queue=queue_is_short(cur)), (mode, max_attempts))
        return int(cur.fetchone()[0])


def count_eligible_statement(mode: str, *, through_queue: bool) -> sql.Composable:
    """The count behind :func:`count_eligible` (parameters: mode, max_attempts); separate so a test
    can run it inside its own transaction and read how many raw rows it touched."""
    return sql.SQL("SELECT count(*) FROM {rows} WHERE jobinsight_monitoring.raw_is_eligible("
                   "%s, r.is_processed, r.process_error, r.process_attempts, %s)").format(
                       rows=candidate_rows(mode, through_queue=through_queue))


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


def other_claim_owners(url: str, run_id: str) -> list[str]:
    """Run ids (Prefect flow run ids) that hold unsaved claims, other than ``run_id``.

    The caller asks the orchestrator which of them are dead and passes those to
    :func:`release_claims_of_runs`; this package stays free of Prefect.
    """
    with transaction(url, application_name="jobinsight-claim") as conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT run_id FROM jobinsight_monitoring.batch_claims "
                    "WHERE saved_at IS NULL AND run_id <> %s ORDER BY run_id", (run_id,))
        return [str(row[0]) for row in cur.fetchall()]


def release_claims_of_runs(url: str, run_ids: list[str]) -> int:
    """Free the unsaved claims of runs known to be over (crashed, cancelled, …) at once, instead
    of after their lease; returns how many rows they held.

    Safe even if such a run came back: its save checks that it still holds its claim and rolls
    back otherwise (``ClaimLostError``), so no row is saved twice.
    """
    if not run_ids:
        return 0
    with transaction(url, application_name="jobinsight-claim") as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM jobinsight_monitoring.batch_claims WHERE saved_at IS NULL AND run_id = ANY(%s) "
                    "RETURNING n_rows", (list(run_ids),))
        return sum(int(row[0]) for row in cur.fetchall())


@dataclass(frozen=True)
class RowsLeft:
    """Eligible rows a run leaves behind, by why it did not take them."""

    total: int = 0
    #: inside an unexpired claim of another run (that run is processing them, or died unnoticed)
    live_claims: int = 0
    #: inside a claim whose lease ended, not yet taken over (the next claim frees it)
    expired_claims: int = 0
    #: in no claim: skipped by a limit (max_records, timeout) or changed/added while the run worked
    unclaimed: int = 0
    #: run ids holding the live claims
    live_owners: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {**asdict(self), "live_owners": list(self.live_owners)}


_ROWS_LEFT = """
WITH eligible AS (
    SELECT r.id FROM {rows}
     WHERE jobinsight_monitoring.raw_is_eligible(%(mode)s, r.is_processed, r.process_error, r.process_attempts,
                                                 %(max_attempts)s)
), held AS (
    SELECT e.id, bool_or(c.claimed_until >= now()) AS live
      FROM eligible e
      JOIN jobinsight_monitoring.batch_claims c
        ON c.saved_at IS NULL AND e.id BETWEEN c.lo_id AND c.hi_id AND c.run_id <> %(run_id)s
     GROUP BY e.id
)
SELECT (SELECT count(*) FROM eligible),
       (SELECT count(*) FROM held WHERE live),
       (SELECT count(*) FROM held WHERE NOT live),
       (SELECT coalesce(array_agg(DISTINCT c.run_id ORDER BY c.run_id), '{{}}')
          FROM jobinsight_monitoring.batch_claims c
         WHERE c.saved_at IS NULL AND c.claimed_until >= now() AND c.run_id <> %(run_id)s)
"""


def rows_left(url: str, *, mode: str, max_attempts: int, run_id: str) -> RowsLeft:
    """The eligible rows still there when ``run_id`` finishes, and why it left them."""
    with transaction(url, application_name="jobinsight-claim") as conn, conn.cursor() as cur:
        cur.execute(rows_left_statement(mode, through_queue=queue_is_short(cur)),
                    {"mode": mode, "max_attempts": max_attempts, "run_id": run_id})
        total, live, expired, owners = cur.fetchone()
    total, live, expired = int(total), int(live), int(expired)
    return RowsLeft(total, live, expired, total - live - expired, tuple(owners or ()))


def rows_left_statement(mode: str, *, through_queue: bool) -> sql.Composable:
    """The query behind :func:`rows_left` (parameters: mode, max_attempts, run_id), for tests as above."""
    return sql.SQL(_ROWS_LEFT).format(rows=candidate_rows(mode, through_queue=through_queue))
