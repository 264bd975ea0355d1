"""Opening connections with a clear error when the server is not there.

psycopg2 is used directly (not SQLAlchemy) because the hot paths are COPY and
set-based statements, where a thin driver is the fastest option.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions

from jobinsight.db.urls import mask_url, passwords_of, scrub


class DatabaseUnavailableError(RuntimeError):
    """The database server could not be reached (message says what to do)."""


def connect(url: str, *, application_name: str = "jobinsight",
            restart_embedded: bool = True) -> psycopg2.extensions.connection:
    """A new connection; a failure becomes a one-paragraph, password-free message.

    Prefer :func:`session` or :func:`transaction`, which also close it. ``restart_embedded=False``
    is for the embedded server's own start-up, which must not start the server again from inside.
    """
    try:
        return _connect_or_restart(url, application_name, restart_embedded)
    except psycopg2.OperationalError as exc:
        detail = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                       passwords_of(url))
        raise DatabaseUnavailableError(
            f"Could not connect to PostgreSQL at {mask_url(url)}: {detail}. "
            "Check that the server is running and the URL is right (JOBINSIGHT_DATABASE_URL / "
            "--database-url), or unset them to use the embedded server."
        ) from None


def _connect_or_restart(url: str, application_name: str, restart_embedded: bool) -> psycopg2.extensions.connection:
    """Connect; if the server is the embedded one and it stopped, start it again and retry once."""
    try:
        return psycopg2.connect(url, application_name=application_name, connect_timeout=10)
    except psycopg2.OperationalError:
        if not restart_embedded:
            raise
        from jobinsight.db.embedded import restart_if_embedded

        if not restart_if_embedded(url):
            raise
    return psycopg2.connect(url, application_name=application_name, connect_timeout=10)


@contextmanager
def session(url: str, *, application_name: str = "jobinsight", autocommit: bool = False,
            restart_embedded: bool = True) -> Iterator[psycopg2.extensions.connection]:
    """A connection that is always closed; the caller decides where transactions begin and end.

    For work that is not one transaction: several transactions on one connection (the LLM
    cache and quota, ``with conn:`` per step), or ``autocommit=True`` for statements that
    cannot run in a transaction (``CREATE DATABASE``, ``ALTER SYSTEM``, ``ANALYZE`` after a
    load) and for session-level advisory locks that must outlive the transactions they guard.
    Anything left uncommitted when the block ends is rolled back by the close.
    """
    conn = connect(url, application_name=application_name, restart_embedded=restart_embedded)
    try:
        if autocommit:
            conn.autocommit = True
        yield conn
    finally:
        conn.close()


@contextmanager
def transaction(url: str, *, application_name: str = "jobinsight") -> Iterator[psycopg2.extensions.connection]:
    """A connection inside one transaction: commit on success, rollback on error, always closed.

    The one way product code opens a connection for a unit of work, so no caller can forget
    the rollback or the close (``with transaction(url) as conn, conn.cursor() as cur: ...``).
    """
    with session(url, application_name=application_name) as conn, conn:
        yield conn
