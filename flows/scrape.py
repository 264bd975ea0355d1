"""The ``scrape`` flow: source → raw_jobs.

    schema setup ─▶ fetch + parse (page checks) ─▶ follow details ─▶ upsert raw ─▶ archive pages
                 ─▶ metrics (artifacts + monitoring tables) ─▶ event jobinsight.scrape.completed
"""

from __future__ import annotations

import time

from prefect import flow, get_run_logger
from prefect.events import emit_event
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

from jobinsight.config import archive_root
from jobinsight.db.resolve import resolve_database
from jobinsight.monitoring import finish_run, record_phases, start_run
from jobinsight.options import PipelineOptions, PipelineResult
from jobinsight.scrape.runner import open_source, scrape_result
from jobinsight.tasks.artifacts import publish_run_artifacts
from jobinsight.tasks.process_phases import setup_schema
from jobinsight.tasks.scrape_steps import (
    archive_fetched_pages,
    fetch_and_parse,
    follow_listing_details,
    upsert_raw,
)
from jobinsight.tasks.settings_check import validated_settings

SCRAPE_COMPLETED = "jobinsight.scrape.completed"


@flow(name="scrape", retries=1, retry_delay_seconds=60, persist_result=False)
def scrape_flow(options: PipelineOptions | None = None) -> PipelineResult:
    """Crawl one source into raw_jobs and announce it with ``jobinsight.scrape.completed``."""
    validated_settings()  # a bad JOBINSIGHT_*/ETL_* value fails here, once, without retries
    options = options or PipelineOptions(pipeline_mode="scrapeOnly")
    logger = get_run_logger()
    run_id = str(flow_run.id)
    db_url = resolve_database().url
    started = time.perf_counter()

    setup_schema(db_url)
    start_run(db_url, run_id, "scrape", options)
    with open_source(options) as target:
        logger.info("scraping %s (%s)", target.source, target.base_url or f"{len(target.urls)} URLs")
        crawled = fetch_and_parse(target, options)
        # quote(): Prefect would walk every page and job of the outcome looking for futures (~0.1 s
        # per task call for 60 jobs, more for a real crawl); the task gets the object as is.
        detailed = follow_listing_details(db_url, target, quote(crawled.value), options)
    outcome = detailed.value
    for problem in outcome.problems:
        logger.warning("problem page %s: %s (%s)", problem["url"], problem["verdict"], problem["reason"])
    upserted = upsert_raw(db_url, quote(outcome), run_id)
    phases = [crawled.metric, detailed.metric, upserted.metric]
    archived = outcome.pages_archived  # listing pages: archived during the crawl, bodies released
    if target.fetches_pages:  # pages still holding a body (detail pages): archived here
        stored = archive_fetched_pages(quote(outcome), options.archive_root or archive_root())
        archived += stored.value
        phases.append(stored.metric)

    result = scrape_result(outcome, upserted.value, archived, run_id, phases, time.perf_counter() - started)
    record_phases(db_url, run_id, "scrape", result.phases)
    finish_run(db_url, result)
    publish_run_artifacts(result, "scrape")
    if result.success:
        counts = result.stats.extra
        emit_event(
            event=SCRAPE_COMPLETED,
            resource={"prefect.resource.id": f"jobinsight.source.{outcome.source}"},
            payload={"flow_run_id": run_id, "source": outcome.source, "jobs_found": outcome.jobs_found,
                     "inserted": counts["inserted"], "updated": counts["updated"], "unchanged": counts["unchanged"],
                     "quarantined": result.stats.quarantined, "pages_fetched": outcome.pages_fetched},
        )
        logger.info(result.message)
    else:
        logger.error(result.message)
    return result
