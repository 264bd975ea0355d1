"""Where the product keeps its files, and the Prefect settings it relies on.

Every environment variable is declared and validated in :mod:`jobinsight.settings`; this
module only turns the validated values into folders. It imports the settings lazily: the CLI
imports it for every command, ``--help`` included, which must start fast.
"""

from __future__ import annotations

import os
from pathlib import Path


def home_path(configured: Path | str | None) -> Path:
    """The data folder for a ``JOBINSIGHT_HOME`` value (None: the per-user data folder); nothing is created.

    Also used by the ``jobinsight`` launcher, which must find the warm runner's socket without
    importing the settings model (pydantic costs ~0.2 s there).
    """
    if configured is not None:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("jobinsight", appauthor=False))


def home_dir() -> Path:
    """The product's data folder (embedded database, archive); created on first use."""
    from jobinsight.settings import get_settings

    path = home_path(get_settings().home)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from jobinsight.errors import UserFacingError

        raise UserFacingError(
            f"The JobInsight data folder {path} cannot be created ({exc.strerror or exc}). "
            "Set JOBINSIGHT_HOME to a writable folder (and JOBINSIGHT_ARCHIVE_ROOT for the page archive)."
        ) from None
    return path


def archive_root() -> str:
    """Root of the page archive: ``JOBINSIGHT_ARCHIVE_ROOT`` or ``<home>/archive``."""
    from jobinsight.settings import get_settings

    return get_settings().archive_root or str(home_dir() / "archive")


def apply_prefect_defaults() -> None:
    """Prefect settings this product relies on, unless the user set them.

    Analytics off (no network calls home), ``jobinsight.*`` loggers sent to the run logs, and a
    generous start-up timeout for the temporary API server that Prefect starts when no
    ``PREFECT_API_URL`` is set and ``JOBINSIGHT_PREFECT_SERVER=temporary``: on a busy 2-core
    machine it can take longer than Prefect's default 20 s.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # jobinsight.* records reach the run's log in the UI; outside a run they only go to stderr.
    from jobinsight.run_logging import send_jobinsight_logs_to_prefect

    send_jobinsight_logs_to_prefect()
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
