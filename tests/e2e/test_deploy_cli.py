"""`jobinsight deploy` fails with one clear paragraph and exit code 2 when there is nowhere to deploy."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.stack import JOBINSIGHT, REPO_ROOT, clean_env, free_port


def _deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*JOBINSIGHT, "deploy", "--database-url", "postgresql://u:pw-canary@127.0.0.1:9/x"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("api", ["unset", "unreachable"])
def test_deploy_without_a_reachable_server_explains_and_exits_2(api: str, tmp_path: Path) -> None:
    # "unset" with Prefect's temporary server chosen: with the default (the local server) deploy
    # would start one under JOBINSIGHT_HOME and deploy there (tests/integration/test_local_prefect_server.py)
    env = clean_env(PREFECT_HOME=str(tmp_path), JOBINSIGHT_HOME=str(tmp_path / "home"),
                    JOBINSIGHT_PREFECT_SERVER="temporary")
    if api == "unreachable":
        env["PREFECT_API_URL"] = f"http://127.0.0.1:{free_port()}/api"
    proc = _deploy(env)
    assert proc.returncode == 2, proc.stderr
    message = proc.stderr.strip().splitlines()
    assert len(message) == 1 and message[0].startswith("error: ")
    assert ("PREFECT_API_URL is not set" if api == "unset" else "is unreachable") in message[0]
    assert "Traceback" not in proc.stderr and "pw-canary" not in proc.stderr + proc.stdout
    assert proc.stdout == ""
