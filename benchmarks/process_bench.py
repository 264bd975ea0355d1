"""Benchmark of the process flow: rows/s, where the memory goes, and the database's floor.

    python benchmarks/process_bench.py --rows 1000000 [--json] [--batch-size N] [--max-workers N]
                                       [--database-url URL] [--keep]

It resolves the database like the CLI does, then works in a separate database
``<name>_bench`` on that server (dropped afterwards unless --keep), so it never touches real
data. Steps:

1. generate N raw rows whose value shapes follow the real TopCV data (inside PostgreSQL, not timed);
2. run the process flow over all of them against a child Prefect server (timed; memory sampled);
3. insert 1,000 new rows and run it again (the incremental case);
4. the **floor**: the same staging rows COPYed into an UNLOGGED table of the staging shape (no
   index) plus the one UPDATE that marks the raw rows processed, one transaction — the least
   database work any implementation must do. Our flow time is printed as a multiple of it.

Memory: RSS is sampled every 20 ms for the pipeline process (this one) and for its process
tree (plus the temporary Prefect API server it started, if any; PostgreSQL is not counted).
The tree figure is a sum of RSS, so shared library pages are counted once per process.
Reported: the baseline after imports, the peak while Prefect starts the flow run, and the
peak while each phase runs (a sample counts for every phase running at that moment; saves
overlap the next batch's loading and processing).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import psutil  # noqa: E402
from psycopg2 import sql  # noqa: E402

import jobinsight.metrics as metrics  # noqa: E402
from jobinsight.config import apply_prefect_defaults  # noqa: E402
from jobinsight.db.admin import admin_execute, with_database  # noqa: E402
from jobinsight.db.connect import connect  # noqa: E402
from jobinsight.db.migrate import apply_migrations  # noqa: E402
from jobinsight.db.resolve import resolve_database  # noqa: E402
from jobinsight.process.tally import phase_totals  # noqa: E402
from jobinsight.synthetic import generate_raw_rows  # noqa: E402

_MB = 1_048_576


class _ActivePhases:
    """Which phases are running right now (phases run in the flow's thread and in save threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def enter(self, phase: str) -> None:
        with self._lock:
            self._counts[phase] += 1

    def leave(self, phase: str) -> None:
        with self._lock:
            self._counts[phase] -= 1

    def now(self) -> list[str]:
        with self._lock:
            return [p for p, c in self._counts.items() if c > 0]


ACTIVE = _ActivePhases()
_measure = metrics.measure


@contextlib.contextmanager
def _tracked_measure(phase: str, batch_no: int | None = None) -> Iterator[metrics.PhaseTimer]:
    ACTIVE.enter(phase)
    try:
        with _measure(phase, batch_no) as timer:
            yield timer
    finally:
        ACTIVE.leave(phase)


# Installed before the flow modules import ``measure``, so the sampler knows which phase runs.
metrics.measure = _tracked_measure


class MemorySampler:
    """Samples RSS of this process and of its tree every 20 ms; peaks overall, per label and phase.

    Why the tree is re-listed only every ``refresh_s``: listing children scans every process in
    /proc; done every 20 ms it cost ~5 s of CPU per 1M-row run, taken from the flow it measures on
    two cores. The tree's members (the temporary Prefect server) live for the whole run.
    """

    def __init__(self, interval_s: float = 0.02, refresh_s: float = 0.5) -> None:
        self._proc = psutil.Process()
        self._interval = interval_s
        self._refresh_s = refresh_s
        self._members: list[psutil.Process] = []
        self._listed_at = float("-inf")
        self._listed_pids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.label = "outside"
        self.peak: dict[str, float] = {"process": 0.0, "tree": 0.0}
        self.by_label: dict[str, dict[str, float]] = {}
        self.extra_pids: set[int] = set()

    def _list_members(self) -> list[psutil.Process]:
        """The pipeline's other processes: its children and ``extra_pids``, not PostgreSQL's."""
        members: dict[int, psutil.Process] = {}
        procs = self._proc.children(recursive=True)
        for pid in self.extra_pids:
            with contextlib.suppress(psutil.Error):
                procs.append(psutil.Process(pid))
        for child in procs:
            if child.pid == self._proc.pid or child.pid in members:
                continue
            with contextlib.suppress(psutil.Error):
                if not child.name().startswith("postgres"):  # the database is not the pipeline
                    members[child.pid] = child
        return list(members.values())

    def _tree_rss(self, own: int) -> int:
        now = time.monotonic()
        if now - self._listed_at >= self._refresh_s or not self.extra_pids <= self._listed_pids:
            self._listed_pids = set(self.extra_pids)
            self._members, self._listed_at = self._list_members(), now
        total = own
        for member in self._members:
            with contextlib.suppress(psutil.Error):
                total += member.memory_info().rss
        return total

    def sample(self) -> None:
        own = self._proc.memory_info().rss
        tree = self._tree_rss(own) / _MB
        own /= _MB
        self.peak["process"] = max(self.peak["process"], own)
        self.peak["tree"] = max(self.peak["tree"], tree)
        for label in ACTIVE.now() or [self.label]:
            entry = self.by_label.setdefault(label, {"process": 0.0, "tree": 0.0})
            entry["process"] = max(entry["process"], own)
            entry["tree"] = max(entry["tree"], tree)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.sample()
            self._stop.wait(self._interval)

    def __enter__(self) -> MemorySampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def report(self) -> dict:
        rounded = {k: {m: round(v, 1) for m, v in d.items()} for k, d in self.by_label.items()}
        return {"peak_rss_mb": round(self.peak["process"], 1), "peak_tree_rss_mb": round(self.peak["tree"], 1),
                "by_phase": rounded}


class CpuAccount:
    """CPU seconds spent during the flow: the whole machine (from /proc/stat), this process, the
    temporary Prefect server. Why: on two cores the question is whether the flow waits (idle
    CPU left) or is CPU-bound (then only less work per row makes it faster)."""

    def __init__(self, server_pid: int | None) -> None:
        self._server = psutil.Process(server_pid) if server_pid else None
        self._machine0 = psutil.cpu_times()
        self._own0 = sum(psutil.Process().cpu_times()[:2])
        self._server0 = sum(self._server.cpu_times()[:2]) if self._server else 0.0

    def stop(self, wall_s: float) -> dict:
        machine1 = psutil.cpu_times()
        idle = (machine1.idle + machine1.iowait) - (self._machine0.idle + self._machine0.iowait)
        total = sum(machine1) - sum(self._machine0)
        cores = psutil.cpu_count() or 1
        busy = total - idle
        own = sum(psutil.Process().cpu_times()[:2]) - self._own0
        server = sum(self._server.cpu_times()[:2]) - self._server0 if self._server else 0.0
        return {"cores": cores, "machine_available_s": round(wall_s * cores, 1), "machine_busy_s": round(busy, 1),
                "machine_idle_pct": round(100 * idle / total, 1) if total else None,
                "pipeline_s": round(own, 1), "prefect_server_s": round(server, 1),
                "other_s": round(busy - own - server, 1)}


@contextlib.contextmanager
def _prefect_api() -> Iterator[int | None]:
    """A temporary Prefect server in a child process unless PREFECT_API_URL is set.

    Yields the server's pid (None when the API is configured, or on code older than
    ``jobinsight.prefect_api``, where Prefect starts it from inside the flow call).
    """
    try:
        from jobinsight.prefect_api import prefect_api
    except ImportError:
        yield None
        return
    with prefect_api() as server:
        yield server.pid if server is not None else None


def measure_floor(url: str, max_raw_id: int) -> dict:
    """COPY the staging rows of raw ids <= max_raw_id into an UNLOGGED table of the staging shape and
    mark those raw rows processed: one transaction, timed (the data is read out first, not timed)."""
    conn = connect(url, application_name="jobinsight-bench-floor")
    try:
        with tempfile.TemporaryFile() as spool:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) "
                            "FROM information_schema.columns "
                            "WHERE table_schema = 'jobinsight_staging' AND table_name = 'staging_jobs_data'")
                columns = sql.SQL(cur.fetchone()[0])  # names from the catalog, quoted by the server
                cur.copy_expert(sql.SQL("COPY (SELECT {} FROM jobinsight_staging.staging_jobs_data WHERE raw_id <= {}) "
                                        "TO STDOUT").format(columns, sql.Literal(max_raw_id)).as_string(conn), spool)
                cur.execute("DROP TABLE IF EXISTS public.bench_floor")
                cur.execute("CREATE UNLOGGED TABLE public.bench_floor "
                            "(LIKE jobinsight_staging.staging_jobs_data INCLUDING DEFAULTS)")
            spool.seek(0)
            started = time.perf_counter()
            with conn, conn.cursor() as cur:
                cur.copy_expert("COPY public.bench_floor FROM STDIN", spool)
                copied = cur.rowcount
                copy_s = time.perf_counter() - started
                cur.execute("UPDATE public.raw_jobs SET is_processed = true, process_date = now(), "
                            "process_error = NULL WHERE id <= %s", (max_raw_id,))
                updated = cur.rowcount
            seconds = time.perf_counter() - started
        with conn, conn.cursor() as cur:
            cur.execute("DROP TABLE public.bench_floor")
    finally:
        conn.close()
    return {"rows": copied, "raw_rows_updated": updated, "seconds": round(seconds, 3),
            "copy_seconds": round(copy_s, 3), "rows_per_s": round(copied / seconds, 1) if seconds else None}


def _max_raw_id(url: str) -> int:
    conn = connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT coalesce(max(id), 0) FROM public.raw_jobs")
            return int(cur.fetchone()[0])
    finally:
        conn.close()


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
    load_before = os.getloadavg()
    try:
        apply_migrations(bench_url)
        t0 = time.perf_counter()
        generate_raw_rows(bench_url, args.rows)
        log(f"generated {args.rows:,} raw rows in {time.perf_counter() - t0:.1f} s")
        max_id = _max_raw_id(bench_url)

        from jobinsight.flows.process import process_flow
        from jobinsight.options import PipelineOptions

        baseline_mb = psutil.Process().memory_info().rss / _MB  # after every import the run needs
        overrides: dict = {"pipeline_mode": "processOnly"}
        if args.batch_size:
            overrides["batch_size"] = args.batch_size
        if args.max_workers:
            overrides["max_workers"] = args.max_workers
        options = PipelineOptions(**overrides)

        with MemorySampler() as memory:
            memory.label = "prefect api start"
            with _prefect_api() as server_pid:
                if server_pid is not None:
                    memory.extra_pids.add(server_pid)
                memory.label = "flow start and finish (no phase running)"
                cpu = CpuAccount(server_pid)
                wall0 = time.perf_counter()
                result = process_flow(options)
                wall = time.perf_counter() - wall0
                cpu_doc = cpu.stop(wall)
                memory.label = "incremental run"
                generate_raw_rows(bench_url, 1_000, start=args.rows + 1, seed=7)
                inc_wall0 = time.perf_counter()
                incremental = process_flow(options)
                inc_wall = time.perf_counter() - inc_wall0
                memory.label = "after"
        log(result.message)
        log("measuring the floor (COPY into an unlogged table + raw flag update)")
        floor = measure_floor(bench_url, max_id)

        flow_seconds = result.stats.duration_seconds
        mem = memory.report()
        doc = {
            "rows": result.stats.processed_records,
            "rows_requested": args.rows,
            "batch_size": options.batch_size,
            "max_workers": options.max_workers,
            "flow_seconds": flow_seconds,
            "wall_seconds": round(wall, 3),
            "rows_per_s": round(result.stats.processed_records / flow_seconds, 1) if flow_seconds else None,
            "peak_rss_mb": mem["peak_rss_mb"],
            "peak_tree_rss_mb": mem["peak_tree_rss_mb"],
            "memory": {"baseline_after_imports_mb": round(baseline_mb, 1), "by_phase": mem["by_phase"]},
            "floor": floor,
            "cpu": cpu_doc,
            "floor_multiple": round(flow_seconds / floor["seconds"], 2) if floor["seconds"] else None,
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
            "load_average": {"before": [round(x, 2) for x in load_before],
                             "after": [round(x, 2) for x in os.getloadavg()]},
        }
    finally:
        if not args.keep:
            admin_execute(target.url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(bench_name)))

    if args.json:
        print(json.dumps(doc, indent=2, default=str))
    else:
        print(f"rows            {doc['rows']:,}  ({doc['server']} server, load average {doc['load_average']['before'][0]})")
        print(f"rows/s          {doc['rows_per_s']:,} (flow time {doc['flow_seconds']} s, wall {doc['wall_seconds']} s)")
        print(f"floor           {floor['seconds']} s ({floor['rows_per_s']:,} rows/s: COPY into an unlogged table "
              f"+ raw flag update); our flow time = {doc['floor_multiple']} x floor")
        print(f"peak RSS        {doc['peak_rss_mb']} MB pipeline process, {doc['peak_tree_rss_mb']} MB tree "
              "(+ temporary Prefect server)")
        print(f"  baseline after imports {doc['memory']['baseline_after_imports_mb']} MB; peaks while:")
        for label, peaks in doc["memory"]["by_phase"].items():
            print(f"  {label:<42} {peaks['process']:7.1f} MB  (tree {peaks['tree']:.1f} MB)")
        c = doc["cpu"]
        print(f"CPU             {c['machine_busy_s']} s busy of {c['machine_available_s']} s on {c['cores']} cores "
              f"({c['machine_idle_pct']} % idle): pipeline process {c['pipeline_s']} s, Prefect server "
              f"{c['prefect_server_s']} s, PostgreSQL and the rest of the machine {c['other_s']} s")
        print(f"batches         {doc['batches']} x {doc['batch_size']:,}")
        for phase, seconds in doc["phases"].items():
            print(f"  {phase:<20} {seconds:8.2f} s")
        print(f"incremental     {doc['incremental']['rows']:,} new rows in {doc['incremental']['flow_seconds']} s "
              f"of flow time ({doc['incremental']['wall_seconds']} s wall)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
