"""Nothing leaks and nothing from the web is rendered as markup.

Before: ``--urls /etc/shadow`` sent every line of the file to the logs and the first five to
the summary artifact, the run table and stdout; ``db url`` / ``db status`` / ``db init`` printed
a password given as ``?password=``, in a key=value DSN or with an unencoded ``#``; URLs and texts
from a hostile site went raw into the markdown summaries.
"""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from markdown_it import MarkdownIt

from jobinsight.options import PipelineResult, PipelineStats
from jobinsight.pipeline import combine_results, full_summary_markdown
from jobinsight.process.tally import summary_markdown
from jobinsight.scrape.sources.demo_board import StaticSite
from tests.conftest import CliMain
from tests.reliability.conftest import cli_env, run_cli, sql_rows

SECRET = f"hunter{uuid.uuid4().hex[:10]}"

JOB_PAGE = """<!DOCTYPE html><html><head>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "JobPosting",
 "title": "Kế toán", "identifier": "J-1", "hiringOrganization": "Công ty A", "jobLocation": "Hà Nội"}</script>
</head><body></body></html>"""


def _prefect_logs(run_id: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    return "\n".join(entry.message for entry in logs)


@pytest.mark.usefixtures("prefect_harness")
def test_a_urls_file_is_read_as_urls_only_and_never_echoed(database_url: str, prefect_api_url: str,
                                                           tmp_path: Path) -> None:
    with StaticSite({"/job/1": JOB_PAGE}) as site:
        listing = tmp_path / "shadow"
        listing.write_text(f"root:$6${SECRET}:19000:0:99999:7:::\n# a comment\ndaemon:*:{SECRET}x::\n"
                           f"{site.url('/job/1')}\npassword={SECRET}\n")
        run = run_cli("scrape", "--source", "jsonld", "--urls", str(listing), "--delay", "0", "--json",
                      env=cli_env(JOBINSIGHT_DATABASE_URL=database_url, PREFECT_API_URL=prefect_api_url,
                                  JOBINSIGHT_ARCHIVE_ROOT=str(tmp_path / "archive")))
    assert run.returncode == 0, run.stderr[-3000:]
    assert SECRET not in run.stdout + run.stderr
    doc = json.loads(run.stdout)
    assert doc["stats"]["extra"]["inserted"] == 1
    assert "3 lines were not URLs" in doc["message"]
    runs = sql_rows(database_url, "SELECT message, options::text FROM jobinsight_monitoring.pipeline_runs")
    assert runs and SECRET not in json.dumps(runs, default=str)
    from prefect.artifacts import Artifact

    assert SECRET not in Artifact.get("scrape-summary").data
    assert SECRET not in _prefect_logs(doc["run_id"])


def test_a_file_with_no_urls_is_a_one_paragraph_error_without_its_content(database_url: str, tmp_path: Path,
                                                                        cli_main: CliMain) -> None:
    listing = tmp_path / "shadow"
    listing.write_text(f"root:$6${SECRET}:19000:0:99999:7:::\n")
    run = cli_main("scrape", "--source", "jsonld", "--urls", str(listing), JOBINSIGHT_DATABASE_URL=database_url)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr[-3000:]
    assert SECRET not in run.stdout + run.stderr
    assert "1 lines that are not http(s) URLs (not shown)" in run.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _forms(database_url: str) -> dict[str, str]:
    """The test database in every form libpq accepts, each with the password in it."""
    parts = urlsplit(database_url)
    dbname = parts.path.lstrip("/")
    query = dict(p.split("=", 1) for p in parts.query.split("&") if p)
    # the embedded server's URL names a socket folder in ?host=, an external one host:port
    host = query.get("host") or parts.hostname
    port = query.get("port") or parts.port or 5432
    return {
        "query": f"postgresql://postgres@/{dbname}?host={host}&port={port}&password={SECRET}",
        "keyvalue": f"host={host} port={port} dbname={dbname} user=postgres password={SECRET}",
        "quoted-keyvalue": f"host={host} port={port} dbname={dbname} user=postgres password='{SECRET} x'",
        "hash": f"postgresql://postgres:{SECRET}#x@/{dbname}?host={host}&port={port}",
    }


@pytest.mark.parametrize("form", ["query", "keyvalue", "quoted-keyvalue", "hash"])
def test_every_database_url_form_is_masked(database_url: str, form: str, cli_main: CliMain) -> None:
    """Every command that shows the database, for every form, through the CLI entry point in this
    process; the subprocess case below runs the real command once."""
    url = _forms(database_url)[form]
    for command in (["db", "url"], ["db", "status"], ["db", "init"], ["db", "status", "--json"]):
        run = cli_main(*command, "--database-url", url)
        assert run.returncode == 0, (command, run.stderr[-2000:])
        assert SECRET not in run.stdout + run.stderr, (command, run.stdout, run.stderr)
    shown = cli_main("db", "url", "--database-url", url, "--show-password")
    assert SECRET in shown.stdout  # asked for explicitly


def test_a_real_cli_process_masks_the_password(database_url: str) -> None:
    """The subprocess case: everything a real ``db status --json`` process prints is masked."""
    url = _forms(database_url)["quoted-keyvalue"]
    run = run_cli("db", "status", "--json", "--database-url", url, env=cli_env())
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout)["schema_ready"] is True
    assert SECRET not in run.stdout + run.stderr, (run.stdout, run.stderr)


@pytest.mark.parametrize("url", [
    "host=127.0.0.1 port={port} user=u password={secret} connect_timeout=2",
    "postgresql://u@127.0.0.1:{port}/db?password={secret}&connect_timeout=2",
    "postgresql://u:{secret}#x@127.0.0.1:{port}/db",
    "postgresql://u:{secret}/@x@127.0.0.1:{port}/db",  # not even valid for libpq: its error quotes the value
], ids=["keyvalue", "query", "hash", "slash-in-password"])
def test_errors_do_not_show_the_password(url: str, cli_main: CliMain) -> None:
    """In this process (``cli_main``); a real process's unreachable-database error is checked in
    test_secrets.py::test_the_cli_never_shows_the_password."""
    url = url.format(port=_free_port(), secret=SECRET)
    for command in (["db", "status"], ["db", "init"], ["process"]):
        run = cli_main(*command, "--database-url", url)
        assert run.returncode == 2, (command, run.stderr[-2000:])
        assert SECRET not in run.stdout + run.stderr, (command, run.stderr)
        assert "Traceback" not in run.stderr


HOSTILE = ('<img src=x onerror=alert(1)> <script>alert(2)</script> [x](javascript:alert(3)) '
           'a | b | c\n# heading <a href="javascript:alert(4)">y</a> ![i](http://evil/p.png)')


def _render(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def test_web_text_is_escaped_in_markdown_artifacts() -> None:
    scrape = PipelineResult(success=True, flow="scrape", run_id="r1", message=f"problem at {HOSTILE}",
                            stats=PipelineStats(extra={"mode": "all"}))
    process = scrape.model_copy(update={"flow": "process", "message": HOSTILE})
    full = combine_results("r2", "all", {"scrape": scrape, "process": process}, 1.0)
    for markdown in (summary_markdown(scrape), summary_markdown(process), full_summary_markdown(full)):
        html = _render(markdown)
        assert "<img" not in html and "<script" not in html and "<a " not in html, html
        assert "javascript:" not in html.replace("javascript:alert", "") or 'href="javascript' not in html
        assert 'href="javascript' not in html and "<h1>heading" not in html
        assert "onerror=alert(1)" in html  # shown as the text it is
    # the full summary's table keeps its five columns in every row
    rows = [line for line in _render(full_summary_markdown(full)).splitlines() if line.startswith("<tr>")]
    body = _render(full_summary_markdown(full))
    assert body.count("<td>") == 2 * 5 and len(rows) == 3
