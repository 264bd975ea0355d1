"""The ``jobinsight`` launcher's choice: which commands may go to the warm runner, and with which key."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobinsight.launcher import _warm_home, command_name
from jobinsight.warm.identity import runner_key


@pytest.mark.parametrize(("argv", "name"), [
    (["process", "--json"], "process"), (["-v", "run", "--mode", "all"], "run"), (["--verbose", "scrape"], "scrape"),
    (["--help"], None), ([], None), (["db", "status"], "db"),
])
def test_the_command_name_skips_global_flags(argv: list[str], name: str | None) -> None:
    assert command_name(argv) == name


def test_only_flow_commands_without_help_go_warm(tmp_path: Path) -> None:
    env = {"JOBINSIGHT_HOME": f" {tmp_path} "}
    assert _warm_home(["process"], env) == tmp_path
    assert _warm_home(["-v", "run", "--mode", "all"], env) == tmp_path
    for argv in (["db", "status"], ["deploy"], ["process", "--help"], ["run", "-h"], ["stop"]):
        assert _warm_home(argv, env) is None, argv


@pytest.mark.parametrize(("value", "warm"), [
    ("", True), ("true", True), ("YES", True), ("1", True), ("false", False), ("off", False), ("0", False),
    ("maybe", False),  # not understood: the cold path's settings model explains it
])
def test_jobinsight_warm_start_is_read_as_the_settings_model_reads_a_boolean(tmp_path: Path, value: str,
                                                                              warm: bool) -> None:
    env = {"JOBINSIGHT_HOME": str(tmp_path), "JOBINSIGHT_WARM_START": value}
    assert (_warm_home(["process"], env) is not None) is warm


def test_the_runner_key_follows_import_time_variables_only() -> None:
    base = {"PATH": "/usr/bin", "PREFECT_API_URL": "http://127.0.0.1:1/api"}
    key = runner_key(base)
    assert runner_key(dict(base, JOBINSIGHT_DETAIL_BUDGET="5", TERM="xterm")) == key  # read at run time
    for name, value in (("PREFECT_LOGGING_LEVEL", "DEBUG"), ("PYTHONPATH", "/x"), ("LC_ALL", "C"), ("LANG", "C")):
        assert runner_key(dict(base, **{name: value})) != key, name
