"""The scrape flow with the fetcher option (issue 12): on a demo board that answers with a
JavaScript challenge, ``auto`` stores every job (through the real Chromium) and ``http``
stores nothing and fails with the blocked page and what was tried."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from flows.scrape import scrape_flow
from jobinsight.options import PipelineOptions
from tests.browser_support import require_chromium
from tests.sqlutil import sql_rows

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _options(fetcher: str) -> PipelineOptions:
    return PipelineOptions(pipeline_mode="scrapeOnly", source="demo", demo_pages=2, demo_per_page=5,
                           demo_challenge=True, max_pages=3, delay_seconds=0, fetcher=fetcher, follow_details=False)


def test_http_is_stopped_by_the_challenge_and_auto_gets_through(db: str, tmp_path: Path) -> None:
    require_chromium()
    blocked = scrape_flow(_options("http"))
    assert not blocked.success and blocked.stats.extra["pages_blocked"] == 1
    assert "Just a moment" in blocked.message and "tried http only" in blocked.message
    assert sql_rows(db, "SELECT count(*) FROM public.raw_jobs") == [(0,)]

    passed = scrape_flow(_options("auto"))
    assert passed.success, passed.message
    assert passed.stats.extra["inserted"] == 10 and passed.stats.extra["fetcher"] == "auto"
    assert passed.stats.extra["browser_pages"] == 3  # pages 1, 2 and the empty end page
    assert sql_rows(db, "SELECT count(*) FROM public.raw_jobs") == [(10,)]
    assert passed.stats.extra["pages_archived"] == 3
    # one archive entry per URL and day: page 1's holds the page that got through, not the challenge
    archived = sorted((tmp_path / "archive" / "demo").rglob("*.html.gz"))
    assert len(archived) == 3
    page_one = gzip.decompress(next(p for p in archived if "page" not in p.name or "page-1" in p.name).read_bytes())
    assert b"Just a moment" not in page_one and b"job-item" in page_one
