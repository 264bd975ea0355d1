"""Failures people can fix end with one paragraph saying what happened and what to do, and a
non-zero exit code, never a bare traceback.

One case runs the real CLI in a subprocess, as a person runs it (a Prefect API that does not
answer: only a real process shows what reaches its stderr from Prefect's client); every other
case goes through the same entry point, ``jobinsight.cli.main``, in this process (``cli_main``),
which spares ~5 s of imports per case."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobinsight.scrape.sources.demo import render_block_page
from jobinsight.scrape.sources.demo_board import StaticSite
from tests.conftest import CliMain
from tests.reliability.conftest import assert_one_paragraph_error, cli_env, run_cli, sql_rows

NOWHERE = "postgresql://etl:pw@127.0.0.1:9/jobs"  # port 9 (discard): nothing listens there


@pytest.mark.parametrize("args", [["process"], ["scrape", "--source", "demo"], ["run", "--source", "demo"]])
def test_no_database_reachable(args: list[str], cli_main: CliMain) -> None:
    result = cli_main(*args, "--database-url", NOWHERE)
    assert_one_paragraph_error(result, "Could not connect to PostgreSQL at postgresql://etl:***@127.0.0.1:9/jobs",
                               "Check that the server is running")


def test_embedded_data_folder_cannot_be_created(file_in_the_way: Path, cli_main: CliMain) -> None:
    """JOBINSIGHT_HOME under a regular file: unwritable for root too (chmod would not stop root)."""
    result = cli_main("process", JOBINSIGHT_HOME=str(file_in_the_way))
    assert_one_paragraph_error(result, str(file_in_the_way), "Set JOBINSIGHT_HOME to a writable folder")


@pytest.mark.parametrize("database_url", ["embedded"], indirect=True)  # what fails is Prefect, not SQL
def test_prefect_api_unreachable(database_url: str) -> None:
    """The subprocess case: the whole stderr of a real process is the one paragraph."""
    result = run_cli("process", "--database-url", database_url,
                     env=cli_env(PREFECT_API_URL="http://127.0.0.1:9/api"), timeout=120)
    assert_one_paragraph_error(result, "the Prefect API at http://127.0.0.1:9/api did not answer",
                               "unset PREFECT_API_URL")


def test_a_source_serving_only_captcha_pages(database_url: str, prefect_api_url: str,
                                            cli_main: CliMain) -> None:
    """The flow runs in this process, on the session's Prefect server (``prefect_api_url``)."""
    with StaticSite({"/viec-lam": render_block_page()}) as site:
        result = cli_main("scrape", "--source", "topcv", "--base-url", site.url("/viec-lam"), "--delay", "0",
                          "--database-url", database_url)
    assert result.returncode == 1, result.stderr[-3000:]  # the run ran and failed: not a usage error
    assert "Traceback" not in result.stderr + result.stdout
    verdict = result.stdout.splitlines()[0]
    assert verdict.startswith("FAILED: no jobs were scraped from 1 pages: blocked at ")
    assert "captcha" in verdict and "slow down (--delay) or try later" in verdict
    assert sql_rows(database_url, "SELECT count(*) FROM public.raw_jobs") == [(0,)]  # nothing stored as success


def test_malformed_database_url(cli_main: CliMain) -> None:
    """A URL that cannot even be parsed (a port that is not a number) is still a message, and the
    password in it stays hidden."""
    result = cli_main("db", "status", "--database-url", "postgresql://etl:s3cr3t@127.0.0.1:notaport/jobs")
    message = assert_one_paragraph_error(result, "Could not connect to PostgreSQL at postgresql://etl:***@",
                                         'invalid integer value "notaport"')
    assert "s3cr3t" not in message


def test_unusable_home_folder_is_a_user_facing_error(tmp_path, monkeypatch) -> None:
    """The data folder under a regular file cannot be created, even as root."""
    from jobinsight.config import home_dir
    from jobinsight.errors import UserFacingError, explain

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("JOBINSIGHT_HOME", str(blocker / "home"))
    with pytest.raises(UserFacingError) as failure:
        home_dir()
    assert "JOBINSIGHT_HOME" in explain(failure.value)
