"""The quick-start demo is stable: a second run finds its 60 jobs unchanged and processes nothing,
and the staging rows carry real deadlines (``due_date`` / ``time_remaining``)."""

from __future__ import annotations

import pytest

from flows.full import full_flow
from jobinsight.options import PipelineOptions
from jobinsight.scrape.sources.demo import CANONICAL_BASE
from jobinsight.scrape.sources.demo_board import DemoBoard
from jobinsight.scrape.sources.topcv import parse_listing
from tests.sqlutil import sql_rows


def _cards(board: DemoBoard) -> list[tuple]:
    import urllib.request

    with urllib.request.urlopen(board.url("/viec-lam-it?page=1"), timeout=10) as response:  # noqa: S310 - loopback
        page = response.read()
    return [(j.job_id, j.job_url, j.company_url, j.logo_url, j.deadline)
            for j in parse_listing(page, board.url("/viec-lam-it?page=1"))]


def test_two_boards_on_different_ports_give_the_same_postings() -> None:
    with DemoBoard(pages=1, canonical_base=CANONICAL_BASE) as first, \
            DemoBoard(pages=1, canonical_base=CANONICAL_BASE) as second:
        assert first.base_url != second.base_url
        a, b = _cards(first), _cards(second)
    assert a == b and len(a) == 20
    for _, job_url, company_url, logo_url, deadline in a:
        assert job_url.startswith(f"{CANONICAL_BASE}/") and company_url.startswith(f"{CANONICAL_BASE}/")
        assert logo_url.startswith(f"{CANONICAL_BASE}/")
        assert deadline.startswith("Còn ") and deadline.endswith(" ngày để ứng tuyển")


@pytest.mark.usefixtures("prefect_harness")
def test_a_second_demo_run_finds_60_unchanged_and_processes_nothing(db: str) -> None:
    options = PipelineOptions(pipeline_mode="all", source="demo")  # the quick start's command
    first = full_flow(options)
    assert first.success, first.message
    assert first.parts["scrape"].stats.extra["inserted"] == 60
    assert first.parts["process"].stats.processed_records == 60

    second = full_flow(options)
    assert second.success, second.message
    counts = second.parts["scrape"].stats.extra
    assert (counts["inserted"], counts["updated"], counts["unchanged"]) == (0, 0, 60)
    assert second.parts["process"].stats.processed_records == 0
    assert second.parts["process"].message == "nothing to do: no eligible rows left"

    # the README's example query shows real deadlines
    rows = sql_rows(db, "SELECT job_url, due_date, time_remaining FROM jobinsight_staging.staging_jobs")
    assert len(rows) == 60
    assert all(url.startswith(CANONICAL_BASE) for url, _, _ in rows)
    assert all(due is not None and remaining for _, due, remaining in rows), rows[:3]
