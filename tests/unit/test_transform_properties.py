"""Property tests: every parser takes arbitrary text without raising and returns its typed result."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobinsight.transform.batch import STAGING_COLUMNS, transform_batch
from jobinsight.transform.companies import standardize_company
from jobinsight.transform.deadline import parse_deadline, time_remaining_text
from jobinsight.transform.enrich_rules import Enrichment, enrich
from jobinsight.transform.job_family import JOB_FAMILIES
from jobinsight.transform.locations import PROVINCES, canonical_city, parse_location_pairs, resolve_cities
from jobinsight.transform.salary import SALARY_PERIODS, SALARY_TYPES, SalaryParse, parse_salary
from jobinsight.transform.seniority import SENIORITY_LEVELS
from jobinsight.transform.skills import extract_skills, normalize_skills
from jobinsight.transform.titles import clean_title
from jobinsight.transform.work_mode import WORK_MODES

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SHAPES = [
    "10 - 15 triệu", "7.5 - 10 triệu", "Thoả thuận", "Tới 2,000 USD", "30 k - 40 k /giờ", "Tới 5 k /sp",
    "$ 1,000-2,000 /tháng", "20tr-30tr ₫/tháng", "1.000.000", "Hà Nội & 2 nơi khác", "TP.HCM", "Hồ Chí Minh (mới)",
    "<p>Hà Nội: Cầu Giấy</p>", "Còn 12 ngày", "31/02/2026", "2026-06-30T10:00:00+07:00", "C/C++ Lập Trình Nhúng",
    "Kế Toán Tổng Hợp - Upto 16tr - Quận 1, HCM", "[HOT] Java Developer [HN]", "CÔNG TY CỔ PHẦN TẬP ĐOÀN THÉP POSHACO",
    "Senior .NET Developer (C#)", "Tiếng Nhật N2", "IELTS 6.5", '["ReactJS", "Golang"]', "(", ")", "[", "/", "-", "&",
]
# Arbitrary text, real shapes, and real shapes glued to arbitrary text.
TEXT = st.one_of(
    st.text(max_size=80),
    st.sampled_from(SHAPES),
    st.builds(lambda a, b, c: a + b + c, st.sampled_from(SHAPES), st.text(max_size=20), st.sampled_from(SHAPES)),
)
MAYBE_TEXT = st.one_of(st.none(), TEXT)
MOMENTS = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1)),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1),
                 timezones=st.sampled_from([UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-11))])),
)


def _opt_float(value: object) -> bool:
    return value is None or (isinstance(value, float) and value > 0)


@SETTINGS
@given(MAYBE_TEXT, st.floats(min_value=1, max_value=1e6))
def test_parse_salary_total(text: str | None, usd_rate: float) -> None:
    parsed = parse_salary(text, usd_rate)
    assert isinstance(parsed, SalaryParse)
    assert parsed.salary_type in SALARY_TYPES
    assert parsed.currency is None or re.fullmatch(r"[A-Z]{3}", parsed.currency)  # any ISO 4217 code
    assert parsed.period is None or parsed.period in SALARY_PERIODS
    for value in (parsed.amount_min, parsed.amount_max, parsed.salary_min, parsed.salary_max):
        assert _opt_float(value), parsed  # unknown is None, never 0
    if parsed.amount_min is not None and parsed.amount_max is not None:
        assert parsed.amount_min <= parsed.amount_max
    if parsed.salary_type in ("unknown", "negotiable"):
        assert parsed.amount_min is None and parsed.amount_max is None


@SETTINGS
@given(MAYBE_TEXT, MOMENTS)
def test_parse_deadline_total(text: str | None, crawled_at: datetime | None) -> None:
    due = parse_deadline(text, crawled_at)
    assert due is None or (isinstance(due, datetime) and due.tzinfo is not None)
    if due is not None and crawled_at is not None:
        remaining = time_remaining_text(due, crawled_at)
        assert remaining == "Hết hạn" or remaining.startswith("Còn ")


@SETTINGS
@given(MAYBE_TEXT)
def test_clean_title_total(text: str | None) -> None:
    cleaned = clean_title(text)
    if text is None or not text.strip() or not any(ch.isprintable() and not ch.isspace() for ch in text):
        return
    assert isinstance(cleaned, str) and cleaned.strip() == cleaned and cleaned


@SETTINGS
@given(MAYBE_TEXT)
def test_standardize_company_total(text: str | None) -> None:
    result = standardize_company(text)
    assert result is None or (isinstance(result, str) and result and result == result.strip())


@SETTINGS
@given(MAYBE_TEXT, MAYBE_TEXT)
def test_locations_total(location: str | None, detail: str | None) -> None:
    pairs = parse_location_pairs(detail)
    assert isinstance(pairs, list)
    for pair in pairs:
        assert set(pair) == {"city", "detail"}
        assert isinstance(pair["city"], str) and pair["city"]
        assert pair["detail"] is None or isinstance(pair["detail"], str)
    cities = resolve_cities(location, pairs)
    assert isinstance(cities, list) and all(isinstance(c, str) and c for c in cities)
    assert len(cities) == len(set(cities))
    canonical = canonical_city(location)
    assert canonical is None or isinstance(canonical, str)
    if canonical in PROVINCES:
        assert resolve_cities(canonical) == [canonical]


@SETTINGS
@given(st.one_of(MAYBE_TEXT, st.lists(TEXT, max_size=6)))
def test_skills_total(skills: str | list[str] | None) -> None:
    normalized = normalize_skills(skills)
    assert all(isinstance(s, str) and s and s == s.strip() for s in normalized)
    assert len({s.casefold() for s in normalized}) == len(normalized)
    found = extract_skills(skills if isinstance(skills, str) else None)
    assert all(isinstance(s, str) and s for s in found) and len(set(found)) == len(found)


@SETTINGS
@given(MAYBE_TEXT, st.lists(TEXT, max_size=4), MAYBE_TEXT, MAYBE_TEXT, MAYBE_TEXT)
def test_enrich_total(title: str | None, skills: list[str], description: str | None, level: str | None,
                      work_type: str | None) -> None:
    result = enrich(title, skills, description=description, level=level, work_type=work_type)
    assert isinstance(result, Enrichment)
    assert result.seniority in SENIORITY_LEVELS
    assert result.job_family in JOB_FAMILIES
    assert result.work_mode in WORK_MODES
    assert len(result.capabilities) <= 5
    assert all(set(lang) == {"language", "level"} for lang in result.languages_required)


ROW = st.fixed_dictionaries({
    "job_id": st.one_of(st.none(), st.text(max_size=8)),
    "title": MAYBE_TEXT,
    "company_name": MAYBE_TEXT,
    "salary": MAYBE_TEXT,
    "skills": MAYBE_TEXT,
    "location": MAYBE_TEXT,
    "location_detail": MAYBE_TEXT,
    "deadline": MAYBE_TEXT,
    "payload": st.one_of(st.none(), TEXT, st.just('{"level": "Trưởng nhóm", "description": "Java backend"}')),
    "crawled_at": st.one_of(st.none(), st.just(pd.Timestamp("2026-07-12T03:00:00Z"))),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=8))
def test_transform_batch_total(rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)
    frame.insert(0, "id", range(1, len(rows) + 1))
    frame["crawled_at"] = pd.to_datetime(frame["crawled_at"], utc=True)
    out = transform_batch(frame)
    assert list(out.staging.columns) == list(STAGING_COLUMNS)
    assert out.stats["rows_out"] + out.stats["quarantined"] == len(rows)
    assert sorted([*out.staging["raw_id"], *out.quarantined["raw_id"]]) == list(range(1, len(rows) + 1))
    assert out.quarantined["reason"].map(lambda r: isinstance(r, str) and bool(r)).all()
