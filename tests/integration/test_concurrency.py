"""Scale-out guarantee: a killed run is recovered by the next and matches a clean run.

The row counts are small on purpose (a few thousand, small batches): what is tested is the
claiming, not throughput, which the benchmarks measure. Concurrent runs splitting the rows
exactly once: tests/e2e/test_two_workers.py (flows on workers) and tests/integration/test_claims.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg2
import pytest

from jobinsight.flows.process import process_flow
from jobinsight.options import PipelineOptions
from jobinsight.synthetic import generate_raw_rows
from tests.sqlutil import sql_rows

_COMPARED = ("source, job_id, title, salary, title_clean, company_name_standardized, salary_min, salary_max, "
             "salary_type, salary_currency, salary_period, location_pairs, cities, due_date, skills_normalized, "
             "seniority, job_family, work_mode, languages_required, capabilities, enrichment_version")

#: The killed-run scenario: ten claim rounds, so the run is killed (after three saves) well before its end.
KILLED_ROWS, KILLED_BATCH = 2_000, 200


def test_a_run_killed_mid_batch_is_finished_by_the_next_and_matches_a_clean_run(
        database_url: str, prefect_api_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The victim is a real CLI process (killed with SIGKILL); the rerun and the clean run are the
    same flow with the same options in this process, on the same Prefect server."""
    generate_raw_rows(database_url, KILLED_ROWS)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["JOBINSIGHT_DATABASE_URL"] = database_url
    # The session's Prefect server, so each CLI run does not start a temporary one first (~15 s).
    env["PREFECT_API_URL"] = prefect_api_url
    command = [sys.executable, "-m", "jobinsight.cli", "process", "--batch-size", str(KILLED_BATCH),
               "--claim-lease-seconds", "5", "--json"]
    victim = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 400  # only against a hang: nothing asserts how long it takes
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
    assert 0 < done < KILLED_ROWS, "killed part-way"
    time.sleep(5.5)  # let the killed run's claim lease expire

    monkeypatch.setenv("JOBINSIGHT_DATABASE_URL", database_url)
    options = PipelineOptions(pipeline_mode="processOnly", batch_size=KILLED_BATCH, claim_lease_seconds=5)
    rerun = process_flow(options)
    assert rerun.success and rerun.outcome == "completed", rerun.message
    assert sql_rows(database_url, "SELECT count(*) FROM public.raw_jobs WHERE NOT is_processed") == [(0,)]
    after_crash = sql_rows(database_url, f"SELECT {_COMPARED} FROM jobinsight_staging.staging_jobs ORDER BY source, job_id")

    # a clean single run over the same raw data
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("TRUNCATE jobinsight_staging.staging_jobs_data; TRUNCATE jobinsight_monitoring.batch_claims; "
                    "UPDATE public.raw_jobs SET is_processed = false, process_date = NULL")
    conn.close()
    clean = process_flow(options)
    assert clean.success and clean.outcome == "completed", clean.message
    clean_rows = sql_rows(database_url, f"SELECT {_COMPARED} FROM jobinsight_staging.staging_jobs ORDER BY source, job_id")
    assert len(after_crash) == len(clean_rows) == KILLED_ROWS
    assert after_crash == clean_rows
