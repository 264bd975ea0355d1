"""Scale-out with Prefect itself: two workers on one pool take concurrent runs of the process
deployment, and together they process every row exactly once (batch claims split the rows)."""

from __future__ import annotations

import pytest

from jobinsight.synthetic import generate_raw_rows
from tests.e2e.stack import PrefectServer, WorkerPool, sql_rows

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("database_url", ["embedded"], indirect=True)
def test_two_workers_split_concurrent_process_runs(prefect_server: PrefectServer, workers: WorkerPool,
                                                   database_url: str) -> None:
    generate_raw_rows(database_url, 8_000)
    first = workers.start(database_url, limit=2)
    second = workers.start(database_url, limit=2)
    params = {"options": {"pipeline_mode": "processOnly", "batch_size": 500}}
    run_ids = [prefect_server.run_deployment("process/jobinsight-process", params) for _ in range(4)]
    runs = [prefect_server.wait_final(run_id, workers) for run_id in run_ids]
    assert all(run.state.is_completed() for run in runs), workers.logs()

    processed = {}
    for run in runs:
        (stats,) = sql_rows(database_url, "SELECT stats FROM jobinsight_monitoring.pipeline_runs WHERE run_id = %s",
                            (str(run.id),))[0]
        processed[str(run.id)] = stats["processed_records"]
    assert sum(processed.values()) == 8_000
    assert sql_rows(database_url, "SELECT count(*), count(DISTINCT (source, job_id)) "
                                  "FROM jobinsight_staging.staging_jobs") == [(8_000, 8_000)]
    # each worker ran some of the runs (each takes at most 2 at a time)
    logs = {w.name: w.log.read_text(errors="replace") for w in (first, second)}
    taken = {name: [rid for rid in processed if rid in text] for name, text in logs.items()}
    assert all(taken.values()), taken
