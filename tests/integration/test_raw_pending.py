"""The queue of unprocessed raw ids (V010): every state change keeps eligible rows findable, and
finding them reads the new rows, not every processed one.

Why: claims, the loader and the run's counts find eligible rows through
``jobinsight_monitoring.raw_pending`` instead of scanning raw_jobs. A row missing from it would
never be processed, so each way a row becomes (un)processed is checked against the definition
that scans raw_jobs itself.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import psycopg2
import pytest

from jobinsight.db.raw_upsert import upsert_raw_jobs
from jobinsight.process.claims import (
    claim_batch,
    count_eligible,
    count_eligible_statement,
    queue_is_short,
    rows_left,
    rows_left_statement,
    tidy_queue,
)
from jobinsight.process.load import copy_statement, load_batch
from jobinsight.process.save import save_batch
from jobinsight.synthetic import generate_raw_rows
from jobinsight.transform.batch import transform_batch
from tests.sqlutil import sql_rows

_NO_QUARANTINE = pd.DataFrame({"raw_id": pd.Series(dtype="int64"), "reason": pd.Series(dtype="object")})


def _records(n: int, salary: str = "10 - 15 triệu", start: int = 0) -> list[dict]:
    return [{"source": "topcv", "job_id": str(i), "title": f"Kế toán {i}", "salary": salary,
             "payload": {"description": f"d{i}"}} for i in range(start, start + n)]


def _claim(url: str, run: str, mode: str = "unprocessed", after: int = 0, limit: int = 10_000):
    return claim_batch(url, run_id=run, mode=mode, after_id=after, limit=limit, lease_seconds=600, max_attempts=3)


def _process_all(url: str, run: str, mode: str = "unprocessed", batch: int = 10_000) -> int:
    """Claim, load, transform and save every eligible row the way the flow's phases do."""
    after, saved = 0, 0
    while (claim := _claim(url, run, mode, after, batch)) is not None:
        outcome = transform_batch(load_batch(url, claim))
        result = save_batch(url, claim, outcome.staging, outcome.quarantined, run)
        saved += result.marked_processed
        after = claim.hi_id
    return saved


def _scanned_truth(url: str, mode: str) -> set[int]:
    """Eligible ids by the V005 definition, scanning raw_jobs whole (no queue)."""
    return {r[0] for r in sql_rows(url, "SELECT id FROM public.raw_jobs r WHERE jobinsight_monitoring.raw_is_eligible("
                                        "%s, r.is_processed, r.process_error, r.process_attempts, 3)", (mode,))}


def _claimed_ids(url: str, run: str, mode: str, limit: int = 10_000) -> set[int]:
    """Every id the claims of a fresh run cover and the loader reads (claims are released after)."""
    ids, after = set(), 0
    while (claim := _claim(url, run, mode, after, limit)) is not None:
        assert claim.n_rows <= limit
        ids |= set(load_batch(url, claim)["id"].astype(int))
        after = claim.hi_id
    sql_rows(url, "DELETE FROM jobinsight_monitoring.batch_claims WHERE run_id = %s", (run,))
    return ids


def _assert_found(url: str, step: str) -> None:
    """Queue-based counts, claims and loads agree with the scan of raw_jobs, in both modes."""
    pending = {r[0] for r in sql_rows(url, "SELECT raw_id FROM jobinsight_monitoring.raw_pending")}
    unprocessed = {r[0] for r in sql_rows(url, "SELECT id FROM public.raw_jobs WHERE NOT is_processed")}
    assert unprocessed <= pending, f"{step}: unprocessed rows missing from the queue: {unprocessed - pending}"
    for mode in ("unprocessed", "retry"):
        truth = _scanned_truth(url, mode)
        assert count_eligible(url, mode=mode, max_attempts=3) == len(truth), f"{step}: count, mode {mode}"
        assert rows_left(url, mode=mode, max_attempts=3, run_id="nobody").total == len(truth), step
        # claims of 10,000 walk raw_jobs' id range; claims of 2 over ids spread wider than 4 x 2 read
        # through the queue (claim_batch picks by density): both must find the same rows
        assert _claimed_ids(url, f"check-{mode}", mode) == truth, f"{step}: claims, mode {mode}"
        assert _claimed_ids(url, f"check-{mode}-2", mode, limit=2) == truth, f"{step}: claims of 2, mode {mode}"


def _id_of(url: str, job_id: str) -> int:
    return sql_rows(url, "SELECT id FROM public.raw_jobs WHERE source = 'topcv' AND job_id = %s", (job_id,))[0][0]


def test_every_state_change_keeps_eligible_rows_findable(database_url: str) -> None:
    url = database_url
    assert upsert_raw_jobs(url, _records(40)).inserted == 40
    _assert_found(url, "inserted by the upsert")
    assert _process_all(url, "run-1") == 40
    assert sql_rows(url, "SELECT count(*) FROM jobinsight_monitoring.raw_pending") == [(0,)]  # the save dequeued
    _assert_found(url, "all processed")

    # new content from the crawler (our upsert), a plain-SQL content fix (V009 trigger), a person
    # re-queueing a row by hand, and another writer's plain INSERT
    assert upsert_raw_jobs(url, _records(2, salary="Thỏa thuận")).updated == 2
    sql_rows(url, "UPDATE public.raw_jobs SET title = 'Kế toán trưởng' WHERE job_id = '5'")
    sql_rows(url, "UPDATE public.raw_jobs SET is_processed = false WHERE job_id = '6'")
    sql_rows(url, "INSERT INTO public.raw_jobs (source, job_id, title) VALUES ('external', 'x1', 'Tester')")
    assert len(_scanned_truth(url, "unprocessed")) == 5
    _assert_found(url, "re-queued four ways")
    assert _process_all(url, "run-2") == 5
    _assert_found(url, "re-queued rows processed")

    # quarantine: the row stays unprocessed, leaves 'unprocessed' and is found by 'retry' until
    # it has used its attempts
    upsert_raw_jobs(url, _records(1, salary="Thỏa thuận lại", start=7))
    bad = _id_of(url, "7")
    for attempt in (1, 2, 3):
        claim = _claim(url, f"q-{attempt}", "unprocessed" if attempt == 1 else "retry")
        assert claim is not None and (claim.lo_id, claim.hi_id) == (bad, bad)
        quarantined = pd.DataFrame({"raw_id": [bad], "reason": ["bad row"]})
        save_batch(url, claim, load_batch(url, claim).iloc[0:0], quarantined, f"q-{attempt}")
        _assert_found(url, f"quarantined {attempt} time(s)")
    assert _scanned_truth(url, "retry") == set() and _claim(url, "q-4", "retry") is None

    # a row marked processed by hand keeps its queue entry for a while: it is skipped, not taken
    upsert_raw_jobs(url, _records(2, salary="Cạnh tranh", start=10))
    sql_rows(url, "UPDATE public.raw_jobs SET is_processed = true WHERE job_id = '10'")
    _assert_found(url, "marked processed by hand")
    assert _claimed_ids(url, "skip", "unprocessed") == {_id_of(url, "11")}

    # rows deleted or truncated leave the queue with them
    sql_rows(url, "DELETE FROM public.raw_jobs WHERE job_id = '11'")
    _assert_found(url, "deleted")
    assert _id_of(url, "7") in {r[0] for r in sql_rows(url, "SELECT raw_id FROM jobinsight_monitoring.raw_pending")}
    sql_rows(url, "TRUNCATE public.raw_jobs")
    assert sql_rows(url, "SELECT count(*) FROM jobinsight_monitoring.raw_pending") == [(0,)]
    generate_raw_rows(url, 30)
    _assert_found(url, "generated after a truncate")


#: Raw rows a step may read to find 10 new rows among 3,000 processed ones: the 10 plus the planner's
#: reads of the id index's ends to estimate ranges (they step over dead versions there, ~60 here);
#: the scans this replaces read all 3,010.
_FEW = 150


def _raw_rows_read(cur) -> tuple[int, int]:  # noqa: ANN001
    """(sequential scans, rows fetched) of raw_jobs by this transaction so far."""
    cur.execute("SELECT coalesce(seq_scan, 0), coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
                "FROM pg_stat_xact_user_tables WHERE relid = 'public.raw_jobs'::regclass")
    return cur.fetchone()


@pytest.mark.parametrize(("mode", "where"), [("unprocessed", "new"), ("retry", "new"), ("unprocessed", "spread")])
def test_finding_new_rows_reads_them_not_the_processed_ones(database_url: str, mode: str, where: str) -> None:
    url = database_url
    generate_raw_rows(url, 3_000)
    assert _process_all(url, "first") == 3_000
    if where == "new":  # 10 new rows after the processed ones
        generate_raw_rows(url, 10, start=3_001, seed=7)
    else:  # 10 rows re-queued one every 300 ids, as a re-crawl's changed rows are
        sql_rows(url, "UPDATE public.raw_jobs SET title = title || ' (mới)' WHERE id % 300 = 7")
    if mode == "retry":
        sql_rows(url, "UPDATE public.raw_jobs SET process_error = 'bad', process_attempts = 1 WHERE NOT is_processed")
    sql_rows(url, "ANALYZE public.raw_jobs; ANALYZE jobinsight_monitoring.raw_pending")

    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT claim_id, lo_id, hi_id, n_rows FROM jobinsight_monitoring.claim_batch("
                        "'second', %s, 0, 40000, 600, 3)", (mode,))
            claim_row = cur.fetchone()
            assert claim_row[3] == 10
            # the claim, then the call that finds nothing more
            cur.execute("SELECT count(*) FROM jobinsight_monitoring.claim_batch('second', %s, %s, 40000, 600, 3)",
                        (mode, claim_row[2]))
            assert cur.fetchone()[0] == 0
            scans, claimed = _raw_rows_read(cur)
            assert scans == 0 and claimed <= _FEW

            assert queue_is_short(cur)
            cur.execute(count_eligible_statement(mode, through_queue=True), (mode, 3))
            assert cur.fetchone()[0] == 10
            scans, counted = _raw_rows_read(cur)
            assert scans == 0 and counted - claimed <= _FEW

            cur.execute(rows_left_statement(mode, through_queue=True), {"mode": mode, "max_attempts": 3, "run_id": "second"})
            assert cur.fetchone()[0] == 10
            scans, left = _raw_rows_read(cur)
            assert scans == 0 and left - counted <= _FEW
        claim = _claim(url, "second", mode)
        assert (claim.lo_id, claim.hi_id) == (claim_row[1], claim_row[2])
        with conn, conn.cursor() as cur:
            out = io.StringIO()
            cur.copy_expert(copy_statement(claim).as_string(conn), out)
            assert len(list(csv.reader(io.StringIO(out.getvalue())))) == 10
            scans, loaded = _raw_rows_read(cur)
            assert scans == 0 and loaded <= _FEW
    finally:
        conn.close()


def test_a_run_that_emptied_the_queue_vacuums_it(database_url: str) -> None:
    """The ids a run deleted would otherwise be stepped over by the next run's walk of the queue."""
    url = database_url
    generate_raw_rows(url, 300)
    assert _process_all(url, "first") == 300
    vacuumed = ("SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relid = 'jobinsight_monitoring.raw_pending'::regclass")
    assert sql_rows(url, vacuumed) == [(False,)]
    tidy_queue(url)
    assert sql_rows(url, vacuumed) == [(True,)]
    generate_raw_rows(url, 5, start=301, seed=7)
    _assert_found(url, "new rows after the vacuum")
