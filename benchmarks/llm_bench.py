"""Benchmark of the LLM enrichment step: the overhead when every row is a cache hit, and the request
rate actually held against a local OpenAI-compatible server.

    python benchmarks/llm_bench.py [--rows 50000] [--misses 240] [--rpm 1200] [--workers 4]
                                   [--database-url URL] [--json] [--keep]

Why: with an LLM configured, phase 4 runs ``enrich_batch_with_llm`` after the rules on every
batch. Once the postings of a batch are cached (the normal state when re-processing), that call
must cost little next to the rules transformation itself; and when postings are sent, the rate
the endpoint sees must stay under the configured requests/min.

Steps (in a separate database ``<name>_llmbench``, dropped afterwards unless ``--keep``):
``--rows`` synthetic raw rows are generated and loaded as phase 3 does, transformed by
``transform_batch`` (timed for comparison), their answers are put in the cache, then
``enrich_batch_with_llm`` runs on the whole batch three times (median reported; the endpoint is
an unused loopback port, so any request would show as a fallback). Then ``--misses`` uncached
postings are sent to ``tests/llm_server.py`` under ``--rpm``, and the rate is measured from the
server's own arrival timestamps. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from psycopg2 import sql  # noqa: E402

from jobinsight.config import apply_prefect_defaults  # noqa: E402
from jobinsight.db.admin import admin_execute, with_database  # noqa: E402
from jobinsight.db.connect import connect  # noqa: E402
from jobinsight.db.migrate import apply_migrations  # noqa: E402
from jobinsight.db.resolve import resolve_database  # noqa: E402
from jobinsight.enrich import PROMPT_VERSION, LlmRunState, LlmSettings, enrich_batch_with_llm  # noqa: E402
from jobinsight.enrich.schema import LlmEnrichment  # noqa: E402
from jobinsight.enrich.store import Answer, save_outcomes  # noqa: E402
from jobinsight.process.claims import Claim  # noqa: E402
from jobinsight.process.load import load_batch  # noqa: E402
from jobinsight.synthetic import generate_raw_rows  # noqa: E402
from jobinsight.transform.batch import transform_batch  # noqa: E402
from tests.llm_server import FakeLlmServer, fake_answer  # noqa: E402

MODEL = "bench-model"






def main() -> int:
    apply_prefect_defaults()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--misses", type=int, default=240)
    parser.add_argument("--rpm", type=int, default=1_200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))

    target = resolve_database(args.database_url)
    name = (urlsplit(target.url).path.lstrip("/") or "postgres") + "_llmbench"
    admin_execute(target.url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    admin_execute(target.url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(target.url, name)
    try:
        apply_migrations(url)
        generate_raw_rows(url, args.rows)
        raw = load_batch(url, Claim(0, 0, 2**62, args.rows, "all", 3))
        t0 = time.perf_counter()
        staging = transform_batch(raw).staging
        rules_s = time.perf_counter() - t0
        log(f"{len(raw):,} rows loaded; transform_batch (rules) {rules_s:.2f} s")

        # every posting's answer in the cache, as after a first LLM run
        hashes = staging["content_hash"].dropna().unique().tolist()
        answer = LlmEnrichment.model_validate(fake_answer({"title": "Senior Data Engineer", "skills": ["Python"]}))
        text = answer.model_dump_json()
        conn = connect(url)
        try:
            save_outcomes(conn, MODEL, PROMPT_VERSION, [Answer(h, text, 500) for h in hashes], [])
        finally:
            conn.close()

        unused = LlmSettings(base_url="http://127.0.0.1:9/v1", model=MODEL, api_key="sk-bench-unused")
        times, report = [], None
        for _ in range(3):
            frame = staging.copy()
            t0 = time.perf_counter()
            report = enrich_batch_with_llm(frame, raw, db_url=url, settings=unused, max_workers=args.workers,
                                           run_state=LlmRunState(unused))
            times.append(time.perf_counter() - t0)
        assert report is not None and report.requests == 0 and report.cache_hits == len(staging)
        hit_s = statistics.median(times)
        log(f"all {len(staging):,} rows from the cache: {hit_s:.3f} s per batch "
            f"({hit_s / rules_s * 100:.0f}% of the rules step), {report.requests} requests")

        # uncached postings against the fake server, under the limiter
        sample = raw.head(args.misses).copy()
        sample["content_hash"] = [f"miss-{i}" for i in range(len(sample))]
        miss_staging = transform_batch(sample).staging
        with FakeLlmServer() as server:
            settings = LlmSettings(base_url=server.base_url, model=MODEL, api_key="sk-bench", rpm=args.rpm,
                                   tpm=100_000_000, run_quota=100_000, daily_quota=100_000)
            state = LlmRunState(settings)
            t0 = time.perf_counter()
            miss = enrich_batch_with_llm(miss_staging, sample, db_url=url, settings=settings,
                                         max_workers=args.workers, run_state=state)
            miss_s = time.perf_counter() - t0
            stamps = server.times
        burst = state.limiter.req_capacity
        span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
        measured = (len(stamps) - burst) / span * 60 if span else None
        peak_minute = max(sum(1 for t in stamps if s <= t < s + 60) for s in stamps) if stamps else 0
        log(f"{miss.requests} requests in {miss_s:.1f} s: {measured:.0f} requests/min after the burst "
            f"(limit {args.rpm}), at most {peak_minute} in any 60 s")

        doc = {
            "rows": len(staging),
            "rules_transform_s": round(rules_s, 3),
            "all_cache_hits": {"seconds_per_batch": round(hit_s, 3), "runs_s": [round(t, 3) for t in times],
                               "rows_per_s": round(len(staging) / hit_s), "share_of_rules_step": round(hit_s / rules_s, 3),
                               "requests": report.requests},
            "misses": {"postings": len(sample), "requests": miss.requests, "seconds": round(miss_s, 2),
                       "rpm_limit": args.rpm, "rpm_measured_after_burst": round(measured, 1) if measured else None,
                       "max_requests_in_any_60s": peak_minute, "tokens": miss.tokens, "workers": args.workers,
                       "fallbacks": miss.fallbacks},
        }
        print(json.dumps(doc, indent=None if args.json else 2))
    finally:
        if not args.keep:
            admin_execute(target.url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
