"""Database URL helpers: normalize SQLAlchemy-style URLs for libpq and mask passwords.

Passwords must never reach logs, artifacts, results or error messages, so every place that
shows a URL goes through :func:`mask_url`, and :func:`scrub` cleans free text (exception
messages) that might contain one.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

_DRIVER_PREFIX = re.compile(r"^postgres(?:ql)?\+[a-z0-9_]+://", re.IGNORECASE)
# The userinfo password runs to the last "@" of the token, so an unencoded "@", "#", "/" or "?" in
# it is masked too (masking a little too much is fine; showing a piece of a password is not).
_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]*:)(\S*)(@)", re.IGNORECASE)
# ``?password=…`` / ``&password=…`` in a URL's query
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&#\s]*)", re.IGNORECASE)
# ``password=…`` in a key=value DSN or free text: quoted (with \' escapes) or up to a blank
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", re.IGNORECASE)


def to_libpq(url: str) -> str:
    """``postgresql+psycopg2://…`` (SQLAlchemy) → ``postgresql://…`` (libpq/psycopg2)."""
    url = url.strip()
    url = _DRIVER_PREFIX.sub("postgresql://", url)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    return url


def to_sqlalchemy(url: str) -> str:
    """libpq URL → SQLAlchemy URL using psycopg2."""
    return "postgresql+psycopg2://" + to_libpq(url)[len("postgresql://") :]


def mask_url(url: str, show_password: bool = False) -> str:
    """The URL or key=value DSN with its password replaced by ``***`` (unless ``show_password``).

    Every form libpq accepts is covered: ``user:pw@`` in the URL (also with unencoded ``#``,
    ``@``, ``/`` in it), ``?password=`` in the query, ``password=…`` in a key=value DSN; and the
    password as libpq itself reads it is removed wherever else it appears.
    """
    if show_password:
        return url
    return scrub(url, passwords_of(url))


def scrub(text: str, secrets: list[str] | None = None) -> str:
    """Remove passwords (in URLs, ``password=`` pairs and any listed secret) from free text."""
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + ("***" if m.group(2) else "") + m.group(3), text)
    text = _QUERY_PASSWORD.sub(lambda m: m.group(1) + ("***" if m.group(2) else ""), text)
    text = _KV_PASSWORD.sub(r"\1***", text)
    for secret in sorted(set(secrets or []), key=len, reverse=True):
        if secret and len(secret) >= 3:  # a shorter one would blank out unrelated letters
            text = text.replace(secret, "***")
    return text


def passwords_of(url: str) -> list[str]:
    """Every spelling of the password in ``url``: as libpq parses it, raw and percent-encoded."""
    found: list[str] = []
    try:
        from psycopg2.extensions import parse_dsn

        password = parse_dsn(url).get("password")
        if password:
            found.append(password)
    except Exception:  # noqa: BLE001 - not parseable by libpq: the regexes still apply
        pass
    try:
        parts = urlsplit(to_libpq(url))
        if parts.password:
            found += [parts.password, unquote(parts.password)]
    except ValueError:
        pass
    # what a person meant as the password, even where a parser reads it as something else (an
    # unencoded "/" makes libpq take it for the port, and quote it in its error message)
    for match in _URL_PASSWORD.finditer(url):
        found.append(match.group(2))
        found += re.split(r"[/@#?]", match.group(2))
    found = [p for p in dict.fromkeys(found) if p]
    return found + [quote(p, safe="") for p in found] + [quote(p) for p in found]


def password_of(url: str) -> str | None:
    """The password in a URL or DSN, if any (so callers can scrub it from messages)."""
    found = passwords_of(url)
    return found[0] if found else None
