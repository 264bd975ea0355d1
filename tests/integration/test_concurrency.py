"""Scale-out guarantees: concurrent process runs split rows exactly once; a killed run is recovered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import psycopg2
import pytest

from jobinsight.flows.process import process_flow
from jobinsight.options import PipelineOptions, PipelineResult
from jobinsight.synthetic import generate_raw_rows
from tests.sqlutil import sql_rows

_COMPARED = ("source, job_id, title, salary, title_clean, company_name_standardized, salary_min, salary_max, "
             "salary_type, salary_currency, salary_period, location_pairs, cities, due_date, skills_normalized, "
             "seniority, job_family, work_mode, languages_required, capabilities, enrichment_version")



@pytest.mark.usefixtures("prefect_harness")
def test_four_concurrent_runs_process_every_row_exactly_once(database_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBINSIGHT_DATABASE_URL", database_url)
    generate_raw_rows(database_url, 50_000)
    results: list[PipelineResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            # Each run may take at most a quarter, so all four must run, side by side, and the
            # 50,000 rows are covered only if no row is taken twice or left behind.
            results.append(process_flow(PipelineOptions(pipeline_mode="processOnly", batch_size=1_000,
                                                        max_records=12_500)))
        except BaseException as exc:  # asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.stats.processed_records for r in results) == 50_000
    assert sorted(r.stats.processed_records for r in results) == [12_500] * 4
    assert sql_rows(database_url, "SELECT count(*), count(DISTINCT (source, job_id)) FROM jobinsight_staging.staging_jobs") \
        == [(50_000, 50_000)]
    per_run = dict(sql_rows(database_url, "SELECT run_id, count(*) FROM jobinsight_staging.staging_jobs_data GROUP BY 1"))
    assert per_run == {r.run_id: r.stats.processed_records for r in results if r.stats.processed_records}
    # no claim range was saved twice
    assert sql_rows(database_url, "SELECT count(*) FROM jobinsight_monitoring.batch_claims a "
                               "JOIN jobinsight_monitoring.batch_claims b ON a.claim_id < b.claim_id "
                               "AND a.lo_id <= b.hi_id AND b.lo_id <= a.hi_id") == [(0,)]


def test_a_run_killed_mid_batch_is_finished_by_the_next_and_matches_a_clean_run(database_url: str) -> None:
    generate_raw_rows(database_url, 20_000)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["JOBINSIGHT_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "jobinsight.cli", "process", "--batch-size", "400",
               "--claim-lease-seconds", "5", "--json"]
    victim = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 400  # the CLI starts its own temporary Prefect server first
        # (JOBINSIGHT_PREFECT_SERVER=temporary, set for the test session in tests/conftest.py)
        while time.monotonic() < deadline:  # wait until it is mid-way: some batches saved, one claimed
            saved = sql_rows(database_url, "SELECT count(*) FILTER (WHERE saved_at IS NOT NULL), "
                                        "count(*) FILTER (WHERE saved_at IS NULL) FROM jobinsight_monitoring.batch_claims")
            if saved[0][0] >= 3 and saved[0][1] >= 1:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the process run did not get going")
    finally:
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
    done = sql_rows(database_url, "SELECT count(*) FROM public.raw_jobs WHERE is_processed")[0][0]
    assert 0 < done < 20_000, "killed part-way"
    time.sleep(5.5)  # let the killed run's claim lease expire

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert sql_rows(database_url, "SELECT count(*) FROM public.raw_jobs WHERE NOT is_processed") == [(0,)]
    after_crash = sql_rows(database_url, f"SELECT {_COMPARED} FROM jobinsight_staging.staging_jobs ORDER BY source, job_id")

    # a clean single run over the same raw data
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("TRUNCATE jobinsight_staging.staging_jobs_data; TRUNCATE jobinsight_monitoring.batch_claims; "
                    "UPDATE public.raw_jobs SET is_processed = false, process_date = NULL")
    conn.close()
    clean = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert clean.returncode == 0, clean.stderr[-2000:]
    clean_rows = sql_rows(database_url, f"SELECT {_COMPARED} FROM jobinsight_staging.staging_jobs ORDER BY source, job_id")
    assert len(after_crash) == len(clean_rows) == 20_000
    assert after_crash == clean_rows
