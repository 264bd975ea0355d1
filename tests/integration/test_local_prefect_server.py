"""The local Prefect server, the default Prefect API: started once under JOBINSIGHT_HOME on first
use, reused afterwards, one server for concurrent first uses, stopped by ``jobinsight stop``.

Real ``prefect server start`` processes; every test stops what it started (fixture teardown).
They are ``prefect``-tier tests (each starts a Prefect server: out of the fast tier), so the
pipeline one runs on the embedded database only (tests/conftest.py, ``pytest_generate_tests``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from jobinsight.prefect_server import ServerState, state_file, stop

JOBINSIGHT = [sys.executable, "-m", "jobinsight.cli"]

pytestmark = pytest.mark.prefect


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PREFECT_API") and k not in {"JOBINSIGHT_DATABASE_URL", "JOBINSIGHT_DB_BLOCK",
                                                           "JOBINSIGHT_PREFECT_SERVER"}}
    env.update(JOBINSIGHT_HOME=str(home), **extra)
    return env


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "home"
    path.mkdir()
    yield path
    stop(path)  # never leave a server behind
    from jobinsight.db.embedded import stop_server

    stop_server(path)


def _servers_of(home: Path) -> list[psutil.Process]:
    """``prefect server start`` processes whose PREFECT_HOME lies under ``home``."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            cmd = proc.info["cmdline"] or []
            if "prefect" in cmd and "server" in cmd and "start" in cmd \
                    and proc.environ().get("PREFECT_HOME", "").startswith(str(home)):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def test_concurrent_first_uses_start_one_server_that_later_commands_reuse(home: Path) -> None:
    procs = [subprocess.Popen([*JOBINSIGHT, "server", "start"], env=_env(home), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [proc.communicate(timeout=400) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outputs
    started = [out for out, _ in outputs if "(started now)" in out]
    assert len(started) == 1, outputs  # the other one found it running
    state = ServerState.read(state_file(home))
    assert state is not None and all(state.ui_url in out for out, _ in outputs)
    assert [p.pid for p in _servers_of(home)] == [state.pid]
    assert Path(state.home).is_relative_to(home) and (Path(state.home) / "prefect.db").is_file()
    with urllib.request.urlopen(f"{state.api_url}/health", timeout=10) as response:  # noqa: S310 - loopback
        assert json.loads(response.read()) is True

    status = subprocess.run([*JOBINSIGHT, "server", "status"], env=_env(home), capture_output=True, text=True,
                            timeout=120)
    assert status.returncode == 0 and f"UI {state.ui_url}" in status.stdout

    stopped = subprocess.run([*JOBINSIGHT, "stop"], env=_env(home), capture_output=True, text=True, timeout=120)
    assert stopped.returncode == 0 and f"stopped the Prefect server (PID {state.pid})" in stopped.stdout
    assert _servers_of(home) == [] and not state_file(home).exists()
    again = subprocess.run([*JOBINSIGHT, "server", "status"], env=_env(home), capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 1 and "not running" in again.stdout


def test_a_pipeline_command_without_prefect_api_url_reports_to_the_local_server(home: Path,
                                                                                database_url: str) -> None:
    from jobinsight.synthetic import generate_raw_rows

    generate_raw_rows(database_url, 30)
    env = _env(home, JOBINSIGHT_DATABASE_URL=database_url)
    first = subprocess.run([*JOBINSIGHT, "process", "--json"], env=env, capture_output=True, text=True, timeout=400)
    assert first.returncode == 0, first.stderr[-3000:]
    state = ServerState.read(state_file(home))
    assert state is not None and "Prefect UI: " + state.ui_url in first.stderr
    run_id = json.loads(first.stdout)["run_id"]

    generate_raw_rows(database_url, 10, start=1_000)
    second = subprocess.run([*JOBINSIGHT, "process", "--json"], env=env, capture_output=True, text=True, timeout=400)
    assert second.returncode == 0, second.stderr[-3000:]
    assert json.loads(second.stdout)["stats"]["processed_records"] == 10
    assert ServerState.read(state_file(home)).pid == state.pid  # reused, not started again
    assert [p.pid for p in _servers_of(home)] == [state.pid]
    # both runs are on that server, for the UI to show
    for rid in (run_id, json.loads(second.stdout)["run_id"]):
        with urllib.request.urlopen(f"{state.api_url}/flow_runs/{rid}", timeout=10) as response:  # noqa: S310
            assert json.loads(response.read())["state_type"] == "COMPLETED"


def test_a_server_whose_command_line_reads_empty_while_it_starts_is_started_once(home: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Right after Popen returns, the child's /proc cmdline can read empty for a moment (the kernel
    sets it after exec has closed Popen's pipe). Seen under load: the starter took its own starting
    server for one that had exited and started a second beside it, which nothing ever stopped."""
    from jobinsight.prefect_server import ensure_server

    with monkeypatch.context() as patch:
        patch.setattr(psutil.Process, "cmdline", lambda self: [])  # every read lands in that moment
        state, started_now = ensure_server(home)
    assert started_now
    assert [p.pid for p in _servers_of(home)] == [state.pid]
    with urllib.request.urlopen(f"{state.api_url}/health", timeout=10) as response:  # noqa: S310 - loopback
        assert json.loads(response.read()) is True
