"""Page verdicts: ok, blocked, empty, repeated, http_error — with reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobinsight.scrape.fetcher import FetchedPage
from jobinsight.scrape.page_checks import block_marker, check_listing_page
from jobinsight.scrape.records import RawJob
from jobinsight.scrape.sources.demo import render_block_page, render_listing
from jobinsight.scrape.sources.topcv import parse_listing

REAL_PAGE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "realdata"
    / "topcv_listing_html"
    / ("topcv_search_ke-toan_2025-10-18_page1.html")
)
URL = "https://www.topcv.vn/viec-lam-it?page=2"


def fetched(
    body: str | bytes, status: int | None = 200, error: str | None = None, **extra: object
) -> FetchedPage:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return FetchedPage(
        url=URL,
        final_url=URL,
        status=status,
        body=raw,
        elapsed_s=0.01,
        attempts=1,
        retries=0,
        error=error if error is not None or status is None or status < 400 else f"HTTP {status}",
        fetched_at=datetime(2025, 10, 18, tzinfo=UTC),
        **extra,  # type: ignore[arg-type]
    )


def jobs(*ids: str) -> list[RawJob]:
    return [RawJob(source="topcv", job_id=i) for i in ids]


def test_ok_page_with_cards():
    verdict = check_listing_page(fetched("<div>cards</div>"), jobs("1", "2"), previous_ids={"9"})
    assert verdict.ok and verdict.verdict == "ok" and verdict.reason == "2 jobs"


def test_real_page_with_its_login_recaptcha_is_ok():
    if not REAL_PAGE.exists():
        pytest.skip("real TopCV page not available")
    body = REAL_PAGE.read_bytes()
    page = fetched(body)
    assert check_listing_page(page, parse_listing(body, URL)).verdict == "ok"
    assert block_marker(page.text) is None  # the invisible reCAPTCHA widget is not a block


def test_normal_empty_listing_is_empty_not_blocked():
    verdict = check_listing_page(fetched(render_listing([], "https://x", 5, 4)), [])
    assert verdict.verdict == "empty" and "no job cards" in verdict.reason


@pytest.mark.parametrize(
    ("body", "label"),
    [
        (
            "<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>",
            "Cloudflare",
        ),
        ("<html><body><h1>Bạn đã gửi quá nhiều yêu cầu</h1></body></html>", "quá nhiều yêu cầu"),
        (
            "<html><head><title>Access Denied</title></head><body>You don't have permission</body></html>",
            "Access denied",
        ),
        ('<html><body><div class="g-recaptcha" data-sitekey="k"></div></body></html>', "reCAPTCHA"),
        ('<html><body><div class="h-captcha" data-sitekey="k"></div></body></html>', "hCaptcha"),
        ("<html><body><p>Please solve this CAPTCHA to continue</p></body></html>", "captcha"),
        ('<div class="cf-turnstile"></div>', "Turnstile"),
    ],
)
def test_block_pages_are_blocked(body, label):
    verdict = check_listing_page(fetched(body), [])
    assert verdict.verdict == "blocked" and label.lower() in verdict.reason.lower()


def test_demo_block_page_is_blocked():
    assert check_listing_page(fetched(render_block_page()), []).verdict == "blocked"


def test_403_with_challenge_is_blocked_and_so_is_a_plain_403():
    challenge = "<html><head><title>Just a moment...</title></head><script src='/cdn-cgi/challenge-platform/x.js'></script></html>"
    verdict = check_listing_page(fetched(challenge, status=403), [])
    assert verdict.verdict == "blocked" and verdict.reason.startswith("HTTP 403 with")
    # A refusal status is a block whatever the body (issue 12): auto mode retries it in the browser.
    plain = check_listing_page(fetched("<h1>Forbidden</h1>", status=403), [])
    assert plain.verdict == "blocked" and plain.reason == "HTTP 403; tried http only"
    assert check_listing_page(fetched("<h1>Not here</h1>", status=404), []).reason == "HTTP 404"


def test_429_and_503_with_block_text_are_blocked():
    page = fetched(
        "<h1>429</h1><p>Bạn đã gửi quá nhiều yêu cầu</p>", status=429, error="HTTP 429 after 5 attempts"
    )
    assert check_listing_page(page, []).verdict == "blocked"
    assert check_listing_page(fetched("oops", status=503), []).verdict == "blocked"
    assert check_listing_page(fetched("oops", status=500), []).verdict == "http_error"


def test_no_response_and_robots_are_http_errors():
    assert (
        check_listing_page(fetched(b"", status=None, error="ConnectError: refused"), []).reason
        == "ConnectError: refused"
    )
    robots = fetched(
        b"", status=None, error="disallowed by robots.txt (Disallow rule matches)", robots_disallowed=True
    )
    verdict = check_listing_page(robots, [])
    assert verdict.verdict == "http_error" and "robots.txt" in verdict.reason


def test_repeated_page_same_or_subset_of_previous_ids():
    page = fetched("<div>cards</div>")
    same = check_listing_page(page, jobs("1", "2"), previous_ids={"1", "2"})
    assert same.verdict == "repeated" and "the same" in same.reason
    subset = check_listing_page(page, jobs("2"), previous_ids=["1", "2", "3"])
    assert subset.verdict == "repeated" and "subset" in subset.reason
    assert check_listing_page(page, jobs("2", "4"), previous_ids={"1", "2"}).verdict == "ok"
    assert check_listing_page(page, jobs("1"), previous_ids=None).verdict == "ok"


def test_cards_win_over_captcha_words_on_a_200_page():
    page = fetched('<div class="g-recaptcha"></div><div>cards</div>')
    assert check_listing_page(page, jobs("1")).verdict == "ok"
