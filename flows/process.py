"""The ``process`` flow: raw_jobs → staging in five phases, batch after batch.

    schema setup ─▶ [ SQL procedures (claim) ─▶ data loading ─▶ Python processing ─▶ data saving ]*
                 ─▶ integrity check ─▶ metrics (artifacts + monitoring tables) ─▶ event
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from prefect import flow, get_run_logger
from prefect.events import emit_event
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.states import Completed, State

from jobinsight import progress
from jobinsight.db.resolve import resolve_database
from jobinsight.enrich import LlmRunState, LlmSettings
from jobinsight.monitoring import finish_run, record_phases, start_run
from jobinsight.options import COMPLETED_WITH_ROWS_LEFT, PhaseMetric, PipelineOptions, PipelineResult
from jobinsight.process.claims import TIDY_AFTER_ROWS, count_eligible, rows_left, tidy_queue
from jobinsight.process.save import ClaimLostError
from jobinsight.process.tally import IntegrityCheckError, ProcessTally
from jobinsight.tasks.artifacts import ProgressArtifact, publish_run_artifacts
from jobinsight.tasks.process_phases import (
    claim_next_batch,
    load_claimed_rows,
    save_rows,
    setup_schema,
    transform_rows,
)
from jobinsight.tasks.settings_check import validated_settings


@dataclass
class PendingSave:
    """A batch whose save is running while the next batch is prepared."""

    future: PrefectFuture
    batch_no: int
    loaded: int
    transform_stats: dict
    metrics: list[PhaseMetric]


def _collect(pending: PendingSave, tally: ProcessTally, bar: ProgressArtifact, target: int, logger) -> None:  # noqa: ANN001
    """Wait for a batch's save and fold it into the run's totals."""
    try:
        saved = pending.future.result()
    except ClaimLostError as exc:
        logger.warning(str(exc))
        tally.lost_claims += 1
        return
    tally.phases += [*pending.metrics, saved.metric]
    tally.add_batch(pending.loaded, pending.transform_stats, saved.value.to_dict())
    bar.update(tally.loaded, target)
    progress.report("process", tally.loaded, target)
    logger.info("batch %s: %s rows saved, %s quarantined (%s so far)", pending.batch_no,
                f"{saved.value.marked_processed:,}", saved.value.quarantined, f"{tally.loaded:,}")


def _default_options() -> PipelineOptions:
    return PipelineOptions(pipeline_mode="processOnly")


@flow(name="process", retries=2, retry_delay_seconds=10, persist_result=False)
def process_flow(options: PipelineOptions | None = None, trigger: dict | None = None) -> PipelineResult:
    """Process every eligible raw row (or ``max_records``) into staging.

    ``trigger`` is what the deployment's event trigger knows about the event that started
    the run (event id, resource, the scrape's flow run id and counts); it is only logged.
    """
    validated_settings()  # a bad JOBINSIGHT_*/ETL_* value fails here, once, without retries
    options = options or _default_options()
    logger = get_run_logger()
    if trigger:
        logger.info("started by event: %s", trigger)
    run_id = str(flow_run.id)
    db_url = resolve_database().url
    started = time.monotonic()

    setup_schema(db_url)
    start_run(db_url, run_id, "process", options)
    llm_settings = LlmSettings.from_settings()  # None: rules enrichment only (the default)
    llm = LlmRunState(llm_settings) if llm_settings else None
    mode = options.claim_mode
    tally = ProcessTally(flow="process", run_id=run_id,
                         eligible_at_start=count_eligible(db_url, mode=mode, max_attempts=options.max_attempts))
    target = min(tally.eligible_at_start, options.max_records or tally.eligible_at_start)
    bar = ProgressArtifact("process-progress", f"Rows processed by run {run_id}")
    logger.info("process run %s: %s eligible rows (mode %s, batch size %s)",
                run_id, f"{tally.eligible_at_start:,}", mode, options.batch_size)

    after_id, batch_no, claimed_rows = 0, 0, 0
    # Saves run in worker threads while the next batches are loaded and transformed; at most
    # max_workers of them at once (each is one PostgreSQL backend, i.e. about one core).
    pending: deque[PendingSave] = deque()
    while True:
        remaining = options.max_records - claimed_rows if options.max_records else options.batch_size
        if remaining <= 0:
            tally.stop_reason = f"max_records={options.max_records} reached"
            break
        if time.monotonic() - started > options.timeout_seconds:
            tally.stop_reason = f"timeout of {options.timeout_seconds} s reached; the rest stays eligible"
            break
        batch_no += 1
        claimed = claim_next_batch(db_url, run_id, mode, after_id, min(options.batch_size, remaining),
                                   options.claim_lease_seconds, options.max_attempts, batch_no)
        tally.phases.append(claimed.metric)
        tally.reclaimed += claimed.metric.extra.get("reclaimed_from_dead_runs", {}).get("rows", 0)
        claim = claimed.value
        if claim is None:
            break
        after_id, claimed_rows = claim.hi_id, claimed_rows + claim.n_rows
        loaded = load_claimed_rows(db_url, claim, batch_no)
        # The LLM step must finish well inside the claim lease, or the batch's claim is lost.
        llm_budget = min(options.claim_lease_seconds * 0.5, max(options.timeout_seconds - (time.monotonic() - started), 1))
        transformed = transform_rows(loaded.value, options.usd_rate, batch_no, db_url, llm, options.max_workers,
                                     llm_budget)
        outcome = transformed.value
        while len(pending) >= options.max_workers:
            _collect(pending.popleft(), tally, bar, target, logger)
        future = save_rows.submit(db_url, claim, outcome.staging, outcome.quarantined, run_id, batch_no)
        pending.append(PendingSave(future, batch_no, len(loaded.value), outcome.stats,
                                   [loaded.metric, transformed.metric]))
        # Memory stays flat: nothing of a batch outlives its save except its counts.
        del loaded, transformed, outcome
    while pending:
        _collect(pending.popleft(), tally, bar, target, logger)

    if tally.loaded >= TIDY_AFTER_ROWS:
        tidy_queue(db_url)
    tally.left = rows_left(db_url, mode=mode, max_attempts=options.max_attempts, run_id=run_id)
    result = tally.result(options.integrity_threshold)
    if llm is not None:
        result.stats.extra["llm"] = llm.summary()
    record_phases(db_url, run_id, "process", result.phases)
    finish_run(db_url, result)
    publish_run_artifacts(result, "process")
    if not result.success:
        raise IntegrityCheckError(result.message, result)
    emit_event(
        event="jobinsight.process.completed",
        resource={"prefect.resource.id": "jobinsight.process", "jobinsight.run-id": run_id},
        payload={"run_id": run_id, "processed": result.stats.processed_records,
                 "quarantined": result.stats.quarantined, "batches": result.stats.batch_count},
    )
    if result.outcome == COMPLETED_WITH_ROWS_LEFT:
        logger.warning(result.message)
    else:
        logger.info(result.message)
    return final_state(result)


#: Name of the Prefect state of a run that completed but left eligible rows behind (type COMPLETED,
#: so no retry and no failure alert; automations can match the name).
ROWS_LEFT_STATE = "Completed with rows left"


def final_state(result: PipelineResult) -> State:
    """The flow run's final state: Completed, named "Completed with rows left" when rows were left."""
    name = ROWS_LEFT_STATE if result.outcome == COMPLETED_WITH_ROWS_LEFT else "Completed"
    return Completed(name=name, message=result.message[:2000], data=result)
