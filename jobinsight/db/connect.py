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


def connect(url: str, *, application_name: str = "jobinsight") -> psycopg2.extensions.connection:
    """A new connection; a failure becomes a one-paragraph, password-free message."""
    try:
        return _connect_or_restart(url, application_name)
    except psycopg2.OperationalError as exc:
        detail = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                       passwords_of(url))
        raise DatabaseUnavailableError(
            f"Could not connect to PostgreSQL at {mask_url(url)}: {detail}. "
            "Check that the server is running and the URL is right (JOBINSIGHT_DATABASE_URL / "
            "--database-url), or unset them to use the embedded server."
        ) from None


def _connect_or_restart(url: str, application_name: str) -> psycopg2.extensions.connection:
    """Connect; if the server is the embedded one and it stopped, start it again and retry once."""
    try:
        return psycopg2.connect(url, application_name=application_name, connect_timeout=10)
    except psycopg2.OperationalError:
        from jobinsight.db.embedded import restart_if_embedded

        if not restart_if_embedded(url):
            raise
    return psycopg2.connect(url, application_name=application_name, connect_timeout=10)


@contextmanager
def transaction(url: str, *, application_name: str = "jobinsight") -> Iterator[psycopg2.extensions.connection]:
    """A connection inside one transaction: commit on success, rollback on error, always closed.

    The one way product code opens a connection for a unit of work, so no caller can forget
    the rollback or the close (``with transaction(url) as conn, conn.cursor() as cur: ...``).
    """
    conn = connect(url, application_name=application_name)
    try:
        with conn:
            yield conn
    finally:
        conn.close()
