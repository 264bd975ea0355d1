"""Closing out rows that used up their processing attempts, as a Prefect task."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from jobinsight.process.dead_rows import DeadRow, mark_dead_rows
from jobinsight.tasks.retry_policy import BACKOFF, RETRIES, retry_on_transient


@task(name="mark-dead-rows", retries=RETRIES, retry_delay_seconds=BACKOFF, retry_condition_fn=retry_on_transient,
      cache_policy=NO_CACHE)
def mark_dead(db_url: str, max_attempts: int) -> list[DeadRow]:
    """Close the quarantine entries of rows that used up their attempts (idempotent)."""
    return mark_dead_rows(db_url, max_attempts)
