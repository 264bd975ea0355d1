"""Phase 5 (data saving): staging rows, raw flags, quarantine and the claim, in one transaction.

Rows go in by COPY into a temporary table and one ``INSERT … ON CONFLICT DO UPDATE`` (so a
raw change reaches staging), then one set-based ``UPDATE`` marks the raw rows processed.
A raw row is marked only if its content hash is still the one that was processed: a row the
crawler changed in the meantime stays eligible for the next run. The claim is marked saved in
the same transaction; if it was lost (its lease expired and another run took the range), the
whole batch rolls back, so no row is ever saved twice.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import psycopg2.errors
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg2 import sql
from psycopg2.extras import execute_values

from jobinsight import staging_schema
from jobinsight.db.connect import transaction
from jobinsight.errors import StatementTimeoutError, is_statement_timeout
from jobinsight.process.claims import Claim, release_claim

#: Halvings of the staging write after a statement timeout before giving up (pieces of 1/16 of
#: the batch). Each failed attempt costs one statement_timeout, so the worst case is bounded.
MAX_SPLITS = 4

#: Staging columns written from the transformed frame, in order (see jobinsight.staging_schema).
STAGING_COLUMNS = list(staging_schema.STAGING_COLUMNS)
#: Staging columns copied as they are from the raw row (taken from the raw table in SQL, not sent back).
#: ``job_url`` is repaired by the transformer when needed, so it is sent back (see REPAIRED_COLUMNS).
PASSTHROUGH_COLUMNS = [c for c in staging_schema.PASSTHROUGH_COLUMNS if c not in staging_schema.REPAIRED_COLUMNS]
#: Columns computed in Python and sent to the database (raw_id and content_hash identify the row version).
DERIVED_COLUMNS = [*staging_schema.SAVED_COLUMNS, *staging_schema.REPAIRED_COLUMNS]
_TIMESTAMP_COLUMNS = tuple(c for c in DERIVED_COLUMNS if staging_schema.BY_NAME[c].sql_type == "timestamptz")
_KEY = staging_schema.KEY
#: Staging columns whose value Python repairs (NULL from Python = keep the raw value).
REPAIRED_COLUMNS = staging_schema.REPAIRED_COLUMNS


class ClaimLostError(RuntimeError):
    """The batch's claim expired and was taken by another run; this run's save was rolled back."""


@dataclass(frozen=True)
class SaveResult:
    """What one batch's save wrote."""

    staged: int
    marked_processed: int
    deferred: int
    quarantined: int
    resolved: int
    already_saved: bool = False
    #: how often the staging write was halved to fit under statement_timeout
    splits: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    """The derived columns as CSV for COPY (NULL = unquoted empty, '' = quoted)."""
    return _encode_csv(frame).to_pybytes()


def _encode_csv(frame: pd.DataFrame) -> pa.Buffer:
    # No .copy(): with pandas' copy-on-write, replacing the timestamp columns leaves ``frame`` as it was.
    data = frame[DERIVED_COLUMNS]
    for name in _TIMESTAMP_COLUMNS:
        data[name] = pd.to_datetime(data[name], utc=True).astype("datetime64[us, UTC]")
    table = pa.Table.from_pandas(data, preserve_index=False)
    del data
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(include_header=False))
    return sink.getvalue()  # the stream's own buffer, not a copy


@dataclass(frozen=True)
class StagingRows:
    """A batch's staging rows as the save needs them: the COPY payload and the sorted raw ids.

    Why: a batch waits for its save while the next ones are loaded and transformed (up to
    ``max_workers`` saves in flight). Encoded, it holds only its CSV (~15 MB per 30,000 rows)
    instead of the staging frame and the raw columns it shares with the loaded frame (~32 MB+).
    """

    csv: pa.Buffer
    raw_ids: np.ndarray
    count: int

    @classmethod
    def encode(cls, staging: pd.DataFrame) -> StagingRows:
        """Encode a transformer's staging frame (see :data:`DERIVED_COLUMNS`)."""
        if not len(staging):
            return cls(pa.py_buffer(b""), np.zeros(0, dtype=np.int64), 0)
        return cls(_encode_csv(staging), np.unique(staging["raw_id"].to_numpy(dtype=np.int64)), len(staging))

    def __len__(self) -> int:
        return self.count


def _column_list(names: list[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def _temp_columns() -> sql.Composable:
    """Temp-table columns typed like their staging counterparts (types from the declaration)."""
    return sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(staging_schema.BY_NAME[c].sql_type)) for c in DERIVED_COLUMNS
    )


_TEMP_COLUMNS = _temp_columns()
# Repaired columns come from Python only when they needed repair (else NULL): the raw value stays.
_RETURNED_DERIVED = sql.SQL(", ").join(
    sql.SQL("COALESCE(s.{0}, r.{0}) AS {0}").format(sql.Identifier(c)) if c in REPAIRED_COLUMNS
    else sql.SQL("s.{}").format(sql.Identifier(c))
    for c in DERIVED_COLUMNS if c != "raw_id"
)
_UPDATES = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c))
                              for c in STAGING_COLUMNS if c not in _KEY)


_CREATE_TEMP = sql.SQL(
    "CREATE TEMP TABLE jobinsight_batch_stage ({derived}) ON COMMIT DROP; "
    "CREATE TEMP TABLE jobinsight_batch_quarantine (raw_id bigint, reason text) ON COMMIT DROP;"
)
# One pass over raw: the UPDATE marks the rows processed (only where the content hash is still the
# one processed) and RETURNING hands their columns to the staging upsert, so raw values are never
# shipped back from Python and a row changed meanwhile is neither marked nor written.
# The rows marked leave the queue of unprocessed ids (V010) in the same statement (their ids as one
# array: joined to the wide ``marked`` rows, the planner, which expects 1 row from the temp table,
# chose a nested loop over the CTE — 1.5 s for 1,000 rows); they stay
# locked by the UPDATE until commit, so a writer that makes one unprocessed again meanwhile waits
# and then puts its id back.
_MARK_AND_UPSERT = sql.SQL(
    """WITH marked AS (
           UPDATE public.raw_jobs r
              SET is_processed = true, process_date = now(), process_error = NULL
             FROM jobinsight_batch_stage s
            WHERE r.id = s.raw_id AND r.id BETWEEN {lo} AND {hi}
              AND r.content_hash IS NOT DISTINCT FROM s.content_hash
        RETURNING r.id AS raw_id, {raw_cols}, {derived}
       ), dequeued AS (
           DELETE FROM jobinsight_monitoring.raw_pending p
            WHERE p.raw_id = ANY (ARRAY(SELECT m.raw_id FROM marked m)) AND p.raw_id BETWEEN {lo} AND {hi}
       )
       INSERT INTO jobinsight_staging.staging_jobs_data ({all_cols}, processed_at, run_id)
       SELECT {all_cols}, now(), {run_id} FROM marked
       ON CONFLICT (source, job_id) DO UPDATE SET {updates}, processed_at = now(), run_id = EXCLUDED.run_id"""
)
_RESOLVE = """
    UPDATE jobinsight_monitoring.quarantine q
       SET status = 'resolved', updated_at = now()
      FROM jobinsight_batch_stage s
     WHERE q.stage = 'process' AND q.status = 'open' AND q.raw_id = s.raw_id
"""
_QUARANTINE_RAW = """
    UPDATE public.raw_jobs r
       SET process_attempts = r.process_attempts + 1, process_error = q.reason, is_processed = false
      FROM jobinsight_batch_quarantine q
     WHERE r.id = q.raw_id
"""
_QUARANTINE_LOG = """
    INSERT INTO jobinsight_monitoring.quarantine AS t (stage, source, job_id, raw_id, run_id, reason, record, attempts)
    SELECT 'process', r.source, r.job_id, r.id, %s, q.reason,
           to_jsonb(r) - 'payload' || jsonb_build_object('payload_keys', (
               SELECT jsonb_agg(k) FROM jsonb_object_keys(COALESCE(r.payload, '{}'::jsonb)) k)),
           r.process_attempts
      FROM jobinsight_batch_quarantine q JOIN public.raw_jobs r ON r.id = q.raw_id
    ON CONFLICT (raw_id) WHERE stage = 'process' AND status = 'open'
    DO UPDATE SET reason = EXCLUDED.reason, attempts = EXCLUDED.attempts, run_id = EXCLUDED.run_id,
                  record = EXCLUDED.record, updated_at = now()
"""
_MARK_SAVED = """
    UPDATE jobinsight_monitoring.batch_claims
       SET saved_at = now(), result = %s
     WHERE claim_id = %s AND run_id = %s AND saved_at IS NULL
"""


def save_batch(url: str, claim: Claim, staging: pd.DataFrame | StagingRows, quarantined: pd.DataFrame,
               run_id: str) -> SaveResult:
    """Write one processed batch atomically (see module docstring); ``staging`` as a frame or encoded."""
    rows = staging if isinstance(staging, StagingRows) else StagingRows.encode(staging)
    del staging
    try:
        with transaction(url, application_name="jobinsight-save") as conn, conn.cursor() as cur:
            previous = _previous_result(cur, claim, run_id)
            if previous is not None:
                return previous
            cur.execute(_CREATE_TEMP.format(derived=_TEMP_COLUMNS))
            staged = marked = resolved = quarantined_rows = splits = 0
            if rows.count:
                cur.copy_expert(
                    sql.SQL("COPY jobinsight_batch_stage FROM STDIN WITH (FORMAT csv)").as_string(conn),
                    pa.BufferReader(rows.csv),
                )
                marked, splits = _mark_and_upsert(cur, claim, run_id, rows.raw_ids)
                staged = marked
                cur.execute(_RESOLVE)
                resolved = cur.rowcount
            if len(quarantined):
                execute_values(
                    cur, "INSERT INTO jobinsight_batch_quarantine (raw_id, reason) VALUES %s",
                    [(int(r), str(reason)[:2000]) for r, reason in
                     zip(quarantined["raw_id"], quarantined["reason"], strict=True)],
                )
                cur.execute(_QUARANTINE_RAW)
                quarantined_rows = cur.rowcount
                cur.execute(_QUARANTINE_LOG, (run_id,))
            result = SaveResult(staged, marked, rows.count - marked, quarantined_rows, resolved, splits=splits)
            cur.execute(_MARK_SAVED, (json.dumps(result.to_dict()), claim.claim_id, run_id))
            if cur.rowcount != 1:
                raise ClaimLostError(
                    f"claim {claim.claim_id} (raw ids {claim.lo_id}-{claim.hi_id}) expired and was taken by "
                    "another run; this batch was rolled back and will be saved by that run. "
                    "Raise claim_lease_seconds if batches take longer than the lease."
                )
            return result
    except psycopg2.errors.QueryCanceled as exc:
        if not is_statement_timeout(exc):
            raise
        timeout = release_claim(url, claim.claim_id)
        raise StatementTimeoutError(
            f"PostgreSQL cancelled saving the batch of raw ids {claim.lo_id}-{claim.hi_id} ({claim.n_rows:,} rows): "
            f"a statement ran longer than the database's statement_timeout ({timeout}), even with the batch "
            f"split into {2 ** MAX_SPLITS} parts. Nothing of this batch was written and its rows stay eligible "
            "for the next run. Lower --batch-size / ETL_BATCH_SIZE (e.g. to "
            f"{max(1, claim.n_rows // 2 ** MAX_SPLITS):,}), or raise statement_timeout for this database "
            "(ALTER DATABASE ... SET statement_timeout = ...)."
        ) from None


def _mark_and_upsert(cur, claim: Claim, run_id: str, staged_ids: np.ndarray) -> tuple[int, int]:  # noqa: ANN001
    """Mark raw rows processed and upsert staging; (rows written, halvings needed).

    One statement for the whole batch normally. When it hits statement_timeout, it is rolled
    back to a savepoint and re-run over id ranges half as big (then a quarter, …), still in this
    transaction, so the batch stays atomic. Past :data:`MAX_SPLITS` halvings the timeout
    propagates.
    """
    marked = splits = start = 0
    piece = len(staged_ids)
    while start < len(staged_ids):
        part = staged_ids[start:start + piece]
        lo, hi = int(part[0]), int(part[-1])
        cur.execute("SAVEPOINT jobinsight_piece")
        try:
            cur.execute(_MARK_AND_UPSERT.format(
                lo=sql.Literal(max(lo, claim.lo_id)), hi=sql.Literal(min(hi, claim.hi_id)),
                run_id=sql.Literal(run_id),
                raw_cols=sql.SQL(", ").join(sql.SQL("r.{}").format(sql.Identifier(c))
                                            for c in PASSTHROUGH_COLUMNS if c != "content_hash"),
                derived=_RETURNED_DERIVED,
                all_cols=_column_list(STAGING_COLUMNS),
                updates=_UPDATES,
            ))
        except psycopg2.errors.QueryCanceled as exc:
            cur.execute("ROLLBACK TO SAVEPOINT jobinsight_piece")
            if not is_statement_timeout(exc) or splits >= MAX_SPLITS or piece <= 1:
                raise
            splits += 1
            piece = (piece + 1) // 2
            continue
        marked += cur.rowcount
        cur.execute("RELEASE SAVEPOINT jobinsight_piece")
        start += len(part)
    return marked, splits


def _previous_result(cur, claim: Claim, run_id: str) -> SaveResult | None:
    """The result of an earlier, committed save of this claim (a retried task), if any."""
    cur.execute(
        "SELECT result FROM jobinsight_monitoring.batch_claims WHERE claim_id = %s AND run_id = %s "
        "AND saved_at IS NOT NULL",
        (claim.claim_id, run_id),
    )
    row = cur.fetchone()
    if row is None:
        return None
    return SaveResult(**{**row[0], "already_saved": True})
