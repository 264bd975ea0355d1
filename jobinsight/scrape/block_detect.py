"""Recognise block, captcha and challenge pages from their text, whatever the page parses to.

Why its own module: the fetcher needs the answer (to retry a blocked page through the
browser) before any parser runs, and the page checks need it again to give the final verdict.
Both import this; it imports nothing of ours.

Markers are looked for in *decoded* text, so a saved Cloudflare page in UTF-16LE with a BOM
reads like its UTF-8 twin (decoding honours the BOM, see ``jobinsight.scrape.text``).
"""

from __future__ import annotations

import re

#: HTTP statuses a board uses to refuse a client (Cloudflare answers challenges with 403/503).
BLOCK_STATUSES: frozenset[int] = frozenset({403, 429, 503})


def _compile(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern, re.IGNORECASE), label) for pattern, label in pairs)


#: Markers that only appear on interstitial / challenge pages.
STRONG_MARKERS = _compile(
    (
        (r"<title>\s*just a moment", "Cloudflare 'Just a moment' interstitial"),
        (r"attention required!?\s*\|\s*cloudflare", "Cloudflare 'Attention Required' page"),
        (r"cf-chl-|/cdn-cgi/challenge-platform|cf-browser-verification|cf_chl_opt", "Cloudflare challenge"),
        (r"bạn đã gửi quá nhiều yêu cầu", "rate-limit page ('Bạn đã gửi quá nhiều yêu cầu')"),
        (r"<title>[^<]{0,80}access denied|<h1>[^<]{0,80}access denied", "'Access denied' page"),
        (r"h-captcha|hcaptcha\.com", "hCaptcha challenge"),
        (r"cf-turnstile|challenges\.cloudflare\.com/turnstile", "Cloudflare Turnstile challenge"),
        (r"are you a robot|verify you are human|không phải (là )?robot", "bot check page"),
    )
)
#: Markers that also appear on normal pages (TopCV embeds an invisible reCAPTCHA for its login
#: popup), so they only count after those benign uses are removed.
WEAK_MARKERS = _compile(
    (
        (r"g-recaptcha|recaptcha/api|grecaptcha", "reCAPTCHA challenge"),
        (r"captcha", "captcha page"),
        (r"access denied", "'Access denied' text"),
    )
)
_BENIGN = re.compile(
    r"<[^>]*\bdata-size\s*=\s*[\"']invisible[\"'][^>]*>"  # invisible reCAPTCHA widget
    r"|[A-Za-z_]*recaptcha_site_key"  # its site-key variable
    r"|recaptcha/(?:api|enterprise)\.js\?render="  # reCAPTCHA v3 (always invisible)
    r"|grecaptcha\.(?:ready|execute)",
    re.IGNORECASE,
)
SCAN_CHARS = 200_000


def strong_block_marker(text: str) -> str | None:
    """The label of an unambiguous challenge/block marker in ``text``, else ``None``."""
    head = text[:SCAN_CHARS]
    for pattern, label in STRONG_MARKERS:
        if pattern.search(head):
            return label
    return None


def block_marker(text: str) -> str | None:
    """The label of the block/captcha marker found in ``text`` (strong, then weak), else ``None``."""
    strong = strong_block_marker(text)
    if strong is not None:
        return strong
    cleaned = _BENIGN.sub(" ", text[:SCAN_CHARS])
    for pattern, label in WEAK_MARKERS:
        if pattern.search(cleaned):
            return label
    return None


def block_kind(status: int | None, text: str) -> str | None:
    """Why a response looks like a refusal before parsing (``None``: it does not).

    A strong marker on any status, or a blocking status (403/429/503) — the cases a browser
    may get past. Weak markers need the parser's "no job cards" and are left to the page checks.
    """
    marker = strong_block_marker(text) if text else None
    if marker is not None:
        return f"{marker} (HTTP {status})"
    if status in BLOCK_STATUSES:
        return f"HTTP {status}"
    return None
