"""Where the database is: one rule, used by the CLI, the flows, the tests and the benchmarks.

Order: an explicit URL (``--database-url`` / ``JOBINSIGHT_DATABASE_URL``); else a Prefect
``SqlAlchemyConnector`` block named by ``JOBINSIGHT_DB_BLOCK``; else the embedded server.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobinsight.db.urls import mask_url, to_libpq
from jobinsight.settings import get_settings


class DatabaseConfigError(RuntimeError):
    """The configured database cannot be resolved (message says what to change)."""


@dataclass(frozen=True)
class DatabaseTarget:
    """A resolved database: its libpq URL and how it was chosen."""

    url: str
    kind: str  # "url" | "block" | "embedded"
    origin: str  # e.g. "--database-url", "JOBINSIGHT_DATABASE_URL", "block 'prod-db'", "embedded"

    @property
    def masked_url(self) -> str:
        """The URL safe to print."""
        return mask_url(self.url)


def resolve_database(database_url: str | None = None) -> DatabaseTarget:
    """Resolve the database following the documented order."""
    if database_url:
        return DatabaseTarget(to_libpq(database_url), "url", "--database-url")
    settings = get_settings()
    if settings.database_url is not None:
        return DatabaseTarget(to_libpq(settings.database_url.get_secret_value()), "url", "JOBINSIGHT_DATABASE_URL")
    block = settings.db_block
    if block:
        return DatabaseTarget(url_from_block(block), "block", f"block {block!r}")
    from jobinsight.db.embedded import server_uri

    return DatabaseTarget(server_uri(), "embedded", "embedded")


def url_from_block(name: str) -> str:
    """The libpq URL held by a Prefect ``SqlAlchemyConnector`` block."""
    try:
        from prefect_sqlalchemy import SqlAlchemyConnector

        connector = SqlAlchemyConnector.load(name)
    except ValueError as exc:
        raise DatabaseConfigError(
            f"JOBINSIGHT_DB_BLOCK={name!r}: no SqlAlchemyConnector block of that name on the Prefect API. "
            "Create it with `python deployments/setup.py --database-url ...` or unset the variable."
        ) from exc
    except Exception as exc:
        raise DatabaseConfigError(
            f"JOBINSIGHT_DB_BLOCK={name!r}: the block could not be loaded from the Prefect API "
            f"({type(exc).__name__}). Check PREFECT_API_URL, or set JOBINSIGHT_DATABASE_URL instead."
        ) from exc
    info = connector.connection_info
    if isinstance(info, str):
        return to_libpq(info)
    url = info.create_url()
    return to_libpq(url.render_as_string(hide_password=False))
