"""One fetcher per scrape run (issue 12): listing and detail fetches to one host share its delay,
its concurrency cap, its robots.txt and, in ``auto`` mode, the browser — seen from the loopback
server's side (arrival times, requests in flight, statuses).

Only lower bounds on the gaps the server saw are asserted (a loaded machine makes them longer,
never shorter): this is behaviour, not speed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path

import pytest

from jobinsight.options import PipelineOptions
from jobinsight.scrape.crawl import acrawl_listing
from jobinsight.scrape.details import DetailCrawl, acrawl_details
from jobinsight.scrape.fetch_session import FetchSession
from jobinsight.scrape.fetcher import Fetcher, FetchSettings
from jobinsight.scrape.outcome import CrawlOutcome
from jobinsight.scrape.runner import SourceTarget, crawl, follow_details, open_source
from jobinsight.scrape.sources.demo_board import DemoBoard
from tests.browser_support import require_chromium

DELAY = 0.3
#: Float noise only: the fetcher paces on the same monotonic clock the server stamps arrivals with.
EPSILON = 0.001


def _detail_paths(board: DemoBoard) -> set[str]:
    return {job.path() for job in board.jobs()}


def _options(board: DemoBoard, tmp_path: Path, **changes: object) -> PipelineOptions:
    values: dict[str, object] = {"max_pages": 1, **changes}
    return PipelineOptions(pipeline_mode="scrapeOnly", source="topcv", base_url=board.listing_url,
                           archive_root=str(tmp_path / "archive"), **values)


def test_per_host_delay_holds_from_the_listing_into_its_detail_pages(tmp_path: Path) -> None:
    settings = FetchSettings(delay_seconds=DELAY, concurrency=4, per_host_concurrency=1, fetcher="http",
                             max_retries=1)
    with DemoBoard(pages=1, per_page=4) as board, FetchSession(settings) as session:
        target = SourceTarget("topcv", board.listing_url, [], settings, session=session)
        options = _options(board, tmp_path)
        outcome = crawl(target, options)
        follow_details(outcome, target, options, lambda _source, _ids: {})  # nothing stored: every card is new
        requests = board.requests
        run_bytes = session.stats.bytes
    assert outcome.jobs_found == 4 and outcome.detail_counts["detail_pages_fetched"] == 4
    assert len(outcome.detail_jobs) == 4 and outcome.problems == []
    assert 0 < outcome.detail_counts["detail_bytes"] < outcome.bytes == run_bytes  # each crawl counted its own share
    paths = [r.path for r in requests]
    # robots.txt read once for the run (the detail pages reuse the listing's), then 1 listing + 4 details
    assert paths.count("/robots.txt") == 1 and paths.count("/viec-lam-it") == 1
    assert set(paths) - {"/robots.txt", "/viec-lam-it"} == _detail_paths(board)
    arrivals = sorted(r.at for r in requests)
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert len(gaps) == 5 and min(gaps) >= DELAY - EPSILON, gaps


@pytest.mark.browser
def test_auto_takes_listing_and_details_of_a_challenge_host_through_one_browser(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    require_chromium()
    with DemoBoard(pages=2, per_page=3, challenge=True) as board:
        # one page at a time, so listing page 2 finds the browser already past the challenge
        options = _options(board, tmp_path, max_pages=2, delay_seconds=0, concurrency=1, fetcher="auto")
        with caplog.at_level(logging.INFO, logger="jobinsight.scrape"), open_source(options) as target:
            assert target.session is not None  # the run's one fetcher, opened by the runner
            outcome = crawl(target, options)
            follow_details(outcome, target, options, lambda _source, _ids: {})
        requests = board.requests
    assert outcome.problems == [], outcome.problems
    assert outcome.jobs_found == 6 and len(outcome.detail_jobs) == 6
    assert outcome.detail_counts["detail_pages_fetched"] == outcome.detail_counts["detail_browser_pages"] == 6
    assert outcome.browser_pages == 2 + 6  # both listing pages, then every detail page
    # Only listing page 1 met the challenge: over HTTP (403), then in the browser (403, the script
    # runs, the reload with its cookie passes). Every detail page went straight to that browser:
    # one request each, 200 — never over plain HTTP, never a second challenge.
    assert [(r.path, r.page) for r in requests if r.status == 403] == [("/viec-lam-it", 1)] * 2
    detail = [r for r in requests if r.path in _detail_paths(board)]
    assert sorted(r.path for r in detail) == sorted(_detail_paths(board))
    assert all(r.status == 200 and "Chrom" in r.user_agent for r in detail)
    assert sum("browser started" in m for m in caplog.messages) == 1


def test_per_host_concurrency_cap_holds_across_listing_and_detail_crawls_at_once() -> None:
    settings = FetchSettings(delay_seconds=0, concurrency=6, per_host_concurrency=2, fetcher="http", max_retries=1)
    results: dict[str, CrawlOutcome | DetailCrawl] = {}
    spans: dict[str, tuple[float, float]] = {}

    with DemoBoard(pages=6, per_page=2, delay_seconds=0.15) as board, FetchSession(settings) as session:
        targets = [(job.job_id, board.url(job.path())) for job in board.jobs()]

        def listing(fetcher: Fetcher):
            return acrawl_listing(board.listing_url, 6, parser="topcv", source="topcv", fetcher=fetcher)

        def details(fetcher: Fetcher):
            return acrawl_details(targets, fetcher=fetcher, progress_every=0)

        start = threading.Barrier(2)

        def step(name: str, call) -> None:  # noqa: ANN001 - a crawl factory
            start.wait()
            began = time.monotonic()
            results[name] = session.run(call)
            spans[name] = (began, time.monotonic())

        # Two synchronous steps at once (two threads), as two Prefect tasks could run them.
        threads = [threading.Thread(target=step, args=item) for item in (("listing", listing), ("details", details))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        in_flight = board.max_in_flight
    assert results["listing"].jobs_found == 12 and len(results["details"].jobs) == 12
    (a_start, a_end), (b_start, b_end) = spans["listing"], spans["details"]
    assert a_start < b_end and b_start < a_end  # both crawls wanted the host at the same time
    assert in_flight == 2  # yet never more than the per-host cap in flight, though 6 were allowed in all


def test_a_fetcher_awaited_on_another_loop_says_how_to_share_it() -> None:
    with DemoBoard(pages=1) as board, FetchSession(FetchSettings(delay_seconds=0, fetcher="http")) as session:
        with pytest.raises(RuntimeError, match="another event loop.*FetchSession.run"):
            asyncio.run(session.fetcher.fetch(board.listing_url))
        page = session.run(lambda fetcher: fetcher.fetch(board.listing_url))
        assert page.ok and session.stats.pages_ok == 1
    with pytest.raises(RuntimeError, match="not open"):
        session.run(lambda fetcher: fetcher.fetch(board.listing_url))
