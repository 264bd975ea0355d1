"""The monitoring schema: one row per pipeline run, one per phase, as figures for dashboards.

Artifacts in Prefect are for people looking at one run; these tables are for queries across
runs (trends, regressions), and they exist even when the flows run without a Prefect server.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from psycopg2.extras import execute_values

from jobinsight.db.connect import transaction
from jobinsight.options import PhaseMetric, PipelineOptions, PipelineResult


def start_run(url: str, run_id: str, flow: str, options: PipelineOptions) -> None:
    """Record that a run started (a retried flow run keeps its first start time)."""
    with transaction(url) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO jobinsight_monitoring.pipeline_runs (run_id, flow, options) VALUES (%s, %s, %s) "
            "ON CONFLICT (run_id) DO UPDATE SET finished_at = NULL, success = NULL",
            (run_id, flow, options.model_dump_json()),
        )


def finish_run(url: str, result: PipelineResult) -> None:
    """Record the outcome and stats of a run."""
    with transaction(url) as conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE jobinsight_monitoring.pipeline_runs SET finished_at = now(), success = %s, message = %s, "
            "stats = %s WHERE run_id = %s",
            (result.success, result.message, result.stats.model_dump_json(), result.run_id),
        )


def record_phases(url: str, run_id: str, flow: str, metrics: Iterable[PhaseMetric]) -> int:
    """Store per-phase metrics; returns how many rows were written."""
    rows = [
        (run_id, flow, m.phase, m.batch_no, m.duration_s, m.rows_in, m.rows_out, m.rss_mb, m.rss_delta_mb,
         m.cpu_percent, json.dumps(m.extra, default=str), m.duration_s)
        for m in metrics
    ]
    if not rows:
        return 0
    with transaction(url) as conn, conn.cursor() as cur:
        execute_values(
            cur,
            "INSERT INTO jobinsight_monitoring.phase_metrics (run_id, flow, phase, batch_no, duration_s, "
            "rows_in, rows_out, rss_mb, rss_delta_mb, cpu_percent, extra, started_at) VALUES %s",
            rows,
            # started_at is approximate (recorded after the fact): now minus the phase's duration
            template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now() - make_interval(secs => %s))",
        )
    return len(rows)
