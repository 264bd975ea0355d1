"""Wall time of the ``jobinsight`` command as a user runs it (process start to exit).

    python benchmarks/cli_wall_bench.py [--home DIR] [--repeat 3] [--json] [--keep] [--cold]

Measures, in a JOBINSIGHT_HOME of its own (a fresh temporary folder unless --home) and with
PREFECT_API_URL unset (so the product's default Prefect server is what is measured):

1. the quick-start demo, ``jobinsight run --mode all --source demo``: first run (includes
   creating the embedded database and, with the local server default, starting the Prefect
   server), then the second and later runs (target: second run <= 5 s);
2. ``jobinsight process`` over 1,000 new raw rows (inserted before each run, not timed):
   the second and later runs (target <= 2.0 s).

Wall time includes interpreter start-up and imports: it is what a person waits for. By default
the commands run as the ``jobinsight`` command does, with the warm runner (the first command
starts it; the benchmark waits until it answers and reports how long that took); ``--cold``
turns it off, so every command imports everything. At the end it stops what it started (warm
runner, local Prefect server, embedded PostgreSQL) unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

JOBINSIGHT = [sys.executable, "-m", "jobinsight"]  # the launcher, as the `jobinsight` command runs


def _env(home: Path, warm: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"PREFECT_API_URL", "JOBINSIGHT_DATABASE_URL", "JOBINSIGHT_DB_BLOCK"}}
    env["JOBINSIGHT_HOME"] = str(home)
    env["JOBINSIGHT_WARM_START"] = "true" if warm else "false"
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    return env


#: CPU seconds (user + system) of each command, beside its wall time: on a machine shared with
#: other work, wall time mostly measures the queue for a core; CPU time does not.
CPU_SECONDS: list[float] = []


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Seconds from start to exit of ``jobinsight args``; fails loudly if the command fails."""
    started, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run([*JOBINSIGHT, *args], env=env, capture_output=True, text=True, check=False, cwd=REPO)
    seconds = time.perf_counter() - started
    CPU_SECONDS.append(round(_children_cpu() - cpu, 2))
    if proc.returncode != 0:
        raise SystemExit(f"jobinsight {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return seconds, proc.stdout


def _wait_for_runner(home: Path, env: dict[str, str], timeout: float = 120) -> float:
    """Seconds until the runner started by the first command answers (0 when it already does)."""
    from jobinsight.warm.client import runner_pid

    started = time.perf_counter()
    os.environ.update(env)
    while runner_pid(home) is None:
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"no warm runner answered within {timeout} s; see {home / 'warm-runner' / 'runner.log'}")
        time.sleep(0.1)
    return round(time.perf_counter() - started, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="JOBINSIGHT_HOME to use (default: a fresh temporary folder).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each command after the first.")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true", help="Leave the servers running afterwards.")
    parser.add_argument("--cold", action="store_true",
                        help="JOBINSIGHT_WARM_START=false: every command imports everything (no warm runner).")
    args = parser.parse_args(argv)

    home = args.home or Path(tempfile.mkdtemp(prefix="jobinsight-wall-"))
    env = _env(home, warm=not args.cold)
    os.environ["JOBINSIGHT_HOME"] = str(home)
    report: dict = {"home": str(home), "python": sys.version.split()[0], "warm_runner": not args.cold}
    report["load_average_at_start"] = os.getloadavg()[0]
    try:
        first, _ = timed(["run", "--mode", "all", "--source", "demo", "--json"], env)
        if not args.cold:
            report["warm_runner_ready_after_s"] = _wait_for_runner(home, env)
        later = []
        for _ in range(args.repeat):
            seconds, out = timed(["run", "--mode", "all", "--source", "demo", "--json"], env)
            later.append(seconds)
            doc = json.loads(out)
        report["demo"] = {"first_s": round(first, 2), "later_s": [round(s, 2) for s in later],
                          "second_s": round(later[0], 2), "median_later_s": round(statistics.median(later), 2),
                          "last_run_inserted": doc["stats"]["extra"].get("inserted"),
                          "last_run_processed": doc["stats"]["extra"].get("processed"),
                          "cpu_s": CPU_SECONDS[: args.repeat + 1]}

        from jobinsight.db.embedded import server_uri
        from jobinsight.synthetic import generate_raw_rows

        db_url = server_uri(home)
        runs, start = [], 10_000_000
        for _ in range(args.repeat + 1):
            generate_raw_rows(db_url, 1_000, start=start)
            start += 1_000
            seconds, out = timed(["process", "--json"], env)
            processed = json.loads(out)["stats"]["processed_records"]
            if processed != 1_000:
                raise SystemExit(f"expected 1,000 rows processed, got {processed}")
            runs.append(seconds)
        report["process_1000_new_rows"] = {"first_s": round(runs[0], 2), "later_s": [round(s, 2) for s in runs[1:]],
                                           "median_later_s": round(statistics.median(runs[1:]), 2),
                                           "cpu_s": CPU_SECONDS[args.repeat + 1:]}
        report["load_average_at_end"] = os.getloadavg()[0]
    finally:
        if not args.keep:
            subprocess.run([*JOBINSIGHT, "stop"], env=env, capture_output=True, check=False)
            from jobinsight.db.embedded import stop_server

            stop_server(home)  # `jobinsight stop` does this too; older versions have no `stop`

    if args.json:
        print(json.dumps(report, indent=2))
    else:
        demo, proc = report["demo"], report["process_1000_new_rows"]
        print(f"warm runner: {'off (--cold)' if args.cold else 'on'}")
        print(f"JOBINSIGHT_HOME {home}; load average {report['load_average_at_start']:.1f} -> "
              f"{report['load_average_at_end']:.1f} (wall time on a busy machine is mostly waiting for a core)")
        print(f"demo run: first {demo['first_s']} s, second {demo['second_s']} s, later {demo['later_s']} "
              f"(last run: {demo['last_run_inserted']} inserted, {demo['last_run_processed']} processed)")
        print(f"process over 1,000 new rows: first {proc['first_s']} s, later {proc['later_s']} "
              f"(median {proc['median_later_s']} s)")
        print(f"CPU seconds of each command (user+system): demo {demo['cpu_s']}, process {proc['cpu_s']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
