"""Scale-out with Prefect itself: two workers on one pool take concurrent runs of the process
deployment, and together they process every row exactly once (batch claims split the rows).

This is also the suite's test of concurrent process runs agreeing with the claims (it absorbed
the in-process four-thread variant, whose four flows in one process deadlocked the test
server's SQLite for 60 s now and then); the claim races themselves are hammered Prefect-free
in tests/integration/test_claims.py."""

from __future__ import annotations

import pytest

from jobinsight.synthetic import generate_raw_rows
from tests.e2e.stack import PrefectServer, WorkerPool, sql_rows

pytestmark = pytest.mark.slow

RUNS, ROWS = 4, 8_000
SHARE = ROWS // RUNS


@pytest.mark.parametrize("database_url", ["embedded"], indirect=True)
def test_two_workers_split_concurrent_process_runs(prefect_server: PrefectServer, workers: WorkerPool,
                                                   database_url: str) -> None:
    generate_raw_rows(database_url, ROWS)
    first = workers.start(database_url, limit=2)
    second = workers.start(database_url, limit=2)
    # Each run may take at most a quarter, so all four must run, and the rows are covered only if
    # no row is taken twice or left behind; four claim rounds each.
    params = {"options": {"pipeline_mode": "processOnly", "batch_size": SHARE // 4, "max_records": SHARE}}
    run_ids = [prefect_server.run_deployment("process/jobinsight-process", params) for _ in range(RUNS)]
    runs = [prefect_server.wait_final(run_id, workers) for run_id in run_ids]
    assert all(run.state.is_completed() for run in runs), workers.logs()

    processed = {}
    for run in runs:
        (stats,) = sql_rows(database_url, "SELECT stats FROM jobinsight_monitoring.pipeline_runs WHERE run_id = %s",
                            (str(run.id),))[0]
        processed[str(run.id)] = stats["processed_records"]
    assert sorted(processed.values()) == [SHARE] * RUNS
    assert sql_rows(database_url, "SELECT count(*), count(DISTINCT (source, job_id)) "
                                  "FROM jobinsight_staging.staging_jobs") == [(ROWS, ROWS)]
    per_run = dict(sql_rows(database_url, "SELECT run_id, count(*) FROM jobinsight_staging.staging_jobs_data "
                                          "GROUP BY 1"))
    assert per_run == processed
    # no claim range was saved twice
    assert sql_rows(database_url, "SELECT count(*) FROM jobinsight_monitoring.batch_claims a "
                                  "JOIN jobinsight_monitoring.batch_claims b ON a.claim_id < b.claim_id "
                                  "AND a.lo_id <= b.hi_id AND b.lo_id <= a.hi_id") == [(0,)]
    # each worker ran some of the runs (each takes at most 2 at a time)
    logs = {w.name: w.log.read_text(errors="replace") for w in (first, second)}
    taken = {name: [rid for rid in processed if rid in text] for name, text in logs.items()}
    assert all(taken.values()), taken
