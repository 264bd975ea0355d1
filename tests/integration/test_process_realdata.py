"""The process flow on real third-party data (../shared/realdata; skipped when absent).

Every salary string gets a non-unknown type and the right numbers; every city resolves.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from jobinsight.db.raw_upsert import upsert_raw_jobs
from jobinsight.flows.process import process_flow
from jobinsight.options import PipelineOptions
from jobinsight.scrape.sources.topcv import parse_listing
from tests.sqlutil import sql_rows

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _csv_records(realdata: Path) -> list[dict]:
    path = realdata / "topcv_detail" / "topcv_jobs_nguyenphu2009.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {"source": "topcv_detail", "job_id": row["id"], "title": row["title"], "job_url": row["url"],
         "company_name": row["comp"], "salary": row["salary"], "location": row["job_loc"],
         "deadline": row["deadline"], "skills": [row["skill"]] if row["skill"] else None,
         "payload": {"description": row["desc"], "requirements": row["req"], "level": row["level"],
                     "work_type": row["type"], "category": row["cate"]}}
        for row in rows
    ]


def _listing_records(realdata: Path) -> list[dict]:
    records = []
    for number, path in enumerate(sorted((realdata / "topcv_listing_html").glob("*.html")), start=1):
        jobs = parse_listing(path.read_bytes(), f"https://www.topcv.vn/tim-viec-lam-ke-toan?page={number}")
        records += [job.to_row() for job in jobs]
    return records



def test_real_rows_parse_completely(database_url: str, realdata: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBINSIGHT_DATABASE_URL", database_url)
    csv_records = _csv_records(realdata)
    listing_records = _listing_records(realdata)
    # every saved listing page gives cards (how many depends on the pages present)
    assert len(csv_records) == 1250 and len(listing_records) >= 50 * len(list((realdata / "topcv_listing_html").glob("*.html")))
    upsert = upsert_raw_jobs(database_url, csv_records + listing_records)
    stored = sql_rows(database_url, "SELECT count(*) FROM raw_jobs")[0][0]
    assert stored >= 1250 + 100

    result = process_flow(PipelineOptions(pipeline_mode="processOnly", batch_size=400))
    assert result.success, result.message
    # every stored row is written to staging or quarantined with its reason: none lost
    assert result.stats.processed_records + result.stats.quarantined == stored, (result.stats, upsert)

    unknown = sql_rows(database_url, "SELECT salary FROM jobinsight_staging.staging_jobs "
                                  "WHERE salary IS NOT NULL AND salary_type = 'unknown'")
    assert unknown == []
    no_city = sql_rows(database_url, "SELECT location FROM jobinsight_staging.staging_jobs "
                                  "WHERE location IS NOT NULL AND jsonb_array_length(COALESCE(cities, '[]')) = 0 "
                                  "AND country IS NULL")  # abroad ("Nhật Bản") resolves to a country
    assert no_city == []
    by_salary = dict(sql_rows(database_url, "SELECT DISTINCT ON (salary) salary, "
                                         "array[salary_type, salary_currency, salary_period, "
                                         "salary_min::text, salary_max::text] FROM jobinsight_staging.staging_jobs"))
    assert by_salary["20 - 25 triệu"] == ["range", "VND", "month", "20", "25"]
    assert by_salary["Tới 2 triệu"][:2] == ["upto", "VND"] and by_salary["Tới 2 triệu"][4] == "2"
    assert by_salary["Thoả thuận"][0] == "negotiable" and by_salary["Thoả thuận"][3] is None
    usd = [k for k in by_salary if "USD" in k and " - " in k][0]
    low, high = (float(x.replace(",", "")) for x in usd.replace("USD", "").split("-"))
    assert [float(v) for v in by_salary[usd][3:]] == [low * 25_000 / 1e6, high * 25_000 / 1e6]
    hourly = [k for k in by_salary if "/giờ" in k][0]
    assert by_salary[hourly][2] == "hour" and by_salary[hourly][3] is None  # not a monthly figure

    deadlines = sql_rows(database_url, "SELECT count(*) FILTER (WHERE due_date IS NOT NULL), count(*) "
                                    "FROM jobinsight_staging.staging_jobs WHERE source = 'topcv_detail'")
    assert deadlines == [(1250, 1250)]
    multi = sql_rows(database_url, "SELECT location_pairs FROM jobinsight_staging.staging_jobs "
                                "WHERE jsonb_array_length(location_pairs) > 1 LIMIT 1")
    assert multi and all({"city", "detail"} <= set(pair) for pair in multi[0][0])
