"""Pluggable page parsers, by name: what the archive records and replays with.

Why a registry: an archived page must be re-parsed by the parser that read it the first time,
long after the crawl. The sidecar stores the name; this maps the name back to the function.
Every parser has the signature ``(html, page_url, *, fetched_at=None, source=...) -> list[RawJob]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobinsight.scrape.records import RawJob
from jobinsight.scrape.sources import jsonld, topcv

ParserFn = Callable[..., list[RawJob]]

PARSERS: dict[str, ParserFn] = {
    topcv.PARSER_NAME: topcv.parse_listing,
    jsonld.PARSER_NAME: jsonld.parse_jobposting_page,
}
#: The ``source`` value each parser writes by default.
DEFAULT_SOURCES: dict[str, str] = {topcv.PARSER_NAME: topcv.SOURCE, jsonld.PARSER_NAME: jsonld.SOURCE}


def get_parser(name: str) -> ParserFn:
    """The parser registered as ``name``; ``KeyError`` lists the known names."""
    try:
        return PARSERS[name]
    except KeyError:
        raise KeyError(f"unknown parser {name!r}; known: {sorted(PARSERS)}") from None


def parser_name(parser: str | Any) -> str:
    """The registry name of ``parser`` (a name or one of the registered functions)."""
    if isinstance(parser, str):
        get_parser(parser)
        return parser
    for name, fn in PARSERS.items():
        if fn is parser:
            return name
    return f"custom:{getattr(parser, '__module__', '?')}.{getattr(parser, '__qualname__', repr(parser))}"


__all__ = ["DEFAULT_SOURCES", "PARSERS", "ParserFn", "get_parser", "parser_name"]
