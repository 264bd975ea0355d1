"""A bad setting ends a command at once: one paragraph, exit code 2, no traceback, no retry.

The first case the issue reproduced runs the real CLI as a subprocess, the second the same entry
point in-process (``cli_main``); every other variable and range is checked in-process in
tests/unit/test_settings.py. A flow started with a bad setting
(e.g. by a deployment) fails on its first step and is not retried.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jobinsight.errors import ConfigError
from tests.conftest import CliMain


def _cli(args: list[str], extra_env: dict[str, str], home: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOBINSIGHT_", "ETL_", "PREFECT_API_URL"))}
    env.update(extra_env, JOBINSIGHT_HOME=str(home), PREFECT_HOME=str(home / "prefect"))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "jobinsight.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)
    return proc, time.monotonic() - started


def _assert_refused_at_once(proc: subprocess.CompletedProcess, variable: str, home: Path) -> None:
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    message = proc.stderr.strip()
    assert message.startswith("error: Invalid configuration") and "\n" not in message  # one paragraph
    assert variable in message and "unset" in message
    # refused before any work: no database started, no Prefect server, no data folder filled
    assert "Starting temporary server" not in proc.stderr
    assert not (home / "pgdata").exists()


def test_a_bad_setting_fails_the_command_at_once_in_one_paragraph(tmp_path: Path) -> None:
    """The issue's first case as a real process: ``JOBINSIGHT_SCRAPE_DELAY=abc jobinsight scrape``."""
    proc, elapsed = _cli(["scrape", "--source", "demo"], {"JOBINSIGHT_SCRAPE_DELAY": "abc"}, tmp_path / "home")
    print(f"scrape: exit {proc.returncode} after {elapsed:.2f} s")  # the figure for the report (-s)
    _assert_refused_at_once(proc, "JOBINSIGHT_SCRAPE_DELAY", tmp_path / "home")


def test_a_half_configured_llm_fails_the_command_at_once_in_one_paragraph(
        tmp_path: Path, cli_main: CliMain, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's second case, through the same entry point in this process."""
    for name in [k for k in os.environ if k.startswith(("JOBINSIGHT_LLM_", "ETL_"))]:
        monkeypatch.delenv(name)  # only the one half-setting, as in the subprocess case
    home = tmp_path / "home"
    proc = cli_main("process", JOBINSIGHT_LLM_BASE_URL="http://127.0.0.1:9/v1", JOBINSIGHT_HOME=str(home),
                    PREFECT_HOME=str(home / "prefect"))
    _assert_refused_at_once(proc, "JOBINSIGHT_LLM_MODEL", home)


def test_a_flow_started_with_a_bad_setting_fails_once_without_retries(
        prefect_harness: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """scrape_flow has retries=1 (60 s apart); a ConfigError must end it on the first attempt."""
    from prefect.client.orchestration import get_client

    from jobinsight.flows.scrape import scrape_flow
    from jobinsight.options import PipelineOptions

    options = PipelineOptions(pipeline_mode="scrapeOnly", source="demo")
    monkeypatch.setenv("JOBINSIGHT_USD_RATE", "nan")
    state = scrape_flow(options, return_state=True)
    assert state.is_failed()
    with pytest.raises(ConfigError, match="JOBINSIGHT_USD_RATE"):
        state.result()
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert run.run_count == 1 and run.state.is_failed()
