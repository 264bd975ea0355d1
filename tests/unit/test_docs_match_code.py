"""The README documents what the code does: every environment variable, every CLI command."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from jobinsight.cli import app
from jobinsight.settings import markdown_table

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_configuration_table_is_the_settings_model() -> None:
    """The README's table between the markers is exactly what the settings model generates
    (regenerate it with ``python -m jobinsight.settings``)."""
    start, end = "<!-- settings-table:start -->\n", "\n<!-- settings-table:end -->"
    assert start in README and end in README
    documented = README.split(start, 1)[1].split(end, 1)[0]
    assert documented == markdown_table()


def test_every_cli_command_is_documented() -> None:
    runner = CliRunner()
    top = runner.invoke(app, ["--help"]).output
    db = runner.invoke(app, ["db", "--help"]).output
    commands = [c for c in ("process", "scrape", "run", "deploy") if f" {c} " in top]
    commands += [f"db {c}" for c in ("init", "status", "url", "stop") if f" {c} " in db]
    assert "db status" in commands and "process" in commands
    missing = [c for c in commands if f"`jobinsight {c}" not in README]
    assert missing == []
