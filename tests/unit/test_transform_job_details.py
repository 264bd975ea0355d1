"""Detail-page values -> staging values (experience months, openings, education level, employment type)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from jobinsight.transform.job_details import (
    EDUCATION_LEVELS,
    EMPLOYMENT_TYPES,
    education_level,
    employment_type,
    experience_months,
    openings_count,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("Không yêu cầu", (0, 0)), ("2 năm", (24, 24)), ("Dưới 1 năm", (0, 12)), ("1 - 3 năm", (12, 36)),
    ("Trên 5 năm", (60, None)), ("6 tháng", (6, 6)), ("Từ 2 năm", (24, None)), ("1,5 năm", (18, 18)),
    ("3 - 1 năm", (12, 36)), ("Thoả thuận", (None, None)), ("", (None, None)), (None, (None, None)),
    ("Tới 2 năm", (0, 24)), ("5+ years", (60, None)),
])
def test_experience_months(text: str | None, expected: tuple) -> None:
    assert experience_months(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("10 người", 10), ("1 người", 1), ("5", 5), ("1.000 người", 1000), ("Đại Học trở lên", None),
    ("15 - 25 triệu", None), ("0 người", None), ("", None), (None, None), (3, 3),
])
def test_openings(text: object, expected: int | None) -> None:
    assert openings_count(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Đại Học trở lên", "university"), ("Cao Đẳng trở lên", "college"), ("Trung cấp trở lên", "vocational"),
    ("Trung học phổ thông (Cấp 3) trở lên", "high_school"), ("Thạc sĩ", "master"), ("Không yêu cầu", "none"),
    ("Tiến sĩ", "doctorate"), ("xyz", None), (None, None),
])
def test_education_level(text: str | None, expected: str | None) -> None:
    assert education_level(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Toàn thời gian", "full_time"), ("Bán thời gian", "part_time"), ("Thực tập", "internship"),
    ("FULL_TIME", "full_time"), ("PART_TIME", "part_time"), ("Khác", "other"),
    ("Làm việc tại văn phòng / Onsite", None), ("Kết hợp tại văn phòng và từ xa (Hybrid)", None), (None, None),
])
def test_employment_type(text: str | None, expected: str | None) -> None:
    assert employment_type(text) == expected


@pytest.mark.parametrize("blank", ["", "   ", "\n\t ", None, b"10 ng"])
def test_blank_or_non_text_reads_as_nothing_in_every_reader(blank: object) -> None:
    assert experience_months(blank) == (None, None)
    assert openings_count(blank) is None
    assert education_level(blank) is None and employment_type(blank) is None


def test_the_label_lists_are_the_labels_the_readers_give() -> None:
    """Derived from the pattern tables, so a label added to a table is a documented value at once."""
    assert EDUCATION_LEVELS == ("doctorate", "master", "university", "college", "vocational", "high_school", "none")
    assert set(EMPLOYMENT_TYPES) == {"full_time", "part_time", "internship", "contract", "freelance", "temporary",
                                     "other"}
    samples = {"Tiến sĩ": "doctorate", "MBA": "master", "Cử nhân": "university", "Cao đẳng": "college",
               "Trung cấp": "vocational", "THPT": "high_school", "Không yêu cầu": "none"}
    assert {education_level(text) for text in samples} == set(EDUCATION_LEVELS)
    samples = {"Toàn thời gian", "Part-time", "Thực tập", "Hợp đồng", "Freelance", "Tạm thời", "Khác"}
    assert {employment_type(text) for text in samples} == set(EMPLOYMENT_TYPES)


def test_real_detail_crawl_values(realdata: Path) -> None:
    """Every real openings / education value of the 1,250-row crawl reads (its columns are shifted at times)."""
    path = realdata / "topcv_detail" / "topcv_jobs_nguyenphu2009.csv"
    if not path.is_file():
        pytest.skip("real TopCV detail crawl not present")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    qty = Counter(row["qty"] for row in rows)
    for value in qty:
        if value.endswith("người"):
            assert openings_count(value) == int(value.split()[0])
        else:  # the education value in the wrong column
            assert openings_count(value) is None and education_level(value) in EDUCATION_LEVELS
    for value in Counter(row["type"] for row in rows):
        assert employment_type(value) in (*EMPLOYMENT_TYPES, None)
    # the salary that sits in the "exp" column is not read as experience
    assert all(experience_months(row["exp"]) == (None, None) for row in rows if "triệu" in row["exp"])
