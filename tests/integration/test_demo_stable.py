"""The quick-start demo is stable and shows listings -> details: the first run follows every card
to its detail page (served on loopback, recorded under the board's public name), a second run
finds its 60 jobs unchanged, fetches no detail page and processes nothing, and the staging rows
carry the detail pages' facts (visible deadline, experience, openings)."""

from __future__ import annotations

import json

import pytest

from flows.full import full_flow
from jobinsight.db.detail_state import known_postings
from jobinsight.db.raw_upsert import upsert_raw_jobs
from jobinsight.options import PipelineOptions
from jobinsight.scrape.runner import crawl, follow_details, open_source
from jobinsight.scrape.sources.demo import CANONICAL_BASE, board_today, detail_facts, generate_jobs
from tests.sqlutil import sql_rows

#: raw_jobs columns that say when (or by which run) a row was written, not what it holds;
#: posted_time is "Đăng 2 ngày trước" counted back from the fetch
_WHEN = {"id", "posted_time", "scrape_date", "scraped_at", "detail_scraped_at", "created_at", "updated_at", "first_seen_at", "last_seen_at",
         "run_id", "scrape_run_id", "processed_at", "is_processed", "claimed_by", "claimed_at"}
#: payload keys that are fetch times
_PAYLOAD_WHEN = {"fetched_at", "scraped_at"}


def _raw_rows(db: str) -> list[dict]:
    """raw_jobs by job id, without the columns that only record when a row was written."""
    columns = [c for (c,) in sql_rows(db, "SELECT column_name FROM information_schema.columns WHERE table_schema "
                                          "= 'public' AND table_name = 'raw_jobs' ORDER BY ordinal_position")
               if c not in _WHEN and not c.endswith("_at")]
    rows = sql_rows(db, f"SELECT {', '.join(columns)} FROM public.raw_jobs ORDER BY job_id")  # noqa: S608 - catalog names
    return [_without_times(dict(zip(columns, row, strict=True))) for row in rows]


def _without_times(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k not in _PAYLOAD_WHEN}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def _scrape_demo(db: str, options: PipelineOptions) -> tuple[str, dict]:
    """One demo scrape without Prefect (listing, details, upsert); the serving origin and counts."""
    with open_source(options) as target:
        (_, serving), = target.settings.routes
        outcome = crawl(target, options)
        follow_details(outcome, target, options, lambda source, ids: known_postings(db, source, ids))
    upsert = upsert_raw_jobs(db, (job.to_row() for job in outcome.records))
    return serving, {**outcome.detail_counts, "inserted": upsert.inserted}


def test_two_boards_on_different_ports_give_identical_raw_rows(db: str) -> None:
    options = PipelineOptions(pipeline_mode="scrapeOnly", source="demo", demo_pages=1, max_pages=2)
    first_origin, first = _scrape_demo(db, options)
    rows_a = _raw_rows(db)
    sql_rows(db, "DELETE FROM public.raw_jobs")
    second_origin, second = _scrape_demo(db, options)
    rows_b = _raw_rows(db)

    assert first_origin != second_origin and first_origin.startswith("http://127.0.0.1:")
    assert first["inserted"] == second["inserted"] == 20
    assert first["detail_pages_fetched"] == second["detail_pages_fetched"] == 20
    assert len(rows_a) == len(rows_b) == 20
    differing = [(a["job_id"], column, a[column], b[column])
                 for a, b in zip(rows_a, rows_b, strict=True) for column in a if a[column] != b[column]]
    assert not differing, differing[:3]
    text = json.dumps(rows_a, default=str, ensure_ascii=False)
    assert "127.0.0.1" not in text  # not even in a payload: every URL is under the public name
    assert all(r["job_url"].startswith(f"{CANONICAL_BASE}/") for r in rows_a)
    # the detail columns are there (a JSON-LD-only brand page has no "Số lượng tuyển")
    assert all(r["description"] for r in rows_a)
    assert sum(1 for r in rows_a if r["openings"]) == 20 - first["details_jsonld_fallback"] > 0


@pytest.mark.usefixtures("prefect_harness")
def test_the_demo_follows_details_once_then_finds_60_unchanged_and_processes_nothing(db: str) -> None:
    options = PipelineOptions(pipeline_mode="all", source="demo")  # the quick start's command
    first = full_flow(options)
    assert first.success, first.message
    counts = first.parts["scrape"].stats.extra
    assert counts["inserted"] == 60
    # exactly one detail page per posting, none skipped as "on another host"
    assert (counts["detail_pages_fetched"], counts["details_new"], counts["details_off_host"]) == (60, 60, 0)
    assert counts["detail_pages_failed"] == counts["detail_pages_blocked"] == 0
    assert first.parts["process"].stats.processed_records == 60

    # staging carries what only the detail pages say
    jobs = {j.job_id: j for j in generate_jobs(60)}
    rows = sql_rows(db, "SELECT job_id, job_url, to_char(due_date AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'), "
                        "time_remaining, experience_min_months, openings "
                        "FROM jobinsight_staging.staging_jobs ORDER BY job_id")
    assert len(rows) == 60 and {r[0] for r in rows} == set(jobs)
    months = {"Không yêu cầu": 0, "Dưới 1 năm": 0, "1 năm": 12, "2 năm": 24, "3 năm": 36, "5 năm": 60,
              "Trên 5 năm": 60}
    today = board_today()  # detail pages date their deadlines on the board's (Vietnamese) calendar
    for job_id, job_url, due, remaining, exp_min, openings in rows:
        facts = detail_facts(jobs[job_id], today=today)
        assert job_url == f"{CANONICAL_BASE}{jobs[job_id].path()}"
        assert due == facts["deadline"], (job_id, due, facts["deadline"])  # the visible deadline
        assert remaining and remaining.startswith("Còn")  # the demo's postings are open
        assert exp_min == months[jobs[job_id].experience]
        # a brand page (JSON-LD only, read through the fallback) has no "Số lượng tuyển"
        assert openings == (None if jobs[job_id].brand_url else int(str(facts["openings"]).split()[0]))

    second = full_flow(options)
    assert second.success, second.message
    counts = second.parts["scrape"].stats.extra
    assert (counts["inserted"], counts["updated"], counts["unchanged"]) == (0, 0, 60)
    assert (counts["detail_pages_fetched"], counts["details_fresh"]) == (0, 60)
    assert second.parts["process"].stats.processed_records == 0
    assert second.parts["process"].message == "nothing to do: no eligible rows left"
