"""CLI commands for the Prefect side: ``server start|stop|status``, ``stop`` and ``worker``.

Kept apart from ``cli.py`` (which registers them) so the pipeline commands and these evolve
separately; the logic lives in ``jobinsight.prefect_server`` and ``jobinsight.worker``.
"""

from __future__ import annotations

import os
import time
from typing import Annotated

import typer

server_app = typer.Typer(help="The local Prefect server (the default Prefect API): start, stop, status.",
                         no_args_is_help=True, rich_markup_mode=None)


def _describe(state, started_now: bool | None = None) -> str:  # noqa: ANN001 - ServerState
    how = "" if started_now is None else (" (started now)" if started_now else " (already running)")
    return (f"Prefect server{how}: UI {state.ui_url}  API {state.api_url}  PID {state.pid}\n"
            f"its database and log: {state.home}")


@server_app.command("start")
def server_start() -> None:
    """Start the local Prefect server (or find it running) and print where its UI is."""
    from jobinsight.prefect_server import ensure_server

    state, started = ensure_server()
    typer.echo(_describe(state, started))
    if os.environ.get("PREFECT_API_URL") and os.environ["PREFECT_API_URL"] != state.api_url:
        typer.echo(f"note: PREFECT_API_URL is set to {os.environ['PREFECT_API_URL']}, so commands use that server, "
                   "not this one.", err=True)


@server_app.command("status")
def server_status() -> None:
    """Whether the local Prefect server runs, and its UI and API URLs (exit code 1 when it does not run)."""
    from jobinsight.prefect_server import running_server, server_dir

    state = running_server()
    if state is None:
        typer.echo(f"the local Prefect server is not running (it starts on first use; home {server_dir()})")
        raise SystemExit(1)
    typer.echo(_describe(state) + f"\nup {time.time() - state.started_at:.0f} s")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local Prefect server (it starts again on next use)."""
    from jobinsight.prefect_server import stop

    state = stop()
    typer.echo(f"stopped the Prefect server (PID {state.pid})" if state else "the local Prefect server was not running")


def stop_cmd() -> None:
    """Stop everything running locally: the warm runner, the Prefect server and the embedded PostgreSQL server."""
    from jobinsight.config import home_dir
    from jobinsight.db.embedded import stop_server
    from jobinsight.prefect_server import stop
    from jobinsight.warm.client import stop_runner

    runner = stop_runner(home_dir())
    typer.echo(f"stopped the warm runner (PID {runner})" if runner else "the warm runner was not running")
    state = stop()
    typer.echo(f"stopped the Prefect server (PID {state.pid})" if state else "the local Prefect server was not running")
    typer.echo("stopped the embedded PostgreSQL server" if stop_server()
               else "the embedded PostgreSQL server was not running")


def worker_cmd(
    pool: Annotated[str, typer.Option("--pool", help="Work pool to poll.")] = "jobinsight",
    limit: Annotated[int | None, typer.Option("--limit", help="Flow runs at once at most.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Worker name (default: Prefect's).")] = None,
) -> None:
    """Start a Prefect worker for the deployments (`jobinsight deploy`), on the same Prefect API as the CLI.

    One Ctrl-C (SIGINT) or SIGTERM: an idle worker stops at once; a busy one takes no new runs,
    says which runs it waits for, and stops when they finish. A second one stops it now.
    """
    from jobinsight.prefect_server import prefect_api

    with prefect_api() as local_url:
        from jobinsight.worker import run_worker

        api_url = local_url or os.environ.get("PREFECT_API_URL")
        typer.echo(f"worker for pool {pool!r} on {api_url or 'the Prefect API of your profile'}; "
                   "stop it with Ctrl-C", err=True)
        code = run_worker(pool, limit, name)
    raise SystemExit(code)
