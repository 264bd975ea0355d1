"""The five phases of the process flow as Prefect tasks.

Each task only measures and calls the Prefect-free logic in ``jobinsight``. Cache policies
follow each phase's side effects:

- schema setup is keyed by the migration files' content and the database's identity, so a
  second run against the same database shows it Cached;
- claiming, loading and saving touch the database and are never cached: their idempotency
  lives in the database instead (a retried run resumes its own claim; a retried save finds
  its batch already saved and returns that result);
- the pure transformation is not cached either: a batch is re-derived in well under a second,
  while persisting it would write tens of MB per batch to result storage.

Engines and connections never enter a cache key: tasks take a URL string, which is excluded
from keys (the schema key uses a hash of it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from jobinsight.db.connect import transaction
from jobinsight.db.migrate import apply_migrations, migrations_fingerprint
from jobinsight.enrich import LlmRunState, enrich_batch_with_llm
from jobinsight.metrics import measure
from jobinsight.options import PhaseMetric
from jobinsight.process.claims import Claim, claim_batch, other_claim_owners, release_claims_of_runs
from jobinsight.process.load import load_batch
from jobinsight.process.memory import release_free_memory, use_returning_allocator
from jobinsight.process.save import SaveResult, StagingRows, save_batch
from jobinsight.settings import get_settings
from jobinsight.tasks.claim_owners import dead_flow_runs
from jobinsight.tasks.retry_policy import BACKOFF, RETRIES, retry_on_transient
from jobinsight.transform.batch import transform_batch


def _database_identity(db_url: str) -> str:
    """Distinguishes databases (a dropped and re-created one too) without exposing the URL."""
    with transaction(db_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT system_identifier FROM pg_control_system())::text || ':' || d.oid::text "
            "FROM pg_database d WHERE d.datname = current_database()"
        )
        identity = str(cur.fetchone()[0])
    return hashlib.sha256(f"{db_url}|{identity}".encode()).hexdigest()[:24]


def schema_cache_key(context, parameters: dict) -> str:  # noqa: ANN001 - Prefect's signature
    """Cache key of phase 1: migration files' content + which database."""
    return f"jobinsight-schema-{migrations_fingerprint()[:24]}-{_database_identity(parameters['db_url'])}"


@dataclass
class PhaseOutput:
    """A phase's value plus its measured metric."""

    value: object
    metric: PhaseMetric


@dataclass
class ProcessedBatch:
    """Phase 4's output as phase 5 takes it: staging rows already encoded for COPY, so a batch that
    waits for its save holds only that payload, not its frames (see ``StagingRows``)."""

    staging: StagingRows
    quarantined: pd.DataFrame
    stats: dict


@task(name="phase-1-schema-setup", retries=RETRIES, retry_delay_seconds=BACKOFF,
      retry_condition_fn=retry_on_transient, cache_key_fn=schema_cache_key,
      cache_expiration=timedelta(days=30), persist_result=True)
def setup_schema(db_url: str) -> dict:
    """Create or upgrade the schema (versioned migrations under an advisory lock)."""
    with measure("schema_setup") as timer:
        report = apply_migrations(db_url)
        timer.extra = {"applied": report.applied, "latest": report.latest}
    return {"applied": report.applied, "latest": report.latest, "metric": timer.metric.model_dump()}


@task(name="phase-2-sql-procedures", retries=RETRIES, retry_delay_seconds=BACKOFF,
      retry_condition_fn=retry_on_transient, cache_policy=NO_CACHE)
def claim_next_batch(db_url: str, run_id: str, mode: str, after_id: int, limit: int,
                     lease_seconds: int, max_attempts: int, batch_no: int) -> PhaseOutput:
    """Claim the next range of eligible raw rows (SQL function ``claim_batch``), after freeing the
    claims of runs Prefect reports dead (crashed, cancelled, …)."""
    with measure("sql_procedures", batch_no) as timer:
        dead = dead_flow_runs(other_claim_owners(db_url, run_id))
        reclaimed = release_claims_of_runs(db_url, dead)
        claim = claim_batch(db_url, run_id=run_id, mode=mode, after_id=after_id, limit=limit,
                            lease_seconds=lease_seconds, max_attempts=max_attempts)
        timer.rows_out = claim.n_rows if claim else 0
        if claim:
            timer.extra = {"claim_id": claim.claim_id, "lo_id": claim.lo_id, "hi_id": claim.hi_id}
        if dead:
            timer.extra["reclaimed_from_dead_runs"] = {"runs": dead, "rows": reclaimed}
    return PhaseOutput(claim, timer.metric)


@task(name="phase-3-data-loading", retries=RETRIES, retry_delay_seconds=BACKOFF,
      retry_condition_fn=retry_on_transient, cache_policy=NO_CACHE)
def load_claimed_rows(db_url: str, claim: Claim, batch_no: int) -> PhaseOutput:
    """COPY the claimed rows into a DataFrame."""
    use_returning_allocator()
    release_free_memory()  # what earlier batches freed goes back to the OS before this one is read
    with measure("data_loading", batch_no) as timer:
        frame = load_batch(db_url, claim)
        timer.rows_in = claim.n_rows
        timer.rows_out = len(frame)
    return PhaseOutput(frame, timer.metric)


@task(name="phase-4-python-processing", retries=1, cache_policy=NO_CACHE)
def transform_rows(frame: pd.DataFrame, usd_rate: float, batch_no: int, db_url: str | None = None,
                   llm: LlmRunState | None = None, max_workers: int = 1,
                   llm_time_budget_s: float | None = None) -> PhaseOutput:
    """Clean and enrich the batch (rules, then the LLM when configured); bad rows are set aside."""
    with measure("python_processing", batch_no) as timer:
        outcome = transform_batch(frame, usd_rate=usd_rate, fx_rates=get_settings().fx_rate_table)
        timer.rows_in = len(frame)
        timer.rows_out = len(outcome.staging)
        timer.extra = dict(outcome.stats)
        if llm is not None and db_url is not None and len(outcome.staging):
            report = enrich_batch_with_llm(outcome.staging, frame, db_url=db_url, settings=llm.settings,
                                           max_workers=max_workers, run_state=llm,
                                           time_budget_s=llm_time_budget_s)
            timer.extra["llm"] = report.to_dict()
        processed = ProcessedBatch(StagingRows.encode(outcome.staging), outcome.quarantined, outcome.stats)
    return PhaseOutput(processed, timer.metric)


@task(name="phase-5-data-saving", retries=RETRIES, retry_delay_seconds=BACKOFF,
      retry_condition_fn=retry_on_transient, cache_policy=NO_CACHE)
def save_rows(db_url: str, claim: Claim, staging: StagingRows | pd.DataFrame, quarantined: pd.DataFrame,
              run_id: str, batch_no: int) -> PhaseOutput:
    """Upsert staging, mark raw rows processed, quarantine bad rows: one transaction."""
    with measure("data_saving", batch_no) as timer:
        result: SaveResult = save_batch(db_url, claim, staging, quarantined, run_id)
        timer.rows_in = len(staging) + len(quarantined)
        timer.rows_out = result.marked_processed + result.quarantined
        timer.extra = result.to_dict()
    return PhaseOutput(result, timer.metric)
