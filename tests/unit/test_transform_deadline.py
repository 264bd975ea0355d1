"""Deadline parsing: dates, countdowns relative to the crawl, and text holding both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from jobinsight.transform.deadline import (
    VN_TZ,
    DeadlineSpec,
    parse_deadline,
    parse_deadline_spec,
    time_remaining_text,
)

CRAWLED = datetime(2026, 7, 12, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam


def _vn_end_of_day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=VN_TZ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30/06/2026", _vn_end_of_day(2026, 6, 30)),
        ("31/08/2026", _vn_end_of_day(2026, 8, 31)),
        ("1/7/2026", _vn_end_of_day(2026, 7, 1)),
        ("30-06-2026", _vn_end_of_day(2026, 6, 30)),
        ("30/06/26", _vn_end_of_day(2026, 6, 30)),
        ("2026-06-30", _vn_end_of_day(2026, 6, 30)),
        ("Hạn nộp hồ sơ: 30/06/2026 (Còn 71 ngày)", _vn_end_of_day(2026, 6, 30)),
        ("12", _vn_end_of_day(2026, 7, 24)),
        ("12.0", _vn_end_of_day(2026, 7, 24)),
        ("Còn 12 ngày", _vn_end_of_day(2026, 7, 24)),
        ("12 ngày", _vn_end_of_day(2026, 7, 24)),
        ("  còn 0 ngày ", _vn_end_of_day(2026, 7, 12)),
    ],
)
def test_dates_and_countdowns(text: str, expected: datetime) -> None:
    assert parse_deadline(text, CRAWLED) == expected


def test_iso_datetimes_keep_their_time_and_offset() -> None:
    assert parse_deadline("2026-06-30T10:00:00+07:00", None) == datetime(2026, 6, 30, 3, 0, tzinfo=UTC)
    assert parse_deadline("2026-06-30T10:00:00Z", None) == datetime(2026, 6, 30, 10, 0, tzinfo=UTC)
    moment = parse_deadline("2026-06-30T10:00:00.5+05:30", None)
    assert moment is not None and moment.utcoffset() == timedelta(hours=5, minutes=30)
    assert parse_deadline("2026-06-30 10:00", None) == datetime(2026, 6, 30, 10, 0, tzinfo=VN_TZ)


def test_results_are_timezone_aware_in_vietnam() -> None:
    due = parse_deadline("30/06/2026", CRAWLED)
    assert due is not None and due.tzinfo is not None
    assert due.utcoffset() == timedelta(hours=7)


def test_countdown_counts_calendar_days_in_vietnam() -> None:
    late_utc = datetime(2026, 7, 12, 20, 0, tzinfo=UTC)  # already 13 July 03:00 in Vietnam
    assert parse_deadline("1", late_utc) == _vn_end_of_day(2026, 7, 14)


def test_naive_crawl_time_is_taken_as_utc() -> None:
    assert parse_deadline("1", datetime(2026, 7, 12, 20, 0)) == _vn_end_of_day(2026, 7, 14)


def test_countdown_in_hours() -> None:
    assert parse_deadline("Còn 5 giờ", CRAWLED) == CRAWLED + timedelta(hours=5)


@pytest.mark.parametrize("text", ["31/02/2026", "30/13/2026", "2026-02-30", "00/01/2026", "2026-06-30T25:00:00"])
def test_impossible_dates_are_none(text: str) -> None:
    assert parse_deadline(text, CRAWLED) is None


@pytest.mark.parametrize("text", [None, "", "  ", "không rõ", "Hết hạn", "asap", "99999", "15/07/1850"])
def test_everything_else_is_none(text: str | None) -> None:
    assert parse_deadline(text, CRAWLED) is None


def test_countdown_without_crawl_time_is_none() -> None:
    assert parse_deadline("12", None) is None
    assert parse_deadline("30/06/2026", None) == _vn_end_of_day(2026, 6, 30)


def test_spec_separates_grammar_from_the_crawl_time() -> None:
    assert parse_deadline_spec("Còn 12 ngày") == DeadlineSpec("days", None, 12)
    assert parse_deadline_spec("30/06/2026") == DeadlineSpec("at", _vn_end_of_day(2026, 6, 30))
    assert parse_deadline_spec("abc") is None


def test_time_remaining_text() -> None:
    due = parse_deadline("Còn 12 ngày", CRAWLED)
    assert time_remaining_text(due, CRAWLED) == "Còn 12 ngày"
    assert time_remaining_text(_vn_end_of_day(2026, 7, 12), CRAWLED) == "Còn 0 ngày"
    assert time_remaining_text(_vn_end_of_day(2026, 7, 1), CRAWLED) == "Hết hạn"
    assert time_remaining_text(None, CRAWLED) is None
    other_zone = datetime(2026, 7, 20, 0, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert time_remaining_text(other_zone, CRAWLED) == "Còn 8 ngày"
