"""prefect.yaml, checked without a server: every part of it is what Prefect's public models
accept (schedules, concurrency, trigger, pull step), every deployment states its pipeline mode,
the schedules and the trigger are the required ones, and the trigger's templates render into
valid flow parameters for a scrape's event and for an external crawler's event with no payload
(rendered by the server's own RunDeployment action, from the automation the trigger becomes).

Only public Prefect API is used here (no ``prefect.cli.deploy._*`` or underscore methods), so a
Prefect upgrade that moves its internals does not break this test; applying the file for real
(``prefect deploy --all``) is tests/e2e/test_deployments.py's job.
"""

from __future__ import annotations

import asyncio
import copy
import importlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import yaml
from prefect.client.schemas.objects import ConcurrencyLimitConfig
from prefect.client.schemas.schedules import construct_schedule
from prefect.events import DeploymentTriggerTypes
from prefect.events.schemas.events import Resource
from prefect.server.events.schemas.automations import Automation, Firing, TriggeredAction, TriggerState
from prefect.server.events.schemas.events import ReceivedEvent
from prefect.utilities.importtools import import_object
from pydantic import PositiveInt, TypeAdapter

from jobinsight.options import PipelineOptions

REPO_ROOT = Path(__file__).resolve().parents[2]

SPEC: dict = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
BY_NAME: dict[str, dict] = {d["name"]: d for d in SPEC["deployments"]}


def _trigger() -> dict:
    (trigger,) = BY_NAME["jobinsight-process"]["triggers"]
    return trigger


def _as_deployment_trigger(spec: dict) -> Any:
    """A trigger of prefect.yaml as Prefect's deployment-trigger model reads it (what `prefect deploy` does)."""
    return TypeAdapter(DeploymentTriggerTypes).validate_python(copy.deepcopy(spec))


def _deployment_trigger() -> Any:
    """The process deployment's trigger, validated."""
    return _as_deployment_trigger(_trigger())


def test_prefect_accepts_the_file_and_it_defines_the_four_deployments() -> None:
    assert [d["name"] for d in SPEC["deployments"]] == [
        "jobinsight-scrape", "jobinsight-process", "jobinsight-full", "jobinsight-process-retry"]
    assert {d["work_pool"]["name"] for d in SPEC["deployments"]} == {"jobinsight"}
    assert SPEC["pull"] == [{"prefect.deployments.steps.set_working_directory": {
        "directory": "{{ $JOBINSIGHT_PROJECT_DIR }}"}}]
    (step,) = SPEC["pull"][0]
    assert callable(import_object(step))  # the pull step is one Prefect has
    for deployment in SPEC["deployments"]:
        assert deployment["work_pool"]["job_variables"]["env"]["JOBINSIGHT_DB_BLOCK"] == "{{ $JOBINSIGHT_DB_BLOCK }}"
        for schedule in deployment.get("schedules") or []:
            construct_schedule(cron=schedule["cron"], timezone=schedule["timezone"])
            assert isinstance(schedule.get("active", True), bool)
        if "concurrency_limit" in deployment:
            # a bare limit or a limit with its collision strategy, as `prefect deploy` takes it
            TypeAdapter(PositiveInt | ConcurrencyLimitConfig).validate_python(deployment["concurrency_limit"])
        for trigger in deployment.get("triggers") or []:
            _as_deployment_trigger(trigger)


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
    trigger = _deployment_trigger()
    assert trigger.name == "jobinsight-process-on-scrape-completed"
    assert trigger.expect == {"jobinsight.scrape.completed"}
    assert trigger.posture == "Reactive" and trigger.threshold == 1
    for source in ("jobinsight.source.topcv", "jobinsight.source.demo", "jobinsight.source.external"):
        assert trigger.match.matches(Resource({"prefect.resource.id": source}))
    assert not trigger.match.matches(Resource({"prefect.resource.id": "jobinsight.process"}))


def _render(payload: dict, resource_id: str) -> dict[str, Any]:
    """The trigger's parameters rendered for one event, as the server does it: the trigger becomes
    an automation (as ``prefect deploy`` creates it), whose RunDeployment action renders them."""
    trigger = _deployment_trigger()
    trigger.set_deployment_id(uuid4())
    automation = Automation.model_validate({**trigger.as_automation().model_dump(mode="json"), "id": str(uuid4())})
    (action,) = automation.actions
    now = datetime.now(UTC)
    event = ReceivedEvent(occurred=now, event="jobinsight.scrape.completed",
                          resource={"prefect.resource.id": resource_id}, payload=payload, id=uuid4())
    firing = Firing(trigger=automation.trigger, trigger_states={TriggerState.Triggered}, triggered=now,
                    triggering_event=event)
    triggered = TriggeredAction(automation=automation, firing=firing, triggered=now, triggering_labels={},
                                triggering_event=event, action=action)
    return asyncio.run(action.render_parameters(triggered))


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
