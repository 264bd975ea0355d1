"""prefect.yaml, checked without a server: it is what Prefect's own model accepts, every
deployment states its pipeline mode, the schedules and the trigger are the required ones, and
the trigger's templates render into valid flow parameters for a scrape's event and for an
external crawler's event with no payload (rendered by the same code the server uses).
"""

from __future__ import annotations

import copy
import importlib
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
import yaml

from jobinsight.options import PipelineOptions
from tests.e2e.stack import REPO_ROOT

SPEC: dict = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
BY_NAME: dict[str, dict] = {d["name"]: d for d in SPEC["deployments"]}


def _trigger() -> dict:
    (trigger,) = BY_NAME["jobinsight-process"]["triggers"]
    return trigger


def test_prefect_accepts_the_file_and_it_defines_the_four_deployments() -> None:
    from prefect.cli.deploy._models import PrefectYamlModel

    model = PrefectYamlModel.model_validate(SPEC)
    assert [d.name for d in model.deployments] == [
        "jobinsight-scrape", "jobinsight-process", "jobinsight-full", "jobinsight-process-retry"]
    assert {d.work_pool.name for d in model.deployments} == {"jobinsight"}
    assert SPEC["pull"] == [{"prefect.deployments.steps.set_working_directory": {
        "directory": "{{ $JOBINSIGHT_PROJECT_DIR }}"}}]
    for deployment in model.deployments:
        assert deployment.work_pool.job_variables["env"]["JOBINSIGHT_DB_BLOCK"] == "{{ $JOBINSIGHT_DB_BLOCK }}"


def _parameter_sets() -> list[tuple[str, dict]]:
    sets = []
    for name, deployment in BY_NAME.items():
        sets.append((name, deployment["parameters"]))
        sets += [(f"{name} schedule", s["parameters"]) for s in deployment.get("schedules") or [] if "parameters" in s]
        sets += [(f"{name} trigger", t["parameters"]) for t in deployment.get("triggers") or []]
    return sets


@pytest.mark.parametrize(("where", "parameters"), _parameter_sets(), ids=[w for w, _ in _parameter_sets()])
def test_every_parameter_set_states_its_pipeline_mode(where: str, parameters: dict) -> None:
    # The deployment's object parameter replaces the flow's whole `options`, so a missing
    # pipeline_mode would silently mean the default, "all".
    assert parameters["options"]["pipeline_mode"] in ("scrapeOnly", "processOnly", "all"), where


@pytest.mark.parametrize(("name", "mode"), [("jobinsight-scrape", "scrapeOnly"), ("jobinsight-process", "processOnly"),
                                            ("jobinsight-full", "all"), ("jobinsight-process-retry", "processOnly")])
def test_parameters_fit_the_flow_they_start(name: str, mode: str) -> None:
    deployment = BY_NAME[name]
    path, function = deployment["entrypoint"].split(":")
    flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), function)
    checked = flow.validate_parameters(copy.deepcopy(deployment["parameters"]))
    assert isinstance(checked["options"], PipelineOptions)
    assert checked["options"].pipeline_mode == mode
    if name == "jobinsight-process-retry":
        assert checked["options"].retry_failed is True


def test_schedules_and_concurrency() -> None:
    def crons(name: str) -> list[tuple[str, str]]:
        return [(s["cron"], s["timezone"]) for s in BY_NAME[name].get("schedules") or []]

    assert crons("jobinsight-scrape") == [("0 6 * * *", "Asia/Ho_Chi_Minh")]
    assert crons("jobinsight-process") == [("2 11 * * *", "Asia/Ho_Chi_Minh")]
    assert crons("jobinsight-full") == []
    assert BY_NAME["jobinsight-scrape"]["concurrency_limit"]["limit"] == 1
    assert "concurrency_limit" not in BY_NAME["jobinsight-process"]  # triggered runs may overlap
    assert BY_NAME["jobinsight-scrape"]["parameters"]["options"]["source"] == "topcv"


def test_trigger_listens_for_scrape_completed_from_any_source() -> None:
    from prefect.cli.deploy._triggers import _initialize_deployment_triggers
    from prefect.events.schemas.events import Resource

    (trigger,) = _initialize_deployment_triggers("jobinsight-process", [copy.deepcopy(_trigger())])
    assert trigger.expect == {"jobinsight.scrape.completed"}
    assert trigger.posture == "Reactive" and trigger.threshold == 1
    for source in ("jobinsight.source.topcv", "jobinsight.source.demo", "jobinsight.source.external"):
        assert trigger.match.matches(Resource({"prefect.resource.id": source}))
    assert not trigger.match.matches(Resource({"prefect.resource.id": "jobinsight.process"}))


def _render(payload: dict, resource_id: str) -> dict[str, Any]:
    """The trigger's parameters rendered for one event, as the server's RunDeployment action does."""
    from prefect.server.events.actions import RunDeployment
    from prefect.server.events.schemas.events import ReceivedEvent
    from prefect.utilities.schema_tools.hydration import HydrationContext, hydrate

    event = ReceivedEvent(occurred=datetime.now(UTC), event="jobinsight.scrape.completed",
                          resource={"prefect.resource.id": resource_id}, payload=payload, id=uuid4())
    parameters = copy.deepcopy(_trigger()["parameters"])
    RunDeployment._upgrade_v1_templates(parameters)
    return hydrate(parameters, HydrationContext(raise_on_error=True, render_jinja=True,
                                                jinja_context={"event": event}))


def test_trigger_parameters_carry_the_scrape_run_and_its_counts() -> None:
    payload = {"flow_run_id": "0b1c", "source": "topcv", "jobs_found": 40, "inserted": 30, "updated": 5,
               "unchanged": 5, "quarantined": 0, "pages_fetched": 2}
    rendered = _render(payload, "jobinsight.source.topcv")
    assert PipelineOptions(**rendered["options"]).pipeline_mode == "processOnly"
    trigger = rendered["trigger"]
    assert (trigger["scrape_flow_run_id"], trigger["source"], trigger["payload"]) == ("0b1c", "topcv", payload)
    assert trigger["resource_id"] == "jobinsight.source.topcv" and trigger["event"] == "jobinsight.scrape.completed"


def test_trigger_parameters_render_for_an_external_crawler_without_payload() -> None:
    rendered = _render({}, "jobinsight.source.external")
    trigger = rendered["trigger"]
    assert (trigger["scrape_flow_run_id"], trigger["source"], trigger["payload"]) == (None, None, {})
    assert trigger["resource_id"] == "jobinsight.source.external"
