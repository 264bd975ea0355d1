"""What the LLM is asked (the prompt) and what it must answer (the schema), and the check of the answer.

Why: the LLM labels must be interchangeable with the rules labels - the same columns, the same
vocabularies (``seniority.SENIORITY_LEVELS``, ``job_family.JOB_FAMILIES``, ``work_mode.WORK_MODES``)
and the same skill names (the taxonomy via ``skills.normalize_skills``) - so analysts can group by
them whatever enriched a row. A model answers whatever it likes, so every answer is validated
here with pydantic before it is used or cached; an answer that is not JSON or does not fit the
schema raises :class:`InvalidAnswer` with a short reason (``malformed_json`` | ``schema_invalid``)
that the caller counts.

Harmless deviations are repaired rather than rejected, because a rejection costs a second
request: surrounding Markdown code fences, enum values in another case or with spaces
("Senior", "AI/ML" stays invalid but "ai_ml " is fine), duplicate or blank skills, more than
five capabilities (cut to the first five). Unknown extra keys are ignored.

``PROMPT_VERSION`` goes into the cache key and into ``enrichment_version``: change it whenever the
prompt or the schema changes so old answers are neither served nor confused with new ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from jobinsight.transform.capabilities import MAX_CAPABILITIES
from jobinsight.transform.job_family import JOB_FAMILIES
from jobinsight.transform.seniority import SENIORITY_LEVELS
from jobinsight.transform.skills import TAXONOMY_VERSION, normalize_skills
from jobinsight.transform.work_mode import WORK_MODES

__all__ = [
    "ANSWER_SCHEMA", "PROMPT_VERSION", "InvalidAnswer", "LanguageRequirement", "LlmEnrichment",
    "PostingInput", "build_messages", "parse_answer",
]

# Bump the leading number whenever the prompt or the schema changes; the taxonomy version is appended
# because answers are stored with their skills already normalised by it.
PROMPT_VERSION = f"llm-1.t{TAXONOMY_VERSION}"

Seniority = Literal[*SENIORITY_LEVELS]  # type: ignore[valid-type]
JobFamily = Literal[*JOB_FAMILIES]  # type: ignore[valid-type]
WorkMode = Literal[*WORK_MODES]  # type: ignore[valid-type]


class InvalidAnswer(ValueError):
    """The model's answer cannot be used; ``reason`` is ``malformed_json`` or ``schema_invalid``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _enum_text(value: Any) -> Any:
    return value.strip().lower().replace(" ", "_").replace("-", "_") if isinstance(value, str) else value


class LanguageRequirement(BaseModel):
    """One required foreign language and the level asked for (None when not stated)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    language: str = Field(min_length=1, max_length=40)
    level: str | None = Field(None, max_length=40)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("empty language")
        return value[:1].upper() + value[1:].lower()

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            value = " ".join(value.split())
            return value or None
        return value


class LlmEnrichment(BaseModel):
    """A validated LLM answer: the same six labels the rules enricher produces."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    skills_normalized: list[str] = Field(max_length=60)
    seniority: Seniority
    job_family: JobFamily
    work_mode: WorkMode
    languages_required: list[LanguageRequirement] = Field(max_length=10)
    capabilities: list[str]

    @field_validator("seniority", "job_family", "work_mode", mode="before")
    @classmethod
    def _enums(cls, value: Any) -> Any:
        return _enum_text(value)

    @field_validator("skills_normalized")
    @classmethod
    def _skills(cls, value: list[str]) -> list[str]:
        return normalize_skills([v for v in value if v.strip()])

    @field_validator("capabilities")
    @classmethod
    def _capabilities(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        out: list[str] = []
        for item in value:
            text = " ".join(item.split())
            if text and text.casefold() not in seen:
                seen.add(text.casefold())
                out.append(text)
        return out[:MAX_CAPABILITIES]

    @field_validator("languages_required")
    @classmethod
    def _languages(cls, value: list[LanguageRequirement]) -> list[LanguageRequirement]:
        seen: dict[str, LanguageRequirement] = {}
        for item in value:
            if item.language not in seen or (seen[item.language].level is None and item.level is not None):
                seen[item.language] = item
        return list(seen.values())

    def columns(self) -> tuple[str, str, str, str, str, str]:
        """The staging enrichment columns, in batch.py's order and text forms (JSON as text)."""
        return (
            json.dumps(self.skills_normalized, ensure_ascii=False),
            self.seniority,
            self.job_family,
            self.work_mode,
            json.dumps([{"language": x.language, "level": x.level} for x in self.languages_required],
                       ensure_ascii=False),
            json.dumps(self.capabilities, ensure_ascii=False),
        )


#: The JSON schema put in the prompt (hand-written: shorter than pydantic's, so fewer tokens per request).
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["skills_normalized", "seniority", "job_family", "work_mode", "languages_required", "capabilities"],
    "properties": {
        "skills_normalized": {"type": "array", "items": {"type": "string"},
                              "description": "concrete skills, tools and technologies asked for, canonical names"},
        "seniority": {"enum": list(SENIORITY_LEVELS)},
        "job_family": {"enum": list(JOB_FAMILIES)},
        "work_mode": {"enum": list(WORK_MODES)},
        "languages_required": {
            "type": "array",
            "items": {"type": "object", "required": ["language", "level"],
                      "properties": {"language": {"type": "string", "description": "English name, e.g. Japanese"},
                                     "level": {"type": ["string", "null"],
                                               "description": "e.g. N2, IELTS 6.5, B2, fluent; null if not stated"}}},
        },
        "capabilities": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_CAPABILITIES,
                         "description": "what the person will do, short verb phrases in English"},
    },
}

_SYSTEM = (
    "You label job postings from Vietnamese job boards (text in Vietnamese or English). "
    "Answer with one JSON object and nothing else. It must match this JSON schema:\n"
    + json.dumps(ANSWER_SCHEMA, ensure_ascii=False, separators=(",", ":"))
    + "\nUse 'unknown' when the posting does not say the seniority or the work mode, and 'other' when no "
    "job family fits. List only foreign languages the job requires."
)


@dataclass(frozen=True, slots=True)
class PostingInput:
    """What the prompt shows of one posting."""

    title: str | None
    skills: tuple[str, ...]
    level: str | None = None
    work_type: str | None = None
    category: str | None = None
    requirements: str | None = None
    description: str | None = None

    def as_prompt_dict(self, max_chars: int) -> dict[str, Any]:
        def cut(text: str | None) -> str | None:
            return text if text is None or len(text) <= max_chars else text[:max_chars] + " …"

        data: dict[str, Any] = {"title": self.title, "skills": list(self.skills), "level": self.level,
                                "work_type": self.work_type, "category": self.category,
                                "requirements": cut(self.requirements), "description": cut(self.description)}
        return {k: v for k, v in data.items() if v not in (None, [], "")}


def build_messages(posting: PostingInput, max_chars: int = 6_000) -> list[dict[str, str]]:
    """Chat messages for one posting: the instructions with the schema, then the posting as JSON."""
    user = "Job posting:\n" + json.dumps(posting.as_prompt_dict(max_chars), ensure_ascii=False)
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def _strip_fences(text: str) -> str:
    text = text.strip()
    if text.startswith("```"):
        text = text[3:]
        if text[:4].lower() == "json":
            text = text[4:]
        end = text.rfind("```")
        if end >= 0:
            text = text[:end]
    return text.strip()


def parse_answer(content: Any) -> LlmEnrichment:
    """Validate a model's message content; :class:`InvalidAnswer` when it cannot be used."""
    if not isinstance(content, str) or not content.strip():
        raise InvalidAnswer("malformed_json", "empty or missing message content")
    try:
        data = json.loads(_strip_fences(content))
    except ValueError as exc:
        raise InvalidAnswer("malformed_json", f"not JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(data, dict):
        raise InvalidAnswer("schema_invalid", f"expected a JSON object, got {type(data).__name__}")
    try:
        return LlmEnrichment.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "answer"
        raise InvalidAnswer("schema_invalid", f"{where}: {first.get('msg')} ({exc.error_count()} errors)") from None
