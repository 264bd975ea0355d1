"""Text in any charset (issue 16): header, BOM, meta tag, detector; legacy Vietnamese code pages
come out as NFC; a page that still decodes with replacement characters is reported, not stored.
"""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest

from jobinsight.scrape.crawl import crawl_listing
from jobinsight.scrape.fetcher import FetchSettings
from jobinsight.scrape.sources.demo import generate_jobs, render_listing
from jobinsight.scrape.sources.demo_board import StaticSite
from jobinsight.scrape.text import decode_html
from tests.conftest import REALDATA

FAST = FetchSettings(delay_seconds=0, max_retries=0, fetcher="http", respect_robots=False)


def to_cp1258(text: str) -> bytes:
    """Encode like a legacy Vietnamese page: a base letter (precomposed where windows-1258 has
    it, e.g. ``ê``) followed by a combining tone mark (``Kế`` -> ``K`` ``ê`` U+0301)."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        for i in range(len(marks)):
            head = unicodedata.normalize("NFC", base + marks[i])
            rest = "".join(m for j, m in enumerate(marks) if j != i)
            try:
                out += head.encode("cp1258") + rest.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            out += (base + "".join(marks)).encode("cp1258")
    return bytes(out)


def test_windows_1258_with_combining_tone_marks_decodes_to_nfc():
    raw = to_cp1258("Kế Toán")
    assert raw == b"K\xea\xec To\xe1n"  # ê + combining acute: the legacy way
    for content_type, page in (("text/html; charset=windows-1258", raw),
                               (None, b'<meta charset="windows-1258">' + raw)):
        decoded = decode_html(page, content_type)
        assert decoded.text.endswith("Kế Toán") and decoded.replacements == 0
        assert unicodedata.is_normalized("NFC", decoded.text) and decoded.encoding == "cp1258"


def test_header_beats_meta_and_a_wrong_declaration_gives_way_to_one_that_fits():
    raw = b'<meta charset="utf-8"><p>' + to_cp1258("Kế Toán Hà Nội") + b"</p>"
    decoded = decode_html(raw, "text/html; charset=windows-1258")
    assert decoded.source == "header" and "Kế Toán Hà Nội" in decoded.text
    decoded = decode_html(raw, "text/html; charset=utf-8")  # both say UTF-8: they are wrong
    assert decoded.replacements > 0  # reported, not guessed over the page's own declaration


def test_detector_reads_undeclared_legacy_vietnamese():
    text = "<html><body>" + "<p>Công ty Kế Toán Hà Nội tuyển nhân viên, lương thỏa thuận.</p>" * 10 + "</body></html>"
    decoded = decode_html(to_cp1258(text))
    assert decoded.source == "detector" and decoded.encoding == "cp1258"
    assert "Công ty Kế Toán Hà Nội" in decoded.text and decoded.replacements == 0


def _legacy_listing(base_url: str) -> tuple[list[str], bytes]:
    jobs = [dataclasses.replace(j, title=f"Kế Toán Tổng Hợp {i}") for i, j in enumerate(generate_jobs(5))]
    html = render_listing(jobs, base_url, 1, 1).replace('<meta charset="utf-8">', '<meta charset="windows-1258">')
    return [j.title for j in jobs], to_cp1258(html)


def test_a_windows_1258_listing_page_is_stored_with_the_right_text():
    with StaticSite({}) as site:
        titles, body = _legacy_listing(site.base_url)
        site.routes["/viec-lam-it"] = (200, {"Content-Type": "text/html; charset=windows-1258"}, body)
        outcome = crawl_listing(site.url("/viec-lam-it"), 1, FAST)
    assert outcome.problems == []
    assert [j.title for j in outcome.jobs] == titles  # not "K�� Toa�n"
    assert all("\ufffd" not in f"{j.company_name}{j.location}{j.salary}" for j in outcome.jobs)


def test_a_page_that_still_has_undecodable_bytes_is_reported_not_stored():
    with StaticSite({}) as site:
        _, body = _legacy_listing(site.base_url)
        body = body.replace(b'charset="windows-1258"', b'charset="utf-8"')
        site.routes["/viec-lam-it"] = (200, {"Content-Type": "text/html; charset=utf-8"}, body)
        outcome = crawl_listing(site.url("/viec-lam-it"), 1, FAST)
    assert outcome.jobs == [] and outcome.stopped_reason == "undecodable"
    [problem] = outcome.problems
    assert problem["verdict"] == "undecodable" and "could not be decoded as utf-8" in problem["reason"]


def test_utf16_cloudflare_page_is_detected_as_blocked_over_plain_http():
    path = REALDATA / "blocked" / "topcv_blocked_cloudflare-attention-required_2026-04.html"
    if not path.is_file():
        pytest.skip("shared realdata not available")
    body = path.read_bytes().decode("utf-8").encode("utf-16-le")
    for raw in (b"\xff\xfe" + body,):
        decoded = decode_html(raw, "text/html; charset=utf-8")
        assert decoded.encoding == "utf-16" and decoded.source == "bom"
        with StaticSite({"/viec-lam-it": (200, {"Content-Type": "text/html"}, raw)}) as site:
            outcome = crawl_listing(site.url("/viec-lam-it"), 1, FAST)
        [problem] = outcome.problems
        assert problem["verdict"] == "blocked" and "Attention Required" in problem["reason"]
