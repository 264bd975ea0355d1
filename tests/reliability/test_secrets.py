"""The database password never appears in logs, artifacts, results, monitoring rows or error
messages: a run against a URL with a known password, in-process and through the CLI, and the
same URL pointed at nothing, grepped everywhere a person or a dashboard could read it."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterator
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2 import sql

import jobinsight.flows.process
from jobinsight.db.connect import connect
from jobinsight.db.migrate import apply_migrations
from jobinsight.errors import explain
from jobinsight.flows.process import process_flow
from jobinsight.options import PipelineOptions
from jobinsight.synthetic import generate_raw_rows
from tests.conftest import CliMain
from tests.reliability.conftest import cli_env, run_cli, sql_exec, sql_rows

pytestmark = pytest.mark.usefixtures("prefect_harness")

PASSWORD = f"S3cr3t-{uuid.uuid4().hex[:12]}-pw"
#: a second one that needs URL quoting, to catch a leak of the decoded form
ODD_PASSWORD = f"p@ss:w/rd%{uuid.uuid4().hex[:6]}"


def _with_login(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{user}:{quote(password, safe='')}@{host}", parts.path, parts.query,
                       parts.fragment))


def _admin(url: str, statement: sql.Composable | str, params: tuple = ()) -> None:
    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement, params)
    finally:
        conn.close()


@pytest.fixture
def secret_url(database_url: str) -> Iterator[str]:
    """The test database through a role that has a password (the embedded server trusts local
    connections, so the password is carried but not checked; a real server checks it)."""
    role = f"jit_secret_{uuid.uuid4().hex[:8]}"
    _admin(database_url, sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}").format(
        sql.Identifier(role), sql.Literal(PASSWORD)))
    yield _with_login(database_url, role, PASSWORD)
    _admin(database_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
    _admin(database_url, sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _prefect_logs(flow_run_id: str) -> str:
    """Everything the Prefect API stored as this flow run's log (what the UI shows)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)  # logs travel to the API in batches

    async def read() -> str:
        async with get_client() as client:
            logs = await client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
            return "\n".join(entry.message for entry in logs)

    return asyncio.run(read())


def _assert_no_password(**places: str) -> None:
    leaks = [name for name, text in places.items() if PASSWORD in text or ODD_PASSWORD in text
             or quote(ODD_PASSWORD, safe="") in text]
    assert leaks == [], f"the password appears in: {leaks}"


def test_a_run_never_shows_the_password(database_url: str, secret_url: str, monkeypatch: pytest.MonkeyPatch,
                                        caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture) -> None:
    from prefect.artifacts import Artifact

    generate_raw_rows(database_url, 120)
    sql_exec(database_url, "UPDATE public.raw_jobs SET title = '' WHERE job_id = '7'")  # a quarantine path too
    monkeypatch.setenv("JOBINSIGHT_DATABASE_URL", secret_url)
    caplog.set_level(logging.DEBUG)
    result = process_flow(PipelineOptions(pipeline_mode="processOnly", batch_size=50))
    assert result.success and result.stats.processed_records == 119 and result.stats.quarantined == 1
    captured = capfd.readouterr()
    stored_logs = _prefect_logs(result.run_id)
    assert "processed 119 rows" in stored_logs  # the run's log did reach the Prefect API
    monitoring = sql_rows(database_url, """
        SELECT coalesce((SELECT string_agg(options::text || stats::text || coalesce(message, ''), ' ')
                           FROM jobinsight_monitoring.pipeline_runs), ''),
               coalesce((SELECT string_agg(extra::text, ' ') FROM jobinsight_monitoring.phase_metrics), ''),
               coalesce((SELECT string_agg(reason || record::text, ' ') FROM jobinsight_monitoring.quarantine), ''),
               coalesce((SELECT string_agg(result::text, ' ') FROM jobinsight_monitoring.batch_claims), '')""")[0]
    _assert_no_password(
        logs=caplog.text, stdout=captured.out, stderr=captured.err, result=result.model_dump_json(),
        metrics_artifact=json.dumps(Artifact.get("process-metrics").data),
        summary_artifact=str(Artifact.get("process-summary").data),
        prefect_logs=stored_logs, monitoring=" ".join(monitoring),
    )


def test_a_failing_run_never_shows_the_password(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
                                                capfd: pytest.CaptureFixture) -> None:
    """The URL points at nothing: the errors raised, logged and stored must not carry the password."""
    unreachable = f"postgresql://etl:{quote(ODD_PASSWORD, safe='')}@127.0.0.1:9/jobs"
    with pytest.raises(Exception) as direct:
        apply_migrations(unreachable)
    monkeypatch.setenv("JOBINSIGHT_DATABASE_URL", unreachable)
    # no task retries (2 + 4 + 8 s of backoff): what is tested is what the failure says
    monkeypatch.setattr(jobinsight.flows.process, "setup_schema", jobinsight.flows.process.setup_schema.with_options(retries=0))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception) as in_flow:
        process_flow.with_options(retries=0)(PipelineOptions(pipeline_mode="processOnly"))
    captured = capfd.readouterr()
    assert "Could not connect to PostgreSQL at postgresql://etl:***@127.0.0.1:9/jobs" in str(in_flow.value)
    flow_run_ids = {r.flow_run_id for r in caplog.records if getattr(r, "flow_run_id", None)}
    stored_logs = " ".join(_prefect_logs(str(i)) for i in flow_run_ids)
    assert "Could not connect to PostgreSQL" in stored_logs  # the failure did reach the Prefect logs
    _assert_no_password(
        direct=str(direct.value), direct_repr=repr(direct.value), in_flow=str(in_flow.value),
        explained=explain(in_flow.value) or "", logs=caplog.text, stdout=captured.out, stderr=captured.err,
        prefect_logs=stored_logs,
    )
    with pytest.raises(Exception) as bad_port:  # even a URL that cannot be parsed
        connect(f"postgresql://etl:{PASSWORD}@127.0.0.1:notaport/jobs")
    _assert_no_password(bad_port=str(bad_port.value))


def test_the_cli_never_shows_the_password(database_url: str, secret_url: str, prefect_api_url: str,
                                          cli_main: CliMain) -> None:
    """A run and an unreachable-database error in real CLI processes (everything they print); the
    ``db`` commands through the same entry point in this process."""
    generate_raw_rows(database_url, 30)
    env = cli_env(PREFECT_API_URL=prefect_api_url)
    ran = run_cli("process", "--json", "--database-url", secret_url, env=env)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert json.loads(ran.stdout)["stats"]["processed_records"] == 30
    status = cli_main("db", "status", "--json", "--database-url", secret_url)
    assert status.returncode == 0 and json.loads(status.stdout)["database"]["url"].count("***") == 1
    masked = cli_main("db", "url", "--database-url", secret_url)
    unreachable = run_cli("process", "--database-url",
                          f"postgresql://etl:{quote(ODD_PASSWORD, safe='')}@127.0.0.1:9/jobs", env=env)
    assert unreachable.returncode == 2
    with_env = cli_main("db", "init", JOBINSIGHT_DATABASE_URL=secret_url)
    assert with_env.returncode == 0
    _assert_no_password(**{f"{name}_{stream}": getattr(proc, stream)
                           for name, proc in [("process", ran), ("status", status), ("url", masked),
                                              ("unreachable", unreachable), ("init", with_env)]
                           for stream in ("stdout", "stderr")})
