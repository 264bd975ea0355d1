"""The deployments of prefect.yaml, run for real: a Prefect server, ``jobinsight deploy``, a
process worker started from this clone, PostgreSQL.

Proves what a data engineer relies on after ``prefect deploy --all``: the work pool, block and
deployments exist as declared; a ``jobinsight.scrape.completed`` event (from the scrape flow
or an external crawler) starts a process run that fills staging; an ad-hoc run of the full
deployment takes its parameters from the CLI; the retry deployment re-processes quarantined
rows and gives up on rows past ``max_attempts``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from jobinsight.synthetic import generate_raw_rows
from tests.e2e.conftest import CANARY_PASSWORD, E2E_BLOCK, FAKE_DATABASE_URL
from tests.e2e.stack import REPO_ROOT, PrefectServer, WorkerPool, sql_rows

pytestmark = pytest.mark.slow

#: The deployment machinery does not depend on the PostgreSQL version; the database tests
#: cover both backends, so these run on the embedded server only (they are the slow ones).
EMBEDDED_ONLY = pytest.mark.parametrize("database_url", ["embedded"], indirect=True)

DEPLOYMENTS = {
    "scrape/jobinsight-scrape": "scrapeOnly",
    "process/jobinsight-process": "processOnly",
    "full/jobinsight-full": "all",
    "process-retry/jobinsight-process-retry": "processOnly",
}


def _setup_module() -> Any:
    """deployments/setup.py, loaded the way `jobinsight deploy` loads it."""
    from jobinsight.cli import _deploy_setup_module

    module, _ = _deploy_setup_module(REPO_ROOT)
    return module


def _staging_complete(url: str) -> tuple[int, int]:
    """(rows in staging, raw rows still waiting without an error) — the second must be 0."""
    staged = sql_rows(url, "SELECT count(*) FROM jobinsight_staging.staging_jobs")[0][0]
    waiting = sql_rows(url, "SELECT count(*) FROM public.raw_jobs WHERE NOT is_processed AND process_error IS NULL")
    return staged, waiting[0][0]


def _run_stats(url: str, run_id: Any) -> dict:
    rows = sql_rows(url, "SELECT success, stats FROM jobinsight_monitoring.pipeline_runs WHERE run_id = %s",
                    (str(run_id),))
    assert rows, f"run {run_id} left no row in pipeline_runs"
    success, stats = rows[0]
    assert success is True
    return stats


def test_jobinsight_deploy_creates_pool_block_and_every_deployment(prefect_server: PrefectServer,
                                                                    deployed: dict) -> None:
    assert deployed["work_pool"] == "jobinsight" and deployed["work_pool_created"] is True
    assert deployed["deployments"] == [name.split("/")[1] for name in DEPLOYMENTS]
    assert deployed["block"] == E2E_BLOCK and deployed["block_saved"] is True
    assert CANARY_PASSWORD not in deployed["_output"]
    assert deployed["database"] == "postgresql://jobinsight:***@127.0.0.1:9/nowhere"

    async def read_all(client: Any) -> tuple:
        pool = await client.read_work_pool("jobinsight")
        deployments = {name: await client.read_deployment_by_name(name) for name in DEPLOYMENTS}
        automations = await client.read_automations_by_name("jobinsight-process-on-scrape-completed")
        return pool, deployments, automations

    pool, deployments, automations = prefect_server.call(read_all)
    assert pool.type == "process"
    for name, mode in DEPLOYMENTS.items():
        deployment = deployments[name]
        assert deployment.parameters["options"]["pipeline_mode"] == mode, name
        assert deployment.work_pool_name == "jobinsight"
        assert deployment.job_variables["env"]["JOBINSIGHT_DB_BLOCK"] == E2E_BLOCK
        # the clone's absolute path, written at deploy time (as `prefect init` does), so a plain
        # worker started in any folder of this machine finds the entrypoints
        assert deployment.pull_steps == [{"prefect.deployments.steps.set_working_directory": {
            "directory": str(REPO_ROOT.resolve())}}]
        assert deployment.job_variables["env"]["PREFECT_LOGGING_EXTRA_LOGGERS"] == "jobinsight"
    crons = {name: [(s.schedule.cron, s.schedule.timezone) for s in d.schedules] for name, d in deployments.items()}
    assert crons["scrape/jobinsight-scrape"] == [("0 6 * * *", "Asia/Ho_Chi_Minh")]
    assert crons["process/jobinsight-process"] == [("2 11 * * *", "Asia/Ho_Chi_Minh")]
    assert crons["full/jobinsight-full"] == []
    assert deployments["scrape/jobinsight-scrape"].global_concurrency_limit.limit == 1
    assert deployments["process/jobinsight-process"].global_concurrency_limit is None

    (automation,) = automations
    assert automation.trigger.expect == {"jobinsight.scrape.completed"}
    assert automation.actions[0].deployment_id == deployments["process/jobinsight-process"].id

    # the block holds the URL (password as a secret) and gives it back to the flows
    from jobinsight.db.resolve import url_from_block

    with prefect_server.settings():
        assert url_from_block(E2E_BLOCK) == FAKE_DATABASE_URL


@EMBEDDED_ONLY
def test_scrape_completed_event_starts_a_process_run_that_fills_staging(
        prefect_server: PrefectServer, workers: WorkerPool, database_url: str) -> None:
    # This worker has no JOBINSIGHT_DATABASE_URL: its runs find the database through the block
    # that the deployments name in job_variables.env (JOBINSIGHT_DB_BLOCK).
    _point_block_at(prefect_server, database_url)
    try:
        _event_runs_fill_staging(prefect_server, workers, database_url)
    finally:
        _point_block_at(prefect_server, FAKE_DATABASE_URL)  # as `jobinsight deploy` left it


def _point_block_at(server: PrefectServer, url: str) -> None:
    with server.settings():
        _setup_module().save_database_block(url, E2E_BLOCK)


def _event_runs_fill_staging(prefect_server: PrefectServer, workers: WorkerPool, database_url: str) -> None:
    generate_raw_rows(database_url, 120)
    process = prefect_server.deployment_id("process/jobinsight-process")
    known = {run.id for run in prefect_server.runs_of(process)}
    workers.start(database_url=None)

    payload = {"flow_run_id": "scrape-run-e2e", "source": "topcv", "jobs_found": 120, "inserted": 120,
               "updated": 0, "unchanged": 0, "quarantined": 0, "pages_fetched": 3}
    prefect_server.cli("event", "emit", "jobinsight.scrape.completed", "--resource-id", "jobinsight.source.topcv",
                       "--payload", json.dumps(payload))
    run = prefect_server.wait_final(prefect_server.wait_new_run(process, known, workers).id, workers)
    assert run.state.is_completed(), f"{run.state.message}\n{workers.logs()}"
    assert run.parameters["options"] == {"pipeline_mode": "processOnly"}
    trigger = run.parameters["trigger"]
    assert trigger["event"] == "jobinsight.scrape.completed"
    assert trigger["resource_id"] == "jobinsight.source.topcv"
    assert (trigger["scrape_flow_run_id"], trigger["source"]) == ("scrape-run-e2e", "topcv")
    assert trigger["payload"] == payload
    stats = _run_stats(database_url, run.id)
    assert stats["processed_records"] + stats["quarantined"] == 120
    assert _staging_complete(database_url) == (stats["processed_records"], 0)

    # An external crawler announces new rows with the same event and no payload at all.
    generate_raw_rows(database_url, 30, start=1_001)
    known.add(run.id)
    prefect_server.cli("event", "emit", "jobinsight.scrape.completed", "--resource-id", "jobinsight.source.external")
    external = prefect_server.wait_final(prefect_server.wait_new_run(process, known, workers).id, workers)
    assert external.state.is_completed(), f"{external.state.message}\n{workers.logs()}"
    assert external.parameters["trigger"]["resource_id"] == "jobinsight.source.external"
    assert external.parameters["trigger"]["source"] is None and external.parameters["trigger"]["payload"] == {}
    more = _run_stats(database_url, external.id)
    assert more["processed_records"] + more["quarantined"] == 30
    assert _staging_complete(database_url) == (stats["processed_records"] + more["processed_records"], 0)


@EMBEDDED_ONLY
def test_full_deployment_runs_ad_hoc_with_cli_parameters(prefect_server: PrefectServer, workers: WorkerPool,
                                                         database_url: str) -> None:
    workers.start(database_url)
    process = prefect_server.deployment_id("process/jobinsight-process")
    known = {run.id for run in prefect_server.runs_of(process)}
    params = {"options": {"pipeline_mode": "all", "source": "demo", "delay_seconds": 0, "demo_pages": 2,
                          "demo_per_page": 10, "batch_size": 7}}
    # The server checks parameters against PipelineOptions' schema before a run exists.
    bad = {"options": {"pipeline_mode": "all", "source": "demo", "no_such_option": 1}}
    rejected = prefect_server.cli("deployment", "run", "full/jobinsight-full", "--params", json.dumps(bad),
                                  check=False)
    assert rejected.returncode != 0 and "no_such_option" in rejected.stdout + rejected.stderr

    created = prefect_server.cli("deployment", "run", "full/jobinsight-full", "--params", json.dumps(params))
    run_id = re.search(r"UUID: ([0-9a-f-]{36})", created.stdout).group(1)

    run = prefect_server.wait_final(run_id, workers)
    assert run.state.is_completed(), f"{run.state.message}\n{workers.logs()}"
    assert run.parameters == params
    children = {child.name: child for child in prefect_server.child_runs(run.id)}
    flows = sorted(_run_flow(prefect_server, child) for child in children.values())
    assert flows == ["process", "scrape"]
    scrape_run = next(c for c in children.values() if _run_flow(prefect_server, c) == "scrape")
    process_run = next(c for c in children.values() if _run_flow(prefect_server, c) == "process")
    scraped = _run_stats(database_url, scrape_run.id)
    assert scraped["extra"]["inserted"] == 20  # the local demo board: 2 pages x 10 jobs

    # The scrape part announced itself, so the process deployment's trigger started a run too;
    # it and the full run's process part split the rows through batch claims.
    triggered = prefect_server.wait_final(prefect_server.wait_new_run(process, known, workers).id, workers)
    assert triggered.state.is_completed(), f"{triggered.state.message}\n{workers.logs()}"
    assert triggered.parameters["trigger"]["resource_id"] == "jobinsight.source.demo"
    processed = [_run_stats(database_url, r.id)["processed_records"] for r in (process_run, triggered)]
    assert sum(processed) == 20
    assert _staging_complete(database_url) == (20, 0)


def _run_flow(server: PrefectServer, run: Any) -> str:
    async def read(client: Any) -> str:
        return (await client.read_flow(run.flow_id)).name

    return server.call(read)


@EMBEDDED_ONLY
def test_retry_deployment_reprocesses_fixed_rows_and_marks_hopeless_ones_dead(
        prefect_server: PrefectServer, workers: WorkerPool, database_url: str) -> None:
    generate_raw_rows(database_url, 60)
    sql_rows(database_url, "UPDATE public.raw_jobs SET title = '   ' WHERE job_id IN ('5', '9', '13')")
    workers.start(database_url)

    first = prefect_server.wait_final(prefect_server.run_deployment(
        "process/jobinsight-process", {"options": {"pipeline_mode": "processOnly"}}), workers)
    assert first.state.is_completed(), f"{first.state.message}\n{workers.logs()}"
    assert sorted(sql_rows(database_url, "SELECT job_id, process_attempts FROM public.raw_jobs "
                                         "WHERE process_error IS NOT NULL")) == [("13", 1), ("5", 1), ("9", 1)]

    # Row 5 gets fixed by plain SQL; row 9 already failed twice
    # and fails once more; row 13 is past the maximum and is not tried again.
    sql_rows(database_url, "UPDATE public.raw_jobs SET title = 'Kế Toán Tổng Hợp' WHERE job_id = '5'")
    sql_rows(database_url, "UPDATE public.raw_jobs SET process_attempts = 2 WHERE job_id = '9'")
    sql_rows(database_url, "UPDATE public.raw_jobs SET process_attempts = 5 WHERE job_id = '13'")

    retry = prefect_server.wait_final(prefect_server.run_deployment("process-retry/jobinsight-process-retry", {}),
                                      workers)
    assert retry.state.is_completed(), f"{retry.state.message}\n{workers.logs()}"

    def raw_state() -> dict[str, tuple[bool, int, bool]]:
        return {job: (processed, attempts, error is not None) for job, processed, attempts, error in sql_rows(
            database_url, "SELECT job_id, is_processed, process_attempts, process_error FROM public.raw_jobs "
                          "WHERE job_id IN ('5', '9', '13')")}

    # Row 5 was fixed by another writer: the V009 trigger made it new content (error and attempts
    # cleared, unprocessed), so it waits for the regular process run, not for the retry sweep.
    assert raw_state() == {"5": (False, 0, False), "9": (False, 3, True), "13": (False, 5, True)}
    again = prefect_server.wait_final(prefect_server.run_deployment(
        "process/jobinsight-process", {"options": {"pipeline_mode": "processOnly"}}), workers)
    assert again.state.is_completed(), f"{again.state.message}\n{workers.logs()}"
    assert raw_state() == {"5": (True, 0, False), "9": (False, 3, True), "13": (False, 5, True)}
    assert sql_rows(database_url, "SELECT title_clean FROM jobinsight_staging.staging_jobs WHERE job_id = '5'") \
        == [("Kế Toán Tổng Hợp",)]
    quarantine = dict(sql_rows(database_url, "SELECT job_id, status FROM jobinsight_monitoring.quarantine "
                                             "WHERE stage = 'process'"))
    assert quarantine == {"5": "resolved", "9": "dead", "13": "dead"}

    from prefect.artifacts import Artifact

    with prefect_server.settings():
        artifact = Artifact.get("process-dead-rows")
    dead = json.loads(artifact.data)
    assert sorted((row["job_id"], row["attempts"]) for row in dead) == [("13", 5), ("9", 3)]
    assert all(row["reason"] for row in dead)
    assert _staging_complete(database_url) == (58, 0)
