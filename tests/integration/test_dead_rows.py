"""Marking dead rows (jobinsight.process.dead_rows) on real PostgreSQL, without Prefect."""

from __future__ import annotations

import pytest

from jobinsight.process.dead_rows import count_dead_rows, mark_dead_rows
from jobinsight.synthetic import generate_raw_rows
from tests.sqlutil import sql_rows


def _quarantine(url: str, job_id: str, attempts: int, status: str = "open") -> None:
    """A raw row that failed ``attempts`` times, with its quarantine entry (as phase 5 writes them)."""
    sql_rows(url, "UPDATE public.raw_jobs SET process_attempts = %s, process_error = 'title: empty' "
                  "WHERE job_id = %s", (attempts, job_id))
    sql_rows(url, "INSERT INTO jobinsight_monitoring.quarantine (stage, source, job_id, raw_id, run_id, reason, "
                  "attempts, status) SELECT 'process', source, job_id, id, 'run-1', 'title: empty', %s, %s "
                  "FROM public.raw_jobs WHERE job_id = %s", (attempts, status, job_id))


def test_only_open_process_entries_at_or_over_the_maximum_die(database_url: str) -> None:
    generate_raw_rows(database_url, 10)
    _quarantine(database_url, "1", 1)   # still has attempts left
    _quarantine(database_url, "2", 3)   # at the maximum
    _quarantine(database_url, "3", 7)   # over it
    _quarantine(database_url, "4", 4, status="resolved")  # closed entries stay as they are
    sql_rows(database_url, "INSERT INTO jobinsight_monitoring.quarantine (stage, source, job_id, reason, attempts) "
                           "VALUES ('scrape', 'topcv', 'x', 'bad page', 9)")

    dead = mark_dead_rows(database_url, max_attempts=3)
    assert [(d.job_id, d.attempts, d.reason) for d in dead] == [("2", 3, "title: empty"), ("3", 7, "title: empty")]
    assert dead[0].to_dict()["quarantined_at"]  # serializable for the table artifact
    statuses = dict(sql_rows(database_url, "SELECT job_id, status FROM jobinsight_monitoring.quarantine"))
    assert statuses == {"1": "open", "2": "dead", "3": "dead", "4": "resolved", "x": "open"}
    # idempotent: nothing new to mark, the total stays
    assert mark_dead_rows(database_url, max_attempts=3) == []
    assert count_dead_rows(database_url) == 2


def test_a_processed_row_is_never_declared_dead(database_url: str) -> None:
    generate_raw_rows(database_url, 3)
    _quarantine(database_url, "1", 5)
    sql_rows(database_url, "UPDATE public.raw_jobs SET is_processed = true WHERE job_id = '1'")
    assert mark_dead_rows(database_url, max_attempts=3) == []
    with pytest.raises(ValueError, match="max_attempts"):
        mark_dead_rows(database_url, max_attempts=0)
