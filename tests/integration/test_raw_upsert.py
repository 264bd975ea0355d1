"""Raw upsert: counts, NULL handling, change detection, duplicates, quarantine of bad records."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg2

from jobinsight.db.raw_upsert import upsert_raw_jobs
from tests.sqlutil import sql_rows


def _record(job_id: str, **overrides) -> dict:
    base = {"source": "topcv", "job_id": job_id, "title": f"Kế toán {job_id}", "job_url": None,
            "company_name": "CÔNG TY TNHH A", "salary": "10 - 15 triệu", "skills": ["Excel"], "location": "Hà Nội",
            "location_detail": None, "deadline": "30", "verified_employer": True, "last_update": "Cập nhật 1 giờ trước",
            "logo_url": None, "posted_time": datetime(2026, 11, 1, tzinfo=UTC), "payload": {"exp": "1 năm"}}
    base.update(overrides)
    return base


def test_insert_update_unchanged_and_reprocessing_flag(database_url: str) -> None:
    first = upsert_raw_jobs(database_url, [_record("1"), _record("2"), _record("3", salary=None)])
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    assert sql_rows(database_url, "SELECT salary IS NULL, company_url IS NULL FROM public.raw_jobs WHERE job_id='3'") \
        == [(True, True)]
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE public.raw_jobs SET is_processed = true")
    conn.close()

    # volatile last_update changes, content does not -> unchanged, still processed
    second = upsert_raw_jobs(database_url, [_record("1", last_update="Cập nhật 5 phút trước"), _record("2"),
                                            _record("3", salary=None)])
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 3)
    # salary changes on job 2 -> updated, back to unprocessed
    third = upsert_raw_jobs(database_url, [_record("2", salary="20 - 25 triệu"), _record("3", salary="")])
    assert (third.inserted, third.updated, third.unchanged) == (0, 2, 0)
    flags = dict(sql_rows(database_url, "SELECT job_id, is_processed FROM public.raw_jobs"))
    assert flags == {"1": True, "2": False, "3": False}
    assert sql_rows(database_url, "SELECT salary FROM public.raw_jobs WHERE job_id='3'") == [("",)]  # '' is not NULL


def test_duplicates_collapse_and_bad_records_are_quarantined(database_url: str) -> None:
    result = upsert_raw_jobs(database_url, [
        _record("1", salary="1"), _record("1", salary="2"),  # duplicate in one crawl: last wins
        _record("", title="no id"), _record("4", title=None), _record("5", title="NUL\x00 byte"),
        _record("6", verified_employer="yes"),
    ], run_id="r1")
    assert result.inserted == 2 and result.duplicates_collapsed == 1 and result.quarantined == 3
    assert sql_rows(database_url, "SELECT salary FROM public.raw_jobs WHERE job_id='1'") == [("2",)]
    assert sql_rows(database_url, "SELECT title FROM public.raw_jobs WHERE job_id='5'") == [("NUL byte",)]
    reasons = sorted(r[0] for r in sql_rows(database_url, "SELECT reason FROM jobinsight_monitoring.quarantine "
                                                       "WHERE stage = 'scrape'"))
    assert reasons == ["missing job_id", "missing title", "verified_employer is str, not a boolean"]


def test_every_scraped_column_is_merged_by_one_declared_rule(database_url: str) -> None:
    """The merge rules are declared once (``_MERGE``); the temp table, the INSERT and the UPDATE are
    generated from them, so a scraped column cannot be loaded but silently not written."""
    from jobinsight.db.raw_upsert import _COLUMNS, _MERGED_COLUMNS

    stored = {name for (name,) in sql_rows(database_url, "SELECT column_name FROM information_schema.columns "
                                                         "WHERE table_schema = 'public' AND table_name = 'raw_jobs'")}
    assert len(set(_MERGED_COLUMNS)) == len(_MERGED_COLUMNS)
    assert set(_COLUMNS) - {"source", "job_id", "page_kind"} == set(_MERGED_COLUMNS)
    assert set(_MERGED_COLUMNS) <= stored


def test_each_merge_rule_listing_then_detail_then_a_sparser_listing(database_url: str) -> None:
    """One posting through the three steps, one assertion per rule (card, detail-wins, card-only, detail)."""
    now = datetime(2026, 11, 2, tzinfo=UTC)
    upsert_raw_jobs(database_url, [_record("m1", title="Kế toán", salary="10 - 15 triệu", location="Hà Nội",
                                           deadline="30", last_update="u1", skills=["Excel"])])
    detail = _record("m1", page_kind="detail", title="Kế toán tổng hợp", salary=None, location="Hà Nội, Hồ Chí Minh",
                     deadline="15/12/2026", last_update="u2", skills=["SAP"], description="Mô tả",
                     experience="1 năm", work_locations=["Hà Nội", "Hồ Chí Minh"], detail_scraped_at=now,
                     payload={"benefits_raw": "x"})
    assert upsert_raw_jobs(database_url, [detail]).updated == 1
    row = """SELECT title, salary, location, deadline, last_update, skills::text, description, experience,
                    detail_scraped_at, payload ? 'detail', payload -> 'detail' ->> 'benefits_raw' FROM public.raw_jobs"""
    assert sql_rows(database_url, row) == [(
        "Kế toán",  # card column: the card's, a detail page only fills a gap
        "10 - 15 triệu", "Hà Nội, Hồ Chí Minh", "15/12/2026",  # detail-wins: the detail page's
        "u1", '["Excel"]',  # card-only: untouched by the detail page
        "Mô tả", "1 năm", now, True, "x")]  # detail columns and the payload under "detail"
    upsert_raw_jobs(database_url, [_record("m1", title="Kế toán trưởng", salary=None, location="Hà Nội",
                                           deadline=None, last_update="u3", skills=["Excel"])])
    assert sql_rows(database_url, row) == [(
        "Kế toán trưởng",  # card column: a fresh card value wins
        "10 - 15 triệu",  # ... but its NULL does not erase a value once the row has details
        "Hà Nội, Hồ Chí Minh", "15/12/2026",  # detail-wins: kept over the card's
        "u3", '["Excel"]',  # card-only: the card's
        "Mô tả", "1 năm", now, True, "x")]  # detail columns and payload["detail"]: kept
