"""Skills: normalising posted lists and finding taxonomy skills in free text."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from jobinsight.transform.skills import extract_hard_skills, extract_skills, normalize_skills, skill_info


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        (["ReactJS", "React.js", "react"], ["React"]),
        (["Golang", "NodeJS", "JS", "TS"], ["Go", "Node.js", "JavaScript", "TypeScript"]),
        (["C/C++"], ["C", "C++"]),
        (["k8s", "Postgres", "MS SQL", "MSSQL"], ["Kubernetes", "PostgreSQL", "SQL Server"]),
        (["Kế toán thuế", "Kỹ năng giao tiếp", "Làm việc nhóm", "Teamwork"], ["Kế toán thuế", "Giao tiếp", "Làm việc nhóm"]),
        (["Tin học văn phòng", "MS Office"], ["Microsoft Office"]),
        ([" Unknown Thing ", "unknown thing", "Vận Hành Game Nội Bộ"], ["Unknown Thing", "Vận Hành Game Nội Bộ"]),
        (["", "  ", "- ReactJS"], ["React"]),
    ],
)
def test_normalize_lists(posted: list[str], expected: list[str]) -> None:
    assert normalize_skills(posted) == expected


def test_normalize_accepts_json_text_and_separated_strings() -> None:
    assert normalize_skills('["ReactJS", "Golang", "Kế toán tổng hợp"]') == ["React", "Go", "Kế toán tổng hợp"]
    assert normalize_skills("ReactJS; Golang, k8s , Kế toán thuế") == ["React", "Go", "Kubernetes", "Kế toán thuế"]
    assert normalize_skills(None) == [] and normalize_skills("") == [] and normalize_skills("[]") == []
    assert normalize_skills('["a", 3, null]') == ["a"]


def test_normalize_composes_nfd_text() -> None:
    import unicodedata

    assert normalize_skills([unicodedata.normalize("NFD", "Làm việc nhóm")]) == ["Làm việc nhóm"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C/C++ Lập Trình Nhúng", ["C", "C++", "Lập trình nhúng"]),
        ("Senior Java Spring Boot ReactJS Node.js k8s Postgres MS SQL",
         ["Java", "Spring Boot", "React", "Node.js", "Kubernetes", "PostgreSQL", "SQL Server"]),
        ("Fullstack Developer ( C/ C++/C#/ Python / SQL )", ["C", "C++", "C#", "Python", "SQL"]),
        (".NET Core ASP.NET C# VB.NET", [".NET Core", "ASP.NET", "C#", "VB.NET"]),
        ("Scripting (bash, Python, Go) Rancher", ["Bash", "Python", "Go", "Rancher"]),
        ("SQL Phân tích dữ liệu thống kê Python Hoặc R Trực Quan Hóa Dữ Liệu (tableau, Power Bi)",
         ["SQL", "Data Analysis", "Statistics", "Python", "R", "Data Visualization", "Tableau", "Power BI"]),
        ("Corona Revit Sketchup 3dmax", ["Corona", "Revit", "SketchUp", "3ds Max"]),
        ("Kỹ năng giao tiếp Làm việc nhóm Kế toán thuế", ["Giao tiếp", "Làm việc nhóm", "Kế toán thuế"]),
    ],
)
def test_extract_from_real_skill_phrases(text: str, expected: list[str]) -> None:
    assert extract_skills(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Google Cloud is not Go",  # "Go" inside "Google" / a sentence word
        "Go to market strategy",
        "Nhân viên R&D",
        "Vitamin C, hạng C",
        "We react quickly to changes",
        "bất kỳ ai cũng được",  # Vietnamese "ai" (who) is not AI
        "excellent communication",  # not Excel
        "Junior developer with drive",
    ],
)
def test_ambiguous_short_names_need_context(text: str) -> None:
    found = extract_skills(text)
    assert not {"Go", "R", "C", "React", "AI", "Excel"} & set(found), found


def test_word_boundaries() -> None:
    assert "Java" not in extract_skills("JavaScript developer")
    assert extract_skills("JavaScript developer") == ["JavaScript"]
    assert "C" not in extract_skills("C++ and C# only")
    assert extract_skills("Golang developer") == ["Go"]
    assert extract_skills("lập trình C và Python") == ["C", "Python"]


def test_hard_skills_skip_soft_skills_and_generic_words() -> None:
    text = "Kỹ năng giao tiếp tốt, làm việc nhóm; có kinh nghiệm Docker, Kubernetes và Testing tự động."
    assert extract_hard_skills(text) == ["Docker", "Kubernetes"]
    assert "Giao tiếp" in extract_skills(text)


def test_missing_text() -> None:
    assert extract_skills(None) == [] and extract_skills("   ") == []


def test_taxonomy_shape() -> None:
    data = json.loads(resources.files("jobinsight").joinpath("data", "skills_taxonomy.json").read_text("utf-8"))
    skills = data["skills"]
    assert 300 <= len(skills) <= 1500
    names = [s["name"] for s in skills]
    assert len(names) == len(set(names))
    seen: dict[str, str] = {}
    for entry in skills:
        for alias in [entry["name"], *entry.get("aliases", []), *entry.get("case_sensitive", [])]:
            key = re.sub(r"\s+", " ", alias.lower()).strip()
            owner = seen.setdefault(key, entry["name"])
            assert owner == entry["name"], f"{alias!r} belongs to {owner} and {entry['name']}"
    for written, targets in data["multi"].items():
        assert all(skill_info(t) is not None for t in targets), written
    assert skill_info("React").family == "frontend"
    assert skill_info("Kế toán thuế").family == "accounting"
    assert skill_info("Nope") is None
