"""LLM settings: off unless configured, clear errors naming the variable, the key kept secret and lazy."""

from __future__ import annotations

import json

import pytest

from jobinsight.enrich.settings import LlmConfigError, LlmSettings
from jobinsight.settings import Settings, env_names

KEY = "sk-unit-0123456789abcdef0123456789"
BASE = {"JOBINSIGHT_LLM_BASE_URL": "https://llm.example.test/v1/", "JOBINSIGHT_LLM_MODEL": "gpt-test"}


def test_not_configured_means_none() -> None:
    assert LlmSettings.from_env({}) is None
    assert LlmSettings.from_env({"JOBINSIGHT_LLM_BASE_URL": " ", "JOBINSIGHT_LLM_MODEL": ""}) is None
    assert LlmSettings.from_env({"JOBINSIGHT_LLM_API_KEY": KEY, "JOBINSIGHT_LLM_RPM": "10"}) is None


@pytest.mark.parametrize(("present", "missing"), [("JOBINSIGHT_LLM_BASE_URL", "JOBINSIGHT_LLM_MODEL"),
                                                  ("JOBINSIGHT_LLM_MODEL", "JOBINSIGHT_LLM_BASE_URL")])
def test_half_configured_is_an_error_naming_the_missing_variable(present: str, missing: str) -> None:
    with pytest.raises(LlmConfigError, match=missing):
        LlmSettings.from_env({present: BASE[present]})


def test_defaults_and_overrides() -> None:
    settings = LlmSettings.from_env(dict(BASE))
    assert settings is not None
    assert settings.base_url == "https://llm.example.test/v1"  # trailing slash dropped
    assert (settings.rpm, settings.tpm, settings.run_quota, settings.daily_quota, settings.timeout_s) == (
        60, 60_000, 1_000, 5_000, 60.0)
    for name in ("JOBINSIGHT_LLM_RPM", "JOBINSIGHT_LLM_TPM", "JOBINSIGHT_LLM_RUN_QUOTA", "JOBINSIGHT_LLM_DAILY_QUOTA",
                 "JOBINSIGHT_LLM_TIMEOUT"):
        assert Settings.model_fields[env_names()[name]].default in {60, 60_000, 1_000, 5_000}
    tuned = LlmSettings.from_env({**BASE, "JOBINSIGHT_LLM_RPM": "500", "JOBINSIGHT_LLM_TPM": "200000",
                                  "JOBINSIGHT_LLM_RUN_QUOTA": "0", "JOBINSIGHT_LLM_DAILY_QUOTA": "20",
                                  "JOBINSIGHT_LLM_TIMEOUT": "12.5", "JOBINSIGHT_LLM_API_KEY": KEY})
    assert tuned is not None
    assert (tuned.rpm, tuned.tpm, tuned.run_quota, tuned.daily_quota, tuned.timeout_s) == (500, 200_000, 0, 20, 12.5)
    assert tuned.resolve_api_key() == KEY


@pytest.mark.parametrize(("name", "value"), [("JOBINSIGHT_LLM_RPM", "lots"), ("JOBINSIGHT_LLM_TIMEOUT", "soon"),
                                             ("JOBINSIGHT_LLM_DAILY_QUOTA", "1.5")])
def test_bad_numbers_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(LlmConfigError, match=name):
        LlmSettings.from_env({**BASE, name: value})


@pytest.mark.parametrize(("name", "value"), [("JOBINSIGHT_LLM_RPM", "0"), ("JOBINSIGHT_LLM_RUN_QUOTA", "-1"),
                                             ("JOBINSIGHT_LLM_BASE_URL", "ftp://llm.example.test")])
def test_out_of_range_values_are_refused_without_echoing_the_key(name: str, value: str) -> None:
    with pytest.raises(LlmConfigError) as err:
        LlmSettings.from_env({**BASE, name: value, "JOBINSIGHT_LLM_API_KEY": KEY})
    assert KEY not in str(err.value) and KEY not in repr(err.value)


def test_the_key_is_masked_everywhere_it_could_be_shown() -> None:
    settings = LlmSettings(base_url="https://user:pw@llm.example.test/v1", model="m", api_key=KEY)
    for text in (repr(settings), str(settings), settings.model_dump_json(), json.dumps(settings.describe()),
                 str(settings.model_dump())):
        assert KEY not in text
    assert "pw" not in settings.describe()["base_url"]
    assert settings.describe()["api_key"] == "set"


def test_key_block_is_loaded_lazily_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.blocks.system import Secret

    loads: list[str] = []

    class Loaded:
        def get(self) -> str:
            return KEY

    def fake_load(cls: type, name: str, *args: object, **kwargs: object) -> Loaded:
        loads.append(name)
        return Loaded()

    monkeypatch.setattr(Secret, "load", classmethod(fake_load))
    settings = LlmSettings.from_env({**BASE, "JOBINSIGHT_LLM_API_KEY_BLOCK": "llm-key"})
    assert settings is not None and loads == []  # configuring does not touch the block
    assert settings.describe()["api_key"] == "block:llm-key"
    assert settings.resolve_api_key() == KEY and settings.resolve_api_key() == KEY
    assert loads == ["llm-key"]
    assert KEY not in repr(settings)


def test_explicit_key_wins_over_the_block(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.blocks.system import Secret

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the block must not be loaded")

    monkeypatch.setattr(Secret, "load", classmethod(never))
    settings = LlmSettings.from_env({**BASE, "JOBINSIGHT_LLM_API_KEY": KEY, "JOBINSIGHT_LLM_API_KEY_BLOCK": "x"})
    assert settings is not None and settings.resolve_api_key() == KEY


def test_unloadable_block_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.blocks.system import Secret

    def broken(cls: type, name: str, *args: object, **kwargs: object) -> None:
        raise ValueError(f"Unable to find block document named {name} (token {KEY})")

    monkeypatch.setattr(Secret, "load", classmethod(broken))
    settings = LlmSettings.from_env({**BASE, "JOBINSIGHT_LLM_API_KEY_BLOCK": "missing-block"})
    assert settings is not None
    with pytest.raises(LlmConfigError, match="missing-block") as err:
        settings.resolve_api_key()
    assert KEY not in str(err.value) and err.value.__cause__ is None


def test_no_key_at_all_is_allowed_for_local_endpoints() -> None:
    settings = LlmSettings.from_env({"JOBINSIGHT_LLM_BASE_URL": "http://127.0.0.1:11434/v1",
                                     "JOBINSIGHT_LLM_MODEL": "llama3"})
    assert settings is not None and settings.resolve_api_key() is None
