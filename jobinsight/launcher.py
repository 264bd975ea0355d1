"""The ``jobinsight`` console entry point: hand flow commands to the warm runner, else run the CLI.

Why a separate entry point: deciding whether a warm runner can take the command must cost
milliseconds (see :mod:`jobinsight.warm`), so it happens before :mod:`jobinsight.cli` and its
imports. Any doubt (no runner yet, other code, a bad setting, ``--help``) means the command
runs here, cold, exactly as before; the first cold flow command starts a runner for the next.
"""

from __future__ import annotations

import os
import sys

#: Options that may come before the command name (``jobinsight -v process``).
_GLOBAL_FLAGS = frozenset({"-v", "--verbose"})


def command_name(argv: list[str]) -> str | None:
    """The sub-command in ``argv`` (the first argument that is not a global flag)."""
    for arg in argv:
        if arg not in _GLOBAL_FLAGS:
            return None if arg.startswith("-") else arg
    return None


#: How the settings model reads a boolean (pydantic's accepted words), for JOBINSIGHT_WARM_START.
_TRUE, _FALSE = frozenset({"1", "on", "t", "true", "y", "yes"}), frozenset({"0", "off", "f", "false", "n", "no"})


def _warm_home(argv: list[str], environ: dict[str, str]):  # noqa: ANN202 - Path | None
    """``JOBINSIGHT_HOME`` when this command may go to a warm runner, else None.

    Reads the two variables it needs directly instead of through :mod:`jobinsight.settings`
    (pydantic would be most of a warm command's start-up); a value it does not understand means
    a cold run, where the settings model validates everything and explains a bad value.
    """
    from jobinsight.warm.identity import WARM_COMMANDS

    if command_name(argv) not in WARM_COMMANDS or "--help" in argv or "-h" in argv:
        return None
    warm = (environ.get("JOBINSIGHT_WARM_START") or "").strip().lower()
    if warm in _FALSE or (warm and warm not in _TRUE):
        return None
    from jobinsight.config import home_path

    return home_path((environ.get("JOBINSIGHT_HOME") or "").strip() or None)


def main() -> None:
    """Run ``jobinsight`` with the process's arguments."""
    argv = sys.argv[1:]
    home = _warm_home(argv, dict(os.environ))
    if home is not None:
        from jobinsight.warm import client

        code = client.run_warm(argv, home)
        if code is not None:
            sys.exit(code)
        client.start_runner(home)  # for the next command; this one runs cold, beside its start
    from jobinsight.cli import main as cli_main

    cli_main()
