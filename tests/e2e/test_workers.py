"""Workers as Prefect users start them.

- ``jobinsight deploy --git-repo URL``: the deployments' pull step clones the repository, so a
  worker that has no clone of its own (another machine) runs the flows; tested with a local
  bare repository over ``file://`` and the deploying clone deleted before the run starts.
- ``jobinsight worker``: an idle worker stops within 10 s of one SIGINT or SIGTERM — also when
  it was started with SIGINT ignored, as background jobs of scripts are; a busy one takes no
  new runs, names the run it waits for, lets it finish (Completed) and then stops.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.stack import JOBINSIGHT, REPO_ROOT, PrefectServer, WorkerPool, sql_rows, tail, wait_until

pytestmark = pytest.mark.slow

IDLE_STOP_LIMIT_S = 10.0


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "e2e", "GIT_AUTHOR_EMAIL": "e2e@example.invalid", "HOME": str(cwd),
                        "GIT_COMMITTER_NAME": "e2e", "GIT_COMMITTER_EMAIL": "e2e@example.invalid",
                        "PATH": "/usr/bin:/bin:/usr/local/bin"})


def _source_copy(target: Path, deployment_name: str) -> Path:
    """This working tree (tracked and new files) with a prefect.yaml of one process deployment
    under its own name, so the session's deployments are left alone."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO_ROOT, check=True,
                           capture_output=True, text=True).stdout.splitlines()
    for name in files:
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    spec = yaml.safe_load((target / "prefect.yaml").read_text(encoding="utf-8"))
    (process,) = [d for d in spec["deployments"] if d["name"] == "jobinsight-process"]
    process.update(name=deployment_name, schedules=[], triggers=[])
    spec["deployments"] = [process]
    (target / "prefect.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target


@pytest.fixture
def bare_repo(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a clone to deploy from, a bare repository of it reachable by file:// URL)."""
    clone = _source_copy(tmp_path / "clone", "jobinsight-process-git")
    _git("init", "-q", "-b", "main", cwd=clone)
    _git("add", "-A", cwd=clone)
    _git("commit", "-q", "-m", "e2e snapshot", cwd=clone)
    bare = tmp_path / "jobinsight.git"
    _git("clone", "-q", "--bare", str(clone), str(bare), cwd=tmp_path)
    yield clone, bare


@pytest.mark.parametrize("database_url", ["embedded"], indirect=True)
def test_git_clone_pull_step_runs_flows_on_a_worker_without_the_deploying_clone(
        prefect_server: PrefectServer, workers: WorkerPool, database_url: str, bare_repo: tuple[Path, Path],
        tmp_path: Path) -> None:
    clone, bare = bare_repo
    url = f"file://{bare}"
    report = json.loads(prefect_server.cli("deploy", "--project-dir", str(clone), "--git-repo", url,
                                           "--git-branch", "main", "--json", command=JOBINSIGHT).stdout)
    assert report["pull"] == [{"prefect.deployments.steps.git_clone": {"repository": url, "branch": "main"}}]

    async def read(client: Any) -> Any:
        return await client.read_deployment_by_name("process/jobinsight-process-git")

    deployment = prefect_server.call(read)
    assert deployment.pull_steps == report["pull"]
    shutil.rmtree(clone)  # the worker cannot use the deploying clone: only the git repository is left

    generate = __import__("jobinsight.synthetic", fromlist=["generate_raw_rows"]).generate_raw_rows
    generate(database_url, 25)
    elsewhere = tmp_path / "worker-machine"
    elsewhere.mkdir()
    workers.start(database_url, cwd=elsewhere)
    run = prefect_server.wait_final(prefect_server.run_deployment(
        "process/jobinsight-process-git", {"options": {"pipeline_mode": "processOnly"}}), workers)
    assert run.state.is_completed(), f"{run.state.message}\n{workers.logs()}"
    (stats,) = sql_rows(database_url, "SELECT stats FROM jobinsight_monitoring.pipeline_runs WHERE run_id = %s",
                        (str(run.id),))[0]
    assert stats["processed_records"] + stats["quarantined"] == 25


def _start_jobinsight_worker(server: PrefectServer, log: Path, sigint_ignored: bool,
                             **env: str) -> subprocess.Popen:
    """``jobinsight worker``; with ``sigint_ignored`` as a background job of a script starts it."""

    def prepare() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN if sigint_ignored else signal.SIG_DFL)

    with log.open("wb") as out:
        return subprocess.Popen([*JOBINSIGHT, "worker"], cwd=log.parent,
                                env=server.client_env(PREFECT_WORKER_QUERY_SECONDS="1",
                                                      JOBINSIGHT_HOME=str(log.parent / "home"), **env),
                                stdout=out, stderr=subprocess.STDOUT, preexec_fn=prepare)


def _wait_started(proc: subprocess.Popen, log: Path) -> None:
    def started() -> bool | None:
        assert proc.poll() is None, tail(log)
        return True if "started!" in log.read_text(errors="replace") else None

    wait_until(started, "the worker to start", log)


@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["plain", "sigint-ignored-by-parent"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_idle_worker_stops_within_10_s_of_one_signal(prefect_server: PrefectServer, deployed: dict,
                                                        tmp_path: Path, signum: int, sigint_ignored: bool) -> None:
    log = tmp_path / "worker.log"
    proc = _start_jobinsight_worker(prefect_server, log, sigint_ignored)
    try:
        _wait_started(proc, log)
        proc.send_signal(signum)
        try:
            proc.wait(timeout=IDLE_STOP_LIMIT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the idle worker still ran {IDLE_STOP_LIMIT_S} s after one {signal.Signals(signum).name}:\n"
                        f"{tail(log)}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text(errors="replace")
    assert f"Received {signal.Signals(signum).name}: the worker is idle and stops now." in text
    assert proc.returncode == 0, text


@pytest.mark.parametrize("database_url", ["embedded"], indirect=True)
def test_a_busy_worker_names_the_run_it_waits_for_and_lets_it_finish(prefect_server: PrefectServer, workers: WorkerPool,
                                                  database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    proc = _start_jobinsight_worker(prefect_server, log, sigint_ignored=False, JOBINSIGHT_DATABASE_URL=database_url)
    try:
        _wait_started(proc, log)
        # a slow crawl of the local demo board: 4 listing pages, 3 s apart (no detail pages: at the
        # same pace they would add a minute and prove nothing more)
        params = {"options": {"pipeline_mode": "scrapeOnly", "source": "demo", "delay_seconds": 3, "demo_pages": 4,
                              "demo_per_page": 5, "concurrency": 1, "follow_details": False}}
        run_id = prefect_server.run_deployment("full/jobinsight-full", params)

        def running() -> bool | None:
            run = prefect_server.flow_run(run_id)
            return True if run.state is not None and run.state.is_running() else None

        wait_until(running, "the run to start on the worker", log)
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text(errors="replace")
    assert f"stops when these finish: flow run {run_id}" in text, text
    assert "The runs have finished; the worker stops now." in text, text
    assert proc.returncode == 0, text
    # it waited: the run it was executing finished normally instead of being killed with the worker
    final = prefect_server.flow_run(run_id)
    assert final.state.is_completed(), f"{final.state}\n{text}"
