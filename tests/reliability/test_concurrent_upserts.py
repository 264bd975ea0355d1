"""Concurrent crawls writing overlapping postings: none fails, none is lost or doubled.

Before: 2 of 22 concurrent upserts of overlapping keys failed with ``DeadlockDetected`` (each
wrote its rows in its own order, so two transactions waited on each other).
"""

from __future__ import annotations

import random
import threading

from jobinsight.db.raw_upsert import upsert_raw_jobs
from jobinsight.scrape import FetchSettings, crawl_listing
from jobinsight.scrape.runner import scrape_result
from jobinsight.scrape.sources.demo import generate_jobs, render_listing
from jobinsight.scrape.sources.demo_board import StaticSite
from tests.reliability.conftest import sql_rows

WRITERS = 22
KEYS = 400


def _records(writer: int) -> list[dict]:
    """Every writer touches most keys, in its own shuffled order, with its own content."""
    rng = random.Random(writer)
    keys = rng.sample(range(KEYS), KEYS * 3 // 4)
    return [{"source": "race", "job_id": f"k{k}", "title": f"Job {k} seen by writer {writer}",
             "salary": f"{writer} triệu"} for k in keys]


def test_22_concurrent_upserts_of_overlapping_keys_all_succeed(database_url: str) -> None:
    barrier = threading.Barrier(WRITERS)
    failures: list[BaseException] = []
    results = []

    def write(writer: int) -> None:
        records = _records(writer)
        barrier.wait()
        try:
            results.append(upsert_raw_jobs(database_url, records, run_id=f"writer-{writer}"))
        except BaseException as exc:  # noqa: BLE001 - the test counts every failure
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [type(f).__name__ for f in failures] == []
    assert len(results) == WRITERS
    touched = {r["job_id"] for w in range(WRITERS) for r in _records(w)}
    rows = sql_rows(database_url, "SELECT job_id, count(*) FROM public.raw_jobs GROUP BY job_id")
    assert {job_id for job_id, _ in rows} == touched  # nothing lost
    assert {n for _, n in rows} == {1}  # nothing doubled
    assert sum(r.quarantined for r in results) == 0


def test_duplicates_collapsed_counts_what_the_crawl_and_the_upsert_collapse(database_url: str) -> None:
    jobs = generate_jobs(6)
    with StaticSite({}) as site:  # a board that re-sorts while we paginate: job 2 and 3 are on both pages
        site.routes.update({
            "/list?page=1": render_listing(jobs[0:4], site.base_url, 1, 2),
            "/list?page=2": render_listing(jobs[2:6], site.base_url, 2, 2),
            "/list?page=3": render_listing([], site.base_url, 3, 2),
        })
        outcome = crawl_listing(site.url("/list"), 3, FetchSettings(delay_seconds=0, max_retries=1))
    assert outcome.jobs_found == 6 and outcome.duplicates_collapsed == 2
    # the upsert collapses keys that differ only by surrounding blanks
    rows = [job.to_row() for job in outcome.jobs]
    upsert = upsert_raw_jobs(database_url, [*rows, {**rows[0], "job_id": f" {rows[0]['job_id']} "}])
    assert upsert.duplicates_collapsed == 1 and upsert.inserted == 6
    result = scrape_result(outcome, upsert, 0, "run", [], 0.1)
    assert result.stats.extra["duplicates_collapsed"] == 3
