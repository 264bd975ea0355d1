"""JSON-LD JobPosting parser and sitemap reader: the real Workday page and sloppy real-world shapes."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobinsight.scrape.sources.jsonld import (
    extract_jobpostings,
    format_salary,
    parse_datetime,
    parse_jobposting_page,
    parse_sitemap,
    parse_sitemap_document,
    to_number,
)

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
WORKDAY = REALDATA / "jsonld" / "workday_autodesk_24WD81528.html"
PAGE = "https://careers.example.vn/jobs/view?id=1&utm_source=feed"


def page(*blocks: object, raw: tuple[str, ...] = ()) -> str:
    scripts = [
        f'<script type="application/ld+json">{json.dumps(b, ensure_ascii=False)}</script>' for b in blocks
    ]
    scripts += [f'<script type="application/ld+json">{r}</script>' for r in raw]
    return f"<html><head>{''.join(scripts)}</head><body><h1>Job</h1></body></html>"


def posting(**fields: object) -> dict[str, object]:
    return {"@context": "https://schema.org", "@type": "JobPosting", "title": "Data Engineer", **fields}


def test_real_workday_page_one_row():
    if not WORKDAY.exists():
        pytest.skip(f"real JSON-LD page not found at {WORKDAY}")
    url = "https://autodesk.wd1.myworkdayjobs.com/Ext/job/Montreal-QC-CAN/Senior-Industry-Strategy-Manager---Content-Creation_24WD81528"
    jobs = parse_jobposting_page(WORKDAY.read_bytes(), url)
    assert len(jobs) == 1
    job = jobs[0]
    assert job.source == "jsonld"
    assert job.job_id == "24WD81528"  # identifier as PropertyValue
    assert job.title == "Senior Industry Strategy Manager - Content Creation"
    assert job.company_name == "Autodesk Canada Co."
    assert job.company_url is None  # "sameAs": "" is no URL
    assert job.location == "AMER - Canada - Quebec - Montreal - 10 Rue Duke"
    assert job.payload["job_location"] == [
        {"locality": "AMER - Canada - Quebec - Montreal - 10 Rue Duke", "country": "Canada"}
    ]
    assert job.posted_time == datetime(2024, 9, 24, tzinfo=UTC)
    assert job.salary is None and "base_salary" not in job.payload  # only in the description text
    assert job.payload["employmentType"] == "FULL_TIME"
    assert job.payload["description"].startswith("Job Requisition ID # 24WD81528")
    assert job.job_url == url


def test_full_posting_maps_every_field():
    html = page(
        posting(
            identifier="TP-42",
            url="/jobs/tp-42?utm_campaign=x",
            hiringOrganization={
                "@type": "Organization",
                "name": "Công ty TNHH Sao Mai",
                "sameAs": ["https://saomai.vn", "https://facebook.com/saomai"],
                "logo": {"@type": "ImageObject", "url": "/logo.png"},
            },
            jobLocation={
                "@type": "Place",
                "address": {
                    "addressLocality": "Hà Nội",
                    "addressRegion": "Cầu Giấy",
                    "addressCountry": {"name": "VN"},
                },
            },
            baseSalary={
                "@type": "MonetaryAmount",
                "currency": "VND",
                "value": {
                    "@type": "QuantitativeValue",
                    "minValue": 15000000,
                    "maxValue": "20,000,000",
                    "unitText": "MONTH",
                },
            },
            datePosted="2025-10-01T09:30:00+07:00",
            validThrough="2025-11-15T23:59:59+07:00",
            description="&lt;p&gt;Build &amp;amp; run pipelines&lt;/p&gt;&lt;ul&gt;&lt;li&gt;Python&lt;/li&gt;&lt;/ul&gt;",
            skills="Python, SQL; Airflow",
            employmentType=["FULL_TIME"],
            experienceRequirements={"@type": "OccupationalExperienceRequirements", "monthsOfExperience": 24},
        )
    )
    [job] = parse_jobposting_page(html, PAGE)
    assert job.job_id == "TP-42"
    assert job.job_url == "https://careers.example.vn/jobs/tp-42"
    assert job.company_name == "Công ty TNHH Sao Mai"
    assert job.company_url == "https://saomai.vn"
    assert job.logo_url == "https://careers.example.vn/logo.png"
    assert job.location == "Hà Nội"
    assert job.salary == "15 - 20 triệu"
    assert job.payload["base_salary"] == {"currency": "VND", "min": 15e6, "max": 20e6, "unit": "MONTH"}
    assert job.posted_time == datetime(2025, 10, 1, 2, 30, tzinfo=UTC)
    assert job.deadline == "2025-11-15"
    assert job.payload["valid_through"] == "2025-11-15T23:59:59+07:00"
    assert job.payload["description"] == "Build & run pipelines\nPython"
    assert job.skills == ["Python", "SQL", "Airflow"]
    assert job.payload["employmentType"] == ["FULL_TIME"]
    assert job.payload["experienceRequirements"]["monthsOfExperience"] == 24
    assert job.payload["parser"] == "jsonld" and job.payload["page_url"] == PAGE
    assert job.verified_employer is None and job.location_detail is None


def test_graph_arrays_type_lists_and_nested_postings():
    html = page(
        {
            "@context": "https://schema.org",
            "@graph": [{"@type": "WebPage", "name": "x"}, posting(identifier="g1")],
        },
        [posting(identifier="a1", title="Tester"), {"@type": "Organization", "name": "Not a job"}],
        {"@type": ["JobPosting", "Thing"], "title": "Typed twice", "identifier": 77},
        {"@type": "ItemList", "itemListElement": [{"@type": "ListItem", "item": posting(identifier="n1")}]},
        {"@type": "http://schema.org/JobPosting", "title": "IRI type", "identifier": {"value": 5}},
        {"@type": "BreadcrumbList", "itemListElement": []},
    )
    jobs = parse_jobposting_page(html, PAGE)
    assert [j.job_id for j in jobs] == ["g1", "a1", "77", "n1", "5"]
    assert [j.title for j in jobs][1:3] == ["Tester", "Typed twice"]


def test_invalid_json_block_is_skipped_and_reported(caplog):
    html = page(posting(identifier="ok-1"), raw=('{"@type": "JobPosting", "title": "broken",,}', "   "))
    with caplog.at_level("WARNING", logger="jobinsight.scrape"):
        jobs = parse_jobposting_page(html, PAGE)
    assert [j.job_id for j in jobs] == ["ok-1"]
    errors = jobs[0].payload["jsonld_errors"]
    assert len(errors) == 2 and "block 2" in errors[0] and "empty block" in errors[1]
    assert "invalid JSON-LD" in caplog.text and PAGE in caplog.text
    extract = extract_jobpostings(html)
    assert extract.blocks == 3 and len(extract.postings) == 1


def test_nan_and_infinity_tokens_become_null():
    raw = '{"@type": "JobPosting", "identifier": "n1", "title": Infinity, "baseSalary": NaN, "totalJobOpenings": -Infinity}'
    [job] = parse_jobposting_page(page(raw=(raw,)), PAGE)
    assert job.job_id == "n1" and job.title is None and job.salary is None
    assert "totalJobOpenings" not in job.payload
    json.dumps(job.payload, allow_nan=False)


def test_comment_wrapped_and_control_characters_are_tolerated():
    raw = '<!-- {"@type": "JobPosting", "identifier": "c1", "title": "Line\tbreak\nin title"} -->'
    [job] = parse_jobposting_page(page(raw=(raw,)), PAGE)
    assert job.job_id == "c1" and job.title == "Line break in title"


def test_wrong_types_salary_string_location_string_and_list():
    html = page(
        posting(identifier="s1", baseSalary="Thương lượng", jobLocation="Hồ Chí Minh"),
        posting(
            identifier="s2",
            baseSalary=1500,
            salaryCurrency="USD",
            jobLocation=[
                {"@type": "Place", "address": {"addressLocality": "Hà Nội"}},
                {"@type": "Place", "address": {"addressRegion": "Đà Nẵng"}},
                {"@type": "Place", "address": "Cần Thơ"},
                "Hà Nội",
            ],
            hiringOrganization="Công ty Một Chữ",
        ),
        posting(
            identifier="s3", baseSalary={"currency": "USD", "value": {"value": 3000, "unitText": "YEAR"}}
        ),
        posting(
            identifier="s4", baseSalary={"currency": "USD", "value": {"minValue": 1000, "unitText": "YEAR"}}
        ),
        posting(
            identifier="s5",
            baseSalary={
                "currency": "VND",
                "value": {"minValue": 50000, "maxValue": 100000, "unitText": "HOUR"},
            },
        ),
        posting(
            identifier="s6",
            baseSalary=[{"currency": "USD", "value": {"maxValue": 2500, "unitText": "MONTH"}}],
        ),
        posting(
            identifier="s7",
            baseSalary={"currency": "USD", "value": "competitive"},
            jobLocation={"address": None},
        ),
        posting(
            identifier="s8",
            estimatedSalary={
                "currency": "USD",
                "value": {"minValue": 900, "maxValue": 1200, "unitText": "MONTH"},
            },
        ),
    )
    jobs = {j.job_id: j for j in parse_jobposting_page(html, PAGE)}
    assert jobs["s1"].salary == "Thương lượng" and "base_salary" not in jobs["s1"].payload
    assert jobs["s1"].location == "Hồ Chí Minh"
    assert jobs["s2"].salary == "1,500 USD"
    assert jobs["s2"].location == "Hà Nội, Đà Nẵng, Cần Thơ"
    assert jobs["s2"].company_name == "Công ty Một Chữ" and jobs["s2"].company_url is None
    assert jobs["s3"].salary == "3,000 USD /năm"
    assert jobs["s4"].salary == "Từ 1,000 USD /năm"
    assert jobs["s5"].salary == "50 k - 100 k /giờ"
    assert jobs["s6"].salary == "Tới 2,500 USD /tháng"
    assert jobs["s7"].salary == "competitive" and jobs["s7"].location is None
    assert jobs["s8"].salary == "900 - 1,200 USD /tháng" and jobs["s8"].payload["salary_estimated"] is True


def test_telecommute_is_remote():
    html = page(
        posting(
            identifier="r1",
            jobLocationType="TELECOMMUTE",
            applicantLocationRequirements={"@type": "Country", "name": "VN"},
        ),
        posting(
            identifier="r2",
            jobLocationType=["TELECOMMUTE"],
            jobLocation={"address": {"addressLocality": "Hà Nội"}},
        ),
    )
    r1, r2 = parse_jobposting_page(html, PAGE)
    assert r1.location == "Remote" and r1.payload["remote"] is True
    assert r1.payload["applicantLocationRequirements"] == {"@type": "Country", "name": "VN"}
    assert r2.location == "Hà Nội, Remote"


def test_missing_identifier_gets_a_stable_url_hash():
    html = page(posting(url="https://careers.example.vn/jobs/abc"), posting(title="Second, no url"))
    first, second = parse_jobposting_page(html, PAGE)
    assert first.job_id == "u" + hashlib.sha1(b"https://careers.example.vn/jobs/abc").hexdigest()[:16]
    assert second.job_id.startswith("u") and len(second.job_id) == 17 and second.job_id != first.job_id
    again = parse_jobposting_page(html, PAGE)
    assert [j.job_id for j in again] == [first.job_id, second.job_id]


def test_no_jobposting_means_no_rows():
    assert parse_jobposting_page(page({"@type": "BreadcrumbList"}), PAGE) == []
    assert parse_jobposting_page("<html></html>", PAGE) == []


@pytest.mark.parametrize(
    ("currency", "low", "high", "unit", "expected"),
    [
        ("USD", 1000, 2000, "MONTH", "1,000 - 2,000 USD /tháng"),
        ("VND", 15e6, 20e6, "MONTH", "15 - 20 triệu"),
        ("VND", 7.5e6, 10e6, None, "7.5 - 10 triệu"),
        ("USD", 1000, None, "YEAR", "Từ 1,000 USD /năm"),
        ("VND", None, 30e6, "MONTH", "Tới 30 triệu"),
        ("VND", 180e6, 240e6, "YEAR", "180 - 240 triệu /năm"),
        ("vnd", 25000, 35000, "hour", "25 k - 35 k /giờ"),
        ("EUR", 52000.5, 52000.5, "YEAR", "52,000.5 EUR /năm"),
        (None, 100, 200, "WEEK", "100 - 200 /tuần"),
        ("USD", None, None, "MONTH", None),
    ],
)
def test_format_salary_shapes(currency, low, high, unit, expected):
    assert format_salary(currency, low, high, unit) == expected


def test_numbers_and_dates():
    assert (
        to_number("1,000") == 1000 and to_number("15.000.000") == 15e6 and to_number("$ 1,500.50") == 1500.5
    )
    assert to_number("abc") is None and to_number(True) is None and to_number(float("nan")) is None
    assert parse_datetime("2024-09-24") == datetime(2024, 9, 24, tzinfo=UTC)
    assert parse_datetime("2024-09-24T10:00:00Z") == datetime(2024, 9, 24, 10, tzinfo=UTC)
    assert parse_datetime("2024-09-24T10:00:00.000+0000") == datetime(2024, 9, 24, 10, tzinfo=UTC)
    assert parse_datetime("24/09/2024") == datetime(2024, 9, 24, tzinfo=UTC)
    assert parse_datetime("next week") is None and parse_datetime("") is None


def test_sitemap_urlset_index_gzip_and_broken():
    urlset = (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc> https://x.vn/jobs/1 </loc></url><url><loc>https://x.vn/jobs/2?a=1&amp;b=2</loc></url></urlset>"
    )
    assert parse_sitemap(urlset) == ["https://x.vn/jobs/1", "https://x.vn/jobs/2?a=1&b=2"]
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>https://x.vn/s1.xml</loc></sitemap><sitemap><loc>https://x.vn/s2.xml.gz</loc></sitemap></sitemapindex>"
    )
    doc = parse_sitemap_document(index.encode())
    assert doc.kind == "sitemapindex" and doc.locs == ["https://x.vn/s1.xml", "https://x.vn/s2.xml.gz"]
    assert parse_sitemap_document(gzip.compress(urlset.encode())).kind == "urlset"
    broken = "<urlset><url><loc>https://x.vn/a</loc></url><url><loc>https://x.vn/b</loc>"
    assert parse_sitemap_document(broken).locs == ["https://x.vn/a", "https://x.vn/b"]
    entity = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><urlset><url><loc>https://x.vn/&a;</loc></url></urlset>'
    assert parse_sitemap_document(entity).kind == "urlset"  # read as text, entities never expanded
    assert parse_sitemap("not xml at all") == []
