"""A board added by registering one entry runs through the scrape flow like a built-in one:
rows in raw_jobs, pages archived under its parser's name, and replayed from the archive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobinsight.flows.scrape import scrape_flow
from jobinsight.options import PipelineOptions
from jobinsight.scrape.registry import registered
from jobinsight.scrape.sources.demo_board import StaticSite
from tests.sqlutil import sql_rows
from tests.unit.test_scrape_registry import TOY, _page

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_a_registered_board_is_scraped_archived_and_replayed(db: str, tmp_path: Path) -> None:
    routes = {"/jobs": _page([("t1", "Kế toán"), ("t2", "Tester")], "/jobs/next-abc"),
              "/jobs/next-abc": _page([("t3", "Backend Developer")], None)}
    with registered(TOY), StaticSite(routes) as site:
        result = scrape_flow(PipelineOptions(pipeline_mode="scrapeOnly", source="toy", base_url=site.url("/jobs")))
        assert result.success, result.message
        assert sorted(sql_rows(db, "SELECT source, job_id, title FROM public.raw_jobs")) == [
            ("toy", "t1", "Kế toán"), ("toy", "t2", "Tester"), ("toy", "t3", "Backend Developer")]
        sidecars = [json.loads(p.read_text()) for p in (tmp_path / "archive" / "toy").rglob("*.json")]
        assert len(sidecars) == 2 and {s["parser"] for s in sidecars} == {"toy"}

        replay = scrape_flow(PipelineOptions(pipeline_mode="scrapeOnly", source="archive"))
    assert replay.success, replay.message
    assert (replay.stats.extra["inserted"], replay.stats.extra["unchanged"]) == (0, 3)
