"""The cron schedules of prefect.yaml, fired by the Prefect server's own scheduler.

A server started from this virtualenv with its scheduler on (a 2 s loop instead of 60 s),
``jobinsight deploy``, and then only the server: no run is created through the run API. The
first test proves the scheduler created runs for each of the three cron deployments; the
second moves one of those scheduler-made runs to "now" and has a plain worker take it to
Completed. Both fail when the server's scheduler is broken — as it is with SQLAlchemy 2.1,
where ``schedule_deployments`` raises "Can't evaluate bulk DML statement" every loop and
creates no run (hence the ``sqlalchemy<2.1`` constraint in pyproject.toml).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import (
    JOBINSIGHT,
    PrefectServer,
    WorkerPool,
    sql_rows,
    start_server,
    stop_process,
    wait_until,
)

#: One worker runs both tests, so the module's scheduling server starts once (see tests/conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-scheduling-server")]

CRON_DEPLOYMENTS = ("scrape/jobinsight-scrape", "process/jobinsight-process",
                    "process-retry/jobinsight-process-retry")
#: Bounded only so a broken scheduler fails the test instead of hanging it (the loop runs every 2 s).
SCHEDULER_WAIT_S = 120.0


@pytest.fixture(scope="module")
def scheduling_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """A server whose scheduler runs (the session server's is off), with prefect.yaml deployed."""
    server = start_server(tmp_path_factory.mktemp("prefect-scheduler"),
                          PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="true",
                          PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="2")
    try:
        report = json.loads(server.cli("deploy", "--json", command=JOBINSIGHT).stdout)
        assert report["deployments"] == ["jobinsight-scrape", "jobinsight-process", "jobinsight-full",
                                         "jobinsight-process-retry"]
        yield server
    finally:
        stop_process(server.process)


def _scheduled_runs(server: PrefectServer, name: str) -> list[Any]:
    """Runs of a deployment that the server's scheduler created (``auto_scheduled``), still Scheduled."""
    return [run for run in server.runs_of(server.deployment_id(name))
            if run.auto_scheduled and run.state is not None and run.state.is_scheduled()]


def _wait_scheduled(server: PrefectServer, name: str) -> list[Any]:
    return wait_until(lambda: _scheduled_runs(server, name) or None,
                      f"the server's scheduler to create runs of {name}", server.log, limit_s=SCHEDULER_WAIT_S)


def test_the_servers_scheduler_creates_runs_for_every_cron_deployment(scheduling_server: PrefectServer) -> None:
    for name in CRON_DEPLOYMENTS:
        runs = _wait_scheduled(scheduling_server, name)
        deployment = _deployment(scheduling_server, name)
        (schedule,) = deployment.schedules
        now = datetime.now(UTC)
        for run in runs:
            assert run.deployment_id == deployment.id
            assert run.state.state_details.scheduled_time > now  # the next fire times, in the future
            assert run.parameters["options"]["pipeline_mode"] == deployment.parameters["options"]["pipeline_mode"]
        # the fire times are the cron's: 06:00 / 11:02 / 12:30 in Asia/Ho_Chi_Minh
        local = {run.state.state_details.scheduled_time.astimezone(_tz(schedule.schedule.timezone)).strftime("%H:%M")
                 for run in runs}
        minute, hour = schedule.schedule.cron.split()[:2]
        assert local == {f"{int(hour):02d}:{int(minute):02d}"}, (name, local)
    # the full deployment has no schedule and gets no run
    assert scheduling_server.runs_of(scheduling_server.deployment_id("full/jobinsight-full")) == []
    assert "bulk DML" not in scheduling_server.log.read_text(errors="replace")


@pytest.mark.parametrize("database_url", ["embedded"], indirect=True)
def test_a_worker_runs_a_run_the_scheduler_created_to_completed(
        scheduling_server: PrefectServer, database_url: str, tmp_path: Path) -> None:
    from prefect.states import Scheduled

    from jobinsight.synthetic import generate_raw_rows

    generate_raw_rows(database_url, 40)
    # One of the process deployment's scheduler-made runs (11:02 Asia/Ho_Chi_Minh) becomes due now.
    run = min(_wait_scheduled(scheduling_server, "process/jobinsight-process"),
              key=lambda r: r.state.state_details.scheduled_time)
    assert run.auto_scheduled

    # The worker takes whatever is due; pause the crawl and the sweep so a test run minutes before
    # 06:00 / 12:30 in Asia/Ho_Chi_Minh cannot start a real crawl of TopCV.
    others = [scheduling_server.deployment_id(name) for name in CRON_DEPLOYMENTS if not name.startswith("process/")]

    async def make_due(client: Any) -> None:
        for deployment in others:
            await client.pause_deployment(deployment)
        await client.set_flow_run_state(run.id, Scheduled(scheduled_time=datetime.now(UTC)), force=True)

    async def resume(client: Any) -> None:
        for deployment in others:
            await client.resume_deployment(deployment)

    workers = WorkerPool(scheduling_server, tmp_path)
    anywhere = tmp_path / "some" / "other" / "folder"
    anywhere.mkdir(parents=True)
    try:
        scheduling_server.call(make_due)
        workers.start(database_url, cwd=anywhere)  # a plain `prefect worker start --pool jobinsight`
        done = scheduling_server.wait_final(run.id, workers)
    finally:
        workers.stop_all()
        scheduling_server.call(resume)
    assert done.state.is_completed(), f"{done.state.message}\n{workers.logs()}"
    assert done.auto_scheduled and done.id == run.id
    (stats,) = sql_rows(database_url, "SELECT stats FROM jobinsight_monitoring.pipeline_runs WHERE run_id = %s",
                        (str(run.id),))[0]
    assert stats["processed_records"] + stats["quarantined"] == 40
    assert sql_rows(database_url, "SELECT count(*) FROM public.raw_jobs WHERE NOT is_processed "
                                  "AND process_error IS NULL") == [(0,)]


def _deployment(server: PrefectServer, name: str) -> Any:
    async def read(client: Any) -> Any:
        return await client.read_deployment_by_name(name)

    return server.call(read)


def _tz(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
