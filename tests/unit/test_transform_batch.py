"""transform_batch: raw_jobs rows -> staging rows, with per-row quarantine and counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from jobinsight.transform import batch as batch_module
from jobinsight.transform import enrich_rules as enrich_module
from jobinsight.transform.batch import STAGING_COLUMNS, STATS_KEYS, BatchOutcome, transform_batch
from jobinsight.transform.deadline import VN_TZ

EXPECTED_COLUMNS = [
    "raw_id", "source", "job_id", "title", "job_url", "company_name", "company_url", "salary", "skills",
    "location", "location_detail", "deadline", "verified_employer", "last_update", "logo_url", "posted_time",
    "crawled_at", "content_hash", "job_level", "job_category", "work_locations", "detail_scraped_at", "title_clean", "company_name_standardized", "salary_min", "salary_max",
    "salary_type", "salary_currency", "salary_period", "salary_amount_min", "salary_amount_max", "location_pairs",
    "cities", "due_date", "skills_normalized", "seniority", "job_family", "work_mode", "languages_required",
    "capabilities", "enrichment_source", "enrichment_version",
    "occupation_isco", "country", "region", "salary_suspect", "salary_source", "title_truncated", "company_rating",
    "experience_min_months", "experience_max_months", "openings", "employment_type", "education_level",
]
RAW_TEXT = ["source", "job_id", "title", "job_url", "company_name", "company_url", "salary", "skills", "location",
            "location_detail", "deadline", "last_update", "logo_url", "content_hash", "payload"]
CRAWLED = pd.Timestamp("2026-07-12T03:00:00Z")
TOOLTIP = ("&lt;p style='text-align: left;margin-bottom: 0'&gt;Hồ Chí Minh: Quận 12&lt;br/&gt;"
           "Đà Nẵng: Hải Châu&lt;br/&gt;Hà Nội: Cầu Giấy&lt;/p&gt;")


def _row(i: int, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": i,
        "source": "topcv",
        "job_id": str(1_000_000 + i),
        "title": "Kế Toán Tổng Hợp - Upto 16tr - Quận 1, HCM",
        "job_url": f"https://www.topcv.vn/viec-lam/job/{i}.html",
        "company_name": "CÔNG TY TNHH TM XNK KIẾN NAM",
        "company_url": None,
        "salary": "12 - 16 triệu",
        "skills": json.dumps(["Kế toán tổng hợp", "Kế toán", "Kiểm toán"], ensure_ascii=False),
        "location": "Hồ Chí Minh",
        "location_detail": "&lt;p style='text-align: left;margin-bottom: 0'&gt;Hồ Chí Minh: Quận 1&lt;/p&gt;",
        "deadline": "31/08/2026",
        "verified_employer": True,
        "last_update": "Cập nhật 2 giờ trước",
        "logo_url": None,
        "posted_time": CRAWLED,
        "crawled_at": CRAWLED,
        "content_hash": f"{i:032x}",
        "payload": None,
    }
    row.update(overrides)
    return row


def _frame(rows: list[dict[str, object]], *, text_dtype: str | None = "str") -> pd.DataFrame:
    """A batch shaped like the loader's: Arrow-backed string columns, tz-aware timestamps."""
    frame = pd.DataFrame(rows)
    frame["id"] = frame["id"].astype("int64")
    for name in ("posted_time", "crawled_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    if text_dtype:
        for name in RAW_TEXT:
            if name in frame.columns and all(v is None or isinstance(v, str) or pd.isna(v) for v in frame[name]):
                frame[name] = frame[name].astype(text_dtype)
    return frame


def test_output_columns_and_types() -> None:
    out = transform_batch(_frame([_row(1), _row(2)]))
    assert isinstance(out, BatchOutcome)
    assert list(out.staging.columns) == EXPECTED_COLUMNS == list(STAGING_COLUMNS)
    assert out.staging["raw_id"].tolist() == [1, 2]
    assert out.staging["raw_id"].dtype == np.int64
    assert out.staging["salary_min"].dtype == np.float64
    assert isinstance(out.staging["due_date"].dtype, pd.DatetimeTZDtype)
    assert list(out.quarantined.columns) == ["raw_id", "reason"]
    assert set(out.stats) == set(STATS_KEYS)


def test_values_of_a_real_listing_row() -> None:
    staged = transform_batch(_frame([_row(1)])).staging.iloc[0]
    assert staged["title_clean"] == "Kế Toán Tổng Hợp"
    assert staged["company_name_standardized"] == "Công Ty TNHH TM XNK Kiến Nam"
    assert (staged["salary_type"], staged["salary_currency"], staged["salary_period"]) == ("range", "VND", "month")
    assert (staged["salary_min"], staged["salary_max"]) == (12.0, 16.0)
    assert (staged["salary_amount_min"], staged["salary_amount_max"]) == (12e6, 16e6)
    assert json.loads(staged["location_pairs"]) == [{"city": "Hồ Chí Minh", "detail": "Quận 1"}]
    assert json.loads(staged["cities"]) == ["Hồ Chí Minh"]
    assert staged["due_date"] == datetime(2026, 8, 31, 23, 59, 59, tzinfo=VN_TZ)
    assert json.loads(staged["skills_normalized"]) == ["Kế toán tổng hợp", "Kế toán", "Kiểm toán"]
    assert staged["job_family"] == "accounting"
    assert staged["enrichment_source"] == "rules"
    assert "Kế toán" in staged["skills_normalized"]  # JSON text keeps Vietnamese as written (ensure_ascii=False)
    assert staged["skills"] == json.dumps(["Kế toán tổng hợp", "Kế toán", "Kiểm toán"], ensure_ascii=False)


def test_multi_city_location_uses_the_tooltip() -> None:
    staged = transform_batch(_frame([_row(1, location="Hồ Chí Minh & 2 nơi khác", location_detail=TOOLTIP)])).staging
    assert json.loads(staged.loc[0, "cities"]) == ["Hồ Chí Minh", "Đà Nẵng", "Hà Nội"]
    assert len(json.loads(staged.loc[0, "location_pairs"])) == 3


def test_payload_context_feeds_enrichment() -> None:
    payload = json.dumps({
        "description": "Phát triển backend, xây dựng RESTful API với Java Spring Boot.",
        "requirements": ["Có kinh nghiệm PostgreSQL", "Tiếng Anh đọc hiểu tài liệu"],
        "level": "Trưởng nhóm",
        "work_type": "Kết hợp tại văn phòng và từ xa (Hybrid)",
        "category": "IT - Phần mềm",
    }, ensure_ascii=False)
    staged = transform_batch(_frame([_row(1, title="Lập Trình Viên", skills=None, payload=payload)])).staging.iloc[0]
    assert staged["seniority"] == "lead"
    assert staged["work_mode"] == "hybrid"
    assert staged["job_family"] == "backend"
    assert json.loads(staged["languages_required"]) == [{"language": "English", "level": "reading"}]
    assert {"Java", "Spring Boot", "PostgreSQL"} <= set(json.loads(staged["skills_normalized"]))
    assert "build backend services and APIs" in json.loads(staged["capabilities"])


def test_quarantine_cases() -> None:
    rows = [
        _row(1),
        _row(2, title="   "),
        _row(3, title=None),
        _row(4, job_id=""),
        _row(5, job_id=None),
        _row(6, company_name="CÔNG TY\x00 ABC"),
        _row(7, payload='{"description": "bad\\u0000text"}'),
        _row(8),
    ]
    out = transform_batch(_frame(rows))
    assert out.staging["raw_id"].tolist() == [1, 8]
    reasons = dict(zip(out.quarantined["raw_id"], out.quarantined["reason"], strict=True))
    assert reasons == {
        2: "title is missing or blank",
        3: "title is missing or blank",
        4: "job_id is missing or blank",
        5: "job_id is missing or blank",
        6: "text contains a NUL byte (column 'company_name')",
        7: "payload: ValueError: payload field 'description' contains a NUL byte",
    }
    assert out.quarantined["raw_id"].dtype == np.int64
    assert out.stats["rows_in"] == 8 and out.stats["rows_out"] == 2 and out.stats["quarantined"] == 6


def test_a_raising_transformation_quarantines_only_its_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    real = batch_module.parse_salary

    def flaky(text: str | None, usd_rate: float = 25_000.0, fx_rates=()):  # type: ignore[no-untyped-def]
        if text == "boom":
            raise RuntimeError("salary parser exploded")
        return real(text, usd_rate, fx_rates)

    monkeypatch.setattr(batch_module, "parse_salary", flaky)
    rows = [_row(1), _row(2, salary="boom"), _row(3), _row(4, salary="boom"), _row(5, salary="Thoả thuận")]
    out = transform_batch(_frame(rows))
    assert out.staging["raw_id"].tolist() == [1, 3, 5]
    assert out.quarantined["raw_id"].tolist() == [2, 4]
    assert set(out.quarantined["reason"]) == {"salary: RuntimeError: salary parser exploded"}


def test_a_raising_enrichment_is_caught_too(monkeypatch: pytest.MonkeyPatch) -> None:
    real = enrich_module.title_features  # the batch enricher (enrich_coded) calls it per distinct title

    def flaky(title):  # type: ignore[no-untyped-def]
        if title == "Java Developer":
            raise KeyError("no rules")
        return real(title)

    monkeypatch.setattr(enrich_module, "title_features", flaky)
    out = transform_batch(_frame([_row(1, title="Java Developer"), _row(2)]))
    assert out.staging["raw_id"].tolist() == [2]
    assert out.quarantined["reason"].tolist() == ["enrichment (title): KeyError: 'no rules'"]


def test_missing_values_as_none_nan_and_na() -> None:
    rows = [
        _row(1, salary=None, skills=None, location=None, location_detail=None, deadline=None,
             verified_employer=None, company_name=None),
        _row(2, salary=np.nan, skills=np.nan, location=np.nan, location_detail=np.nan, deadline=np.nan,
             verified_employer=np.nan, company_name=np.nan),
        _row(3, salary=pd.NA, skills=pd.NA, location=pd.NA, location_detail=pd.NA, deadline=pd.NA,
             verified_employer=pd.NA, company_name=pd.NA),
    ]
    for text_dtype in ("str", None):
        out = transform_batch(_frame(rows, text_dtype=text_dtype))
        staged = out.staging
        assert staged["raw_id"].tolist() == [1, 2, 3]
        assert staged["salary_type"].tolist() == ["unknown"] * 3
        assert staged["salary_min"].isna().all()
        assert staged["due_date"].isna().all()
        assert staged["cities"].tolist() == ["[]"] * 3
        assert staged["company_name_standardized"].isna().all()
        assert staged["verified_employer"].isna().all()
        assert out.stats["deadline_unparsed"] == 0  # no text, nothing failed to parse


def test_object_columns_with_python_lists_and_dicts() -> None:
    frame = _frame([
        _row(1, skills=["ReactJS", "Golang"], payload={"level": "Thực tập sinh"}),
        _row(2, skills=[], payload=None),
    ], text_dtype=None)
    staged = transform_batch(frame).staging
    assert staged.loc[0, "skills"] == '["ReactJS", "Golang"]'
    assert json.loads(staged.loc[0, "skills_normalized"])[:2] == ["React", "Go"]
    assert staged.loc[0, "seniority"] == "intern"
    assert staged.loc[1, "skills"] == "[]"


def test_countdown_deadlines_use_each_rows_crawl_time() -> None:
    rows = [
        _row(1, deadline="Còn 12 ngày", crawled_at=pd.Timestamp("2026-07-12T03:00:00Z")),
        _row(2, deadline="Còn 12 ngày", crawled_at=pd.Timestamp("2026-07-12T20:00:00Z")),  # 13 July in Vietnam
        _row(3, deadline="12", crawled_at=pd.NaT),
        _row(4, deadline="không rõ"),
        _row(5, deadline="31/02/2026"),
        _row(6, deadline="2026-06-30T10:00:00+07:00"),
        _row(7, deadline="Còn 5 giờ"),
    ]
    out = transform_batch(_frame(rows))
    due = out.staging["due_date"]
    assert due[0] == datetime(2026, 7, 24, 23, 59, 59, tzinfo=VN_TZ)
    assert due[1] == datetime(2026, 7, 25, 23, 59, 59, tzinfo=VN_TZ)
    assert pd.isna(due[2]) and pd.isna(due[3]) and pd.isna(due[4])
    assert due[5] == datetime(2026, 6, 30, 3, 0, tzinfo=UTC)
    assert due[6] == CRAWLED + pd.Timedelta(hours=5)
    assert out.stats["deadline_parsed"] == 4 and out.stats["deadline_unparsed"] == 3


def test_stats_count_rows() -> None:
    rows = [
        _row(1),
        _row(2, salary="Thoả thuận", skills=None, location="Atlantis"),
        _row(3, salary="garbage", deadline=None, location=None, location_detail=None),
        _row(4, salary=None, deadline="asap"),
        _row(5, title=" "),
    ]
    stats = transform_batch(_frame(rows)).stats
    assert stats == {
        "rows_in": 5,
        "rows_out": 4,
        "quarantined": 1,
        "salary_parsed": 2,  # range + negotiable
        "salary_unknown": 2,
        "deadline_parsed": 2,
        "deadline_unparsed": 1,  # "asap"; a missing deadline is not a parse failure
        "locations_resolved": 3,  # "Atlantis" is kept as a place of its own
        "skills_rows": 4,  # row 2 still gets "Kế toán tổng hợp" from its title
        "seniority_known": 0,  # "Kế Toán Tổng Hợp" states no level
        "family_known": 4,
        "isco_filled": 4,  # accounting -> ISCO 24
        "country_known": 3,  # row 3 has no place at all
        "salary_suspect": 0,
        "salary_from_text": 0,
        "title_truncated": 0,
    }


def test_repeated_values_give_identical_results() -> None:
    rows = [_row(i, salary="7.5 - 10 triệu" if i % 2 else "Tới 2,000 USD") for i in range(1, 41)]
    staged = transform_batch(_frame(rows)).staging
    assert staged.loc[staged["raw_id"] % 2 == 1, "salary_max"].unique().tolist() == [10.0]
    assert staged.loc[staged["raw_id"] % 2 == 0, "salary_max"].unique().tolist() == [50.0]
    assert transform_batch(_frame(rows), usd_rate=20_000).staging.loc[1, "salary_max"] == 40.0


def test_input_index_and_optional_columns_do_not_matter() -> None:
    frame = _frame([_row(1), _row(2)]).drop(columns=["payload", "location_detail"])
    frame.index = [10, 20]
    staged = transform_batch(frame).staging
    assert staged["raw_id"].tolist() == [1, 2]
    assert staged["location_detail"].isna().all()
    assert list(staged.index) == [0, 1]


def test_empty_batch() -> None:
    frame = _frame([_row(1)]).iloc[0:0]
    out = transform_batch(frame)
    assert list(out.staging.columns) == EXPECTED_COLUMNS and len(out.staging) == 0
    assert len(out.quarantined) == 0
    assert out.stats == dict.fromkeys(STATS_KEYS, 0)


def test_timings_are_reported_per_step() -> None:
    out = transform_batch(_frame([_row(1)]))
    assert {"validate", "salary", "deadline", "title", "company", "location", "enrichment", "assemble"} <= set(
        out.timings
    )
    assert all(seconds >= 0 for seconds in out.timings.values())
