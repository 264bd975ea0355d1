"""The local Prefect server: the default Prefect API, kept under ``JOBINSIGHT_HOME`` like the database.

Why: without ``PREFECT_API_URL`` Prefect starts a throw-away server inside every process
(10–15 s of a short run) and forgets every run when it exits, so a user has no UI to look
at. Instead the first command that needs Prefect starts ``prefect server start`` detached on
a free loopback port, with its SQLite database under ``JOBINSIGHT_HOME/prefect-server``, and
records where it listens in a state file; later commands find it there and reuse it. The
start is serialised with an inter-process lock (as the embedded PostgreSQL's is), so two
first uses at once start one server. ``jobinsight server stop`` (or ``jobinsight stop``)
stops it.

``PREFECT_API_URL`` always wins (a shared server, Prefect Cloud, or the tests' harness);
``JOBINSIGHT_PREFECT_SERVER=temporary`` brings back Prefect's per-process server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import fasteners

from jobinsight.config import home_dir
from jobinsight.errors import UserFacingError

log = logging.getLogger(__name__)

#: Seconds a first start may take (a busy 2-core machine needs ~20 s; migrations run on first start).
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0


class PrefectServerError(UserFacingError):
    """The local Prefect server could not be started or reached; the message says what to do."""


@dataclass(frozen=True)
class ServerState:
    """What the state file records about the running server."""

    pid: int
    port: int
    api_url: str
    ui_url: str
    home: str
    log: str
    started_at: float

    @classmethod
    def read(cls, path: Path) -> ServerState | None:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def write(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        tmp.replace(path)  # readers never see half a file


def server_dir(home: Path | None = None) -> Path:
    """Where the local server keeps its database, log, lock and state file."""
    path = (home or home_dir()) / "prefect-server"
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_file(home: Path | None = None) -> Path:
    return server_dir(home) / "server.json"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:  # noqa: S310 - loopback
            return json.loads(response.read()) is True
    except (OSError, ValueError):
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_our_server(state: ServerState) -> bool:
    """The recorded PID is still our ``prefect server start --port N`` (PIDs get reused)."""
    import psutil

    try:
        process = psutil.Process(state.pid)
        return process.status() != psutil.STATUS_ZOMBIE and str(state.port) in process.cmdline() \
            and "server" in process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def running_server(home: Path | None = None) -> ServerState | None:
    """The recorded server if its process lives and its API answers; else None."""
    state = ServerState.read(state_file(home))
    if state is None or not _is_our_server(state):
        return None
    return state if _healthy(state.api_url) else None


def _server_env(directory: Path) -> dict[str, str]:
    """The server's environment: its own PREFECT_HOME and SQLite file, loopback only, no analytics."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(directory / "home"),
        PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{directory / 'prefect.db'}",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    for name, value in os.environ.items():  # service toggles (tests shorten the scheduler loop)
        if name.startswith("PREFECT_SERVER_SERVICES_") or name.startswith("PREFECT_SERVER_LOGGING_"):
            env[name] = value
    return env


def _start(directory: Path) -> ServerState:
    """Start ``prefect server start`` detached (own session: it outlives this process and its Ctrl-C).

    The state file is written as soon as the process exists, so a starter killed while waiting
    leaves a server that the next command waits for (or ``jobinsight server stop`` stops).
    """
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return _start_once(directory)
        except PrefectServerExited:
            # the free port we picked can be taken by another process before the server binds it
            # (seen with many servers starting at once): a fresh port, a few times, then the error
            if attempt == START_ATTEMPTS:
                raise
            log.warning("the local Prefect server exited while starting; trying again on another port")
    raise AssertionError("unreachable")


def _start_once(directory: Path) -> ServerState:
    """One start on a freshly picked port."""
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log_path = directory / "server.log"
    with log_path.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter's prefect
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            cwd=directory, env=_server_env(directory), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    state = ServerState(pid=process.pid, port=port, api_url=api_url, ui_url=f"http://127.0.0.1:{port}",
                        home=str(directory), log=str(log_path), started_at=time.time())
    state.write(state_file(directory.parent))
    # Our own child: ask it whether it exited. Its /proc cmdline can read empty for a moment after
    # Popen returns (the kernel sets it up after exec closes Popen's pipe), which made a healthy,
    # starting server look gone and a second one start beside it.
    _wait_healthy(state, exited=lambda: process.poll() is not None)
    return state


#: Starts tried before "exited while starting" is reported.
START_ATTEMPTS = 3


class PrefectServerExited(PrefectServerError):
    """The server process ended before its API answered."""


def _wait_healthy(state: ServerState, exited: Callable[[], bool]) -> None:
    """Wait for a (starting) server's API to answer; stop it and explain if it never does.

    ``exited`` tells whether the server process ended: the starter asks its own child, anyone else
    checks that the recorded PID is still our server.
    """
    deadline = state.started_at + START_TIMEOUT_S
    while not _healthy(state.api_url):
        if exited():
            raise PrefectServerExited(
                f"The local Prefect server exited while starting; its log is {state.log}. Remove "
                f"{state.home} to start afresh, or set PREFECT_API_URL to use another Prefect server."
            )
        if time.time() > deadline:
            _terminate_session(state.pid)
            raise PrefectServerError(
                f"The local Prefect server did not answer within {START_TIMEOUT_S:.0f} s; its log is {state.log}. "
                "Try again when the machine is less busy, or set PREFECT_API_URL to use another Prefect server."
            )
        time.sleep(0.25)


def ensure_server(home: Path | None = None) -> tuple[ServerState, bool]:
    """The running local server, started first if needed; ``(state, started_now)``.

    Fast path without the lock: a recorded server that answers. Otherwise one process at a
    time checks again under the lock and starts it, so concurrent first uses share one server.
    """
    state = running_server(home)
    if state is not None:
        return state, False
    directory = server_dir(home)
    with fasteners.InterProcessLock(str(directory / ".start.lock")):
        state = running_server(home)
        if state is not None:
            return state, False
        recorded = ServerState.read(state_file(home))
        if recorded is not None and _is_our_server(recorded):
            try:  # started by a process that did not stay to see it answer
                _wait_healthy(recorded, exited=lambda: not _is_our_server(recorded))
                return recorded, False
            except PrefectServerError:
                log.warning("the recorded Prefect server (PID %s) never answered; starting a new one", recorded.pid)
        log.info("starting the local Prefect server under %s (first use; later commands reuse it)", directory)
        return _start(directory), True


def stop(home: Path | None = None) -> ServerState | None:
    """Stop the recorded server (SIGTERM, then SIGKILL); returns what was stopped, None if nothing ran."""
    directory = server_dir(home)
    with fasteners.InterProcessLock(str(directory / ".start.lock")):
        path = state_file(home)
        state = ServerState.read(path)
        if state is None:
            return None
        path.unlink(missing_ok=True)
        if not _is_our_server(state):
            return None
        _terminate_session(state.pid)
        return state


def _terminate_session(pid: int) -> None:
    """The server and its uvicorn child share a session (started with ``start_new_session``)."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not _pid_alive(pid) or _is_zombie(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _is_zombie(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wants_local_server() -> bool:
    """True unless PREFECT_API_URL is set or the user asked for Prefect's temporary server."""
    if os.environ.get("PREFECT_API_URL"):
        return False
    from jobinsight.settings import get_settings  # validates JOBINSIGHT_PREFECT_SERVER (local | temporary)

    return get_settings().prefect_server == "local"


def use_local_server_if_unset() -> str | None:
    """Point this process (and its children) at the local server unless PREFECT_API_URL is set.

    Must run before Prefect's settings are first read in this process (before ``import
    prefect`` in practice); the CLI calls it at the start of every command that runs flows.
    Returns the API URL it set, or None when it left the choice to the environment.
    """
    if not wants_local_server():
        return None
    state, started = ensure_server()
    os.environ["PREFECT_API_URL"] = state.api_url
    if started:
        log.info("Prefect UI: %s (runs, logs and artifacts of every command)", state.ui_url)
    return state.api_url


@contextlib.contextmanager
def prefect_api(updates: dict[str, object] | None = None) -> Iterator[str | None]:
    """``use_local_server_if_unset`` for the duration of a block, applied to Prefect's settings too.

    ``updates`` are more Prefect settings for the block (dotted names), applied in the same
    step: each change of Prefect's settings rebuilds them from the environment and its files
    (~0.1-0.3 s), so the CLI makes one.
    """
    url = use_local_server_if_unset()
    changes = dict(updates or {})
    if url is not None:
        changes["api.url"] = url
    if not changes:
        yield url
        return
    with _prefect_settings_changed(changes):
        yield url


@contextlib.contextmanager
def _prefect_settings_changed(changes: dict[str, object]) -> Iterator[None]:
    """Prefect's current settings with ``changes`` (dotted names) for a block.

    Why not ``prefect.settings.temporary_settings``: it rebuilds every setting from the
    environment, ``.env``, ``prefect.toml`` and ``pyproject.toml`` (~0.2 s of a 1 s command);
    copying the current settings with a few known values changed costs nothing.
    """
    from prefect.context import SettingsContext, get_settings_context

    current = get_settings_context()
    with SettingsContext(profile=current.profile, settings=_copy_with(current.settings, changes)):
        yield


def _copy_with(model, changes: dict[str, object]):  # noqa: ANN001, ANN202 - pydantic models
    """``model`` with each dotted field in ``changes`` replaced (nested models copied, not rebuilt)."""
    nested: dict[str, dict[str, object]] = {}
    direct: dict[str, object] = {}
    for dotted, value in changes.items():
        head, _, rest = dotted.partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            direct[head] = value
    for head, inner in nested.items():
        direct[head] = _copy_with(getattr(model, head), inner)
    return model.model_copy(update=direct)
