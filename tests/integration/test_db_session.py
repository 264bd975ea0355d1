"""The connection context managers every module opens the database through (db/connect.py).

Why: the product had 18 hand-written connect/try/finally blocks; each could forget the close,
the rollback or the autocommit reset. These tests pin what the two helpers promise, so moving
a caller onto them keeps its behaviour.
"""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

import pytest
from psycopg2 import sql

from jobinsight.db.admin import admin_execute, with_database
from jobinsight.db.connect import DatabaseUnavailableError, session, transaction
from jobinsight.db.migrate import _LOCK_KEY, apply_migrations


def _sessions(url: str, application_name: str) -> int:
    """Open server sessions of ``application_name`` on this database (seen from another connection)."""
    with transaction(url, application_name="jobinsight-test-observer") as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = %s", (application_name,))
        return cur.fetchone()[0]


def _sessions_left(url: str, application_name: str, wait_s: float = 5.0) -> int:
    """Sessions of ``application_name`` still open after a close, allowing the server its moment:
    a backend leaves pg_stat_activity a little after the client closed its socket (seen under load)."""
    deadline = time.monotonic() + wait_s
    while (left := _sessions(url, application_name)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _table_rows(url: str, table: str) -> int:
    with transaction(url) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        return cur.fetchone()[0]


def test_a_transaction_commits_on_success_and_rolls_back_on_error(database_url: str) -> None:
    table = f"t_{uuid.uuid4().hex[:8]}"
    with transaction(database_url) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE TABLE {} (x int)").format(sql.Identifier(table)))
        cur.execute(sql.SQL("INSERT INTO {} VALUES (1)").format(sql.Identifier(table)))
    with pytest.raises(RuntimeError, match="boom"), \
            transaction(database_url) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("INSERT INTO {} VALUES (2)").format(sql.Identifier(table)))
        raise RuntimeError("boom")
    assert _table_rows(database_url, table) == 1
    assert conn.closed


def test_a_session_is_closed_and_rolls_back_what_the_caller_left_open(database_url: str) -> None:
    table = f"t_{uuid.uuid4().hex[:8]}"
    with session(database_url, application_name="jobinsight-test-session") as conn:
        assert not conn.autocommit
        with conn, conn.cursor() as cur:  # a committed step
            cur.execute(sql.SQL("CREATE TABLE {} (x int)").format(sql.Identifier(table)))
        with conn.cursor() as cur:  # an uncommitted one
            cur.execute(sql.SQL("INSERT INTO {} VALUES (1)").format(sql.Identifier(table)))
        assert _sessions(database_url, "jobinsight-test-session") == 1  # application_name reaches the server
    assert conn.closed
    assert _sessions_left(database_url, "jobinsight-test-session") == 0
    assert _table_rows(database_url, table) == 0


def test_an_autocommit_session_commits_each_statement_and_can_run_create_database(database_url: str) -> None:
    name = f"jit_sess_{uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError, match="after"), \
            session(database_url, autocommit=True) as conn, conn.cursor() as cur:
        assert conn.autocommit
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))  # refused in a transaction
        raise RuntimeError("after the statement")
    assert conn.closed
    try:
        with transaction(with_database(database_url, name)) as other, other.cursor() as cur:
            cur.execute("SELECT current_database()")
            assert cur.fetchone()[0] == name
    finally:
        admin_execute(database_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_migrating_leaves_no_session_and_no_advisory_lock_behind(database_url: str) -> None:
    assert apply_migrations(database_url).applied == []  # the template is migrated already
    assert _sessions_left(database_url, "jobinsight-migrate") == 0
    with transaction(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())")
        assert cur.fetchone()[0] == 0


def test_a_failed_migration_still_releases_the_lock_and_the_session(database_url: str) -> None:
    with transaction(database_url) as conn, conn.cursor() as cur:  # an applied migration, edited afterwards
        cur.execute("UPDATE jobinsight_monitoring.schema_migrations SET checksum = 'edited' "
                    "WHERE version = (SELECT min(version) FROM jobinsight_monitoring.schema_migrations)")
    with pytest.raises(Exception, match="changed after it was applied"):
        apply_migrations(database_url)
    assert _sessions_left(database_url, "jobinsight-migrate") == 0
    with session(database_url, application_name="jobinsight-test-lock") as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (_LOCK_KEY,))
        assert cur.fetchone()[0] is True  # nobody holds it any more


def test_without_restart_a_stopped_embedded_server_is_not_started_from_inside(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The embedded server's own start-up connects with ``restart_embedded=False``: a failure there
    must surface, not start the server again from inside its start (its lock is held)."""
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("18\n")  # looks like a stopped embedded server's folder
    url = f"postgresql://postgres@/postgres?host={pgdata}&port=5999"
    caplog.set_level(logging.WARNING, logger="jobinsight.db.embedded")
    with pytest.raises(DatabaseUnavailableError), session(url, restart_embedded=False):
        pass
    assert not [r for r in caplog.records if "starting it again" in r.getMessage()]
