"""Small text helpers shared by the transformation modules.

Why: every parser in this package sees the same dirt (None/NaN from pandas, NFD-decomposed
Vietnamese from some scrapers, non-breaking spaces from HTML, stray zero-width characters).
Normalising it in one place keeps each parser focused on its own grammar and makes the
"same input, same output" promise hold regardless of how the text was encoded.
"""

from __future__ import annotations

import re
import unicodedata

_SPACE_LIKE = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC form (cheap when it already is)."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def clean_text(value: object) -> str | None:
    """NFC, collapse all whitespace (incl. NBSP/zero-width) to single spaces, strip.

    Anything that is not a non-blank string (None, NaN, pd.NA, numbers) gives None.
    """
    if not isinstance(value, str):
        return None
    text = nfc(value)
    # Fast path (C-speed checks): no tab/newline/NBSP/zero-width, no double or edge spaces.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text or None
    text = _SPACE_LIKE.sub(" ", text).strip()
    return text or None


def fold(text: str) -> str:
    """Accent-free lowercase form used as a lookup key ("Hà Nội" -> "ha noi")."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return _COMBINING.sub("", decomposed).lower()


def fold_key(text: str) -> str:
    """``fold`` with everything but ASCII letters and digits removed ("TP.HCM" -> "tphcm")."""
    return _NON_ALNUM.sub("", fold(text))
