"""Small text helpers shared by the parsers: decoding, whitespace, HTML fragments to text.

Why here: board markup pads every value with template indentation, tooltips carry HTML inside
attributes, and fetched bodies arrive as bytes. Each parser needs the same three answers, and
they must never raise on hostile input (hypothesis tests feed them garbage).
"""

from __future__ import annotations

import html
import re

from selectolax.lexbor import LexborHTMLParser

_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_BLOCK_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li|/h[1-6]|/tr)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def clean(value: str | None) -> str | None:
    """Collapse runs of whitespace (incl. NBSP) to one space and trim; empty -> ``None``."""
    if value is None:
        return None
    return " ".join(value.split()) or None


def decode_body(body: bytes | str, content_type: str | None = None) -> str:
    """Bytes -> text: charset from the Content-Type header, then ``<meta charset>``, then UTF-8.

    Undecodable bytes become U+FFFD rather than an exception: a page with one bad byte still has
    49 good job cards on it.
    """
    if isinstance(body, str):
        return body
    charset = None
    if content_type:
        m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", content_type, re.IGNORECASE)
        if m:
            charset = m.group(1)
    if charset is None:
        m = _CHARSET.search(body[:4096])
        if m:
            charset = m.group(1).decode("ascii", "replace")
    for enc in (charset, "utf-8"):
        if not enc:
            continue
        try:
            return body.decode(enc, errors="replace")
        except LookupError:
            continue
    return body.decode("utf-8", errors="replace")


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
    if isinstance(html, bytes):
        declared = _CHARSET.search(html[:4096])
        charset = declared.group(1).decode("ascii", "replace").lower() if declared else "utf-8"
        if charset.replace("_", "-") not in ("utf-8", "utf8"):
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
