"""Process-wide settings read from the environment.

One place documents every environment variable and its default, so the README's
configuration table, the CLI and the flows cannot drift apart.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

#: Every environment variable the product reads, with its default and meaning (the README mirrors it).
ENV_VARS: dict[str, tuple[str, str]] = {
    "JOBINSIGHT_DATABASE_URL": ("(unset)", "PostgreSQL URL; wins over everything else."),
    "JOBINSIGHT_DB_BLOCK": ("(unset)", "Name of a Prefect SqlAlchemyConnector block to take the database from."),
    "JOBINSIGHT_HOME": (
        "per-user data folder (e.g. ~/.local/share/jobinsight)",
        "Where the embedded PostgreSQL data folder and the page archive live.",
    ),
    "JOBINSIGHT_ARCHIVE_ROOT": ("$JOBINSIGHT_HOME/archive", "Archive of fetched pages: a folder or any fsspec URL."),
    "JOBINSIGHT_USD_RATE": ("25000", "VND per USD used to express USD salaries in millions of VND."),
    "ETL_BATCH_SIZE": ("40000", "Rows per process batch."),
    "ETL_TIMEOUT": ("3600", "Timeout of a pipeline run, in seconds."),
    "ETL_MAX_WORKERS": ("2", "Worker processes/threads for parallel work."),
    "JOBINSIGHT_SCRAPE_DELAY": ("1.0", "Minimum seconds between two requests to one host."),
    "JOBINSIGHT_SCRAPE_CONCURRENCY": ("2", "Requests in flight at once."),
    "JOBINSIGHT_USER_AGENT": ("JobInsightETL/0.1 (+https://github.com/jobinsight-etl)", "User-Agent of the crawler."),
    "JOBINSIGHT_RESPECT_ROBOTS": ("true", "Honour robots.txt."),
    "JOBINSIGHT_SQL_DIR": ("the repository's sql/", "Where the migration files are (for installs outside the checkout)."),
    "JOBINSIGHT_TEST_DATABASE_URL": (
        "(unset)",
        "Tests only: an extra server to run the database tests against, besides the embedded one.",
    ),
}


def _with_llm_vars() -> None:
    """The LLM enricher documents its own variables; list them with the rest."""
    from jobinsight.enrich.settings import ENV_DEFAULTS

    for name, value in ENV_DEFAULTS.items():
        ENV_VARS.setdefault(name, value)


_with_llm_vars()


def home_dir() -> Path:
    """The product's data folder (embedded database, archive); created on first use."""
    raw = os.environ.get("JOBINSIGHT_HOME")
    path = Path(raw).expanduser() if raw else Path(platformdirs.user_data_dir("jobinsight", appauthor=False))
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
    return os.environ.get("JOBINSIGHT_ARCHIVE_ROOT") or str(home_dir() / "archive")


def env_int(name: str, default: int) -> int:
    """An integer environment variable, with a clear error naming it when it is not one."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={raw!r} is not an integer") from exc


def env_float(name: str, default: float) -> float:
    """A float environment variable, with a clear error naming it when it is not one."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={raw!r} is not a number") from exc


def env_bool(name: str, default: bool) -> bool:
    """A boolean environment variable (1/true/yes/on vs 0/false/no/off)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"environment variable {name}={raw!r} is not a boolean (use true/false)")


def apply_prefect_defaults() -> None:
    """Prefect settings this product relies on, unless the user set them.

    Analytics off (no network calls home), and a generous start-up timeout for the temporary
    API server that Prefect starts when no ``PREFECT_API_URL`` is set: on a busy 2-core machine
    it can take longer than Prefect's default 20 s.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
