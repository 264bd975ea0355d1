"""Routes (a board's public name served on loopback) rewrite only their own origin; the demo
board stays quiet when a client hangs up but still reports real errors."""

from __future__ import annotations

import socket
import struct
import time

import pytest

from jobinsight.scrape.fetcher import FetchSettings, fetch_all
from jobinsight.scrape.sources.demo import CANONICAL_BASE
from jobinsight.scrape.sources.demo_board import DemoBoard
from jobinsight.scrape.urls import route_url, unroute_url

ROUTES = ((CANONICAL_BASE, "http://127.0.0.1:8123"),)


@pytest.mark.parametrize(("url", "sent"), [
    (f"{CANONICAL_BASE}/viec-lam/x/1.html?a=1", "http://127.0.0.1:8123/viec-lam/x/1.html?a=1"),
    ("HTTPS://Demo.JobInsight.invalid/robots.txt", "http://127.0.0.1:8123/robots.txt"),
    ("http://demo.jobinsight.invalid/x", "http://demo.jobinsight.invalid/x"),  # another scheme: another origin
    ("https://demo.jobinsight.invalid:444/x", "https://demo.jobinsight.invalid:444/x"),  # another port
    ("https://demo.jobinsight.invalid.evil.example/x", "https://demo.jobinsight.invalid.evil.example/x"),
    ("https://www.topcv.vn/viec-lam/x/1.html", "https://www.topcv.vn/viec-lam/x/1.html"),
])
def test_only_the_declared_origin_is_routed(url: str, sent: str) -> None:
    assert route_url(url, ROUTES) == sent
    assert route_url(url, ()) == url


def test_answers_from_the_serving_origin_get_the_public_name_back() -> None:
    assert unroute_url("http://127.0.0.1:8123/jobs/7", ROUTES) == f"{CANONICAL_BASE}/jobs/7"
    assert unroute_url("http://127.0.0.1:8124/jobs/7", ROUTES) == "http://127.0.0.1:8124/jobs/7"


@pytest.mark.parametrize("bad", [(("https://a.example/path", "http://127.0.0.1:1"),),
                                 (("https://a.example", "ftp://127.0.0.1"),), (("https://a.example",),)])
def test_a_route_must_pair_two_origins(bad: tuple) -> None:
    with pytest.raises(ValueError, match="routes must be"):
        FetchSettings(routes=bad)


def test_pages_fetched_through_a_route_keep_the_public_url() -> None:
    with DemoBoard(pages=1, canonical_base=CANONICAL_BASE) as board:
        settings = FetchSettings(delay_seconds=0, routes=((CANONICAL_BASE, board.base_url),))
        page, = fetch_all([f"{CANONICAL_BASE}/viec-lam-it?page=1"], settings)
        assert page.ok and page.url == page.final_url == f"{CANONICAL_BASE}/viec-lam-it?page=1"
        assert board.request_count("/robots.txt") == 1 and board.request_count("/viec-lam-it") == 1
        assert b"127.0.0.1" not in page.body  # the board names itself by its public name


def _hang_up_mid_response(board: DemoBoard) -> None:
    """Ask for a slow page and reset the connection (RST) before the board answers."""
    host, port = board.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.sendall(b"GET /viec-lam-it?fault=slow&delay=0.3 HTTP/1.1\r\nHost: x\r\n\r\n")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_a_client_hanging_up_prints_no_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with DemoBoard(pages=1) as board:
        for _ in range(3):
            _hang_up_mid_response(board)
        deadline = time.monotonic() + 5
        while board.request_count("/viec-lam-it") < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.6)  # the handlers wake from their delay and write into the reset sockets
    assert board.request_count("/viec-lam-it") == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ConnectionResetError" not in err and "BrokenPipeError" not in err


def test_a_real_error_in_the_board_is_still_reported(capsys: pytest.CaptureFixture[str]) -> None:
    class Broken(DemoBoard):
        def respond(self, path: str, query: str) -> tuple[int, dict[str, str], bytes, float]:
            raise RuntimeError("the board itself is broken")

    with Broken(pages=1) as board:
        page, = fetch_all([board.listing_url], FetchSettings(delay_seconds=0, max_retries=0, respect_robots=False))
    assert not page.ok
    err = capsys.readouterr().err
    assert "RuntimeError: the board itself is broken" in err and "Traceback" in err
