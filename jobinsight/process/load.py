"""Phase 3 (data loading): the claimed rows into a DataFrame, via COPY.

COPY … TO STDOUT as CSV, parsed by Arrow's multi-threaded CSV reader, is several times
faster than fetching tuples through the driver. Arrow also keeps NULL (unquoted empty) and
the empty string (quoted ``""``) apart, so "no salary" and "empty salary" stay different.

One row can never stop the load: Arrow's reader splits the input into 16 MiB blocks and fails
with ``ArrowInvalid`` on a value that straddles two of them (a 33 MB title written by another
crawler, which the raw upsert's field limit never saw). Then the batch is parsed again with
one block as big as the whole batch — no value can straddle it — single-threaded, which costs
only on that rare batch.
"""

from __future__ import annotations

import io

import pandas as pd
import psycopg2.errors
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg2 import sql

from jobinsight.db.connect import transaction
from jobinsight.errors import StatementTimeoutError, is_statement_timeout
from jobinsight.process.claims import PENDING_MODES, Claim, release_claim

#: Raw columns the transformations read, in order. Columns staging copies unchanged from raw
#: (logo_url, …) are not loaded: phase 5 takes them from the raw row in SQL, which keeps them
#: out of Python memory and off the wire twice. ``job_url`` is loaded only when it needs repair
#: (a doubled prefix, "https://hosthttps://host/…"); otherwise it is NULL here and phase 5 keeps
#: the raw link.
RAW_COLUMNS = [
    "id", "source", "job_id", "title", "company_name", "salary", "skills", "location", "location_detail",
    "deadline", "crawled_at", "content_hash", "payload", "job_url",
    # detail-page columns (V008): the enricher and the detail parsers read them
    "description", "requirements", "job_level", "experience", "education", "openings", "employment_type",
    "job_category",
]
_TIMESTAMPS = ("crawled_at",)

_COPY_OUT = sql.SQL(
    """COPY (
        SELECT r.id, r.source, r.job_id, r.title, r.company_name, r.salary, r.skills, r.location,
               r.location_detail, r.deadline, extract(epoch FROM r.crawled_at)::float8, r.content_hash, r.payload,
               CASE WHEN r.job_url ~* '^.+https?://' THEN r.job_url END,
               r.description, r.requirements, r.job_level, r.experience, r.education, r.openings,
               r.employment_type, r.job_category
          FROM {rows}
         WHERE r.id BETWEEN {lo} AND {hi}
           AND jobinsight_monitoring.raw_is_eligible({mode}, r.is_processed, r.process_error,
                                                     r.process_attempts, {max_attempts})
         ORDER BY r.id
    ) TO STDOUT WITH (FORMAT csv)"""
)

_SCHEMA = {name: pa.string() for name in RAW_COLUMNS}
_SCHEMA.update({"id": pa.int64(), "crawled_at": pa.float64()})


def _claimed_rows(claim: Claim) -> sql.Composable:
    """The FROM item (alias ``r``) the claim's rows are read from.

    Why: a claim over changed rows scattered through raw_jobs spans a wide id range; reading it
    through the queue of unprocessed ids (V010), bounded on both sides, reads only those rows.
    """
    if claim.mode not in PENDING_MODES:
        return sql.SQL("public.raw_jobs r")
    return sql.SQL(
        "(SELECT r.* FROM jobinsight_monitoring.raw_pending p JOIN public.raw_jobs r ON r.id = p.raw_id "
        "WHERE p.raw_id BETWEEN {lo} AND {hi} AND NOT r.is_processed) r"
    ).format(lo=sql.Literal(claim.lo_id), hi=sql.Literal(claim.hi_id))


def copy_statement(claim: Claim) -> sql.Composable:
    """The COPY that reads ``claim``'s eligible rows (separate so a test can run it in its own
    transaction and read how many raw rows it touched)."""
    return _COPY_OUT.format(
        rows=_claimed_rows(claim), lo=sql.Literal(claim.lo_id), hi=sql.Literal(claim.hi_id),
        mode=sql.Literal(claim.mode), max_attempts=sql.Literal(claim.max_attempts),
    )


def load_batch(url: str, claim: Claim) -> pd.DataFrame:
    """The eligible rows of ``claim`` with the columns in :data:`RAW_COLUMNS`."""
    statement = copy_statement(claim)
    buffer = io.BytesIO()
    try:
        with transaction(url, application_name="jobinsight-load") as conn, conn.cursor() as cur:
            cur.copy_expert(statement.as_string(conn), buffer)
    except psycopg2.errors.QueryCanceled as exc:
        if not is_statement_timeout(exc):
            raise
        timeout = release_claim(url, claim.claim_id)
        raise StatementTimeoutError(
            f"PostgreSQL cancelled loading the batch of raw ids {claim.lo_id}-{claim.hi_id} ({claim.n_rows:,} rows): "
            f"it ran longer than the database's statement_timeout ({timeout}). Its rows stay eligible for the "
            "next run. Lower --batch-size / ETL_BATCH_SIZE, or raise statement_timeout for this database "
            "(ALTER DATABASE ... SET statement_timeout = ...)."
        ) from None
    # getbuffer(): Arrow parses the bytes in place (getvalue() would copy the whole batch once more).
    return csv_to_frame(buffer.getbuffer())


#: Arrow's CSV block size for the fast, multi-threaded parse.
BLOCK_SIZE = 16 << 20
#: The largest block Arrow accepts (its block size is a 32-bit int).
_MAX_BLOCK_SIZE = (1 << 31) - 1


def csv_to_frame(data: bytes | memoryview) -> pd.DataFrame:
    """Parse COPY CSV output (no header, columns as :data:`RAW_COLUMNS`)."""
    if not len(data):
        return pd.DataFrame({name: pd.Series(dtype="object") for name in RAW_COLUMNS})
    try:
        table = _read_csv(data, BLOCK_SIZE)
    except pa.ArrowInvalid:
        # a value longer than a block straddles two of them: one block for the whole batch holds any value
        table = _read_csv(data, min(len(data) + 1, _MAX_BLOCK_SIZE))
    frame = table.to_pandas()
    for name in _TIMESTAMPS:
        frame[name] = pd.to_datetime(frame[name], unit="s", utc=True)
    return frame


def _read_csv(data: bytes | memoryview, block_size: int) -> pa.Table:
    return pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(data)),
        read_options=pacsv.ReadOptions(column_names=RAW_COLUMNS, block_size=block_size),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            # Only COPY's NULL (an unquoted empty field) is null: Arrow's default list would also
            # read a title "NA", a salary "N/A" or a job id "null" as NULL and lose them.
            column_types=_SCHEMA, null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False,
            true_values=["t"], false_values=["f"],
        ),
    )
