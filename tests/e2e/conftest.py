"""Fixtures of the end-to-end tests: one real Prefect server for the session, prefect.yaml
applied to it once by ``jobinsight deploy``, and workers started per test against that test's
database (see ``stack.py``). These tests do not use the in-process ``prefect_harness``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.stack import JOBINSIGHT, PrefectServer, WorkerPool, start_server, stop_process

#: The block `jobinsight deploy` creates in the session; its URL is fake (the password is a canary).
E2E_BLOCK = "e2e-db"
CANARY_PASSWORD = "s3cret-canary-pw"
FAKE_DATABASE_URL = f"postgresql://jobinsight:{CANARY_PASSWORD}@127.0.0.1:9/nowhere"


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """``prefect server start`` on a free loopback port; stopped by its PID afterwards."""
    server = start_server(tmp_path_factory.mktemp("prefect-e2e"))
    yield server
    stop_process(server.process)


@pytest.fixture(scope="session")
def deployed(prefect_server: PrefectServer) -> dict:
    """``jobinsight deploy --json`` once: work pool, database block, every deployment of prefect.yaml."""
    proc = prefect_server.cli("deploy", "--database-url", FAKE_DATABASE_URL, "--block", E2E_BLOCK, "--json",
                              command=JOBINSIGHT)
    report = json.loads(proc.stdout)
    report["_output"] = proc.stdout + proc.stderr
    return report


@pytest.fixture
def workers(prefect_server: PrefectServer, deployed: dict, tmp_path: Path) -> Iterator[WorkerPool]:
    """Start workers with ``workers.start(database_url)``; all are stopped (SIGINT) after the test,
    and runs still waiting are cancelled so they cannot reach the next test's worker."""
    pool = WorkerPool(prefect_server, tmp_path)
    yield pool
    pool.stop_all()
    prefect_server.cancel_unfinished()
