"""One helper for tests that read the database directly: run a statement, get its rows."""

from __future__ import annotations

import psycopg2


def sql_rows(url: str, statement: str, params: tuple | dict = ()) -> list[tuple]:
    """Run ``statement`` in its own transaction; its rows, or ``[]`` for a statement without any."""
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement, params or None)  # no params: a literal % stays a %
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()
