"""The ``full`` flow: scrape then process, or either one, by ``options.pipeline_mode``."""

from __future__ import annotations

import time

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from jobinsight.flows.process import final_state, process_flow
from jobinsight.flows.scrape import scrape_flow
from jobinsight.options import PipelineOptions, PipelineResult
from jobinsight.pipeline import combine_results, full_summary_markdown
from jobinsight.tasks.settings_check import validated_settings


@flow(name="full", persist_result=False)
def full_flow(options: PipelineOptions | None = None) -> PipelineResult:
    """``scrapeOnly`` → scrape; ``processOnly`` → process; ``all`` (default) → scrape, then process."""
    validated_settings()  # a bad JOBINSIGHT_*/ETL_* value fails here, once, without retries
    options = options or PipelineOptions()
    started = time.perf_counter()
    parts: dict[str, PipelineResult] = {}
    if options.pipeline_mode in ("scrapeOnly", "all"):
        parts["scrape"] = scrape_flow(options.model_copy(update={"pipeline_mode": "scrapeOnly"}))
    if options.pipeline_mode in ("processOnly", "all"):
        parts["process"] = process_flow(options.model_copy(update={"pipeline_mode": "processOnly"}))
    result = combine_results(str(flow_run.id), options.pipeline_mode, parts, time.perf_counter() - started)
    create_markdown_artifact(key="full-summary", markdown=full_summary_markdown(result),
                             description=f"Full pipeline run {result.run_id} ({options.pipeline_mode})")
    return final_state(result)
