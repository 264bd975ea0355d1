"""V007 staging columns: written by the save path, exposed by the view, raw keeps the original URL."""

from __future__ import annotations

import pandas as pd

from jobinsight.db.raw_upsert import upsert_raw_jobs
from jobinsight.process.claims import claim_batch
from jobinsight.process.load import load_batch
from jobinsight.process.save import save_batch
from jobinsight.transform.batch import transform_batch
from tests.sqlutil import sql_rows

DOUBLED = "https://www.topcv.vnhttps://www.topcv.vn/viec-lam/ke-toan/123.html"


def _record(job_id: str, **overrides) -> dict:
    base = {"source": "jsonld", "job_id": job_id, "title": "Kế toán", "job_url": None, "company_name": "A",
            "salary": "10 - 15 triệu", "skills": ["Excel"], "location": "Hà Nội", "location_detail": None,
            "deadline": "30", "verified_employer": None, "last_update": None, "logo_url": None,
            "posted_time": None, "payload": {}}
    base.update(overrides)
    return base


def test_quality_columns_round_trip_through_save_and_view(database_url: str) -> None:
    upsert_raw_jobs(database_url, [
        _record("1", title="Senior Data Analyst - Thu Nhập Từ...", job_url=DOUBLED,
                company_name="Tecolote Research\n3.8", salary="$53K-$91K (Glassdoor est.)", location="New York, NY"),
        _record("2", title="Bếp Trưởng", salary="-1", location="Quốc tế",
                payload={"description": "The base salary range is between $148,200 and $239,800 annually."}),
        _record("3", title="Nhân viên kinh doanh", salary="2 tỷ", location="Hà Nội, Hồ Chí Minh (mới)",
                payload={"level": "Trưởng nhóm"}),
    ])
    claim = claim_batch(database_url, run_id="q", mode="unprocessed", after_id=0, limit=100, lease_seconds=600,
                        max_attempts=3)
    outcome = transform_batch(load_batch(database_url, claim))
    assert outcome.quarantined.empty
    save_batch(database_url, claim, outcome.staging, pd.DataFrame(columns=["raw_id", "reason"]), "q")

    rows = {r[0]: r[1:] for r in sql_rows(database_url, """
        SELECT job_id, job_url, title_truncated, title_clean, company_name_standardized, company_rating,
               salary_period, salary_suspect, salary_source, country, region, cities, seniority, occupation_isco,
               job_family
          FROM jobinsight_staging.staging_jobs ORDER BY job_id""")}
    url, truncated, clean, company, rating, period, suspect, source, country, region, cities, level, isco, fam = rows["1"]
    assert url == "https://www.topcv.vn/viec-lam/ke-toan/123.html"
    assert truncated is True and not clean.endswith("...")
    assert company == "Tecolote Research" and float(rating) == 3.8
    assert (period, suspect, source) == ("year", False, "posted")
    assert (country, region, cities) == ("US", "NY", ["New York"])
    assert (level, fam, isco) == ("senior", "data", "25")

    _, _, _, _, _, period, suspect, source, country, region, cities, level, isco, fam = rows["2"]
    assert (source, period, country, cities) == ("text", "year", "ZZ", [])
    assert (level, fam, isco) == ("manager", "hospitality", "14")

    _, _, _, _, _, _, suspect, source, country, _, cities, level, _, _ = rows["3"]
    assert suspect is True and source == "posted"  # 2,000 M VND a month: kept, flagged
    assert country == "VN" and cities == ["Hà Nội", "Hồ Chí Minh"]
    assert level == "lead"  # from the detail page's rank
    # raw keeps what was scraped
    assert sql_rows(database_url, "SELECT job_url FROM public.raw_jobs WHERE job_id = '1'")[0][0] == DOUBLED


def test_v007_columns_are_nullable_on_rows_staged_before_it(database_url: str) -> None:
    cols = dict(sql_rows(database_url, """
        SELECT column_name, is_nullable FROM information_schema.columns
         WHERE table_schema = 'jobinsight_staging' AND table_name = 'staging_jobs'
           AND column_name IN ('occupation_isco', 'country', 'region', 'salary_suspect', 'salary_source',
                               'title_truncated', 'company_rating')"""))
    assert cols == dict.fromkeys(("occupation_isco", "country", "region", "salary_suspect", "salary_source",
                                  "title_truncated", "company_rating"), "YES")
