"""Errors that end a command with a one-paragraph message instead of a traceback.

Each known failure class says what happened and what to do; :func:`explain` turns it into
the text the CLI prints, scrubbed of passwords.
"""

from __future__ import annotations

from jobinsight.db.urls import scrub


class UserFacingError(RuntimeError):
    """Base of the errors whose message is written for people."""


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
