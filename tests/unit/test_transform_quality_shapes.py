"""Every shape issue 13 names, one assertion each: seniority, family, ISCO, skills, salary, places, titles."""

from __future__ import annotations

import pandas as pd
import pytest

from jobinsight.errors import ConfigError
from jobinsight.scrape.sources.jsonld import _salary
from jobinsight.settings import Settings
from jobinsight.transform.batch import transform_batch
from jobinsight.transform.companies import split_company_rating, standardize_company
from jobinsight.transform.enrich_rules import enrich_tuple
from jobinsight.transform.locations import resolve_place
from jobinsight.transform.occupation import isco_code
from jobinsight.transform.salary import parse_fx_rates, parse_salary, salary_from_text
from jobinsight.transform.seniority import detect_seniority, experience_months
from jobinsight.transform.skills import extract_hard_skills, normalize_skills
from jobinsight.transform.titles import clean_title, title_truncated
from jobinsight.transform.urls import repair_url

# --- seniority ---------------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["Chỉ Huy Trưởng Công Trình", "Bếp Trưởng", "Kỹ Sư Trưởng", "Hiệu Trưởng",
                                   "Cửa Hàng Trưởng", "Bưu Cục Trưởng", "Giám Sát Trưởng", "Phó Viện Trưởng"])
def test_x_truong_is_the_head_of_x(title: str) -> None:
    assert detect_seniority(title) == "manager"


@pytest.mark.parametrize("title", ["Đội Trưởng Bảo Vệ", "Ca Trưởng Sản Xuất", "Tổ Trưởng May", "Nhóm Trưởng"])
def test_small_team_heads_are_leads(title: str) -> None:
    assert detect_seniority(title) == "lead"


@pytest.mark.parametrize("title, level", [
    ("Customer Service Supervisor", "lead"), ("Giám Sát Bán Hàng", "lead"), ("Sinh Viên Mới Ra Trường", "fresher"),
    ("Java Teamlead", "lead"), ("Mid–Senior Backend Developer", "middle"), ("Junior–Middle Tester", "junior"),
    ("CVCC Quản Lý Sản Phẩm", "senior"), ("Chuyên Viên Chính Đầu Tư", "senior"),
])
def test_level_shapes(title: str, level: str) -> None:
    assert detect_seniority(title) == level


def test_fresher_phrase_cut_by_title_cleaning_still_counts() -> None:
    assert enrich_tuple("Nhân Viên Kinh Doanh - Cơ Hội Cho Các Bạn Fresher", []).seniority == "fresher"


@pytest.mark.parametrize("title", ["Tài Xế Lái Xe Cho Giám Đốc", "Lái Xe Lãnh Đạo", "Trợ Lý Tổng Giám Đốc",
                                   "Thư Ký Ban Giám Đốc", "Nhân Viên Hành Chính Tại VP", "Growth (Tăng Trưởng) Marketing",
                                   "Chủ Nhiệm Lớp Tiếng Anh", "Nhân Viên Kinh Doanh Gạch Cao Cấp",
                                   "Cán Bộ Quản Lý Tài Khoản"])
def test_not_a_manager(title: str) -> None:
    assert detect_seniority(title) not in ("manager", "senior")


def test_vp_is_vice_president_only_when_it_heads_the_title() -> None:
    assert detect_seniority("VP of Engineering") == "manager"
    assert detect_seniority("VP Marketing") == "manager"


@pytest.mark.parametrize("rank, level", [("Nhân viên", "unknown"), ("Trưởng nhóm", "lead"),
                                         ("Thực tập sinh", "intern"), ("Trưởng/Phó phòng", "manager"),
                                         ("Quản lý / Giám sát", "manager"), ("Giám đốc", "manager"),
                                         ("Trưởng chi nhánh", "manager")])
def test_topcv_rank(rank: str, level: str) -> None:
    assert detect_seniority("Kỹ Sư Phần Mềm", rank) == level


def test_title_beats_rank_and_rank_beats_experience() -> None:
    assert detect_seniority("Senior Tester", "Trưởng nhóm", 6) == "senior"
    assert detect_seniority("Tester", "Trưởng nhóm", 6) == "lead"


@pytest.mark.parametrize("experience, level", [("Không yêu cầu", "unknown"), ("Dưới 1 năm", "fresher"),
                                               ("1 năm", "junior"), ("3 năm", "middle"), ("5 năm", "senior"),
                                               (36, "middle")])
def test_experience_is_the_weakest_evidence(experience: str | int, level: str) -> None:
    assert detect_seniority("Kế Toán", "Nhân viên", experience_months(experience)) == level
    assert enrich_tuple("Kế Toán", [], level="Nhân viên", experience=experience).seniority == level


# --- job family and ISCO -------------------------------------------------------------------------


@pytest.mark.parametrize("title, family", [
    ("Chuyên Viên Khách Hàng Cá Nhân - CN. Hà Nội", "finance"),
    ("Chuyên Viên Khách Hàng Doanh Nghiệp - CN. Đà Nẵng", "finance"),
    ("Phiên Dịch Viên Tiếng Trung", "translation"), ("Nhân Viên Phục Vụ", "hospitality"),
    ("Nhân Viên Pha Chế", "hospitality"), ("Phụ Bếp", "hospitality"), ("Đầu Bếp Món Á", "hospitality"),
    ("Quản Lý Nhà Hàng", "hospitality"), ("Nhân Viên Đặt Phòng", "hospitality"),
    ("Quản Lý Cửa Hàng", "sales"), ("Nhân Viên Bảo Vệ", "security_guard"),
    ("Security (Nhân Viên Bảo An)", "security_guard"), ("Chuyên Viên An Ninh Mạng", "security"),
    ("Điều Hành Tour Outbound", "hospitality"), ("Nhân Viên Thu Hồi Nợ", "finance"),
    ("Nhân Viên Kiểm Duyệt Nội Dung", "admin"), ("Nhân Viên Cung Ứng Vật Tư", "logistics"),
    ("Nhân Viên Điều Vận", "logistics"), ("Junior .Net/C#", "backend"), ("Kỹ Sư Chăn Nuôi", "agriculture"),
    ("Giám Đốc Điều Hành", "management"), ("Giám Đốc Kinh Doanh", "sales"),
    ("Chuyên Viên Quản Lý Dự Án (Hầm, Cầu Đường)", "construction"),
])
def test_family_for_the_whole_market(title: str, family: str) -> None:
    assert enrich_tuple(title, []).job_family == family


def test_category_decides_when_the_title_does_not() -> None:
    assert enrich_tuple("Nhân Viên Part-time", [], category="Nhà hàng / Khách sạn").job_family == "hospitality"


@pytest.mark.parametrize("family, seniority, title, code", [
    ("backend", "senior", "Senior Java Developer", "25"), ("it_support", "unknown", "IT Helpdesk", "35"),
    ("hospitality", "manager", "Quản Lý Nhà Hàng", "14"), ("accounting", "unknown", "Kế Toán Tổng Hợp", "24"),
    ("logistics", "unknown", "Tài Xế Xe Tải", "83"), ("sales", "unknown", "Nhân Viên Bán Hàng", "52"),
    ("security_guard", "unknown", "Nhân Viên Bảo Vệ", "54"), ("management", "manager", "CEO", "11"),
    ("manufacturing", "unknown", "Công Nhân May", "81"), ("engineering", "unknown", "Kỹ Thuật Viên Bảo Trì", "31"),
])
def test_isco_sub_major_group(family: str, seniority: str, title: str, code: str) -> None:
    assert isco_code(family, seniority, title) == code


def test_enrichment_carries_the_isco_code() -> None:
    assert enrich_tuple("Backend Developer (Java)", []).occupation_isco == "25"
    assert enrich_tuple("???", []).occupation_isco is None


# --- skills ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, wrong", [
    ("Tốt nghiệp ngành Khoa học máy tính hoặc tương đương", "Machine Learning"),
    ("Xuất hóa đơn điện tử, kê khai thuế", "Điện tử"),
    ("Điều hành Tour GIT, FIT inbound", "Git"), ("Được đóng BHXH đầy đủ theo luật", "Bảo hiểm xã hội"),
    ("Tốt nghiệp chuyên ngành Điện, Tự động hóa, Cơ khí", "Tự động hóa"),
    ("Báo cáo trực tiếp cho C-level", "C"), ("Tham gia Go/No-go meeting", "Go"),
    ("Chạy quảng cáo Unity Ads, AppLovin", "Unity"), ("Kiểm tra nhằm đảm bảo chất lượng sản phẩm", "Quản lý chất lượng"),
    ("Xử lý sự cố máy tiện CNC", "Khắc phục sự cố máy tính"),
])
def test_word_sense_guards(text: str, wrong: str) -> None:
    assert wrong not in extract_hard_skills(text)


def test_guards_keep_real_skills_next_to_them() -> None:
    found = extract_hard_skills("Tốt nghiệp chuyên ngành Điện tử. Thành thạo Python, Git và Machine Learning")
    assert {"Python", "Git", "Machine Learning"} <= set(found) and "Điện tử" not in found


def test_no_unbalanced_bracket_fragments_from_posted_lists() -> None:
    skills = normalize_skills("Plc Programming (e.g., Siemens, Allen Bradley) Scada, Sketchup), ), Hive) Etl Processes")
    assert all(s.count("(") == s.count(")") == 0 for s in skills), skills
    assert "Siemens" in skills and "Allen Bradley" in skills and "SketchUp" in skills


# --- salary ----------------------------------------------------------------------------------------


def _shape(text: str, **kw) -> tuple:
    p = parse_salary(text, **kw)
    return p.salary_type, p.currency, p.period, p.amount_min, p.amount_max


@pytest.mark.parametrize("text, expected", [
    ("$53K-$91K (Glassdoor est.)", ("range", "USD", "year", 53_000.0, 91_000.0)),
    ("Employer Provided Salary:$80K - $100K", ("range", "USD", "year", 80_000.0, 100_000.0)),
    ("$25 - $30 Per Hour", ("range", "USD", "hour", 25.0, 30.0)),
    ("$ 65tr-80tr /tháng", ("range", "VND", "month", 65e6, 80e6)),
    ("1,000 - 2,000 USD", ("range", "USD", "month", 1000.0, 2000.0)),
    ("150,000 - 180,000 AUD /năm", ("range", "AUD", "year", 150_000.0, 180_000.0)),
    ("3,000 - 4,000 EUR /tuần", ("range", "EUR", "week", 3000.0, 4000.0)),
    ("20tr-30tr ₫/tháng", ("range", "VND", "month", 20e6, 30e6)),
])
def test_currency_period_units(text: str, expected: tuple) -> None:
    assert _shape(text) == expected


@pytest.mark.parametrize("text", ["-1", "N/A", "Sign in to view salary", "-1.0"])
def test_no_salary_markers(text: str) -> None:
    assert parse_salary(text).salary_type == "unknown"


def test_glassdoor_yearly_is_not_twelve_times_too_high() -> None:
    p = parse_salary("$53K-$91K (Glassdoor est.)", 25_000.0)
    assert p.salary_min == pytest.approx(53_000 * 25_000 / 12 / 1e6)
    assert not p.suspect


def test_other_currencies_need_a_configured_rate() -> None:
    assert parse_salary("150,000 - 180,000 AUD /năm").salary_min is None
    rates = parse_fx_rates("AUD=16500,EUR=27000")
    assert parse_salary("150,000 - 180,000 AUD /năm", fx_rates=rates).salary_min == pytest.approx(206.25)


def test_fx_rates_setting() -> None:
    settings = Settings.from_environ({"JOBINSIGHT_FX_RATES": "AUD=16500, eur=27000"})
    assert settings.fx_rate_table == (("AUD", 16500.0), ("EUR", 27000.0))
    assert Settings.from_environ({}).fx_rate_table == ()
    with pytest.raises(ConfigError, match="JOBINSIGHT_FX_RATES"):
        Settings.from_environ({"JOBINSIGHT_FX_RATES": "AUD:16500"})


def test_implausible_monthly_salary_is_kept_and_flagged() -> None:
    p = parse_salary("2 tỷ")
    assert p.salary_max == 2000.0 and p.suspect
    assert not parse_salary("15 - 20 triệu").suspect


@pytest.mark.parametrize("base, text", [
    ({"currency": "AUD", "value": {"maxValue": 180000, "minValue": 150000, "unitText": "YEAR"}}, "AUD"),
    ({"currency": "USD", "value": {"value": "45.5", "unitText": "HOUR"}}, "USD"),
    ({"currency": "USD", "minValue": 5000, "maxValue": 3000}, "USD"),
    ({"currency": "EUR", "value": {"minValue": "3000", "maxValue": 4000, "unitText": "WEEK"}}, "EUR"),
    ({"currency": "VND", "value": {"minValue": 10000000, "maxValue": 15000000, "unitText": "MONTH"}}, "VND"),
    ({"currency": "GBP", "value": 40000, "unitText": "DAY"}, "GBP"),
])
def test_jsonld_base_salary_shapes_reach_the_parser(base: dict, text: str) -> None:
    salary, structured = _salary(base, None)
    parsed = parse_salary(salary)
    assert parsed.currency == text and parsed.salary_type in ("range", "exact")
    lo, hi = parsed.amount_min, parsed.amount_max
    assert lo is not None and hi is not None and lo <= hi
    unit = (structured or {}).get("unit")
    if unit:
        assert parsed.period == {"YEAR": "year", "HOUR": "hour", "WEEK": "week", "MONTH": "month", "DAY": "day"}[unit]


def test_jsonld_string_value_is_negotiable() -> None:
    assert parse_salary(_salary({"currency": "VND", "value": "Thoả thuận"}, None)[0]).salary_type == "negotiable"


def test_salary_from_description_text() -> None:
    found = salary_from_text("The base salary range for this role is between $148,200 and $239,800 annually.")
    assert (found.currency, found.period, found.amount_min, found.amount_max) == ("USD", "year", 148_200.0, 239_800.0)
    assert salary_from_text("We value teamwork; 20 days of leave.") is None


# --- places, titles, URLs, companies ---------------------------------------------------------------


@pytest.mark.parametrize("location, cities, region, country", [
    ("Hà Nội, Hồ Chí Minh (mới)", ("Hà Nội", "Hồ Chí Minh"), None, "VN"),
    ("Hồ Chí Minh (mới), Hà Nội (mới)", ("Hồ Chí Minh", "Hà Nội"), None, "VN"),
    ("Quốc tế", (), None, "ZZ"), ("Nước ngoài", (), None, "ZZ"),
    ("New York, NY", ("New York",), "NY", "US"),
    ("AMER - Canada - Quebec - Montreal - 10 Rue Duke", ("Montreal",), "Quebec", "CA"),
    ("Sydney NSW 2000", ("Sydney",), "NSW", "AU"), ("Nhật Bản", (), None, "JP"),
    ("Hồ Chí Minh, Quận 12", ("Hồ Chí Minh",), None, "VN"),
])
def test_places(location: str, cities: tuple, region: str | None, country: str) -> None:
    assert tuple(resolve_place(location)) == (cities, region, country)


def test_truncated_title_is_flagged_not_kept() -> None:
    assert title_truncated("Nhân Viên Kinh Doanh Phần Mềm...") and title_truncated("Kế Toán…")
    assert clean_title("Nhân Viên Kinh Doanh Phần Mềm...") == "Nhân Viên Kinh Doanh Phần Mềm"
    assert not title_truncated("Kế Toán")


@pytest.mark.parametrize("title, clean", [
    ("Kế Toán Tổng Hợp Thu Nhập Từ (Phụ Cấp)", "Kế Toán Tổng Hợp"),
    ("Kế Toán Thuế, Lương Cứng + Phụ Cấp", "Kế Toán Thuế"),
    ("Tuyển Dụng Nhân Viên CSKH", "Nhân Viên CSKH"),
    ("Tuyển Dụng Nhân Sự", "Tuyển Dụng Nhân Sự"),
])
def test_salary_and_recruiting_boilerplate_stripped(title: str, clean: str) -> None:
    assert clean_title(title) == clean


def test_doubled_url_prefix_repaired() -> None:
    assert repair_url("https://www.topcv.vnhttps://www.topcv.vn/viec-lam/a/1.html") == "https://www.topcv.vn/viec-lam/a/1.html"
    assert repair_url("https://www.topcv.vn/viec-lam/a/1.html") == "https://www.topcv.vn/viec-lam/a/1.html"


def test_rating_split_off_company_name() -> None:
    assert split_company_rating("Tecolote Research\n3.8") == ("Tecolote Research", 3.8)
    assert standardize_company("Tecolote Research\n3.8") == "Tecolote Research"
    assert split_company_rating("Web 2.0") == ("Web 2.0", None)


def test_batch_reads_detail_columns_when_present_and_copes_without_them() -> None:
    base = {"id": [1, 2], "source": ["topcv"] * 2, "job_id": ["1", "2"], "title": ["Kỹ Sư Phần Mềm"] * 2,
            "salary": [None, None], "payload": [None, None]}
    without = transform_batch(pd.DataFrame(base)).staging
    assert without["seniority"].tolist() == ["unknown", "unknown"]
    with_detail = transform_batch(pd.DataFrame({**base, "job_level": ["Trưởng nhóm", None],
                                                "job_category": ["IT - Phần mềm", None],
                                                "experience": [None, "5 năm"]})).staging
    assert with_detail["seniority"].tolist() == ["lead", "senior"]
