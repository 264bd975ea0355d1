"""Benchmark of the process flow: rows/s end to end, peak RSS, per-phase seconds.

    python benchmarks/process_bench.py --rows 1000000 [--json] [--batch-size N] [--database-url URL] [--keep]

It resolves the database like the CLI does, then works in a separate database
``<name>_bench`` on that server (dropped afterwards unless --keep), so it never touches real
data. Steps: generate N raw rows whose value shapes follow the real TopCV data (inside
PostgreSQL, not timed), run the process flow over all of them (timed), then insert 1,000 new
rows and run it again (the incremental case). Peak RSS is sampled from this process, which
is the one running the pipeline (Prefect's temporary API server runs in a subprocess).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import psutil  # noqa: E402
from psycopg2 import sql  # noqa: E402

from jobinsight.config import apply_prefect_defaults  # noqa: E402
from jobinsight.db.admin import admin_execute, with_database  # noqa: E402
from jobinsight.db.migrate import apply_migrations  # noqa: E402
from jobinsight.db.resolve import resolve_database  # noqa: E402
from jobinsight.process.tally import phase_totals  # noqa: E402
from jobinsight.synthetic import generate_raw_rows  # noqa: E402


class PeakRss:
    """Samples this process's RSS every 20 ms; ``peak_mb`` is the maximum seen."""

    def __init__(self) -> None:
        self._proc = psutil.Process()
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._proc.memory_info().rss / 1_048_576)
            self._stop.wait(0.02)

    def __enter__(self) -> PeakRss:
        self.peak_mb = self._proc.memory_info().rss / 1_048_576
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()






def main() -> int:
    apply_prefect_defaults()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--max-workers", type=int, default=None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()

    target = resolve_database(args.database_url)
    bench_name = (urlsplit(target.url).path.lstrip("/") or "postgres") + "_bench"
    admin_execute(target.url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(bench_name)))
    admin_execute(target.url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(bench_name)))
    bench_url = with_database(target.url, bench_name)
    os.environ["JOBINSIGHT_DATABASE_URL"] = bench_url
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    try:
        apply_migrations(bench_url)
        t0 = time.perf_counter()
        generate_raw_rows(bench_url, args.rows)
        log(f"generated {args.rows:,} raw rows in {time.perf_counter() - t0:.1f} s")

        from jobinsight.flows.process import process_flow
        from jobinsight.options import PipelineOptions

        overrides: dict = {"pipeline_mode": "processOnly"}
        if args.batch_size:
            overrides["batch_size"] = args.batch_size
        if args.max_workers:
            overrides["max_workers"] = args.max_workers
        options = PipelineOptions(**overrides)

        with PeakRss() as rss:
            wall0 = time.perf_counter()
            result = process_flow(options)
            wall = time.perf_counter() - wall0
        log(result.message)

        generate_raw_rows(bench_url, 1_000, start=args.rows + 1, seed=7)
        inc_wall0 = time.perf_counter()
        incremental = process_flow(options)
        inc_wall = time.perf_counter() - inc_wall0

        flow_seconds = result.stats.duration_seconds
        doc = {
            "rows": result.stats.processed_records,
            "rows_requested": args.rows,
            "batch_size": options.batch_size,
            "max_workers": options.max_workers,
            "flow_seconds": flow_seconds,
            "wall_seconds": round(wall, 3),
            "rows_per_s": round(result.stats.processed_records / flow_seconds, 1) if flow_seconds else None,
            "peak_rss_mb": round(rss.peak_mb, 1),
            "quarantined": result.stats.quarantined,
            "batches": result.stats.batch_count,
            "phases": {t["phase"]: round(t["seconds"], 3) for t in phase_totals(result.phases)},
            "phase_detail": phase_totals(result.phases),
            "parse_rates": result.stats.extra.get("parse_rates"),
            "incremental": {
                "rows": incremental.stats.processed_records,
                "flow_seconds": incremental.stats.duration_seconds,
                "wall_seconds": round(inc_wall, 3),
            },
            "database": target.masked_url.rsplit("/", 1)[0] + "/" + bench_name,
            "server": target.kind,
        }
    finally:
        if not args.keep:
            admin_execute(target.url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(bench_name)))

    if args.json:
        print(json.dumps(doc, indent=2, default=str))
    else:
        print(f"rows            {doc['rows']:,}")
        print(f"rows/s          {doc['rows_per_s']:,} (flow time {doc['flow_seconds']} s, wall {doc['wall_seconds']} s)")
        print(f"peak RSS        {doc['peak_rss_mb']} MB")
        print(f"batches         {doc['batches']} x {doc['batch_size']:,}")
        for phase, seconds in doc["phases"].items():
            print(f"  {phase:<20} {seconds:8.2f} s")
        print(f"incremental     {doc['incremental']['rows']:,} new rows in {doc['incremental']['flow_seconds']} s "
              f"of flow time ({doc['incremental']['wall_seconds']} s wall)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
