"""Small text helpers shared by the parsers: decoding, whitespace, HTML fragments to text.

Why here: board markup pads every value with template indentation, tooltips carry HTML inside
attributes, and fetched bodies arrive as bytes. Each parser needs the same three answers, and
they must never raise on hostile input (hypothesis tests feed them garbage).
"""

from __future__ import annotations

import codecs
import html
import re
import unicodedata
from dataclasses import dataclass

import charset_normalizer
from selectolax.lexbor import LexborHTMLParser

_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_BLOCK_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li|/h[1-6]|/tr)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def clean(value: str | None) -> str | None:
    """Collapse runs of whitespace (incl. NBSP) to one space and trim; empty -> ``None``."""
    if value is None:
        return None
    return " ".join(value.split()) or None


@dataclass(frozen=True, slots=True)
class Decoded:
    """A decoded body: its text, the codec used, where that choice came from, and how many
    characters could not be decoded (U+FFFD added by decoding, not present in the page)."""

    text: str
    encoding: str
    source: str  # "bom" | "header" | "meta" | "detector" | "default"
    replacements: int


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Labels browsers treat as aliases (WHATWG Encoding): latin-1 means windows-1252 on the web.
_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
            "ascii": "cp1252", "x-user-defined": "cp1252", "utf8": "utf-8", "unicode": "utf-16"}
#: Encodings the detector may choose from: Vietnamese and the region's legacy code pages.
_DETECTABLE = ("utf_8", "cp1258", "cp1252", "cp1250", "cp1251", "gb18030", "big5", "shift_jis",
               "euc_jp", "euc_kr", "cp874")
_DETECT_MIN_BYTES = 256
_UTF8_FFFD = "\ufffd".encode()


def header_charset(content_type: str | None) -> str | None:
    """The ``charset=`` of a Content-Type header, if any."""
    if not content_type:
        return None
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", content_type, re.IGNORECASE)
    return m.group(1) if m else None


def meta_charset(body: bytes) -> str | None:
    """The charset a ``<meta charset>`` / ``http-equiv`` tag declares in the first 4 KB."""
    m = _CHARSET.search(body[:4096])
    return m.group(1).decode("ascii", "replace") if m else None


def _codec(label: str | None) -> str | None:
    """A Python codec name for a charset label, or ``None`` when unknown."""
    if not label:
        return None
    name = label.strip().lower().replace("_", "-")
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def encoding_candidates(body: bytes, content_type: str | None = None) -> list[tuple[str, str]]:
    """``(codec, source)`` in the order they are trusted: BOM, HTTP header, meta tag.

    A BOM comes first (as in the WHATWG encoding sniffing algorithm): it is unambiguous, and a
    UTF-16LE copy of a page often travels with a header or meta tag that still says UTF-8.
    """
    found: list[tuple[str, str]] = []
    for bom, name in _BOMS:
        if body.startswith(bom):
            found.append((name, "bom"))
            break
    for label, source in ((header_charset(content_type), "header"), (meta_charset(body), "meta")):
        codec = _codec(label)
        if codec is not None and all(codec != c for c, _ in found):
            found.append((codec, source))
    return found


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """Bytes -> NFC text: BOM, then the header's charset, then the meta tag, then a detector.

    The first declared codec that decodes the body cleanly wins; a declared codec that leaves
    undecodable bytes gives way to the next one (a wrong header is common). When nothing is
    declared, UTF-8 is tried and then ``charset_normalizer`` guesses (never over a declaration:
    a UTF-8 page with one bad byte must not turn into clean-looking mojibake). If every choice leaves undecodable bytes, the first one is
    used with U+FFFD and ``replacements`` says how many — callers report such a page instead of
    storing it. Legacy Vietnamese ``windows-1258`` writes tone marks as combining characters;
    the NFC step composes them (``Ke\u0302\u0301`` -> ``Kế``).
    """
    if not body:
        return Decoded("", "utf-8", "default", 0)
    candidates = encoding_candidates(body, content_type)
    for codec, source in candidates:
        try:
            return _decoded(body.decode(codec), codec, source, 0)
        except UnicodeDecodeError:
            continue
    if not candidates:  # nothing declared: UTF-8 if it fits, else ask the detector
        try:
            return _decoded(body.decode("utf-8"), "utf-8", "default", 0)
        except UnicodeDecodeError:
            pass
        guess = _detect(body)
        if guess is not None:
            try:
                return _decoded(body.decode(guess), guess, "detector", 0)
            except (UnicodeDecodeError, LookupError):
                pass
    codec, source = candidates[0] if candidates else ("utf-8", "default")
    text = body.decode(codec, errors="replace")
    added = text.count("\ufffd") - (body.count(_UTF8_FFFD) if codec.startswith("utf-8") else 0)
    return _decoded(text, codec, source, max(added, 1))


def _decoded(text: str, codec: str, source: str, replacements: int) -> Decoded:
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return Decoded(text, codec, source, replacements)


def _detect(body: bytes) -> str | None:
    """charset-normalizer's best guess among the encodings job pages actually use (on the first
    256 KB: enough, and bounded in time). Below 256 bytes guesses are noise (``b"caf\\xe9"`` reads
    as Urdu), so short bodies get none."""
    if len(body) < _DETECT_MIN_BYTES:
        return None
    for match in charset_normalizer.from_bytes(body[:262_144], cp_isolation=list(_DETECTABLE)):
        codec = _codec(match.encoding)
        # UTF-16/32 without a BOM is the detector's favourite misreading of short Latin text.
        if codec is not None and not codec.startswith(("utf-16", "utf-32")):
            return codec
    return None


def is_utf8_page(body: bytes, content_type: str | None = None) -> bool:
    """True when the page's declared (or default) encoding is UTF-8, so lexbor may read its bytes."""
    candidates = encoding_candidates(body, content_type)
    return not candidates or candidates[0][0] in ("utf-8", "utf-8-sig")


def decode_body(body: bytes | str, content_type: str | None = None) -> str:
    """Bytes -> text (see ``decode_html``); undecodable bytes become U+FFFD, never an exception."""
    if isinstance(body, str):
        return body
    return decode_html(body, content_type).text


def safe_str(text: str) -> str:
    """Drop lone surrogates (they cannot be encoded for the C parser)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace").decode("utf-8")


def html_parser(html: str | bytes) -> LexborHTMLParser:
    """A lexbor document for ``html``; never raises on odd text.

    UTF-8 bytes (or bytes that declare no other charset) go to lexbor undecoded — it replaces
    invalid sequences itself, and skipping the Python decode saves a few ms on a 1.5 MB page.
    """
    if isinstance(html, bytes) and not is_utf8_page(html):
        html = decode_body(html)
    try:
        return LexborHTMLParser(html)
    except (UnicodeError, ValueError):
        text = html if isinstance(html, str) else decode_body(html)
        return LexborHTMLParser(safe_str(text))


def fragment_lines(fragment: str | None) -> list[str]:
    """Text lines of a small HTML fragment (a tooltip): ``<br>``/``</p>`` end lines, tags dropped.

    ``"<p>Hà Nội: Cầu Giấy<br/>Đà Nẵng: Hải Châu</p>"`` -> ``["Hà Nội: Cầu Giấy", "Đà Nẵng: Hải Châu"]``.
    Plain text without tags is split on newlines. Regex-based on purpose: building a DOM for a
    60-byte tooltip costs ~80 µs, fifty times per page.
    """
    if not fragment:
        return []
    if "<" in fragment:
        fragment = html.unescape(_TAG.sub("", _BLOCK_BREAK.sub("\n", fragment)))
    return [line for line in (clean(p) for p in fragment.splitlines()) if line]


def html_to_text(fragment: str | None) -> str | None:
    """HTML (a job description) to readable text: block elements become line breaks.

    Uses a real parser (scripts and styles dropped), unlike ``fragment_lines``.
    """
    if fragment is None:
        return None
    if "<" not in fragment and "&" in fragment:
        # Some boards escape the description HTML once more inside JSON-LD.
        fragment = html.unescape(fragment)
    if "<" not in fragment:
        return "\n".join(line for line in (clean(p) for p in fragment.splitlines()) if line) or None
    marked = _BLOCK_BREAK.sub("\n", fragment)
    marked = re.sub(r"<\s*(?:p|div|li|h[1-6]|tr)\b", "\n\\g<0>", marked, flags=re.IGNORECASE)
    doc = LexborHTMLParser(safe_str(f"<div>{marked}</div>"))
    for node in doc.css("script, style, template, noscript"):
        node.decompose()
    body = doc.body
    text = body.text(deep=True, separator="") if body is not None else ""
    return "\n".join(line for line in (clean(p) for p in text.splitlines()) if line) or None
