"""One command in a child forked by the warm runner: become the caller, run the CLI, report the exit code.

The child takes the caller's stdin/stdout/stderr, working directory, arguments and whole
environment, so the command behaves as it would have in the caller's own process (progress
bar on a terminal, ``--json`` on stdout, the same settings). Prefect's settings, read once at
import time in the runner, are read again from the caller's environment.
"""

from __future__ import annotations

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


def _leave_caller(runner_log: str) -> None:
    """Give the caller its terminal back: stdin from /dev/null, stdout and stderr to the runner's log.

    What is left to do after the command's result is printed — Prefect delivering the run's
    last logs and events to its server (its exit handlers; up to ~1 s) — goes on here, in this
    process, without holding the caller's prompt and without writing onto it.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            pass
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.close(devnull)
    log = os.open(runner_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)


def run_command(conn: socket.socket, fds: list[int], message: dict, runner_log: str) -> int:
    """Run ``jobinsight <argv>`` as the caller; the caller gets the exit code once the command's output is complete."""
    conn.settimeout(None)
    code = 1
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
    _leave_caller(runner_log)
    try:
        conn.sendall(json.dumps({"exit": code}).encode() + b"\n")
    except OSError:
        pass
    conn.close()
    return code
