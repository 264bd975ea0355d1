"""Rules enricher: seniority, job family, work mode, languages, capabilities, provenance."""

from __future__ import annotations

import dataclasses

import pytest

from jobinsight.transform.enrich_rules import ENRICHMENT_VERSION, Enrichment, enrich
from jobinsight.transform.job_family import JOB_FAMILIES
from jobinsight.transform.seniority import SENIORITY_LEVELS, detect_seniority
from jobinsight.transform.work_mode import detect_work_mode


@pytest.mark.parametrize(
    ("title", "level", "expected"),
    [
        ("Thực Tập Sinh Java Developer", None, "intern"),
        ("Tester Intern", None, "intern"),
        ("Fresher IT Comtor", None, "fresher"),
        ("Junior/Middle Tester", None, "junior"),
        ("Jr. Developer", None, "junior"),
        ("Middle PHP Backend Developer", None, "middle"),
        ("Senior AI Engineer", None, "senior"),
        ("Sr. Data Engineer", None, "senior"),
        ("Chuyên Viên Cao Cấp Phân Tích Tài Chính", None, "senior"),
        ("Audit Senior", None, "senior"),
        ("Backend Developer (Lead/Senior)", None, "lead"),
        ("Trưởng Nhóm Kiểm Thử Phần Mềm", None, "lead"),
        ("Java Backend Team Lead", None, "lead"),
        ("Tech Lead .NET", None, "lead"),
        ("Trưởng Phòng Kinh Doanh", None, "manager"),
        ("Kế Toán Trưởng", None, "manager"),
        ("Giám Đốc Kinh Doanh Khu Vực", None, "manager"),
        ("Head of Data", None, "manager"),
        ("IT Manager", None, "manager"),
        # the level column when the title says nothing
        ("Java Developer", "Trưởng nhóm", "lead"),
        ("Java Developer", "Trưởng/Phó phòng", "manager"),
        ("Java Developer", "Quản lý / Giám sát", "manager"),
        ("Java Developer", "Giám đốc", "manager"),
        ("Nhân viên kinh doanh", "Thực tập sinh", "intern"),
        # "Nhân viên" (staff) is not a seniority; staff/assistant phrasing is not management
        ("Java Developer", "Nhân viên", "unknown"),
        ("Nhân Viên Quản Lý Kho", None, "unknown"),
        ("Trợ Lý Giám Đốc", None, "unknown"),
        ("Lead Generation Specialist", None, "unknown"),
        ("Account Manager (IT Solutions)", None, "unknown"),
        ("Headhunter", None, "unknown"),
    ],
)
def test_seniority(title: str, level: str | None, expected: str) -> None:
    assert detect_seniority(title, level) == expected
    assert enrich(title, [], level=level).seniority == expected


@pytest.mark.parametrize(
    ("title", "skills", "expected"),
    [
        ("Java Developer", [], "backend"),
        ("Lập Trình Viên .NET", [], "backend"),
        ("Frontend Developer ReactJS", [], "frontend"),
        ("Fullstack NodeJS , ReactJS", [], "fullstack"),
        ("Flutter Developer (Lead/Senior)", [], "mobile"),
        ("Data Analyst (Lead)", [], "data"),
        ("AI Engineer (Gen AI)", [], "ai_ml"),
        ("DevOps Engineer (AWS, Kubernetes)", [], "devops"),
        ("Software Tester (Automation & Manual)", [], "qa"),
        ("Nhân Viên Kiểm Thử Xâm Nhập (Pentest)", [], "security"),
        ("Embedded Firmware Engineer", [], "embedded"),
        ("Game Designer (Puzzle/Casual)", [], "game"),
        ("IT Helpdesk", [], "it_support"),
        ("SAP FICO Consultant", [], "erp"),
        ("Business Analyst (Tiếng Nhật N2)", [], "ba_pm"),
        ("UI/UX Designer", [], "design"),
        ("Kế Toán Trưởng (Mảng Loyalty/Fintech/TMĐT/ IT )", [], "accounting"),
        ("Nhân Viên Hồ Sơ Tín Dụng (Credit Document Officer)", [], "finance"),
        ("Nhân Viên Kinh Doanh Phần Mềm", [], "sales"),
        ("UA Marketing Game Puzzle", [], "marketing"),
        ("Chuyên Viên Tuyển Dụng ( IT Recruiter )", [], "hr"),
        ("Nhân Viên Hành Chính Văn Phòng", [], "admin"),
        ("Nhân Viên Chăm Sóc Khách Hàng", [], "customer_service"),
        ("Kỹ Sư Lập Trình PLC", [], "engineering"),
        ("Kỹ Sư Kết Cấu Công Trình", [], "construction"),
        ("Nhân Viên Lập Trình Khuôn CNC", [], "manufacturing"),
        ("Giáo Viên Tiếng Anh", [], "education"),
        ("Dược Sĩ Bán Hàng", [], "healthcare"),
        ("Nhân Viên Xuất Nhập Khẩu", [], "logistics"),
        ("Chuyên Viên Pháp Chế", [], "legal"),
        # a generic developer title is decided by the skills
        ("Software Engineer", ["ReactJS", "TypeScript", "CSS"], "frontend"),
        ("Lập Trình Viên", ["Flutter", "Dart"], "mobile"),
        ("Software Engineer", ["Java", "Spring Boot", "ReactJS", "Next.js"], "fullstack"),
        ("Kỹ Sư Phát Triển Phần Mềm", [], "backend"),
        # no role in the title: the skills vote
        ("Nhân Viên", ["Kế toán thuế", "Excel", "MISA"], "accounting"),
    ],
)
def test_job_family(title: str, skills: list[str], expected: str) -> None:
    assert enrich(title, skills).job_family == expected


def test_job_family_falls_back_to_category_then_text() -> None:
    assert enrich("Nhân Viên", [], category="Kế toán / Kiểm toán").job_family == "accounting"
    # "IT - Phần mềm" is an industry, not a function: it decides nothing
    assert enrich("Nhân Viên", [], category="IT - Phần mềm").job_family == "other"
    text = "Phát triển và bảo trì backend, xây dựng RESTful API cho hệ thống."
    assert enrich("Nhân Viên", [], description=text, category="IT - Phần mềm").job_family == "backend"


@pytest.mark.parametrize(
    ("work_type", "title", "expected"),
    [
        ("Làm việc tại văn phòng / Onsite", None, "onsite"),
        ("Kết hợp tại văn phòng và từ xa (Hybrid)", None, "hybrid"),
        ("Làm việc từ xa (Remote)", None, "remote"),
        ("Làm việc tại văn phòng / Onsite, Làm việc từ xa (Remote)", None, "hybrid"),
        ("Làm việc tại văn phòng / Onsite, Kết hợp tại văn phòng và từ xa (Hybrid)", None, "hybrid"),
        ("1 người", "Cloud Solutions Lead (Remote)", "remote"),  # a head count in the work-type column
        (None, "C# Developer - Remote", "remote"),
        (None, "Senior Japanese Tester (Hybrid Working Mode)", "hybrid"),
        (None, "Java Developer", "unknown"),
    ],
)
def test_work_mode(work_type: str | None, title: str | None, expected: str) -> None:
    assert detect_work_mode(work_type, title) == expected
    assert enrich(title, [], work_type=work_type).work_mode == expected


@pytest.mark.parametrize(
    ("title", "requirements", "expected"),
    [
        ("Nhân Viên QA / Tester Tiếng Nhật N2 (Bắt Buộc)", None, [{"language": "Japanese", "level": "N2"}]),
        ("Business Analyst", "Có chứng chỉ JLPT N3 trở lên", [{"language": "Japanese", "level": "N3"}]),
        ("Kế Toán", "Tiếng Anh: TOEIC 550 trở lên", [{"language": "English", "level": "TOEIC 550"}]),
        ("Data Analyst", "IELTS 6.5 hoặc tương đương", [{"language": "English", "level": "IELTS 6.5"}]),
        ("Comtor", "Tiếng Hàn TOPIK 4", [{"language": "Korean", "level": "TOPIK 4"}]),
        ("Trợ Lý", "Biết tiếng Trung, HSK 5", [{"language": "Chinese", "level": "HSK 5"}]),
        ("Sales", "Tiếng Anh giao tiếp tốt", [{"language": "English", "level": "conversational"}]),
        ("General Accountant - Bắt Buộc Nộp CV Tiếng Anh", None, [{"language": "English", "level": None}]),
        ("Kế Toán Tổng Hợp (Biết Tiếng Anh Hoặc Tiếng Trung)", None,
         [{"language": "English", "level": None}, {"language": "Chinese", "level": None}]),
        ("Kế Toán", "Không yêu cầu tiếng Anh", []),
        ("Java Developer", "English B2 or above", [{"language": "English", "level": "B2"}]),
    ],
)
def test_languages(title: str, requirements: str | None, expected: list[dict]) -> None:
    assert enrich(title, [], requirements=requirements).languages_required == expected


def test_capabilities_are_short_and_ordered_by_evidence() -> None:
    result = enrich(
        "Kế Toán Công Nợ",
        ["Kế toán thuế"],
        requirements="Hạch toán, đối chiếu công nợ phải trả nhà cung cấp, lập báo cáo thuế và báo cáo tài chính.",
    )
    assert result.capabilities[0] == "manage accounts receivable"
    assert "manage accounts payable" in result.capabilities
    assert "prepare tax reports" in result.capabilities
    assert len(result.capabilities) <= 5
    long = enrich(
        "Fullstack Developer",
        ["ReactJS", "Node.js", "AWS", "Docker", "Selenium", "Figma", "Power BI", "Kubernetes"],
    )
    assert long.capabilities == [  # skills in their posted order, capped at five
        "build web user interfaces", "build backend services and APIs", "operate cloud infrastructure",
        "automate software tests", "design UI/UX",
    ]


def test_skills_normalized_merges_posted_title_and_text() -> None:
    result = enrich(
        "Senior Golang Developer (Kafka)",
        ["C/C++ Lập Trình Nhúng", "k8s", "Kỹ năng giao tiếp"],
        description="Làm việc với PostgreSQL, Redis; kỹ năng giao tiếp tốt.",
    )
    assert result.skills_normalized == [
        "C", "C++", "Lập trình nhúng", "Kubernetes", "Giao tiếp", "Go", "Kafka", "PostgreSQL", "Redis",
    ]


def test_result_shape_and_provenance() -> None:
    result = enrich("Java Developer", ["Java"])
    assert isinstance(result, Enrichment)
    assert dataclasses.is_dataclass(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.seniority = "lead"  # type: ignore[misc]
    assert result.enrichment_source == "rules"
    assert result.enrichment_version == ENRICHMENT_VERSION and ENRICHMENT_VERSION.startswith("rules-")
    assert result.seniority in SENIORITY_LEVELS and result.job_family in JOB_FAMILIES


def test_deterministic_and_lists_are_not_shared() -> None:
    first = enrich("Senior Java Developer", ["Java", "Spring Boot"])
    first.skills_normalized.append("mutated")
    second = enrich("Senior Java Developer", ["Java", "Spring Boot"])
    assert second.skills_normalized == ["Java", "Spring Boot"]
    assert dataclasses.replace(first, skills_normalized=second.skills_normalized) == second


@pytest.mark.parametrize("title", [None, "", "   "])
def test_missing_inputs(title: str | None) -> None:
    result = enrich(title, [])
    assert (result.seniority, result.job_family, result.work_mode) == ("unknown", "other", "unknown")
    assert result.skills_normalized == [] and result.languages_required == [] and result.capabilities == []
