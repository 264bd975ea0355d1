"""What a caller and the warm runner must share, and where the runner listens.

Stdlib only: the caller computes this on every flow command before deciding how to run, so it
must cost milliseconds, not an import of the data stack.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

#: Bumped when the caller/runner messages change, so an old runner steps aside.
PROTOCOL_VERSION = 1

#: Commands the runner serves: the ones that run flows (everything else starts fast anyway).
WARM_COMMANDS = frozenset({"run", "process", "scrape"})

#: Environment read at import time (Prefect's settings and logging, the interpreter, the locale):
#: a runner imported under other values could behave differently, so they are part of its key.
_IMPORT_TIME_PREFIXES = ("PREFECT_", "PYTHON", "LC_")
_IMPORT_TIME_NAMES = ("LANG",)


def _package_roots() -> list[Path]:
    """Folders whose code the runner has imported: the package and its mapped flows/tasks folders."""
    import jobinsight

    roots = [Path(jobinsight.__file__).parent]
    repo = roots[0].parent
    for mapped in ("flows", "tasks"):  # an editable install maps these repository folders into the package
        if (repo / mapped).is_dir() and (repo / "pyproject.toml").is_file():
            roots.append(repo / mapped)
    return roots


def code_fingerprint() -> str:
    """Newest modification time and number of the package's ``.py`` files: changes when code is edited or upgraded."""
    newest, count = 0, 0
    for root in _package_roots():
        for folder, _dirs, files in os.walk(root):
            for name in files:
                if name.endswith(".py"):
                    count += 1
                    newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime_ns)
    return f"{count}:{newest}"


def runner_key(environ: dict[str, str] | None = None) -> str:
    """Everything that must be equal for the runner to serve a caller as the caller would have run."""
    env = os.environ if environ is None else environ
    import_time_env = sorted((name, value) for name, value in env.items()
                             if name.startswith(_IMPORT_TIME_PREFIXES) or name in _IMPORT_TIME_NAMES)
    material = {"protocol": PROTOCOL_VERSION, "prefix": sys.prefix, "python": os.path.realpath(sys.executable),
                "version": sys.version,
                "code": code_fingerprint(), "env": import_time_env}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def runner_dir(home: Path) -> Path:
    """The runner's lock and log under ``JOBINSIGHT_HOME``."""
    return home / "warm-runner"


def socket_path(home: Path) -> Path:
    """The runner's socket: in a folder only this user can enter, named after the home.

    Why not under the home: a Unix socket path must be shorter than 108 bytes, and test or CI
    homes are often longer.
    """
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:20]
    return private_socket_dir() / f"{digest}.sock"


def private_socket_dir() -> Path:
    """``<tmp>/jobinsight-<uid>``, created with mode 0700; refused if someone else owns it or can enter it."""
    folder = Path(tempfile.gettempdir()) / f"jobinsight-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(f"{folder} is not private to this user; the warm runner is not used")
    return folder
