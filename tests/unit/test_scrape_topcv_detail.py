"""TopCV detail pages: every field on the two real pages, the JSON-LD fallback, and the JSON-LD parser's fixes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobinsight.scrape.sources.jsonld import parse_jobposting_page, visible_deadline_of
from jobinsight.scrape.sources.topcv_detail import (
    LAYOUT_JSONLD,
    LAYOUT_VISIBLE,
    is_detail_url,
    job_id_from_detail_url,
    parse_detail,
)

FETCHED = datetime(2026, 4, 18, 3, 0, tzinfo=UTC)
PAGE_A = "topcv_detail_2106653_2026-04-18_min-max_10-15tr.html"
PAGE_B = "topcv_detail_2129787_2026-04-18_thoa-thuan_2-cities_no-exp_deadline-mismatch.html"
URL_A = "https://www.topcv.vn/viec-lam/nhan-vien-ky-thuat-ho-tro-kinh-doanh-luong-tu-10m-15m-di-lam-ngay/2106653.html"
URL_B = "https://www.topcv.vn/viec-lam/lap-trinh-vien-c-sql-uu-tien-biet-mes/2129787.html?ta_source=JobSearchList"


@pytest.fixture(scope="module")
def pages(realdata: Path) -> dict[str, bytes]:
    folder = realdata / "topcv_detail_html"
    if not (folder / PAGE_A).is_file():
        pytest.skip("real TopCV detail pages not present")
    return {"A": (folder / PAGE_A).read_bytes(), "B": (folder / PAGE_B).read_bytes()}


def _one(html: bytes | str, url: str):
    jobs = parse_detail(html, url, fetched_at=FETCHED)
    assert len(jobs) == 1
    return jobs[0]


def test_page_with_min_max_salary_labelled_thu_nhap(pages: dict[str, bytes]) -> None:
    job = _one(pages["A"], URL_A)
    assert job.source == "topcv" and job.job_id == "2106653" and job.page_kind == "detail"
    assert job.title == "Nhân Viên Kỹ Thuật Hỗ Trợ Kinh Doanh - Lương Từ 10M-15M - Đi Làm Ngay"
    assert job.company_name == "Công ty cổ phần Comeric"
    assert job.company_url == "https://www.topcv.vn/cong-ty/cong-ty-co-phan-comeric/192267.html"
    assert job.salary == "10 - 15 triệu"  # the box is labelled "Thu nhập", not "Mức lương"
    assert job.location == "Hà Nội"
    assert job.work_locations == [{"city": "Hà Nội", "address": "Tầng 2, Toà nhà GoldenWest, số 2 đường Lê Văn "
                                   "Thiêm, Phường Thanh Xuân (quận Thanh Xuân cũ)"}]
    assert job.job_level == "Nhân viên"
    assert job.experience == "3 năm"
    assert job.education == "Cao Đẳng trở lên"
    assert job.openings == "1 người"
    assert job.employment_type == "Toàn thời gian"
    assert job.job_category is not None and job.job_category.startswith("Kinh doanh/Bán hàng, Công nghệ Thông tin")
    assert "Tìm việc theo" not in job.job_category  # the "before the merger" city box is not a category
    assert job.deadline == "02/05/2026"
    assert job.posted_time == datetime(2026, 4, 2, tzinfo=UTC)
    assert job.description.startswith("Phụ trách các công việc liên quan đến kỹ thuật:")
    assert job.requirements.startswith("Tối thiểu tốt nghiệp Cao đẳng/ Đại học trở lên")
    assert job.benefits.startswith("Được hưởng mức lương từ 10-15 triệu")
    assert "<" not in job.description + job.requirements + job.benefits
    assert job.detail_scraped_at == FETCHED
    assert job.payload["detail_layout"] == LAYOUT_VISIBLE
    assert job.payload["jsonld"]["base_salary"]["min"] == 10_000_000


def test_page_with_two_cities_negotiable_salary_and_deadline_mismatch(pages: dict[str, bytes]) -> None:
    job = _one(pages["B"], URL_B)
    assert job.job_id == "2129787"  # from the URL: the JSON-LD identifier (95316) is the company's id
    assert job.job_url == "https://www.topcv.vn/viec-lam/lap-trinh-vien-c-sql-uu-tien-biet-mes/2129787.html"
    assert job.title == "Lập Trình Viên C#,SQL (Ưu Tiên Biết MES)"
    assert job.company_name == "Công ty cổ phần K. Hệ thống"
    assert job.salary == "Thoả thuận"
    assert job.location == "Hà Nội, Hồ Chí Minh"  # the JSON-LD has only one location, a ward of Hà Nội
    assert job.work_locations == [
        {"city": "Hà Nội", "address": "Phường Đại Mỗ (quận Nam Từ Liêm cũ)"},
        {"city": "Hồ Chí Minh", "address": "Phường Bình Trưng (Thành phố Thủ Đức cũ)"},
    ]
    assert job.location_detail.splitlines() == ["Hà Nội: Quận Nam Từ Liêm", "Hồ Chí Minh (mới): Thành phố Thủ Đức"]
    assert job.experience == "Không yêu cầu"
    assert job.job_level == "Nhân viên"
    assert job.education == "Đại Học trở lên"
    assert job.openings == "5 người"
    assert job.employment_type == "Toàn thời gian"
    assert job.job_category == ("Công nghệ Thông tin, IT Infrastructure and Operations, System Administrator, "
                                "Việc làm IT")
    assert job.deadline == "31/05/2026"  # visible; JSON-LD validThrough says 2026-05-17
    assert job.payload["jsonld"]["valid_through"].startswith("2026-05-17")
    assert job.payload["jsonld_disagrees"] == ["deadline"]
    assert job.posted_time == datetime(2026, 4, 17, tzinfo=UTC)
    assert job.description.splitlines()[0].startswith("- Phát triển, triển khai và bảo trì hệ thống MES")
    assert "Thành thạo C#, DevExpress" in job.requirements
    assert job.benefits.splitlines()[0] == "+ Tháng lương thứ 13."
    assert job.payload["working_hours"].startswith("Thứ 2 - Thứ 7")


def test_str_and_bytes_give_the_same_row(pages: dict[str, bytes]) -> None:
    a = _one(pages["B"], URL_B).to_row()
    b = _one(pages["B"].decode("utf-8"), URL_B).to_row()
    assert a == b


def _jsonld_only(page: bytes) -> bytes:
    """A page of an unknown layout: only the real page's JSON-LD script survives."""
    script = re.search(rb"<script[^>]*ld\+json[^>]*>.*?</script>", page, re.S)
    assert script is not None
    return b"<html><head><meta charset='utf-8'>" + script.group(0) + b"</head><body><div class='brand-job'>x</div></body></html>"


def test_brand_page_layout_falls_back_to_jsonld_and_says_so(pages: dict[str, bytes]) -> None:
    url = "https://www.topcv.vn/brand/kht/tuyen-dung/lap-trinh-vien-c-sql-j2129787.html"
    job = _one(_jsonld_only(pages["B"]), url)
    assert job.payload["detail_layout"] == LAYOUT_JSONLD
    assert job.job_id == "2129787"
    assert job.title == "Lập Trình Viên C#,SQL (Ưu Tiên Biết MES)"
    assert job.location == "Hà Nội"  # the city, not the ward "Phường Đại Mỗ"
    assert job.salary == "Thoả thuận"
    assert job.job_level == "Nhân viên" and job.openings == "5 người"
    assert job.benefits.startswith("+ Tháng lương thứ 13.")
    assert job.deadline == "2026-05-17" and job.payload["deadline_source"] == "validThrough"
    assert job.work_locations == [{"city": "Hà Nội", "address": "Phường Đại Mỗ"}]


def test_page_without_posting_gives_no_row(realdata: Path) -> None:
    blocked = realdata / "blocked" / "topcv_blocked_cloudflare-attention-required_2026-04.html"
    if not blocked.is_file():
        pytest.skip("real block page not present")
    assert parse_detail(blocked.read_bytes(), URL_A) == []
    assert parse_detail(b"", URL_A) == []
    assert parse_detail("<html><h1 class='job-detail__info--title'>x</h1>", "https://x.test/no-id") == []


def test_detail_urls() -> None:
    assert job_id_from_detail_url(URL_B) == "2129787"
    assert job_id_from_detail_url("https://www.topcv.vn/brand/misa/tuyen-dung/nv-kinh-doanh-j1911804.html") == "1911804"
    assert is_detail_url(URL_A) and not is_detail_url("https://www.topcv.vn/viec-lam-it?page=2")


def test_jsonld_parser_on_detail_pages_city_deadline_and_id(pages: dict[str, bytes]) -> None:
    a = parse_jobposting_page(pages["A"], URL_A)[0]
    b = parse_jobposting_page(pages["B"], URL_B)[0]
    assert a.location == "Hà Nội" and b.location == "Hà Nội"  # was "Phường Thanh Xuân" / "Phường Đại Mỗ"
    assert b.deadline == "31/05/2026" and b.payload["deadline_source"] == "visible"  # was 2026-05-17
    assert b.payload["valid_through"].startswith("2026-05-17")
    assert (a.job_id, b.job_id) == ("2106653", "2129787")  # not the companies' ids 192267 / 95316
    assert visible_deadline_of(pages["B"]) == "31/05/2026" and visible_deadline_of("<p>no</p>") is None


def test_jsonld_identifier_kept_when_it_is_the_postings() -> None:
    page = ('<script type="application/ld+json">{"@type": "JobPosting", "title": "Dev", '
            '"identifier": {"@type": "PropertyValue", "name": "ACME", "value": "777"}, '
            '"hiringOrganization": {"name": "ACME", "sameAs": "https://acme.test/company/12.html"}, '
            '"jobLocation": {"address": {"addressLocality": "District 1", "addressRegion": "Hồ Chí Minh"}}}</script>')
    job = parse_jobposting_page(page, "https://acme.test/jobs/x")[0]
    assert job.job_id == "777"
    assert job.location == "Hồ Chí Minh"
