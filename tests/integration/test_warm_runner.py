"""The warm runner (jobinsight/warm): flow commands after the first are served by a process that
has the pipeline imported already, and behave exactly as a cold command would.

Real ``python -m jobinsight`` subprocesses (the console entry point), a real runner, the real
database and the session's Prefect server. Each test stops the runner it started.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from jobinsight.synthetic import generate_raw_rows
from jobinsight.warm.client import runner_pid, start_runner, stop_runner
from jobinsight.warm.identity import runner_dir

JOBINSIGHT = [sys.executable, "-m", "jobinsight"]  # the launcher, as the `jobinsight` command runs it
EMBEDDED_ONLY = pytest.mark.parametrize("database_url", ["embedded"], indirect=True)  # tests the launcher, not SQL


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "home"
    path.mkdir()
    yield path
    stop_runner(path)


def _env(home: Path, database_url: str, prefect_api_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"JOBINSIGHT_DB_BLOCK", "ETL_BATCH_SIZE"}}
    env.update(JOBINSIGHT_HOME=str(home), JOBINSIGHT_WARM_START="true", JOBINSIGHT_DATABASE_URL=database_url,
               PREFECT_API_URL=prefect_api_url, JOBINSIGHT_ARCHIVE_ROOT=str(home / "archive"), **extra)
    return env


def _cli(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*JOBINSIGHT, *args], env=env, capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """This process's environment as a command's (the runner key and a started runner follow it)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _wait_for_runner(home: Path, env: dict[str, str], not_pid: int | None = None, timeout: float = 120) -> int:
    """PID of the home's runner once it answers (a runner started by a command imports for a few seconds)."""
    deadline = time.monotonic() + timeout
    with _environment(env):
        while time.monotonic() < deadline:
            pid = runner_pid(home)
            if pid is not None and pid != not_pid:
                return pid
            time.sleep(0.2)
    log = runner_dir(home) / "runner.log"
    raise AssertionError(f"no runner answered; its log: {log.read_text() if log.exists() else '(none)'}")


def _start_runner(home: Path, env: dict[str, str]) -> int:
    """Start a runner with the environment of ``env`` (as a first command would) and wait until it answers."""
    with _environment(env):
        start_runner(home)
    return _wait_for_runner(home, env)


def _served(home: Path) -> int:
    """Commands the runner has forked so far (one log line each)."""
    return (runner_dir(home) / "runner.log").read_text().count(": PID ")


@EMBEDDED_ONLY
def test_commands_after_the_first_are_served_warm_with_the_callers_output_and_exit_code(
        home: Path, database_url: str, prefect_api_url: str) -> None:
    env = _env(home, database_url, prefect_api_url)
    generate_raw_rows(database_url, 50, start=1)
    first = _cli("process", "--json", env=env)  # cold; starts the runner for the next command
    assert first.returncode == 0, first.stderr[-3000:]
    assert json.loads(first.stdout)["stats"]["processed_records"] == 50
    runner = _wait_for_runner(home, env)
    assert _served(home) == 0

    generate_raw_rows(database_url, 30, start=1_000)
    second = _cli("process", "--json", env=env)
    assert second.returncode == 0, second.stderr[-3000:]
    assert json.loads(second.stdout)["stats"]["processed_records"] == 30  # stdout: exactly one JSON document
    assert _served(home) == 1
    assert "prefect.flow_runs [" in second.stderr  # the run's log lines reach the caller's stderr, named

    generate_raw_rows(database_url, 20, start=2_000)
    limited = _cli("process", "--max-records", "10", env=env)
    assert limited.returncode == 3, limited.stderr[-3000:]  # "rows left", as a cold run reports it
    assert limited.stdout.startswith("ROWS LEFT:")
    assert _served(home) == 2 and runner_pid(home) == runner  # one runner served both

    stopped = _cli("stop", env=env)
    assert f"stopped the warm runner (PID {runner})" in stopped.stdout
    assert runner_pid(home) is None
    psutil.Process(runner).wait(timeout=30)


@EMBEDDED_ONLY
def test_a_caller_with_other_import_time_settings_runs_cold_and_replaces_the_runner(
        home: Path, database_url: str, prefect_api_url: str) -> None:
    env = _env(home, database_url, prefect_api_url)
    old = _start_runner(home, env)

    other = dict(env, PREFECT_LOGGING_LEVEL="WARNING")  # read by Prefect at import time: the runner cannot serve it
    result = _cli("process", "--json", env=other)
    assert result.returncode == 0, result.stderr[-3000:]
    assert _served(home) == 0  # ran cold
    psutil.Process(old).wait(timeout=30)  # the old runner stepped aside
    new = _wait_for_runner(home, other, not_pid=old)
    assert new != old
    assert "stepping aside" in (runner_dir(home) / "runner.log").read_text()


class _HangingBoard(http.server.BaseHTTPRequestHandler):
    """A job board that never answers (until the test ends)."""

    released = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.released.wait(120)

    def log_message(self, *args: object) -> None:
        pass


@EMBEDDED_ONLY
def test_ctrl_c_in_the_caller_stops_the_command_in_the_runner(
        home: Path, database_url: str, prefect_api_url: str) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HangingBoard)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = _env(home, database_url, prefect_api_url, JOBINSIGHT_RESPECT_ROBOTS="false")
    try:
        _start_runner(home, env)
        caller = subprocess.Popen([*JOBINSIGHT, "scrape", "--source", "topcv", "--fetcher", "http", "--max-pages", "1",
                                   "--base-url", f"http://127.0.0.1:{server.server_port}/viec-lam-it"],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while _served(home) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        line = next(ln for ln in (runner_dir(home) / "runner.log").read_text().splitlines() if ": PID " in ln)
        child = psutil.Process(int(line.rsplit("PID ", 1)[1]))
        time.sleep(3)  # the command is waiting for the board now
        assert caller.poll() is None and child.is_running()

        caller.send_signal(signal.SIGINT)  # what Ctrl-C in a terminal does to the caller
        _out, err = caller.communicate(timeout=60)
        assert caller.returncode != 0, err[-3000:]
        child.wait(timeout=30)  # the command's process is gone, not left running in the runner
    finally:
        _HangingBoard.released.set()
        server.shutdown()
