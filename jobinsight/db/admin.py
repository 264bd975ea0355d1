"""Server-level helpers: another database on the same server, statements outside a transaction.

The benchmarks and the tests create and drop whole databases next to the product's one;
``CREATE/DROP DATABASE`` cannot run inside a transaction and must not run in the database
being dropped, hence the maintenance database and autocommit.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from psycopg2 import sql

from jobinsight.db.connect import session


def with_database(url: str, database: str) -> str:
    """The same server URL (host, socket, user, query parameters) pointing at ``database``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def admin_execute(url: str, statement: sql.Composable, *, maintenance_db: str | None = "postgres") -> None:
    """Run one statement in autocommit mode, in the server's maintenance database by default."""
    target = with_database(url, maintenance_db) if maintenance_db else url
    with session(target, application_name="jobinsight-admin", autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(statement)
