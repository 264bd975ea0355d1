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
title and per distinct skill list only; :func:`enrich_coded` (the batch form) also computes each
label once per distinct combination of only the evidence fields it reads.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from jobinsight.transform import capabilities, job_family, languages, seniority, work_mode
from jobinsight.transform.capabilities import merge_capabilities
from jobinsight.transform.codes import combine_codes, map_distinct
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
    "ENRICHED_COLUMNS",
    "ENRICHMENT_VERSION",
    "MAX_EVIDENCE_CHARS",
    "NO_SKILLS_FEATURES",
    "NO_TEXT_FEATURES",
    "NO_TITLE_FEATURES",
    "Enrichment",
    "EnrichmentTuple",
    "combine",
    "enrich",
    "enrich_coded",
    "enrich_tuple",
    "evidence_text",
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


#: Enrichment reads at most this many characters of any one text. Real titles are under 300 and
#: detail texts under 20,000; a hostile 17 MB title would otherwise cost ~15 s of CPU in the phrase
#: scans. Only what the rules read is cut: the stored value is never truncated. Both the
#: per-posting path (:func:`enrich_tuple`) and the batch (:func:`enrich_coded`) apply it, so their
#: labels stay equal.
MAX_EVIDENCE_CHARS = 50_000


def evidence_text(value: Any) -> Any:
    """``value`` cut to :data:`MAX_EVIDENCE_CHARS` if it is a longer text, else as it is."""
    return value[:MAX_EVIDENCE_CHARS] if isinstance(value, str) and len(value) > MAX_EVIDENCE_CHARS else value


def _evidence(values: Sequence[Any]) -> list[Any]:
    """:func:`evidence_text` of each value (a copy)."""
    return [evidence_text(v) for v in values]


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
    """:func:`enrich` returning the immutable form (texts read up to :data:`MAX_EVIDENCE_CHARS`)."""
    full_title = title if isinstance(title, str) else None
    raw_title = evidence_text(full_title)
    cleaned = evidence_text(clean_title(full_title))  # cleaned whole, then cut: as the batch does
    return combine(
        title_features(cleaned),
        skills_features(_skills_key(evidence_text(skills))),
        text_features(evidence_text(requirements), evidence_text(description)),
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


# --- Batch enrichment over factorised columns -------------------------------------------------
#
# Why: in a batch, the combination of all inputs (title, skills, texts, rank, work form, category,
# experience) is close to unique per posting, so merging the evidence once per distinct
# combination costs nearly a merge per row. But each output label reads only a few of the
# evidence fields, and those repeat: skills come from the three skill lists, the family from the
# title parts, the families and the category, the seniority from four short fields, and so on.
# :func:`enrich_coded` therefore (1) computes the evidence once per distinct input value, (2)
# interns each evidence *field* (equal values share a code), and (3) computes each label once per
# distinct combination of only the fields it reads. The labels equal :func:`combine`'s exactly:
# each is computed by the same expression over the same values.

#: Codes per row and the distinct values they index (``batch._factorize``'s shape).
Coded = tuple[np.ndarray, Sequence[Any]]
#: Called with (codes per row, {code: reason}, what) for values whose computation raised.
FailureSink = Callable[[np.ndarray, dict[int, str], str], None]

#: Label columns of :func:`enrich_coded`, with the value a row gets when its computation raised.
ENRICHED_COLUMNS: dict[str, Any] = {
    "skills_normalized": "[]", "skill_count": 0, "seniority": "unknown", "job_family": "other",
    "work_mode": "unknown", "languages_required": "[]", "capabilities": "[]", "occupation_isco": None,
}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _intern(values: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """A code per value (equal values share one, in order of first appearance) and the distinct values."""
    index: dict[Any, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int64, count=len(values))
    return codes, list(index)


class _Fields:
    """Per-row codes of the fields of per-distinct evidence (``feats[codes[row]]``)."""

    def __init__(self, feats: Sequence[Any], codes: np.ndarray) -> None:
        self._feats = feats
        self._codes = codes

    def field(self, read: Callable[[Any], Any]) -> tuple[np.ndarray, list[Any]]:
        per_feat, distinct = _intern([read(f) for f in self._feats])
        return per_feat[self._codes], distinct


@lru_cache(maxsize=65_536)
def _family(
    title_parts: tuple[str | None, str | None, str | None],
    title_families: tuple[str, ...],
    skill_families_: tuple[str, ...],
    text_families: tuple[str, ...],
    text_counts: tuple[tuple[str, int], ...],
    category: str | None,
) -> str:
    """:func:`combine`'s family from hashable evidence (memoised: the combinations recur across batches)."""
    return decide_family(title_parts, title_families, (*skill_families_, *text_families), category,
                         Counter(dict(text_counts)))


def _label(
    parts: Sequence[tuple[np.ndarray, Sequence[Any]]],
    func: Callable[..., Any],
    what: str,
    on_failures: FailureSink,
    fallback: Any,
) -> tuple[np.ndarray, list[Any]]:
    """``func(*values)`` once per distinct combination of the given field columns."""
    key, rows = combine_codes([codes for codes, _ in parts])
    values, failures = map_distinct(
        rows.tolist(), lambda r: func(*(distinct[codes[r]] for codes, distinct in parts))
    )
    on_failures(key, failures, what)
    per_combination, distinct = _intern([fallback if i in failures else v for i, v in enumerate(values)])
    return per_combination[key], distinct  # equal labels share a code, so later labels key on few values


def enrich_coded(
    titles: Coded,
    titles_clean: Sequence[str | None],
    skills: Coded,
    requirements: Coded,
    description: Coded,
    level: Coded,
    work_type: Coded,
    category: Coded,
    experience: Coded,
    on_failures: FailureSink,
) -> dict[str, Coded]:
    """The labels of a factorised batch, as (codes per row, distinct values) per :data:`ENRICHED_COLUMNS`.

    ``titles`` are the raw titles, ``titles_clean`` the cleaned form of each distinct raw title
    (None where cleaning failed); ``skills`` is the skills text (JSON array or comma list). The
    lists, languages and capabilities come as JSON text. A row whose evidence or label raised is
    reported to ``on_failures`` ("enrichment (title)", "(skills)", "(text)", or "enrichment").
    """
    title_codes, title_distinct = titles[0], _evidence(titles[1])
    titles_clean = _evidence(titles_clean)
    skills, requirements, description = ((c, _evidence(d)) for c, d in (skills, requirements, description))
    # Evidence per distinct input: cleaned titles repeat far more than raw ones.
    clean_per_raw, clean_distinct = _intern(list(titles_clean))
    clean_codes = clean_per_raw[title_codes]
    title_feats, failures = map_distinct(clean_distinct, title_features)
    on_failures(clean_codes, failures, "enrichment (title)")
    title_feats = [f or NO_TITLE_FEATURES for f in title_feats]
    raw_langs, failures = map_distinct(title_distinct, raw_title_languages)
    on_failures(title_codes, failures, "enrichment (title)")

    def raw_level(i: int) -> str | None:  # the level a raw title states, used only when its cleaned form states none
        if title_feats[clean_per_raw[i]].seniority or title_distinct[i] == titles_clean[i]:
            return None  # the cleaned title already said all the raw one says
        return raw_title_seniority(title_distinct[i])

    raw_levels, failures = map_distinct(range(len(title_distinct)), raw_level)
    on_failures(title_codes, failures, "enrichment (title)")
    skill_codes, skill_distinct = skills
    skill_feats, failures = map_distinct(skill_distinct, skills_features_from_text)
    on_failures(skill_codes, failures, "enrichment (skills)")
    skill_feats = [f or NO_SKILLS_FEATURES for f in skill_feats]
    (req_codes, req_distinct), (desc_codes, desc_distinct) = requirements, description
    text_key, text_rows = combine_codes([req_codes, desc_codes])
    text_feats, failures = map_distinct(
        text_rows.tolist(), lambda r: text_features(req_distinct[req_codes[r]], desc_distinct[desc_codes[r]])
    )
    on_failures(text_key, failures, "enrichment (text)")
    text_feats = [f or NO_TEXT_FEATURES for f in text_feats]

    # Evidence fields per row (equal values share a code), and the short inputs reduced to what they say.
    title_f, skill_f, text_f = _Fields(title_feats, clean_codes), _Fields(skill_feats, skill_codes), _Fields(
        text_feats, text_key)
    clean_title = (clean_codes, clean_distinct)
    lang_per_raw, lang_distinct = _intern(raw_langs)  # few distinct values over many raw titles
    raw_lang = (lang_per_raw[title_codes], lang_distinct)
    lvl_per_raw, lvl_distinct = _intern(raw_levels)
    raw_lvl = (lvl_per_raw[title_codes], lvl_distinct)

    def reduced(coded: Coded, func: Callable[[Any], Any]) -> tuple[np.ndarray, list[Any]]:
        codes, distinct = coded
        values, failures = map_distinct(distinct, func)
        on_failures(codes, failures, "enrichment")
        per_value, out = _intern(values)
        return per_value[codes], out

    rank_level = reduced(level, lambda v: seniority_from_rank(clean_text(v)))
    mode_of_form = reduced(work_type, _work_type_mode)
    clean_category = reduced(category, clean_text)
    exp_level = reduced(experience, lambda v: seniority_from_experience(_experience_months(v)))

    out: dict[str, Coded] = {}
    skills_key, skill_lists = _label(
        [skill_f.field(lambda f: f.skills), title_f.field(lambda f: f.skills), text_f.field(lambda f: f.skills)],
        lambda s, t, x: _dedupe((*s, *t, *x)), "enrichment", on_failures, (),
    )
    out["skills_normalized"] = (skills_key, [_dumps(list(s)) for s in skill_lists])
    out["skill_count"] = (skills_key, [len(s) for s in skill_lists])
    out["job_family"] = _label(
        [title_f.field(lambda f: f.family_parts), title_f.field(lambda f: f.skill_families),
         skill_f.field(lambda f: f.families), text_f.field(lambda f: f.families),
         text_f.field(lambda f: tuple(f.family_counts.items())), clean_category],
        _family,
        "enrichment", on_failures, ENRICHED_COLUMNS["job_family"],
    )
    out["seniority"] = _label(
        [title_f.field(lambda f: f.seniority), raw_lvl, rank_level, exp_level],
        lambda title_, raw, rank, exp: title_ or raw or rank or exp or "unknown",
        "enrichment", on_failures, ENRICHED_COLUMNS["seniority"],
    )
    out["work_mode"] = _label(
        [mode_of_form, title_f.field(lambda f: f.work_mode)],
        lambda form, title_: form or title_ or "unknown", "enrichment", on_failures, ENRICHED_COLUMNS["work_mode"],
    )
    lang_key, langs = _label(
        [raw_lang, title_f.field(lambda f: f.languages), skill_f.field(lambda f: f.languages),
         text_f.field(lambda f: f.languages)],
        lambda raw, title_, skill, text: merge_languages(raw or title_, skill, text), "enrichment", on_failures, (),
    )
    out["languages_required"] = (lang_key, [_dumps([{"language": lang, "level": lvl} for lang, lvl in v])
                                            for v in langs])
    cap_key, caps = _label(
        [title_f.field(lambda f: f.capabilities), skill_f.field(lambda f: f.capabilities),
         text_f.field(lambda f: f.capabilities)],
        merge_capabilities, "enrichment", on_failures, (),
    )
    out["capabilities"] = (cap_key, [_dumps(list(v)) for v in caps])
    out["occupation_isco"] = _label(
        [out["job_family"], out["seniority"], clean_title], isco_code, "enrichment", on_failures, None,
    )
    return out
