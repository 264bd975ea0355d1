"""Helpers for the reliability tests: SQL access, flows under the session Prefect server, the CLI.

Why a separate folder: these tests inject faults and hostile input on purpose (a restarted
server, statement timeouts, passwords, unreachable services), so they say what protection
each one guards and stay apart from the happy-path integration tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest


def sql_rows(url: str, query: str, params: tuple | dict = ()) -> list[tuple]:
    """Rows of one query, on a connection of its own (the test's view of the database)."""
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()
    finally:
        conn.close()


def sql_exec(url: str, statement: str, params: tuple | dict = (), *, autocommit: bool = False) -> None:
    """Run one statement (autocommit for ALTER DATABASE and friends)."""
    conn = psycopg2.connect(url)
    try:
        if autocommit:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(statement, params)
        else:
            with conn, conn.cursor() as cur:
                cur.execute(statement, params)
    finally:
        conn.close()


def sql_value(url: str, query: str, params: tuple | dict = ()) -> Any:
    """The single value of a one-row, one-column query."""
    return sql_rows(url, query, params)[0][0]


def accounted_for(url: str) -> dict[str, int]:
    """How every raw row ended up: processed into staging, quarantined, or still waiting.

    "Nothing lost, nothing doubled" is: raw = staged + quarantined, waiting = 0, and no job
    both staged and quarantined.
    """
    (raw, staged, staging_rows, quarantined, waiting, both, open_entries) = sql_rows(url, """
        SELECT (SELECT count(*) FROM public.raw_jobs),
               (SELECT count(*) FROM public.raw_jobs WHERE is_processed),
               (SELECT count(*) FROM jobinsight_staging.staging_jobs_data),
               (SELECT count(*) FROM public.raw_jobs WHERE NOT is_processed AND process_error IS NOT NULL),
               (SELECT count(*) FROM public.raw_jobs WHERE NOT is_processed AND process_error IS NULL),
               (SELECT count(*) FROM public.raw_jobs r JOIN jobinsight_staging.staging_jobs_data s
                   ON s.source = r.source AND s.job_id = r.job_id WHERE NOT r.is_processed),
               (SELECT count(*) FROM jobinsight_monitoring.quarantine WHERE stage = 'process' AND status = 'open')
    """)[0]
    return {"raw": raw, "staged": staged, "staging_rows": staging_rows, "quarantined": quarantined,
            "waiting": waiting, "both": both, "open_quarantine": open_entries}


@pytest.fixture
def flow_db(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A fresh database that in-process flows find through the environment, as deployments do."""
    monkeypatch.setenv("JOBINSIGHT_DATABASE_URL", database_url)
    monkeypatch.setenv("JOBINSIGHT_ARCHIVE_ROOT", str(tmp_path / "archive"))
    return database_url


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: this one without database/Prefect choices, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PREFECT_API_URL", "JOBINSIGHT_DATABASE_URL", "JOBINSIGHT_DB_BLOCK", "ETL_BATCH_SIZE"}}
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    """``python -m jobinsight.cli …`` exactly as a person runs it."""
    return subprocess.run([sys.executable, "-m", "jobinsight.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def assert_one_paragraph_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    """The command failed with exit code 2 and said so in one paragraph, not a traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-3000:]
    message = result.stderr.strip()
    assert "\n" not in message, message  # one paragraph: nothing else was printed
    assert message.startswith("error: "), message
    for needle in needles:
        assert needle in message, (needle, message)
    return message


@pytest.fixture
def file_in_the_way(tmp_path: Path) -> Iterator[Path]:
    """A path under a regular file: no one can create a folder there, not even root."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be\n")
    yield blocker / "jobinsight-home"
