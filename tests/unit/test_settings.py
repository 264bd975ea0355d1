"""The settings model: every JOBINSIGHT_*/ETL_* value validated in-process, errors that say what to fix."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jobinsight.errors import ConfigError, explain
from jobinsight.settings import DEFAULT_USER_AGENT, Settings, env_names

KEY = "sk-settings-0123456789abcdef"


@pytest.mark.parametrize(("name", "value"), [
    ("ETL_BATCH_SIZE", "0"), ("ETL_BATCH_SIZE", "-3"), ("ETL_BATCH_SIZE", "40k"), ("ETL_BATCH_SIZE", "2000000"),
    ("ETL_TIMEOUT", "-1"), ("ETL_TIMEOUT", "0"), ("ETL_TIMEOUT", "soon"),
    ("ETL_MAX_WORKERS", "0"), ("ETL_MAX_WORKERS", "65"), ("ETL_MAX_WORKERS", "1.5"),
    ("JOBINSIGHT_USD_RATE", "nan"), ("JOBINSIGHT_USD_RATE", "inf"), ("JOBINSIGHT_USD_RATE", "-5"),
    ("JOBINSIGHT_USD_RATE", "0"),
    ("JOBINSIGHT_SCRAPE_CONCURRENCY", "0"), ("JOBINSIGHT_SCRAPE_CONCURRENCY", "two"),
    ("JOBINSIGHT_SCRAPE_DELAY", "abc"), ("JOBINSIGHT_SCRAPE_DELAY", "-1"), ("JOBINSIGHT_SCRAPE_DELAY", "nan"),
    ("JOBINSIGHT_SCRAPE_DELAY", "inf"),
    ("JOBINSIGHT_RESPECT_ROBOTS", "maybe"), ("JOBINSIGHT_USER_AGENT", "Bot\r\nX-Evil: 1"),
    ("JOBINSIGHT_LLM_RPM", "0"), ("JOBINSIGHT_LLM_TIMEOUT", "nan"), ("JOBINSIGHT_LLM_RUN_QUOTA", "-1"),
])
def test_a_bad_value_is_refused_naming_the_variable_its_value_and_the_fix(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_environ({name: value})
    message = str(err.value)
    assert err.value.variables == (name,)
    assert f"{name}=" in message and "unset" in message and "default" in message
    assert "\n" not in message  # one paragraph
    printed = explain(err.value)
    assert printed is not None and printed.startswith("error: Invalid configuration") and name in printed


@pytest.mark.parametrize(("given", "missing"), [("JOBINSIGHT_LLM_BASE_URL", "JOBINSIGHT_LLM_MODEL"),
                                                ("JOBINSIGHT_LLM_MODEL", "JOBINSIGHT_LLM_BASE_URL")])
def test_half_configured_llm_is_refused(given: str, missing: str) -> None:
    value = "http://127.0.0.1:9/v1" if given.endswith("BASE_URL") else "m"
    with pytest.raises(ConfigError, match=f"{given} is set but {missing} is not"):
        Settings.from_environ({given: value, "JOBINSIGHT_LLM_API_KEY": KEY})


def test_several_bad_values_are_one_paragraph_naming_each() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_environ({"ETL_BATCH_SIZE": "0", "JOBINSIGHT_USD_RATE": "inf", "ETL_TIMEOUT": "3600"})
    assert set(err.value.variables) == {"ETL_BATCH_SIZE", "JOBINSIGHT_USD_RATE"}
    assert "\n" not in str(err.value)


def test_secrets_are_never_echoed() -> None:
    url = f"postgresql://etl:{KEY}@127.0.0.1:5/jobs"
    with pytest.raises(ConfigError) as err:
        Settings.from_environ({"JOBINSIGHT_DATABASE_URL": url, "JOBINSIGHT_LLM_API_KEY": KEY,
                               "JOBINSIGHT_LLM_BASE_URL": "ftp://x", "JOBINSIGHT_LLM_MODEL": "m"})
    assert KEY not in str(err.value) and KEY not in repr(err.value)
    settings = Settings.from_environ({"JOBINSIGHT_DATABASE_URL": url, "JOBINSIGHT_LLM_API_KEY": KEY})
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())


def test_good_values_and_defaults() -> None:
    defaults = Settings.from_environ({})
    assert (defaults.batch_size, defaults.timeout_seconds, defaults.max_workers, defaults.usd_rate) == (
        30_000, 3600, 2, 25_000.0)
    assert (defaults.scrape_delay, defaults.scrape_concurrency, defaults.respect_robots) == (1.0, 2, True)
    assert defaults.user_agent == DEFAULT_USER_AGENT and not defaults.llm_enabled
    tuned = Settings.from_environ({"ETL_BATCH_SIZE": " 500 ", "JOBINSIGHT_SCRAPE_DELAY": "0",
                                   "JOBINSIGHT_RESPECT_ROBOTS": "off", "JOBINSIGHT_USD_RATE": "24500.5",
                                   "ETL_MAX_WORKERS": "", "JOBINSIGHT_LLM_BASE_URL": "http://127.0.0.1:9/v1/",
                                   "JOBINSIGHT_LLM_MODEL": "m"})
    assert (tuned.batch_size, tuned.scrape_delay, tuned.respect_robots, tuned.usd_rate) == (500, 0.0, False, 24500.5)
    assert tuned.max_workers == 2  # empty means unset
    assert tuned.llm_enabled and tuned.llm_base_url == "http://127.0.0.1:9/v1"


def test_the_real_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """``get_settings`` (pydantic-settings' environment source) and PipelineOptions' defaults agree."""
    from jobinsight.options import PipelineOptions
    from jobinsight.settings import get_settings

    monkeypatch.setenv("ETL_BATCH_SIZE", "7")
    monkeypatch.setenv("ETL_TIMEOUT", "60")
    assert get_settings().batch_size == 7
    options = PipelineOptions()
    assert (options.batch_size, options.timeout_seconds) == (7, 60)
    monkeypatch.setenv("ETL_MAX_WORKERS", "0")
    with pytest.raises(ConfigError, match="ETL_MAX_WORKERS"):
        get_settings()


def test_every_variable_read_anywhere_is_in_the_model() -> None:
    """No module reads a JOBINSIGHT_*/ETL_* variable by hand any more."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    reads = re.compile(r"""(?:environ\.get|getenv|environ\[)\(?\s*["']((?:JOBINSIGHT|ETL)_[A-Z_]+)""")
    found: set[str] = set()
    for folder in ("jobinsight", "flows", "tasks", "deployments"):
        for path in (root / folder).rglob("*.py"):
            found |= {m.group(1) for m in reads.finditer(path.read_text(encoding="utf-8"))}
    assert found <= set(env_names()), found - set(env_names())


def test_a_config_error_is_never_retried() -> None:
    from jobinsight.tasks.retry_policy import is_transient

    assert not is_transient(ConfigError("JOBINSIGHT_SCRAPE_DELAY='abc' is not accepted"))


def test_settings_and_cli_import_no_data_stack() -> None:
    """``jobinsight --help`` stays fast: the CLI module and the settings model load no heavy library."""
    code = ("import sys, jobinsight.cli, jobinsight.settings; "
            "print(sorted(m for m in ('pandas', 'pyarrow', 'httpx', 'psycopg2', 'numpy', 'prefect') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
