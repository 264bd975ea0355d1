"""One command in a child forked by the warm runner: become the caller, run the CLI, report the exit code.

The child takes the caller's stdin/stdout/stderr, working directory, arguments and whole
environment, so the command behaves as it would have in the caller's own process (progress
bar on a terminal, ``--json`` on stdout, the same settings). Prefect's settings, read once at
import time in the runner, are read again from the caller's environment.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import random
import signal
import socket
import sys
import traceback

#: Exit code after Ctrl-C, as a shell reports a process stopped by SIGINT.
EXIT_INTERRUPTED = 130


def _become_caller(fds: list[int], message: dict) -> None:
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    logging.getLogger("jobinsight.warm").handlers.clear()  # the runner's log file is not the caller's
    os.environ.clear()
    os.environ.update(message["env"])
    os.chdir(message["cwd"])
    sys.argv = ["jobinsight", *message["argv"]]
    random.seed()  # run names and jitter must not repeat from one child to the next
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=stream.isatty() or stream is sys.stderr)
    from prefect.context import refresh_global_settings_context

    refresh_global_settings_context()


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    sys.stderr.write(f"{exc.code}\n")
    return 1


def run_command(conn: socket.socket, fds: list[int], message: dict) -> int:
    """Run ``jobinsight <argv>`` as the caller; the caller learns the exit code after everything is flushed."""
    conn.settimeout(None)
    code = 1

    def report() -> None:  # registered first, so it runs after Prefect's own exit handlers (LIFO)
        try:
            conn.sendall(json.dumps({"exit": code}).encode() + b"\n")
        except OSError:
            pass

    atexit.register(report)
    try:
        conn.sendall(json.dumps({"accepted": True, "pid": os.getpid()}).encode() + b"\n")
        _become_caller(fds, message)
        from jobinsight.cli import main

        main()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted (Ctrl-C).\n")
        code = EXIT_INTERRUPTED
    except BaseException:  # noqa: BLE001 - what a cold run would print before exiting 1
        traceback.print_exc()
        code = 1
    return code
