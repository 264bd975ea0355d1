"""Shared fixtures: real PostgreSQL databases (embedded, plus an external server when
``JOBINSIGHT_TEST_DATABASE_URL`` is set), real-data location, and one Prefect test server;
and the test tiers (markers) every test gets from its folder.

Each test that asks for ``database_url`` gets its own freshly migrated database, cloned from
a per-session template, and dropped afterwards, so tests never see each other's rows.

Tests run in parallel (pytest-xdist, ``-n`` in pyproject). Each worker process has its own
template and test databases (names carry the worker id) and its own Prefect test server; the
embedded PostgreSQL server is one for the whole run, started by whichever worker needs it
first (its start is serialised by an inter-process lock) and stopped by the controller at the
end. Tests that share a costly resource run in one worker through an ``xdist_group``.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
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
# Every test server listens on 127.0.0.1, which the crawler's SSRF guard refuses unless private
# addresses are allowed; set before any test (and any CLI subprocess) reads its settings.
os.environ.setdefault("JOBINSIGHT_ALLOW_PRIVATE_ADDRESSES", "1")
# CLI subprocesses run cold: a warm runner (jobinsight/warm) would outlive the test that started it.
# tests/integration/test_warm_runner.py turns it on for its own commands and stops what it started.
os.environ.setdefault("JOBINSIGHT_WARM_START", "false")

TESTS = Path(__file__).resolve().parent
REPO_ROOT = TESTS.parent
REALDATA = REPO_ROOT.parent / "shared" / "realdata"

#: The tier of every test, by the folder it lives in (README, "Tests"). A new test gets its
#: marker by being put in the right folder; nothing to write in the test itself.
FOLDER_MARKERS = {"unit": "unit", "integration": "db", "reliability": "db", "e2e": "e2e"}
#: Fixtures that bring up a Prefect server: their users are marked ``prefect`` (whatever the
#: folder), so ``-m "not prefect"`` leaves out every test that waits for one.
PREFECT_FIXTURES = frozenset({"prefect_harness", "prefect_server"})
#: Fixtures that give a PostgreSQL database: their users are marked ``db`` in any folder.
DB_FIXTURES = frozenset({"database_url", "empty_database_url"})
#: Tests using the session's real Prefect server (tests/e2e/conftest.py) run in one worker, so
#: that server starts and is deployed to once per run, not once per worker.
E2E_SERVER_GROUP = "e2e-prefect-server"

#: Where the session's embedded server lives; set by the controller, handed to each worker.
_HOME_KEY = pytest.StashKey[Path]()
_WORKERINPUT_HOME = "jobinsight_test_home"


def backends() -> list[str]:
    """Database servers the database tests run against."""
    names = ["embedded"]
    if os.environ.get("JOBINSIGHT_TEST_DATABASE_URL"):
        names.append("external")
    return names


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    """Choose the embedded server's home once per run: in the controller (or the only process).

    Why outside pytest's ``tmp_path`` folders: those are numbered folders that other pytest
    sessions of the same user may clean up while this one still runs, which would delete the
    data folder under a running server.
    """
    if _is_xdist_worker(config):
        config.stash[_HOME_KEY] = Path(config.workerinput[_WORKERINPUT_HOME])
    else:
        config.stash[_HOME_KEY] = Path(tempfile.mkdtemp(prefix="jobinsight-tests-"))


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """(xdist, ``-n auto``) One worker more than cores, unless PYTEST_XDIST_AUTO_NUM_WORKERS says.

    Why: part of the suite's time is waiting, not computing (servers starting, workers polling,
    pacing and rate-limit sleeps on the real clock); with one worker per core those waits leave a
    core idle. Measured on the 2-core machine, whole suite: 2 workers 6 min 55 s to 7 min 41 s
    (three runs), 3 workers 5 min 57 s to 6 min 39 s (five runs).
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores + 1


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # noqa: ANN001 - xdist's WorkerController
    """(xdist, controller) Every worker uses the one embedded server of the run."""
    node.workerinput[_WORKERINPUT_HOME] = str(node.config.stash[_HOME_KEY])


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the run's embedded server after every worker is done, and remove its folder."""
    if _is_xdist_worker(config) or _HOME_KEY not in config.stash:
        return
    home = config.stash[_HOME_KEY]
    from jobinsight.db.embedded import stop_server

    try:
        stop_server(home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _embedded_only(metafunc: pytest.Metafunc) -> bool:
    """Does this test run on the embedded server only: it runs flows on a Prefect server (or a real
    stack), or it is marked ``client_timing``, rather than testing SQL on a database?"""
    try:
        folder = metafunc.definition.path.resolve().relative_to(TESTS).parts[0]
    except ValueError:
        folder = ""
    return (folder == "e2e" or bool(set(metafunc.fixturenames) & PREFECT_FIXTURES)
            or metafunc.definition.get_closest_marker("prefect") is not None
            or metafunc.definition.get_closest_marker("client_timing") is not None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Which database servers a database test runs against.

    Tests of SQL, schema and the database code (the ``db`` tier) run on every backend
    (``backends()``): that is where PostgreSQL 15 and 18 can differ. Tests that run flows on a
    Prefect server (``prefect``/``e2e``) run on the embedded server only, the product's default:
    what they prove is orchestration (states, retries, artifacts, workers), the SQL they reach is
    the same code the ``db`` tier already runs on both servers, and a second backend doubled the
    slowest tests of the suite for no new failure it could find. So do tests marked
    ``client_timing``: client behaviour on the real clock (rate limits, retries, time budgets),
    where the database only holds the rows and waiting twice proves nothing new. A test that names its backends
    (``@pytest.mark.parametrize("database_url", [...], indirect=True)``) keeps its choice.
    """
    for name in sorted(DB_FIXTURES & set(metafunc.fixturenames)):
        if any(name in _argnames(mark) for mark in metafunc.definition.iter_markers("parametrize")):
            continue
        names = ["embedded"] if _embedded_only(metafunc) else backends()
        metafunc.parametrize(name, names, indirect=True)


def _argnames(mark: pytest.Mark) -> list[str]:
    argnames = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
    if isinstance(argnames, str):
        return [a.strip() for a in argnames.split(",")]
    return list(argnames)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its tier (folder, and the fixtures it uses) and group the e2e server's users."""
    for item in items:
        try:
            folder = item.path.resolve().relative_to(TESTS).parts[0]
        except ValueError:  # a test outside tests/ (given on the command line)
            folder = ""
        marks = {FOLDER_MARKERS[folder]} if folder in FOLDER_MARKERS else set()
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & PREFECT_FIXTURES:
            marks.add("prefect")
        if fixtures & DB_FIXTURES:
            marks.add("db")
        for name in sorted(marks - {m.name for m in item.iter_markers()}):
            item.add_marker(name)
        if "prefect_server" in fixtures:
            item.add_marker(pytest.mark.xdist_group(E2E_SERVER_GROUP))


# after xdist's own hook has tagged each grouped test's id
@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def pytest_collection_modifyitems_groups_kept(config: pytest.Config, items: list[pytest.Item]) -> None:
    """(xdist worker) Refuse to run when ``--dist loadgroup`` lost the groups instead of spreading them.

    Why: xdist puts a group's tests in one worker by appending ``@group`` to their ids; when that
    does not take (pytest 9.2 with xdist 3.8: pytest-dev/pytest-xdist#1386), nothing fails, each
    worker starts its own e2e Prefect server and deploys to it, and the suite just gets slower.
    """
    if not (_is_xdist_worker(config) and config.getvalue("loadgroup")):
        return
    lost = [item.nodeid for item in items
            if item.get_closest_marker("xdist_group") is not None and "@" not in item.nodeid.rsplit("]", 1)[-1]]
    if lost:
        raise pytest.UsageError(
            f"--dist loadgroup did not group {len(lost)} tests (e.g. {lost[0]}): this pytest/pytest-xdist pair "
            "no longer tags grouped test ids (pytest-dev/pytest-xdist#1386); install the versions pyproject pins")


@pytest.fixture(scope="session")
def embedded_home(pytestconfig: pytest.Config) -> Path:
    """JOBINSIGHT_HOME of the run's embedded server, shared by every xdist worker (stopped by
    the controller at the end: see ``pytest_unconfigure``)."""
    return pytestconfig.stash[_HOME_KEY]


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


@pytest.fixture
def database_url(request: pytest.FixtureRequest, admin_urls: dict[str, str],
                 template_databases: dict[str, str]) -> Iterator[str]:
    """A fresh, migrated database on a backend (``pytest_generate_tests`` picks which); dropped after the test."""
    admin = admin_urls[request.param]
    name, url = _fresh_database(admin, template_databases[request.param])
    yield url
    admin_execute(admin, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, admin_urls: dict[str, str]) -> Iterator[str]:
    """A fresh database with no schema at all, on a backend (as ``database_url``); dropped after the test."""
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


#: Starts of the session's Prefect test server tried before its error is the fixture's.
HARNESS_STARTS = 3


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for every test that runs flows (it takes ~15 s to start).

    Why several tries: Prefect's harness picks a free port and starts the server on it later;
    meanwhile a loopback test server in another worker can take that port (seen in CI: every
    /health answered 404 until the timeout, and each flow test of that worker errored). A new
    start picks a new port. The timeout is still four times a start on a busy machine.
    """
    import httpx
    from prefect.testing.utilities import prefect_test_harness

    for attempt in range(1, HARNESS_STARTS + 1):
        harness = prefect_test_harness(server_startup_timeout=60)
        try:
            harness.__enter__()
            break
        except (httpx.HTTPError, RuntimeError) as exc:
            if attempt == HARNESS_STARTS:
                raise
            print(f"Prefect test server start {attempt} failed ({exc!r}); starting it again on a new port")
    try:
        yield
    finally:
        harness.__exit__(None, None, None)


@pytest.fixture(scope="session")
def prefect_api_url(prefect_harness: None) -> str:
    """The session Prefect server's API URL, so CLI subprocesses report there instead of each
    starting a temporary server (~15 s apiece)."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url, "the Prefect test harness sets PREFECT_API_URL"
    return str(url)


#: ``cli_main``'s callable: ``cli_main(*args, **env)`` -> the finished command.
CliMain = Callable[..., subprocess.CompletedProcess]
#: Variables a CLI test's command must not inherit from the test process (as ``cli_env`` drops them).
CLI_PRIVATE_VARIABLES = ("PREFECT_API_URL", "JOBINSIGHT_DATABASE_URL", "JOBINSIGHT_DB_BLOCK", "ETL_BATCH_SIZE")


@pytest.fixture
def cli_main(monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> CliMain:
    """Run ``jobinsight.cli.main`` (the console entry point) in this process: ``cli_main(*args, **env)``.

    Why: a CLI subprocess spends ~3-5 s importing Prefect and pandas before it does anything, so
    the argument, settings and error-message cases run here through the same entry point, and each
    test file keeps one real subprocess for what only a subprocess shows (the exit of a real
    process, its whole stderr). The result looks like ``subprocess.run``'s: exit code, stdout, and
    stderr with the ``jobinsight`` log lines the command wrote (a subprocess prints them there too).
    The environment is the test's without ``CLI_PRIVATE_VARIABLES``, plus ``env``; whatever the
    command sets (``--database-url`` goes through the environment) is undone afterwards.
    """
    from jobinsight import cli

    def run(*args: str, **env: str) -> subprocess.CompletedProcess:
        with monkeypatch.context() as patch:
            for name in CLI_PRIVATE_VARIABLES:
                patch.delenv(name, raising=False)
            for name, value in env.items():
                patch.setenv(name, value)
            patch.setattr(sys, "argv", ["jobinsight", *args])
            capsys.readouterr()  # only this command's output
            logs = logging.StreamHandler(sys.stderr)  # the captured stream, as a subprocess's stderr
            logs.setLevel(logging.INFO)
            product = logging.getLogger("jobinsight")
            product.addHandler(logs)
            try:
                cli.main()
                code = 0
            except SystemExit as exited:
                code = exited.code if isinstance(exited.code, int) else (0 if exited.code is None else 1)
            finally:
                product.removeHandler(logs)
            out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["jobinsight", *args], code, out, err)

    return run
