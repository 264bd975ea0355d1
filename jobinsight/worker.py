"""``jobinsight worker``: a Prefect process worker for the ``jobinsight`` pool that stops like people expect.

Why not just ``prefect worker start``: Prefect's worker turns SIGINT/SIGTERM into a
KeyboardInterrupt by re-sending SIGINT to itself with the handler it *inherited*; started
from a script or service manager that ignores SIGINT (background jobs of a non-interactive
shell do), that handler is "ignore" and the worker runs on. And a busy Prefect worker that
stops kills its flow-run processes and leaves their runs "Running" on the server for good.

This worker (Prefect's ``ProcessWorker``, run in this process with its own signal handlers):

- first SIGINT/SIGTERM, idle: stops at once;
- first SIGINT/SIGTERM, busy: takes no new runs, names the runs it waits for, and stops when
  they have finished;
- second SIGINT/SIGTERM: stops now; the runs it kills are marked Crashed on the server.

It reaches the same API as the CLI (the local server when ``PREFECT_API_URL`` is unset), and
its runs send ``jobinsight.*`` logs to Prefect (the CLI sets that up before Prefect loads).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

WORK_POOL = "jobinsight"
#: How often a draining worker looks whether its runs have finished.
DRAIN_POLL_S = 0.5

Say = Callable[[str], None]


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def flow_runs_in_progress(worker_pid: int | None = None) -> dict[int, str | None]:
    """Flow-run processes started by the worker: PID -> flow run id (when readable)."""
    import psutil

    try:
        children = psutil.Process(worker_pid or os.getpid()).children(recursive=False)
    except psutil.NoSuchProcess:
        return {}
    runs: dict[int, str | None] = {}
    for child in children:
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                continue
            runs[child.pid] = child.environ().get("PREFECT__FLOW_RUN_ID")
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return runs


def describe_runs(runs: dict[int, str | None]) -> str:
    return ", ".join(f"flow run {run_id} (PID {pid})" if run_id else f"PID {pid}" for pid, run_id in runs.items())


def _draining_worker_class() -> type:
    """Prefect's ProcessWorker that stops asking for runs once it is told to drain."""
    import warnings

    from prefect.workers.process import ProcessWorker

    with warnings.catch_warnings():  # it registers under ProcessWorker's type key, in this process only
        warnings.simplefilter("ignore", UserWarning)

        class DrainingProcessWorker(ProcessWorker):
            draining = False

            async def get_and_submit_flow_runs(self) -> list[Any]:
                if self.draining:
                    return []
                return await super().get_and_submit_flow_runs()

    return DrainingProcessWorker


async def _mark_crashed(run_ids: list[str], say: Say) -> None:
    """Runs killed by a forced stop would stay "Running" on the server; say what happened to them."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    async with get_client() as client:
        for run_id in run_ids:
            run = await client.read_flow_run(UUID(run_id))
            if run.state is not None and not run.state.is_final():
                await client.set_flow_run_state(run.id, Crashed(message="stopped with its worker (second signal)"),
                                                force=True)
                say(f"flow run {run_id} marked Crashed")


async def serve(pool: str = WORK_POOL, limit: int | None = None, name: str | None = None, say: Say = _say) -> int:
    """Run the worker until a signal stops it (see the module docstring); returns the exit code."""
    import socket

    name = name or f"jobinsight-worker {socket.gethostname()} {os.getpid()}"
    worker = _draining_worker_class()(work_pool_name=pool, limit=limit, name=name)
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    received: list[str] = []
    killed: list[str] = []

    async def stop_when_idle() -> None:
        while flow_runs_in_progress():
            await asyncio.sleep(DRAIN_POLL_S)
        await asyncio.sleep(1.0)  # let the worker record the runs' exit before it shuts down
        say("The runs have finished; the worker stops now.")
        main.cancel()

    def on_signal(signum: int) -> None:
        received.append(signal.Signals(signum).name)
        runs = flow_runs_in_progress()
        if len(received) == 1 and runs:
            worker.draining = True
            say(f"Received {received[-1]}: the worker takes no new runs and stops when these finish: "
                f"{describe_runs(runs)}. Send SIGINT or SIGTERM again (Ctrl-C) to stop now; those runs are "
                "then killed and marked Crashed.")
            loop.create_task(stop_when_idle())
            return
        if runs:
            killed.extend(run_id for run_id in runs.values() if run_id)
            say(f"Received {received[-1]} again: stopping now and killing {describe_runs(runs)}.")
        else:
            say(f"Received {received[-1]}: the worker is idle and stops now.")
        main.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        await worker.start(printer=say)
    except asyncio.CancelledError:
        pass
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    if killed:
        await _mark_crashed(killed, say)
    say(f"Worker {worker.name!r} stopped.")
    return 0


#: At exit Prefect sends the events still queued (worker stopped, …); bounded so a stop stays prompt.
EVENTS_DRAIN_S = 2.0


def run_worker(pool: str = WORK_POOL, limit: int | None = None, name: str | None = None) -> int:
    code = asyncio.run(serve(pool, limit, name))
    from prefect.events.worker import EventsWorker

    EventsWorker.drain_all(timeout=EVENTS_DRAIN_S)
    return code
