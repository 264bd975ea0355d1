"""PostgreSQL down: a stopped embedded server is started again; one that cannot start is one
paragraph of error, without tracebacks and without advice to delete the folder holding the data.

Before: the CLI printed the wheel's failed-``pg_ctl`` output and tracebacks and advised "Remove
the folder to start afresh"; a flow whose embedded server stopped during the run failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jobinsight.db.embedded import data_dir, server_uri, stop_server
from jobinsight.db.migrate import apply_migrations
from jobinsight.flows.process import process_flow
from jobinsight.options import PipelineOptions
from jobinsight.synthetic import generate_raw_rows
from tests.conftest import CliMain
from tests.reliability.conftest import accounted_for, assert_one_paragraph_error, cli_env, run_cli


@pytest.fixture
def private_home(tmp_path: Path) -> Path:
    """A JOBINSIGHT_HOME with its own embedded server, stopped afterwards."""
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    yield home
    try:
        stop_server(home)
    except Exception:  # noqa: BLE001 - a server that never started has nothing to stop
        pass


def test_an_embedded_server_that_cannot_start_is_one_paragraph(private_home: Path, cli_main: CliMain) -> None:
    """``db status`` in a real process (its whole stderr is the paragraph); the other commands
    through the same entry point in this process."""
    home = str(private_home)
    assert cli_main("db", "init", JOBINSIGHT_HOME=home).returncode == 0
    assert cli_main("db", "stop", JOBINSIGHT_HOME=home).returncode == 0
    with (data_dir(private_home) / "postgresql.conf").open("a") as conf:
        conf.write("\nmax_connections = 'banana'\n")  # the server now refuses to start
    results = [run_cli("db", "status", env=cli_env(JOBINSIGHT_HOME=home)),
               cli_main("db", "url", JOBINSIGHT_HOME=home), cli_main("process", JOBINSIGHT_HOME=home)]
    for result in results:
        message = assert_one_paragraph_error(result, "did not start", "keep it")
        assert "Remove the folder" not in message and "afresh" not in message
        assert str(data_dir(private_home) / "log") in message


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_starts_a_stopped_embedded_server_again(private_home: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    url = server_uri(private_home)
    apply_migrations(url)
    generate_raw_rows(url, 200)
    monkeypatch.setenv("JOBINSIGHT_DATABASE_URL", url)  # resolved once, as a running flow holds it
    assert stop_server(private_home)
    result = process_flow(PipelineOptions(pipeline_mode="processOnly", batch_size=100))
    assert result.success and result.outcome == "completed", result.message
    counts = accounted_for(url)
    assert counts["staged"] + counts["quarantined"] == 200 and counts["waiting"] == 0
