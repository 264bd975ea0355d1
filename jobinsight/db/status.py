"""What ``jobinsight db status`` reports: where the database is, migrations and row counts."""

from __future__ import annotations

from typing import Any

from jobinsight.db.connect import transaction
from jobinsight.db.migrate import applied_migrations, list_migrations
from jobinsight.db.resolve import DatabaseTarget

_COUNTS = """
SELECT
    (SELECT count(*) FROM public.raw_jobs),
    (SELECT count(*) FROM public.raw_jobs WHERE is_processed),
    (SELECT count(*) FROM public.raw_jobs WHERE NOT is_processed AND process_error IS NULL),
    (SELECT count(*) FROM public.raw_jobs WHERE NOT is_processed AND process_error IS NOT NULL),
    (SELECT count(*) FROM jobinsight_staging.staging_jobs_data),
    (SELECT count(*) FROM jobinsight_monitoring.quarantine WHERE status = 'open'),
    (SELECT count(*) FROM jobinsight_monitoring.pipeline_runs)
"""


def database_status(target: DatabaseTarget) -> dict[str, Any]:
    """A JSON-ready status document; counts are present once the schema is set up."""
    applied = applied_migrations(target.url)
    known = [m.version for m in list_migrations()]
    applied_versions = [v for v, _, _ in applied]
    status: dict[str, Any] = {
        "database": {"url": target.masked_url, "kind": target.kind, "origin": target.origin},
        "server_version": _server_version(target.url),
        "migrations": {
            "applied": applied_versions,
            "pending": [v for v in known if v not in applied_versions],
            "latest": max(applied_versions, default=0),
        },
        "schema_ready": bool(applied_versions) and not [v for v in known if v not in applied_versions],
    }
    if status["schema_ready"]:
        with transaction(target.url) as conn, conn.cursor() as cur:
            cur.execute(_COUNTS)
            raw, processed, unprocessed, failed, staging, quarantined, runs = cur.fetchone()
        status["counts"] = {
            "raw_jobs": raw,
            "processed": processed,
            "unprocessed": unprocessed,
            "failed": failed,
            "staging_jobs": staging,
            "quarantined_open": quarantined,
            "pipeline_runs": runs,
        }
    return status


def _server_version(url: str) -> str:
    with transaction(url) as conn, conn.cursor() as cur:
        cur.execute("SHOW server_version")
        return str(cur.fetchone()[0])
