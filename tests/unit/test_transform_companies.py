"""Company names: one casing for the same employer, acronyms kept, nothing damaged inside words."""

from __future__ import annotations

import pytest

from jobinsight.transform.companies import standardize_company


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CÔNG TY CỔ PHẦN TẬP ĐOÀN THÉP POSHACO", "Công Ty Cổ Phần Tập Đoàn Thép Poshaco"),
        ("Công ty cổ phần tập đoàn thép Poshaco", "Công Ty Cổ Phần Tập Đoàn Thép Poshaco"),
        ("CÔNG TY TNHH MỘT THÀNH VIÊN AN NINH MẠNG VIETTEL", "Công Ty TNHH Một Thành Viên An Ninh Mạng Viettel"),
        ("CÔNG TY TNHH MTV DỊCH VỤ VNG", "Công Ty TNHH MTV Dịch Vụ VNG"),
        ("Ngân hàng TMCP Hàng Hải Việt Nam (MSB)", "Ngân Hàng TMCP Hàng Hải Việt Nam (MSB)"),
        ("Công ty TNHH TM XNK Kiến Nam", "Công Ty TNHH TM XNK Kiến Nam"),
        ("CÔNG TY TNHH KIỂM TOÁN VÀ TƯ VẤN VSA", "Công Ty TNHH Kiểm Toán Và Tư Vấn VSA"),
        ("CÔNG TY CỔ PHẦN BPO MẮT BÃO", "Công Ty Cổ Phần BPO Mắt Bão"),
        ("CÔNG TY TNHH KẾ TOÁN VÀ ĐẠI LÝ THUẾ 5T VIỆT NAM", "Công Ty TNHH Kế Toán Và Đại Lý Thuế 5T Việt Nam"),
        ("CÔNG TY TNHH ACCOUNTING & TAX PROFESSIONALS", "Công Ty TNHH Accounting & Tax Professionals"),
        ("CÔNG TY TNHH GIẢI PHÁP F&B ONSET", "Công Ty TNHH Giải Pháp F&B Onset"),
        ("CÔNG TY CỔ PHẦN BA AN", "Công Ty Cổ Phần Ba An"),
        ("BÁO ĐIỆN TỬ VNEXPRESS.NET", "Báo Điện Tử Vnexpress.net"),
        ("UMAXSOFT JOINT STOCK COMPANY", "Umaxsoft Joint Stock Company"),
        ("Công ty TNHH eCharging", "Công Ty TNHH eCharging"),
        ("Công ty Cổ phần Công nghệ KiotViet", "Công Ty Cổ Phần Công Nghệ KiotViet"),
        ("Công ty TNHH NEWEZ Việt Nam", "Công Ty TNHH NEWEZ Việt Nam"),
        ("Công ty TNHH Sản xuất và Thương mại Công nghiệp Việt Nam (IMTC VIETNAM CO.,LTD)",
         "Công Ty TNHH Sản Xuất Và Thương Mại Công Nghiệp Việt Nam (IMTC VIETNAM Co.,Ltd)"),
        ("Công\xa0ty\xa0cổ\xa0phần\xa0ô\xa0tô\xa0APC", "Công Ty Cổ Phần Ô Tô APC"),
    ],
)
def test_consistent_casing_keeps_acronyms(name: str, expected: str) -> None:
    assert standardize_company(name) == expected


def test_same_employer_gets_one_spelling() -> None:
    variants = ["CÔNG TY CỔ PHẦN TẬP ĐOÀN THÉP POSHACO", "Công ty Cổ phần Tập đoàn Thép Poshaco ",
                "  công ty cổ phần tập đoàn thép poshaco."]
    assert len({standardize_company(v) for v in variants}) == 1


def test_words_containing_hot_or_gap_are_untouched() -> None:
    assert standardize_company("CÔNG TY CP HOTEL GẤP PHÁT") == "Công Ty CP Hotel Gấp Phát"
    assert standardize_company("Công ty TNHH Photon Hotpot") == "Công Ty TNHH Photon Hotpot"


def test_scraper_badge_and_trailing_punctuation_are_removed() -> None:
    assert standardize_company("Tập đoàn FPT Pro Company") == "Tập Đoàn FPT"
    assert standardize_company("CÔNG TY TNHH ABC  ,;") == "Công Ty TNHH ABC"
    assert standardize_company(" - Công ty XYZ - ") == "Công Ty XYZ"


@pytest.mark.parametrize("name", [None, "", "   ", " .,; "])
def test_missing_names_are_none(name: str | None) -> None:
    assert standardize_company(name) is None
