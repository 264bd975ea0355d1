"""The migrated staging table is exactly what ``jobinsight/staging_schema.py`` declares.

Why: the declaration is what the transformer builds and the save step writes; the migrations
are what the database has. A column added to one and not the other (a new migration without a
declaration, or a declared column no migration creates) fails here.
"""

from __future__ import annotations

import psycopg2

from jobinsight import staging_schema
from jobinsight.db.migrate import apply_migrations
from tests.integration.test_migrations import LEGACY_DDL
from tests.sqlutil import sql_rows

_COLUMNS_OF = """
    SELECT column_name, data_type, is_nullable = 'YES'
      FROM information_schema.columns
     WHERE table_schema = %s AND table_name = %s
     ORDER BY ordinal_position
"""


def _declared(columns: tuple[staging_schema.StagingColumn, ...]) -> dict[str, tuple[str, bool]]:
    return {c.name: (c.pg_type, c.nullable) for c in columns}


def _in_database(url: str, relation: tuple[str, str]) -> dict[str, tuple[str, bool]]:
    return {name: (pg_type, nullable) for name, pg_type, nullable in sql_rows(url, _COLUMNS_OF, relation)}


def differences(url: str) -> dict[str, object]:
    """What differs between the declaration and the database, per relation; empty when they agree."""
    found: dict[str, object] = {}
    for relation, declared in (
        (staging_schema.TABLE, _declared(staging_schema.COLUMNS)),
        (staging_schema.VIEW, {**_declared(staging_schema.COLUMNS), **_declared(staging_schema.VIEW_COLUMNS)}),
    ):
        actual = _in_database(url, relation)
        if relation == staging_schema.VIEW:  # a view's columns are never NOT NULL in information_schema
            actual = {k: (t, True) for k, t in ((k, v[0]) for k, v in actual.items())}
            declared = {k: (t, True) for k, (t, _) in declared.items()}
        if actual != declared:
            found[".".join(relation)] = {
                "not in the database": sorted(declared.keys() - actual.keys()),
                "not declared": sorted(actual.keys() - declared.keys()),
                "different type or nullability": {k: {"declared": declared[k], "database": actual[k]}
                                                  for k in declared.keys() & actual.keys() if declared[k] != actual[k]},
            }
    return found


def test_fresh_database_matches_the_declaration(database_url: str) -> None:
    assert differences(database_url) == {}


def test_database_upgraded_from_the_original_layout_matches_the_declaration(empty_database_url: str) -> None:
    conn = psycopg2.connect(empty_database_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(LEGACY_DDL)
    finally:
        conn.close()
    apply_migrations(empty_database_url)
    assert differences(empty_database_url) == {}


def test_a_column_added_by_a_migration_only_is_reported(database_url: str) -> None:
    sql_rows(database_url, "ALTER TABLE jobinsight_staging.staging_jobs_data ADD COLUMN remote_share numeric")
    sql_rows(database_url, "ALTER TABLE jobinsight_staging.staging_jobs_data ALTER COLUMN seniority SET NOT NULL")
    found = differences(database_url)
    table = found["jobinsight_staging.staging_jobs_data"]
    assert table["not declared"] == ["remote_share"]
    assert table["different type or nullability"] == {
        "seniority": {"declared": ("text", True), "database": ("text", False)}
    }
