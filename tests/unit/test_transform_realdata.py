"""The transformations on real third-party TopCV data (../shared/realdata; skipped when absent).

Coverage figures are printed (visible with ``pytest -s``) and repeated in assertion messages.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from jobinsight.transform.batch import transform_batch
from jobinsight.transform.companies import standardize_company
from jobinsight.transform.deadline import parse_deadline
from jobinsight.transform.enrich_rules import enrich
from jobinsight.transform.locations import canonical_city, parse_location_pairs, resolve_cities
from jobinsight.transform.salary import parse_salary
from jobinsight.transform.skills import extract_skills
from jobinsight.transform.titles import clean_title

REALDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata"
CSV = REALDATA / "topcv_detail" / "topcv_jobs_nguyenphu2009.csv"
LISTINGS = REALDATA / "topcv_listing_html"

SENIOR_LEVELS = {"Thực tập sinh", "Trưởng nhóm", "Trưởng/Phó phòng", "Quản lý / Giám sát", "Giám đốc"}
TITLE_CUES = ("thực tập sinh", "intern", "fresher", "junior", "middle", "senior", "trưởng nhóm", "team lead",
              "leader", "trưởng phòng", "manager", "giám đốc", "kế toán trưởng")


@cache
def _csv() -> pd.DataFrame:
    if not CSV.is_file():
        pytest.skip(f"real data not found at {CSV}")
    return pd.read_csv(CSV)


@cache
def _cards() -> list[dict[str, str | None]]:
    pages = sorted(LISTINGS.glob("*.html")) if LISTINGS.is_dir() else []
    if not pages:
        pytest.skip(f"real listing pages not found in {LISTINGS}")
    from selectolax.lexbor import LexborHTMLParser

    cards = []
    for page in pages:
        tree = LexborHTMLParser(page.read_text(encoding="utf-8"))
        for card in tree.css("div.job-item-search-result"):
            title = card.css_first("h3.title a span")
            company = card.css_first("a.company span.company-name")
            salary = card.css_first("label.title-salary")
            address = card.css_first("label.address")
            city = card.css_first("label.address span.city-text")
            cards.append({
                "title": title.attributes.get("data-original-title") if title else None,
                "company": company.text(strip=True) if company else None,
                "salary": salary.text(strip=True) if salary else None,  # the <i> icon holds no text
                "location": city.text(strip=True) if city else None,
                "detail": address.attributes.get("data-original-title") if address else None,
            })
    return cards


def _states_seniority(title: str) -> bool:
    """A title naming a level; an "Account Manager" is a sales role, not a people manager."""
    text = title.lower().replace("account manager", "")
    return any(re.search(rf"(?<!\w){re.escape(cue)}(?!\w)", text) for cue in TITLE_CUES)


def _report(name: str, hits: int, total: int) -> str:
    line = f"{name}: {hits}/{total} = {hits / total:.1%}"
    print(line)
    return line


def test_every_real_salary_string_parses() -> None:
    strings = [*_csv()["salary"].dropna().tolist(), *(c["salary"] for c in _cards() if c["salary"])]
    unknown = sorted({s for s in strings if parse_salary(s).salary_type == "unknown"})
    line = _report("salary strings parsed (CSV + listing pages)", len(strings) - len(unknown), len(strings))
    assert unknown == [], line
    kinds = Counter(parse_salary(s).salary_type for s in strings)
    print(f"salary types: {dict(kinds)}")
    assert kinds["range"] and kinds["negotiable"] and kinds["upto"] and kinds["from"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 - 25 triệu", ("range", "VND", "month", 15e6, 25e6, 15.0, 25.0)),
        ("Tới 20 triệu", ("upto", "VND", "month", None, 20e6, None, 20.0)),
        ("Từ 15 triệu", ("from", "VND", "month", 15e6, None, 15.0, None)),
        ("8.5 - 10 triệu", ("range", "VND", "month", 8.5e6, 10e6, 8.5, 10.0)),
        ("56.4 - 77.3 triệu", ("range", "VND", "month", 56.4e6, 77.3e6, 56.4, 77.3)),
        ("700 - 1,000 USD", ("range", "USD", "month", 700.0, 1000.0, 17.5, 25.0)),
        ("1,500 - 2,500 USD", ("range", "USD", "month", 1500.0, 2500.0, 37.5, 62.5)),
        ("Tới 2,000 USD", ("upto", "USD", "month", None, 2000.0, None, 50.0)),
        ("30 k - 40 k /giờ", ("range", "VND", "hour", 30e3, 40e3, None, None)),
        ("25 k - 40 k /giờ", ("range", "VND", "hour", 25e3, 40e3, None, None)),
        ("0.0 - 48 triệu", ("upto", "VND", "month", None, 48e6, None, 48.0)),
        ("Thoả thuận", ("negotiable", None, None, None, None, None, None)),
        ("Từ 900 USD", ("from", "USD", "month", 900.0, None, 22.5, None)),
        ("12 - 16 triệu", ("range", "VND", "month", 12e6, 16e6, 12.0, 16.0)),
    ],
)
def test_real_salary_values(text: str, expected: tuple) -> None:
    real = set(_csv()["salary"].dropna()) | {c["salary"] for c in _cards()}
    assert text in real, f"{text!r} is not in the real data"
    assert tuple(parse_salary(text)) == pytest.approx(expected)


def test_every_real_city_resolves() -> None:
    csv_places = _csv()["job_loc"].dropna().tolist()
    unresolved = sorted({p for p in csv_places if canonical_city(p) is None})
    line = _report("CSV job_loc values resolved", len(csv_places) - len(unresolved), len(csv_places))
    assert unresolved == [], line
    for card in _cards():
        pairs = parse_location_pairs(card["detail"])
        cities = resolve_cities(card["location"], pairs)
        assert cities and all(canonical_city(c) == c for c in cities), card
        assert {p["city"] for p in pairs} <= set(cities)


def test_listing_multi_city_card() -> None:
    multi = [c for c in _cards() if c["location"] and "nơi khác" in c["location"]]
    assert multi, "page 4 has an '& N nơi khác' card"
    card = multi[0]
    assert resolve_cities(card["location"], parse_location_pairs(card["detail"])) == ["Hồ Chí Minh", "Đà Nẵng", "Hà Nội"]


def test_every_real_deadline_parses() -> None:
    deadlines = _csv()["deadline"].dropna().tolist()
    failed = [d for d in deadlines if parse_deadline(d, None) is None]
    line = _report("CSV deadlines parsed", len(deadlines) - len(failed), len(deadlines))
    assert failed == [], line


def test_real_titles_lose_salary_and_place_decorations() -> None:
    titles = [c["title"] for c in _cards() if c["title"]] + _csv()["title"].dropna().tolist()
    cleaned = [clean_title(t) for t in titles]
    assert all(cleaned), "never empty"
    leftovers = [c for c in cleaned if any(w in c.lower() for w in ("triệu", "upto", "up to", "thu nhập", "tại hà nội"))]
    line = _report("titles without salary/place leftovers", len(titles) - len(leftovers), len(titles))
    assert len(leftovers) <= 0.02 * len(titles), (line, leftovers[:10])
    assert clean_title("Kế Toán Tổng Hợp - Upto 16tr - Quận 1, HCM") == "Kế Toán Tổng Hợp"


def test_real_company_names() -> None:
    names = [c["company"] for c in _cards() if c["company"]] + _csv()["comp"].dropna().tolist()
    standardized = [standardize_company(n) for n in names]
    assert all(standardized)
    shouting = [s for s in standardized if s.isupper() and len(s) > 12]
    assert shouting == []
    assert not any(s.endswith("Pro Company") for s in standardized)
    assert standardize_company("CÔNG TY TNHH TOYOTA LÝ THƯỜNG KIỆT") == "Công Ty TNHH Toyota Lý Thường Kiệt"


def test_real_skill_column() -> None:
    skills = _csv()["skill"].dropna().tolist()
    assert extract_skills("C/C++ Lập Trình Nhúng") == ["C", "C++", "Lập trình nhúng"]
    assert "C/C++ Lập Trình Nhúng" in skills
    found = [s for s in skills if extract_skills(s)]
    line = _report("CSV skill phrases with >= 1 taxonomy skill", len(found), len(skills))
    assert len(found) >= 0.85 * len(skills), line


def _enriched(df: pd.DataFrame) -> list:
    return [
        enrich(r.title, [r.skill] if isinstance(r.skill, str) else [], r.desc, r.req, r.level, r.type, r.cate)
        for r in df.itertuples(index=False)
    ]


def test_seniority_on_real_levels_and_titles() -> None:
    df = _csv()
    results = _enriched(df)
    by_level = [(r, e) for r, e in zip(df.itertuples(), results, strict=True) if r.level in SENIOR_LEVELS]
    missed = [(r.title, r.level) for r, e in by_level if e.seniority == "unknown"]
    line = _report("seniority known where the level column states one", len(by_level) - len(missed), len(by_level))
    assert missed == [], line
    by_title = [(r, e) for r, e in zip(df.itertuples(), results, strict=True) if _states_seniority(str(r.title))]
    missed = [r.title for r, e in by_title if e.seniority == "unknown"]
    line = _report("seniority known where the title states one", len(by_title) - len(missed), len(by_title))
    assert missed == [], line
    staff = [e.seniority for r, e in zip(df.itertuples(), results, strict=True) if r.level == "Nhân viên"]
    print(f"'Nhân viên' rows: {Counter(staff).most_common()}")
    assert Counter(staff)["unknown"] > 0.5 * len(staff)


def test_job_family_coverage_on_it_rows() -> None:
    df = _csv()
    it_rows = df[df["cate"] == "IT - Phần mềm"]
    results = _enriched(it_rows)
    families = Counter(e.job_family for e in results)
    covered = sum(n for f, n in families.items() if f not in ("other", "unknown"))
    line = _report("job_family on 'IT - Phần mềm' rows", covered, len(it_rows))
    print(f"IT families: {families.most_common()}")
    assert covered >= 0.95 * len(it_rows), line
    everything = Counter(e.job_family for e in _enriched(df))
    _report("job_family on all CSV rows", sum(n for f, n in everything.items() if f != "other"), len(df))


def test_work_mode_from_the_real_type_column() -> None:
    df = _csv()
    results = _enriched(df)
    for r, e in zip(df.itertuples(), results, strict=True):
        if r.type == "Làm việc tại văn phòng / Onsite":
            assert e.work_mode == "onsite"
        elif r.type == "Kết hợp tại văn phòng và từ xa (Hybrid)":
            assert e.work_mode == "hybrid"
        elif r.type == "Làm việc từ xa (Remote)":
            assert e.work_mode == "remote"
    print(f"work modes: {Counter(e.work_mode for e in results).most_common()}")


def test_transform_batch_on_the_real_rows() -> None:
    df = _csv()
    raw = pd.DataFrame({
        "id": range(1, len(df) + 1),
        "source": "topcv",
        "job_id": df["id"].astype(str),
        "title": df["title"],
        "job_url": df["url"],
        "company_name": df["comp"],
        "company_url": None,
        "salary": df["salary"],
        "skills": [json.dumps([s], ensure_ascii=False) if isinstance(s, str) else None for s in df["skill"]],
        "location": df["job_loc"],
        "location_detail": None,
        "deadline": df["deadline"],
        "verified_employer": None,
        "last_update": None,
        "logo_url": None,
        "posted_time": pd.to_datetime(df["post_date"], dayfirst=True).dt.tz_localize("Asia/Ho_Chi_Minh"),
        "crawled_at": pd.to_datetime(df["crawled_at"]).dt.tz_localize("Asia/Ho_Chi_Minh"),
        "content_hash": df["url"],
        "payload": [
            json.dumps({"description": d, "requirements": r, "level": lv, "work_type": t, "category": c},
                       ensure_ascii=False)
            for d, r, lv, t, c in zip(df["desc"].fillna(""), df["req"].fillna(""), df["level"], df["type"],
                                      df["cate"].fillna(""), strict=True)
        ],
    })
    out = transform_batch(raw)
    print(f"real batch stats: {out.stats}")
    assert out.quarantined.empty
    assert out.stats["rows_out"] == len(df)
    assert out.stats["salary_parsed"] == len(df)
    assert out.stats["deadline_parsed"] == len(df)
    assert out.stats["locations_resolved"] == len(df)
    assert out.stats["skills_rows"] >= 0.95 * len(df)
