"""Company names -> one consistent spelling.

Why: the same employer is posted as "CÔNG TY CỔ PHẦN TẬP ĐOÀN THÉP POSHACO",
"Công ty cổ phần tập đoàn thép Poshaco" or with a scraper artefact appended ("… Pro Company",
TopCV's badge for paying employers). Grouping and counting by employer needs one spelling, so
words are title-cased the Vietnamese way while acronyms (TNHH, TMCP, FPT, JSC, …) stay upper.

Casing decision per word:
* an all-caps name ("shouting") has lost its brand casing, so each word is title-cased unless it
  is a known acronym, has no vowel (TNHH, XNK, CMC), holds a digit ("5T"), or is a short token
  that cannot be a Vietnamese syllable nor a common English word (VSA, APC, BPO);
* in a mixed-case name the author chose the casing of capitals: all-caps words and words with
  inner capitals (KiotViet, eCharging) are kept, lower-case words are capitalised.
Words are never edited inside (no substring replacement), so names merely containing "hot" or
"gấp" are safe.

Review boards append the employer's star rating on its own line ("Tecolote Research\n3.8",
"Acme Corp\n4.1 ★"): it is split off (:func:`split_company_rating`) so the name groups with the
same employer elsewhere. Only a rating on its own line (or with a star) is taken: "Web 2.0"
keeps its number.
"""

from __future__ import annotations

import re
from functools import lru_cache

from jobinsight.transform.text import clean_text

__all__ = ["standardize_company", "split_company_rating", "ACRONYMS"]

ACRONYMS = frozenset(
    """TNHH TMCP CP MTV TM DV XNK SX XD TMDV DVTM SXTM TMSX KD CN VN JSC LLC PLC FPT VNG MSB VNPT EVN
    VPBANK MB ACB BIDV VIB TPB SHB HDB OCB SCB ABB NCB CMC HTSC BPO IT AI HR KCN KCX ĐT ĐTXD GTVT
    CNTT TV TT QC QA RD ODA FDI BĐS BDS GD TTTM HTX XK NK TNHHMTV USA UK EU ASEAN IMTC SCTV VTV HTV
    VOV VTC VCCI VNPAY MOMO PVN PVI PV GAS BHXH HCM HN HP DN JV ERP CRM SAP SEO BIM MEP PCCC ABC
    ICT IOT OEM ODM HVAC LED TV3 API QTSC SHTP NTT NEC LG SK KT CJ GS VSIP"""
    .split()
)
# Company-form suffixes that have a conventional mixed casing.
_SPECIAL = {"LTD": "Ltd", "CO": "Co", "INC": "Inc", "CORP": "Corp", "GMBH": "GmbH", "PTE": "Pte"}
_TLDS = frozenset({"com", "net", "vn", "org", "io", "ai", "co", "asia", "info", "biz", "edu", "gov"})
# Short English words common in Vietnamese company names (kept title-case, not read as acronyms).
_ENGLISH = frozenset(
    """and the of for tax art eco pro one new top max big box bio net web app hub lab car air sun sky
    star food home land link tech soft data care life auto euro asia golf gold wood mart shop away
    edu fit fun go joy key kid kids pet pay red sea spa tea toy way win zen blue city farm fish glow
    hope idea jet king lion mind nova one open real rich rock safe seed smart true unit vina viet
    east west north south inc ltd co corp bank cafe club team work wise group home media film""".split()
)
_VOWELS = set("aeiouyàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ")
# A loose Vietnamese syllable: initial consonant cluster, vowel nucleus, optional final.
_VN_SYLLABLE_RE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    r"[aeiouyàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]{1,3}"
    r"(?:ng|nh|ch|[cmnpt])?"
)
_LETTERS_RE = re.compile(r"[^\W\d_]+")
_PRO_COMPANY_RE = re.compile(r"\s+pro\s+company\s*$", re.IGNORECASE)
_TRAILING_RE = re.compile(r"[\s,;:.\-–—|/\\_*·•]+$")
_LEADING_RE = re.compile(r"^[\s,;:.\-–—|/\\_*·•]+")


def _is_acronym(word: str) -> bool:
    upper = word.upper()
    if upper in ACRONYMS:
        return True
    lower = word.lower()
    if not any(ch in _VOWELS for ch in lower):
        return True
    if lower in _ENGLISH or len(lower) > 3:
        return False
    return _VN_SYLLABLE_RE.fullmatch(lower) is None


def _case_run(run: str, *, shouting: bool, in_token: str, prev: str) -> str:
    upper = run.upper()
    if upper in _SPECIAL and (shouting or run.isupper()):
        return _SPECIAL[upper]
    if prev == "." and run.lower() in _TLDS:
        return run.lower()  # VNEXPRESS.NET -> Vnexpress.net
    if shouting:
        if any(ch.isdigit() for ch in in_token) or _is_acronym(run):
            return upper
        return run[:1].upper() + run[1:].lower()
    if run.isupper() and len(run) > 1:
        return run
    if any(ch.isupper() for ch in run[1:]):
        return run  # KiotViet, eCharging, SohaGame
    return run[:1].upper() + run[1:]


@lru_cache(maxsize=65_536)
def _case_token(token: str, shouting: bool) -> str:
    out: list[str] = []
    pos = 0
    for m in _LETTERS_RE.finditer(token):
        out.append(token[pos : m.start()])
        prev = token[m.start() - 1] if m.start() > 0 else ""
        out.append(_case_run(m.group(), shouting=shouting, in_token=token, prev=prev))
        pos = m.end()
    out.append(token[pos:])
    return "".join(out)


@lru_cache(maxsize=65_536)
def _standardize_cached(text: str) -> str | None:
    text = _PRO_COMPANY_RE.sub("", text)
    text = _LEADING_RE.sub("", _TRAILING_RE.sub("", text))
    if not text:
        return None
    tokens = text.split(" ")
    # Shouting: (almost) every cased word is upper case; words are the unit, so this stays C-speed.
    cased = [tok for tok in tokens if tok.upper() != tok.lower()]
    shouting = bool(cased) and sum(tok.isupper() for tok in cased) >= 0.8 * len(cased)
    return " ".join([_case_token(tok, shouting) for tok in tokens])


_RATING_RE = re.compile(r"(?:\s*[\r\n]+\s*|\s+)(?P<rating>[0-5](?:[.,]\d)?)\s*(?:★|☆|stars?)?\s*$", re.IGNORECASE)


def split_company_rating(text: str | None) -> tuple[str | None, float | None]:
    """("Tecolote Research\n3.8") -> ("Tecolote Research", 3.8); the name alone when no rating is appended."""
    if not isinstance(text, str):
        return None, None
    m = _RATING_RE.search(text)
    if m is None:
        return text, None
    sep = text[: m.start("rating")][len(text[: m.start()]) :]
    if "\n" not in sep and "\r" not in sep and not re.search(r"[★☆]|stars?\s*$", text[m.end("rating") :], re.I):
        return text, None  # "Web 2.0": a number that belongs to the name
    name = text[: m.start()].rstrip()
    return (name or None), float(m.group("rating").replace(",", "."))


def standardize_company(text: str | None) -> str | None:
    """Consistently cased, trimmed company name without an appended rating; None for missing/blank input."""
    if isinstance(text, str) and ("\n" in text or "★" in text or "star" in text.lower()):
        text = split_company_rating(text)[0]
    cleaned = clean_text(text)
    if cleaned is None:
        return None
    return _standardize_cached(cleaned)
