"""TopCV listing parser: the two real 2025 pages (served over loopback HTTP) and the older markup."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobinsight.scrape import FetchSettings, crawl_listing
from jobinsight.scrape.records import RAW_COLUMNS, RawJob
from jobinsight.scrape.sources.demo import render_listing
from jobinsight.scrape.sources.demo_board import StaticSite
from jobinsight.scrape.sources.topcv import card_region, listing_url, parse_listing

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
LISTING_DIR = REALDATA / "topcv_listing_html"
PAGE1 = LISTING_DIR / "topcv_search_ke-toan_2025-10-18_page1.html"
PAGE4 = LISTING_DIR / "topcv_search_ke-toan_2025-10-18_page4.html"
FAST = FetchSettings(delay_seconds=0, backoff_base=0.01, max_retries=2)


def _real_pages() -> tuple[bytes, bytes]:
    if not (PAGE1.exists() and PAGE4.exists()):
        pytest.skip(f"real TopCV pages not found under {LISTING_DIR}")
    return PAGE1.read_bytes(), PAGE4.read_bytes()


# -- real pages over HTTP ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_crawl():
    page1, page4 = _real_pages()
    path = "/tim-viec-lam-ke-toan-cr392cb393"
    site = StaticSite(
        {
            f"{path}?page=1": page1,
            f"{path}?page=2": page4,
            f"{path}?page=3": render_listing([], "http://127.0.0.1", 3, 2),
        }
    )
    with site:
        outcome = crawl_listing(site.url(path), 5, FAST)
        yield site, outcome


def _by_id(outcome) -> dict[str, RawJob]:
    return {job.job_id: job for job in outcome.jobs}


def test_real_pages_give_100_jobs_and_end_at_the_empty_page(real_crawl):
    site, outcome = real_crawl
    assert len(outcome.jobs) == 100
    assert outcome.jobs_found == 100
    assert [p.verdict.verdict for p in outcome.pages] == ["ok", "ok", "empty"]
    assert [p.jobs_found for p in outcome.pages] == [50, 50, 0]
    assert outcome.stopped_reason == "empty"
    assert outcome.problems == []  # the end of a listing is not a problem
    assert outcome.pages_blocked == outcome.pages_failed == 0
    assert site.request_count("/robots.txt") == 1
    assert all(isinstance(job, RawJob) and job.source == "topcv" for job in outcome.jobs)


def test_real_pages_every_card_has_the_fields_the_page_shows(real_crawl):
    _, outcome = real_crawl
    for job in outcome.jobs:
        assert job.job_id.isdigit()
        assert job.title and "..." not in job.title[-3:]
        assert job.job_url and job.job_url.startswith("https://www.topcv.vn/")
        assert job.job_url.endswith(f"{job.job_id}.html")
        assert "ta_source" not in job.job_url and "u_sr_id" not in job.job_url and "?" not in job.job_url
        assert job.company_name and not job.company_name.startswith("Pro ")
        assert job.company_url and job.company_url.startswith("https://www.topcv.vn/")
        assert job.salary and "<" not in job.salary and "  " not in job.salary
        assert job.location and job.location_detail and job.location_detail.startswith("<p")
        assert job.payload["location_lines"]
        assert job.skills
        assert isinstance(job.verified_employer, bool)
        assert job.last_update and job.last_update.startswith("Cập nhật")
        # a company without a logo shows TopCV's generic picture: that is no logo (NULL)
        assert job.logo_url is None or job.logo_url.startswith("https://cdn-new.topcv.vn/")
        assert job.posted_time is not None and job.posted_time.tzinfo is not None
        assert job.deadline is None  # the 2025 cards show no deadline
        assert job.payload["experience"]
        assert job.payload["parser"] == "topcv" and job.payload["markup"] == "current"
        assert set(job.to_row()) == set(RAW_COLUMNS)


def test_real_page_first_card_exactly(real_crawl):
    _, outcome = real_crawl
    page = outcome.pages[0].page
    job = _by_id(outcome)["1914785"]
    assert job.title == "Kế Toán Tổng Hợp - Upto 16tr - Quận 1, HCM"
    assert job.job_url == "https://www.topcv.vn/viec-lam/ke-toan-tong-hop-upto-16tr-quan-1-hcm/1914785.html"
    assert job.company_name == "Công ty TNHH TM XNK Kiến Nam"
    assert job.company_url == "https://www.topcv.vn/cong-ty/cong-ty-tnhh-tm-xnk-kien-nam/13328.html"
    assert job.salary == "12 - 16 triệu"
    assert job.location == "Hồ Chí Minh"
    assert job.location_detail == "<p style='text-align: left;margin-bottom: 0'>Hồ Chí Minh: Quận 1</p>"
    assert job.skills == ["Kế toán tổng hợp", "Kế toán", "Kiểm toán", "Bán lẻ - Hàng tiêu dùng - FMCG"]
    assert job.verified_employer is False
    assert job.last_update == "Cập nhật 48 giây trước"
    assert job.payload["posted_text"] == "Đăng 2 ngày trước"
    assert job.posted_time == page.fetched_at - timedelta(days=2)
    assert job.payload["experience"] == "3 năm"
    assert job.logo_url == (
        "https://cdn-new.topcv.vn/unsafe/150x/https://static.topcv.vn/company_logos/"
        "cong-ty-tnhh-tm-xnk-kien-nam-5cf0d4090f267.jpg"
    )


def test_real_page_negotiable_salary_loses_its_icon(real_crawl):
    _, outcome = real_crawl
    negotiable = [j for j in outcome.jobs if "thuận" in (j.salary or "")]
    assert len(negotiable) >= 10
    assert {j.salary for j in negotiable} == {"Thoả thuận"}
    assert _by_id(outcome)["1906874"].salary == "Thoả thuận"


def test_real_page4_usd_salary_multi_city_and_other_places(real_crawl):
    _, outcome = real_crawl
    jobs = _by_id(outcome)
    assert jobs["1881827"].salary == "Từ 900 USD"
    misa = jobs["1911804"]
    assert misa.location == "Hồ Chí Minh & 2 nơi khác"
    assert misa.location_detail == (
        "<p style='text-align: left;margin-bottom: 0'>Hồ Chí Minh: Quận 12<br/>Đà Nẵng: Hải Châu<br/>Hà Nội: Cầu Giấy</p>"
    )
    assert misa.payload["location_lines"] == ["Hồ Chí Minh: Quận 12", "Đà Nẵng: Hải Châu", "Hà Nội: Cầu Giấy"]
    assert misa.company_name == "Công ty Cổ phần MISA"  # the "Pro" badge is not part of the name
    assert misa.company_url == "https://www.topcv.vn/brand/congtycophanmisa?id=3786"  # real query kept
    assert misa.job_url.endswith("-j1911804.html")
    assert misa.verified_employer is True
    assert misa.payload["pro_company"] is True and misa.payload["diamond_employer"] is True
    assert misa.payload["badges"] == ["Nổi bật", "GẤP"]
    # "+7" tooltip expanded, the truncated "D..." tag replaced by the full names
    assert misa.skills == [
        "Sales Tài chính/Ngân hàng/Bảo hiểm khác",
        "Direct Sales",
        "Telesales",
        "B2B",
        "Tài chính",
        "Kế toán",
        "Nhân sự",
        "Có hỗ trợ Data",
    ]
    two_cities = jobs["1882519"]
    assert two_cities.location == "Hà Nội, Hồ Chí Minh"
    assert two_cities.payload["location_lines"] == ["Hà Nội: Nam Từ Liêm, Cầu Giấy", "Hồ Chí Minh: Quận 12"]
    abroad = jobs["1888592"]
    assert abroad.payload["location_lines"] == ["Nước Ngoài", "Hà Nội"]


def test_real_page_placeholder_logo_is_null(real_crawl):
    _, outcome = real_crawl
    assert _by_id(outcome)["1901596"].logo_url is None
    assert sum(j.logo_url is not None for j in outcome.jobs) >= 90


def test_real_page_verified_employers_match_the_markup():
    page1, page4 = _real_pages()
    for body in (page1, page4):
        jobs = parse_listing(body, "https://www.topcv.vn/tim-viec-lam-ke-toan-cr392cb393?page=1")
        text = body.decode("utf-8")
        assert sum(j.verified_employer for j in jobs) == text.count('class="icon-verified-employer')


def test_real_page_region_cut_gives_the_same_rows_as_the_whole_document():
    page1, page4 = _real_pages()
    fetched = datetime(2025, 10, 18, 5, 0, tzinfo=UTC)
    for body in (page1, page4):
        assert len(card_region(body)) < len(body) / 2
        fast = [j.to_row() for j in parse_listing(body, "https://www.topcv.vn/x", fetched_at=fetched)]
        whole = [
            j.to_row()
            for j in parse_listing(body, "https://www.topcv.vn/x", fetched_at=fetched, whole_document=True)
        ]
        as_text = [
            j.to_row()
            for j in parse_listing(body.decode("utf-8"), "https://www.topcv.vn/x", fetched_at=fetched)
        ]
        assert fast == whole == as_text
        assert len(fast) == 50


def test_listing_url_keeps_existing_query_parameters():
    assert listing_url() == "https://www.topcv.vn/viec-lam-it?page=1"
    assert listing_url("https://www.topcv.vn/viec-lam-it", 3) == "https://www.topcv.vn/viec-lam-it?page=3"
    assert (
        listing_url("https://www.topcv.vn/tim-viec-lam-ke-toan?type_keyword=1&page=9&sba=1", 2)
        == "https://www.topcv.vn/tim-viec-lam-ke-toan?type_keyword=1&sba=1&page=2"
    )
    with pytest.raises(ValueError):
        listing_url("https://www.topcv.vn/viec-lam-it", 0)


# -- older markup (div.job-item-2) ---------------------------------------------------------------


def older_card(
    *,
    job_id: str | None,
    title: str,
    href: str,
    company: str,
    company_href: str,
    salary: str,
    location: str,
    tooltip: str | None,
    days_left: str | None,
    update: str | None,
    skills: list[str],
    more: list[str] | None = None,
    more_as_html: bool = True,
    vip: bool = False,
    logo: str | None = "https://static.topcv.vn/company_logos/logo.png",
) -> str:
    """One card of TopCV's older listing markup, as the reference crawler saw it."""
    id_attr = f' data-job-id="{job_id}"' if job_id else ""
    tip_attr = (
        f' data-toggle="tooltip" data-html="true" data-original-title="{html.escape(tooltip)}"'
        if tooltip
        else ""
    )
    skill_html = "".join(f'<label class="item">{html.escape(s)}</label>' for s in skills)
    if more:
        tip = "".join(f"<p>{html.escape(m)}</p>" for m in more) if more_as_html else ", ".join(more)
        skill_html += (
            f'<label class="item" data-toggle="tooltip" data-html="true" '
            f'data-original-title="{html.escape(tip)}">+{len(more)}</label>'
        )
    time_html = (
        f'<label class="time">Còn <strong>{days_left}</strong> ngày để ứng tuyển</label>' if days_left else ""
    )
    update_html = f'<label class="deadline">{html.escape(update)}</label>' if update else ""
    vip_html = '<span class="vip-badge">VIP</span>' if vip else ""
    logo_html = f'<img src="{logo}" class="w-100 lazy" alt="{html.escape(company)}">' if logo else ""
    short = title if len(title) < 40 else title[:40] + "..."
    return f"""
<div class="job-item-2 job-item-default bg-highlight job-ta"{id_attr}>
  <div class="avatar"><a target="_blank" href="{href}">{logo_html}</a></div>
  <div class="body">
    <div class="content">
      <div class="title-block">
        <h3 class="title">
          <a target="_blank" href="{href}"><span data-toggle="tooltip" data-original-title="{html.escape(title)}">{html.escape(short)}</span></a>
          {vip_html}
        </h3>
        <a class="company" href="{company_href}" target="_blank">{html.escape(company)}</a>
      </div>
      <label class="title-salary">
        {html.escape(salary)}
      </label>
    </div>
    <div class="info">
      <div class="label-content">
        <label class="address"{tip_attr}>
          {html.escape(location)}
        </label>
        {time_html}
        {update_html}
      </div>
      <div class="skills">{skill_html}</div>
    </div>
  </div>
</div>"""


def older_page(cards: list[str]) -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Việc làm IT</title></head><body>'
        f'<div class="job-list-2">{"".join(cards)}</div>'
        '<div class="pagination"><a href="?page=2">2</a></div></body></html>'
    )


def test_older_markup_all_fields():
    fetched = datetime(2023, 5, 10, 8, 0, tzinfo=UTC)
    page = older_page(
        [
            older_card(
                job_id="1096543",
                title="Senior Python Developer (Django, AWS) - Thu Nhập Upto 2500$",
                href="https://www.topcv.vn/viec-lam/senior-python-developer/1096543.html?ta_source=JobSearchList&u_sr_id=abc&utm_source=x",
                company="Công ty Cổ phần Công nghệ Sao Bắc Đẩu",
                company_href="/cong-ty/sao-bac-dau/1234.html",
                salary="1,000 - 2,500 USD",
                location="Hà Nội, Hồ Chí Minh",
                tooltip="<p style='text-align: left'>Hà Nội: Cầu Giấy, Đống Đa<br>Hồ Chí Minh: Quận 1</p>",
                days_left="18",
                update="Cập nhật 2 giờ trước",
                skills=["Python", "Django"],
                more=["SQL", "Docker", "AWS"],
                vip=True,
            ),
            older_card(
                job_id=None,
                title="Tester",
                href="/viec-lam/tester/1100200.html",
                company="Công ty TNHH Kiểm Thử",
                company_href="https://www.topcv.vn/cong-ty/kiem-thu/99.html",
                salary="Thoả thuận",
                location="Đà Nẵng",
                tooltip=None,
                days_left=None,
                update="Cập nhật hôm qua",
                skills=["Manual Test"],
                more=["Selenium, Appium"],
                more_as_html=False,
                logo=None,
            ),
            older_card(
                job_id="1100300",
                title="Kế Toán Nội Bộ",
                href="https://www.topcv.vn/viec-lam/ke-toan/1100300.html",
                company="Công ty Kế Toán",
                company_href="https://www.topcv.vn/cong-ty/ke-toan/7.html",
                salary="Tới 15 triệu",
                location="Hà Nội & 2 nơi khác",
                tooltip="Hà Nội: Ba Đình\nHải Phòng\nĐà Nẵng: Hải Châu",
                days_left="3",
                update="Cập nhật 3 ngày trước",
                skills=[],
                more=["Excel", "MISA"],
                more_as_html=False,
            ),
        ]
    )
    jobs = parse_listing(page, "https://www.topcv.vn/viec-lam-it?page=7", fetched_at=fetched)
    assert [j.job_id for j in jobs] == ["1096543", "1100200", "1100300"]

    first = jobs[0]
    assert first.title == "Senior Python Developer (Django, AWS) - Thu Nhập Upto 2500$"
    assert first.job_url == "https://www.topcv.vn/viec-lam/senior-python-developer/1096543.html"
    assert first.company_name == "Công ty Cổ phần Công nghệ Sao Bắc Đẩu"
    assert first.company_url == "https://www.topcv.vn/cong-ty/sao-bac-dau/1234.html"
    assert first.salary == "1,000 - 2,500 USD"
    assert first.location == "Hà Nội, Hồ Chí Minh"
    assert (
        first.location_detail
        == "<p style='text-align: left'>Hà Nội: Cầu Giấy, Đống Đa<br>Hồ Chí Minh: Quận 1</p>"
    )
    assert first.payload["location_lines"] == ["Hà Nội: Cầu Giấy, Đống Đa", "Hồ Chí Minh: Quận 1"]
    assert first.deadline == "Còn 18 ngày để ứng tuyển"
    assert first.payload["days_left"] == 18
    assert first.last_update == "Cập nhật 2 giờ trước"
    assert first.posted_time == fetched - timedelta(hours=2)
    assert first.skills == ["Python", "Django", "SQL", "Docker", "AWS"]
    assert first.payload["vip_badge"] is True
    assert first.verified_employer is True  # the reference's meaning of the VIP badge
    assert first.logo_url == "https://static.topcv.vn/company_logos/logo.png"
    assert first.payload["markup"] == "older"

    second = jobs[1]
    assert second.job_url == "https://www.topcv.vn/viec-lam/tester/1100200.html"  # id from the URL
    assert second.skills == ["Manual Test", "Selenium, Appium"]  # "+1": one item, comma and all
    assert second.location_detail is None and "location_lines" not in second.payload
    assert second.deadline is None
    assert second.posted_time == fetched - timedelta(days=1)
    assert second.payload["vip_badge"] is False and second.verified_employer is False
    assert second.logo_url is None

    third = jobs[2]
    assert third.skills == ["Excel", "MISA"]
    assert third.payload["location_lines"] == ["Hà Nội: Ba Đình", "Hải Phòng", "Đà Nẵng: Hải Châu"]
    assert third.posted_time == fetched - timedelta(days=3)


def test_card_without_any_id_is_skipped_not_fatal():
    page = older_page(
        [
            older_card(
                job_id=None,
                title="No id anywhere",
                href="https://www.topcv.vn/viec-lam/khong-co-ma",
                company="X",
                company_href="/c",
                salary="Thoả thuận",
                location="Hà Nội",
                tooltip=None,
                days_left=None,
                update=None,
                skills=[],
            ),
            older_card(
                job_id="555",
                title="Has id",
                href="/viec-lam/ok/555.html",
                company="Y",
                company_href="/c2",
                salary="10 - 12 triệu",
                location="Hà Nội",
                tooltip=None,
                days_left=None,
                update=None,
                skills=[],
            ),
        ]
    )
    jobs = parse_listing(page, "https://www.topcv.vn/viec-lam-it")
    assert [j.job_id for j in jobs] == ["555"]
    assert jobs[0].skills is None and jobs[0].last_update is None and jobs[0].posted_time is None


def test_page_without_cards_gives_no_rows():
    assert parse_listing("<html><body><p>Không có việc làm</p></body></html>", "https://www.topcv.vn/x") == []
    assert parse_listing(b"", "https://www.topcv.vn/x") == []
