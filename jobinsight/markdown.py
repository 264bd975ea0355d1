"""Text from the web made safe to put into markdown artifacts.

Run summaries carry URLs, page verdicts and values that a hostile site chose
(``<img src=x onerror=…>``, ``<script>``, ``[x](javascript:…)``, a ``|`` that ends a table
cell early). Prefect renders markdown artifacts in the browser, so every such text goes
through :func:`md_text` (or :func:`md_cell` inside a table): HTML is turned into entities and
markdown syntax is backslash-escaped, so it shows as the characters it is and never as
markup, a link or an extra column.
"""

from __future__ import annotations

import re

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
#: Characters with a meaning in CommonMark/GFM inline syntax (and ``|`` for tables).
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def md_text(value: object) -> str:
    """``value`` as literal text in markdown: no HTML, no links, no emphasis, one line."""
    text = _LINE_BREAKS.sub(" ", str(value))
    text = "".join(_HTML.get(ch, ch) for ch in text)
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def md_cell(value: object) -> str:
    """``value`` as the literal text of one markdown table cell (``|`` cannot start a new cell)."""
    return md_text(value)
