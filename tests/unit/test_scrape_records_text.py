"""RawJob, URL hygiene, text helpers and Vietnamese relative times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobinsight.scrape.records import RAW_COLUMNS, RawJob, dedupe_jobs
from jobinsight.scrape.reltime import approx_time, parse_ago
from jobinsight.scrape.text import clean, decode_body, fragment_lines, html_to_text
from jobinsight.scrape.urls import clean_url, host_of, id_from_url, with_query


def test_rawjob_to_row_has_every_raw_column_and_copies():
    job = RawJob(source="topcv", job_id="1", skills=["Python"], payload={"a": 1})
    row = job.to_row()
    assert tuple(row) == RAW_COLUMNS
    assert row["title"] is None and row["salary"] is None and row["verified_employer"] is None
    row["skills"].append("SQL")
    row["payload"]["b"] = 2
    assert job.skills == ["Python"] and job.payload == {"a": 1}


def test_rawjob_validates_key_and_aware_time():
    with pytest.raises(ValueError):
        RawJob(source="", job_id="1")
    with pytest.raises(ValueError):
        RawJob(source="topcv", job_id="")
    with pytest.raises(ValueError):
        RawJob(source="topcv", job_id="1", posted_time=datetime(2025, 1, 1))
    assert RawJob(source="topcv", job_id="1", posted_time=datetime(2025, 1, 1, tzinfo=UTC)).key == (
        "topcv",
        "1",
    )


def test_dedupe_keeps_last_in_first_seen_order():
    a1 = RawJob(source="topcv", job_id="a", salary="1")
    b = RawJob(source="topcv", job_id="b")
    a2 = RawJob(source="topcv", job_id="a", salary="2")
    other_source = RawJob(source="jsonld", job_id="a")
    out = dedupe_jobs([a1, b, a2, other_source])
    assert [(j.source, j.job_id, j.salary) for j in out] == [
        ("topcv", "a", "2"),
        ("topcv", "b", None),
        ("jsonld", "a", None),
    ]


@pytest.mark.parametrize(
    ("href", "base", "expected"),
    [
        (
            "https://www.topcv.vn/viec-lam/ke-toan/1914785.html?ta_source=JobSearchList_LinkDetail&u_sr_id=TQ0q_176",
            None,
            "https://www.topcv.vn/viec-lam/ke-toan/1914785.html",
        ),
        (
            "/viec-lam/a/1.html?utm_source=fb&utm_medium=x&page=2#top",
            "https://www.topcv.vn/x",
            "https://www.topcv.vn/viec-lam/a/1.html?page=2",
        ),
        ("https://www.topcv.vn/brand/misa?id=3786", None, "https://www.topcv.vn/brand/misa?id=3786"),
        ("a.html?q=%C3%A0&fbclid=1", "https://h.vn/dir/", "https://h.vn/dir/a.html?q=%C3%A0"),
        ("javascript:showLoginPopup('x')", "https://h.vn", None),
        ("mailto:hr@h.vn", None, None),
        ("#", "https://h.vn", None),
        ("   ", None, None),
        (None, None, None),
    ],
)
def test_clean_url(href, base, expected):
    assert clean_url(href, base) == expected


def test_ids_query_and_host():
    assert id_from_url("https://www.topcv.vn/viec-lam/x/1386692.html?ta_source=a") == "1386692"
    assert id_from_url("https://www.topcv.vn/brand/misa/tuyen-dung/nv-kinh-doanh-j1911804.html") == "1911804"
    assert id_from_url("https://x.vn/jobs/12345/") == "12345"
    assert id_from_url("https://x.vn/jobs/python-dev") is None and id_from_url(None) is None
    assert with_query("https://x.vn/a?b=1&page=3", page=4) == "https://x.vn/a?b=1&page=4"
    assert host_of("HTTP://Example.COM:8080/a?b") == "http://example.com:8080"


def test_text_helpers():
    assert clean("\n   Hồ Chí Minh\xa0 &amp;\t 2 nơi khác  ") == "Hồ Chí Minh &amp; 2 nơi khác"
    assert clean("   ") is None and clean(None) is None
    tooltip = "<p style='text-align: left;margin-bottom: 0'>Hà Nội: Cầu Giấy<br/>Đà Nẵng: Hải Châu &amp; Sơn Trà</p>"
    assert fragment_lines(tooltip) == ["Hà Nội: Cầu Giấy", "Đà Nẵng: Hải Châu & Sơn Trà"]
    assert fragment_lines("<p>SQL</p><p>Docker</p>") == ["SQL", "Docker"]
    assert fragment_lines("Hà Nội\n\n Hải Phòng ") == ["Hà Nội", "Hải Phòng"]
    assert fragment_lines(None) == [] and fragment_lines("") == []
    description = (
        "<h3>Mô tả</h3><ul><li>Viết <b>Python</b></li><li>SQL</li></ul><script>alert(1)</script><p>Hết</p>"
    )
    assert html_to_text(description) == "Mô tả\nViết Python\nSQL\nHết"
    assert html_to_text("Plain &amp; simple") == "Plain & simple"
    assert decode_body("Đà Nẵng".encode("utf-16"), "text/html; charset=UTF-16") == "Đà Nẵng"
    assert decode_body(b"caf\xe9", "text/html; charset=latin-1") == "café"
    assert decode_body(b"caf\xe9", "text/html; charset=no-such-charset") == "caf\ufffd"
    assert decode_body(b'<meta charset="iso-8859-1"><p>caf\xe9</p>').endswith("café</p>")
    # A BOM wins (WHATWG sniffing): FF FE is UTF-16LE, so these bytes are one character.
    assert decode_body(b"\xff\xfeo\x00k\x00", "text/html; charset=utf-8") == "ok"


def test_relative_times():
    now = datetime(2025, 10, 18, 12, 0, tzinfo=UTC)
    assert parse_ago("Cập nhật 48 giây trước") == timedelta(seconds=48)
    assert parse_ago("Cập nhật 2 giờ trước") == timedelta(hours=2)
    assert parse_ago("Đăng 3 ngày trước") == timedelta(days=3)
    assert parse_ago("Đăng 2 tuần trước") == timedelta(weeks=2)
    assert parse_ago("1 tháng trước") == timedelta(days=30)
    assert parse_ago("Đăng hôm nay") == timedelta(0)
    assert parse_ago("Cập nhật hôm qua") == timedelta(days=1)
    assert parse_ago("3 hours ago") == timedelta(hours=3)
    assert parse_ago("Còn 5 ngày để ứng tuyển") is None and parse_ago(None) is None
    assert approx_time("Cập nhật 2 giờ trước", now) == now - timedelta(hours=2)
    assert approx_time("không rõ", now) is None
