"""Raw rows changed by other writers (plain SQL, an external crawler) reach staging.

Before: only our upsert updated ``content_hash`` and cleared ``is_processed``; a title fixed by a
direct ``UPDATE`` stayed processed with its old hash and staging kept the old title forever.
"""

from __future__ import annotations

import pytest

from jobinsight.db.raw_upsert import upsert_raw_jobs
from jobinsight.flows.process import process_flow
from jobinsight.options import PipelineOptions
from tests.reliability.conftest import accounted_for, sql_exec, sql_rows, sql_value

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _records(n: int, salary: str = "10 - 15 triệu") -> list[dict]:
    return [{"source": "topcv", "job_id": str(i), "title": f"Kế toán {i}", "salary": salary,
             "payload": {"description": f"d{i}", "fetched_at": "2026-11-29T10:00:00"}} for i in range(n)]


def _process() -> None:
    result = process_flow(PipelineOptions(pipeline_mode="processOnly", batch_size=100))
    assert result.success and result.outcome == "completed", result.message


def test_direct_sql_update_and_insert_reach_staging(flow_db: str) -> None:
    upsert_raw_jobs(flow_db, _records(5))
    _process()
    sql_exec(flow_db, "UPDATE public.raw_jobs SET title = 'Kế toán trưởng', salary = '30 - 40 triệu' "
                      "WHERE job_id = '1'")
    sql_exec(flow_db, "INSERT INTO public.raw_jobs (source, job_id, title, salary) "
                      "VALUES ('external', 'x1', 'Lập trình viên Java', '20 triệu')")
    hashes = dict(sql_rows(flow_db, "SELECT job_id, content_hash = public.jobinsight_content_hash(title, job_url, "
                                    "company_name, company_url, salary, skills, location, location_detail, deadline, "
                                    "verified_employer, logo_url, payload) AND NOT is_processed "
                                    "FROM public.raw_jobs WHERE job_id IN ('1', 'x1')"))
    assert hashes == {"1": True, "x1": True}
    _process()
    staged = dict(sql_rows(flow_db, "SELECT job_id, title FROM jobinsight_staging.staging_jobs_data"))
    assert staged["1"] == "Kế toán trưởng" and staged["x1"] == "Lập trình viên Java"
    assert sql_value(flow_db, "SELECT salary_max FROM jobinsight_staging.staging_jobs_data WHERE job_id = '1'") == 40
    counts = accounted_for(flow_db)
    assert counts["raw"] == 6 == counts["staged"] and counts["waiting"] == 0


def test_our_own_writes_keep_their_meaning_under_the_trigger(flow_db: str) -> None:
    assert upsert_raw_jobs(flow_db, _records(5)).inserted == 5
    _process()
    # a re-crawl with the same content (only volatile parts differ) leaves the rows processed
    again = [{**r, "payload": {**r["payload"], "fetched_at": "2026-11-30T10:00:00"}} for r in _records(5)]
    assert upsert_raw_jobs(flow_db, again).unchanged == 5
    assert sql_value(flow_db, "SELECT count(*) FROM public.raw_jobs WHERE is_processed") == 5
    # a re-crawl with new content: changed, exactly as before the trigger
    assert upsert_raw_jobs(flow_db, _records(5, salary="Thỏa thuận")).updated == 5
    assert sql_value(flow_db, "SELECT count(*) FROM public.raw_jobs WHERE NOT is_processed") == 5
    # a write that only touches bookkeeping is not content: the row stays as it is
    _process()
    sql_exec(flow_db, "UPDATE public.raw_jobs SET process_date = now(), last_seen_at = now()")
    assert sql_value(flow_db, "SELECT count(*) FROM public.raw_jobs WHERE is_processed") == 5
