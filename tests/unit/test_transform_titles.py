"""Title cleaning on real TopCV titles: decorations go, the role and its tech stay."""

from __future__ import annotations

import pytest

from jobinsight.transform.titles import clean_title


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # salary decorations
        ("Backend Developer - Thu Nhập Upto 40 Triệu", "Backend Developer"),
        ("Java Dev | Lương 30 Triệu", "Java Dev"),
        ("Tester (Thu Nhập 20 - 25 Triệu)", "Tester"),
        ("Data Engineer (AI Platform) – Up To 35 Triệu", "Data Engineer (AI Platform)"),
        ("Kế Toán Tổng Hợp Tại Hà Nội Lương Upto 17 Triệu", "Kế Toán Tổng Hợp"),
        ("Chuyên Viên Tài Chính - Kế Toán Thu Nhập 15.000.000 - 20.000.000 Tại Hà Nội",
         "Chuyên Viên Tài Chính - Kế Toán"),
        ("Lãnh Đạo Phòng Kế Toán - Kiểm Toán - Lương 15-30tr++++. Đi Làm Ngay", "Lãnh Đạo Phòng Kế Toán - Kiểm Toán"),
        # place decorations
        ("Kế Toán - Tại Hà Nội", "Kế Toán"),
        ("Kế Toán Tổng Hợp - Upto 16tr - Quận 1, HCM", "Kế Toán Tổng Hợp"),
        ("Kế Toán Trưởng Tại Bà Rịa - Vũng Tàu, Nhận Việc Ngay", "Kế Toán Trưởng"),
        ("Kế Toán Nội Bộ (Quận 1 - TP.Hồ Chí Minh)", "Kế Toán Nội Bộ"),
        ("Kỹ Sư Nghiên Cứu Và Phát Triển Hệ Thống Wifi ( Hà Nội )", "Kỹ Sư Nghiên Cứu Và Phát Triển Hệ Thống Wifi"),
        ("Kế Toán Trưởng _ _ Hà Nam ( Ninh Bình )_ Thu Nhập 25 - 30 Triệu", "Kế Toán Trưởng"),
        ("Fullstack Developer ( C/ C++/C#/ Python / SQL ) - Hai Phong", "Fullstack Developer (C/ C++/C#/ Python / SQL)"),
        # urgency decorations
        ("[HOT] Tuyển Gấp Java Developer [HN]", "Java Developer"),
        ("URGENT: Senior C++ Engineer [HCM]", "Senior C++ Engineer"),
        ("Node.js Developer - Gấp", "Node.js Developer"),
        ("Kiểm Soát Chất Lượng ( QA/QC ) - Đi Làm Ngay", "Kiểm Soát Chất Lượng (QA/QC)"),
        ("Photoshop Designer Hot", "Photoshop Designer"),
        # experience / hiring conditions
        ("UI/UX Designer - Từ 1 Năm Kinh Nghiệm, Thu Nhập Upto 15M", "UI/UX Designer"),
        ("General Accountant - 02 Năm Kinh Nghiệm - Bắt Buộc Nộp CV Tiếng Anh - Quận 7 (HCM)", "General Accountant"),
        ("QC Engineer ( Ít Nhất 2 Năm Kinh Nghiệm, Manual Testing , MySQL )", "QC Engineer (Manual Testing, MySQL)"),
        ("Product Owner (Mảng Mobile App, Từ 01 Năm KN)", "Product Owner (Mảng Mobile App)"),
        ("Triển Khai Phần Mềm (Nam) - Từ 2 Năm Kinh Nghiệm - Hà Nội - Đi Làm Luôn", "Triển Khai Phần Mềm"),
        ("Host Livestream Ít Kinh Nghiệm", "Host Livestream"),
        ("Chuyên Viên Digital Marketing ( Chạy Ads - Mảng Game ) / Tối Thiếu 1 Năm Kinh Nghiệm / Tại Phường Tân Hưng , HCM",
         "Chuyên Viên Digital Marketing (Chạy Ads - Mảng Game)"),
        ("Trợ Lý Kiểm Toán (Audit Assistant) | Thu Nhập Hấp Dẫn Tại Hà Nội", "Trợ Lý Kiểm Toán (Audit Assistant)"),
    ],
)
def test_decorations_are_removed(title: str, expected: str) -> None:
    assert clean_title(title) == expected


@pytest.mark.parametrize(
    "title",
    [
        "Senior Backend Developer (Java, Spring Boot)",
        "Lập Trình Viên .NET",
        "Senior .Net Developer",
        "Node.js Developer",
        "C# Developer",
        "Lập Trình Viên C++",
        "Nhân Viên Lễ Tân Hotel",
        "Nhân Viên Tư Vấn Tại Quầy",
        "Tư Vấn Viên Hỗ Trợ Phần Mềm Kế Toán",
        "Kiến Trúc Sư / Thiết Kế Nội Thất",
        "Game Designer (Puzzle/Casual)",
        "QA/QC Engineer",
    ],
)
def test_role_and_tech_words_are_kept(title: str) -> None:
    assert clean_title(title) == title


def test_spacing_inside_brackets_is_tidied() -> None:
    assert clean_title("Lập Trình Viên .NET (C#, .Net MVC, .Net API, WinForms )") == (
        "Lập Trình Viên .NET (C#, .Net MVC, .Net API, WinForms)"
    )
    assert clean_title("  Java   Developer  -  ") == "Java Developer"


@pytest.mark.parametrize("title", ["Gấp", "Tuyển Gấp", "HOT", "Lương 30 Triệu", "(Hà Nội)"])
def test_never_empty_when_the_input_has_words(title: str) -> None:
    cleaned = clean_title(title)
    assert cleaned, title
    assert cleaned == title.strip()


@pytest.mark.parametrize("title", [None, "", "   ", "\t\n"])
def test_missing_titles_are_none(title: str | None) -> None:
    assert clean_title(title) is None
