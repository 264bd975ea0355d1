"""Errors that end a command with a one-paragraph message instead of a traceback.

Each known failure class says what happened and what to do; :func:`explain` turns it into
the text the CLI prints, scrubbed of passwords.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobinsight.db.urls import scrub

if TYPE_CHECKING:
    import httpx


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


#: Prefect's own reachability probes (the health check before a run, the version check of a new
#: client): any answer but 200 from these means the URL does not lead to a working Prefect API.
_PROBES = ("/health", "/admin/version")


def _prefect_api_unreachable(exc: BaseException) -> str | None:
    """The message for a Prefect API that does not answer, if that is what ``exc`` (or its cause) is.

    Recognised by type and request, never by message text (Prefect's wording changes between
    releases): somewhere in the chain an httpx transport error (refused, timed out, no such host)
    of a request to the configured API, or an HTTP error status from one of Prefect's
    reachability probes there (a proxy's 502/503, a URL without ``/api``). Prefect wraps both
    in a plain ``RuntimeError`` whose cause is the httpx error. Only requests to the configured
    API count: a job board or an LLM endpoint that does not answer is a different problem with a
    different fix, and so is a wrong API key (401/403).
    """
    import httpx

    api_url = _prefect_api_url()
    if api_url is None:
        return None
    try:
        api = httpx.URL(str(api_url))
    except (httpx.InvalidURL, TypeError):
        return None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        reason = _unanswered(current, api)
        if reason is not None:
            return (
                f"error: the Prefect API at {scrub(str(api_url))} did not answer ({reason}). "
                "Start it (`prefect server start`), fix PREFECT_API_URL, or unset PREFECT_API_URL to let "
                "jobinsight use its local Prefect server (`jobinsight server start`)."
            )
        current = current.__cause__ or current.__context__
    return None


def _unanswered(exc: BaseException, api: httpx.URL) -> str | None:
    """Why a request to ``api`` got no usable answer, if ``exc`` is such a failure; else None."""
    import httpx

    if isinstance(exc, httpx.TransportError):
        request = _request_of(exc)
        return type(exc).__name__ if request is not None and _under(request.url, api) else None
    if isinstance(exc, httpx.HTTPStatusError):  # prefect.exceptions.PrefectHTTPStatusError too
        status = exc.response.status_code
        path = exc.request.url.path.removeprefix(api.path.rstrip("/"))
        if _under(exc.request.url, api) and path in _PROBES and status not in (401, 403):
            return f"HTTP {status} from {path}"
    return None


def _request_of(exc: httpx.TransportError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:  # raised before a request was attached (httpx sets it once it has one)
        return None


def _under(url: httpx.URL, api: httpx.URL) -> bool:
    """Whether ``url`` is the API's or below it (same scheme, host and port; path inside)."""
    base = api.path.rstrip("/")
    return ((url.scheme, url.host, url.port) == (api.scheme, api.host, api.port)
            and (url.path == base or url.path.startswith(base + "/")))


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
