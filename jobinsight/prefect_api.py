"""A temporary Prefect API server in a child process, started without importing Prefect's server.

Why: with no ``PREFECT_API_URL``, Prefect starts a temporary server itself, but to do so the
client imports ``prefect.server.api.server`` — the whole server application (SQLAlchemy,
FastAPI, docket, redis, beartype, … about 1,100 modules) — into the *pipeline* process, only
to launch a subprocess that imports it all again. That costs the process flow ~80 MB of
resident memory it never uses (measured by ``benchmarks/process_bench.py``: baseline in the
flow 303 MB -> 223 MB). This module starts the very same subprocess (Prefect's own command
line: uvicorn running ``prefect.server.api.server:create_app`` in ephemeral mode) from the
outside and points the client at it, so only the child pays for the server.

Behaviour is otherwise Prefect's: same server, same database under ``PREFECT_HOME``, stopped
when the block ends. When ``PREFECT_API_URL`` is set (a real server, the CLI's local server of
``jobinsight.prefect_server``, or the tests' harness) nothing is started. The CLI keeps its
persistent local server (which also keeps the server's code out of the pipeline process);
``benchmarks/process_bench.py`` uses this module so that the server it measures is its own child
and gone afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from jobinsight.errors import UserFacingError

_log = logging.getLogger("jobinsight.prefect_api")

#: Seconds to wait for the temporary server's health endpoint (a busy 2-core machine needs ~30 s).
STARTUP_TIMEOUT_S = 120.0


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _api_configured() -> bool:
    """A Prefect API is already set (environment, profile, or a test harness's settings context)."""
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def _server_command(port: int) -> list[str]:
    """Prefect's own command for its temporary server (``SubprocessASGIServer``), UI off."""
    import prefect

    return [
        sys.executable, "-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent),
        "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "error", "--lifespan", "on",
    ]


def _wait_healthy(process: subprocess.Popen, api_url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=5.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise UserFacingError(
                    f"The temporary Prefect server exited at start (code {process.returncode}). Check that "
                    "PREFECT_HOME is writable, or set PREFECT_API_URL to a running Prefect server."
                )
            try:
                if client.get(f"{api_url}/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise UserFacingError(
        f"The temporary Prefect server did not answer within {timeout_s:.0f} s. The machine may be very "
        "busy; set PREFECT_API_URL to a running Prefect server (`prefect server start`) instead."
    )


@contextlib.contextmanager
def prefect_api(timeout_s: float = STARTUP_TIMEOUT_S) -> Iterator[subprocess.Popen | None]:
    """Run the block against a Prefect API: the configured one, else a temporary server started here.

    Yields the server's process when one was started (the benchmark measures its memory), else None.
    """
    if _api_configured():
        yield None
        return
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
           **get_current_settings().to_environment_variables(exclude_unset=True)}
    _log.info("Starting a temporary Prefect server on http://127.0.0.1:%s (set PREFECT_API_URL to use a running one)",
              port)
    process = subprocess.Popen(_server_command(port), env=env, stdin=subprocess.DEVNULL)
    try:
        _wait_healthy(process, api_url, timeout_s)
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
