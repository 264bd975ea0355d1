"""ISCO-08 occupation code (sub-major group, 2 digits) of a posting, from its family, level and title.

Why: analysts join postings with official labour statistics, and Vietnam's occupational
classification (VSCO 2020) follows ISCO-08. The job family says *what field* a job is in, but
ISCO groups by *skill level* as well: a software developer (25), an IT helpdesk technician (35)
and a shop cashier (52) are different sub-major groups; so are an accountant (24) and a
bookkeeping clerk (43), a mechanical engineer (21), a maintenance technician (31) and a welder
(72). The code is decided in this order:

1. a manager (seniority ``manager``) is in major group 1: 11 for chief executives, 14 for
   hotel/restaurant/shop managers, 13 for production/IT/professional-services managers, else 12;
2. a title noun that names the skill level outright ("công nhân" -> plant/craft worker, "kỹ
   thuật viên" -> technician, "kỹ sư" -> engineer, "tài xế" -> driver, "thu ngân" -> cashier);
3. the family's usual sub-major group.

Only the 2-digit sub-major group is claimed: the rules cannot tell 2512 from 2514 honestly.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["ISCO_SUB_MAJOR", "isco_code"]

#: ISCO-08 sub-major groups used here, with their official titles (for documentation and tests).
ISCO_SUB_MAJOR = {
    "11": "Chief executives, senior officials and legislators",
    "12": "Administrative and commercial managers",
    "13": "Production and specialised services managers",
    "14": "Hospitality, retail and other services managers",
    "21": "Science and engineering professionals",
    "22": "Health professionals",
    "23": "Teaching professionals",
    "24": "Business and administration professionals",
    "25": "Information and communications technology professionals",
    "26": "Legal, social and cultural professionals",
    "31": "Science and engineering associate professionals",
    "32": "Health associate professionals",
    "33": "Business and administration associate professionals",
    "35": "Information and communications technicians",
    "41": "General and keyboard clerks",
    "42": "Customer services clerks",
    "43": "Numerical and material recording clerks",
    "51": "Personal service workers",
    "52": "Sales workers",
    "54": "Protective services workers",
    "61": "Market-oriented skilled agricultural workers",
    "72": "Metal, machinery and related trades workers",
    "74": "Electrical and electronics trades workers",
    "81": "Stationary plant and machine operators",
    "83": "Drivers and mobile plant operators",
    "91": "Cleaners and helpers",
    "93": "Labourers in mining, construction, manufacturing and transport",
}

_IT = frozenset({"backend", "frontend", "fullstack", "mobile", "data", "ai_ml", "devops", "security", "embedded",
                 "game", "erp", "ba_pm"})
_FAMILY_DEFAULT = {
    **dict.fromkeys(_IT, "25"),
    "qa": "31", "it_support": "35", "design": "21", "accounting": "24", "finance": "33", "sales": "33",
    "marketing": "24", "hr": "24", "admin": "41", "customer_service": "42", "engineering": "21",
    "construction": "21", "manufacturing": "81", "education": "23", "healthcare": "22", "logistics": "33",
    "legal": "26", "hospitality": "51", "translation": "26", "security_guard": "54", "agriculture": "61",
    "management": "11",
}
_MANAGER_GROUP = {
    **dict.fromkeys(_IT, "13"), "it_support": "13", "qa": "13", "engineering": "13", "construction": "13",
    "manufacturing": "13", "logistics": "13", "education": "13", "healthcare": "13", "agriculture": "13",
    "hospitality": "14", "management": "11",
}
# Title nouns that state the skill level, in the order they are tried (first match wins).
_LEVEL_NOUNS: tuple[tuple[re.Pattern[str], dict[str, str] | str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), codes) for pattern, codes in (
        (r"\b(?:tài xế|lái xe|driver|lái máy|vận hành xe nâng|forklift)\b", "83"),
        (r"\b(?:tạp vụ|vệ sinh|cleaner|giúp việc|phụ bếp|kitchen helper)\b", "91"),
        (r"\b(?:thu ngân|cashier|bán hàng|sales associate|shop assistant|nvbh)\b", "52"),
        (r"\b(?:thợ điện|electrician|kỹ thuật viên điện|điện công trình|bảo trì điện)\b", "74"),
        (r"\b(?:thợ hàn|welder|thợ cơ khí|thợ tiện|thợ phay|thợ sửa|mechanic)\b", "72"),
        (r"\b(?:công nhân|lao động phổ thông|operator|vận hành máy)\b", {"construction": "93", "logistics": "93"}),
        (r"\b(?:kỹ thuật viên|technician|ktv)\b", {"healthcare": "32", "it_support": "35", "_": "31"}),
        (r"\b(?:kỹ sư|engineer)\b", {"it_support": "25", "qa": "21", "_": None}),
        (r"\b(?:lễ tân|receptionist|tổng đài|call center|telesales?|chăm sóc khách hàng|cskh)\b",
         {"sales": "52", "_": "42"}),
        (r"\b(?:nhập liệu|data entry|văn thư|thủ kho|kho|thống kê)\b", {"logistics": "43", "manufacturing": "43",
                                                                         "_": "41"}),
        (r"\b(?:kế toán viên|nhân viên kế toán|kế toán kho|kế toán thanh toán|kế toán công nợ)\b",
         {"accounting": "33"}),
        (r"\b(?:đầu bếp|chef|cook|bếp)\b", "51"),
        (r"\b(?:giám sát|supervisor)\b", {"construction": "31", "manufacturing": "31", "_": None}),
    )
)
_CODE_RE = re.compile(r"^\d{2}$")


@lru_cache(maxsize=65_536)
def isco_code(family: str | None, seniority: str | None = None, title: str | None = None) -> str | None:
    """The ISCO-08 sub-major group (2 digits) of a posting, or None when the family is ``other``.

    >>> isco_code("backend", "senior", "Senior Java Developer")
    '25'
    >>> isco_code("hospitality", "manager", "Quản Lý Nhà Hàng")
    '14'
    """
    if not family or family == "other":
        return None
    if seniority == "manager":
        return _MANAGER_GROUP.get(family, "12")
    if title:
        for pattern, codes in _LEVEL_NOUNS:
            if pattern.search(title):
                code = codes if isinstance(codes, str) else codes.get(family, codes.get("_"))
                if code is not None and _CODE_RE.match(code):
                    return code
                if isinstance(codes, dict) and (family in codes or "_" in codes):
                    break  # the noun was found but leaves the family's default in place
    return _FAMILY_DEFAULT.get(family)
