"""The phrase-rule engine the enrichment classifiers share."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobinsight.transform.rules import MultiRules, PhraseRules, _expand, _split, tokens_of, trie_pattern


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"back[- ]?end", {"backend", "back end", "back-end"}),
        (r"sales?", {"sale", "sales"}),
        (r"jr\.?", {"jr", "jr."}),
        (r"c\+\+\s+(?:developer|dev)", {"c++ developer", "c++ dev"}),
        ("ui/ux", {"ui/ux"}),
        (r"quantity survey(?:or)?", {"quantity survey", "quantity surveyor"}),
    ],
)
def test_pattern_expansion(pattern: str, expected: set[str]) -> None:
    assert set(_expand(pattern)) == expected


def test_unsupported_patterns_are_rejected() -> None:
    with pytest.raises(ValueError):
        _expand(r"(group)")
    with pytest.raises(ValueError):
        _expand(r"\d+ năm")


def test_tokens_keep_tech_names_and_split_slashes() -> None:
    assert tokens_of("Backend (Lead/Senior) - C++/C#, Node.js; UI/UX & R&D. Jr. Dev").raw == (
        "Backend", "Lead", "/", "Senior", "-", "C++", "/", "C#", "Node.js", "UI", "/", "UX", "&", "R", "&", "D",
        "Jr", "Dev",
    )
    assert tokens_of("Thực Tập Lập Trình.Net và ASP.NET").raw == ("Thực", "Tập", "Lập", "Trình", ".Net", "và", "ASP.NET")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_token_offsets_point_at_the_tokens(text: str) -> None:
    tokens = tokens_of(text)
    assert tokens.raw == tuple(token for _, token in _split(text, with_starts=True))
    assert len(tokens.starts) == len(tokens.raw) == len(tokens.lower)
    for start, token in zip(tokens.starts, tokens.raw, strict=True):
        rest = text[start:]
        assert rest.startswith(token) or rest.lstrip("-–—").startswith(token), (start, token)


RULES = PhraseRules(
    [("qa", ["kiểm thử", "tester"]), ("security", ["kiểm thử xâm nhập", "pentest"]), ("game", [r"game\s+\w+\s+designer"])],
    case_sensitive=[("ba", ["BA"])],
)


def test_leftmost_longest() -> None:
    assert RULES.first("Nhân viên kiểm thử xâm nhập") == "security"
    assert RULES.first("Kiểm thử phần mềm, pentest") == "qa"
    assert RULES.labels("Kiểm thử phần mềm, pentest") == ["qa", "security"]
    assert RULES.counts("tester tester pentest") == {"qa": 2, "security": 1}


def test_wildcard_and_case_sensitive_phrases() -> None:
    assert RULES.first("Game Mobile Designer") == "game"
    assert RULES.first("Thực tập sinh BA") == "ba"
    assert RULES.first("ba người") is None  # "ba" (three) is not a business analyst
    assert RULES.matches("Tester BA") == [(0, "qa"), (7, "ba")]


def test_multi_rules_keep_each_namespace_leftmost_longest() -> None:
    other = PhraseRules([("testing", ["kiểm thử"])], namespace="capability")
    seniority = PhraseRules([("lead", ["trưởng nhóm"])], namespace="seniority")
    family = PhraseRules([("qa", ["kiểm thử"]), ("security", ["kiểm thử xâm nhập"])], namespace="family")
    _, grouped = MultiRules(family, other, seniority).scan("Trưởng nhóm kiểm thử xâm nhập")
    assert [h[3] for h in grouped["family"]] == ["security"]
    assert [h[3] for h in grouped["capability"]] == ["testing"]
    assert [h[3] for h in grouped["seniority"]] == ["lead"]


def test_trie_pattern_matches_exactly_the_words() -> None:
    words = ["go", "golang", "google", "c", "c++", "c#"]
    rx = re.compile(f"^(?:{trie_pattern(words)})$")
    assert all(rx.match(w) for w in words)
    assert not any(rx.match(w) for w in ["goo", "c+", "golan", ""])
