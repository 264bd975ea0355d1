"""The ``jobinsight`` console entry point: hand flow commands to the warm runner, else run the CLI.

Why a separate entry point: deciding whether a warm runner can take the command must cost
milliseconds (see :mod:`jobinsight.warm`), so it happens before :mod:`jobinsight.cli` and its
imports. Any doubt (no runner yet, other code, a bad setting, ``--help``) means the command
runs here, cold, exactly as before; the first cold flow command starts a runner for the next.
"""

from __future__ import annotations

import sys

#: Options that may come before the command name (``jobinsight -v process``).
_GLOBAL_FLAGS = frozenset({"-v", "--verbose"})


def command_name(argv: list[str]) -> str | None:
    """The sub-command in ``argv`` (the first argument that is not a global flag)."""
    for arg in argv:
        if arg not in _GLOBAL_FLAGS:
            return None if arg.startswith("-") else arg
    return None


def _warm_home(argv: list[str]):  # noqa: ANN202 - Path | None
    """``JOBINSIGHT_HOME`` when this command may go to a warm runner, else None."""
    from jobinsight.warm.identity import WARM_COMMANDS

    if command_name(argv) not in WARM_COMMANDS or "--help" in argv or "-h" in argv:
        return None
    try:
        from jobinsight.config import home_dir
        from jobinsight.settings import get_settings

        if not get_settings().warm_start:
            return None
        return home_dir()
    except Exception:  # noqa: BLE001 - a bad setting or folder: the cold path explains it properly
        return None


def main() -> None:
    """Run ``jobinsight`` with the process's arguments."""
    argv = sys.argv[1:]
    home = _warm_home(argv)
    if home is not None:
        from jobinsight.warm import client

        code = client.run_warm(argv, home)
        if code is not None:
            sys.exit(code)
        client.start_runner(home)  # for the next command; this one runs cold, beside its start
    from jobinsight.cli import main as cli_main

    cli_main()
