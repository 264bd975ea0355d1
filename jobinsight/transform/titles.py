"""Job titles -> the role itself, without salary, place, urgency and hiring-condition decorations.

Why: Vietnamese boards pack advertising into titles ("Kế Toán Tổng Hợp - Upto 16tr - Quận 1, HCM",
"Trợ Lý Kiểm Toán (Audit Assistant) | Thu Nhập Hấp Dẫn Tại Hà Nội"). Grouping postings by role
needs the role only; the decorations are already separate fields (salary, location, deadline).

How: the title is split at top-level separators (" - ", "|", "_", " / ", outside brackets);
a part, a bracket group, or a comma-separated piece of either is dropped when *all* of it is
decoration (a salary, a place, an experience/gender/CV condition, an urgency word), and a
decoration tail inside a part ("… Tại Hà Nội Lương Upto 17 Triệu") is cut. Matching is by whole
words only, so "C#", "C++", ".NET", "Node.js", "Photoshop", "Hotel" are never touched, and a
bracket that also names skills ("(Java, Spring Boot)") is kept. If nothing real remains the
trimmed input is returned: the function never turns a real title into an empty string.
"""

from __future__ import annotations

import re
from functools import lru_cache

from jobinsight.transform.locations import place_names
from jobinsight.transform.rules import tokens_of, trie_pattern
from jobinsight.transform.text import clean_text, fold

__all__ = ["clean_title", "title_truncated"]

_W = r"[^\W_]"  # a word character without underscore
_B = rf"(?<!{_W})"  # word start
_E = rf"(?!{_W})"  # word end


def _alternation(words: list[str]) -> str:
    """Literal words as a prefix trie (titles are whitespace-collapsed, so spaces are literal)."""
    return trie_pattern(sorted({w.lower() for w in words if w}))


_NUM = r"\d+(?:[.,]\d+)*"
_UNIT = r"(?:triệu|triêu|trieu|tr|m|k|usd|\$|vnđ|vnd|đ|củ|million)"
_PERIOD = r"(?:\s*/\s*(?:tháng|th|năm|giờ|month))?"
_SALARY_WORD = r"(?:mức\s+)?(?:lương|thu\s+nhập|income|salary)(?:\s+(?:cứng|cơ\s+bản|khởi\s+điểm|trung\s+bình|tháng|thưởng))*"
_QUALIFIER = r"(?:upto|up\s+to|lên\s+(?:đến|tới)|đến|tới|từ|trên|tối\s+thiểu|hơn|khoảng|~|>|<)"
_AMOUNT = rf"\$?\s*{_NUM}\s*{_UNIT}?(?:\s*(?:-|–|~|đến|tới|to)\s*\$?\s*{_NUM}\s*{_UNIT}?)?{_PERIOD}\s*\+*"
_AMOUNT_WITH_UNIT = (
    rf"(?:\$\s*{_NUM}|{_NUM}\s*{_UNIT}|{_NUM}\s*(?:-|–|~|đến|tới)\s*{_NUM}\s*{_UNIT}|\d{{1,3}}(?:[.,]\d{{3}})+)"
    rf"(?:\s*(?:-|–|~|đến|tới)\s*\$?\s*{_NUM}\s*{_UNIT}?)?{_PERIOD}\s*\+*"
)
_ATTRACTIVE = (
    r"(?:rất\s+)?(?:hấp\s+dẫn|cạnh\s+tranh|thỏa\s+thuận|thoả\s+thuận|thương\s+lượng|deal|cao|tốt|xứng\s+đáng|khủng|hậu\s+hĩnh|upto|"
    r"up\s+to)(?:\s+(?:cao|(?:theo|với|xứng\s+với)\s+năng\s+lực|và\s+nhiều\s+đãi\s+ngộ))?"
)
_PERKS = r"(?:phụ\s+cấp|hoa\s+hồng|thưởng(?:\s+(?:doanh\s+số|kpi|nóng|tháng\s+13))?|kpi|doanh\s+số|%\s*hh|hh)"
_SALARY = (
    rf"(?:{_SALARY_WORD}\s*:?\s*(?:{_ATTRACTIVE}\s*)?(?:{_QUALIFIER}\s*)?{_AMOUNT}"
    rf"|(?:{_QUALIFIER}\s*)?{_AMOUNT_WITH_UNIT}"
    rf"|(?:{_SALARY_WORD}|(?:nhiều\s+)?(?:đãi\s+ngộ|phúc\s+lợi|chế\s+độ))\s+{_ATTRACTIVE}"
    rf"|(?:\+\s*)?thưởng(?:\s+(?:phụ\s+cấp|hấp\s+dẫn|cao))?"
    rf"|xét\s+tăng\s+lương(?:\s+định\s+kỳ)?|{_ATTRACTIVE}\s+theo\s+năng\s+lực"
    rf"|hỗ\s+trợ\s+(?:chi\s+phí|ăn|nhà\s+ở|chỗ\s+ở|xăng|đi\s+lại|gửi\s+xe|điện\s+thoại|ký\s+túc\s+xá|lương|thu\s+nhập)"
    rf"(?:\s+{_W}+){{0,8}}"
    # a salary word whose amount was cut off or never given: "Thu Nhập Từ (Phụ Cấp)", "Lương Cứng + Phụ Cấp"
    rf"|{_SALARY_WORD}(?:\s*{_QUALIFIER})?(?:\s*(?:\+|&|và)?\s*{_PERKS})*"
    rf"|(?:\+\s*)?{_PERKS}(?:\s*(?:\+|&|và|,)\s*{_PERKS})*)"
)
_EXPERIENCE = (
    r"(?:yêu\s+cầu\s+|ưu\s+tiên\s+)?(?:(?:tối\s+thiểu|tối\s+thiếu|ít\s+nhất|trên|từ|hơn|có|tối\s+đa|dưới)\s+)?"
    r"(?:\d+\s*(?:-|–|đến)\s*)?\d+\+?\s*(?:năm|tháng|yoe|years?)(?:\s+(?:kinh\s+nghiệm|kn|exp|experience))?"
    rf"(?:\s+(?:cứng|trở\s+lên|thuế|làm\s+(?:{_W}+\s*){{1,2}}|mảng\s+(?:{_W}+\s*){{1,3}}|trong\s+(?:{_W}+\s*){{1,3}}))?"
    r"|(?:ít|không\s+yêu\s+cầu|chưa\s+có|không\s+cần|có|cần)\s+kinh\s+nghiệm"
    rf"(?:\s+(?:là\s+(?:1|một)\s+lợi\s+thế|mảng\s+(?:{_W}+\s*){{1,3}}))?"
    r"|kinh\s+nghiệm\s+(?:từ|trên|tối\s+thiểu)?\s*\d+\+?\s*năm"
    rf"|(?:từ\s+)?\d+\s*yoe(?:\s+(?:{_W}+\s*){{1,3}})?"
)
_CONDITIONS = (
    r"(?:chỉ\s+)?tuyển\s+(?:nam|nữ)|(?:ưu\s+tiên\s+)?(?:nam|nữ)(?:\s*/\s*(?:nam|nữ))?"
    rf"|(?:bắt\s+buộc\s+)?(?:chỉ\s+)?(?:nộp|nhận|gửi)\s+cv\s+(?:bằng\s+)?tiếng\s+{_W}+"
    r"|(?:nghỉ\s+)?(?:t7|thứ\s+7|chủ\s+nhật|cn)(?:\s*(?:[,&/-]|và)?\s*(?:t7|thứ\s+7|chủ\s+nhật|cn))*"
    r"|làm\s+giờ\s+hành\s+chính|full[\s-]?time|part[\s-]?time|có\s+xe\s+đưa\s+đón|bao\s+ăn(?:\s+ở)?"
    rf"|không\s+tăng\s+ca|(?:có\s+)?(?:nhiều\s+)?cơ\s+hội(?:\s+{_W}+){{0,6}}|đào\s+tạo\s+(?:bài\s+bản|từ\s+đầu|1-1(?:\s+từ\s+đầu)?)"
    r"|data\s+có\s+sẵn|all\s+level|(?:có\s+)?mộc"
)
_URGENCY = (
    r"(?:tuyển\s+(?:dụng\s+)?|cần\s+)?gấp|hot(?:\s+job)?|urgent(?:ly)?(?:\s+hiring)?"
    r"|(?:đi\s+làm|nhận\s+việc|làm\s+việc)\s+(?:ngay|luôn)(?:\s+(?:sau\s+tết|trong\s+tháng))?|cần\s+tuyển"
    r"|ưu\s+tiên\s+đi\s+làm\s+ngay"
)
_PLACE_PREFIX = r"(?:quận|huyện|phường|xã|thị\s+xã|thị\s+trấn|tp\.?|thành\s+phố|kcn|khu\s+công\s+nghiệp|kcx|khu\s+chế\s+xuất|khu\s+vực|tỉnh)"
_PLACE_WORDS = [*place_names(), "Việt Nam", "toàn quốc", "miền bắc", "miền nam", "miền trung"]
_PLACE_NAMES = _alternation([*_PLACE_WORDS, *(fold(w) for w in _PLACE_WORDS)])
_PLACE_ONE = (
    rf"(?:{_PLACE_PREFIX}\s*(?:\d+|(?:{_PLACE_NAMES})|{_W}+(?:\s+{_W}+)?)"
    rf"|(?:q|p)\.?\s*\d+|(?:{_PLACE_NAMES})|tp\.?\s*hcm|hcm|hn)"
)
_PLACE = (
    rf"(?:(?:(?:làm\s+việc|làm|đi\s+làm|địa\s+điểm|khu\s+vực|công\s+tác)\s+)?tại\s+)?"
    rf"{_PLACE_ONE}(?:\s*(?:,|-|–|&|/|và)?\s*{_PLACE_ONE})*"
    rf"|(?:làm\s+việc|làm|công\s+tác)\s+tại\s+{_W}+(?:\s+{_W}+){{0,3}}?"
)
_DECOR_ONE = rf"(?:{_SALARY}|{_EXPERIENCE}|{_CONDITIONS}|{_URGENCY}|{_PLACE})"
_GLUE = r"(?:\s*(?:[,;.&+:!/|]|-|–|\bvà\b|\band\b)\s*|\s+)"
# Each piece is an atomic group: once a piece matched, the engine never re-splits it, which keeps a
# failing match linear instead of exploring every way to cut the text into pieces.
_DECORATION_RE = re.compile(rf"(?:{_B}(?>(?:{_DECOR_ONE}){_E}){_GLUE}*)+", re.IGNORECASE)
_TRIGGER_RE = re.compile(
    rf"{_B}(?:mức\s+lương|lương|thu\s+nhập|income|salary|upto|up\s+to|lên\s+đến|tại|làm\s+việc\s+tại|làm\s+tại"
    rf"|đi\s+làm|nhận\s+việc|tuyển\s+gấp|cần\s+gấp|gấp|hot|urgent|ít\s+kinh|không\s+yêu\s+cầu|yêu\s+cầu|từ|trên"
    rf"|tối\s+thiểu|ít\s+nhất|có\s+kinh|\d|nghỉ|chỉ|bắt\s+buộc|tuyển\s+nam|tuyển\s+nữ|khu\s+vực|hỗ\s+trợ|full|part|(?<=\s)\+)",
    re.IGNORECASE,
)
_RANGE_DASH_RE = re.compile(r"(\d)\s*[-–]\s*(\d)")
_BRACKET_RE = re.compile(r"[(\[【{]([^()\[\]【】{}]*)[)\]】}]")
_SPACE_IN_BRACKET_RE = re.compile(r"([(\[])\s+|\s+([)\]])")
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([,;])")
_MULTI_SPACE_RE = re.compile(r"\s{2,}")
_EMPTY_BRACKET_RE = re.compile(r"[(\[]\s*[)\]]")
_HAS_WORD_RE = re.compile(rf"{_W}{{2,}}|[A-Za-z]")


# Words a decoration can start with; anything else is rejected without running the big regex.
_DECOR_START_WORDS = frozenset(
    """mức lương thu income salary upto up lên đến tới từ trên tối hơn khoảng rất hấp cạnh thỏa thoả thương deal
    cao tốt xứng khủng hậu nhiều đãi phúc chế thưởng xét hỗ yêu ưu ít có dưới không chưa cần kinh fresher junior
    phụ hoa kpi doanh hh %
    middle senior chỉ tuyển nam nữ bắt nộp nhận gửi nghỉ làm full part bao đào data all mộc gấp hot urgent
    urgently đi địa khu công tại quận huyện phường xã thị tp thành kcn kcx tỉnh q p hcm hn tphcm việt toàn miền
    yoe chủ thứ t7 cn cơ""".split()
)
_PLACE_FIRST_WORDS = frozenset(w.split()[0].lower() for w in _PLACE_WORDS if w.split()) | frozenset(
    fold(w).split()[0] for w in _PLACE_WORDS if w.split()
)
_FIRST_WORD_RE = re.compile(r"[^\W_]+|\d|[$~><+]")


@lru_cache(maxsize=65_536)
def _is_decoration(text: str) -> bool:
    stripped = text.strip(" -–—|_/:,;.+*!~•·")
    if not stripped:
        return True
    first = _FIRST_WORD_RE.search(stripped)
    if first is not None and not first.group().isdigit() and first.group() not in "$~><+":
        word = first.group().lower()
        if word not in _DECOR_START_WORDS and word not in _PLACE_FIRST_WORDS:
            return False
    return _DECORATION_RE.fullmatch(stripped) is not None


def _clean_bracket(m: re.Match[str]) -> str:
    inner = m.group(1)
    if _is_decoration(inner):
        return " "
    pieces = [p for p in re.split(r"\s*[,;]\s*", inner)]
    kept = [p for p in pieces if p.strip() and not _is_decoration(p)]
    if len(kept) == len([p for p in pieces if p.strip()]):
        return m.group(0)
    open_, close = m.group(0)[0], m.group(0)[-1]
    return f"{open_}{', '.join(p.strip() for p in kept)}{close}"


_SEPARATOR_RE = re.compile(r"(?:(?<=\s)[-–—](?=\s?)|[-–—](?=\s)|(?<=\s)/(?=\s)|[|_｜])")


_INNER_BRACKET_RE = re.compile(r"[(\[{【][^()\[\]{}【】]*[)\]}】]")


def _mask_brackets(text: str) -> str:
    """``text`` with bracket groups blanked (same length), so separators inside them are ignored."""
    prev = None
    while prev != text:
        prev, text = text, _INNER_BRACKET_RE.sub(lambda m: "\x02" * len(m.group()), text)
    return text


def _split_top_level(text: str) -> list[tuple[str, str]]:
    """Split at top-level separators; returns (separator_before, part) pairs."""
    scan = _mask_brackets(text) if any(ch in text for ch in "([{【") else text
    parts: list[tuple[str, str]] = []
    start, sep_before = 0, ""
    for m in _SEPARATOR_RE.finditer(scan):
        parts.append((sep_before, text[start : m.start()]))
        sep_before, start = m.group(), m.end()
    parts.append((sep_before, text[start:]))
    return parts


@lru_cache(maxsize=65_536)
def _cut_tail(part: str, *, first: bool) -> str:
    """Cut the earliest decoration tail ("… Tại Hà Nội Lương Upto 17 Triệu")."""
    for m in _TRIGGER_RE.finditer(part):
        if first and m.start() == 0:
            continue
        tail = part[m.start() :]
        if _HAS_WORD_RE.search(tail) and _is_decoration(tail):
            return part[: m.start()]
    return part


_HEAD_URGENCY_RE = re.compile(rf"^\s*(?:(?:{_URGENCY}){_E}\s*[:!\-–|]*\s*)+", re.IGNORECASE)
# "Tuyển Dụng Nhân Viên CSKH" advertises that the employer hires: the role is what follows. Only
# cut before a word naming a person, so "Tuyển Dụng Nhân Sự" (a recruiter's job) stays.
_HEAD_HIRING_RE = re.compile(
    r"^\s*(?:tuyển\s+dụng|cần\s+tuyển|tuyển|we\s*(?:'|’)?re\s+hiring|we\s+are\s+hiring|hiring)\s*[:!\-–|]*\s*"
    r"(?=(?:\d+\s+)?(?:nhân\s+viên|nv|chuyên\s+viên|cv|kỹ\s+sư|kỹ\s+thuật\s+viên|ktv|giáo\s+viên|giảng\s+viên"
    r"|công\s+nhân|lao\s+động|thực\s+tập\s+sinh|tts|cộng\s+tác\s+viên|ctv|lái\s+xe|tài\s+xế|kế\s+toán|bảo\s+vệ|tạp\s+vụ"
    r"|phục\s+vụ|đầu\s+bếp|trưởng|phó|quản\s+lý|giám\s+đốc|trợ\s+lý|thư\s+ký|lễ\s+tân|thợ|dược\s+sĩ|bác\s+sĩ"
    r"|điều\s+dưỡng|sales|senior|junior|intern|fresher|developer|engineer)\b)",
    re.IGNORECASE,
)


def _cut_head(part: str) -> str:
    """Drop leading urgency and hiring words ("Tuyển Gấp Nhân Viên …", "HOT: …", "Tuyển Dụng Kế Toán")."""
    m = _HEAD_URGENCY_RE.match(part)
    part = part[m.end() :] if m and m.end() < len(part) else part
    m = _HEAD_HIRING_RE.match(part)
    return part[m.end() :] if m and m.end() < len(part) else part


_LEAD_EDGE = " -–—|_/:,;.+*!~•·"
_TRAIL_EDGE = " -–—|_/:,;*!~•·"  # a trailing "." may end an abbreviation ("Co."), "+" a "C++"
_TRAILING_PLUS_RE = re.compile(r"\s\++$")


def _tidy(text: str) -> str:
    if "(" in text or "[" in text:
        text = _SPACE_IN_BRACKET_RE.sub(lambda m: m.group(1) or m.group(2), text)
        text = _EMPTY_BRACKET_RE.sub(" ", text)
    if " ," in text or " ;" in text:
        text = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", text)
    if "  " in text:
        text = _MULTI_SPACE_RE.sub(" ", text)
    text = text.lstrip(_LEAD_EDGE).rstrip(_TRAIL_EDGE)
    if text.endswith("+"):
        text = _TRAILING_PLUS_RE.sub("", text).rstrip(_TRAIL_EDGE)
    return text.strip()


_HIDE = str.maketrans("()[]", "\ue000\ue001\ue002\ue003")
_SHOW = str.maketrans("\ue000\ue001\ue002\ue003", "()[]")


def _strip_brackets(text: str) -> str:
    """Drop decoration bracket groups, innermost first; kept groups are hidden while looping."""

    def repl(m: re.Match[str]) -> str:
        cleaned = _clean_bracket(m)
        return " " if cleaned == " " else cleaned.translate(_HIDE)

    prev = None
    while prev != text:
        prev, text = text, _BRACKET_RE.sub(repl, text)
    return text.translate(_SHOW)


def _joiner(sep: str) -> str:
    return " - " if sep in ("", "_") else f" {sep} "


# Anything that can start a decoration: brackets, separators, trigger words (incl. digits), head
# urgency words. A title without any of them is already clean (the common case).
_NEEDS_WORK_CHARS_RE = re.compile(r"[\d(\[{【|_+$]|\s[-–—/]|[-–—/]\s")
_NEEDS_WORK_WORDS = frozenset(
    """mức lương thu income salary upto up lên tại đi nhận tuyển cần gấp hot urgent urgently ít không yêu từ trên
    tối có nghỉ chỉ bắt khu hỗ full part làm full-time part-time fulltime parttime new""".split()
)


@lru_cache(maxsize=65_536)
def _clean_cached(title: str) -> str:
    if _NEEDS_WORK_CHARS_RE.search(title) is None and _NEEDS_WORK_WORDS.isdisjoint(tokens_of(title).lower):
        tidy = _tidy(title)
        return tidy if _HAS_WORD_RE.search(tidy) else title
    text = _strip_brackets(_RANGE_DASH_RE.sub(r"\1-\2", title))
    kept: list[str] = []
    for index, (sep, raw_part) in enumerate(_split_top_level(text)):
        first = index == 0
        part = _cut_head(raw_part) if first else raw_part
        if _is_decoration(part):
            continue
        part = _cut_tail(part, first=first).strip()
        if not part or (first and _is_decoration(part)):
            continue
        kept.append(part if not kept else _joiner(sep) + part)
    result = _tidy("".join(kept))
    return result if _HAS_WORD_RE.search(result) else (_tidy(title) or title)


# Listings cut long titles and append an ellipsis ("Nhân Viên Kinh Doanh Phần Mềm Thu Nhập Từ...").
_TRUNCATED_RE = re.compile(r"(?:\.{3,}|…)\s*$")


def title_truncated(text: str | None) -> bool:
    """True when the board cut the title short (it ends in "..." or "…")."""
    return isinstance(text, str) and _TRUNCATED_RE.search(text) is not None


def clean_title(text: str | None) -> str | None:
    """Role title without decorations; None for missing/blank input, never an empty string.

    A trailing ellipsis (a title the listing truncated, see :func:`title_truncated`) is dropped
    first, so the role is not spelled differently because a board cut it.
    """
    cleaned = clean_text(text)
    if cleaned is None:
        return None
    if cleaned.endswith(("...", "…")):
        cleaned = _TRUNCATED_RE.sub("", cleaned).rstrip() or cleaned
    return _clean_cached(cleaned)
