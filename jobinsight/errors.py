"""Errors that end a command with a one-paragraph message instead of a traceback.

Each known failure class says what happened and what to do; :func:`explain` turns it into
the text the CLI prints, scrubbed of passwords.
"""

from __future__ import annotations

from jobinsight.db.urls import scrub


class UserFacingError(RuntimeError):
    """Base of the errors whose message is written for people."""


class ConfigError(UserFacingError):
    """A setting (environment variable) has an invalid value; the message names it and the fix.

    Never retried: the same value fails the same way on every attempt. The CLI checks the
    settings before any flow starts and each flow checks them first thing, so this ends a
    command with exit code 2 and one paragraph, not minutes of retries and tracebacks.
    """

    def __init__(self, message: str, variables: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        #: The environment variables found invalid (empty for a rule across several).
        self.variables = variables


class StatementTimeoutError(UserFacingError):
    """PostgreSQL cancelled a batch's statement at ``statement_timeout`` (message says what to change).

    Not a ``psycopg2.OperationalError``, so the task retry policy does not repeat a statement
    that will time out again with the same batch.
    """


def is_statement_timeout(exc: BaseException) -> bool:
    """True for PostgreSQL's "canceling statement due to statement timeout" (not a user's cancel)."""
    import psycopg2.errors

    return isinstance(exc, psycopg2.errors.QueryCanceled) and "statement timeout" in str(exc)


def _prefect_api_url() -> str | None:
    try:
        from prefect.settings import PREFECT_API_URL

        return PREFECT_API_URL.value() or None
    except Exception:  # pragma: no cover - settings always load in practice
        return None


def _prefect_api_unreachable(exc: BaseException) -> str | None:
    """The message for a Prefect API that does not answer, if that is what ``exc`` (or its cause) is.

    Only errors of requests to the configured API count: a job board or an LLM endpoint that
    does not answer is a different problem with a different fix.
    """
    import httpx

    api_url = _prefect_api_url()
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        hit = api_url is not None and str(current).startswith(f"Failed to reach API at {api_url.rstrip('/')}")
        if not hit and api_url is not None and isinstance(current, httpx.TransportError):
            try:
                hit = str(current.request.url).startswith(api_url.rstrip("/"))
            except RuntimeError:  # an error raised before its request was set
                hit = False
        if hit:
            return (
                f"error: the Prefect API at {scrub(str(api_url))} did not answer "
                f"({type(current.__cause__ or current).__name__}). "
                "Start it (`prefect server start`), fix PREFECT_API_URL, or unset PREFECT_API_URL to let "
                "jobinsight use its local Prefect server (`jobinsight server start`)."
            )
        current = current.__cause__ or current.__context__
    return None


def _known_types() -> tuple[type[BaseException], ...]:
    from jobinsight.db.connect import DatabaseUnavailableError
    from jobinsight.db.embedded import EmbeddedServerError
    from jobinsight.db.migrate import MigrationError
    from jobinsight.db.resolve import DatabaseConfigError

    return (UserFacingError, DatabaseUnavailableError, EmbeddedServerError, MigrationError, DatabaseConfigError)


def explain(exc: BaseException) -> str | None:
    """The message to print for a known failure, or None for an unexpected one."""
    if isinstance(exc, _known_types()):
        return "error: " + scrub(str(exc))
    unreachable = _prefect_api_unreachable(exc)
    if unreachable is not None:
        return unreachable
    try:
        from pydantic import ValidationError
    except ImportError:  # pragma: no cover - pydantic ships with Prefect
        ValidationError = ()  # type: ignore[assignment]  # noqa: N806
    if isinstance(exc, ValidationError):
        fields = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        return f"error: invalid options: {fields}"
    return None
