"""A real Prefect stack for the end-to-end tests: server and workers as subprocesses.

The deployments are only proven by running them the way production does — ``prefect.yaml``
applied to a server, runs picked up by a process worker that starts from the clone — so
these helpers start ``prefect server start`` (SQLite, its own PREFECT_HOME, analytics,
UI and scheduler off, loopback only) and ``prefect worker start`` as child processes, and
stop each one by its PID (SIGINT, which Prefect handles gracefully, then SIGKILL).

In-process calls to the API go through :meth:`PrefectServer.settings`, so they reach this
server even when another test in the same session set up a different one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psycopg2

REPO_ROOT = Path(__file__).resolve().parents[2]
PREFECT = [sys.executable, "-m", "prefect"]
JOBINSIGHT = [sys.executable, "-m", "jobinsight.cli"]
#: Only to stop a broken run from hanging the suite; nothing asserts how long things take.
WAIT_LIMIT_S = 300.0

T = TypeVar("T")

#: Variables of the test process that must not leak into the stack's processes.
_PRIVATE = ("JOBINSIGHT_DATABASE_URL", "JOBINSIGHT_DB_BLOCK", "JOBINSIGHT_PROJECT_DIR", "JOBINSIGHT_HOME")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without Prefect or JobInsight settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k not in _PRIVATE}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env.update(extra)
    return env


def stop_process(proc: subprocess.Popen, grace_s: float = 30.0) -> None:
    """SIGINT the process (Prefect shuts down cleanly on it), SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


def _default_sigint() -> None:
    """In the child before exec: take SIGINT's default handling back, in case the test runner
    was started with SIGINT ignored (background jobs of a non-interactive shell are) — the
    child would inherit that and :func:`stop_process` could not stop it gently."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def tail(path: Path, lines: int = 60) -> str:
    """The end of a log file (for failure messages)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def wait_until(probe: Callable[[], T | None], what: str, log: Path | None = None,
               limit_s: float = WAIT_LIMIT_S, every_s: float = 0.5) -> T:
    """Poll ``probe`` until it returns something other than None; fail with the log's tail if never."""
    deadline = time.monotonic() + limit_s
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}" + (f"; log tail:\n{tail(log)}" if log else ""))
        time.sleep(every_s)


def sql_rows(url: str, query: str, params: tuple | dict = ()) -> list[tuple]:
    """Run one statement on the test database (committed); rows if it returns any."""
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


@dataclass
class PrefectServer:
    """A ``prefect server start`` child process and how to talk to it."""

    api_url: str
    home: Path
    process: subprocess.Popen
    log: Path

    def client_env(self, **extra: str) -> dict[str, str]:
        """Environment of a CLI or worker process that uses this server."""
        return clean_env(PREFECT_API_URL=self.api_url, PREFECT_HOME=str(self.home / "client"), **extra)

    @contextlib.contextmanager
    def settings(self) -> Iterator[None]:
        """In-process Prefect calls inside this block go to this server.

        Client-side events (e.g. a block's "loaded" event) go through a process-wide events
        worker that keeps the API URL it was created with; it is drained on the way in and out,
        so events go to the server of the moment (and later tests' task-run states never here).
        """
        from prefect.events.worker import EventsWorker
        from prefect.settings import PREFECT_API_URL, temporary_settings

        EventsWorker.drain_all(timeout=30)
        try:
            with temporary_settings(updates={PREFECT_API_URL: self.api_url}):
                yield
        finally:
            EventsWorker.drain_all(timeout=30)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``await fn(client, *args)`` with a client of this server."""
        from prefect.client.orchestration import get_client

        async def go() -> Any:
            async with get_client() as client:
                return await fn(client, *args)

        with self.settings():
            return asyncio.run(go())

    def cli(self, *args: str, env: dict[str, str] | None = None, check: bool = True,
            command: list[str] = PREFECT) -> subprocess.CompletedProcess:
        """Run ``prefect …`` (or another command) against this server."""
        proc = subprocess.run([*command, *args], cwd=REPO_ROOT, env=env or self.client_env(),
                              capture_output=True, text=True, timeout=WAIT_LIMIT_S, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc


    # --- flow runs -----------------------------------------------------------------------

    def deployment_id(self, name: str) -> uuid.UUID:
        """The id of deployment ``flow/deployment``."""

        async def read(client: Any) -> uuid.UUID:
            return (await client.read_deployment_by_name(name)).id

        return self.call(read)

    def runs_of(self, deployment: uuid.UUID) -> list[Any]:
        """Every flow run of one deployment."""
        from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

        async def read(client: Any) -> list[Any]:
            return await client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment])))

        return self.call(read)

    def flow_run(self, run_id: uuid.UUID | str) -> Any:
        async def read(client: Any) -> Any:
            return await client.read_flow_run(uuid.UUID(str(run_id)))

        return self.call(read)

    def run_deployment(self, name: str, parameters: dict[str, Any]) -> uuid.UUID:
        """Create a run of a deployment now (what the UI's "Run" and `prefect deployment run` do)."""
        deployment = self.deployment_id(name)

        async def create(client: Any) -> uuid.UUID:
            return (await client.create_flow_run_from_deployment(deployment, parameters=parameters)).id

        return self.call(create)

    def wait_final(self, run_id: uuid.UUID | str, workers: WorkerPool) -> Any:
        """Wait until a flow run is in a final state; returns it."""

        def final() -> Any:
            run = self.flow_run(run_id)
            return run if run.state is not None and run.state.is_final() else None

        try:
            return wait_until(final, f"flow run {run_id} to finish", every_s=1.0)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{workers.logs()}") from None

    def wait_new_run(self, deployment: uuid.UUID, known: set[uuid.UUID], workers: WorkerPool) -> Any:
        """Wait for a run of ``deployment`` that is not in ``known`` (e.g. one a trigger started)."""

        def new() -> Any:
            fresh = [r for r in self.runs_of(deployment) if r.id not in known]
            return fresh[0] if fresh else None

        try:
            return wait_until(new, f"a new run of deployment {deployment}", every_s=1.0)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{workers.logs()}") from None

    def task_runs(self, run_id: uuid.UUID) -> list[Any]:
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

        async def read(client: Any) -> list[Any]:
            return await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))

        return self.call(read)

    def child_runs(self, run_id: uuid.UUID) -> list[Any]:
        """Subflow runs of a flow run."""
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

        async def read(client: Any) -> list[Any]:
            return await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run_id])))

        return self.call(read)

    def states(self, run_id: uuid.UUID) -> list[Any]:
        async def read(client: Any) -> list[Any]:
            return await client.read_flow_run_states(run_id)

        return self.call(read)

    def cancel_unfinished(self) -> None:
        """Cancel every run not in a final state, so nothing leaks into the next test's worker."""
        from prefect.states import Cancelled

        async def cancel(client: Any) -> None:
            for run in await client.read_flow_runs():
                if run.state is not None and not run.state.is_final():
                    await client.set_flow_run_state(run.id, Cancelled(message="end of test"), force=True)

        self.call(cancel)


def start_server(root: Path, **overrides: str) -> PrefectServer:
    """Start a private Prefect server on a free loopback port and wait for /api/health.

    ``overrides`` replace the server's settings below (e.g. turn its scheduler on)."""
    port = free_port()
    home = root / "prefect"
    (home / "server").mkdir(parents=True, exist_ok=True)
    log = root / "prefect-server.log"
    env = clean_env(
        PREFECT_HOME=str(home / "server"),
        PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{home / 'server' / 'prefect.db'}",
        PREFECT_SERVER_UI_ENABLED="false",
        # No cron runs while testing: a scheduled scrape would crawl the real TopCV.
        PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
        PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED="false",
        PREFECT_SERVER_SERVICES_FOREMAN_ENABLED="false",
        PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED="false",
    )
    env.update(overrides)
    with log.open("wb") as out:
        process = subprocess.Popen([*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   preexec_fn=_default_sigint)
    server = PrefectServer(f"http://127.0.0.1:{port}/api", home, process, log)

    def healthy() -> bool | None:
        if process.poll() is not None:
            raise AssertionError(f"prefect server exited with {process.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"{server.api_url}/health", timeout=2) as response:  # noqa: S310 - loopback
                return True if json.loads(response.read()) is True else None
        except OSError:
            return None

    try:
        wait_until(healthy, "the Prefect server's /api/health", log)
    except BaseException:
        stop_process(process)
        raise
    return server


@dataclass
class Worker:
    """A ``prefect worker start --pool jobinsight`` child process."""

    name: str
    process: subprocess.Popen
    log: Path


@dataclass
class WorkerPool:
    """Starts workers for one test and stops every one of them afterwards."""

    server: PrefectServer
    root: Path
    workers: list[Worker] = field(default_factory=list)

    def start(self, database_url: str | None, limit: int | None = None, cwd: Path | None = None,
              command: list[str] | None = None) -> Worker:
        """A plain ``prefect worker start --pool jobinsight`` (nothing tells it where the project is:
        the deployments' pull step does), with the test database (or none: then runs take it from
        the JOBINSIGHT_DB_BLOCK block named in the deployment). ``cwd``: where it starts (default:
        the test's temporary folder); ``command``: another way to start it (e.g. ``jobinsight worker``)."""
        name = f"e2e-{uuid.uuid4().hex[:8]}"
        log = self.root / f"worker-{name}.log"
        env = self.server.client_env(
            JOBINSIGHT_HOME=str(self.root / "jobinsight-home"),
            PREFECT_WORKER_QUERY_SECONDS="1",
            PREFECT_WORKER_PREFETCH_SECONDS="5",
        )
        if database_url:
            env["JOBINSIGHT_DATABASE_URL"] = database_url
        with log.open("wb") as out:
            args = command or [*PREFECT, "worker", "start", "--pool", "jobinsight"]
            args = [*args, "--name", name]
            if limit is not None:  # at most this many runs at once on this worker
                args += ["--limit", str(limit)]
            process = subprocess.Popen(args,
                                       cwd=cwd or self.root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       preexec_fn=_default_sigint)
        worker = Worker(name, process, log)
        self.workers.append(worker)
        return worker

    def logs(self) -> str:
        return "\n".join(f"--- {w.name}\n{tail(w.log, 80)}" for w in self.workers)

    def stop_all(self) -> None:
        for worker in self.workers:
            stop_process(worker.process)
