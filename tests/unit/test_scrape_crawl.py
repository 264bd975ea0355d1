"""Crawl orchestration against the faulty demo board, plus archive writing and replay."""

from __future__ import annotations

import asyncio
import gzip
import json

import fsspec
import pytest

from jobinsight.scrape import (
    ArchiveWriter,
    DemoBoard,
    FetchSettings,
    crawl_jsonld,
    crawl_listing,
    iter_archive,
    plan_listing_urls,
    replay_archive,
)
from jobinsight.scrape.archive import page_key_for
from jobinsight.scrape.sources.demo import generate_jobs, render_listing
from jobinsight.scrape.sources.demo_board import StaticSite
from tests.browser_support import require_chromium

#: Plain HTTP: these tests are about crawling, and Chromium (the ``auto`` fetcher's second try at
#: a blocked page) would cost ~3 s per blocked page; the one test of that path says so.
FAST = FetchSettings(delay_seconds=0, backoff_base=0.01, max_backoff=0.05, max_retries=4, fetcher="http")


def _stable(row: dict) -> dict:
    """A row without the parts that depend on when it was fetched."""
    row = dict(row)
    row.pop("posted_time")
    row["payload"] = {k: v for k, v in row["payload"].items() if k != "fetched_at"}
    return row


def test_plan_listing_urls():
    assert plan_listing_urls("https://www.topcv.vn/viec-lam-it?sort=new", 3) == [
        "https://www.topcv.vn/viec-lam-it?sort=new&page=1",
        "https://www.topcv.vn/viec-lam-it?sort=new&page=2",
        "https://www.topcv.vn/viec-lam-it?sort=new&page=3",
    ]
    assert plan_listing_urls("https://x.vn/jobs", 2, start_page=5)[-1] == "https://x.vn/jobs?page=6"
    assert plan_listing_urls("https://x.vn/jobs", 0) == []


def test_demo_board_crawl_reads_every_generated_field():
    progress: list[tuple[int, int | None]] = []
    with DemoBoard(pages=3, per_page=20) as board:
        outcome = crawl_listing(board.listing_url, 10, FAST, progress=lambda d, t: progress.append((d, t)))
        lean = crawl_listing(board.listing_url, 10, FAST, keep_bodies=False)
        expected = board.jobs()
        base = board.base_url
    assert [j.job_id for j in outcome.jobs] == [j.job_id for j in expected]
    assert outcome.stopped_reason == "empty" and outcome.problems == []
    assert outcome.pages_fetched == 4 and outcome.jobs_found == 60 and outcome.ok
    assert progress[-1] == (4, 10) and [d for d, _ in progress] == [1, 2, 3, 4]
    assert outcome.pages[0].page.body.startswith(b"<!DOCTYPE html>")
    lean_page = lean.pages[0].page
    assert lean_page.body == b"" and lean_page.size == outcome.pages[0].page.size  # dropped, size kept
    assert [j.to_row()["job_id"] for j in lean.jobs] == [j.job_id for j in outcome.jobs]
    for got, want in zip(outcome.jobs, expected, strict=True):
        assert got.title == want.title
        assert got.company_name == want.company
        assert got.salary == want.salary.text
        assert got.location == want.location_text
        assert got.location_detail == want.location_tooltip
        assert got.skills == list(want.tags) + list(want.attribute_tags)
        assert got.verified_employer is want.verified
        assert got.job_url == f"{base}{want.path()}"  # relative links made absolute, tracking dropped
        assert got.company_url == f"{base}{want.company_path()}"
        assert got.logo_url == f"{base}/static/company_logos/{want.company_slug}.png"
        assert got.last_update == f"Cập nhật {want.updated}"
        assert got.payload["posted_text"] == f"Đăng {want.posted}"
        assert got.payload["experience"] == want.experience
        assert got.payload.get("badges", []) == list(want.badges)
    shapes = {j.salary for j in outcome.jobs}
    assert "Thoả thuận" in shapes and any("USD" in s for s in shapes) and any("triệu" in s for s in shapes)
    assert any("nơi khác" in (j.location or "") for j in outcome.jobs)


def test_retries_succeed_against_429_and_500_faults():
    with DemoBoard(pages=2, per_page=5, rate_limit_first=1, retry_after=0) as board:
        outcome = crawl_listing(board.listing_url, 5, FAST)
        assert outcome.jobs_found == 10 and outcome.retries >= 3 and outcome.problems == []
    with DemoBoard(pages=2, per_page=5) as board:
        outcome = crawl_listing(board.url("/viec-lam-it?fault=500&k=2"), 5, FAST)
        assert outcome.jobs_found == 10 and outcome.retries >= 6 and outcome.pages_failed == 0
        assert all(r.status == 500 for r in board.requests_for("/viec-lam-it", 1)[:2])


@pytest.mark.browser  # auto: the blocked page is tried again in Chromium
def test_captcha_page_ends_pagination_and_is_a_problem_not_jobs():
    require_chromium()
    with DemoBoard(pages=4, per_page=10, captcha_page=2) as board:
        outcome = crawl_listing(board.listing_url, 4, FAST.with_(concurrency=1, fetcher="auto"))
        page1_ids = [j.job_id for j in board.jobs_on_page(1)]
        page2_ids = {j.job_id for j in board.jobs_on_page(2)}
        captcha_url = board.url("/viec-lam-it?page=2")
        assert board.request_count("/viec-lam-it", 3) == 0  # stopped: never asked for page 3
    assert [j.job_id for j in outcome.jobs] == page1_ids
    assert not page2_ids & {j.job_id for j in outcome.jobs}
    assert outcome.stopped_reason == "blocked" and outcome.pages_blocked == 1 and not outcome.ok
    [problem] = outcome.problems
    assert problem["url"] == captcha_url and problem["verdict"] == "blocked"
    # auto mode tried the browser too, and the reason says what was tried.
    assert problem["reason"].startswith("rate-limit page ('Bạn đã gửi quá nhiều yêu cầu') (HTTP 200, no job cards)")
    assert "tried http:" in problem["reason"] and "browser: blocked too" in problem["reason"]


def test_captcha_with_403_status_is_blocked_not_http_error():
    with DemoBoard(pages=3, per_page=5, captcha_page=1, captcha_status=403) as board:
        outcome = crawl_listing(board.listing_url, 3, FAST)
    assert outcome.jobs == [] and outcome.pages_blocked == 1 and outcome.pages_failed == 0
    assert outcome.problems[0]["verdict"] == "blocked" and "HTTP 403" in outcome.problems[0]["reason"]


def test_repeated_page_ends_pagination_and_is_a_problem():
    with DemoBoard(pages=4, per_page=10) as board:
        outcome = crawl_listing(board.url("/viec-lam-it?fault=repeat&at=3"), 4, FAST)
        expected = [j.job_id for j in board.jobs_on_page(1) + board.jobs_on_page(2)]
    assert [j.job_id for j in outcome.jobs] == expected
    assert outcome.stopped_reason == "repeated"
    assert [p["verdict"] for p in outcome.problems] == ["repeated"]
    assert "page=3" in outcome.problems[0]["url"]
    assert outcome.pages_discarded == 1  # page 4 came back in the same window, unused


def test_http_error_page_stops_and_counts_as_failed():
    with DemoBoard(pages=3, per_page=5, error_first=99) as board:
        outcome = crawl_listing(board.listing_url, 3, FAST.with_(max_retries=1, concurrency=1))
    assert outcome.jobs == [] and outcome.pages_failed == 1 and outcome.stopped_reason == "http_error"
    assert outcome.problems[0]["reason"] == "HTTP 500 after 2 attempts"


def test_empty_first_page_is_a_problem():
    with DemoBoard(pages=0) as board:
        outcome = crawl_listing(board.listing_url, 3, FAST)
    assert outcome.jobs == [] and outcome.stopped_reason == "empty"
    assert [p["verdict"] for p in outcome.problems] == ["empty"]


def test_max_pages_bounds_the_crawl():
    with DemoBoard(pages=5, per_page=5) as board:
        outcome = crawl_listing(board.listing_url, 2, FAST)
        assert board.request_count("/viec-lam-it", 3) == 0
    assert outcome.jobs_found == 10 and outcome.stopped_reason == "max_pages" and outcome.problems == []


def test_jobs_seen_twice_are_kept_once_with_the_last_sighting():
    jobs = generate_jobs(6)
    with StaticSite({}) as site:
        site.routes.update(
            {
                "/list?page=1": render_listing(jobs[0:3], site.base_url, 1, 2),
                "/list?page=2": render_listing(jobs[2:6], site.base_url, 2, 2),
                "/list?page=3": render_listing([], site.base_url, 3, 2),
            }
        )
        outcome = crawl_listing(site.url("/list"), 3, FAST)
    assert [j.job_id for j in outcome.jobs] == [j.job_id for j in jobs]
    shared = next(j for j in outcome.jobs if j.job_id == jobs[2].job_id)
    assert shared.payload["page_url"].endswith("page=2") and shared.payload["job_position"] == "1"


def test_a_new_version_changes_only_some_salaries():
    with DemoBoard(pages=2, per_page=25, version=0) as board:
        before = {j.job_id: j for j in crawl_listing(board.listing_url, 3, FAST).jobs}
        board.version = 1
        after = {j.job_id: j for j in crawl_listing(board.listing_url, 3, FAST).jobs}
        changing = {j.job_id for j in board.jobs() if j.index % 5 == 0}
    assert before.keys() == after.keys()
    changed = {k for k in before if before[k].salary != after[k].salary}
    assert changed and changed <= changing
    for key in before.keys() - changed:
        assert _stable(before[key].to_row()) == _stable(after[key].to_row())


def test_crawl_listing_inside_a_running_event_loop():
    with DemoBoard(pages=1, per_page=3) as board:

        async def task_body() -> int:
            return crawl_listing(board.listing_url, 2, FAST).jobs_found

        assert asyncio.run(task_body()) == 3


def test_custom_parser_callable_is_used():
    calls: list[str] = []

    def parser(html, page_url, *, fetched_at=None, source="x"):
        calls.append(page_url)
        return []

    with DemoBoard(pages=2, per_page=3) as board:
        outcome = crawl_listing(board.listing_url, 2, FAST, parser=parser, source="custom")
    assert len(calls) == 1 and outcome.source == "custom" and outcome.problems[0]["verdict"] == "empty"


# -- archive -------------------------------------------------------------------------------------


def test_archive_keeps_every_evaluated_page_and_replay_matches_the_crawl(tmp_path):
    archive = ArchiveWriter(str(tmp_path / "archive"))
    with DemoBoard(pages=3, per_page=10, captcha_page=3) as board:
        outcome = crawl_listing(board.listing_url, 5, FAST.with_(concurrency=1), archive=archive)
        requests_before = board.request_count()
        replayed = replay_archive(str(tmp_path / "archive"))
        assert board.request_count() == requests_before  # replay never touches the network
    assert outcome.jobs_found == 20 and outcome.pages_blocked == 1
    day = outcome.pages[0].page.fetched_at.date().isoformat()
    folder = tmp_path / "archive" / "topcv" / day
    assert len(list(folder.glob("*.html.gz"))) == 3 and len(list(folder.glob("*.json"))) == 3

    first = outcome.pages[0]
    assert first.archived_path is not None and first.archived_path.endswith(".html.gz")
    key = page_key_for(first.page.url)
    assert gzip.decompress((folder / f"{key}.html.gz").read_bytes()) == first.page.body
    meta = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    assert meta["url"] == first.page.url and meta["status"] == 200 and meta["verdict"] == "ok"
    assert meta["parser"] == "topcv" and meta["source"] == "topcv" and meta["fetched_at"]

    pages = list(iter_archive(str(tmp_path / "archive"), source="topcv", date=day))
    assert [p.verdict for p in pages] == ["ok", "ok", "blocked"]
    assert list(iter_archive(str(tmp_path / "archive"), source="jsonld")) == []

    assert [j.to_row() for j in replayed.jobs] == [j.to_row() for j in outcome.jobs]
    assert replayed.pages_blocked == 1 and replayed.jobs_found == 20


def test_archive_works_on_any_fsspec_url_and_ignores_half_written_pages():
    root = "memory://jobinsight-test-archive"
    fs = fsspec.filesystem("memory")
    if fs.exists("/jobinsight-test-archive"):
        fs.rm("/jobinsight-test-archive", recursive=True)
    with DemoBoard(pages=1, per_page=4) as board:
        outcome = crawl_listing(board.listing_url, 2, FAST, archive=ArchiveWriter(root))
    assert outcome.archive_errors == 0
    day = outcome.pages[0].page.fetched_at.date().isoformat()
    fs.pipe(f"/jobinsight-test-archive/topcv/{day}/orphan.html.gz", gzip.compress(b"<html></html>"))
    pages = list(iter_archive(root))
    assert len(pages) == 2  # page 1 and the empty page 2; the orphan body has no sidecar
    replayed = replay_archive(root, source="topcv")
    assert [j.job_id for j in replayed.jobs] == [j.job_id for j in outcome.jobs]


def test_archive_writer_rejects_unsafe_source(tmp_path):
    with DemoBoard(pages=1, per_page=1) as board:
        outcome = crawl_listing(board.listing_url, 1, FAST)
    writer = ArchiveWriter(str(tmp_path))
    with pytest.raises(ValueError):
        writer.write(outcome.pages[0].page, source="../etc", parser="topcv")
    outcome.pages[0].page.release_body()
    with pytest.raises(ValueError, match="released"):
        writer.write(outcome.pages[0].page, source="topcv", parser="topcv")
    with pytest.raises(ValueError):
        ArchiveWriter("")


# -- JSON-LD crawl -------------------------------------------------------------------------------


def test_crawl_jsonld_from_sitemap_index():
    with DemoBoard(pages=3, per_page=20, sitemap_chunk=25) as board:
        outcome = crawl_jsonld(board.sitemap_url, FAST.with_(concurrency=4))
        expected = board.jobs()
        assert board.request_count("/sitemap.xml") == 1
        assert board.request_count("/sitemaps/jobs-3.xml") == 1
    assert [j.job_id for j in outcome.jobs] == [j.job_id for j in expected]
    assert outcome.problems == [] and outcome.stopped_reason == "done"
    by_id = {j.job_id: j for j in outcome.jobs}
    for want in expected:
        got = by_id[want.job_id]
        assert got.title == want.title and got.company_name == want.company
        assert got.location == ", ".join(c for c, _ in want.cities)
        if want.salary.currency == "VND" and want.salary.unit == "MONTH":
            assert got.salary == want.salary.text  # "15 - 20 triệu" shapes round-trip


def test_crawl_jsonld_url_list_reports_missing_and_empty_pages():
    with DemoBoard(pages=1, per_page=3) as board:
        urls = [board.url(f"/jobs/{j.job_id}") for j in board.jobs()]
        outcome = crawl_jsonld([*urls, board.url("/jobs/999"), board.listing_url], FAST, max_pages=5)
    assert outcome.jobs_found == 3
    assert [(p["verdict"], p["url"].rsplit("/", 1)[-1]) for p in outcome.problems] == [
        ("http_error", "999"),
        ("empty", "viec-lam-it"),
    ]
    assert outcome.pages_failed == 1
