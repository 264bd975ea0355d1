"""The polite fetcher against real loopback servers: retries, Retry-After, robots.txt, pacing, UA."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from jobinsight.errors import ConfigError
from jobinsight.scrape.fetcher import Fetcher, FetchSettings, fetch_all, parse_retry_after
from jobinsight.scrape.sources.demo_board import DemoBoard, StaticSite
from jobinsight.settings import DEFAULT_USER_AGENT, Settings

FAST = FetchSettings(delay_seconds=0, backoff_base=0.01, max_backoff=0.05, max_retries=4)


def test_retries_after_429_then_succeeds():
    with DemoBoard(pages=1, rate_limit_first=2, retry_after=0) as board:
        [page] = fetch_all([board.listing_url], FAST)
        assert page.ok and page.status == 200
        assert page.attempts == 3 and page.retries == 2
        assert [r.status for r in board.requests_for("/viec-lam-it")] == [429, 429, 200]
        assert b"job-item-search-result" in page.body and "job-item-search-result" in page.text


def test_retries_after_500_then_succeeds_and_gives_up_eventually():
    with DemoBoard(pages=1, error_first=2) as board:
        [page] = fetch_all([board.listing_url], FAST)
        assert page.ok and page.attempts == 3
    with DemoBoard(pages=1, error_first=10) as board:
        [page] = fetch_all([board.listing_url], FAST.with_(max_retries=2))
        assert not page.ok and page.status == 500
        assert page.error == "HTTP 500 after 3 attempts"
        assert board.request_count("/viec-lam-it") == 3


def test_retry_after_seconds_is_waited_as_seen_by_the_server():
    with DemoBoard(pages=1, rate_limit_first=1, retry_after=1) as board:
        [page] = fetch_all([board.listing_url], FAST)
        assert page.ok and page.attempts == 2
        first, second = board.requests_for("/viec-lam-it")
        assert first.status == 429 and second.status == 200
        assert second.at - first.at >= 1.0


def test_retry_after_from_query_fault_and_404_is_not_retried():
    with DemoBoard(pages=1) as board:
        [page, missing] = fetch_all(
            [board.url("/viec-lam-it?fault=429&k=1&retry_after=0"), board.url("/nope")], FAST
        )
        assert page.ok and page.retries == 1
        assert missing.status == 404 and missing.error == "HTTP 404" and missing.attempts == 1


def test_retry_wait_honours_retry_after_capped_and_backs_off_otherwise():
    fetcher = Fetcher(FetchSettings(max_retry_after=5, backoff_base=0.5, max_backoff=30))
    assert fetcher.retry_wait(429, "3", 1) == 3
    assert fetcher.retry_wait(503, "120", 1) == 5  # capped
    http_date = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert fetcher.retry_wait(429, http_date, 1) == 5
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (10, 30.0)):
        wait = fetcher.retry_wait(500, "7", attempt)  # Retry-After only counts on 429/503
        assert ceiling / 2 <= wait <= ceiling
    assert (
        parse_retry_after("0") == 0 and parse_retry_after("soon") is None and parse_retry_after(None) is None
    )
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(past) == 0


def test_connection_refused_is_retried_then_reported():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    [page] = fetch_all(
        [f"http://127.0.0.1:{port}/viec-lam-it"], FAST.with_(max_retries=1, respect_robots=False)
    )
    assert page.status is None and not page.ok
    assert (
        page.error is not None and page.error.startswith("ConnectError") and "after 2 attempts" in page.error
    )
    assert page.attempts == 2 and page.body == b"" and page.text == ""


def test_timeout_is_reported():
    with DemoBoard(pages=1) as board:
        settings = FAST.with_(timeout_seconds=0.1, max_retries=0)
        [page] = fetch_all([board.url("/viec-lam-it?fault=slow&delay=0.5")], settings)
        assert page.status is None and page.error is not None and "Timeout" in page.error


def test_robots_disallow_is_honoured_and_switchable():
    with DemoBoard(pages=1) as board:
        private = board.url("/private/viec-lam-it?page=1")
        [page] = fetch_all([private, board.listing_url], FAST)[:1]
        assert page.robots_disallowed and page.status is None and page.attempts == 0
        assert page.error is not None and "robots.txt" in page.error
        assert board.request_count("/private/viec-lam-it") == 0
        [page] = fetch_all([private], FAST.with_(respect_robots=False))
        assert page.ok and board.request_count("/private/viec-lam-it") == 1


def test_robots_is_fetched_once_per_host_and_user_agent_is_sent():
    with DemoBoard(pages=3) as board:
        urls = [board.url(f"/viec-lam-it?page={n}") for n in (1, 2, 3)] + [board.sitemap_url]
        pages = fetch_all(urls, FAST)
        assert all(p.ok for p in pages)
        assert board.request_count("/robots.txt") == 1
        assert {r.user_agent for r in board.requests} == {DEFAULT_USER_AGENT}
        assert DEFAULT_USER_AGENT == "JobInsightETL/0.1 (+https://github.com/jobinsight-etl)"
        fetch_all([board.listing_url], FAST.with_(user_agent="AcmeBot/2.0 (+https://acme.example)"))
        assert board.requests[-1].user_agent == "AcmeBot/2.0 (+https://acme.example)"


def test_robots_missing_allows_everything_but_server_error_blocks_the_host():
    with StaticSite({"/a": "<p>a</p>"}, robots_txt=None) as site:
        [page] = fetch_all([site.url("/a")], FAST)
        assert page.ok
    with StaticSite({"/a": "<p>a</p>", "/robots.txt": (503, {}, b"down")}) as site:
        [page] = fetch_all([site.url("/a")], FAST.with_(max_retries=1))
        assert page.robots_disallowed and "RFC 9309" in (page.error or "")
        assert site.request_count("/a") == 0 and site.request_count("/robots.txt") == 2


def test_user_agent_specific_robots_rules():
    robots = "User-agent: JobInsightETL\nDisallow: /jobs/\n\nUser-agent: *\nDisallow:\n"
    with StaticSite({"/jobs/1": "<p>1</p>", "/other": "<p>o</p>"}, robots_txt=robots) as site:
        jobs_page, other = fetch_all([site.url("/jobs/1"), site.url("/other")], FAST)
        assert jobs_page.robots_disallowed and other.ok
        [allowed] = fetch_all([site.url("/jobs/1")], FAST.with_(user_agent="OtherBot/1.0"))
        assert allowed.ok


def test_per_host_delay_spaces_requests():
    with DemoBoard(pages=3) as board:
        urls = [board.url(f"/viec-lam-it?page={n}") for n in (1, 2, 3)]
        fetch_all(urls, FAST.with_(delay_seconds=0.3, concurrency=3))
        arrivals = sorted(r.at for r in board.requests)  # robots.txt + 3 pages
        gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
        assert len(gaps) == 3 and min(gaps) >= 0.25  # 50 ms slack for connection setup jitter


def test_crawl_delay_from_robots_raises_the_delay():
    with StaticSite({"/a": "a", "/b": "b"}, robots_txt="User-agent: *\nCrawl-delay: 0.4\n") as site:
        fetch_all([site.url("/a"), site.url("/b")], FAST)
        a, b = (r.at for r in site.requests if r.path in ("/a", "/b"))
        assert abs(b - a) >= 0.35


def test_concurrency_is_bounded():
    with DemoBoard(pages=6, delay_seconds=0.15) as board:
        urls = [board.url(f"/viec-lam-it?page={n}") for n in range(1, 7)]
        pages = fetch_all(urls, FAST.with_(concurrency=2))
        assert all(p.ok for p in pages)
        assert board.max_in_flight == 2
        assert [p.url for p in pages] == urls  # results keep input order


def test_fetch_all_works_inside_a_running_event_loop():
    with DemoBoard(pages=1) as board:

        async def inside_prefect_like_loop() -> int:
            pages = fetch_all([board.listing_url], FAST)
            return pages[0].status or 0

        assert asyncio.run(inside_prefect_like_loop()) == 200


def test_fetcher_stats_count_requests_retries_and_bytes():
    with DemoBoard(pages=2, rate_limit_first=1, retry_after=0) as board:

        async def run() -> Fetcher:
            async with Fetcher(FAST) as fetcher:
                await fetcher.fetch_many([board.url("/viec-lam-it?page=1"), board.url("/viec-lam-it?page=2")])
                return fetcher

        fetcher = asyncio.run(run())
        stats = fetcher.stats
        assert stats.requests == board.request_count() == 5  # robots + 2 x (429, 200)
        assert stats.retries == 2 and stats.pages_ok == 2 and stats.pages_failed == 0
        assert stats.bytes > 10_000 and stats.statuses == {"200": 3, "429": 2}


def test_fetcher_requires_context_manager():
    with pytest.raises(RuntimeError):
        asyncio.run(Fetcher(FAST).fetch("http://127.0.0.1:1/"))


def test_settings_from_env_and_validation():
    env = {
        "JOBINSIGHT_SCRAPE_DELAY": "2.5",
        "JOBINSIGHT_SCRAPE_CONCURRENCY": "4",
        "JOBINSIGHT_USER_AGENT": "MyCrawler/1.0",
        "JOBINSIGHT_RESPECT_ROBOTS": "false",
    }
    s = FetchSettings.from_settings(Settings.from_environ(env))
    assert (s.delay_seconds, s.concurrency, s.user_agent, s.respect_robots) == (
        2.5,
        4,
        "MyCrawler/1.0",
        False,
    )
    assert FetchSettings.from_settings(Settings.from_environ(env), concurrency=1).concurrency == 1
    defaults = FetchSettings.from_settings(Settings.from_environ({}))
    assert defaults == FetchSettings()
    assert (defaults.concurrency, defaults.delay_seconds, defaults.timeout_seconds, defaults.max_retries) == (
        2,
        1.0,
        20,
        4,
    )
    assert (defaults.backoff_base, defaults.max_backoff, defaults.respect_robots) == (0.5, 30, True)
    with pytest.raises(ConfigError, match="JOBINSIGHT_SCRAPE_CONCURRENCY"):
        Settings.from_environ({"JOBINSIGHT_SCRAPE_CONCURRENCY": "two"})
    with pytest.raises(ConfigError, match="JOBINSIGHT_RESPECT_ROBOTS"):
        Settings.from_environ({"JOBINSIGHT_RESPECT_ROBOTS": "maybe"})
    with pytest.raises(ValueError):
        FetchSettings(concurrency=0)
    with pytest.raises(ValueError):
        FetchSettings(delay_seconds=-1)
