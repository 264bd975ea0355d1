"""Seniority from a job title (first) or the board's level field (second).

Why: analysts compare salaries and demand by seniority, but boards state it inconsistently:
in the title ("Thực Tập Sinh", "Junior/Middle Tester", "Trưởng Nhóm Kiểm Thử", "Kế Toán
Trưởng") or in a level field ("Trưởng/Phó phòng", "Quản lý / Giám sát"). TopCV's default level
"Nhân viên" (staff) says nothing about seniority, so it stays ``unknown`` unless the title says
more. When a title names several levels ("Junior/Middle", "(Lead/Senior)") the first one wins.
"""

from __future__ import annotations

import re
from functools import lru_cache

from jobinsight.transform.rules import PhraseRules

__all__ = ["RULES", "SENIORITY_LEVELS", "detect_seniority", "seniority_from_matches", "seniority_from_text"]

SENIORITY_LEVELS = ("intern", "fresher", "junior", "middle", "senior", "lead", "manager", "unknown")

_RULES = PhraseRules(
    namespace="seniority",
    rules=[
        ("intern", ["thực tập sinh", "thực tập", "intern", "internship", "trainee", "sinh viên thực tập", "tts"]),
        ("fresher", ["fresher", "mới tốt nghiệp", "sinh viên mới ra trường", "new grad", "fresh graduate",
                     "entry level", "entry-level"]),
        ("junior", ["junior", r"jr\.?", r"junior\+"]),
        ("middle", ["middle", "mid", "mid-level", "mid level", "intermediate", r"middle\+"]),
        ("senior", ["senior", r"sr\.?", "chuyên viên cao cấp", "cao cấp", "principal", "staff engineer",
                    "chuyên gia", "expert"]),
        ("lead", ["trưởng nhóm", "tổ trưởng", "trưởng ca", "nhóm trưởng", "team lead", "team leader", "tech lead",
                  "techlead", "technical lead", "dev lead", "devlead", "leader", "lead", "trưởng dự án",
                  "assistant manager", "phó nhóm"]),
        ("manager", ["trưởng phòng", "phó phòng", "trưởng/phó phòng", "trưởng / phó phòng", "quản lý", "manager",
                     "giám đốc", "phó giám đốc", "director", "head of", "head", "cto", "ceo", "cfo", "coo", "cmo",
                     "chief", "vice president", "vp", "kế toán trưởng", "trưởng ban", "trưởng bộ phận",
                     "trưởng chi nhánh", "chủ quản", "quản đốc", "cửa hàng trưởng", "trưởng khoa", "trưởng cửa hàng",
                     "lãnh đạo", "chủ nhiệm", "trưởng văn phòng", "trưởng kho", "trưởng xưởng"]),
    ]
)
# "Nhân viên quản lý kho" is staff; "Trợ lý giám đốc" assists a director; "Lead generation" is marketing.
_NOT_A_LEVEL_BEFORE = re.compile(
    r"(?:nhân viên|chuyên viên|kỹ sư|cán bộ|thực tập sinh|trợ lý|thư ký|assistant to(?: the)?|phụ trách)\s*$",
    re.IGNORECASE,
)
_NOT_A_LEVEL_AFTER = re.compile(r"^\s*(?:generation|gen\b|nurturing)", re.IGNORECASE)
_ACCOUNT_BEFORE = re.compile(r"(?:key\s+)?account\s*$", re.IGNORECASE)
_NO_PREFIX_CHECK = frozenset({"intern", "fresher", "junior", "middle", "senior"})


RULES = _RULES


def seniority_from_matches(text: str, matches: list[tuple[int, str]]) -> str | None:
    """First seniority among (character offset, label) matches, after the exclusions."""
    for start, label in matches:
        if label not in _NO_PREFIX_CHECK and _NOT_A_LEVEL_BEFORE.search(text[:start]):
            continue
        if label == "lead" and _NOT_A_LEVEL_AFTER.match(text[start + 4 :]):
            continue
        if label == "manager" and _ACCOUNT_BEFORE.search(text[:start]):
            continue  # an account manager is a sales role, not a people manager
        return label
    return None


@lru_cache(maxsize=65_536)
def seniority_from_text(text: str) -> str | None:
    """First seniority stated in ``text`` (None when it states none)."""
    return seniority_from_matches(text, _RULES.matches(text))


def detect_seniority(title: str | None, level: str | None = None) -> str:
    """Seniority from the title, else from the level field, else ``unknown``."""
    for text in (title, level):
        if isinstance(text, str) and text:
            found = seniority_from_text(text)
            if found:
                return found
    return "unknown"
