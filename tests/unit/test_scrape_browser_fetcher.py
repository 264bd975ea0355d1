"""The browser fetcher with the real system Chromium against loopback servers (issue 12).

A JavaScript challenge (the demo board's, verified server-side) stops the plain HTTP client
and is passed by ``auto`` (HTTP first, then the browser); Cloudflare block pages are detected
in any encoding and reported with what was tried; the browser is paced like the HTTP client.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from jobinsight.scrape.crawl import crawl_listing
from jobinsight.scrape.fetcher import FetchSettings, fetch_all
from jobinsight.scrape.sources.demo_board import (
    CHALLENGE_COOKIE,
    DemoBoard,
    StaticSite,
    challenge_token,
)
from tests.browser_support import require_chromium
from tests.conftest import REALDATA
from tests.loopback import send, serve

FAST = FetchSettings(delay_seconds=0, backoff_base=0.01, max_backoff=0.05, max_retries=1,
                     challenge_wait_seconds=1.0)
BLOCKED = REALDATA / "blocked"


pytestmark = pytest.mark.browser  # real Chromium: out of the fast tier


@pytest.fixture(autouse=True)
def _chromium() -> None:
    require_chromium()


def test_auto_passes_the_javascript_challenge_and_http_does_not():
    with DemoBoard(pages=2, per_page=5, challenge=True) as board:
        plain = crawl_listing(board.listing_url, 2, FAST.with_(fetcher="http"))
        assert plain.jobs == [] and plain.stopped_reason == "blocked"
        assert board.challenge_passes == 0
        [problem] = plain.problems
        assert "Just a moment" in problem["reason"] and "tried http only" in problem["reason"]

        board.reset_log()
        auto = crawl_listing(board.listing_url, 2, FAST.with_(fetcher="auto", concurrency=1))
        expected = [j.job_id for p in (1, 2) for j in board.jobs_on_page(p)]
        assert sorted(j.job_id for j in auto.jobs) == sorted(expected)
        assert auto.problems == [] and auto.browser_pages == 2
        # Page 1: HTTP (403), the browser (403, script runs, reload with the cookie: 200). The
        # browser then serves the host: page 2 goes straight to it and its cookie passes.
        statuses = [(r.page, r.status) for r in board.requests_for("/viec-lam-it")]
        assert statuses == [(1, 403), (1, 403), (1, 200), (2, 200)]
        assert board.challenge_passes == 2
        assert any(r.user_agent.endswith("JobInsightETL/0.1") for r in board.requests)


def test_the_server_checks_the_token_so_a_wrong_cookie_does_not_pass():
    with DemoBoard(pages=1, challenge=True) as board:
        assert board.challenge_answer(f"{CHALLENGE_COOKIE}=nope", "/viec-lam-it", "") is not None
        good = challenge_token(board.challenge_nonce)
        assert board.challenge_answer(f"{CHALLENGE_COOKIE}={good}", "/viec-lam-it", "") is None
        assert board.challenge_answer(None, "/robots.txt", "") is None


def test_browser_mode_fetches_everything_through_chromium():
    with DemoBoard(pages=1, per_page=3, challenge=True) as board:
        [page] = fetch_all([board.listing_url], FAST.with_(fetcher="browser"))
        assert page.ok and page.via == "browser" and page.status == 200
        assert "job-item-search-result" in page.text
        assert board.request_count("/viec-lam-it") == 2  # the challenge, then the reload with the cookie


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_cloudflare_block_pages_are_blocked_in_any_encoding_with_what_was_tried(encoding: str):
    if not BLOCKED.is_dir():
        pytest.skip("shared realdata not available")
    files = sorted(BLOCKED.glob("*.html"))
    assert files
    routes = {}
    for n, path in enumerate(files, start=1):
        body = path.read_bytes().decode("utf-8").encode(encoding)  # utf-16: little-endian with a BOM
        routes[f"/viec-lam-it?page={n}"] = (200, {"Content-Type": "text/html; charset=utf-8"}, body)
    with StaticSite(routes, robots_txt=None) as site:
        for n in range(1, len(files) + 1):
            outcome = crawl_listing(site.url("/viec-lam-it"), 1, FAST, start_page=n)
            [problem] = outcome.problems
            assert problem["verdict"] == "blocked" and outcome.jobs == []
            assert "Cloudflare" in problem["reason"]
            assert "tried http: Cloudflare" in problem["reason"] and "browser:" in problem["reason"]
            assert outcome.browser_pages == 1


def test_browser_fetches_share_per_host_pacing_and_concurrency():
    with DemoBoard(pages=4, per_page=2, delay_seconds=0.2) as board:
        settings = FAST.with_(fetcher="browser", concurrency=4, per_host_concurrency=1, delay_seconds=0.3)
        pages = fetch_all([board.url(f"/viec-lam-it?page={n}") for n in range(1, 5)], settings)
        assert all(p.ok and p.via == "browser" for p in pages)
        assert board.max_in_flight == 1
        starts = sorted(r.at for r in board.requests_for("/viec-lam-it"))
        assert all(b - a >= 0.3 - 0.02 for a, b in zip(starts, starts[1:], strict=False))


def test_missing_chromium_is_one_clear_error(tmp_path: Path):
    with DemoBoard(pages=1) as board:
        [page] = fetch_all([board.listing_url], FAST.with_(fetcher="browser",
                                                         browser_executable=str(tmp_path / "nope")))
        assert not page.ok and "apt-get install -y chromium" in (page.error or "")


def test_a_page_cannot_make_the_browser_reach_the_metadata_address():
    page_html = """<html><head><title>jobs</title></head><body><div id="out">waiting</div><script>
    fetch("http://169.254.169.254/latest/meta-data/", {mode: "no-cors"}).then(
      () => { document.getElementById("out").textContent = "REACHED"; },
      () => { document.getElementById("out").textContent = "refused"; });
    </script></body></html>"""
    with StaticSite({"/viec-lam-it": page_html}) as site:
        [page] = fetch_all([site.listing_url], FAST.with_(fetcher="browser"))
        assert page.ok and page.via == "browser"
        assert '<div id="out">REACHED' not in page.text
        assert any("refused 1 request(s)" in note and "169.254.169.254" in note for note in page.tried)
    with StaticSite({"/go": (302, {"Location": "http://169.254.169.254/"}, b"")}) as site:
        [page] = fetch_all([site.url("/go")], FAST.with_(fetcher="browser"))
        assert not page.ok and page.limit == "address" and "link-local" in (page.error or "")


def test_the_browser_still_follows_allowed_redirects_hop_by_hop():
    with DemoBoard(pages=1, per_page=3) as board, \
            StaticSite({"/go": (302, {"Location": board.listing_url}, b"")}) as site:
        [page] = fetch_all([site.url("/go")], FAST.with_(fetcher="browser"))
        assert page.ok and page.final_url == board.listing_url
        assert "job-item-search-result" in page.text
        assert board.request_count("/viec-lam-it") == 1


def _busy_once(status: int, retry_after: str, times: list[float]):
    """A page that answers ``status`` with ``Retry-After: retry_after`` once, then the page."""
    def handle(request) -> None:  # noqa: ANN001 - BaseHTTPRequestHandler
        if request.path == "/robots.txt":
            send(request, 404)
            return
        if request.path != "/jobs":
            send(request, 404)
            return
        times.append(time.monotonic())
        if len(times) == 1:
            send(request, status, b"<html><body>busy</body></html>", {"Retry-After": retry_after,
                                                                       "Content-Type": "text/html"})
        else:
            send(request, 200, b"<html><body><h1>jobs</h1></body></html>", {"Content-Type": "text/html"})
    return handle


@pytest.mark.parametrize(("status", "retry_after", "cap", "least", "most"), [
    (429, "1", 120.0, 0.9, 5.0),  # the server's wait, not the 0.01-0.05 s backoff
    (503, "3600", 1.0, 0.9, 5.0),  # an hour asked for: cut to max_retry_after, like over HTTP
])
def test_the_browser_waits_as_long_as_retry_after_says(status: int, retry_after: str, cap: float,
                                                       least: float, most: float) -> None:
    times: list[float] = []
    with serve(_busy_once(status, retry_after, times)) as (base, _):
        [page] = fetch_all([f"{base}/jobs"], FAST.with_(fetcher="browser", max_retry_after=cap))
    assert page.ok and page.via == "browser" and page.retries == 1, page.error
    assert len(times) == 2
    assert least <= times[1] - times[0] <= most


def test_a_cross_host_redirect_in_the_browser_reads_that_hosts_robots_txt_first() -> None:
    """One request at a time (concurrency=1): the robots.txt read for the new host, made while the
    page's own request holds the only permit, must not wait for that permit."""
    one = FAST.with_(fetcher="browser", concurrency=1, request_deadline_seconds=20)
    with DemoBoard(pages=1, per_page=3) as other, \
            StaticSite({"/go": (302, {"Location": other.url("/private/listing")}, b"")}) as site:
        [page] = fetch_all([site.url("/go")], one)
        assert not page.ok and page.via == "browser" and page.limit == "robots", page.error
        assert "disallowed by robots.txt" in (page.error or "") and "/private/listing" in (page.error or "")
        assert [r.path for r in other.requests] == ["/robots.txt"]  # asked, then never went there
    with DemoBoard(pages=1, per_page=3) as other, \
            StaticSite({"/go": (302, {"Location": other.listing_url}, b"")}) as site:
        [page] = fetch_all([site.url("/go")], one)
        assert page.ok and page.final_url == other.listing_url, page.error
        assert [r.path for r in other.requests][:2] == ["/robots.txt", "/viec-lam-it"]
