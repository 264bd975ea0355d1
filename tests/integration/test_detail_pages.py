"""Listings and details: one raw row per posting, detail following on the demo board, budget, upgrade."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobinsight.db.detail_state import known_postings
from jobinsight.db.raw_upsert import upsert_raw_jobs
from jobinsight.options import PipelineOptions
from jobinsight.scrape.crawl import crawl_listing
from jobinsight.scrape.fetcher import FetchSettings
from jobinsight.scrape.runner import SourceTarget, follow_details
from jobinsight.scrape.sources.demo import CANONICAL_BASE, render_listing
from jobinsight.scrape.sources.demo_board import DemoBoard, StaticSite
from jobinsight.scrape.sources.topcv import parse_listing
from jobinsight.scrape.sources.topcv_detail import parse_detail
from tests.sqlutil import sql_rows

FAST = FetchSettings(delay_seconds=0.0, concurrency=4)
DETAIL_B = "topcv_detail_2129787_2026-04-18_thoa-thuan_2-cities_no-exp_deadline-mismatch.html"
URL_B = "https://www.topcv.vn/viec-lam/lap-trinh-vien-c-sql-uu-tien-biet-mes/2129787.html"
ROW = ("SELECT title, company_name, salary, location, deadline, skills, verified_employer, last_update, "
       "description, requirements, benefits, job_level, experience, education, openings, employment_type, "
       "job_category, work_locations, detail_scraped_at IS NOT NULL, content_hash, listing_hash IS NOT NULL "
       "FROM public.raw_jobs WHERE source = 'topcv' AND job_id = %s")


def _real_records(realdata: Path) -> tuple[dict, dict]:
    """A real detail page and a real listing card re-keyed to the same posting."""
    page = realdata / "topcv_detail_html" / DETAIL_B
    listing = realdata / "topcv_listing_html" / "topcv_search_moi-nhat_2025-11-13.html"
    if not page.is_file() or not listing.is_file():
        pytest.skip("real TopCV pages not present")
    detail = parse_detail(page.read_bytes(), URL_B, fetched_at=datetime(2026, 4, 18, tzinfo=UTC))[0].to_row()
    card = parse_listing(listing.read_bytes(), "https://www.topcv.vn/tim-viec-lam-moi-nhat")[0]
    card.job_id, card.job_url = "2129787", URL_B
    assert card.skills and card.deadline is None
    return card.to_row(), detail


def test_listing_then_detail_and_the_reverse_give_one_row_with_both(database_url: str, realdata: Path) -> None:
    card, detail = _real_records(realdata)
    first = upsert_raw_jobs(database_url, [card])
    second = upsert_raw_jobs(database_url, [detail])
    assert (first.inserted, second.updated) == (1, 1)
    forward = sql_rows(database_url, ROW, ("2129787",))
    assert len(forward) == 1 and sql_rows(database_url, "SELECT count(*) FROM public.raw_jobs") == [(1,)]
    (title, company, salary, location, deadline, skills, verified, last_update, description, requirements,
     benefits, level, experience, education, openings, work_form, category, places, has_detail, content_hash,
     has_card_hash) = forward[0]
    # the card's own columns survive the detail scrape...
    assert skills == card["skills"] and verified == card["verified_employer"] and last_update == card["last_update"]
    assert title == card["title"] and salary == card["salary"] and has_card_hash
    # ...and the detail page's columns are there, its visible deadline and every city winning
    assert deadline == "31/05/2026" and location == "Hà Nội, Hồ Chí Minh"
    assert (level, experience, education, openings, work_form) == (
        "Nhân viên", "Không yêu cầu", "Đại Học trở lên", "5 người", "Toàn thời gian")
    assert description and requirements and benefits and category.startswith("Công nghệ Thông tin")
    assert [p["city"] for p in places] == ["Hà Nội", "Hồ Chí Minh"] and has_detail and company

    # a listing re-scrape never erases details, and an unchanged one is "unchanged"
    again = upsert_raw_jobs(database_url, [card])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    assert sql_rows(database_url, ROW, ("2129787",)) == forward
    assert upsert_raw_jobs(database_url, [detail]).unchanged == 1

    # the reverse order ends in the same row
    sql_rows(database_url, "DELETE FROM public.raw_jobs")
    assert upsert_raw_jobs(database_url, [detail]).inserted == 1
    assert upsert_raw_jobs(database_url, [card]).updated == 1
    reverse = sql_rows(database_url, ROW, ("2129787",))
    assert reverse == forward
    # and both in one call: one posting, one insert
    sql_rows(database_url, "DELETE FROM public.raw_jobs")
    both = upsert_raw_jobs(database_url, [detail, card])
    assert (both.inserted, both.updated, both.unchanged) == (1, 0, 0)
    assert sql_rows(database_url, ROW, ("2129787",)) == forward


def test_real_changes_still_count(database_url: str, realdata: Path) -> None:
    card, detail = _real_records(realdata)
    upsert_raw_jobs(database_url, [card, detail])
    sql_rows(database_url, "UPDATE public.raw_jobs SET is_processed = true")
    changed_detail = {**detail, "requirements": detail["requirements"] + "\n• Tiếng Anh tốt"}
    assert upsert_raw_jobs(database_url, [changed_detail]).updated == 1
    assert sql_rows(database_url, "SELECT is_processed FROM public.raw_jobs") == [(False,)]
    sql_rows(database_url, "UPDATE public.raw_jobs SET is_processed = true")
    assert upsert_raw_jobs(database_url, [{**card, "salary": "20 - 30 triệu"}]).updated == 1
    assert sql_rows(database_url, "SELECT salary, is_processed, requirements LIKE '%%Tiếng Anh tốt'"
                                  " FROM public.raw_jobs") == [("20 - 30 triệu", False, True)]


def test_rows_written_before_v008_are_unchanged_by_the_next_crawl(database_url: str) -> None:
    """In-place upgrade: the content hash of a row without details is the V002 hash."""
    record = {"source": "topcv", "job_id": "42", "title": "Kế toán", "salary": "10 - 15 triệu", "location": "Hà Nội",
              "skills": ["Excel"], "payload": {"exp": "1 năm"}}
    upsert_raw_jobs(database_url, [record])
    v002 = sql_rows(database_url, "SELECT public.jobinsight_content_hash(title, job_url, company_name, company_url, "
                                  "salary, skills, location, location_detail, deadline, verified_employer, logo_url, "
                                  "payload) = content_hash FROM public.raw_jobs")
    assert v002 == [(True,)]
    cols = {r[0] for r in sql_rows(database_url, "SELECT column_name FROM information_schema.columns WHERE "
                                                 "table_schema = 'jobinsight_staging' AND table_name = 'staging_jobs'")}
    assert {"experience_min_months", "experience_max_months", "openings", "employment_type",
            "education_level", "days_remaining"} <= cols


# -- following cards on the demo board -------------------------------------------------------------


def _crawl(board: DemoBoard, url: str, pages: int, **options) -> tuple:
    """One scrape run without Prefect: listing pages, detail pages worth following, one upsert."""
    opts = PipelineOptions(pipeline_mode="scrapeOnly", source="topcv", base_url=board.listing_url, max_pages=pages,
                           **options)
    target = SourceTarget("topcv", board.listing_url, [], FAST)
    before = len([r for r in board.requests if r.path.startswith(("/viec-lam/", "/brand/"))])
    outcome = crawl_listing(board.listing_url, pages, FAST, "topcv", source="topcv")
    follow_details(outcome, target, opts, lambda source, ids: known_postings(url, source, ids))
    upsert = upsert_raw_jobs(url, (job.to_row() for job in outcome.records))
    detail_requests = len([r for r in board.requests if r.path.startswith(("/viec-lam/", "/brand/"))]) - before
    return outcome, upsert, detail_requests


def test_detail_pages_are_fetched_once_per_new_posting_and_again_only_when_a_card_changes(database_url: str) -> None:
    with DemoBoard(pages=3, per_page=10, changing_every=1000) as board:
        outcome, upsert, requests = _crawl(board, database_url, 4)  # page 4 is the empty end of the listing
        assert upsert.inserted == 30 and requests == 30
        assert outcome.detail_counts["details_new"] == 30 and outcome.detail_counts["detail_pages_fetched"] == 30
        assert outcome.detail_counts["details_jsonld_fallback"] == sum(j.brand_url for j in board.jobs())
        brand = sum(j.brand_url for j in board.jobs())
        filled = sql_rows(database_url, "SELECT count(*) FILTER (WHERE detail_scraped_at IS NOT NULL AND description "
                                        "IS NOT NULL), count(*) FILTER (WHERE job_level IS NOT NULL) FROM public.raw_jobs")
        assert filled == [(30, 30 - brand)]  # brand pages (JSON-LD only) have no rank

        again, upsert2, requests2 = _crawl(board, database_url, 4)
        assert requests2 == 0 and again.detail_counts["details_fresh"] == 30
        assert (upsert2.inserted, upsert2.updated, upsert2.unchanged) == (0, 0, 30)

        board.version = 1  # exactly one card (index 0) shows a new salary
        changed, upsert3, requests3 = _crawl(board, database_url, 4)
        assert requests3 == 1 and changed.detail_counts["details_changed"] == 1
        assert upsert3.updated == 1 and upsert3.unchanged == 29
        job = board.jobs()[0]
        assert sql_rows(database_url, "SELECT salary FROM public.raw_jobs WHERE job_id = %s", (job.job_id,)) == [
            (job.salary.text,)]

        # details older than the refresh age are read again
        sql_rows(database_url, "UPDATE public.raw_jobs SET detail_scraped_at = now() - interval '10 days' "
                               "WHERE job_id = %s", (job.job_id,))
        stale, _, requests4 = _crawl(board, database_url, 4, detail_refresh_days=7)
        assert requests4 == 1 and stale.detail_counts["details_stale"] == 1

        # following switched off: no detail request at all
        sql_rows(database_url, "UPDATE public.raw_jobs SET detail_scraped_at = NULL")
        _, _, requests5 = _crawl(board, database_url, 4, follow_details=False)
        assert requests5 == 0


def test_detail_budget_stops_at_its_limit_and_says_so(database_url: str) -> None:
    from jobinsight.scrape.runner import scrape_result

    with DemoBoard(pages=2, per_page=10) as board:
        outcome, upsert, requests = _crawl(board, database_url, 2, detail_budget=7)
        assert requests == 7
        assert outcome.detail_counts["details_over_budget"] == 13 and outcome.detail_counts["detail_budget_exhausted"]
        result = scrape_result(outcome, upsert, 0, "run", [], 1.0)
        assert "detail budget reached (13 postings left for later)" in result.message
        assert result.stats.extra["details_over_budget"] == 13
        # the next run picks up the rest (still within its budget)
        _, _, rest = _crawl(board, database_url, 2, detail_budget=7)
        assert rest == 7


# -- a board served under its public name (the demo): routes, and nothing wider --------------------


def _detail_hits(board: DemoBoard) -> int:
    return len([r for r in board.requests if r.path.startswith(("/viec-lam/", "/brand/"))])


def test_a_route_reaches_only_its_own_public_name_and_no_card_widens_it() -> None:
    opts = PipelineOptions(pipeline_mode="scrapeOnly", source="topcv")
    with DemoBoard(pages=1, per_page=10, canonical_base=CANONICAL_BASE) as board, \
            DemoBoard(pages=1, per_page=10) as elsewhere:
        relative = sum(j.relative_url for j in board.jobs())
        assert 0 < relative < 10

        # a real board (no route) whose cards name demo.jobinsight.invalid: those are another host
        target = SourceTarget("topcv", board.listing_url, [], FAST)
        outcome = crawl_listing(board.listing_url, 1, FAST, "topcv", source="topcv")
        follow_details(outcome, target, opts, lambda source, ids: {})
        assert outcome.detail_counts["details_off_host"] == 10 - relative
        assert _detail_hits(board) == relative  # only links relative to the page it fetched

        # routed: the public name is fetched from loopback, every card followed, URLs stay public
        board.reset_log()
        routed = FAST.with_(routes=((CANONICAL_BASE, board.base_url),))
        listing = f"{CANONICAL_BASE}/viec-lam-it"
        target = SourceTarget("topcv", listing, [], routed)
        outcome = crawl_listing(listing, 1, routed, "topcv", source="topcv")
        follow_details(outcome, target, opts, lambda source, ids: {})
        assert (outcome.detail_counts["details_off_host"], outcome.detail_counts["detail_pages_fetched"]) == (0, 10)
        assert _detail_hits(board) == 10
        assert all(j.job_url.startswith(f"{CANONICAL_BASE}/") for j in outcome.records)
        assert all(p.page.url.startswith(CANONICAL_BASE) for p in outcome.pages)

        # the route covers its one origin: a page under the public name whose cards link to another
        # server (here: another loopback board) does not get us there
        hostile = render_listing(elsewhere.jobs(), elsewhere.base_url, 1, 1)
        with StaticSite({"/viec-lam-it": hostile, "/viec-lam-it?page=1": hostile}) as site:
            routed = FAST.with_(routes=((CANONICAL_BASE, site.base_url),))
            target = SourceTarget("topcv", listing, [], routed)
            outcome = crawl_listing(listing, 1, routed, "topcv", source="topcv")
            follow_details(outcome, target, opts, lambda source, ids: {})
        absolute = 10 - sum(j.relative_url for j in elsewhere.jobs())
        assert outcome.jobs_found == 10 and outcome.detail_counts["details_off_host"] == absolute
        assert _detail_hits(elsewhere) == 0
