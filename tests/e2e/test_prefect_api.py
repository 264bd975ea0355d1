"""The temporary Prefect server runs as a child process and its code stays out of the pipeline's.

Without PREFECT_API_URL, Prefect's own client would import the whole server application
(``prefect.server.api.server`` and SQLAlchemy, FastAPI, …) into the process that runs the flow;
``jobinsight.prefect_api`` starts the same server from outside instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.stack import clean_env

_SCRIPT = """
import json, sys
import psutil
from prefect import flow
from jobinsight.prefect_api import prefect_api

@flow
def hello() -> int:
    return 42

with prefect_api() as server:
    value = hello()
    child = server.pid in [p.pid for p in psutil.Process().children()]
print(json.dumps({"value": value, "child": child, "pid": server.pid,
                  "server_code_imported": "prefect.server.api.server" in sys.modules}))
"""


def test_flow_runs_against_a_child_server_without_importing_it(tmp_path: Path) -> None:
    env = clean_env(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_LOGGING_LEVEL="WARNING")
    proc = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["value"] == 42
    assert report["child"] is True
    assert report["server_code_imported"] is False
    import psutil

    assert not psutil.pid_exists(report["pid"]) or psutil.Process(report["pid"]).status() == psutil.STATUS_ZOMBIE
