"""URL hygiene for scraped links: absolute, without tracking parameters, with stable ids.

Why: boards decorate every link with per-visit tracking (``ta_source``, ``u_sr_id``, ``utm_*``).
Left in, the same posting gets a new ``job_url`` on every crawl and the raw upsert sees a
"change" that is not one. Stripping them here keeps content hashes stable across crawls.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "ta_source",
        "u_sr_id",
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
    }
)
_ID_IN_PATH = re.compile(r"(\d{3,})(?:\.html?)?/?$")


def is_tracking_param(name: str) -> bool:
    lowered = unquote(name).lower()
    return lowered in TRACKING_PARAMS or lowered.startswith("utm_")


def clean_url(href: str | None, base: str | None = None) -> str | None:
    """Absolute URL (resolved against ``base``) without tracking parameters or fragment.

    The query string is filtered as text, not re-encoded, so the URL stays byte-identical apart
    from the removed parameters. ``javascript:``/``mailto:`` links and empty values give ``None``.
    """
    if href is None:
        return None
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    lowered = href[:8].lower()
    if lowered.startswith(("http://", "https://")):
        absolute = href
    else:
        try:
            absolute = urljoin(base, href) if base else href
        except ValueError:
            return None
        scheme = urlsplit(absolute).scheme if ":" in absolute else ""
        if scheme and scheme.lower() not in ("http", "https"):
            return None
    absolute = absolute.split("#", 1)[0]
    path, sep, query = absolute.partition("?")
    if not sep:
        return absolute
    kept = [p for p in query.split("&") if p and not is_tracking_param(p.split("=", 1)[0])]
    return f"{path}?{'&'.join(kept)}" if kept else path


def id_from_url(url: str | None) -> str | None:
    """The trailing number of a posting URL: ``.../1386692.html`` or ``...-j1911804.html`` -> digits."""
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    m = _ID_IN_PATH.search(path)
    return m.group(1) if m else None


def with_query(url: str, **params: str | int) -> str:
    """``url`` with ``params`` set (replacing same-named ones), other query parameters kept in order."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    kept.extend((k, str(v)) for k, v in params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))


def host_of(url: str) -> str:
    """``scheme://host:port`` of a URL (the politeness and robots.txt unit)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


#: ``((public origin, serving origin), ...)``: where a board's public name is served for a run.
Routes = tuple[tuple[str, str], ...]


def _origin_and_rest(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin.lower(), url[len(origin):]


def route_url(url: str, routes: Routes) -> str:
    """Where to send a request for ``url``: its origin swapped for the serving one if ``routes`` has it.

    Like ``curl --resolve``: a board known by a public name (the demo board's
    ``https://demo.jobinsight.invalid``) is reached at the loopback address serving it this run,
    while every URL the crawler records keeps the public name. Only an exact origin in
    ``routes`` (declared by the source, never by a page) is rewritten.
    """
    if not routes:
        return url
    origin, rest = _origin_and_rest(url)
    for public, serving in routes:
        if origin == public:
            return serving + rest
    return url


def unroute_url(url: str, routes: Routes) -> str:
    """The public name of a URL the serving origin answered with (a redirect's target, say)."""
    if not routes:
        return url
    origin, rest = _origin_and_rest(url)
    for public, serving in routes:
        if origin == serving:
            return public + rest
    return url


def is_origin(value: str) -> bool:
    """True for ``scheme://host[:port]`` with an http(s) scheme and nothing after it."""
    parts = urlsplit(value)
    return (parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.path
            and not parts.query and not parts.fragment and value == f"{parts.scheme}://{parts.netloc}".lower())
