"""The ``jobinsight`` command as a user runs it: subprocesses, real servers, exit codes (argument and
error-message cases through the same entry point in-process, ``cli_main``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from jobinsight.db.embedded import stop_server
from jobinsight.synthetic import generate_raw_rows
from tests.conftest import CliMain


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"PREFECT_API_URL", "JOBINSIGHT_DATABASE_URL", "JOBINSIGHT_DB_BLOCK"}}
    env.update(extra)
    return env


def _cli(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jobinsight.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def fresh_home(tmp_path: Path):
    home = tmp_path / "home"
    yield home
    stop_server(home)


def _cli_at_once(*args: str, env: dict[str, str], count: int = 2) -> list[tuple[int, str, str]]:
    """Start ``count`` identical CLI processes together; (exit code, stdout, stderr) of each."""
    procs = [subprocess.Popen([sys.executable, "-m", "jobinsight.cli", *args], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(count)]
    outputs = [p.communicate(timeout=120) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs, strict=True)]


def test_db_status_with_nothing_configured_starts_then_reuses_the_embedded_server(fresh_home: Path) -> None:
    """One new embedded server for the whole story (initdb is the costly part): two processes
    starting it at once share it, a later one reuses it, and two ``db init`` at once migrate once."""
    env = _env(JOBINSIGHT_HOME=str(fresh_home))
    first = _cli_at_once("db", "status", "--json", env=env)
    assert [code for code, _, _ in first] == [0, 0], [err for _, _, err in first]
    docs = [json.loads(out) for _, out, _ in first]  # stdout is exactly one JSON document
    assert len({doc["database"]["url"] for doc in docs}) == 1  # both found the one server
    doc = docs[0]
    assert doc["database"]["kind"] == "embedded" and doc["server_version"].startswith("18")
    pid_file = fresh_home / "pgdata" / "postmaster.pid"
    server_pid = pid_file.read_text().splitlines()[0]

    second = _cli("db", "status", "--json", env=env)
    assert second.returncode == 0 and json.loads(second.stdout)["database"] == doc["database"]
    assert pid_file.read_text().splitlines()[0] == server_pid  # reused, not restarted

    inits = _cli_at_once("db", "init", "--json", env=env)
    assert [code for code, _, _ in inits] == [0, 0], [err for _, _, err in inits]
    applied = sorted(len(json.loads(out)["applied"]) for _, out, _ in inits)
    assert applied[0] == 0 and applied[1] > 0  # one process applied the migrations, the other found them
    status = json.loads(_cli("db", "status", "--json", env=env).stdout)
    assert status["schema_ready"] and status["counts"]["raw_jobs"] == 0


def test_db_url_masks_the_password_unless_asked(cli_main: CliMain) -> None:
    url = "postgresql://etl:s3cr3t-pw@127.0.0.1:5999/jobs"
    masked = cli_main("db", "url", "--database-url", url)
    assert masked.returncode == 0 and "s3cr3t-pw" not in masked.stdout and "etl:***@" in masked.stdout
    shown = cli_main("db", "url", "--database-url", url, "--show-password")
    assert "s3cr3t-pw" in shown.stdout


def test_unreachable_database_is_a_clear_message_not_a_traceback(cli_main: CliMain) -> None:
    result = cli_main("db", "status", "--database-url", "postgresql://etl:s3cr3t-pw@127.0.0.1:9/jobs")
    assert result.returncode == 2
    assert "Could not connect to PostgreSQL" in result.stderr and "Traceback" not in result.stderr
    assert "s3cr3t-pw" not in result.stderr + result.stdout


def test_invalid_option_names_the_field(database_url: str, cli_main: CliMain) -> None:
    result = cli_main("process", "--batch-size", "0", "--database-url", database_url)
    assert result.returncode == 2 and "batch_size" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.prefect  # no PREFECT_API_URL, as in the README's quick start: the CLI starts a temporary server
def test_run_all_with_the_demo_source_prints_a_successful_result(database_url: str, tmp_path: Path) -> None:
    env = _env(JOBINSIGHT_DATABASE_URL=database_url, JOBINSIGHT_ARCHIVE_ROOT=str(tmp_path / "archive"))
    # one listing page, no detail pages: what is tested is the command on a temporary Prefect server
    result = _cli("run", "--mode", "all", "--source", "demo", "--max-pages", "1", "--no-follow-details", "--json",
                  env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    doc = json.loads(result.stdout)
    assert doc["success"] is True
    assert doc["parts"]["scrape"]["stats"]["extra"]["inserted"] > 0
    assert doc["parts"]["process"]["stats"]["processed_records"] == doc["parts"]["scrape"]["stats"]["extra"]["inserted"]


def test_process_json_prints_the_pipeline_result_and_logs_name_their_runs(database_url: str,
                                                                           prefect_api_url: str) -> None:
    """One real ``process --json`` (on the session's Prefect server; the temporary-server path is
    the test above's): stdout is the result document, stderr the log, every run line named."""
    generate_raw_rows(database_url, 300)
    result = _cli("process", "--batch-size", "100", "--json", "--database-url", database_url,
                  env=_env(PREFECT_API_URL=prefect_api_url))
    assert result.returncode == 0, result.stderr[-3000:]
    doc = json.loads(result.stdout)
    assert doc["success"] and doc["stats"]["processed_records"] == 300 and doc["stats"]["batch_count"] == 3
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM jobinsight_staging.staging_jobs")
        assert cur.fetchone()[0] == 300
    conn.close()
    run_lines = [line for line in result.stderr.splitlines() if " prefect.task_runs" in line
                 or " prefect.flow_runs" in line]
    assert run_lines, result.stderr
    for line in run_lines:  # e.g. "... INFO prefect.task_runs [phase-2-sql-procedures-1a2]: Finished in state ..."
        assert " prefect.task_runs [phase-" in line or " prefect.flow_runs [" in line, line
