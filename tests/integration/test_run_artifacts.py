"""What users read about a run — artifacts and logs — carries no noise.

Real flows on real PostgreSQL under the session's Prefect server; artifacts and logs are read
back from the API by the run's id.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any
from uuid import UUID

import pytest

from flows.process import process_flow
from flows.process_retry import process_retry_flow
from flows.scrape import scrape_flow
from jobinsight.options import PipelineOptions
from jobinsight.process.tally import phase_totals
from jobinsight.synthetic import generate_raw_rows
from tests.sqlutil import sql_rows

pytestmark = pytest.mark.usefixtures("prefect_harness")

#: Figures that mean "not measured" shown as if they were values.
NOISE = re.compile(r"\bNone\b|\bnan\b")


def _artifacts(flow_run_id: str) -> dict[str, Any]:
    """The artifacts one flow run created, by key."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async def read() -> list[Any]:
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)])))

    return {a.key: a for a in asyncio.run(read()) if a.key}


def _logs(flow_run_id: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    async def read() -> list[Any]:
        await APILogHandler.aflush()
        async with get_client() as client:
            return await client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(flow_run_id)])))

    return asyncio.run(read())


def test_a_run_with_nothing_to_do_says_so_in_one_line(db: str) -> None:
    result = process_flow(PipelineOptions(pipeline_mode="processOnly"))
    assert result.success and result.message == "nothing to do: no eligible rows left"
    assert result.stats.extra["parse_rates"] == {} and result.stats.extra["rows_per_second"] is None
    artifacts = _artifacts(result.run_id)
    summary = artifacts["process-summary"].data
    assert summary == "# process run succeeded: nothing to do: no eligible rows left"  # no 0.0% rates
    assert "process-progress" not in artifacts  # no 0 % bar


def test_process_figures_are_meaningful_and_rows_in_agrees_per_batch_and_in_totals(db: str) -> None:
    generate_raw_rows(db, 700)
    result = process_flow(PipelineOptions(pipeline_mode="processOnly", batch_size=300))
    assert result.success and result.stats.batch_count == 3
    artifacts = _artifacts(result.run_id)
    summary = artifacts["process-summary"].data
    assert not NOISE.search(summary), summary
    assert "| rows/s |" in summary and "| integrity | 100.00% |" in summary

    table = json.loads(artifacts["process-metrics"].data)
    per_batch = [row for row in table if not row["phase"].endswith("(total)")]
    totals = {row["phase"][: -len(" (total)")]: row for row in table if row["phase"].endswith("(total)")}
    for phase, total in totals.items():
        batches = [row["rows_in"] for row in per_batch if row["phase"] == phase]
        measured = [value for value in batches if value is not None]
        # blank in every batch -> blank in the total; otherwise the total is the batches' sum
        assert total["rows_in"] == (sum(measured) if measured else None), (phase, batches, total)
    assert totals["sql_procedures"]["rows_in"] is None  # claiming reads no rows in
    assert totals["data_loading"]["rows_in"] == 700
    assert artifacts["process-progress"].data == 100.0


def test_phase_totals_keep_unmeasured_counts_unmeasured() -> None:
    from jobinsight.options import PhaseMetric

    metrics = [PhaseMetric(phase="claim", batch_no=1, duration_s=0.1, rows_out=5),
               PhaseMetric(phase="claim", batch_no=2, duration_s=0.1, rows_out=0)]
    (total,) = phase_totals(metrics)
    assert (total["rows_in"], total["rows_out"], total["calls"]) == (None, 5, 2)


def test_scrape_summary_shows_what_a_crawl_measures(db: str) -> None:
    result = scrape_flow(PipelineOptions(pipeline_mode="scrapeOnly", source="demo", demo_pages=2, demo_per_page=5,
                                         delay_seconds=0))
    assert result.success
    summary = _artifacts(result.run_id)["scrape-summary"].data
    assert not NOISE.search(summary), summary
    assert "| jobs found | 10 |" in summary and "| inserted | 10 |" in summary
    assert "rows/s" not in summary and "integrity" not in summary


def test_jobinsight_loggers_reach_the_runs_log(db: str) -> None:
    """e.g. ``jobinsight.scrape``'s end-of-crawl line, logged inside the fetch task."""
    result = scrape_flow(PipelineOptions(pipeline_mode="scrapeOnly", source="demo", demo_pages=1, demo_per_page=3,
                                         delay_seconds=0))
    assert logging.getLogger("jobinsight").handlers, "PREFECT_LOGGING_EXTRA_LOGGERS=jobinsight was not applied"
    logs = _logs(result.run_id)
    ours = [log for log in logs if log.name.startswith("jobinsight.")]
    assert any("crawl of" in log.message and "finished" in log.message for log in ours), \
        [(log.name, log.message) for log in logs]
    assert all(log.task_run_id is not None for log in ours if log.name == "jobinsight.scrape")


def test_dead_rows_artifact_names_the_retry_run(db: str) -> None:
    generate_raw_rows(db, 20)
    sql_rows(db, "UPDATE public.raw_jobs SET title = '   ' WHERE job_id = '7'")
    assert process_flow(PipelineOptions(pipeline_mode="processOnly")).stats.quarantined == 1
    sql_rows(db, "UPDATE public.raw_jobs SET process_attempts = 5 WHERE job_id = '7'")

    result = process_retry_flow(PipelineOptions(pipeline_mode="processOnly", max_attempts=3))
    artifact = _artifacts(result.run_id)["process-dead-rows"]  # created by the retry run itself
    assert f"process-retry run {result.run_id} " in artifact.description
    assert [row["job_id"] for row in json.loads(artifact.data)] == ["7"]
