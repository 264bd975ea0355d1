"""The scrape and full flows end to end: loopback sites, real PostgreSQL, a real Prefect server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from jobinsight.flows.full import full_flow
from jobinsight.flows.scrape import SCRAPE_COMPLETED, scrape_flow
from jobinsight.options import PipelineOptions
from jobinsight.scrape.sources.demo_board import DemoBoard, StaticSite
from tests.sqlutil import sql_rows

pytestmark = pytest.mark.usefixtures("prefect_harness")





def _scrape(**kw) -> PipelineOptions:
    return PipelineOptions(pipeline_mode="scrapeOnly", delay_seconds=0, **kw)


def test_real_listing_pages_become_100_raw_rows(db: str, realdata: Path, tmp_path: Path) -> None:
    pages = sorted((realdata / "topcv_listing_html").glob("*.html"))
    routes = {"/tim-viec-lam-ke-toan?page=1": pages[0].read_bytes(),
              "/tim-viec-lam-ke-toan?page=2": pages[1].read_bytes(),
              "/tim-viec-lam-ke-toan?page=3": "<html><body><div class='job-list-search-result'></div></body></html>"}
    with StaticSite(routes) as site:
        result = scrape_flow(_scrape(source="topcv", base_url=site.url("/tim-viec-lam-ke-toan"), max_pages=5))
    assert result.success, result.message
    assert result.stats.extra["inserted"] == 100 and result.stats.extra["pages_fetched"] == 3
    rows = sql_rows(db, "SELECT job_id, title, job_url, company_name, salary, location, location_detail, skills "
                     "FROM public.raw_jobs")
    assert len(rows) == 100
    assert all(r[0] and r[1] and r[2].startswith("https://www.topcv.vn/") and "ta_source" not in r[2] for r in rows)
    salaries = {r[4] for r in rows}
    assert "Thoả thuận" in salaries and any("USD" in (s or "") for s in salaries)
    assert any("nơi khác" in (r[5] or "") for r in rows)
    assert any((r[6] or "").count(":") >= 2 for r in rows)  # multi-city tooltip detail kept
    assert list((tmp_path / "archive" / "topcv").rglob("*.html.gz")), "pages are archived"

    # an identical second scrape changes nothing
    with StaticSite(routes) as site:
        again = scrape_flow(_scrape(source="topcv", base_url=site.url("/tim-viec-lam-ke-toan"), max_pages=5))
    assert (again.stats.extra["inserted"], again.stats.extra["updated"], again.stats.extra["unchanged"]) == (0, 0, 100)


def test_real_jsonld_page_gives_one_row(db: str, realdata: Path) -> None:
    page = (realdata / "jsonld" / "workday_autodesk_24WD81528.html").read_bytes()
    with StaticSite({"/job/24WD81528": page}) as site:
        result = scrape_flow(_scrape(source="jsonld", urls=[site.url("/job/24WD81528")]))
    assert result.success, result.message
    rows = sql_rows(db, "SELECT source, job_id, title, company_name, location FROM public.raw_jobs")
    assert len(rows) == 1
    source, job_id, title, company, location = rows[0]
    assert source == "jsonld" and "24WD81528" in job_id and title and company and location


def test_faulty_board_block_and_repeat_pages_end_pagination(db: str) -> None:
    # Plain HTTP and listings only: pagination is what is tested here (the browser's second try at
    # a blocked page is test_scrape_fetchers_flow.py's; detail pages, test_detail_pages.py's).
    with DemoBoard(pages=6, per_page=10, captcha_page=3, rate_limit_first=1, retry_after=1, error_first=1) as board:
        result = scrape_flow(_scrape(source="topcv", base_url=board.listing_url, max_pages=6, fetcher="http",
                                     follow_details=False))
    assert result.success  # pages 1-2 were good
    assert result.stats.extra["inserted"] == 20
    problems = result.stats.extra["problem_pages"]
    assert [p["verdict"] for p in problems] == ["blocked"] and "page=3" in problems[0]["url"]
    assert "pagination ended early" in result.message

    with DemoBoard(pages=6, per_page=10, repeat_page=2) as board:
        repeated = scrape_flow(_scrape(source="topcv", base_url=board.listing_url, max_pages=6, fetcher="http",
                                       follow_details=False))
    assert [p["verdict"] for p in repeated.stats.extra["problem_pages"]] == ["repeated"]
    assert sql_rows(db, "SELECT count(*) FROM public.raw_jobs") == [(20,)]  # nothing from bad pages


def test_captcha_only_source_fails_with_a_clear_message(db: str) -> None:
    with DemoBoard(pages=3, per_page=10, captcha_page=1) as board:
        result = scrape_flow(_scrape(source="topcv", base_url=board.listing_url, max_pages=3))
    assert not result.success
    assert "no jobs were scraped" in result.message and "captcha" in result.message
    assert sql_rows(db, "SELECT count(*) FROM public.raw_jobs") == [(0,)]


def test_scrape_emits_the_completed_event(db: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter

    result = scrape_flow(_scrape(source="demo", demo_pages=1, demo_per_page=5, max_pages=2))
    assert result.success

    async def events() -> list:
        async with get_client() as client:
            for _ in range(50):  # events are written asynchronously
                response = await client.request("POST", "/events/filter", json={
                    "filter": EventFilter(event=EventNameFilter(name=[SCRAPE_COMPLETED])).model_dump(mode="json"),
                    "limit": 50})
                found = [e for e in response.json()["events"]
                         if e["payload"].get("flow_run_id") == result.run_id]
                if found:
                    return found
                await asyncio.sleep(0.2)
            return []

    found = asyncio.run(events())
    assert found and found[0]["resource"]["prefect.resource.id"] == "jobinsight.source.demo"
    assert found[0]["payload"]["inserted"] == 5


@pytest.mark.parametrize("mode, scraped, processed", [("scrapeOnly", True, False), ("processOnly", False, True),
                                                      ("all", True, True)])
def test_full_flow_modes(db: str, mode: str, scraped: bool, processed: bool) -> None:
    result = full_flow(PipelineOptions(pipeline_mode=mode, source="demo", delay_seconds=0, demo_pages=2))
    assert result.success, result.message
    assert ("scrape" in result.parts) is scraped and ("process" in result.parts) is processed
    raw = sql_rows(db, "SELECT count(*) FROM public.raw_jobs")[0][0]
    staging = sql_rows(db, "SELECT count(*) FROM jobinsight_staging.staging_jobs")[0][0]
    assert (raw > 0) is scraped
    assert staging == (raw if processed else 0)
    from prefect.artifacts import Artifact

    assert mode in Artifact.get("full-summary").data
