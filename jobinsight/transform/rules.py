"""Labelled phrase rules matched on word tokens, plus a literal-trie regex helper.

Why: the enrichment classifiers (seniority, job family, languages, capabilities, work mode) are
lists of "phrase -> label" rules over Vietnamese and English text, run on every distinct title
of every batch. One regex per rule - or even one big alternation per classifier - costs a
character scan per classifier; instead each text is split into word tokens once (memoised and
shared by all classifiers), and every phrase is looked up as a token n-gram in a dict, so a
title costs a few dict lookups per classifier whatever the number of rules.

Phrases are written with a small regex subset that is expanded to literal token sequences when
the rules are built: ``x?``, ``[- ]``, ``(?:a|b)``, ``\\s+``/``\\s*`` (a space or none) and
``\\w+`` (any one word). Matching is case-insensitive (``case_sensitive`` phrases such as the
acronyms "BA", "PM" match as written), whole-token, and leftmost-longest: a specific phrase
("kiểm thử xâm nhập" -> security) beats a shorter one at the same place ("kiểm thử" -> qa).
"/" and "&" are tokens of their own, so "UI/UX", "C&B" and "Junior/Middle" work on both sides.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

__all__ = ["Hit", "MultiRules", "PhraseRules", "Tokens", "first_label", "labels_of", "tokens_of", "trie_pattern"]

WILDCARD = "\x01"
_TOKEN_RE = re.compile(r"[/&]|[^\s,;:()\[\]{}!?\"“”‘’'|<>/&]+")
_MAX_EXPANSIONS = 512


class Tokens:
    """A text as word tokens: as written, lower-cased, and (computed on demand) character offsets."""

    __slots__ = ("raw", "lower", "_text", "_starts")

    def __init__(self, raw: tuple[str, ...], lower: tuple[str, ...], text: str = "") -> None:
        self.raw = raw
        self.lower = lower
        self._text = text
        self._starts: tuple[int, ...] | None = None

    @property
    def starts(self) -> tuple[int, ...]:
        """Character offset of each token in the text (only some classifiers need them)."""
        if self._starts is None:
            self._starts = tuple(start for start, _ in _split(self._text, with_starts=True))
        return self._starts


_GLUED_NET_RE = re.compile(r"(?i)^(.+?)(\.net\b.*)$")
_NET_PREFIXES = frozenset({"asp", "vb", "ado"})
_EDGE_CHARS = "-–—"


def _split(text: str, *, with_starts: bool) -> list[tuple[int, str]]:
    """Tokens (with offsets when asked); the same fix-ups either way so offsets stay aligned."""
    pieces = (
        [(m.start(), m.group()) for m in _TOKEN_RE.finditer(text)] if with_starts
        else [(0, t) for t in _TOKEN_RE.findall(text)]
    )
    out: list[tuple[int, str]] = []
    for start, token in pieces:
        if len(token) > 1 and (token[-1] in ".-–—" or token[0] in _EDGE_CHARS):
            token = token.strip(_EDGE_CHARS).rstrip(".")
            if not token:
                continue
        if "." in token and ".net" in token.lower():
            glued = _GLUED_NET_RE.match(token)
            if glued and glued.group(1).lower() not in _NET_PREFIXES:  # "Trình.Net" -> "Trình", ".Net"
                out.append((start, glued.group(1)))
                out.append((start + len(glued.group(1)), glued.group(2)))
                continue
        out.append((start, token))
    return out


def _fix_edges(token: str) -> str:
    return token.strip(_EDGE_CHARS).rstrip(".")


def _tokenize(text: str) -> Tokens:
    """Same tokens as ``_split`` (its offsets stay valid), with the per-token work in comprehensions."""
    tokens = _TOKEN_RE.findall(text)
    tokens = [
        _fix_edges(t) if len(t) > 1 and (t[-1] in ".-–—" or t[0] in _EDGE_CHARS) else t for t in tokens
    ]
    if "" in tokens:
        tokens = [t for t in tokens if t]
    if ".net" in text.lower():
        tokens = [token for _, token in _split(text, with_starts=False)]
    raw = tuple(tokens)
    return Tokens(raw, tuple(map(str.lower, raw)), text)


_tokenize_short = lru_cache(maxsize=65_536)(_tokenize)
_tokenize_long = lru_cache(maxsize=16)(_tokenize)  # a description is scanned by several classifiers in a row


def tokens_of(text: str) -> Tokens:
    """Tokens of ``text`` (memoised: every classifier reads the same title)."""
    return _tokenize_short(text) if len(text) <= 512 else _tokenize_long(text)


# --- phrase pattern expansion -------------------------------------------------------------------


def _expand(pattern: str) -> list[str]:
    """All literal strings a phrase pattern (the documented regex subset) can match."""
    out, pos = _alt(pattern, 0)
    if pos != len(pattern):
        raise ValueError(f"unsupported phrase pattern {pattern!r} at {pos}")
    return out


def _alt(p: str, i: int) -> tuple[list[str], int]:
    options, i = _seq(p, i)
    while i < len(p) and p[i] == "|":
        more, i = _seq(p, i + 1)
        options = options + more
    return options, i


def _seq(p: str, i: int) -> tuple[list[str], int]:
    results = [""]
    while i < len(p) and p[i] not in "|)":
        atom, i = _atom(p, i)
        if i < len(p) and p[i] in "?*+":
            quant = p[i]
            i += 1
            if quant == "?" or quant == "*":
                atom = ["", *atom] if quant == "?" or atom != [" "] else ["", " "]
        results = [a + b for a in results for b in atom]
        if len(results) > _MAX_EXPANSIONS:
            raise ValueError(f"phrase pattern {p!r} expands to too many phrases")
    return results, i


def _atom(p: str, i: int) -> tuple[list[str], int]:
    ch = p[i]
    if p.startswith("(?:", i):
        inner, j = _alt(p, i + 3)
        if j >= len(p) or p[j] != ")":
            raise ValueError(f"unclosed group in {p!r}")
        return inner, j + 1
    if ch == "(":
        raise ValueError(f"only (?:...) groups are supported: {p!r}")
    if ch == "[":
        j = p.index("]", i)
        return sorted(set(p[i + 1 : j])), j + 1
    if ch == "\\":
        code = p[i + 1]
        if code == "s":
            return [" "], i + 2
        if code == "w":
            return [f" {WILDCARD} "], i + 2
        if code.isalnum():
            raise ValueError(f"unsupported escape \\{code} in {p!r}")
        return [code], i + 2
    return [ch], i + 1


def _phrase_tokens(literal: str) -> tuple[str, ...]:
    return tokens_of(literal.replace(WILDCARD, f" {WILDCARD} ")).raw if literal.strip() else ()


Hit = tuple[int, int, str, str]  # (token index, token count, namespace, label)


class _Lexicon:
    """Token n-gram -> (namespace, label)s, with per-first-token maximum length and wildcard phrases."""

    def __init__(self, rules: Iterable[tuple[str, str, Sequence[str]]], *, lower: bool) -> None:
        self.exact: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        self.wild: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        self.maxlen: dict[str, int] = {}
        for namespace, label, phrases in rules:
            for phrase in phrases:
                for literal in _expand(phrase.lower() if lower else phrase):
                    tokens = _phrase_tokens(literal)
                    if not tokens:
                        continue
                    if lower:
                        tokens = tuple(t.lower() for t in tokens)
                    if WILDCARD in tokens:
                        self.wild.setdefault(tokens[0], []).append((tokens, namespace, label))
                    else:
                        entries = self.exact.setdefault(tokens, [])
                        if (namespace, label) not in entries:
                            entries.append((namespace, label))
                    self.maxlen[tokens[0]] = max(self.maxlen.get(tokens[0], 0), len(tokens))

    def __bool__(self) -> bool:
        return bool(self.maxlen)

    def scan(self, tokens: Sequence[str]) -> list[Hit]:
        """Per namespace leftmost-longest, non-overlapping hits, in text order."""
        maxlen = self.maxlen
        candidates = [i for i, token in enumerate(tokens) if token in maxlen]
        if not candidates:
            return []
        hits: list[Hit] = []
        exact, wild = self.exact, self.wild
        covered: dict[str, int] = {}
        n = len(tokens)
        for i in candidates:
            longest = maxlen[tokens[i]]
            done: set[str] = set()
            for pattern, namespace, label in wild.get(tokens[i], ()):
                size = len(pattern)
                if covered.get(namespace, 0) <= i and i + size <= n and all(
                    p == WILDCARD or p == t for p, t in zip(pattern, tokens[i : i + size], strict=True)
                ):
                    hits.append((i, size, namespace, label))
                    done.add(namespace)
                    covered[namespace] = i + size
            for size in range(min(longest, n - i), 0, -1):
                entries = exact.get(tuple(tokens[i : i + size]))
                if not entries:
                    continue
                matched: set[str] = set()
                for namespace, label in entries:
                    if namespace in done or covered.get(namespace, 0) > i:
                        continue
                    hits.append((i, size, namespace, label))
                    matched.add(namespace)
                for namespace in matched:
                    done.add(namespace)
                    covered[namespace] = i + size
        return hits


class PhraseRules:
    """Label text by the earliest (then longest) matching phrase, or list every label found."""

    def __init__(
        self,
        rules: Iterable[tuple[str, Sequence[str]]],
        case_sensitive: Iterable[tuple[str, Sequence[str]]] = (),
        *,
        namespace: str = "",
    ) -> None:
        self.namespace = namespace
        self.rules = [(namespace, label, tuple(phrases)) for label, phrases in rules]
        self.case_sensitive = [(namespace, label, tuple(phrases)) for label, phrases in case_sensitive]
        self._ci = _Lexicon(self.rules, lower=True)
        self._cs = _Lexicon(self.case_sensitive, lower=False)

    def scan(self, text: str | None) -> tuple[Tokens, list[Hit]]:
        """The text's tokens and every hit, in text order."""
        if not text:
            return Tokens((), ()), []
        tokens = tokens_of(text)
        hits = self._ci.scan(tokens.lower)
        if self._cs:
            extra = self._cs.scan(tokens.raw)
            if extra:
                taken = {(h[2], j) for h in hits for j in range(h[0], h[0] + h[1])}
                hits.extend(h for h in extra if (h[2], h[0]) not in taken)
                hits.sort(key=lambda h: (h[0], -h[1]))
        return tokens, hits

    def first_tokens(self) -> frozenset[str]:
        """Lower-cased tokens a case-insensitive phrase can start with (a cheap pre-check)."""
        return frozenset(self._ci.maxlen)

    def first(self, text: str | None) -> str | None:
        """Label of the earliest match (longest at that position), or None."""
        return first_label(self.scan(text)[1])

    def labels(self, text: str | None) -> list[str]:
        """Every label found, in order of first occurrence."""
        return labels_of(self.scan(text)[1])

    def counts(self, text: str | None) -> Counter[str]:
        """How many times each label matched."""
        return Counter(h[3] for h in self.scan(text)[1])

    def matches(self, text: str | None) -> list[tuple[int, str]]:
        """(character offset, label) of every match, in text order."""
        tokens, hits = self.scan(text)
        return [(tokens.starts[h[0]], h[3]) for h in hits]


def first_label(hits: Sequence[Hit]) -> str | None:
    """Label of the earliest, then longest, hit."""
    return min(hits, key=lambda h: (h[0], -h[1]))[3] if hits else None


def labels_of(hits: Sequence[Hit]) -> list[str]:
    """Distinct labels of ``hits`` in order of first occurrence."""
    out: list[str] = []
    for hit in hits:
        if hit[3] not in out:
            out.append(hit[3])
    return out


class MultiRules:
    """Several :class:`PhraseRules` (each with its own namespace) matched in one pass over a text."""

    def __init__(self, *parts: PhraseRules) -> None:
        self._ci = _Lexicon([r for part in parts for r in part.rules], lower=True)
        self._cs = _Lexicon([r for part in parts for r in part.case_sensitive], lower=False)

    def scan(self, text: str | None) -> tuple[Tokens, dict[str, list[Hit]]]:
        """The text's tokens and its hits grouped by namespace (each in text order)."""
        if not text:
            return Tokens((), ()), {}
        tokens = tokens_of(text)
        grouped: dict[str, list[Hit]] = {}
        for hit in self._ci.scan(tokens.lower):
            grouped.setdefault(hit[2], []).append(hit)
        if self._cs:
            for hit in self._cs.scan(tokens.raw):
                group = grouped.setdefault(hit[2], [])
                if not any(h[0] <= hit[0] < h[0] + h[1] for h in group):
                    group.append(hit)
                    group.sort(key=lambda h: (h[0], -h[1]))
        return tokens, grouped


# --- literal trie regex -------------------------------------------------------------------------


def trie_pattern(words: Iterable[str]) -> str:
    """A regex matching any of the literal ``words``, as a prefix trie (fast for long lists)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # terminal
    return _emit_literal(trie) or "(?!)"


def _emit_literal(node: dict[str, Any]) -> str:
    branches = [re.escape(ch) + _emit_literal(child) for ch, child in sorted(node.items()) if ch != ""]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body
