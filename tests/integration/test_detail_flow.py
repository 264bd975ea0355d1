"""Detail pages through the flows: ``--urls`` detail scrapes, and staging fed by the detail columns."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobinsight.db.raw_upsert import upsert_raw_jobs
from jobinsight.flows.process import process_flow
from jobinsight.flows.scrape import scrape_flow
from jobinsight.options import PipelineOptions
from jobinsight.scrape.sources.demo import detail_facts
from jobinsight.scrape.sources.demo_board import DemoBoard
from jobinsight.scrape.sources.topcv import parse_listing
from jobinsight.scrape.sources.topcv_detail import parse_detail
from tests.sqlutil import sql_rows

pytestmark = pytest.mark.usefixtures("prefect_harness")

DETAIL_B = "topcv_detail_2129787_2026-04-18_thoa-thuan_2-cities_no-exp_deadline-mismatch.html"
URL_B = "https://www.topcv.vn/viec-lam/lap-trinh-vien-c-sql-uu-tien-biet-mes/2129787.html"


def test_urls_scrape_detail_pages_directly_and_process_reads_them(db: str) -> None:
    with DemoBoard(pages=1, per_page=20) as board:
        plain = [j for j in board.jobs() if not j.brand_url][:2]
        brand = next(j for j in board.jobs() if j.brand_url)
        urls = [board.url(j.path()) for j in (*plain, brand)]
        result = scrape_flow(PipelineOptions(pipeline_mode="scrapeOnly", source="topcv", urls=urls, delay_seconds=0))
        listing_requests = board.request_count("/viec-lam-it")
    assert result.success, result.message
    extra = result.stats.extra
    assert (extra["inserted"], extra["detail_pages_fetched"], extra["details_jsonld_fallback"]) == (3, 3, 1)
    assert listing_requests == 0
    assert "1 through JSON-LD only" in result.message and result.message.startswith("3 jobs from 3 pages")

    processed = process_flow(PipelineOptions(pipeline_mode="processOnly"))
    assert processed.success, processed.message
    job = plain[0]
    facts = detail_facts(job)
    row = sql_rows(db, "SELECT openings, education_level, experience_min_months, job_level, job_category, "
                       "to_char(due_date AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY') "
                       "FROM jobinsight_staging.staging_jobs WHERE job_id = %s", (job.job_id,))
    assert row == [(int(str(facts["openings"]).split()[0]),
                    {"Đại Học trở lên": "university", "Cao Đẳng trở lên": "college", "Không yêu cầu": "none",
                     "Trung cấp trở lên": "vocational"}[str(facts["education"])],
                    {"Không yêu cầu": 0, "Dưới 1 năm": 0, "1 năm": 12, "2 năm": 24, "3 năm": 36, "5 năm": 60,
                     "Trên 5 năm": 60}[job.experience],
                    facts["job_level"], ", ".join(facts["categories"]), facts["deadline"])]


def test_staging_from_a_real_detail_page_and_card(db: str, realdata: Path) -> None:
    page = realdata / "topcv_detail_html" / DETAIL_B
    listing = realdata / "topcv_listing_html" / "topcv_search_moi-nhat_2025-11-13.html"
    if not page.is_file() or not listing.is_file():
        pytest.skip("real TopCV pages not present")
    detail = parse_detail(page.read_bytes(), URL_B, fetched_at=datetime(2026, 4, 18, tzinfo=UTC))[0]
    card = parse_listing(listing.read_bytes(), "https://www.topcv.vn/tim-viec-lam-moi-nhat")[0]
    card.job_id, card.job_url = detail.job_id, URL_B
    lead = parse_detail(page.read_bytes(), URL_B.replace("2129787", "2129788"))[0]
    lead.job_level = "Trưởng nhóm"
    upsert_raw_jobs(db, [card.to_row(), detail.to_row(), lead.to_row()])

    result = process_flow(PipelineOptions(pipeline_mode="processOnly"))
    assert result.success, result.message
    rows = sql_rows(db, "SELECT job_id, to_char(due_date AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD'), cities, "
                        "experience_min_months, experience_max_months, openings, employment_type, education_level, "
                        "seniority, job_family, skills_normalized, work_mode "
                        "FROM jobinsight_staging.staging_jobs ORDER BY job_id")
    (_, due, cities, exp_min, exp_max, openings, work_form, education, seniority, family, skills, _mode) = rows[0]
    assert due == "2026-05-31"  # the visible deadline, not validThrough 2026-05-17
    assert cities == ["Hà Nội", "Hồ Chí Minh"]
    assert (exp_min, exp_max, openings, work_form, education) == (0, 0, 5, "full_time", "university")
    assert family not in ("other", "unknown")  # category "Công nghệ Thông tin, ..., System Administrator"
    assert {"C#", "SQL Server"} <= set(skills)  # named in the requirements
    assert rows[1][8] == "lead"  # the rank decides when the title says nothing
