"""Seniority from a job title (first) or the board's level field (second).

Why: analysts compare salaries and demand by seniority, but boards state it inconsistently:
in the title ("Thực Tập Sinh", "Junior/Middle Tester", "Trưởng Nhóm Kiểm Thử", "Kế Toán
Trưởng") or in a level field ("Trưởng/Phó phòng", "Quản lý / Giám sát"). TopCV's default level
"Nhân viên" (staff) says nothing about seniority, so it stays ``unknown`` unless the title says
more. When a title names several levels ("Junior/Middle", "(Lead/Senior)") the first one wins.

Vietnamese names the head of a unit by a trailing "Trưởng" ("Bếp Trưởng", "Chỉ Huy Trưởng",
"Hiệu Trưởng", "Cửa Hàng Trưởng", "Phó Viện Trưởng"): any "X Trưởng" is a manager, except the
small-team heads "Tổ/Nhóm/Ca/Đội Trưởng" (lead) and the words that only contain it ("tăng
trưởng" = growth, "trưởng thành" = mature). The other direction matters as much: the driver,
assistant or secretary *of* a director is not a manager ("Lái Xe Cho Giám Đốc", "Trợ Lý Tổng
Giám Đốc"), and "VP" is "văn phòng" (office) unless it heads the title or reads "VP of".

Evidence, strongest first (:func:`detect_seniority`): the title; then the detail page's rank
(TopCV "Cấp bậc": Thực tập sinh, Trưởng nhóm, Trưởng/Phó phòng, Quản lý / Giám sát, Giám đốc,
Trưởng chi nhánh; "Nhân viên" says nothing); then the required experience in months, the
weakest evidence (what an employer asks for, not what the role is called).
"""

from __future__ import annotations

import re
from functools import lru_cache

from jobinsight.transform.rules import PhraseRules
from jobinsight.transform.text import fold

__all__ = [
    "RULES", "SENIORITY_LEVELS", "detect_seniority", "experience_months", "seniority_from_experience", "seniority_from_matches",
    "seniority_from_rank", "seniority_from_text",
]

SENIORITY_LEVELS = ("intern", "fresher", "junior", "middle", "senior", "lead", "manager", "unknown")

_SUPERVISED = (
    "bán hàng|kinh doanh|cửa hàng|siêu thị|ca|nhà hàng|sản xuất|xưởng|chuyền|vận hành|lễ tân|buồng phòng|bếp"
    "|kho|mua hàng|khu vực|vùng|tư vấn|telesales?|chi nhánh|dịch vụ|chăm sóc khách hàng|cskh|tổng đài|bảo vệ"
    "|an ninh|phục vụ|quầy|thị trường|đại lý|kênh|nhân sự|tuyển dụng|đào tạo|tổ|nhóm|đội|outlet|điểm bán"
)
_RULES = PhraseRules(
    namespace="seniority",
    rules=[
        ("intern", ["thực tập sinh", "thực tập", "intern", "internship", "trainee", "sinh viên thực tập", "tts",
                    "học việc", "apprentice"]),
        ("fresher", ["fresher", "mới tốt nghiệp", "sinh viên mới ra trường", "mới ra trường", "vừa ra trường",
                     "new grad", "new graduate", "fresh graduate", "fresh grad", "recent graduate", "entry level",
                     "entry-level", "sinh viên mới tốt nghiệp"]),
        ("junior", ["junior", r"jr\.?", r"junior\+", r"junior[-–—](?:middle|mid|senior)"]),
        ("middle", ["middle", "mid", "mid-level", "mid level", "intermediate", r"middle\+",
                    r"mid(?:dle)?[-–—](?:senior|level|sr)"]),
        ("senior", ["senior", r"sr\.?", "chuyên viên cao cấp", "chuyên viên chính", "principal",
                    r"(?:kỹ sư|lập trình viên|kiến trúc sư|tư vấn viên|chuyên gia|kế toán|nhân viên|thiết kế|developer"
                    r"|engineer|quản trị viên|chuyên viên phân tích|giảng viên|bác sĩ|luật sư)\s+cao cấp",
                    "staff engineer", "chuyên gia", "expert", r"senior[-–—](?:lead|manager)"]),
        ("lead", ["trưởng nhóm", "tổ trưởng", "trưởng ca", "nhóm trưởng", "ca trưởng", "đội trưởng", "trưởng tổ",
                  "trưởng đội", "phó nhóm", "tổ phó", "team lead", "team leader", "team[- ]?lead", "teamleader",
                  "tech lead", "techlead", "technical lead", "dev lead", "devlead", "leader", "lead",
                  "trưởng dự án", "assistant manager", "supervisor", "sous chef", "bếp phó",
                  rf"giám sát\s+(?:{_SUPERVISED})"]),
        ("manager", ["trưởng phòng", "phó phòng", "trưởng/phó phòng", "trưởng / phó phòng", "quản lý", "quản lí",
                     "manager", "giám đốc", "phó giám đốc", "director", "head of", "head", "cto", "ceo", "cfo",
                     "coo", "cmo", "chief", "vice president", "vp", "kế toán trưởng", "trưởng ban", "trưởng bộ phận",
                     "trưởng chi nhánh", "chủ quản", "quản đốc", "phó quản đốc", "cửa hàng trưởng", "trưởng khoa",
                     "trưởng cửa hàng", "lãnh đạo", "chủ nhiệm", "trưởng văn phòng", "trưởng kho", "trưởng xưởng",
                     "trưởng khối", "trưởng", "executive chef", "general manager", "tổng quản"]),
    ],
    case_sensitive=[("senior", ["CVCC", "CVC"]), ("manager", ["ASM", "RSM", "GM", "BDM", "SVP", "EVP"])],
)
# "Nhân viên quản lý kho" is staff; "Trợ lý giám đốc" assists a director; "Lead generation" is marketing.
_NOT_A_LEVEL_BEFORE = re.compile(
    r"(?:nhân viên|chuyên viên|kỹ sư|cán bộ|thực tập sinh|phụ trách)\s*$",
    re.IGNORECASE,
)
# Someone who drives, assists or keeps the diary *of* a level: "Lái Xe Cho Giám Đốc", "Trợ Lý
# Tổng Giám Đốc", "Thư Ký Ban Lãnh Đạo", "Assistant to the General Manager", "PA to CEO".
_AIDE_OF_LEVEL = re.compile(
    r"(?:trợ lý|trợ lí|thư ký|thư kí|lái xe|tài xế|tài xế lái xe|driver|chauffeur|assistant|secretary|\bpa\b"
    r"|phiên dịch|thông dịch|interpreter|translator)(?:\s+viên)?"
    r"(?:\s+(?:riêng|cho|của|to|for|the|of|ban|tổng|phó|hđqt|chủ tịch|general|deputy|managing|cấp cao|lãnh đạo)\b)*"
    r"\s*[-/,:]?\s*$",
    re.IGNORECASE,
)
_NOT_A_LEVEL_AFTER = re.compile(r"^\s*(?:generation|gen\b|nurturing)", re.IGNORECASE)
_ACCOUNT_BEFORE = re.compile(r"(?:key\s+)?account\s*$", re.IGNORECASE)
# "tăng trưởng" (growth) and "trưởng thành" (mature) only contain the word.
_NOT_HEAD_BEFORE = re.compile(r"tăng\s*$", re.IGNORECASE)
_NOT_HEAD_AFTER = re.compile(r"^\s*thành\b", re.IGNORECASE)
# "chủ nhiệm lớp" is a homeroom teacher, "chủ nhiệm bộ môn" a subject head teacher.
_NOT_MANAGER_AFTER = {"chủ nhiệm": re.compile(r"^\s*(?:lớp|bộ môn)\b", re.IGNORECASE)}
# Things (not people or units) that "quản lý" can manage as a task.
_MANAGED_THING = re.compile(
    r"^\s*(?:tài khoản|hợp đồng|hồ sơ|chất lượng|dự án|đơn hàng|danh mục|sản phẩm|rủi ro|tài sản|dữ liệu|hệ thống"
    r"|chứng từ|công nợ|tài liệu|thông tin|triển khai|vận hành|thiết bị|vật tư|tiến độ|chi phí|ngân sách|kho|giá"
    r"|nội dung|khách hàng|quan hệ|đào tạo|tài chính|văn bản|con dấu|tòa nhà|bất động sản|xe)\b",
    re.IGNORECASE,
)
_VP_OK_AFTER = re.compile(r"^\s*of\b", re.IGNORECASE)
_NO_PREFIX_CHECK = frozenset({"intern", "fresher", "junior", "middle", "senior"})
_HEAD_WORD = "trưởng"


RULES = _RULES


def _is_head_suffix(text: str, start: int) -> bool:
    return text[start : start + len(_HEAD_WORD)].lower() == _HEAD_WORD


def seniority_from_matches(text: str, matches: list[tuple[int, str]]) -> str | None:
    """First seniority among (character offset, label) matches, after the exclusions."""
    for start, label in matches:
        before = text[:start]
        if label in ("lead", "manager") and _AIDE_OF_LEVEL.search(before):
            continue  # the driver/assistant/secretary of a director is not a manager
        if label not in _NO_PREFIX_CHECK and _NOT_A_LEVEL_BEFORE.search(before) and not _is_head_suffix(text, start):
            continue
        if label == "lead" and _NOT_A_LEVEL_AFTER.match(text[start + 4 :]):
            continue
        if label == "manager":
            word = text[start : start + 10].lower()
            if _ACCOUNT_BEFORE.search(before):
                continue  # an account manager is a sales role, not a people manager
            if word.startswith(_HEAD_WORD) and (
                _NOT_HEAD_BEFORE.search(before) or _NOT_HEAD_AFTER.match(text[start + len(_HEAD_WORD) :])
            ):
                continue
            if word.startswith(("quản lý", "quản lí")) and before.strip() and _MANAGED_THING.match(text[start + 7 :]):
                continue  # "Cán Bộ ... Quản Lý Tài Khoản", "Đấu Thầu Và Quản Lý Hợp Đồng": a task, not a level
            if word.startswith("chủ nhiệm") and _NOT_MANAGER_AFTER["chủ nhiệm"].match(text[start + 9 :]):
                continue
            if word[:2] == "vp" and (len(word) == 2 or not word[2].isalpha()):
                if before.strip() and not _VP_OK_AFTER.match(text[start + 2 :]):
                    continue  # "Tại VP" / "Nhân viên VP" is the office (văn phòng)
        return label
    return None


@lru_cache(maxsize=65_536)
def seniority_from_text(text: str) -> str | None:
    """First seniority stated in ``text`` (None when it states none)."""
    return seniority_from_matches(text, _RULES.matches(text))


# TopCV's "Cấp bậc" values (and their spellings on other boards): a rank names the level outright.
_RANKS = {
    "nhan vien": None, "nhan vien/chuyen vien": None, "chuyen vien": None, "staff": None, "employee": None,
    "thuc tap sinh": "intern", "thuc tap": "intern", "intern": "intern", "sinh vien/thuc tap sinh": "intern",
    "moi tot nghiep": "fresher", "fresher": "fresher", "entry level": "fresher",
    "truong nhom": "lead", "team leader": "lead", "truong nhom/giam sat": "lead", "giam sat": "lead",
    "supervisor": "lead",
    "truong/pho phong": "manager", "truong phong": "manager", "pho phong": "manager",
    "quan ly / giam sat": "manager", "quan ly/giam sat": "manager", "quan ly": "manager", "manager": "manager",
    "giam doc": "manager", "pho giam doc": "manager", "giam doc va cap cao hon": "manager", "director": "manager",
    "truong chi nhanh": "manager", "pho truong chi nhanh": "manager",
}
_RANK_SPACES = re.compile(r"\s*/\s*")


@lru_cache(maxsize=1024)
def seniority_from_rank(rank: str | None) -> str | None:
    """The level a board's rank field names ("Trưởng nhóm" -> lead); None for "Nhân viên" or nothing."""
    if not isinstance(rank, str) or not rank.strip():
        return None
    key = " ".join(fold(rank).split())
    if key in _RANKS:
        return _RANKS[key]
    compact = _RANK_SPACES.sub("/", key)
    for known, level in _RANKS.items():
        if _RANK_SPACES.sub("/", known) == compact:
            return level
    return seniority_from_text(rank.strip())


_EXPERIENCE_RE = re.compile(
    r"(?P<a>\d+(?:[.,]\d+)?)\s*(?:(?:-|–|đến|to)\s*(?P<b>\d+(?:[.,]\d+)?)\s*)?(?P<unit>năm|nam|years?|yrs?|tháng|thang|months?)",
    re.IGNORECASE,
)
_NO_EXPERIENCE_RE = re.compile(r"không yêu cầu|khong yeu cau|chưa có|no experience|not required|none", re.IGNORECASE)
_UNDER_ONE_YEAR_RE = re.compile(r"dưới\s*1\s*năm|duoi\s*1\s*nam|less than (?:1|one) year|< ?1 năm", re.IGNORECASE)


def experience_months(value: str | float | int | None) -> float | None:
    """Required experience in months: "2 năm" -> 24, "Dưới 1 năm" -> 6, "Không yêu cầu" -> 0.

    A number is taken as months already (JSON-LD ``monthsOfExperience``); a range takes its lower
    bound (what the employer accepts); unreadable text gives None.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value == value and value >= 0 else None
    text = value.strip()
    if not text:
        return None
    if _UNDER_ONE_YEAR_RE.search(text):
        return 6.0
    m = _EXPERIENCE_RE.search(text)
    if m is None:
        return 0.0 if _NO_EXPERIENCE_RE.search(text) else None
    amount = float(m.group("a").replace(",", "."))
    return amount * 12 if m.group("unit").lower().startswith(("n", "y")) else amount


def seniority_from_experience(months: float | None) -> str | None:
    """A level from the required experience: weak evidence, used only when nothing else states one.

    None for no requirement (0 or missing): "không yêu cầu kinh nghiệm" fits every level.
    """
    if months is None or not isinstance(months, (int, float)) or months != months or months <= 0:
        return None
    if months < 12:
        return "fresher"
    if months < 24:
        return "junior"
    if months < 60:
        return "middle"
    return "senior"


def detect_seniority(title: str | None, rank: str | None = None, experience_months: float | None = None) -> str:
    """Seniority from the title, else the rank, else the required experience, else ``unknown``.

    Pure and deterministic: ``detect_seniority("Bếp Trưởng")`` is ``manager``,
    ``detect_seniority("Kỹ Sư Phần Mềm", "Trưởng nhóm")`` is ``lead``,
    ``detect_seniority("Kỹ Sư Phần Mềm", "Nhân viên", 36)`` is ``middle``.
    """
    found = seniority_from_text(title) if isinstance(title, str) and title.strip() else None
    return found or seniority_from_rank(rank) or seniority_from_experience(experience_months) or "unknown"
