"""`jobinsight deploy` reads its configuration through the settings model, like every flow.

Why: deployments/setup.py read JOBINSIGHT_DB_BLOCK from os.environ itself, so a blank value
named a block called "   " there while the flows (through the model) treated it as unset, and a
bad JOBINSIGHT_*/ETL_* value was only found after the deploy had started a server.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest

from jobinsight.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def setup_module() -> Any:
    """deployments/setup.py, loaded the way `jobinsight deploy` loads it."""
    from jobinsight.cli import _deploy_setup_module

    module, _ = _deploy_setup_module(REPO_ROOT)
    return module


@pytest.mark.parametrize(("given", "env", "expected"), [
    (None, None, ("jobinsight-db", False)),
    (None, "team-db", ("team-db", True)),
    (None, "  team-db \t", ("team-db", True)),  # stripped, as the flows' resolver sees it
    (None, "   ", ("jobinsight-db", False)),  # blank is unset, not a block named "   "
    (None, "", ("jobinsight-db", False)),
    ("cli-db", "team-db", ("cli-db", True)),  # --block wins
])
def test_the_block_comes_from_block_option_else_the_settings_model(
        setup_module: Any, monkeypatch: pytest.MonkeyPatch, given: str | None, env: str | None,
        expected: tuple[str, bool]) -> None:
    if env is None:
        monkeypatch.delenv("JOBINSIGHT_DB_BLOCK", raising=False)
    else:
        monkeypatch.setenv("JOBINSIGHT_DB_BLOCK", env)
    assert setup_module.block_choice(given) == expected


def test_a_bad_setting_stops_deploy_before_any_server_is_contacted(
        setup_module: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on: reaching it would fail differently
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{port}/api")
    monkeypatch.setenv("ETL_BATCH_SIZE", "40k")
    started = time.monotonic()
    with pytest.raises(ConfigError) as err:
        setup_module.deploy(project_dir=REPO_ROOT)
    assert err.value.variables == ("ETL_BATCH_SIZE",)
    assert time.monotonic() - started < 2
