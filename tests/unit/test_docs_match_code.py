"""The README documents what the code does: every environment variable, every CLI command."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from jobinsight.cli import app
from jobinsight.config import ENV_VARS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_environment_variable_is_documented() -> None:
    missing = [name for name in ENV_VARS if f"`{name}`" not in README]
    assert missing == []


def test_every_cli_command_is_documented() -> None:
    runner = CliRunner()
    top = runner.invoke(app, ["--help"]).output
    db = runner.invoke(app, ["db", "--help"]).output
    commands = [c for c in ("process", "scrape", "run", "deploy") if f" {c} " in top]
    commands += [f"db {c}" for c in ("init", "status", "url", "stop") if f" {c} " in db]
    assert "db status" in commands and "process" in commands
    missing = [c for c in commands if f"`jobinsight {c}" not in README]
    assert missing == []
