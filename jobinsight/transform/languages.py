"""Foreign-language requirements ("Tiếng Anh", "JLPT N2", "TOEIC 550", "IELTS 6.5", "HSK 4").

Why: language requirements gate many Vietnamese jobs (Japanese bridge engineers, Korean
comtors, English for FDI companies) and pay premiums, but they sit in free text. Each language
is reported once with the most specific level stated: a certificate score when given
("IELTS 6.5", "N2", "TOPIK 4", "HSK 5"), else a CEFR level ("B2"), else a plain-word level
(fluent / good / conversational / reading / basic), else None. A mention preceded by
"không yêu cầu" (not required) does not count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from jobinsight.transform.rules import PhraseRules

__all__ = ["RULES", "detect_languages", "languages_from_matches", "languages_of", "merge_languages"]

_MENTIONS = PhraseRules(
    namespace="language",
    rules=[
        ("English", ["tiếng anh", "english", "anh ngữ", "anh văn", "ielts", "toeic", "toefl", "ngoại ngữ anh"]),
        ("Japanese", ["tiếng nhật", "japanese", "nhật ngữ", "jlpt", "nihongo"]),
        ("Korean", ["tiếng hàn", "korean", "hàn ngữ", "topik"]),
        ("Chinese", ["tiếng trung", "tiếng hoa", "chinese", "mandarin", "trung văn", "hsk", "hoa ngữ"]),
        ("French", ["tiếng pháp", "french", "delf", "dalf"]),
        ("German", ["tiếng đức", "german", "goethe"]),
        ("Thai", ["tiếng thái", "thai language"]),
        ("Spanish", ["tiếng tây ban nha", "spanish"]),
        ("Russian", ["tiếng nga", "russian"]),
    ]
)
_NUM = r"(?:từ|trên|tối thiểu|ít nhất|min(?:imum)?|>=?|≥)?\s*"
_CERTS: dict[str, tuple[re.Pattern[str], ...]] = {
    "English": (
        re.compile(rf"\b(ielts)\s*{_NUM}(\d(?:[.,]\d)?)(?!\d)", re.IGNORECASE),
        re.compile(rf"\b(toeic)\s*{_NUM}(\d{{3}})(?!\d)", re.IGNORECASE),
        re.compile(rf"\b(toefl(?:\s*ibt)?)\s*{_NUM}(\d{{2,3}})(?!\d)", re.IGNORECASE),
    ),
    "Japanese": (re.compile(r"(?<![\w])(?:jlpt\s*)?(n)\s*([1-5])(?![\w])", re.IGNORECASE),),
    "Korean": (re.compile(r"\b(topik)\s*(?:cấp|level)?\s*([1-6])(?!\d)", re.IGNORECASE),),
    "Chinese": (re.compile(r"\b(hsk)\s*(?:cấp|level)?\s*([1-6])(?!\d)", re.IGNORECASE),),
}
_CEFR_RE = re.compile(r"(?<![\w])([abc][12])(?![\w])", re.IGNORECASE)
_WORD_LEVELS = PhraseRules(
    [
        ("fluent", ["thành thạo", "lưu loát", "trôi chảy", "fluent", "fluently", "proficient", "native", "advanced",
                    "xuất sắc", "thông thạo", "bản ngữ"]),
        ("good", ["tốt", "khá", "good", "upper[- ]intermediate", "business level", "professional level", "vững"]),
        ("conversational", ["giao tiếp", "communication", "speaking", "conversational", "nghe nói"]),
        ("reading", ["đọc hiểu", "đọc", "reading", "đọc tài liệu", "đọc hiểu tài liệu"]),
        ("basic", ["cơ bản", "basic", "sơ cấp", "elementary", "beginner"]),
    ]
)
_NEGATION_RE = re.compile(r"(?:không\s+(?:yêu\s+cầu|cần|bắt\s+buộc)|no\s+need|not\s+required)[^.;\n]{0,20}$", re.IGNORECASE)
_WINDOW = 60
_CLAUSE_END_RE = re.compile(r"[.;\n!?]|\s-\s")


def _cert_level(language: str, text: str, anchor: int, requires_anchor: bool) -> str | None:
    for pattern in _CERTS.get(language, ()):
        for m in pattern.finditer(text):
            if requires_anchor and abs(m.start() - anchor) > _WINDOW * 2:
                continue
            name, value = m.group(1), m.group(2).replace(",", ".")
            if name.lower() == "n":
                return f"N{value}"
            return f"{name.upper().replace('  ', ' ')} {value}"
    return None


RULES = _MENTIONS


def languages_from_matches(text: str, matches: list[tuple[int, str]]) -> tuple[tuple[str, str | None], ...]:
    """(language, level) pairs from mention matches (character offset, language) in ``text``."""
    out: dict[str, str | None] = {}
    for start, language in matches:
        if _NEGATION_RE.search(text[max(0, start - 40) : start]):
            continue
        window = _CLAUSE_END_RE.split(text[start : start + _WINDOW], maxsplit=1)[0]
        level = _cert_level(language, text, start, requires_anchor=language == "Japanese")
        if level is None:
            cefr = _CEFR_RE.search(window)
            level = cefr.group(1).upper() if cefr else _WORD_LEVELS.first(window)
        if language not in out or (out[language] is None and level is not None):
            out[language] = level
    return tuple(out.items())


def _detect(text: str) -> tuple[tuple[str, str | None], ...]:
    return languages_from_matches(text, _MENTIONS.matches(text))


_detect_short = lru_cache(maxsize=32_768)(_detect)


def _detect_cached(text: str) -> tuple[tuple[str, str | None], ...]:
    return _detect(text) if len(text) > 512 else _detect_short(text)


def languages_of(text: str | None) -> tuple[tuple[str, str | None], ...]:
    """(language, level) pairs stated in one text."""
    if not isinstance(text, str) or not text:
        return ()
    return _detect_cached(text)


def merge_languages(*found: Sequence[tuple[str, str | None]]) -> tuple[tuple[str, str | None], ...]:
    """Union in order; a later source only fills a level the earlier ones left empty."""
    merged: dict[str, str | None] = {}
    for pairs in found:
        for language, level in pairs:
            if language not in merged or (merged[language] is None and level is not None):
                merged[language] = level
    return tuple(merged.items())


def detect_languages(*texts: str | None) -> list[dict[str, str | None]]:
    """[{"language": "English", "level": "IELTS 6.5"}, ...] from any number of texts (title first)."""
    merged: dict[str, str | None] = {}
    for text in texts:
        if not isinstance(text, str) or not text:
            continue
        for language, level in _detect_cached(text):
            if language not in merged or (merged[language] is None and level is not None):
                merged[language] = level
    return [{"language": lang, "level": level} for lang, level in merged.items()]
