"""Detail-page benchmark: parse time of real TopCV detail pages, detail pages/s on the demo board,
requests per new posting and the peak memory of a listing crawl that follows its cards.

Why a script: speed and memory depend on the machine, so they are measured here (goal: <= 25 ms to
parse a real 1.4 MB detail page) rather than asserted in tests.

    python benchmarks/detail_bench.py                  # 20 listing pages x 50 cards, details followed
    python benchmarks/detail_bench.py --pages 20 --per-page 50 --padding 1400000 --json
    python benchmarks/detail_bench.py --pages 4 --per-page 25 --fetchers http,browser   # per fetcher

The crawl runs first, in a fresh process, so its peak RSS is its own (with several ``--fetchers``
only the first crawl's is; Chromium's own processes are never counted). Listing and detail pages
go through one fetcher for the run (``FetchSession``), as in the scrape flow. Demo detail pages are
padded to the size of a real one (``--padding`` bytes) so memory and bytes on the wire look like
TopCV's.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobinsight.options import PipelineOptions
from jobinsight.scrape.crawl import acrawl_listing
from jobinsight.scrape.details import crawl_details
from jobinsight.scrape.fetch_session import FetchSession
from jobinsight.scrape.fetcher import FetchSettings
from jobinsight.scrape.runner import SourceTarget, follow_details
from jobinsight.scrape.sources.demo_board import DemoBoard
from jobinsight.scrape.sources.topcv_detail import parse_detail

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
PARSE_GOAL_MS = 25.0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_crawl_with_details(pages: int, per_page: int, concurrency: int, padding: int,
                             fetcher: str = "http") -> dict[str, Any]:
    """A listing crawl whose every card is new: one detail request per posting, bodies released;
    listing and details through one fetcher (``fetcher``: http, browser or auto)."""
    settings = FetchSettings(delay_seconds=0, concurrency=concurrency, max_retries=1, fetcher=fetcher)
    rss_before = _rss_mb()
    with DemoBoard(pages=pages, per_page=per_page, detail_padding=padding) as board, \
            tempfile.TemporaryDirectory() as archive, FetchSession(settings) as session:
        options = PipelineOptions(pipeline_mode="scrapeOnly", source="topcv", base_url=board.listing_url,
                                  max_pages=pages, detail_budget=pages * per_page, archive_root=archive)
        target = SourceTarget("topcv", board.listing_url, [], settings, session=session)
        started = time.perf_counter()
        outcome = session.run(lambda f: acrawl_listing(board.listing_url, pages, parser="topcv", source="topcv",
                                                       keep_bodies=False, fetcher=f))
        listing_s = time.perf_counter() - started
        follow_details(outcome, target, options, lambda _source, _ids: {})  # nothing stored yet: all new
        total_s = time.perf_counter() - started
        requests = board.request_count()
        detail_requests = len([r for r in board.requests if r.path.startswith(("/viec-lam/", "/brand/"))])
    counts = outcome.detail_counts
    new = counts.get("details_new", 0)
    return {
        "fetcher": fetcher,
        "concurrency": concurrency,
        "padding_bytes": padding,
        "browser_pages": outcome.browser_pages,
        "listing_pages": outcome.pages_fetched,
        "postings": outcome.jobs_found,
        "detail_pages": counts.get("detail_pages_fetched", 0),
        "jsonld_fallback": counts.get("details_jsonld_fallback", 0),
        "detail_bytes": counts.get("detail_bytes", 0),
        "requests_total": requests,
        "detail_requests": detail_requests,
        "requests_per_new_posting": round(requests / new, 3) if new else None,
        "listing_seconds": round(listing_s, 2),
        "detail_seconds": round(counts.get("detail_duration_s", 0.0), 2),
        "detail_pages_per_s": round(counts.get("detail_pages_fetched", 0) / max(counts.get("detail_duration_s", 1e-9), 1e-9), 1),
        "total_seconds": round(total_s, 2),
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
    }


def bench_detail_throughput(n: int, concurrency: int, padding: int) -> dict[str, Any]:
    """Detail pages/s through the HTTP fetcher alone (fetch + check + parse + release)."""
    settings = FetchSettings(delay_seconds=0, concurrency=concurrency, max_retries=1)
    with DemoBoard(pages=max(1, n // 50 + 1), per_page=50, detail_padding=padding) as board:
        jobs = [j for j in board.jobs() if not j.brand_url][:n]
        targets = [(j.job_id, board.url(j.path())) for j in jobs]
        started = time.perf_counter()
        crawl = crawl_details(targets, settings, progress_every=0)
        seconds = time.perf_counter() - started
    return {"pages": crawl.fetched, "postings": len(crawl.jobs), "seconds": round(seconds, 2),
            "pages_per_s": round(crawl.fetched / seconds, 1), "padding_bytes": padding, "concurrency": concurrency}


def bench_parse(iterations: int) -> dict[str, Any]:
    folder = REALDATA / "topcv_detail_html"
    files = sorted(folder.glob("*.html")) if folder.is_dir() else []
    results = []
    for path in files:
        body = path.read_bytes()
        url = f"https://www.topcv.vn/viec-lam/x/{path.name.split('_')[2]}.html"
        fetched = datetime.now(UTC)
        parse_detail(body, url, fetched_at=fetched)
        gc.collect()
        wall, cpu = [], []
        for _ in range(iterations):
            t, c = time.perf_counter(), time.process_time()
            parse_detail(body, url, fetched_at=fetched)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        wall.sort()
        results.append({"page": path.name, "bytes": len(body), "median_ms": round(statistics.median(wall), 2),
                        "p95_ms": round(wall[int(len(wall) * 0.95) - 1], 2),
                        "cpu_median_ms": round(statistics.median(cpu), 2),
                        "meets_goal": statistics.median(cpu) <= PARSE_GOAL_MS})
    return {"goal_ms": PARSE_GOAL_MS, "real_pages": bool(files), "pages": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20, help="listing pages crawled with details (default 20)")
    parser.add_argument("--per-page", type=int, default=50, help="cards per listing page (default 50, like TopCV)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--padding", type=int, default=1_400_000, help="bytes added to each demo detail page")
    parser.add_argument("--throughput-pages", type=int, default=300, help="detail pages for the pages/s figure")
    parser.add_argument("--iterations", type=int, default=40, help="timed parses per real page")
    parser.add_argument("--fetchers", default="http",
                        help="comma-separated fetchers for the crawl with details: http, browser, auto (default http)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    crawls = [bench_crawl_with_details(args.pages, args.per_page, args.concurrency, args.padding, fetcher.strip())
              for fetcher in args.fetchers.split(",") if fetcher.strip()]
    report = {
        "crawl_with_details": crawls,
        "detail_throughput": bench_detail_throughput(args.throughput_pages, args.concurrency, args.padding),
        "parse": bench_parse(args.iterations),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    t, p = report["detail_throughput"], report["parse"]
    for c in crawls:
        print(f"Crawl ({c['fetcher']}) of {c['listing_pages']} listing pages with details: {c['postings']} postings, "
              f"{c['detail_pages']} detail pages ({c['jsonld_fallback']} JSON-LD only, {c['browser_pages']} pages "
              f"via the browser), {c['requests_total']} requests = {c['requests_per_new_posting']} per new posting; "
              f"details {c['detail_pages_per_s']} pages/s; {c['total_seconds']} s; peak RSS {c['peak_rss_mb']} MB "
              f"(before {c['rss_before_mb']} MB); {c['detail_bytes'] / 1e6:.0f} MB of details")
    print(f"Detail pages through the HTTP fetcher: {t['pages']} pages ({t['padding_bytes'] / 1e6:.1f} MB each) in "
          f"{t['seconds']} s -> {t['pages_per_s']} pages/s (concurrency {t['concurrency']}, no delay)")
    for r in p["pages"]:
        print(f"Parse {r['page']} ({r['bytes'] / 1e6:.2f} MB): median {r['median_ms']} ms, CPU {r['cpu_median_ms']} ms, "
              f"p95 {r['p95_ms']} ms [{'ok' if r['meets_goal'] else 'OVER GOAL'} <= {p['goal_ms']:.0f} ms]")
    if not p["real_pages"]:
        print("Parse: ../shared/realdata/topcv_detail_html not found; no real pages timed")
    print(f"Load average (1, 5, 15 min): {report['load_average']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
