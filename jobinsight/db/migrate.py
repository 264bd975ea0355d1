"""Versioned schema migrations: SQL files applied once, in order, under an advisory lock.

Files are ``sql/migrations/V<NNN>__<name>.sql``. Each runs in its own transaction together
with its record in ``jobinsight_monitoring.schema_migrations``, so a failed migration leaves
nothing half-applied. A session-level advisory lock makes two processes starting at once
apply each migration exactly once. An applied file whose content changed is an error: it
would mean databases in the field and the code disagree about the schema.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jobinsight.db.connect import session, transaction
from jobinsight.settings import get_settings

_FILE_RE = re.compile(r"^V(\d{3,})__([A-Za-z0-9_]+)\.sql$")
_LOCK_KEY = "jobinsight.schema_migrations"


class MigrationError(RuntimeError):
    """Migration files and the database disagree (message says which and what to do)."""


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    path: Path
    checksum: str

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def migrations_dir() -> Path:
    """Where the migration files are.

    ``JOBINSIGHT_SQL_DIR``/migrations when set; else the files shipped in the installed package
    (``jobinsight/migrations``, mapped from the repository's ``sql/migrations`` at build time and
    found with :mod:`importlib.resources`); else, in an editable install of a checkout, the
    repository's ``sql/migrations`` itself.
    """
    override = get_settings().sql_dir
    if override is not None:
        return override.expanduser() / "migrations"
    packaged = importlib.resources.files("jobinsight") / "migrations"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "sql" / "migrations"


@cache
def _load(directory: Path) -> tuple[Migration, ...]:
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_RE.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files must be named V<NNN>__<name>.sql")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        found.append(Migration(int(match.group(1)), match.group(2), path, digest))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration versions in {directory}")
    if not found:
        raise MigrationError(f"no migration files in {directory}")
    return tuple(found)


def list_migrations() -> tuple[Migration, ...]:
    """The migration files, in version order."""
    return _load(migrations_dir())


def migrations_fingerprint() -> str:
    """A hash of every migration file: the cache key of the schema-setup phase."""
    digest = hashlib.sha256()
    for migration in list_migrations():
        digest.update(f"{migration.version}:{migration.checksum};".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class MigrationReport:
    """What :func:`apply_migrations` did."""

    applied: list[int]
    already_applied: list[int]

    @property
    def latest(self) -> int:
        return max(self.applied + self.already_applied, default=0)


_BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS jobinsight_monitoring;
CREATE TABLE IF NOT EXISTS jobinsight_monitoring.schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
"""


def apply_migrations(url: str) -> MigrationReport:
    """Bring the database at ``url`` to the latest schema; safe to call concurrently."""
    migrations = list_migrations()
    # autocommit: the advisory lock is session-level and must outlive the per-migration transactions
    with session(url, application_name="jobinsight-migrate", autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (_LOCK_KEY,))
            try:
                with conn:
                    with conn.cursor() as tx:
                        tx.execute(_BOOTSTRAP)
                cur.execute("SELECT version, checksum FROM jobinsight_monitoring.schema_migrations")
                recorded = dict(cur.fetchall())
                applied: list[int] = []
                already: list[int] = []
                for migration in migrations:
                    if migration.version in recorded:
                        if recorded[migration.version] != migration.checksum:
                            raise MigrationError(
                                f"migration {migration.path.name} was changed after it was applied to this "
                                "database. Never edit an applied migration: add a new V<NNN> file instead."
                            )
                        already.append(migration.version)
                        continue
                    with conn:
                        with conn.cursor() as tx:
                            tx.execute(migration.sql)
                            tx.execute(
                                "INSERT INTO jobinsight_monitoring.schema_migrations (version, name, checksum) "
                                "VALUES (%s, %s, %s)",
                                (migration.version, migration.name, migration.checksum),
                            )
                    applied.append(migration.version)
                unknown = sorted(set(recorded) - {m.version for m in migrations})
                if unknown:
                    raise MigrationError(
                        f"the database has migrations {unknown} that this code does not know: "
                        "it was upgraded by a newer JobInsight. Upgrade this installation."
                    )
                return MigrationReport(applied, already)
            finally:
                cur.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (_LOCK_KEY,))


def applied_migrations(url: str) -> list[tuple[int, str, str]]:
    """(version, name, applied_at) of applied migrations; empty when the schema is not set up."""
    with transaction(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('jobinsight_monitoring.schema_migrations')")
        if cur.fetchone()[0] is None:
            return []
        cur.execute(
            "SELECT version, name, applied_at::text FROM jobinsight_monitoring.schema_migrations ORDER BY version"
        )
        return list(cur.fetchall())
