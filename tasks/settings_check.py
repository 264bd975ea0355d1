"""The first step of every flow: refuse invalid settings at once, without flow retries.

Why: a bad ``JOBINSIGHT_*`` / ``ETL_*`` value fails the same way on every attempt, yet the
flows retry everything (Prefect 3.8 flows have no ``retry_condition_fn``). So before any work
each flow validates the settings; on :class:`~jobinsight.errors.ConfigError` it sets this flow
run's retry budget to 0 on the Prefect API (the server's retry rule reads it) and fails with
the one-paragraph message. The CLI checks the same settings before it starts a flow at all.
"""

from __future__ import annotations

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext

from jobinsight.errors import ConfigError
from jobinsight.settings import Settings, get_settings


def validated_settings() -> Settings:
    """The settings; on a bad value this run is marked not-to-retry and :class:`ConfigError` raised."""
    try:
        return get_settings()
    except ConfigError as exc:
        get_run_logger().error("%s", exc)
        _disable_retries_of_this_run()
        raise


def _disable_retries_of_this_run() -> None:
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    policy = context.flow_run.empirical_policy.model_copy(update={"retries": 0, "retry_delay": 0})
    with get_client(sync_client=True) as client:
        client.update_flow_run(context.flow_run.id, empirical_policy=policy)
    context.flow_run.empirical_policy = policy
