"""Deploy JobInsight ETL to a Prefect server: work pool, database block, then ``prefect.yaml``.

``prefect deploy --all`` refuses to deploy to a work pool that does not exist and cannot
create the database block, so a fresh server needs two steps before it; this script (also
``jobinsight deploy``) does all three, idempotently, so it can be re-run after every change:

1. create the ``jobinsight`` process work pool if it is missing;
2. with ``--database-url``: create or update the ``SqlAlchemyConnector`` block (``--block``,
   default ``jobinsight-db``) that workers take the database from — the password is stored
   as a secret and never printed;
3. apply ``prefect.yaml`` with ``prefect deploy --all`` from the repository root, with
   ``JOBINSIGHT_DB_BLOCK`` set to that block so the deployments' runs use it.

Where a worker finds the code (the deployments' ``pull`` step), like ``prefect init`` writes it:
by default the clone's absolute path (``set_working_directory``), so a plain ``prefect worker
start --pool jobinsight`` started in any folder of this machine runs the flows; with
``--git-repo URL`` a ``git_clone`` step instead, for workers on other machines.

Usage (from anywhere; the server is the one in ``PREFECT_API_URL``, else the local one)::

    python deployments/setup.py [--database-url URL] [--block NAME] [--git-repo URL [--git-branch B]] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

from jobinsight.db.urls import mask_url, passwords_of, scrub, to_libpq
from jobinsight.errors import UserFacingError
from jobinsight.settings import get_settings

PROJECT_DIR = Path(__file__).resolve().parents[1]
WORK_POOL = "jobinsight"
DEFAULT_BLOCK = "jobinsight-db"
#: prefect.yaml's pull step reads it; set to the clone's absolute path while deploying, so Prefect
#: writes that path into every deployment (what ``prefect init`` does for a local project).
PROJECT_DIR_VARIABLE = "JOBINSIGHT_PROJECT_DIR"
SET_WORKING_DIRECTORY = "prefect.deployments.steps.set_working_directory"
GIT_CLONE = "prefect.deployments.steps.git_clone"


class DeployError(UserFacingError):
    """Deploying cannot go on; the message says what to change."""


@dataclass
class DeployReport:
    """What a deploy did (printed by the CLI, as JSON under ``--json``)."""

    api_url: str
    work_pool: str
    work_pool_created: bool = False
    block: str | None = None
    block_saved: bool = False
    database: str | None = None
    deployments: list[str] = field(default_factory=list)
    #: The pull step every deployment got: where workers take the code from.
    pull: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def api_url() -> str:
    """The Prefect API this deploys to: PREFECT_API_URL, else the local server (started if needed).

    Deploying to Prefect's temporary in-process server would be pointless (it is gone when this
    exits), so with ``JOBINSIGHT_PREFECT_SERVER=temporary`` and no URL this stops with advice.
    """
    from jobinsight.prefect_server import use_local_server_if_unset

    local = use_local_server_if_unset()
    if local:
        return local
    url = os.environ.get("PREFECT_API_URL")
    if not url:
        from prefect.settings import get_current_settings

        url = get_current_settings().api.url
    if not url:
        raise DeployError(
            "PREFECT_API_URL is not set and JOBINSIGHT_PREFECT_SERVER=temporary, so there is no Prefect server "
            "to deploy to. Unset JOBINSIGHT_PREFECT_SERVER to deploy to the local server (`jobinsight server "
            "start`), or set PREFECT_API_URL to your server, e.g. `export PREFECT_API_URL=http://127.0.0.1:4200/api`."
        )
    return str(url)


async def _check_api(url: str) -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        problem = await client.api_healthcheck()
    if problem is not None:
        raise DeployError(
            f"The Prefect API at {url} is unreachable ({type(problem).__name__}: "
            f"{scrub(str(problem)).splitlines()[0] if str(problem) else 'no answer'}). Check that the server "
            "is running (`prefect server start`) and that PREFECT_API_URL points at it."
        )


async def _ensure_work_pool(name: str) -> bool:
    """Create the process work pool unless it exists; True when created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    async with get_client() as client:
        try:
            pool = await client.read_work_pool(name)
        except ObjectNotFound:
            await client.create_work_pool(WorkPoolCreate(
                name=name, type="process", description="JobInsight ETL: flow runs as processes on each worker.",
                base_job_template=ProcessWorker.get_default_base_job_template(),
            ))
            return True
    if pool.type != "process":
        raise DeployError(
            f"The work pool {name!r} exists with type {pool.type!r}, but prefect.yaml needs a process pool. "
            f"Delete it (`prefect work-pool delete {name}`) or rename it, then run this again."
        )
    return False


async def _block_exists(name: str) -> bool:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    async with get_client() as client:
        try:
            await client.read_block_document_by_name(name, block_type_slug="sqlalchemy-connector")
        except ObjectNotFound:
            return False
    return True


def connector_for(database_url: str):  # noqa: ANN201 - prefect_sqlalchemy is imported lazily
    """A ``SqlAlchemyConnector`` holding ``database_url`` as parts (the password as a secret)."""
    from prefect_sqlalchemy import ConnectionComponents, SqlAlchemyConnector, SyncDriver

    url = to_libpq(database_url)
    parts = urlsplit(url)
    if parts.scheme != "postgresql":
        raise DeployError(f"--database-url must be a PostgreSQL URL (postgresql://…), not {mask_url(url)!r}.")
    components = ConnectionComponents(
        driver=SyncDriver.POSTGRESQL_PSYCOPG2,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        host=parts.hostname,
        port=parts.port,
        database=unquote(parts.path.lstrip("/")) or None,
        query=dict(parse_qsl(parts.query)) or None,
    )
    return SqlAlchemyConnector(connection_info=components)


def save_database_block(database_url: str, name: str) -> str:
    """Create or update the block; returns the URL with its password masked."""
    try:
        connector_for(database_url).save(name, overwrite=True)
    except DeployError:
        raise
    except Exception as exc:
        raise DeployError(
            f"Could not save the SqlAlchemyConnector block {name!r}: "
            f"{scrub(str(exc), passwords_of(database_url))}"
        ) from None
    return mask_url(to_libpq(database_url))


def deployment_names(prefect_file: Path) -> list[str]:
    """The deployments prefect.yaml defines, in order."""
    with prefect_file.open(encoding="utf-8") as handle:
        spec = yaml.safe_load(handle) or {}
    return [d["name"] for d in spec.get("deployments", [])]


def _prefect_command() -> list[str]:
    """The Prefect CLI of this interpreter (same virtualenv as the flows)."""
    return [sys.executable, "-m", "prefect"]


def pull_steps(project_dir: Path, git_repo: str | None = None, git_branch: str | None = None) -> list[dict]:
    """The deployments' pull step: the clone's absolute path, or a git clone for other machines."""
    if git_repo:
        step: dict = {"repository": git_repo}
        if git_branch:
            step["branch"] = git_branch
        return [{GIT_CLONE: step}]
    return [{SET_WORKING_DIRECTORY: {"directory": str(project_dir.resolve())}}]


def _prefect_file_with_pull(prefect_file: Path, pull: list[dict], folder: Path) -> Path:
    """A copy of prefect.yaml whose ``pull`` section is ``pull`` (the original stays untouched)."""
    with prefect_file.open(encoding="utf-8") as handle:
        spec = yaml.safe_load(handle) or {}
    spec["pull"] = pull
    copy = folder / "prefect.yaml"
    copy.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return copy


def apply_prefect_yaml(project_dir: Path, block: str | None, *, echo=None,  # noqa: ANN001
                       pull: list[dict] | None = None, prefect_file: Path | None = None) -> None:
    """``prefect deploy --all`` from the repository root; raises DeployError with its output on failure."""
    env = dict(os.environ)
    env[PROJECT_DIR_VARIABLE] = str(project_dir.resolve())  # written into the pull step as an absolute path
    env["JOBINSIGHT_DB_BLOCK"] = block or ""  # empty: each worker's own JOBINSIGHT_DATABASE_URL / embedded
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    prefect_file = prefect_file or project_dir / "prefect.yaml"
    with tempfile.TemporaryDirectory(prefix="jobinsight-deploy-") as scratch:
        if pull is not None:
            prefect_file = _prefect_file_with_pull(prefect_file, pull, Path(scratch))
        proc = subprocess.run(
            [*_prefect_command(), "--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file)],
            cwd=project_dir, env=env, capture_output=True, text=True, check=False,
        )
    output = scrub((proc.stdout or "") + (proc.stderr or ""))
    if echo is not None:
        echo(output)
    if proc.returncode != 0:
        tail = " ".join(line.strip() for line in output.strip().splitlines()[-8:])
        raise DeployError(f"`prefect deploy --all` failed (exit {proc.returncode}) in {project_dir}: {tail}")


def block_choice(block: str | None) -> tuple[str, bool]:
    """(the database block to use, whether it was named) from ``--block``, else JOBINSIGHT_DB_BLOCK.

    Read through the settings model like every other variable, so an empty or blank value counts
    as unset here exactly as it does for the flows that later load the block. A named block that
    does not exist is an error; the default one is optional.
    """
    if block:
        return block, True
    configured = get_settings().db_block
    return (configured, True) if configured else (DEFAULT_BLOCK, False)


def deploy(database_url: str | None = None, block: str | None = None, project_dir: Path = PROJECT_DIR,
           echo=None, git_repo: str | None = None, git_branch: str | None = None,  # noqa: ANN001 - print-like
           prefect_file: Path | None = None) -> DeployReport:
    """Work pool, block, deployments — see the module docstring."""
    get_settings()  # a bad JOBINSIGHT_*/ETL_* value stops here, before any server is started or touched
    prefect_file = prefect_file or project_dir / "prefect.yaml"
    if not prefect_file.is_file():
        raise DeployError(f"No prefect.yaml in {project_dir}: run this from a clone of the repository.")
    url = api_url()
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url}):  # even if Prefect read its settings before
        return _deploy_to(url, database_url, block, project_dir, echo, git_repo, git_branch, prefect_file)


def _deploy_to(url: str, database_url: str | None, block: str | None, project_dir: Path, echo,  # noqa: ANN001
               git_repo: str | None, git_branch: str | None, prefect_file: Path) -> DeployReport:
    asyncio.run(_check_api(url))
    report = DeployReport(api_url=url, work_pool=WORK_POOL)
    report.work_pool_created = asyncio.run(_ensure_work_pool(WORK_POOL))

    block, named = block_choice(block)
    if database_url:
        report.database = save_database_block(database_url, block)
        report.block, report.block_saved = block, True
    elif asyncio.run(_block_exists(block)):
        report.block = block
    elif named:
        raise DeployError(
            f"There is no SqlAlchemyConnector block named {block!r} on {url}. Pass --database-url to create it, "
            "or leave out --block (and JOBINSIGHT_DB_BLOCK) to let each worker use its own JOBINSIGHT_DATABASE_URL."
        )
    else:
        report.notes.append(
            f"No database block: runs use each worker's JOBINSIGHT_DATABASE_URL (or its embedded server). "
            f"Pass --database-url to store one database for all workers in the block {DEFAULT_BLOCK!r}."
        )

    report.pull = pull_steps(project_dir, git_repo, git_branch)
    apply_prefect_yaml(project_dir, report.block, echo=echo, pull=report.pull, prefect_file=prefect_file)
    report.deployments = deployment_names(prefect_file)
    if git_repo:
        report.notes.append(
            f"Runs clone {git_repo} on the worker. Start workers on any machine with the project installed: "
            f"PREFECT_API_URL={url} prefect worker start --pool {WORK_POOL}"
        )
    else:
        report.notes.append(
            f"Runs start in {project_dir.resolve()}. Start a worker on this machine, in any folder: "
            f"jobinsight worker (or PREFECT_API_URL={url} prefect worker start --pool {WORK_POOL})"
        )
    return report


def human_summary(report: DeployReport) -> str:
    """The report for people."""
    lines = [
        f"Prefect API: {report.api_url}",
        f"work pool: {report.work_pool} ({'created' if report.work_pool_created else 'already there'})",
    ]
    if report.block:
        detail = f"saved: {report.database}" if report.block_saved else "existing"
        lines.append(f"database block: {report.block} ({detail})")
    lines.append("deployments: " + ", ".join(report.deployments))
    lines += report.notes
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL to store in the database block for all workers.")
    parser.add_argument("--block", help=f"SqlAlchemyConnector block name (default: {DEFAULT_BLOCK}).")
    parser.add_argument("--git-repo", help="Workers clone this git URL instead of using this clone's path.")
    parser.add_argument("--git-branch", help="Branch (or tag) the workers clone (with --git-repo).")
    parser.add_argument("--json", action="store_true", help="Print one JSON document on stdout.")
    args = parser.parse_args(argv)
    try:
        report = deploy(args.database_url, args.block, echo=lambda text: print(text, file=sys.stderr),
                        git_repo=args.git_repo, git_branch=args.git_branch)
    except UserFacingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_dict(), indent=2) if args.json else human_summary(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
