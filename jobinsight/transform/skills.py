"""Skills: normalise posted skill lists and find taxonomy skills mentioned in free text.

Why: the same skill is written a dozen ways (ReactJS / React.js / react, Golang / Go,
MS SQL / SQL Server, "Kỹ năng giao tiếp" / "Giao tiếp"), and some sources give no list at all,
only a title and a description. Counting demand per skill needs one canonical name, taken from
``jobinsight/data/skills_taxonomy.json`` (a few hundred skills, IT and non-IT, with aliases).

Matching is whole-word on a Unicode word boundary (``+`` and ``#`` count as word characters, so
"C" never matches inside "C++" or "C#"). All case-insensitive aliases are compiled into one
prefix-trie regex; case-sensitive ones ("React", "Excel", "AI") into a second. The most
ambiguous names (Go, C, R) are "strict": they match only as written and only next to a list
separator, another skill, or a programming cue ("lập trình", "developer", "language"), so
"Go to market", "R&D" or "hạng C" are not skills. Longest match wins at each position.

Word-sense guards (precision on real detail text): a skill alias inside a phrase that means
something else is not a skill - "Khoa học máy tính" (a degree, not Machine Learning), "hóa đơn
điện tử" (e-invoice, not electronics), "Tour GIT" (group inclusive tour, not Git), "Đóng BHXH"
(a benefit), "C-level", "Go/No-go", "Unity Ads", "nhằm đảm bảo chất lượng" (a purpose, not QA).
Fields named as a degree ("Tốt nghiệp chuyên ngành Điện tử, Tự động hóa") are majors, not
skills: only tools and languages are taken from such a sentence. Posted lists are split at top
level only ("PLC (e.g., Siemens, Allen Bradley)" gives PLC, Siemens, Allen Bradley), so no
unbalanced bracket fragment ("Sketchup)", ")") becomes a skill.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from jobinsight.transform.rules import trie_pattern
from jobinsight.transform.text import clean_text

__all__ = [
    "SkillInfo",
    "TAXONOMY_VERSION",
    "extract_skills",
    "extract_hard_skills",
    "normalize_skills",
    "skill_info",
]


@dataclass(frozen=True, slots=True)
class SkillInfo:
    """A canonical skill with the job family it hints at and its category."""

    name: str
    family: str | None
    category: str


def _load() -> dict[str, Any]:
    text = resources.files("jobinsight").joinpath("data", "skills_taxonomy.json").read_text(encoding="utf-8")
    return json.loads(text)


_DATA = _load()
TAXONOMY_VERSION: int = int(_DATA.get("version", 1))
_INFO: dict[str, SkillInfo] = {
    e["name"]: SkillInfo(e["name"], e.get("family"), e.get("category", "other")) for e in _DATA["skills"]
}
# Categories that describe a person rather than a job's tooling: not taken from long free text.
_SOFT_CATEGORIES = frozenset({"soft", "language_skill", "office"})
_SPACES_RE = re.compile(r"\s+")


def _key(text: str) -> str:
    return _SPACES_RE.sub(" ", text.lower()).strip()


def _build_lookup() -> dict[str, tuple[str, ...]]:
    lookup: dict[str, tuple[str, ...]] = {}
    for e in _DATA["skills"]:
        for alias in (e["name"], *e.get("aliases", ()), *e.get("case_sensitive", ()), *e.get("strict", ())):
            lookup.setdefault(_key(alias), (e["name"],))
    for written, names in _DATA.get("multi", {}).items():
        lookup[_key(written)] = tuple(names)
    return lookup


_LOOKUP = _build_lookup()


_LEFT = r"(?<![^\W_]|[+#@])"
_RIGHT = r"(?![^\W_]|[+#])"


def _build_patterns() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, tuple[str, ...]], frozenset[str]]:
    folded: set[str] = set()
    exact: dict[str, tuple[str, ...]] = {}
    strict: set[str] = set()
    for e in _DATA["skills"]:
        for alias in (e["name"], *e.get("aliases", ())):
            folded.add(_key(alias))
        for alias in (*e.get("case_sensitive", ()), *e.get("strict", ())):
            exact[alias] = (e["name"],)
            folded.add(_key(alias))
        strict.update(e.get("strict", ()))
    folded.update(_key(written) for written in _DATA.get("multi", {}))
    # Text is lower-cased before matching (much faster than IGNORECASE); the IGNORECASE twin is
    # only used for the rare text whose length changes when lower-cased. Case-sensitive aliases
    # are in the same trie and checked against the original text afterwards.
    trie = trie_pattern(sorted(folded))
    return (
        re.compile(f"{_LEFT}{trie}{_RIGHT}"),
        re.compile(f"{_LEFT}{trie}{_RIGHT}", re.IGNORECASE),
        exact,
        frozenset(strict),
    )


_CI_RE, _CI_IGNORECASE_RE, _EXACT, _STRICT = _build_patterns()
# Lower-cased keys whose every written form is case-sensitive ("go", "ai", "react" as a word...).
_CASE_ONLY: frozenset[str] = frozenset(
    k for k in {_key(a) for a in _EXACT}
    if not any(
        _key(a) == k
        for e in _DATA["skills"]
        for a in (e["name"], *e.get("aliases", ()))
        if a not in _EXACT
    )
)
_WEAK = frozenset(_key(a) for e in _DATA["skills"] for a in e.get("weak", ()))
_CONTEXT_WORDS = frozenset(
    """language languages programming programmer developer developers dev engineer engineers lang code coding
    hoặc script scripting""".split()
) | frozenset({"lập trình", "ngôn ngữ", "sử dụng", "thành thạo"})


_NEIGHBOUR_LEFT_RE = re.compile(r"([^\s,;()/|]+)[\s,;()/|]*$")
_NEIGHBOUR_RIGHT_RE = re.compile(r"^[\s,;()/|]*([^\s,;()/|]+)")
_GLUE_CHARS = frozenset("/+()[]|")
_NOT_SKILL_WORDS = frozenset({"to", "a", "the", "in", "on", "of", "and", "or", "and/or"})


def _is_skill_word(word: str) -> bool:
    word = word.strip(".:").lower()
    return word in _LOOKUP and word not in _NOT_SKILL_WORDS and len(word) > 1


def _strict_ok(text: str, start: int, end: int) -> bool:
    """Strict aliases (Go, C, R) need a technical neighbour: glued to another skill ("C/C++",
    "(R)"), a neighbouring skill across a list separator ("Python, Go"), or a cue word
    ("lập trình C", "Go developer"). "R&D", "Vitamin C, hạng C" and "Go to market" do not count."""
    prev_ch = text[start - 1] if start > 0 else ""
    next_ch = text[end] if end < len(text) else ""
    if next_ch == "&" or prev_ch == "&":
        return False  # R&D, Q&A
    if text.strip(" ,;.()") == text[start:end]:
        return True  # the whole text is this one skill (a tag)
    if prev_ch in _GLUE_CHARS or next_ch in _GLUE_CHARS:
        return True
    left = _NEIGHBOUR_LEFT_RE.search(text[max(0, start - 40) : start])
    right = _NEIGHBOUR_RIGHT_RE.search(text[end : end + 40])
    prev_word = left.group(1).lower().strip(".:") if left else ""
    next_word = right.group(1).lower().strip(".:") if right else ""
    if prev_word in _CONTEXT_WORDS or next_word in _CONTEXT_WORDS:
        return True
    two_before = " ".join(text[max(0, start - 40) : start].lower().split()[-2:])
    if two_before in _CONTEXT_WORDS:
        return True
    return _is_skill_word(prev_word) or _is_skill_word(next_word)


# Phrases in which a skill alias means something else (matched on lower-cased text).
_GUARD_RE = re.compile(
    r"khoa học máy tính|kỹ thuật máy tính|khoa học dữ liệu và trí tuệ|cơ điện tử|điện tử[\s-]+viễn thông"
    r"|(?:hóa|hoá) đơn điện tử|(?:thanh toán|ví|hợp đồng|chữ ký|giao dịch|thư|sàn giao dịch|cổng|hồ sơ|văn bản|kê khai"
    r"|biên lai|chứng từ|thương mại|sàn thương mại|bảng|sổ|vé|hải quan) điện tử"
    r"|(?:tour|khách|đoàn|fit)\s*[/&,-]?\s*git\b|\bgit\s*[/&,-]?\s*(?:fit|tour|khách|đoàn)"
    r"|(?:đóng|được đóng|tham gia|hưởng|chế độ|đầy đủ|full|mua)\s+(?:đầy đủ\s+)?(?:các\s+)?(?:chế độ\s+)?"
    r"(?:bhxh|bảo hiểm xã hội|bhyt|bảo hiểm)(?:\s*[,/&-]\s*(?:bhyt|bhtn|bảo hiểm y tế))*"
    r"|bhxh\s*[,/&-]\s*bhyt|bhxh\s+theo\s+(?:quy định|luật)"
    r"|\bgo\s*/\s*no[- ]?go\b|\bgo[- ]live\b|\bgo[- ]to[- ]market\b"
    r"|\bc[- ](?:level|suite)\b|(?:bằng|hạng|loại|nhóm|vitamin|khối)\s+c\b"
    r"|\bunity\s+(?:ads|analytics)\b"
    r"|(?:để|nhằm|giúp)\s+(?:đảm bảo|bảo đảm)\s+(?:chất lượng|tuân thủ)"
    r"|thiết kế giải pháp"
    r"|xử lý sự cố\s+(?:máy|thiết bị)\s+(?:tiện|phay|cnc|móc|may|in|nén|phát|ép|cắt|hàn|bào|mài)"
    r"|tự động hóa\s+(?:các\s+)?(?:quá trình|quy trình|công việc|báo cáo|tác vụ)"
    r"|(?:quy trình|thông tin|vòng|hình thức|kênh) tuyển dụng"
    r"|giám sát (?:hệ thống )?camera|công cụ tự động hóa|môi trường[^.;]{0,25}kiểm thử"
    r"|triển khai hệ thống (?:mạng|điện|camera|pccc|cơ điện|điện nhẹ)"
)
# A sentence naming degree majors: fields in it are majors, not skills.
_MAJOR_CUE_RE = re.compile(
    r"chuyên ngành|các ngành|ngành học|tốt nghiệp[^.;\n]{0,60}?ngành|majors? in|majoring in|degree in"
    r"|bachelor(?:'s)?(?: degree)? (?:in|of)|graduated? in|cử nhân|kỹ sư ngành"
)
_SENTENCE_END_RE = re.compile(r"[.;•\n](?:\s|$)")
_MAJOR_SPAN = 160
# Categories of fields of study (kept: languages, frameworks, tools, databases, clouds, CAD...).
_FIELD_CATEGORIES = frozenset({"engineering", "security", "hr", "ai", "it", "accounting", "finance", "logistics",
                               "healthcare", "education", "data", "marketing", "construction", "design", "sales",
                               "business", "pm", "admin", "legal", "embedded", "manufacturing", "language_skill"})


_GUARD_REACH = 60  # characters either side of a match that a guard phrase can span


# Words of the matched text that some guard phrase contains; any other match skips the guard check.
_GUARD_HINTS = ("máy", "điện tử", "git", "bhxh", "bảo hiểm", "go", "unity", "chất lượng", "tuân thủ", "giải pháp",
                "sự cố", "tự động", "tuyển dụng", "giám sát", "camera", "triển khai", "kiểm thử", "học")


@lru_cache(maxsize=8192)
def _may_be_guarded(matched: str) -> bool:
    return matched == "c" or any(h in matched for h in _GUARD_HINTS)


def _guarded(lowered: str, start: int, end: int) -> bool:
    """True when a guard phrase overlaps the match (checked in a window: long texts stay cheap)."""
    if not _may_be_guarded(lowered[start:end]):
        return False
    lo = max(0, start - _GUARD_REACH)
    window = lowered[lo : end + _GUARD_REACH]
    return any(g.start() + lo < end and g.end() + lo > start for g in _GUARD_RE.finditer(window))


def _in_major_sentence(lowered: str, start: int) -> bool:
    """True when the match follows a degree cue in the same sentence ("chuyên ngành Điện tử, ...")."""
    back = lowered[max(0, start - _MAJOR_SPAN) : start]
    last_end = -1
    for cue in _MAJOR_CUE_RE.finditer(back):
        last_end = cue.end()
    return last_end >= 0 and _SENTENCE_END_RE.search(back, last_end) is None


@lru_cache(maxsize=8192)
def _is_field(names: tuple[str, ...]) -> bool:
    return all(_INFO[n].category in _FIELD_CATEGORIES for n in names if n in _INFO)


def _matches(text: str, *, hard_only: bool) -> list[tuple[int, int, tuple[str, ...]]]:
    found = _raw_matches(text, hard_only=hard_only)
    if not found:
        return found
    lowered = text.lower()
    if len(lowered) != len(text):
        return found  # offsets would not line up (rare: a character whose lower case is longer)
    return [m for m in found if not _guarded(lowered, m[0], m[1])
            and not (_is_field(m[2]) and _in_major_sentence(lowered, m[0]))]


def _raw_matches(text: str, *, hard_only: bool) -> list[tuple[int, int, tuple[str, ...]]]:
    found: list[tuple[int, int, tuple[str, ...]]] = []
    lowered = text.lower()
    matches = _CI_RE.finditer(lowered) if len(lowered) == len(text) else _CI_IGNORECASE_RE.finditer(text)
    lookup, weak, exact, case_only = _LOOKUP, _WEAK, _EXACT, _CASE_ONLY
    for m in matches:
        key = m.group().lower()
        if hard_only and key in weak:
            continue
        start, end = m.start(), m.end()
        if key in case_only:
            written = text[start:end]
            if written not in exact or (written in _STRICT and not _strict_ok(text, start, end)):
                continue
            found.append((start, end, exact[written]))
            continue
        names = lookup.get(key)
        if names:
            found.append((start, end, names))
    return found


def _dedupe(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        k = name.casefold()
        if k not in seen:
            seen.add(k)
            out.append(name)
    return out


def _extract(text: str, hard_only: bool) -> tuple[str, ...]:
    names = [n for _, _, group in _matches(text, hard_only=hard_only) for n in group]
    if hard_only:
        names = [n for n in names if _INFO[n].category not in _SOFT_CATEGORIES]
    return tuple(_dedupe(names))


_extract_short = lru_cache(maxsize=32_768)(_extract)
_LONG_TEXT = 512  # longer texts (descriptions) are unique per posting: not worth keeping in memory


def _extract_cached(text: str, hard_only: bool) -> tuple[str, ...]:
    return _extract(text, hard_only) if len(text) > _LONG_TEXT else _extract_short(text, hard_only)


def extract_skills(text: str | None) -> list[str]:
    """Canonical taxonomy skills mentioned in ``text``, in order of first mention."""
    cleaned = clean_text(text)
    if cleaned is None:
        return []
    return list(_extract_cached(cleaned, False))


def extract_hard_skills(text: str | None) -> list[str]:
    """Like :func:`extract_skills` for long free text: no soft skills, no generic one-word aliases."""
    cleaned = clean_text(text)
    if cleaned is None:
        return []
    return list(_extract_cached(cleaned, True))


_SPLIT_RE = re.compile(r"\s*[,;\n\r\t|•]+\s*")
_BULLET_RE = re.compile(r"^[\s\-–*·+•]+")
_SEPARATORS = frozenset(",;\n\r\t|•")
_OPEN, _CLOSE = "([{", ")]}"
_GROUP_RE = re.compile(r"[(\[{]([^()\[\]{}]*)[)\]}]")
_EXAMPLE_RE = re.compile(r"^(?:e\.?\s?g\.?|eg|i\.?e\.?|ví dụ|vd|như|such as|incl\.?|including)[\s:,.]*", re.IGNORECASE)
_ETC_RE = re.compile(r"[\s,]*(?:etc\.?|v\.v\.?|\.\.\.|…)$", re.IGNORECASE)
_STRAY_RE = re.compile(r"[()\[\]{}]")


def _split_top_level(text: str) -> list[str]:
    """Split a skills text at separators outside brackets ("A (x, y), B" -> "A (x, y)", "B")."""
    if not any(ch in text for ch in _OPEN):
        return _SPLIT_RE.split(text)
    out: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0 and ch in _SEPARATORS:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


def _unbracket(item: str) -> list[str]:
    """"PLC Programming (e.g., Siemens, Allen Bradley)" -> ["PLC Programming", "Siemens", "Allen Bradley"].

    Whatever stays unbalanced ("Sketchup)", "Hive) Etl") loses the stray bracket.
    """
    if not any(ch in item for ch in "()[]{}"):
        return [item]
    pieces: list[str] = []
    for m in _GROUP_RE.finditer(item):
        for inner in re.split(r"\s*[,;/]\s*", _EXAMPLE_RE.sub("", m.group(1).strip())):
            inner = _ETC_RE.sub("", _EXAMPLE_RE.sub("", inner.strip()))
            if inner:
                pieces.append(inner)
    head = _GROUP_RE.sub(" ", item)
    out = [head, *pieces]
    return [" ".join(_STRAY_RE.sub(" ", p).split()) for p in out if _STRAY_RE.sub("", p).strip(" .,;:-")]


def _items(skills: list[str] | tuple[str, ...] | str | None) -> list[str]:
    if skills is None:
        return []
    if isinstance(skills, str):
        text = skills.strip()
        # raw_jobs.skills is jsonb, so the text may be any JSON value, not only an array: a JSON
        # string holds the skills text itself, and null or an object holds no skill names.
        if text[:1] in ('[', '"', '{') or text == "null":
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
            if isinstance(parsed, list):
                return [piece for x in parsed if isinstance(x, str) for piece in _unbracket(x)]
            if parsed is None or isinstance(parsed, dict):
                return []
            if isinstance(parsed, str):
                text = parsed.strip()
        return [piece for item in _split_top_level(text) for piece in _unbracket(item)]
    if isinstance(skills, (list, tuple)):
        return [piece for x in skills if isinstance(x, str) for piece in _unbracket(x)]
    return []


@lru_cache(maxsize=65_536)
def _normalize_item(item: str) -> tuple[str, ...]:
    text = clean_text(_BULLET_RE.sub("", item))
    if text is None:
        return ()
    text = text.strip(" .,;:")
    if not text:
        return ()
    return _LOOKUP.get(_key(text), (text,))


def normalize_skills(skills: list[str] | str | None) -> list[str]:
    """Trimmed, NFC, de-duplicated skills (order kept), canonical names where known.

    Accepts a JSON-array text, a Python list, or a comma/semicolon separated string.
    """
    return _dedupe(name for item in _items(skills) for name in _normalize_item(item))


def skill_info(name: str) -> SkillInfo | None:
    """Taxonomy entry for a canonical skill name (None when it is not in the taxonomy)."""
    return _INFO.get(name)
