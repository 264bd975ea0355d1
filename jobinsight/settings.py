"""Every ``JOBINSIGHT_*`` and ``ETL_*`` environment variable, in one validated model.

Why one model: settings used to be parsed by three hand-written readers, late, inside flows
that retry everything — a typo in ``JOBINSIGHT_SCRAPE_DELAY`` cost minutes of retries and
tracebacks. Here every variable has a type, a range and a description; :func:`get_settings`
reads and checks them all at once, so the CLI and each flow can refuse a bad value before any
work, with one paragraph naming the variable and the fix (:class:`~jobinsight.errors.ConfigError`,
never retried). The README's configuration table is generated from this model
(:func:`markdown_table`) and a unit test keeps the two equal.

This module must stay light (no pandas, pyarrow, httpx or psycopg2): the CLI imports it for
every command, ``--help`` included.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jobinsight.errors import ConfigError

__all__ = ["DEFAULT_USER_AGENT", "Settings", "get_settings", "markdown_table"]

#: The crawler's User-Agent unless ``JOBINSIGHT_USER_AGENT`` says otherwise.
DEFAULT_USER_AGENT = "JobInsightETL/0.1 (+https://github.com/jobinsight-etl)"

_SECRET_FIELDS = {"database_url", "test_database_url", "llm_api_key"}


def _var(name: str, description: str, shown_default: str | None = None, **constraints: Any) -> Any:
    """A field read from environment variable ``name``; ``shown_default`` is the README's text."""
    extra = {"shown_default": shown_default} if shown_default is not None else None
    return Field(validation_alias=name, description=description, json_schema_extra=extra, **constraints)


class Settings(BaseSettings):
    """The product's configuration (environment only; CLI options override per run)."""

    model_config = SettingsConfigDict(
        case_sensitive=True, env_ignore_empty=True, extra="ignore", frozen=True,
        str_strip_whitespace=True, populate_by_name=False,
    )

    # --- database and files ---------------------------------------------------------------
    database_url: SecretStr | None = _var(
        "JOBINSIGHT_DATABASE_URL", "PostgreSQL URL; wins over everything else.", None, default=None)
    db_block: str | None = _var(
        "JOBINSIGHT_DB_BLOCK", "Name of a Prefect SqlAlchemyConnector block to take the database from; "
        "also the block `jobinsight deploy` uses when `--block` is not given.", None, default=None)
    home: Path | None = _var(
        "JOBINSIGHT_HOME", "Where the embedded PostgreSQL data folder and the page archive live.",
        "per-user data folder (e.g. `~/.local/share/jobinsight`)", default=None)
    archive_root: str | None = _var(
        "JOBINSIGHT_ARCHIVE_ROOT", "Archive of fetched pages: a folder or any fsspec URL.",
        "`$JOBINSIGHT_HOME/archive`", default=None)
    sql_dir: Path | None = _var(
        "JOBINSIGHT_SQL_DIR", "A folder whose `migrations/` replaces the migrations shipped in the package.",
        "the installed package's migrations", default=None)

    # --- processing (defaults of PipelineOptions) -----------------------------------------
    usd_rate: float = _var(
        "JOBINSIGHT_USD_RATE", "VND per USD used to express USD salaries in millions of VND.",
        default=25_000.0, gt=0, le=10_000_000, allow_inf_nan=False)
    fx_rates: str | None = _var(
        "JOBINSIGHT_FX_RATES",
        "VND per unit of other currencies, e.g. `AUD=16500,EUR=27000`: their salaries get a monthly VND figure "
        "only when a rate is set (no network lookup).", "(unset: amounts kept in their own currency)",
        default=None, max_length=2000)
    # 30,000: the process run's peak RSS grows ~4.5 MB per 1,000 rows of batch (the batch being
    # transformed plus max_workers encoded batches waiting for their saves); measured with the phases
    # called directly, 3 batches: 316 MB at 40,000 rows, 271 MB at 30,000, 256 MB at 25,000, so 40,000
    # put the flow at 360-380 MB against its 350 MB budget (benchmarks/process_bench.py).
    batch_size: int = _var("ETL_BATCH_SIZE", "Rows per process batch.", default=30_000, ge=1, le=1_000_000)
    timeout_seconds: int = _var(
        "ETL_TIMEOUT", "Timeout of a pipeline run, in seconds.", default=3600, ge=1, le=7 * 86_400)
    max_workers: int = _var(
        "ETL_MAX_WORKERS", "Worker processes/threads for parallel work.", default=2, ge=1, le=64)

    # --- scraping -------------------------------------------------------------------------
    scrape_delay: float = _var(
        "JOBINSIGHT_SCRAPE_DELAY", "Minimum seconds between two requests to one host.",
        default=1.0, ge=0, le=600, allow_inf_nan=False)
    scrape_concurrency: int = _var(
        "JOBINSIGHT_SCRAPE_CONCURRENCY", "Requests in flight at once.", default=2, ge=1, le=64)
    user_agent: str = _var(
        "JOBINSIGHT_USER_AGENT", "User-Agent of the crawler.", f"`{DEFAULT_USER_AGENT}`",
        default=DEFAULT_USER_AGENT, min_length=1, max_length=500)
    respect_robots: bool = _var("JOBINSIGHT_RESPECT_ROBOTS", "Honour robots.txt.", "true", default=True)
    follow_details: bool = _var(
        "JOBINSIGHT_FOLLOW_DETAILS", "Follow new, changed or stale listing cards to their detail page.", "true",
        default=True)
    detail_budget: int = _var(
        "JOBINSIGHT_DETAIL_BUDGET", "Detail-page requests per scrape run at most.", default=500, ge=0, le=1_000_000)
    detail_refresh_days: float = _var(
        "JOBINSIGHT_DETAIL_REFRESH_DAYS", "Re-read a posting's detail page when its details are older than this.",
        default=7.0, ge=0, le=3650, allow_inf_nan=False)
    scrape_per_host_concurrency: int = _var(
        "JOBINSIGHT_SCRAPE_PER_HOST_CONCURRENCY",
        "Requests in flight to one host (listing, detail and browser fetches together).", default=2, ge=1, le=64)
    fetcher: Literal["http", "browser", "auto"] = _var(
        "JOBINSIGHT_FETCHER",
        "`auto` fetches a page that looks blocked (403/429/503, a challenge) again through Chromium, "
        "which then serves that host; `http` never uses the browser, `browser` always.", default="auto")
    browser_executable: str = _var(
        "JOBINSIGHT_BROWSER_EXECUTABLE", "The Chromium binary the browser fetcher drives (`apt-get install chromium`).",
        "`/usr/bin/chromium`", default="/usr/bin/chromium", min_length=1, max_length=1000)
    max_body_bytes: int = _var(
        "JOBINSIGHT_MAX_BODY_BYTES",
        "Largest page body accepted, counted after decompression while it streams in (gzip bombs stop here).",
        "26214400 (25 MiB)", default=25 * 1024 * 1024, ge=1024, le=2 * 1024**3)
    connect_timeout: float = _var(
        "JOBINSIGHT_CONNECT_TIMEOUT", "Seconds to wait for a connection.", default=10.0, gt=0, le=600,
        allow_inf_nan=False)
    request_deadline: float = _var(
        "JOBINSIGHT_REQUEST_DEADLINE",
        "Total seconds for one request: connect, headers, body and redirects (a trickling server stops here).",
        default=60.0, gt=0, le=3600, allow_inf_nan=False)
    scrape_run_deadline: float = _var(
        "JOBINSIGHT_SCRAPE_RUN_DEADLINE",
        "Total seconds a crawl may spend fetching; later pages are reported as not fetched.",
        "14400 (4 h)", default=14_400.0, gt=0, le=7 * 86_400, allow_inf_nan=False)
    allow_private_addresses: bool = _var(
        "JOBINSIGHT_ALLOW_PRIVATE_ADDRESSES",
        "Let the crawler reach loopback/private addresses (the demo board and tests set it); "
        "link-local and cloud metadata addresses are refused always.", "false", default=False)
    max_field_bytes: int = _var(
        "JOBINSIGHT_MAX_FIELD_BYTES",
        "Largest value (UTF-8 bytes) one scraped field (a text column, the skills, the payload) may have; a "
        "record with a bigger one is quarantined with the reason and counted as `oversized` in the scrape report.",
        default=1 << 20, ge=1024, le=256 << 20)

    # --- LLM enricher (off unless base URL and model are both set) ------------------------
    llm_base_url: str | None = _var(
        "JOBINSIGHT_LLM_BASE_URL", "OpenAI-compatible endpoint; requests go to {base}/chat/completions.",
        "(unset: LLM enricher off)", default=None)
    llm_model: str | None = _var(
        "JOBINSIGHT_LLM_MODEL", "Model name sent with every request.", "(unset: LLM enricher off)",
        default=None, max_length=200)
    llm_api_key: SecretStr | None = _var(
        "JOBINSIGHT_LLM_API_KEY", "API key (Bearer token); wins over the key block.", None, default=None)
    llm_api_key_block: str | None = _var(
        "JOBINSIGHT_LLM_API_KEY_BLOCK", "Name of a Prefect Secret block holding the API key.", None, default=None)
    llm_rpm: int = _var(
        "JOBINSIGHT_LLM_RPM", "Requests per minute sent at most (client-side limit).", default=60, ge=1, le=100_000)
    llm_tpm: int = _var(
        "JOBINSIGHT_LLM_TPM", "Tokens per minute spent at most (client-side limit).",
        default=60_000, ge=100, le=100_000_000)
    llm_run_quota: int = _var(
        "JOBINSIGHT_LLM_RUN_QUOTA", "Requests per process run at most; the rest stay rules-enriched and pending.",
        default=1_000, ge=0)
    llm_daily_quota: int = _var(
        "JOBINSIGHT_LLM_DAILY_QUOTA",
        "Requests per UTC day and model at most, shared by all runs (in the database).", default=5_000, ge=0)
    llm_timeout: float = _var(
        "JOBINSIGHT_LLM_TIMEOUT", "Seconds one request may take before it counts as a timeout.",
        default=60.0, gt=0, le=3600, allow_inf_nan=False)

    # --- Prefect, deployment and tests -----------------------------------------------------
    prefect_server: Literal["local", "temporary"] = _var(
        "JOBINSIGHT_PREFECT_SERVER",
        "With no `PREFECT_API_URL`: `local` starts (once) and reuses a Prefect server under `JOBINSIGHT_HOME`; "
        "`temporary` lets Prefect start a throw-away server inside each command.",
        default="local")
    warm_start: bool = _var(
        "JOBINSIGHT_WARM_START",
        "`run`, `process` and `scrape` are served by a warm runner under `JOBINSIGHT_HOME` that has Prefect "
        "and pandas imported already (started by the first such command; `jobinsight stop` stops it); "
        "`false`: every command starts cold.", "true",
        default=True)
    warm_idle_seconds: float = _var(
        "JOBINSIGHT_WARM_IDLE_SECONDS", "Seconds the warm runner waits for a command before it exits.",
        default=1800.0, gt=0, le=7 * 86400, allow_inf_nan=False)
    project_dir: Path | None = _var(
        "JOBINSIGHT_PROJECT_DIR",
        "The clone's absolute path that `jobinsight deploy` writes into the deployments' `pull` step.",
        "(set by `jobinsight deploy`)", default=None)
    test_database_url: SecretStr | None = _var(
        "JOBINSIGHT_TEST_DATABASE_URL",
        "Tests only: an extra server to run the database tests against, besides the embedded one.",
        None, default=None)

    @field_validator("user_agent")
    @classmethod
    def _printable(cls, value: str) -> str:
        """It goes into every request line: no control characters."""
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise ValueError("must not contain control characters or line breaks")
        return value

    @field_validator("fx_rates")
    @classmethod
    def _fx_pairs(cls, value: str | None) -> str | None:
        """CODE=RATE pairs (checked here so a typo stops the run before any work)."""
        if value is not None:
            from jobinsight.transform.salary import parse_fx_rates  # light: re and unicodedata only

            parse_fx_rates(value)
        return value

    @field_validator("llm_base_url")
    @classmethod
    def _http_base(cls, value: str | None) -> str | None:
        if value is not None:
            value = value.rstrip("/")
            if not value.startswith(("http://", "https://")):
                raise ValueError("must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _llm_complete(self) -> Settings:
        """Half an LLM configuration is a mistake, not "LLM off": say which half is missing."""
        if (self.llm_base_url is None) != (self.llm_model is None):
            given, missing = (("JOBINSIGHT_LLM_BASE_URL", "JOBINSIGHT_LLM_MODEL") if self.llm_model is None
                              else ("JOBINSIGHT_LLM_MODEL", "JOBINSIGHT_LLM_BASE_URL"))
            raise ValueError(
                f"{given} is set but {missing} is not: the LLM enricher needs both a base URL and a model. "
                f"Set {missing} too, or unset {given} to run with rules enrichment only."
            )
        return self

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from a mapping instead of ``os.environ`` (tests, and the CLI's check).

        Empty values count as unset, as they do in the environment.
        """
        names = set(env_names())
        values = {k: v for k, v in environ.items() if k in names and v.strip() != ""}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise config_error(exc) from None

    @property
    def fx_rate_table(self) -> tuple[tuple[str, float], ...]:
        """``fx_rates`` parsed: ((ISO code, VND per unit), ...), empty when unset."""
        from jobinsight.transform.salary import parse_fx_rates

        return parse_fx_rates(self.fx_rates)

    @property
    def llm_enabled(self) -> bool:
        return self.llm_base_url is not None and self.llm_model is not None


def env_names() -> dict[str, str]:
    """Environment variable name -> field name, in declaration order."""
    return {str(info.validation_alias): name for name, info in Settings.model_fields.items()}


_ENV_NAMES = tuple(env_names())


def get_settings() -> Settings:
    """The current settings, as the environment says now.

    Follows the environment (the CLI's ``--database-url`` and tests change it between calls), but
    parses each distinct set of values once: PipelineOptions' defaults call this per field.
    Raises :class:`ConfigError` (one paragraph per bad variable) when a value is invalid.
    """
    return _settings_for(tuple(os.environ.get(name) for name in _ENV_NAMES))


@lru_cache(maxsize=16)
def _settings_for(values: tuple[str | None, ...]) -> Settings:
    """``Settings()`` (pydantic-settings reads the environment) for one snapshot of the values."""
    del values  # the cache key; Settings() reads the same values from os.environ
    try:
        return Settings()
    except ValidationError as exc:
        raise config_error(exc) from None


def _shown(field: str, value: Any) -> str:
    if field in _SECRET_FIELDS:
        return "(hidden)"
    text = str(value)
    return repr(text if len(text) <= 80 else text[:77] + "...")


def config_error(exc: ValidationError) -> ConfigError:
    """One paragraph for all invalid variables: which, what is wrong with the value, the fix."""
    by_alias = {str(info.validation_alias): (name, info) for name, info in Settings.model_fields.items()}
    parts: list[str] = []
    names: list[str] = []
    for err in exc.errors(include_url=False):
        loc = err.get("loc") or ()
        var = str(loc[0]) if loc else ""
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if var not in by_alias:  # a rule across variables (e.g. LLM half-configured): message says it all
            parts.append(msg.rstrip(".") + ".")
            continue
        field, info = by_alias[var]
        names.append(var)
        default = _default_text(field, info)
        wanted = msg[0].lower() + msg[1:] if msg else "invalid"
        parts.append(
            f"{var}={_shown(field, err.get('input'))} is not accepted: {wanted} "
            f"({var}: {info.description.rstrip('.')}). Set a valid value or unset {var} to use the default ({default})."
        )
    return ConfigError(("Invalid configuration: " + " ".join(parts)), variables=tuple(names))


def _default_text(field: str, info: Any) -> str:
    extra = info.json_schema_extra or {}
    if isinstance(extra, dict) and extra.get("shown_default"):
        return str(extra["shown_default"])
    if info.default is None:
        return "(unset)"
    if isinstance(info.default, float) and math.isfinite(info.default) and info.default.is_integer() \
            and field != "scrape_delay":
        return str(int(info.default))
    return str(info.default)


def _allowed_text(field: str, info: Any) -> str:
    """What values the model accepts, from its type and constraints (the README's "allowed")."""
    kind = info.annotation
    if field in _SECRET_FIELDS:
        return "text (secret, never printed)"
    if kind is bool:
        return "true / false (also 1/0, yes/no, on/off)"
    if kind in (int, float):
        bounds = []
        for item in info.metadata:
            for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
                if getattr(item, attr, None) is not None:
                    bounds.append(f"{sign} {getattr(item, attr):,}".replace(",", "_"))
        noun = "integer" if kind is int else "finite number"
        return f"{noun} {', '.join(bounds)}".strip()
    if "Path" in str(kind):
        return "folder"
    if getattr(kind, "__origin__", None) is Literal:
        return " / ".join(f"`{choice}`" for choice in kind.__args__)
    if field == "llm_base_url":
        return "http(s) URL; only together with `JOBINSIGHT_LLM_MODEL`"
    if field == "llm_model":
        return "text; only together with `JOBINSIGHT_LLM_BASE_URL`"
    return "text"


def markdown_table() -> str:
    """The README's configuration table, generated from the model (a unit test compares them)."""
    lines = ["| variable | default | allowed | meaning |", "|---|---|---|---|"]
    for var, field in env_names().items():
        info = Settings.model_fields[field]
        lines.append(f"| `{var}` | {_default_text(field, info)} | {_allowed_text(field, info)} | {info.description} |")
    return "\n".join(lines)


if __name__ == "__main__":  # `python -m jobinsight.settings` prints the README's table
    print(markdown_table())
