"""Rules enricher: skills, seniority, job family, work mode, languages and capabilities of a posting.

Why: staging rows need the same labels whether or not an LLM enricher is configured, and
re-running the pipeline must give the same labels (deterministic, offline, fast). This module
composes the single-purpose detectors (``skills``, ``seniority``, ``job_family``, ``work_mode``,
``languages``, ``capabilities``) into one :class:`Enrichment` stamped with its source and
``ENRICHMENT_VERSION``, so rows enriched by older rules can be found and re-enriched.

Skills: the posted list normalised (a long space-joined phrase the taxonomy does not know, like
TopCV's "C/C++ Lập Trình Nhúng", is replaced by the skills found inside it), then skills named
in the title, then hard skills found in requirements and description (soft skills and generic
one-word aliases are not taken from long free text).

Titles are read after ``titles.clean_title`` (salary, place and urgency decorations carry no
label and make titles unique); language conditions, which decorations do carry ("Bắt Buộc Nộp
CV Tiếng Anh"), are read from the raw title by :func:`raw_title_languages`.

Speed: the evidence is computed per input, not per posting - :func:`title_features` once per
distinct cleaned title, :func:`skills_features` once per distinct skills list,
:func:`text_features` once per distinct requirements/description, each text scanned once for
all classifiers - and :func:`combine` merges them with a few list operations. Titles and skill
lists repeat far more than their combinations, so a batch pays the matching cost per distinct
title and per distinct skill list only.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from jobinsight.transform import capabilities, job_family, languages, seniority, work_mode
from jobinsight.transform.capabilities import merge_capabilities
from jobinsight.transform.job_family import decide_family, family_parts_from_hits, skill_families
from jobinsight.transform.languages import languages_from_matches, merge_languages
from jobinsight.transform.occupation import isco_code
from jobinsight.transform.rules import Hit, MultiRules, Tokens, labels_of, tokens_of
from jobinsight.transform.seniority import (
    experience_months,
    seniority_from_experience,
    seniority_from_matches,
    seniority_from_rank,
    seniority_from_text,
)
from jobinsight.transform.skills import (
    TAXONOMY_VERSION,
    extract_hard_skills,
    extract_skills,
    normalize_skills,
    skill_info,
)
from jobinsight.transform.text import clean_text
from jobinsight.transform.titles import clean_title
from jobinsight.transform.work_mode import modes_from_labels, work_mode_of

__all__ = [
    "ENRICHMENT_SOURCE",
    "ENRICHMENT_VERSION",
    "NO_SKILLS_FEATURES",
    "NO_TEXT_FEATURES",
    "NO_TITLE_FEATURES",
    "Enrichment",
    "EnrichmentTuple",
    "combine",
    "enrich",
    "enrich_tuple",
    "raw_title_languages",
    "raw_title_seniority",
    "skills_features",
    "skills_features_from_text",
    "text_features",
    "title_features",
]

ENRICHMENT_SOURCE = "rules"
# Bump the leading number whenever a rule changes; the taxonomy version is appended.
ENRICHMENT_VERSION = f"rules-2.t{TAXONOMY_VERSION}"

_PHRASE_WORDS = 4  # an unknown posted "skill" with this many words is probably several skills


@dataclass(frozen=True, slots=True)
class Enrichment:
    """Labels for one posting (lists are fresh per call; mutate freely)."""

    skills_normalized: list[str]
    seniority: str
    job_family: str
    work_mode: str
    languages_required: list[dict[str, str | None]]
    capabilities: list[str]
    occupation_isco: str | None = None
    enrichment_source: str = ENRICHMENT_SOURCE
    enrichment_version: str = ENRICHMENT_VERSION


class EnrichmentTuple(NamedTuple):
    """Immutable form of :class:`Enrichment`, used for caching and by the batch transformer."""

    skills_normalized: tuple[str, ...]
    seniority: str
    job_family: str
    work_mode: str
    languages_required: tuple[tuple[str, str | None], ...]
    capabilities: tuple[str, ...]
    occupation_isco: str | None = None


class TitleFeatures(NamedTuple):
    """What a cleaned title says (see :func:`title_features`)."""

    skills: tuple[str, ...]
    skill_families: tuple[str, ...]
    family_parts: tuple[str | None, str | None, str | None]
    seniority: str | None
    work_mode: str | None
    languages: tuple[tuple[str, str | None], ...]
    capabilities: tuple[str, ...]


class SkillsFeatures(NamedTuple):
    """What a posted skill list says (see :func:`skills_features`)."""

    skills: tuple[str, ...]
    families: tuple[str, ...]
    languages: tuple[tuple[str, str | None], ...]
    capabilities: tuple[str, ...]


class TextFeatures(NamedTuple):
    """What requirements and description say (see :func:`text_features`)."""

    skills: tuple[str, ...]
    families: tuple[str, ...]
    family_counts: Counter[str]
    languages: tuple[tuple[str, str | None], ...]
    capabilities: tuple[str, ...]


# One pass over a title serves every classifier; one over a text serves the text classifiers.
_TITLE_SCAN = MultiRules(
    *job_family.TITLE_RULES, seniority.RULES, work_mode.RULES, languages.RULES, capabilities.RULES
)
_TEXT_SCAN = MultiRules(job_family.TITLE_RULES[0], languages.RULES, capabilities.RULES)


def _matches(tokens: Tokens, hits: list[Hit] | None) -> list[tuple[int, str]]:
    return [(tokens.starts[h[0]], h[3]) for h in hits or ()]


NO_TITLE_FEATURES = TitleFeatures((), (), (None, None, None), None, None, (), ())
NO_SKILLS_FEATURES = SkillsFeatures((), (), (), ())
NO_TEXT_FEATURES = TextFeatures((), (), Counter(), (), ())


def _dedupe(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    out = []
    for name in names:
        key = name.casefold()
        if key not in seen:
            seen.add(key)
            out.append(name)
    return tuple(out)


@lru_cache(maxsize=65_536)
def title_features(title: str | None) -> TitleFeatures:
    """Everything the enricher reads from a *cleaned* title (memoised per distinct title).

    Cleaned titles (``titles.clean_title``) repeat far more than raw ones, and the salary, place
    and urgency decorations carry no enrichment signal - except language conditions ("Bắt Buộc
    Nộp CV Tiếng Anh"), which :func:`raw_title_languages` reads from the raw title.
    """
    text = clean_text(title)
    if text is None:
        return NO_TITLE_FEATURES
    skills = tuple(extract_skills(text))
    tokens, grouped = _TITLE_SCAN.scan(text)
    return TitleFeatures(
        skills,
        tuple(skill_families(skills)),
        family_parts_from_hits(grouped, tokens.lower),
        seniority_from_matches(text, _matches(tokens, grouped.get("seniority"))),
        modes_from_labels(labels_of(grouped.get("work_mode", ()))),
        languages_from_matches(text, _matches(tokens, grouped.get("language"))) if "language" in grouped else (),
        tuple(labels_of(grouped.get("capability", ()))),
    )


# Every language mention contains one of these substrings: a C-speed pre-check before tokenising.
_LANGUAGE_HINT_RE = re.compile(
    r"tiếng|english|anh ngữ|anh văn|ngoại ngữ|ielts|toeic|toefl|japanese|nhật ngữ|jlpt|nihongo|korean|hàn ngữ"
    r"|topik|chinese|mandarin|trung văn|hsk|hoa ngữ|french|delf|dalf|german|goethe|thai language|spanish|russian",
    re.IGNORECASE,
)
_LANGUAGE_START_TOKENS = languages.RULES.first_tokens()


@lru_cache(maxsize=65_536)
def raw_title_languages(title: str | None) -> tuple[tuple[str, str | None], ...] | None:
    """Languages a raw title states, or None when it mentions none (decided by a set check)."""
    text = clean_text(title)
    if text is None or _LANGUAGE_HINT_RE.search(text) is None:
        return None
    tokens = tokens_of(text)
    if _LANGUAGE_START_TOKENS.isdisjoint(tokens.lower):
        return None
    return languages_from_matches(text, languages.RULES.matches(text)) or None


@lru_cache(maxsize=65_536)
def skills_features(skills: tuple[str, ...]) -> SkillsFeatures:
    """Normalised posted skills and what they imply (memoised per distinct list)."""
    posted: list[str] = []
    for name in normalize_skills(list(skills)):
        if skill_info(name) is None and len(name.split()) >= _PHRASE_WORDS:
            found = extract_skills(name)
            if found:
                posted.extend(found)
                continue
        posted.append(name)
    names = _dedupe(posted)
    if not names:
        return NO_SKILLS_FEATURES
    joined = ", ".join(names)
    tokens, grouped = _TEXT_SCAN.scan(joined)
    return SkillsFeatures(
        names,
        tuple(skill_families(names)),
        languages_from_matches(joined, _matches(tokens, grouped.get("language"))) if "language" in grouped else (),
        tuple(labels_of(grouped.get("capability", ()))),
    )


@lru_cache(maxsize=65_536)
def skills_features_from_text(skills: str | None) -> SkillsFeatures:
    """:func:`skills_features` for a JSON-array or comma-separated skills text."""
    return skills_features(_skills_key(skills))


def text_features(requirements: str | None, description: str | None) -> TextFeatures:
    """Hard skills, family evidence, languages and capabilities of the long texts."""
    req, desc = clean_text(requirements), clean_text(description)
    if req is None and desc is None:
        return NO_TEXT_FEATURES
    skills = _dedupe([*extract_hard_skills(req), *extract_hard_skills(desc)])
    joined = " \n".join(t for t in (req, desc) if t)
    tokens, grouped = _TEXT_SCAN.scan(joined)
    return TextFeatures(
        skills,
        tuple(skill_families(skills)),
        Counter(h[3] for h in grouped.get("family", ())),
        languages_from_matches(joined, _matches(tokens, grouped.get("language"))) if "language" in grouped else (),
        tuple(labels_of(grouped.get("capability", ()))),
    )


@lru_cache(maxsize=65_536)
def raw_title_seniority(title: str | None) -> str | None:
    """The level a *raw* title states, for titles whose cleaned form states none.

    ``clean_title`` drops hiring decorations, and some carry the level ("Cơ Hội Cho Các Bạn
    Fresher", "Tuyển Sinh Viên Mới Ra Trường").
    """
    text = clean_text(title)
    return seniority_from_text(text) if text else None


@lru_cache(maxsize=4096)
def _experience_months(experience: str | float | int | None) -> float | None:
    return experience_months(experience)


@lru_cache(maxsize=4096)
def _work_type_mode(work_type: str | None) -> str | None:
    return work_mode_of(clean_text(work_type))


def combine(
    title: TitleFeatures,
    skills: SkillsFeatures,
    text: TextFeatures,
    level: str | None = None,
    work_type: str | None = None,
    category: str | None = None,
    title_languages: tuple[tuple[str, str | None], ...] | None = None,
    title_seniority: str | None = None,
    experience: str | float | None = None,
    clean_title_text: str | None = None,
) -> EnrichmentTuple:
    """Merge pre-computed evidence into the labels (cheap: list operations only).

    ``title_languages`` (from :func:`raw_title_languages`) replaces the cleaned title's languages;
    ``title_seniority`` (from :func:`raw_title_seniority`) is used when the cleaned title states no
    level; then the rank (``level``), then the required ``experience`` (text or months).
    ``clean_title_text`` lets the ISCO code read skill-level nouns ("Kỹ Thuật Viên", "Công Nhân").
    """
    skills_normalized = _dedupe((*skills.skills, *title.skills, *text.skills))
    family = decide_family(
        title.family_parts,
        title.skill_families,
        (*skills.families, *text.families),
        clean_text(category),
        text.family_counts,
    )
    level_text = clean_text(level)
    seniority_ = (
        title.seniority or title_seniority or seniority_from_rank(level_text)
        or seniority_from_experience(_experience_months(experience)) or "unknown"
    )
    return EnrichmentTuple(
        skills_normalized,
        seniority_,
        family,
        _work_type_mode(work_type) or title.work_mode or "unknown",
        merge_languages(title_languages or title.languages, skills.languages, text.languages),
        merge_capabilities(title.capabilities, skills.capabilities, text.capabilities),
        isco_code(family, seniority_, clean_title_text),
    )


def _skills_key(skills: list[str] | tuple[str, ...] | str | None) -> tuple[str, ...]:
    if isinstance(skills, str):
        return tuple(normalize_skills(skills)) if skills.strip() else ()
    if isinstance(skills, (list, tuple)):
        return tuple(s for s in skills if isinstance(s, str))
    return ()


def enrich_tuple(
    title: str | None,
    skills: list[str] | tuple[str, ...] | str | None,
    description: str | None = None,
    requirements: str | None = None,
    level: str | None = None,
    work_type: str | None = None,
    category: str | None = None,
    experience: str | float | None = None,
) -> EnrichmentTuple:
    """:func:`enrich` returning the immutable form."""
    raw_title = title if isinstance(title, str) else None
    cleaned = clean_title(raw_title)
    return combine(
        title_features(cleaned),
        skills_features(_skills_key(skills)),
        text_features(requirements, description),
        level if isinstance(level, str) else None,
        work_type if isinstance(work_type, str) else None,
        category if isinstance(category, str) else None,
        raw_title_languages(raw_title),
        raw_title_seniority(raw_title),
        experience if isinstance(experience, (str, int, float)) else None,
        cleaned,
    )


def enrich(
    title: str | None,
    skills: list[str],
    description: str | None = None,
    requirements: str | None = None,
    level: str | None = None,
    work_type: str | None = None,
    category: str | None = None,
    experience: str | float | None = None,
) -> Enrichment:
    """Rules-based labels for one posting; deterministic and offline."""
    result = enrich_tuple(title, skills, description, requirements, level, work_type, category, experience)
    return Enrichment(
        skills_normalized=list(result.skills_normalized),
        seniority=result.seniority,
        job_family=result.job_family,
        work_mode=result.work_mode,
        languages_required=[{"language": lang, "level": lvl} for lang, lvl in result.languages_required],
        capabilities=list(result.capabilities),
        occupation_isco=result.occupation_isco,
    )
