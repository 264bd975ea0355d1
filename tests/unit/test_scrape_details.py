"""Which cards are followed to their detail page, and the detail crawl on the loopback demo board."""

from __future__ import annotations

import asyncio
import inspect
import logging
from datetime import UTC, datetime, timedelta

import pytest

from jobinsight.db.raw_upsert import card_hash
from jobinsight.scrape.details import KnownPosting, acrawl_details, crawl_details, plan_details
from jobinsight.scrape.fetcher import FetchSettings
from jobinsight.scrape.records import RawJob
from jobinsight.scrape.sources.demo import detail_facts
from jobinsight.scrape.sources.demo_board import DemoBoard

NOW = datetime(2026, 4, 18, 12, 0, tzinfo=UTC)
LISTING = "https://www.topcv.vn/viec-lam-it"
FAST = FetchSettings(delay_seconds=0.0, concurrency=4, respect_robots=False, fetcher="http")  # no Chromium


def _card(job_id: str, salary: str = "10 - 15 triệu", host: str = "https://www.topcv.vn") -> RawJob:
    return RawJob(source="topcv", job_id=job_id, title=f"Job {job_id}", salary=salary,
                  job_url=f"{host}/viec-lam/job-{job_id}/{job_id}.html")


def _plan(cards: list[RawJob], known: dict[str, KnownPosting], budget: int | None = None):
    return plan_details(cards, known, listing_url=LISTING, card_hash=card_hash, refresh_after=timedelta(days=7),
                        budget=budget, now=NOW)


def test_plan_follows_new_changed_and_stale_cards_only() -> None:
    cards = [_card("1"), _card("2"), _card("3"), _card("4"), _card("5"), _card("6", host="https://evil.test")]
    same = card_hash(_card("2").to_row())
    known = {
        "2": KnownPosting(same, NOW - timedelta(days=1)),  # fresh, same card -> nothing
        "3": KnownPosting(same, NOW - timedelta(days=1)),  # card 3's hash differs -> changed
        "4": KnownPosting(card_hash(_card("4").to_row()), NOW - timedelta(days=8)),  # stale
        "5": KnownPosting(card_hash(_card("5").to_row()), None),  # stored from a listing only -> new
    }
    plan = _plan(cards, known)
    assert [job_id for job_id, _ in plan.targets] == ["1", "3", "4", "5"]
    assert (plan.new, plan.changed, plan.stale, plan.fresh, plan.off_host) == (2, 1, 1, 1, 1)


def test_card_hash_ignores_volatile_fields_and_sees_real_changes() -> None:
    a = _card("1").to_row()
    b = {**a, "last_update": "Cập nhật 5 phút trước", "posted_time": NOW, "payload": {"x": 1}}
    assert card_hash(a) == card_hash(b)
    assert card_hash(a) != card_hash({**a, "salary": "20 - 25 triệu"})


def test_budget_stops_the_plan_at_its_limit() -> None:
    plan = _plan([_card(str(i)) for i in range(10)], {}, budget=3)
    assert len(plan.targets) == 3 and plan.over_budget == 7
    assert plan.counts()["details_over_budget"] == 7
    assert _plan([_card("1")], {}, budget=0).targets == []


def test_detail_crawl_on_the_demo_board(caplog: pytest.LogCaptureFixture) -> None:
    with DemoBoard(pages=2, per_page=10) as board:
        jobs = board.jobs()
        targets = [(job.job_id, board.url(job.path())) for job in jobs]
        with caplog.at_level(logging.INFO, logger="jobinsight.scrape"):
            crawl = crawl_details(targets, FAST, progress_every=5)
        detail_requests = [r for r in board.requests if r.path.endswith(".html")]
    assert crawl.fetched == len(jobs) == len(detail_requests)
    assert len(crawl.jobs) == len(jobs) and crawl.failed == crawl.blocked == 0
    brand = sum(job.brand_url for job in jobs)
    assert crawl.jsonld_fallback == brand  # brand pages: JSON-LD only, counted, not dropped
    by_id = {job.job_id: job for job in crawl.jobs}
    for job in jobs:
        row, facts = by_id[job.job_id], detail_facts(job)
        assert row.page_kind == "detail" and row.detail_scraped_at is not None
        if job.brand_url:
            assert row.payload["detail_layout"] == "jsonld"
            continue
        assert row.salary == job.salary.text and row.title == job.title
        assert (row.job_level, row.education, row.openings, row.employment_type, row.deadline, row.experience) == (
            facts["job_level"], facts["education"], facts["openings"], facts["employment_type"], facts["deadline"],
            facts["experience"])
        assert row.job_category == ", ".join(facts["categories"])
        assert row.work_locations == facts["work_locations"]
        assert row.location == ", ".join(c for c, _ in job.cities)
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("details: ")]
    assert [m.split(" pages")[0] for m in progress] == ["details: 5/20", "details: 10/20", "details: 15/20",
                                                        "details: 20/20"]


def test_the_sync_detail_crawl_is_the_async_one_with_every_parameter_and_runs_inside_a_loop() -> None:
    """crawl_details is derived from acrawl_details (aio.blocking), not a copy of its signature that
    could miss a parameter; called from code already inside a loop it still runs."""
    assert inspect.signature(crawl_details) == inspect.signature(acrawl_details)
    with DemoBoard(pages=1, per_page=5) as board:
        targets = [(job.job_id, board.url(job.path())) for job in board.jobs() if not job.brand_url][:3]

        async def inside_a_running_loop():  # noqa: ANN202
            return crawl_details(targets, FAST, keep_bodies=True, progress_every=0)

        crawl = asyncio.run(inside_a_running_loop())
    assert crawl.fetched == len(targets) == len(crawl.jobs) and crawl.stopped_reason == "done"
    assert all(result.page.body for result in crawl.pages)  # keep_bodies reached the async crawl


def test_blocked_detail_page_stops_the_detail_crawl() -> None:
    with DemoBoard(pages=1, per_page=5) as board:
        jobs = [job for job in board.jobs() if not job.brand_url]
        targets = [(None, board.url("/viec-lam-it?fault=captcha&at=1"))]
        targets += [(job.job_id, board.url(job.path())) for job in jobs]
        crawl = crawl_details(targets, FAST.with_(concurrency=1))
    assert crawl.blocked == 1 and crawl.stopped_reason == "blocked"
    assert crawl.fetched < len(targets) and crawl.not_fetched == len(targets) - crawl.fetched
    assert crawl.problems[0]["verdict"] == "blocked"


def test_cli_urls_take_several_values_after_one_flag() -> None:
    from jobinsight.cli import spread_multi_values

    assert spread_multi_values(["scrape", "--source", "topcv", "--urls", "a", "b", "--json"]) == [
        "scrape", "--source", "topcv", "--urls", "a", "--urls", "b", "--json"]
    assert spread_multi_values(["scrape", "--urls", "a", "--max-pages", "2"]) == [
        "scrape", "--urls", "a", "--max-pages", "2"]


def test_detail_tooltip_city_with_the_post_merger_suffix() -> None:
    from jobinsight.transform.locations import parse_location_pairs, resolve_cities

    pairs = parse_location_pairs("Hà Nội: Quận Nam Từ Liêm\nHồ Chí Minh (mới): Thành phố Thủ Đức")
    assert [p["city"] for p in pairs] == ["Hà Nội", "Hồ Chí Minh"]
    assert resolve_cities("Hà Nội, Hồ Chí Minh", pairs) == ["Hà Nội", "Hồ Chí Minh"]


def test_archived_detail_pages_replay_as_detail_rows(tmp_path) -> None:  # noqa: ANN001 - pytest's tmp_path
    from jobinsight.scrape.archive import ArchiveWriter
    from jobinsight.scrape.sources.archive import replay_archive

    with DemoBoard(pages=1, per_page=6) as board:
        jobs = [job for job in board.jobs() if not job.brand_url][:3]
        crawl = crawl_details([(j.job_id, board.url(j.path())) for j in jobs], FAST,
                              archive=ArchiveWriter(str(tmp_path)))
    replayed = replay_archive(str(tmp_path))
    assert sorted(j.job_id for j in replayed.jobs) == sorted(j.job_id for j in crawl.jobs)
    assert all(j.page_kind == "detail" and j.job_level for j in replayed.jobs)
