"""Logging of flow runs: ``jobinsight.*`` records in Prefect's run logs, every stderr line named.

Why: Prefect sends only its own loggers (and run loggers) to the API; the library's warnings
(the LLM circuit breaker, a page that could not be archived, …) would reach stderr of
whatever process ran the flow and never the run's log in the UI. Prefect forwards any logger
listed in ``PREFECT_LOGGING_EXTRA_LOGGERS``, read when Prefect configures logging (at import),
so the CLI sets it before Prefect is imported and the deployments set it in their job
environment for workers.
"""

from __future__ import annotations

import logging
import os

EXTRA_LOGGERS_VARIABLE = "PREFECT_LOGGING_EXTRA_LOGGERS"
PACKAGE_LOGGER = "jobinsight"


def with_jobinsight_logger(current: str | None) -> str:
    """``current`` (a comma-separated logger list) with ``jobinsight`` added once."""
    names = [name.strip() for name in (current or "").split(",") if name.strip()]
    if PACKAGE_LOGGER not in names:
        names.append(PACKAGE_LOGGER)
    return ",".join(names)


def send_jobinsight_logs_to_prefect() -> None:
    """Add ``jobinsight`` to Prefect's extra loggers in this process's environment (before Prefect loads)."""
    os.environ[EXTRA_LOGGERS_VARIABLE] = with_jobinsight_logger(os.environ.get(EXTRA_LOGGERS_VARIABLE))


class RunNameFilter(logging.Filter):
    """Adds ``%(where)s``: the logger name plus the task or flow run a Prefect record belongs to.

    Prefect's run loggers attach ``task_run_name`` / ``flow_run_name`` to each record; a line
    printed without them ("prefect.task_runs: Finished in state Completed()") cannot be told
    apart from the line of the task before it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        run = getattr(record, "task_run_name", None) or getattr(record, "flow_run_name", None)
        if run is None and record.name.startswith(PACKAGE_LOGGER):
            run = _current_run_name()
        record.where = f"{record.name} [{run}]" if run else record.name
        return True


def _current_run_name() -> str | None:
    """The task or flow run this thread is in, if Prefect is loaded and one is running."""
    import sys

    if "prefect.context" not in sys.modules:
        return None
    from prefect.context import FlowRunContext, TaskRunContext

    task = TaskRunContext.get()
    if task is not None:
        return task.task_run.name
    flow = FlowRunContext.get()
    return flow.flow_run.name if flow is not None and flow.flow_run is not None else None


#: The CLI's stderr format: every line says which logger, and which task/flow run, wrote it.
STDERR_FORMAT = "%(asctime)s %(levelname)s %(where)s: %(message)s"
