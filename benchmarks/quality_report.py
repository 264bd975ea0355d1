"""Quality report: precision/recall of the rules enricher on a hand-labelled set, coverage on real rows.

    python benchmarks/quality_report.py [--json]

Why: "is the enrichment right?" needs a number, measured on real postings the rules were not
written against. Two inputs:

* ``tests/data/labels/titles.csv`` - 410 titles (300 from an all-categories CareerViet crawl,
  110 TopCV detail rows with their rank and category), each labelled by hand for seniority and
  job family. Seniority: *precision* = share of predicted levels that are right, *recall* =
  share of titles stating a level that get the right one, *coverage* = share of titles stating a
  level that get any level. Family: the same with ``other`` in the role of ``unknown``.
* ``tests/data/labels/skills.csv`` - every skill the enricher extracted from 60 TopCV detail rows
  (title, posted tags, requirements, description), each judged correct or not in its context.
  *Precision* = correct / judged among the skills extracted now; skills extracted now that
  were never judged are counted separately (``unjudged``). *Recall* is pooled: correct skills
  found now / all skills judged correct (so it can only compare versions, not give an absolute).

Coverage is measured through ``transform_batch`` (the process flow's own code path) over the
real rows that are *not* in the labelled set: the CareerViet crawl (all categories) and the
TopCV detail crawl, read from ``../shared/realdata`` (skipped when absent). The figures are
the ones the process flow's run summary shows (``transform_batch`` stats).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jobinsight.transform import enrich_rules  # noqa: E402
from jobinsight.transform.batch import transform_batch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "data" / "labels"
REALDATA = ROOT / ".." / "shared" / "realdata"
CAREERVIET = REALDATA / "careerviet" / "careerviet_all-jobs_2025-10-19.csv"
TOPCV_DETAIL = REALDATA / "topcv_detail" / "topcv_jobs_nguyenphu2009.csv"
_DIRECTOR_AIDES = ("trợ lý", "thư ký", "lái xe", "tài xế", "assistant to", "driver", "secretary")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _read_labels(name: str) -> list[dict[str, str]]:
    with open(LABELS / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _pr(pairs: list[tuple[str, str]], none: str) -> dict[str, float | int]:
    """Precision/recall/coverage of (label, predicted) pairs where ``none`` means "not stated"."""
    predicted = [(t, p) for t, p in pairs if p != none]
    stated = [(t, p) for t, p in pairs if t != none]
    return {
        "n": len(pairs),
        "precision": round(sum(t == p for t, p in predicted) / max(len(predicted), 1), 4),
        "recall": round(sum(t == p for t, p in stated) / max(len(stated), 1), 4),
        "coverage": round(sum(p != none for _, p in stated) / max(len(stated), 1), 4),
        "none_rate": round(sum(p == none for _, p in pairs) / max(len(pairs), 1), 4),
    }


def title_scores() -> dict[str, Any]:
    """Seniority and family scores on the labelled titles."""
    rows = _read_labels("titles.csv")
    seniority: list[tuple[str, str]] = []
    family: list[tuple[str, str]] = []
    aides_as_manager = 0
    for row in rows:
        result = enrich_rules.enrich_tuple(row["title"], [], level=_text(row["rank"]), category=_text(row["category"]))
        seniority.append((row["seniority"], result.seniority))
        family.append((row["family"], result.job_family))
        lowered = row["title"].lower()
        if result.seniority == "manager" and row["seniority"] != "manager" and any(a in lowered for a in _DIRECTOR_AIDES):
            aides_as_manager += 1
    return {
        "seniority": _pr(seniority, "unknown"),
        "family": _pr(family, "other"),
        "aides_labelled_manager": aides_as_manager,
    }


def _detail_frame() -> pd.DataFrame | None:
    if not TOPCV_DETAIL.exists():
        return None
    return pd.read_csv(TOPCV_DETAIL, dtype=str).drop_duplicates("id")


def skill_scores(detail: pd.DataFrame | None) -> dict[str, Any] | None:
    """Precision (judged), unjudged count and pooled recall of extracted skills."""
    if detail is None:
        return None
    labels = _read_labels("skills.csv")
    judged: dict[tuple[str, str], bool] = {(r["id"], r["skill"]): r["correct"] == "1" for r in labels}
    ids = sorted({r["id"] for r in labels})
    rows = detail.set_index("id").loc[ids]
    correct = wrong = unjudged = 0
    found_true: set[tuple[str, str]] = set()
    for job_id, row in rows.iterrows():
        result = enrich_rules.enrich_tuple(
            row["title"], _text(row["skill"]) or [], _text(row["desc"]), _text(row["req"]),
            _text(row["level"]), _text(row["type"]), _text(row["cate"]),
        )
        for skill in result.skills_normalized:
            verdict = judged.get((job_id, skill))
            if verdict is None:
                unjudged += 1
            elif verdict:
                correct += 1
                found_true.add((job_id, skill))
            else:
                wrong += 1
    all_true = sum(judged.values())
    return {
        "rows": len(ids),
        "extracted": correct + wrong + unjudged,
        "precision": round(correct / max(correct + wrong, 1), 4),
        "wrong": wrong,
        "unjudged": unjudged,
        "pooled_recall": round(len(found_true) / max(all_true, 1), 4),
    }


def _raw_frame(detail: pd.DataFrame | None) -> pd.DataFrame | None:
    """Unlabelled real rows as raw_jobs rows (the columns the transformer reads)."""
    labelled = {r["id"] for r in _read_labels("titles.csv")} | {r["id"] for r in _read_labels("skills.csv")}
    parts = []
    if CAREERVIET.exists():
        cv = pd.read_csv(CAREERVIET, dtype=str).drop_duplicates("ID")
        cv = cv[~cv["ID"].isin(labelled)]
        parts.append(pd.DataFrame({
            "source": "careerviet", "job_id": cv["ID"], "title": cv["Tên công việc"], "job_url": cv["Link"],
            "company_name": cv["Tên công ty"], "salary": cv["Mức lương"].str.replace("Lương:", "", regex=False),
            "location": cv["Nơi làm việc"], "deadline": cv["Ngày hết hạn"], "payload": None,
        }))
    if detail is not None:
        tc = detail[~detail["id"].isin(labelled)]
        payload = [json.dumps({"description": _text(d), "requirements": _text(r), "level": _text(lv),
                               "category": _text(c)}, ensure_ascii=False)
                   for d, r, lv, c in zip(tc["desc"], tc["req"], tc["level"], tc["cate"], strict=True)]
        parts.append(pd.DataFrame({
            "source": "topcv", "job_id": tc["id"], "title": tc["title"], "job_url": tc["url"],
            "company_name": tc["comp"], "salary": tc["salary"], "location": tc["job_loc"], "deadline": tc["deadline"],
            "skills": tc["skill"], "payload": payload, "job_level": tc["level"], "job_category": tc["cate"],
        }))
    if not parts:
        return None
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(0, "id", range(1, len(frame) + 1))
    frame["crawled_at"] = pd.Timestamp("2026-07-12", tz="UTC")
    return frame


def coverage(detail: pd.DataFrame | None) -> dict[str, Any] | None:
    """Coverage figures per source over the unlabelled real rows, via ``transform_batch``."""
    frame = _raw_frame(detail)
    if frame is None:
        return None
    out: dict[str, Any] = {}
    for source, part in frame.groupby("source"):
        outcome = transform_batch(part.reset_index(drop=True))
        staging = outcome.staging
        n = max(len(staging), 1)
        figures: dict[str, Any] = {"rows": len(staging)}
        figures["seniority_known"] = round(float((staging["seniority"] != "unknown").sum()) / n, 4)
        figures["family_other"] = round(float((staging["job_family"] == "other").sum()) / n, 4)
        if "occupation_isco" in staging:
            figures["isco_filled"] = round(float(staging["occupation_isco"].notna().sum()) / n, 4)
        figures["salary_parsed"] = round(float((staging["salary_type"] != "unknown").sum()) / n, 4)
        figures["cities_resolved"] = round(float((staging["cities"] != "[]").sum()) / n, 4)
        if "salary_suspect" in staging:
            figures["salary_suspect"] = int(staging["salary_suspect"].fillna(False).astype(bool).sum())
        figures["stats"] = outcome.stats
        figures["top_other_titles"] = Counter(
            staging.loc[staging["job_family"] == "other", "title_clean"]).most_common(5)
        out[str(source)] = figures
    return out


def _table(report: dict[str, Any]) -> str:
    lines = ["| field | metric | value |", "|---|---|---|"]
    for field in ("seniority", "family"):
        for key, value in report["titles"][field].items():
            lines.append(f"| {field} | {key} | {value} |")
    lines.append(f"| seniority | director aides labelled manager | {report['titles']['aides_labelled_manager']} |")
    if report["skills"]:
        for key, value in report["skills"].items():
            lines.append(f"| skills | {key} | {value} |")
    for source, figures in (report["coverage"] or {}).items():
        for key, value in figures.items():
            if key not in ("stats", "top_other_titles"):
                lines.append(f"| coverage {source} | {key} | {value} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    detail = _detail_frame()
    report = {"titles": title_scores(), "skills": skill_scores(detail), "coverage": coverage(detail)}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    else:
        print(_table(report))
        for source, figures in (report["coverage"] or {}).items():
            print(f"\nmost frequent 'other' titles ({source}): {figures['top_other_titles']}")


if __name__ == "__main__":
    main()
