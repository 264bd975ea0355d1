"""Shared fixtures: real PostgreSQL databases (embedded, plus an external server when
``JOBINSIGHT_TEST_DATABASE_URL`` is set), real-data location, and one Prefect test server.

Each test that asks for ``database_url`` gets its own freshly migrated database, cloned from
a per-session template, and dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg2 import sql

from jobinsight.config import apply_prefect_defaults  # noqa: E402
from jobinsight.db.admin import admin_execute, with_database

apply_prefect_defaults()
# A CLI subprocess that reaches Prefect without PREFECT_API_URL must not start the persistent local
# Prefect server (it would outlive the test): tests pass the harness's URL, and anything missed
# falls back to Prefect's temporary server. tests/integration/test_local_prefect_server.py unsets it.
os.environ.setdefault("JOBINSIGHT_PREFECT_SERVER", "temporary")

REPO_ROOT = Path(__file__).resolve().parents[1]
REALDATA = REPO_ROOT.parent / "shared" / "realdata"


def backends() -> list[str]:
    """Database servers the database tests run against."""
    names = ["embedded"]
    if os.environ.get("JOBINSIGHT_TEST_DATABASE_URL"):
        names.append("external")
    return names


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")






@pytest.fixture(scope="session")
def embedded_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private JOBINSIGHT_HOME with its own embedded server, stopped after the session."""
    from jobinsight.db.embedded import stop_server

    home = tmp_path_factory.mktemp("jobinsight-home")
    yield home
    stop_server(home)


@pytest.fixture(scope="session")
def admin_urls(embedded_home: Path) -> dict[str, str]:
    """Maintenance-database URL of each backend."""
    from jobinsight.db.embedded import server_uri

    urls = {"embedded": server_uri(embedded_home, database="postgres")}
    external = os.environ.get("JOBINSIGHT_TEST_DATABASE_URL")
    if external:
        from jobinsight.db.urls import to_libpq

        urls["external"] = to_libpq(external)
    return urls


@pytest.fixture(scope="session")
def template_databases(admin_urls: dict[str, str]) -> Iterator[dict[str, str]]:
    """A migrated template database per backend; test databases are cloned from it."""
    from jobinsight.db.migrate import apply_migrations

    names: dict[str, str] = {}
    for backend, admin in admin_urls.items():
        name = f"jit_tpl_{_worker()}_{uuid.uuid4().hex[:8]}"
        admin_execute(admin, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        apply_migrations(with_database(admin, name))
        names[backend] = name
    yield names
    for backend, name in names.items():
        admin_execute(admin_urls[backend], sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _fresh_database(admin: str, template: str | None) -> tuple[str, str]:
    name = f"jit_{_worker()}_{uuid.uuid4().hex[:12]}"
    if template:
        stmt = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
    else:
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    admin_execute(admin, stmt)
    return name, with_database(admin, name)


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, admin_urls: dict[str, str],
                 template_databases: dict[str, str]) -> Iterator[str]:
    """A fresh, migrated database on each backend; dropped after the test."""
    admin = admin_urls[request.param]
    name, url = _fresh_database(admin, template_databases[request.param])
    yield url
    admin_execute(admin, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=backends())
def empty_database_url(request: pytest.FixtureRequest, admin_urls: dict[str, str]) -> Iterator[str]:
    """A fresh database with no schema at all, on each backend; dropped after the test."""
    admin = admin_urls[request.param]
    name, url = _fresh_database(admin, None)
    yield url
    admin_execute(admin, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def db(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A fresh database that flows run in-process will find, as a deployment's flows do: through
    the environment (and a private page archive)."""
    monkeypatch.setenv("JOBINSIGHT_DATABASE_URL", database_url)
    monkeypatch.setenv("JOBINSIGHT_ARCHIVE_ROOT", str(tmp_path / "archive"))
    return database_url


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The shared real-data folder; tests that need it skip cleanly when it is absent."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not present beside the repository")
    return REALDATA


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for every test that runs flows (it takes ~15 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield
