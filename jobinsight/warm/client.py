"""The caller's side of the warm runner: hand a command over, wait for its exit code.

Stdlib only (plus :mod:`.identity`): this runs before anything heavy is imported.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
from pathlib import Path

from jobinsight.warm.identity import PROTOCOL_VERSION, runner_dir, runner_key, socket_path

#: Signals the caller passes on to the command's process (Ctrl-C, a terminal closed, kill).
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)

#: Seconds to wait for the runner to accept a command (it answers at once unless it is gone).
CONNECT_TIMEOUT_S = 2.0


def _connect(home: Path) -> socket.socket | None:
    """A connection to the home's runner, or None when none listens."""
    try:
        path = socket_path(home)
    except OSError:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT_S)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        return None
    return sock


def _send(sock: socket.socket, message: dict, fds: list[int] | None = None) -> None:
    """One length-prefixed JSON message, with file descriptors attached to its first bytes."""
    body = json.dumps(message).encode()
    header = struct.pack("!I", len(body))
    if fds:
        socket.send_fds(sock, [header], fds)
    else:
        sock.sendall(header)
    sock.sendall(body)


def _lines(sock: socket.socket):  # noqa: ANN202 - a generator of dicts
    """The runner's and the child's replies: one JSON object per line, until the connection closes."""
    buffer = b""
    while True:
        chunk = sock.recv(65536)  # a signal forwarded meanwhile does not interrupt it (PEP 475)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield json.loads(line)


def run_warm(argv: list[str], home: Path) -> int | None:
    """Run ``jobinsight argv`` in the home's warm runner; its exit code, or None to run cold instead.

    None when no runner listens or the runner does not match this caller (other code, other
    interpreter or import-time environment); it then exits and the caller starts a new one.
    """
    sock = _connect(home)
    if sock is None:
        return None
    with sock:
        request = {"op": "run", "protocol": PROTOCOL_VERSION, "key": runner_key(), "argv": argv,
                   "env": dict(os.environ), "cwd": os.getcwd()}
        try:
            _send(sock, request, [0, 1, 2])
            sock.settimeout(CONNECT_TIMEOUT_S)
            replies = _lines(sock)
            first = next(replies, None)
        except (OSError, ValueError):
            return None
        if not first or not first.get("accepted"):
            return None
        sock.settimeout(None)  # the command takes as long as it takes
        return _wait_for_exit(first["pid"], replies)


def _wait_for_exit(pid: int, replies) -> int:  # noqa: ANN001 - the reply generator
    """Forward signals to the command's process until it reports its exit code."""
    def forward(signum: int, _frame) -> None:  # noqa: ANN001
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED_SIGNALS}
    try:
        for reply in replies:
            if "exit" in reply:
                return int(reply["exit"])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    sys.stderr.write(f"jobinsight: the command's process (PID {pid}) ended without an exit code\n")
    return 1


def start_runner(home: Path) -> None:
    """Start a runner for this home in the background (it exits at once if one is running or starting)."""
    folder = runner_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "runner.log", "ab") as log:
        subprocess.Popen([sys.executable, "-m", "jobinsight.warm.server"], stdin=subprocess.DEVNULL,
                         stdout=log, stderr=log, start_new_session=True, close_fds=True)


def _ask(home: Path, op: str) -> int | None:
    """Send ``op`` (``stop`` or ``ping``) to the home's runner; its PID, or None when none answers."""
    sock = _connect(home)
    if sock is None:
        return None
    with sock:
        try:
            _send(sock, {"op": op, "protocol": PROTOCOL_VERSION})
            reply = next(_lines(sock), None)
        except (OSError, ValueError):
            return None
    return reply.get("pid") if reply else None


def stop_runner(home: Path) -> int | None:
    """Ask the home's runner to exit (commands it is running carry on); its PID, or None when none was listening."""
    return _ask(home, "stop")


def runner_pid(home: Path) -> int | None:
    """PID of the home's runner if one answers (``jobinsight stop``, tests, benchmarks)."""
    return _ask(home, "ping")
