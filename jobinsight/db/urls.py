"""Database URL helpers: normalize SQLAlchemy-style URLs for libpq and mask passwords.

Passwords must never reach logs, artifacts, results or error messages, so every place that
shows a URL goes through :func:`mask_url`, and :func:`scrub` cleans free text (exception
messages) that might contain one.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_DRIVER_PREFIX = re.compile(r"^postgres(?:ql)?\+[a-z0-9_]+://", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(postgres(?:ql)?(?:\+[a-z0-9_]+)?://[^:/@\s]*:)([^@\s]*)(@)", re.IGNORECASE)
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


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
    """The URL with its password replaced by ``***`` (unless ``show_password``)."""
    if show_password:
        return url
    try:
        parts = urlsplit(url)
        if not parts.password:
            return url
        user = parts.username or ""
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # e.g. a port that is not a number: still never show the password
        return scrub(url, [password_of(url) or ""])
    return urlunsplit((parts.scheme, f"{user}:***@{host}{port}", parts.path, parts.query, parts.fragment))


def scrub(text: str, secrets: list[str] | None = None) -> str:
    """Remove passwords (in URLs, ``password=`` pairs and any listed secret) from free text."""
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + ("***" if m.group(2) else "") + m.group(3), text)
    text = _KV_PASSWORD.sub(r"\1***", text)
    for secret in secrets or []:
        if secret:
            text = text.replace(secret, "***")
    return text


def password_of(url: str) -> str | None:
    """The password in a URL, if any (so callers can scrub it from messages)."""
    try:
        return urlsplit(to_libpq(url)).password
    except ValueError:
        return None
