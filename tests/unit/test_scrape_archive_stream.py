"""Pages are archived and released as they arrive (issue 16): memory flat in the number of
pages; a full disk leaves no partial ``.gz`` files and makes the scrape fail visibly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from jobinsight.db.raw_upsert import UpsertResult
from jobinsight.options import PipelineOptions
from jobinsight.scrape.outcome import CrawlOutcome
from jobinsight.scrape.runner import crawl, open_source, scrape_result


def test_the_scrape_run_archives_each_page_as_it_is_judged_and_keeps_no_bodies(tmp_path: Path):
    options = PipelineOptions(pipeline_mode="scrapeOnly", source="demo", demo_pages=4, demo_per_page=5,
                              max_pages=6, archive_root=str(tmp_path / "archive"), fetcher="http")
    with open_source(options) as target:
        outcome = crawl(target, options)
    assert outcome.jobs_found == 20 and outcome.pages_fetched == 5  # 4 pages + the empty end page
    assert outcome.pages_archived == 5 and outcome.archive_errors == 0
    assert all(r.archived_path and r.page.body == b"" and r.page.size > 0 for r in outcome.pages)
    assert len(list((tmp_path / "archive" / "demo").rglob("*.html.gz"))) == 5


_FULL_DISK = """
import json, resource, signal, sys
from jobinsight.scrape.archive import ArchiveWriter
from jobinsight.scrape.crawl import crawl_listing
from jobinsight.scrape.fetcher import FetchSettings
from jobinsight.scrape.sources.demo_board import DemoBoard

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
with DemoBoard(pages=3, per_page=60) as board:
    settings = FetchSettings(delay_seconds=0, fetcher="http", allow_private_addresses=True, concurrency=1)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))  # a "full disk" for big files
    outcome = crawl_listing(board.listing_url, 3, settings, archive=ArchiveWriter(sys.argv[1]), keep_bodies=False)
print(json.dumps({"errors": outcome.archive_errors, "error": outcome.archive_error,
                  "archived": outcome.pages_archived, "jobs": outcome.jobs_found}))
"""


def test_a_full_disk_leaves_no_partial_files_and_fails_the_run_visibly(tmp_path: Path):
    root = tmp_path / "archive"
    done = subprocess.run([sys.executable, "-c", _FULL_DISK, str(root)], capture_output=True, text=True,
                          timeout=120, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["jobs"] == 180 and result["errors"] == 3 and result["archived"] == 0
    assert "File too large" in result["error"]
    leftovers = [p.name for p in root.rglob("*") if p.is_file()]
    assert leftovers == []  # no truncated .gz, no temporary files

    outcome = CrawlOutcome(source="demo", jobs_found=180, pages_fetched=3, archive_errors=3,
                           archive_error=result["error"])
    summary = scrape_result(outcome, UpsertResult(received=180, inserted=180), 0, "run-1", [], 1.0)
    assert summary.success is False
    assert "ARCHIVE FAILED for 3 pages" in summary.message and "File too large" in summary.message
    assert summary.stats.extra["archive_errors"] == 3


def test_limits_hit_show_in_the_run_summary():
    outcome = CrawlOutcome(source="topcv", pages_fetched=2, limits_hit={"max_body_bytes": 1, "request_deadline": 2})
    summary = scrape_result(outcome, UpsertResult(), 0, "run-2", [], 1.0)
    assert "Limits hit: max_body_bytes x1, request_deadline x2" in summary.message
    assert summary.stats.extra["limits_hit"] == {"max_body_bytes": 1, "request_deadline": 2}
