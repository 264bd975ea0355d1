"""The warm runner: imports the pipeline once, then forks one child per command.

Started in the background by :func:`jobinsight.warm.client.start_runner`
(``python -m jobinsight.warm.server``), with the environment of the command that started it.
One per ``JOBINSIGHT_HOME`` (an exclusive lock); it exits when asked (``jobinsight stop``),
when a caller's key shows it is out of date, or after ``JOBINSIGHT_WARM_IDLE_SECONDS``
without a command. It never runs a flow itself: it stays single-threaded so forking is safe.
"""

from __future__ import annotations

import fcntl
import importlib
import json
import logging
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from jobinsight.warm.identity import PROTOCOL_VERSION, runner_dir, runner_key, socket_path

log = logging.getLogger("jobinsight.warm")

#: What a command needs, imported once here so every child has it already.
PRELOADED_MODULES = (
    "jobinsight.cli", "jobinsight.cli_prefect", "jobinsight.flows.full", "jobinsight.flows.process",
    "jobinsight.flows.scrape", "jobinsight.scrape.runner", "jobinsight.db.embedded", "jobinsight.db.migrate",
    "jobinsight.prefect_server", "jobinsight.scrape.sources.demo_board", "prefect.settings", "rich.progress",
    # imported lazily by Prefect during a run (found by diffing sys.modules around a run)
    "fastapi", "prefect.engine", "prefect.flow_engine", "prefect.task_engine", "prefect.concurrency",
    "prefect.telemetry", "prefect.utilities.visualization", "pyarrow.pandas_compat", "anyio._backends._asyncio",
    "anyio.streams.memory", "anyio.streams.tls", "encodings.idna", "http.cookies", "typer._adapters", "pydantic.color",
    "opentelemetry.metrics", "fsspec.implementations.chained", "starlette.staticfiles",
)

#: Largest request accepted (arguments and environment of one command).
MAX_REQUEST_BYTES = 4 * 1024 * 1024


@dataclass
class Request:
    """One caller's message, with the caller's stdin/stdout/stderr when it asks to run a command."""

    conn: socket.socket
    message: dict
    fds: list[int] = field(default_factory=list)


def _read_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("caller went away mid-request")
        data += chunk
    return data


def _receive(conn: socket.socket) -> Request:
    """A length-prefixed JSON message and the descriptors sent with its first bytes."""
    conn.settimeout(5.0)
    header, fds, _flags, _addr = socket.recv_fds(conn, 4, 3)
    if len(header) < 4:
        header += _read_exact(conn, 4 - len(header))
    (size,) = struct.unpack("!I", header)
    if size > MAX_REQUEST_BYTES:
        raise ValueError(f"request of {size} bytes refused")
    return Request(conn, json.loads(_read_exact(conn, size)), list(fds))


def _same_user(conn: socket.socket) -> bool:
    """Only this user's processes may hand commands over (the socket's folder is private too)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def _reply(conn: socket.socket, message: dict) -> None:
    conn.sendall(json.dumps(message).encode() + b"\n")


class Runner:
    """The serving loop; :meth:`serve` returns only in a forked child, with the command to run."""

    def __init__(self, home: Path, key: str, idle_seconds: float) -> None:
        self.home, self.key, self.idle_seconds = home, key, idle_seconds
        self.pid = os.getpid()
        self.children: set[int] = set()
        self.path = socket_path(home)
        self.listener: socket.socket | None = None
        self.lock_fd: int | None = None
        self.stopping = False

    def acquire(self) -> bool:
        """The home's runner lock (held for life); False when another runner has it."""
        folder = runner_dir(self.home)
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.lock_fd = fd
        return True

    def listen(self) -> None:
        self.path.unlink(missing_ok=True)  # left by a runner that died; we hold the lock, so it is not live
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.path))
        os.chmod(self.path, 0o600)
        listener.listen(16)
        self.listener = listener
        (runner_dir(self.home) / "state.json").write_text(json.dumps(
            {"pid": self.pid, "socket": str(self.path), "started_at": time.time()}))

    def serve(self) -> Request | None:
        """Accept commands until stopped or idle; in a forked child, return its request."""
        last_used = time.monotonic()
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        try:
            while not self.stopping:
                self._reap()
                if not self.children and time.monotonic() - last_used > self.idle_seconds:
                    log.info("idle for %.0f s: exiting", self.idle_seconds)
                    return None
                ready, _, _ = select.select([self.listener], [], [], 1.0)
                if not ready:
                    continue
                conn, _ = self.listener.accept()
                last_used = time.monotonic()
                request = self._handle(conn)
                if request is not None:
                    return request  # only in the child
            return None
        finally:
            if os.getpid() == self.pid:
                self.close()

    def _handle(self, conn: socket.socket) -> Request | None:
        try:
            if not _same_user(conn):
                conn.close()
                return None
            request = _receive(conn)
        except (OSError, ValueError) as exc:
            log.warning("bad request: %s", exc)
            conn.close()
            return None
        op = request.message.get("op")
        if request.message.get("protocol") != PROTOCOL_VERSION or (op == "run" and request.message.get("key") != self.key):
            log.info("a caller with other code or settings arrived: stepping aside for a new runner")
            self._discard(request, {"accepted": False, "reason": "stale"})
            self.stopping = True
            return None
        if op in ("stop", "ping"):
            self._discard(request, {"pid": self.pid})
            self.stopping = self.stopping or op == "stop"
            return None
        pid = os.fork()
        if pid == 0:
            return request
        self.children.add(pid)
        log.info("jobinsight %s: PID %s", " ".join(request.message.get("argv", [])[:2]), pid)
        self._discard(request, None)
        return None

    def _discard(self, request: Request, reply: dict | None) -> None:
        try:
            if reply is not None:
                _reply(request.conn, reply)
        except OSError:
            pass
        for fd in request.fds:
            os.close(fd)
        request.conn.close()

    def _reap(self) -> None:
        for pid in list(self.children):
            try:
                done, _status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.children.discard(pid)

    def close(self) -> None:
        """Stop listening (children running commands carry on), remove the socket and release the lock."""
        if self.listener is not None:
            self.path.unlink(missing_ok=True)
        self.close_in_child()

    def close_in_child(self) -> None:
        """Close the listening socket and the lock (a child keeps neither; the socket file stays the runner's)."""
        if self.listener is not None:
            self.listener.close()
        if self.lock_fd is not None:
            os.close(self.lock_fd)


def preload() -> None:
    """Import what commands need, then check that no thread was started (forking would be unsafe)."""
    from jobinsight.config import apply_prefect_defaults

    apply_prefect_defaults()  # as jobinsight.cli.main does, before Prefect reads its settings
    from jobinsight.cli import setup_logging

    setup_logging()  # before Prefect configures its logging, in the order of a cold run
    for name in PRELOADED_MODULES:
        importlib.import_module(name)
    if threading.active_count() != 1:
        raise RuntimeError(f"threads were started while importing: {threading.enumerate()}")


def _log_to_stderr() -> None:
    """The runner's own lines go to its log file (its stderr); not through the root logger, which
    the children's CLI configures for the caller's terminal."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s warm-runner[%(process)d] %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def main() -> int:
    """Run the runner; in a forked child, run its command and return the command's exit code."""
    _log_to_stderr()
    key = runner_key()  # of the environment as given, before any default is applied (callers do the same)
    from jobinsight.config import home_dir
    from jobinsight.settings import get_settings

    settings = get_settings()
    runner = Runner(home_dir(), key, settings.warm_idle_seconds)
    if not runner.acquire():
        return 0  # another runner serves (or is starting for) this home
    started = time.monotonic()
    try:
        preload()
    except Exception as exc:  # noqa: BLE001 - callers keep running cold; say why in the log
        log.error("not serving: %s", exc)
        runner.close()
        return 1
    runner.listen()
    log.info("serving %s after %.1f s of imports", runner.path, time.monotonic() - started)
    request = runner.serve()
    if request is None:
        return 0
    from jobinsight.warm.child import run_command

    runner.close_in_child()
    return run_command(request.conn, request.fds, request.message, str(runner_dir(runner.home) / "runner.log"))


if __name__ == "__main__":
    sys.exit(main())
