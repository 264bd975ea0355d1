"""``jobinsight worker``: a Prefect process worker for the ``jobinsight`` pool, started right.

Why a wrapper around ``prefect worker start``: the worker must reach the same API as the CLI
(the local server when ``PREFECT_API_URL`` is unset), its runs must send ``jobinsight.*`` logs
to the run's log, and it must stop on one Ctrl-C or SIGTERM. Prefect's worker turns a SIGINT
into a KeyboardInterrupt by re-sending it to itself with the handler it *inherited*; started
from a script or a service manager that ignores SIGINT (background jobs of a non-interactive
shell do), that handler is "ignore", and the worker keeps running. So the worker runs as a
child with default signal handling, and this process forwards signals to it, says what a
busy worker is waiting for, and ends it on a second signal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from types import FrameType

WORK_POOL = "jobinsight"


def _default_signals() -> None:
    """In the child before exec: SIGINT and SIGTERM as a shell would deliver them to a fresh program."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def flow_runs_in_progress(worker_pid: int) -> list[str]:
    """Flow runs the worker is executing: its child processes, named by their flow run id when readable."""
    import psutil

    try:
        children = psutil.Process(worker_pid).children(recursive=False)
    except psutil.NoSuchProcess:
        return []
    runs = []
    for child in children:
        try:
            run_id = child.environ().get("PREFECT__FLOW_RUN_ID")
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            run_id = None
        runs.append(f"flow run {run_id} (PID {child.pid})" if run_id else f"PID {child.pid}")
    return runs


def worker_command(pool: str, extra: list[str]) -> list[str]:
    """``prefect worker start`` of this interpreter's virtualenv (the same one the flows need)."""
    return [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process", *extra]


def worker_env(api_url: str | None) -> dict[str, str]:
    """The worker's environment: the API to use, and ``jobinsight.*`` loggers sent to Prefect."""
    env = dict(os.environ)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    from jobinsight.run_logging import with_jobinsight_logger

    env["PREFECT_LOGGING_EXTRA_LOGGERS"] = with_jobinsight_logger(env.get("PREFECT_LOGGING_EXTRA_LOGGERS"))
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    return env


def run_worker(pool: str, extra: list[str], api_url: str | None,
               say: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True)) -> int:
    """Run the worker until it exits; returns its exit code.

    First SIGINT/SIGTERM: forwarded as SIGINT (Prefect's graceful stop). An idle worker exits
    at once; a busy one is told apart here and the message names the runs it waits for.
    Second signal: the worker is killed (its runs then show as Crashed on the server).
    """
    process = subprocess.Popen(worker_command(pool, extra), env=worker_env(api_url),  # noqa: S603
                               preexec_fn=_default_signals)
    received = 0

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal received
        received += 1
        name = signal.Signals(signum).name
        if received > 1:
            say(f"Received {name} again: killing the worker (PID {process.pid}) now; "
                "its runs in progress will show as Crashed.")
            process.kill()
            return
        runs = flow_runs_in_progress(process.pid)
        if runs:
            say(f"Received {name}: the worker takes no new runs and stops when these finish: {', '.join(runs)}. "
                "Send SIGINT/SIGTERM again (Ctrl-C) to stop it now.")
        else:
            say(f"Received {name}: the worker is idle and stops now.")
        try:
            process.send_signal(signal.SIGINT)
        except ProcessLookupError:
            pass

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            try:
                return process.wait()
            except InterruptedError:  # pragma: no cover - PEP 475 retries wait() for us
                continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
