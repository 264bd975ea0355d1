"""Which failures a task retries: transient database and network errors only.

Retrying a bug (a TypeError, a constraint violation) wastes minutes and hides it; retrying a
dropped connection, a restarted server, a deadlock or a serialization failure usually works.
"""

from __future__ import annotations

import psycopg2
from prefect.tasks import exponential_backoff

from jobinsight.db.connect import DatabaseUnavailableError
from jobinsight.errors import is_statement_timeout

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.DeadlockDetected,
    psycopg2.errors.AdminShutdown,
    psycopg2.errors.CannotConnectNow,
    DatabaseUnavailableError,
    ConnectionError,
    TimeoutError,
)

#: Delays between attempts: 2, 4, 8 s (with Prefect's jitter).
BACKOFF = exponential_backoff(backoff_factor=2)
RETRIES = 3


def is_transient(exc: BaseException | None) -> bool:
    """True for errors worth retrying.

    A statement timeout is a ``psycopg2.OperationalError`` too, but the same statement over the
    same batch times out again: retrying it only multiplies the wait.
    """
    if exc is not None and is_statement_timeout(exc):
        return False
    return isinstance(exc, TRANSIENT_ERRORS)


def retry_on_transient(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's callback signature
    """Prefect ``retry_condition_fn``: retry only transient failures."""
    try:
        state.result()
    except BaseException as exc:  # the task's own exception is re-raised by result()
        return is_transient(exc)
    return False
