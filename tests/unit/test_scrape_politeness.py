"""Politeness and target checks at scale (issues 12 and 16), against real loopback servers.

robots.txt is read with Protego (wildcards, longest match — cases the standard library gets
wrong), Crawl-delay is honoured, per-host concurrency holds across everything one fetcher
does, and every redirect hop passes the scheme allow-list, the address guard and the target
host's robots.txt. Loopback and private targets are refused unless allowed; link-local
(cloud metadata) always.
"""

from __future__ import annotations

import asyncio
from http.server import BaseHTTPRequestHandler
from urllib.robotparser import RobotFileParser

from jobinsight.scrape.fetcher import Fetcher, FetchSettings, fetch_all
from jobinsight.scrape.sources.demo_board import DemoBoard, StaticSite
from tests.loopback import send, serve

FAST = FetchSettings(delay_seconds=0, backoff_base=0.01, max_backoff=0.05, max_retries=1, fetcher="http")

ROBOTS = """User-agent: *
Disallow: /jobs/
Allow: /jobs/it-
Disallow: /*?sort=
Disallow: /*.pdf$
"""


def test_robots_wildcards_and_longest_match_where_the_stdlib_is_wrong():
    routes = {"/jobs/it-123": "<p>job</p>", "/jobs/sales-9": "<p>job</p>", "/viec-lam-it?sort=new": "<p>s</p>",
              "/cv.pdf": "pdf", "/cv.pdf.html": "<p>page</p>", "/about": "<p>about</p>"}
    expected = {"/jobs/it-123": True, "/jobs/sales-9": False, "/viec-lam-it?sort=new": False,
                "/cv.pdf": False, "/cv.pdf.html": True, "/about": True}
    with StaticSite(routes, robots_txt=ROBOTS) as site:
        pages = fetch_all([site.url(p) for p in routes], FAST)
        assert {p.url.removeprefix(site.base_url): not p.robots_disallowed for p in pages} == expected
        requested = {r.path + (f"?{r.query}" if r.query else "") for r in site.requests}
        assert requested == {"/robots.txt"} | {path for path, ok in expected.items() if ok}
    stdlib = RobotFileParser()
    stdlib.parse(ROBOTS.splitlines())
    # First match instead of longest, and no wildcards: the standard library gets three of these
    # wrong — the reason the crawler reads robots.txt with Protego.
    wrong = {path for path, ok in expected.items() if stdlib.can_fetch("JobInsightETL", f"http://x{path}") != ok}
    assert wrong == {"/jobs/it-123", "/viec-lam-it?sort=new", "/cv.pdf"}


def test_crawl_delay_is_honoured_between_requests_seen_by_the_server():
    with DemoBoard(pages=3, robots_txt="User-agent: *\nCrawl-delay: 0.5\n") as board:
        pages = fetch_all([board.url(f"/viec-lam-it?page={n}") for n in (1, 2, 3)], FAST.with_(concurrency=3))
        assert all(p.ok for p in pages)
        starts = sorted(r.at for r in board.requests_for("/viec-lam-it"))
        assert len(starts) == 3 and all(b - a >= 0.48 for a, b in zip(starts, starts[1:], strict=False))


def test_per_host_concurrency_is_shared_by_all_fetches_of_one_fetcher():
    async def listing_and_details(board: DemoBoard) -> None:
        settings = FAST.with_(concurrency=6, per_host_concurrency=2)
        async with Fetcher(settings) as fetcher:
            listing = [board.url(f"/viec-lam-it?page={n}") for n in (1, 2, 3)]
            details = [board.url(f"/jobs/{job.job_id}") for job in board.jobs()[:6]]
            pages = await asyncio.gather(fetcher.fetch_many(listing), fetcher.fetch_many(details))
            assert all(p.ok for group in pages for p in group)

    with DemoBoard(pages=3, per_page=2, delay_seconds=0.15) as board:
        asyncio.run(listing_and_details(board))
        assert board.max_in_flight == 2


def _redirect_to(target: str):
    def handle(request: BaseHTTPRequestHandler) -> None:
        if request.path == "/robots.txt":
            send(request, 404)
        else:
            send(request, 302, b"", {"Location": target})

    return handle


def test_redirect_to_another_host_reads_that_hosts_robots_txt_first():
    with DemoBoard(pages=1) as other, serve(_redirect_to(other.url("/private/listing"))) as (base, _):
        [page] = fetch_all([f"{base}/jobs/1"], FAST)
        assert not page.ok and page.limit == "robots"
        assert "disallowed by robots.txt" in (page.error or "")
        assert [r.path for r in other.requests] == ["/robots.txt"]  # asked, then never went there
    with DemoBoard(pages=1) as other, serve(_redirect_to(other.url("/viec-lam-it"))) as (base, _):
        [page] = fetch_all([f"{base}/jobs/1"], FAST)
        assert page.ok and page.final_url == other.url("/viec-lam-it")


def test_redirects_to_other_schemes_and_to_metadata_are_refused():
    for target, limit, text in (("file:///etc/passwd", "scheme", "only http and https"),
                                ("ftp://127.0.0.1/x", "scheme", "only http and https"),
                                ("http://169.254.169.254/latest/meta-data/", "address", "link-local")):
        with serve(_redirect_to(target)) as (base, _):
            [page] = fetch_all([f"{base}/go"], FAST)
        assert page.limit == limit and text in (page.error or ""), page.error


def test_private_and_metadata_targets_are_refused_unless_allowed():
    with DemoBoard(pages=1) as board:
        strict = FAST.with_(allow_private_addresses=False)
        [page] = fetch_all([board.listing_url], strict)
        assert page.limit == "address" and "loopback" in (page.error or "")
        assert "JOBINSIGHT_ALLOW_PRIVATE_ADDRESSES" in (page.error or "")
        assert board.requests == []  # refused before anything was sent, robots.txt included
        [allowed] = fetch_all([board.listing_url], FAST.with_(allow_private_addresses=True))
        assert allowed.ok
    for url in ("http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://10.0.0.8/jobs"):
        [page] = fetch_all([url], FAST.with_(allow_private_addresses=False))
        assert page.limit == "address" and page.attempts == 0, (url, page.error)
    [metadata] = fetch_all(["http://169.254.169.254/"], FAST.with_(allow_private_addresses=True))
    assert metadata.limit == "address" and "never crawled" in (metadata.error or "")


def test_a_redirect_to_a_new_host_with_one_request_at_a_time_does_not_wait_for_itself():
    """The new host's robots.txt is read while the redirected request holds the only permit
    (concurrency=1); it used to wait for a second permit until the request deadline."""
    with DemoBoard(pages=1) as other, serve(_redirect_to(other.url("/viec-lam-it"))) as (base, _):
        [page] = fetch_all([f"{base}/jobs/1"], FAST.with_(concurrency=1, request_deadline_seconds=10))
        assert page.ok and page.final_url == other.url("/viec-lam-it"), page.error
        assert page.elapsed_s < 5
        assert [r.path for r in other.requests] == ["/robots.txt", "/viec-lam-it"]
