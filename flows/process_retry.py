"""The ``process-retry`` flow: give quarantined rows another chance, then give up on hopeless ones.

    process flow (claim mode "retry": quarantined rows with attempts < max_attempts)
        ─▶ mark rows at/over max_attempts dead ─▶ table artifact ``process-dead-rows``

A normal process run never touches quarantined rows again (that would hammer the same bad
rows every run); this flow is the one place that does, on its own schedule, after the rules
or the data were fixed. Rows that still fail gain an attempt; once they reach
``max_attempts`` they are marked dead and listed for a person to look at.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run

from jobinsight.db.resolve import resolve_database
from jobinsight.flows.process import final_state, process_flow
from jobinsight.options import PipelineOptions, PipelineResult
from jobinsight.process.dead_rows import count_dead_rows
from jobinsight.tasks.dead_rows import mark_dead
from jobinsight.tasks.settings_check import validated_settings

DEAD_ROWS_ARTIFACT = "process-dead-rows"


def _retry_options(options: PipelineOptions | None) -> PipelineOptions:
    """The caller's options, forced to process quarantined rows only."""
    base = options or PipelineOptions(pipeline_mode="processOnly")
    return PipelineOptions(**{**base.model_dump(), "pipeline_mode": "processOnly", "retry_failed": True})


@flow(name="process-retry", persist_result=False)
def process_retry_flow(options: PipelineOptions | None = None) -> PipelineResult:
    """Re-process quarantined rows below ``options.max_attempts``; mark the rest dead."""
    validated_settings()  # a bad JOBINSIGHT_*/ETL_* value fails here, once, without retries
    options = _retry_options(options)
    logger = get_run_logger()
    db_url = resolve_database().url
    retry_run_id = str(flow_run.id)  # this run's id; the process subflow has its own

    result = process_flow(options)
    dead = mark_dead(db_url, options.max_attempts)
    total_dead = count_dead_rows(db_url)
    create_table_artifact(
        key=DEAD_ROWS_ARTIFACT,
        table=[row.to_dict() for row in dead],
        description=(f"Rows marked dead by process-retry run {retry_run_id} "
                     f"(process_attempts >= {options.max_attempts}): {len(dead)}; dead in total: {total_dead}."),
    )
    for row in dead:
        logger.warning("raw row %s (%s/%s) is dead after %s attempts: %s",
                       row.raw_id, row.source, row.job_id, row.attempts, row.reason)
    stats = result.stats.model_copy(update={"extra": {**result.stats.extra, "dead_rows": len(dead),
                                                      "dead_rows_total": total_dead}})
    message = f"{result.message}; {len(dead)} row(s) marked dead (attempts >= {options.max_attempts})"
    logger.info(message)
    return final_state(result.model_copy(update={"flow": "process-retry", "run_id": retry_run_id, "stats": stats,
                                                 "message": message}))
