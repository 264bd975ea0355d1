"""Validation of LLM answers: what is accepted, repaired, or rejected with which reason."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobinsight.enrich.schema import (
    ANSWER_SCHEMA,
    PROMPT_VERSION,
    InvalidAnswer,
    PostingInput,
    build_messages,
    parse_answer,
)
from jobinsight.transform.capabilities import MAX_CAPABILITIES
from jobinsight.transform.enrich_rules import enrich
from jobinsight.transform.job_family import JOB_FAMILIES
from jobinsight.transform.seniority import SENIORITY_LEVELS
from jobinsight.transform.work_mode import WORK_MODES

GOOD = {
    "skills_normalized": ["reactjs", "Python", "python", " ", "Docker"],
    "seniority": "senior",
    "job_family": "backend",
    "work_mode": "hybrid",
    "languages_required": [{"language": "japanese", "level": "N2"}, {"language": "English", "level": None}],
    "capabilities": ["build backend services and APIs"],
}


def test_a_good_answer_gives_staging_columns_in_the_rules_format() -> None:
    answer = parse_answer(json.dumps(GOOD))
    skills, seniority, family, mode, languages, capabilities = answer.columns()
    assert json.loads(skills) == ["React", "Python", "Docker"]  # taxonomy names, deduplicated, blanks dropped
    assert (seniority, family, mode) == ("senior", "backend", "hybrid")
    assert json.loads(languages) == [{"language": "Japanese", "level": "N2"}, {"language": "English", "level": None}]
    assert json.loads(capabilities) == ["build backend services and APIs"]
    # the same JSON text shape the rules enricher writes (json.dumps defaults, UTF-8 kept)
    rules = enrich("Senior Python Developer", ["Python"])
    assert json.dumps(rules.capabilities, ensure_ascii=False).startswith("[")


def test_harmless_deviations_are_repaired() -> None:
    data = dict(GOOD, seniority=" Senior ", job_family="AI ML", work_mode="On-site".replace("-", ""),
                capabilities=[f"do thing {i}" for i in range(8)] + ["do thing 1"],
                languages_required=[{"language": "english", "level": 6.5}, {"language": "English", "level": "B2"}],
                extra_key="ignored")
    fenced = "```json\n" + json.dumps(data) + "\n```"
    answer = parse_answer(fenced)
    assert answer.seniority == "senior" and answer.job_family == "ai_ml" and answer.work_mode == "onsite"
    assert len(answer.capabilities) == MAX_CAPABILITIES
    assert [(x.language, x.level) for x in answer.languages_required] == [("English", "6.5")]


@pytest.mark.parametrize("content", [
    "", "   ", None, "not json at all", '{"skills_normalized": ["Java",', "```json\n{oops}\n```",
])
def test_malformed_json_is_rejected(content: object) -> None:
    with pytest.raises(InvalidAnswer) as err:
        parse_answer(content)
    assert err.value.reason == "malformed_json"


@pytest.mark.parametrize("change", [
    {"seniority": "wizard"},
    {"job_family": "astronaut"},
    {"work_mode": "sometimes"},
    {"skills_normalized": "Java"},
    {"languages_required": [{"level": "N2"}]},
    {"languages_required": "English"},
    {"capabilities": [1, 2]},
])
def test_schema_invalid_answers_are_rejected(change: dict) -> None:
    with pytest.raises(InvalidAnswer) as err:
        parse_answer(json.dumps({**GOOD, **change}))
    assert err.value.reason == "schema_invalid"


@pytest.mark.parametrize("missing", list(GOOD))
def test_every_field_is_required(missing: str) -> None:
    data = {k: v for k, v in GOOD.items() if k != missing}
    with pytest.raises(InvalidAnswer) as err:
        parse_answer(json.dumps(data))
    assert err.value.reason == "schema_invalid" and missing in str(err.value)


@pytest.mark.parametrize("content", ["[1, 2]", '"text"', "42", "null"])
def test_json_that_is_not_an_object_is_schema_invalid(content: str) -> None:
    with pytest.raises(InvalidAnswer) as err:
        parse_answer(content)
    assert err.value.reason == "schema_invalid"


def test_schema_in_the_prompt_uses_the_rules_vocabularies() -> None:
    props = ANSWER_SCHEMA["properties"]
    assert props["seniority"]["enum"] == list(SENIORITY_LEVELS)
    assert props["job_family"]["enum"] == list(JOB_FAMILIES)
    assert props["work_mode"]["enum"] == list(WORK_MODES)
    assert props["capabilities"]["maxItems"] == MAX_CAPABILITIES
    assert set(ANSWER_SCHEMA["required"]) == set(GOOD)
    assert PROMPT_VERSION


def test_prompt_carries_the_schema_and_the_posting_cut_to_size() -> None:
    posting = PostingInput(title="Kỹ sư dữ liệu", skills=("Python",), requirements="x" * 10_000, description=None)
    system, user = build_messages(posting, max_chars=500)
    assert system["role"] == "system" and json.dumps(ANSWER_SCHEMA["properties"]["job_family"]["enum"]) in \
        system["content"].replace(",", ", ")
    body = json.loads(user["content"].split("\n", 1)[1])
    assert body["title"] == "Kỹ sư dữ liệu" and "description" not in body
    assert len(body["requirements"]) < 600


@given(st.text(max_size=200))
def test_any_text_either_parses_or_raises_invalid_answer(content: str) -> None:
    try:
        parse_answer(content)
    except InvalidAnswer as err:
        assert err.reason in ("malformed_json", "schema_invalid")
