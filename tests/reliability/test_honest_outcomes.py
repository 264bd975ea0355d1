"""A run that leaves eligible rows behind says so; a dead run's claims are freed at once.

Before: after a crashed process run, every rerun reported "processed N rows … no eligible rows
left" and exited 0 while the dead run's claim held its rows for the whole lease (15 minutes).
"""

from __future__ import annotations

import json

import pytest
from prefect import flow
from prefect.artifacts import Artifact
from prefect.client.orchestration import get_client
from prefect.states import Cancelled, Crashed

from jobinsight.flows.process import process_flow
from jobinsight.options import PipelineOptions
from jobinsight.process.claims import claim_batch
from jobinsight.synthetic import generate_raw_rows
from tests.reliability.conftest import accounted_for, cli_env, run_cli

pytestmark = pytest.mark.usefixtures("prefect_harness")


@flow(name="stand-in-for-a-dead-process-run")
def _stand_in() -> None:
    """Only its flow run record is used: a run that took a claim and then died."""


def _options(**kw: object) -> PipelineOptions:
    return PipelineOptions(pipeline_mode="processOnly", batch_size=100, **kw)


def _flow_run_state(run_id: str) -> tuple[str, str]:
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run_id).state
    return state.type.value, state.name


def _claim(url: str, run_id: str, rows: int) -> None:
    claim = claim_batch(url, run_id=run_id, mode="unprocessed", after_id=0, limit=rows, lease_seconds=900,
                        max_attempts=3)
    assert claim is not None and claim.n_rows == rows


def _dead_flow_run(state) -> str:  # noqa: ANN001 - a Prefect State
    with get_client(sync_client=True) as client:
        run = client.create_flow_run(_stand_in)
        client.set_flow_run_state(run.id, state, force=True)
    return str(run.id)


def test_rows_held_by_a_live_claim_are_reported_and_the_run_says_so(flow_db: str) -> None:
    generate_raw_rows(flow_db, 300)
    _claim(flow_db, "another-live-run", 100)  # a run Prefect does not know: its lease decides
    result = process_flow(_options())
    assert result.success
    assert result.outcome == "completed_with_rows_left" and result.rows_left == 100
    assert "100 eligible rows left: 100 held by the live claim of run another-live-run" in result.message
    assert result.stats.extra["rows_left"]["live_claims"] == 100
    assert _flow_run_state(result.run_id) == ("COMPLETED", "Completed with rows left")
    summary = Artifact.get("process-summary")
    assert "completed with rows left" in summary.data and "| eligible rows left | 100 |" in summary.data


def test_rows_skipped_by_a_limit_are_reported(flow_db: str) -> None:
    generate_raw_rows(flow_db, 300)
    result = process_flow(_options(max_records=120))
    assert result.outcome == "completed_with_rows_left" and result.rows_left == 300 - result.stats.total_records
    assert "not claimed: max_records=120 reached" in result.message


@pytest.mark.parametrize("state", [Crashed, Cancelled], ids=["crashed", "cancelled"])
def test_claims_of_a_dead_run_are_taken_over_at_once(flow_db: str, state) -> None:  # noqa: ANN001
    generate_raw_rows(flow_db, 300)
    dead = _dead_flow_run(state())
    _claim(flow_db, dead, 100)  # lease of 15 minutes, far from over
    result = process_flow(_options())
    assert result.success and result.outcome == "completed" and result.rows_left == 0, result.message
    assert result.stats.extra["reclaimed_from_dead_runs"] == 100
    counts = accounted_for(flow_db)
    assert counts["waiting"] == 0 and counts["staged"] + counts["quarantined"] == 300 and counts["both"] == 0
    assert _flow_run_state(result.run_id) == ("COMPLETED", "Completed")


def test_cli_exit_code_3_when_rows_are_left(flow_db: str, prefect_api_url: str) -> None:
    generate_raw_rows(flow_db, 200)
    run = run_cli("process", "--max-records", "50", "--batch-size", "50", "--json",
                  env=cli_env(JOBINSIGHT_DATABASE_URL=flow_db, PREFECT_API_URL=prefect_api_url))
    assert run.returncode == 3, run.stderr[-3000:]
    doc = json.loads(run.stdout)
    assert doc["outcome"] == "completed_with_rows_left" and doc["rows_left"] == 150 and doc["success"]
