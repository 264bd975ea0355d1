"""Limits on what a server may send (issue 16), each against a real loopback server.

A gzip bomb stops at the decompressed-size limit with low memory; a server trickling one byte
at a time hits the per-request deadline (connect + total), not only a between-bytes timeout;
the run deadline stops a crawl; each limit is named on the page and counted in the outcome.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zlib
from http.server import BaseHTTPRequestHandler

import pytest

from jobinsight.errors import ConfigError
from jobinsight.scrape.crawl import crawl_listing
from jobinsight.scrape.fetcher import FetchSettings, fetch_all
from jobinsight.scrape.sources.demo_board import DemoBoard
from jobinsight.settings import Settings
from tests.loopback import send, serve

FAST = FetchSettings(delay_seconds=0, backoff_base=0.01, max_backoff=0.05, max_retries=1,
                     respect_robots=False, fetcher="http")
BOMB_INFLATED = 256 * 1024 * 1024


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """~1.2 MB of gzip that inflates to 256 MiB of zeros."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    zeros = bytes(16 << 20)
    parts = [packer.compress(zeros) for _ in range(BOMB_INFLATED // len(zeros))]
    parts.append(packer.flush())
    return b"".join(parts)


def _bomb_handler(bomb: bytes):
    def handle(request: BaseHTTPRequestHandler) -> None:
        send(request, 200, bomb, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"})

    return handle


_RSS_PROBE = """
import json, resource, sys
from jobinsight.scrape.fetcher import FetchSettings, fetch_all
settings = FetchSettings(delay_seconds=0, respect_robots=False, fetcher="http", max_retries=0,
                         max_body_bytes=2 * 1024 * 1024, allow_private_addresses=True)
fetch_all(["http://127.0.0.1:1/warm-up"], settings.with_(connect_timeout_seconds=1))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
[page] = fetch_all([sys.argv[1]], settings)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kb": before, "after_kb": after, "limit": page.limit, "error": page.error,
                  "size": len(page.body)}))
"""


def test_gzip_bomb_stops_at_the_body_limit_with_low_memory(gzip_bomb: bytes):
    with serve(_bomb_handler(gzip_bomb)) as (base, _):
        done = subprocess.run([sys.executable, "-c", _RSS_PROBE, f"{base}/bomb"], capture_output=True,
                              text=True, timeout=120, check=True)
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["limit"] == "max_body_bytes" and probe["size"] == 0
    assert "2,097,152-byte limit" in probe["error"] and "inflated from gzip" in probe["error"]
    # Inflating it would cost 256 MiB; streaming against the limit costs a few MB at most.
    assert probe["after_kb"] - probe["before_kb"] < 48 * 1024, probe


def test_body_limit_is_a_reported_problem_and_nothing_is_stored(gzip_bomb: bytes):
    with serve(_bomb_handler(gzip_bomb)) as (base, _):
        outcome = crawl_listing(f"{base}/viec-lam-it", 2, FAST.with_(max_body_bytes=1_000_000, concurrency=1))
    assert outcome.jobs == [] and outcome.limits_hit == {"max_body_bytes": 1}
    [problem] = outcome.problems
    assert problem["verdict"] == "http_error" and "JOBINSIGHT_MAX_BODY_BYTES" in problem["reason"]


def test_declared_content_length_over_the_limit_is_refused_before_reading():
    def handle(request: BaseHTTPRequestHandler) -> None:
        send(request, 200, b"x" * 50_000)

    with serve(handle) as (base, _):
        [page] = fetch_all([f"{base}/big"], FAST.with_(max_body_bytes=10_000))
    assert page.limit == "max_body_bytes" and "Content-Length says 50,000 bytes" in (page.error or "")


def test_trickling_server_hits_the_request_deadline_quickly():
    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.send_header("Content-Length", "1000")
        request.end_headers()
        for _ in range(1000):  # one byte every 0.4 s: never idle long enough for a read timeout
            request.wfile.write(b"x")
            request.wfile.flush()
            time.sleep(0.4)

    with serve(handle) as (base, _):
        started = time.perf_counter()
        [page] = fetch_all([f"{base}/slow"], FAST.with_(request_deadline_seconds=1.5, timeout_seconds=5))
        took = time.perf_counter() - started
    assert page.limit == "request_deadline" and not page.ok
    assert "request deadline of 1.5s exceeded" in (page.error or "")
    assert page.attempts == 1  # a deadline is not retried: the server would trickle again
    assert took < 10


def test_run_deadline_stops_the_crawl_and_is_reported():
    with DemoBoard(pages=10, per_page=2, delay_seconds=0.4) as board:
        outcome = crawl_listing(board.listing_url, 10, FAST.with_(run_deadline_seconds=1.0, concurrency=1))
    assert 0 < outcome.pages_fetched < 10
    assert outcome.limits_hit.get("run_deadline", 0) >= 1
    assert any("run deadline of 1s reached" in p["reason"] for p in outcome.problems)


def test_limit_settings_are_validated_and_read_from_the_environment():
    env = {"JOBINSIGHT_MAX_BODY_BYTES": "100000", "JOBINSIGHT_REQUEST_DEADLINE": "7.5",
           "JOBINSIGHT_SCRAPE_RUN_DEADLINE": "60", "JOBINSIGHT_FETCHER": "http",
           "JOBINSIGHT_ALLOW_PRIVATE_ADDRESSES": "no", "JOBINSIGHT_SCRAPE_PER_HOST_CONCURRENCY": "3",
           "JOBINSIGHT_CONNECT_TIMEOUT": "2"}
    settings = FetchSettings.from_settings(Settings.from_environ(env))
    assert (settings.max_body_bytes, settings.request_deadline_seconds, settings.run_deadline_seconds,
            settings.fetcher, settings.allow_private_addresses, settings.per_host_concurrency,
            settings.connect_timeout_seconds) == (100000, 7.5, 60.0, "http", False, 3, 2.0)
    defaults = FetchSettings.from_settings(Settings.from_environ({}))
    assert (defaults.max_body_bytes, defaults.request_deadline_seconds, defaults.fetcher) == (
        25 * 1024 * 1024, 60.0, "auto")
    for bad in ({"JOBINSIGHT_MAX_BODY_BYTES": "0"}, {"JOBINSIGHT_REQUEST_DEADLINE": "nan"},
                {"JOBINSIGHT_SCRAPE_RUN_DEADLINE": "-1"}, {"JOBINSIGHT_FETCHER": "curl"},
                {"JOBINSIGHT_REQUEST_DEADLINE": "inf"}, {"JOBINSIGHT_ALLOW_PRIVATE_ADDRESSES": "maybe"},
                {"JOBINSIGHT_CONNECT_TIMEOUT": "0"}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            Settings.from_environ(bad)
