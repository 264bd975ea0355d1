"""Raw upsert: counts, NULL handling, change detection, duplicates, quarantine of bad records."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg2

from jobinsight.db.raw_upsert import upsert_raw_jobs
from tests.sqlutil import sql_rows


def _record(job_id: str, **overrides) -> dict:
    base = {"source": "topcv", "job_id": job_id, "title": f"Kế toán {job_id}", "job_url": None,
            "company_name": "CÔNG TY TNHH A", "salary": "10 - 15 triệu", "skills": ["Excel"], "location": "Hà Nội",
            "location_detail": None, "deadline": "30", "verified_employer": True, "last_update": "Cập nhật 1 giờ trước",
            "logo_url": None, "posted_time": datetime(2026, 11, 1, tzinfo=UTC), "payload": {"exp": "1 năm"}}
    base.update(overrides)
    return base


def test_insert_update_unchanged_and_reprocessing_flag(database_url: str) -> None:
    first = upsert_raw_jobs(database_url, [_record("1"), _record("2"), _record("3", salary=None)])
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    assert sql_rows(database_url, "SELECT salary IS NULL, company_url IS NULL FROM public.raw_jobs WHERE job_id='3'") \
        == [(True, True)]
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE public.raw_jobs SET is_processed = true")
    conn.close()

    # volatile last_update changes, content does not -> unchanged, still processed
    second = upsert_raw_jobs(database_url, [_record("1", last_update="Cập nhật 5 phút trước"), _record("2"),
                                            _record("3", salary=None)])
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 3)
    # salary changes on job 2 -> updated, back to unprocessed
    third = upsert_raw_jobs(database_url, [_record("2", salary="20 - 25 triệu"), _record("3", salary="")])
    assert (third.inserted, third.updated, third.unchanged) == (0, 2, 0)
    flags = dict(sql_rows(database_url, "SELECT job_id, is_processed FROM public.raw_jobs"))
    assert flags == {"1": True, "2": False, "3": False}
    assert sql_rows(database_url, "SELECT salary FROM public.raw_jobs WHERE job_id='3'") == [("",)]  # '' is not NULL


def test_duplicates_collapse_and_bad_records_are_quarantined(database_url: str) -> None:
    result = upsert_raw_jobs(database_url, [
        _record("1", salary="1"), _record("1", salary="2"),  # duplicate in one crawl: last wins
        _record("", title="no id"), _record("4", title=None), _record("5", title="NUL\x00 byte"),
        _record("6", verified_employer="yes"),
    ], run_id="r1")
    assert result.inserted == 2 and result.duplicates_collapsed == 1 and result.quarantined == 3
    assert sql_rows(database_url, "SELECT salary FROM public.raw_jobs WHERE job_id='1'") == [("2",)]
    assert sql_rows(database_url, "SELECT title FROM public.raw_jobs WHERE job_id='5'") == [("NUL byte",)]
    reasons = sorted(r[0] for r in sql_rows(database_url, "SELECT reason FROM jobinsight_monitoring.quarantine "
                                                       "WHERE stage = 'scrape'"))
    assert reasons == ["missing job_id", "missing title", "verified_employer is str, not a boolean"]
