"""Work mode (onsite / hybrid / remote) from the board's work-type field or the title.

Why: remote and hybrid availability is a first-class filter for candidates and analysts, and
TopCV states it in a work-type field ("Làm việc tại văn phòng / Onsite", "Kết hợp tại văn phòng
và từ xa (Hybrid)", "Làm việc từ xa (Remote)", several of them comma-joined) or only in the
title ("Cloud Solutions Lead (Remote)"). A job offering more than one mode is ``hybrid``.
The work-type field wins over the title; values that are not work types (the real data holds
head counts such as "1 người" in that column) are ignored.
"""

from __future__ import annotations

from functools import lru_cache

from jobinsight.transform.rules import PhraseRules

__all__ = ["RULES", "WORK_MODES", "detect_work_mode", "modes_from_labels", "work_mode_of"]

WORK_MODES = ("onsite", "hybrid", "remote", "unknown")

_RULES = PhraseRules(
    namespace="work_mode",
    rules=[
        ("hybrid", ["hybrid", "kết hợp tại văn phòng và từ xa", "linh hoạt", "flexible working", "làm việc kết hợp"]),
        ("remote", ["remote", "làm việc từ xa", "từ xa", "wfh", "work from home", "làm việc tại nhà", "online 100%",
                    "fully remote", "remote-first"]),
        ("onsite", ["onsite", "on-site", "on site", "làm việc tại văn phòng", "tại văn phòng", "full-time tại văn phòng",
                    "work at office", "làm việc trực tiếp"]),
    ]
)


RULES = _RULES


def modes_from_labels(labels: list[str]) -> str | None:
    """The work mode a set of matched labels means (several modes offered = hybrid)."""
    return _decide(_collapse(set(labels)))


def _collapse(found: set[str]) -> frozenset[str]:
    if "hybrid" in found:
        # "Kết hợp tại văn phòng và từ xa" also contains the onsite/remote phrases.
        return frozenset({"hybrid"})
    return frozenset(found)


@lru_cache(maxsize=16_384)
def _modes(text: str) -> frozenset[str]:
    return _collapse(set(_RULES.labels(text)))


def _decide(modes: frozenset[str]) -> str | None:
    if not modes:
        return None
    if len(modes) > 1:
        return "hybrid"
    return next(iter(modes))


def work_mode_of(text: str | None) -> str | None:
    """The work mode one text states, or None."""
    if not isinstance(text, str) or not text:
        return None
    return _decide(_modes(text))


def detect_work_mode(work_type: str | None, title: str | None = None) -> str:
    """``onsite``/``hybrid``/``remote`` from the work-type field, else the title, else ``unknown``."""
    return work_mode_of(work_type) or work_mode_of(title) or "unknown"
