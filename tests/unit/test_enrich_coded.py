"""The batch enricher (``enrich_coded`` via ``transform_batch``) labels every row as ``enrich`` does.

Why: the batch path computes each label once per distinct combination of only the evidence it
reads, a restructuring of ``combine``; this pins it to the per-posting reference on rows whose
inputs are mixed independently (so nearly every combination of title, skills, texts, rank, work
form, category and experience is new), from the synthetic value lists and, when present, the
real TopCV detail crawl.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from jobinsight import synthetic
from jobinsight.transform.batch import transform_batch
from jobinsight.transform.enrich_rules import enrich

LABELS = ("skills_normalized", "seniority", "job_family", "work_mode", "languages_required", "capabilities",
          "occupation_isco")
CSV = Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata" / "topcv_detail" / "topcv_jobs_nguyenphu2009.csv"


def _pools() -> dict[str, list]:
    pools: dict[str, list] = {
        "title": synthetic.TITLES + [t + " 17" for t in synthetic.TITLES],
        "skills": [json.dumps(s, ensure_ascii=False) if s is not None else None for s in synthetic.SKILLS],
        "description": synthetic.DESCRIPTIONS, "requirements": synthetic.REQUIREMENTS,
        "job_level": synthetic.LEVELS, "employment_type": synthetic.WORK_FORMS,
        "job_category": synthetic.CATEGORIES, "experience": synthetic.EXPERIENCES,
    }
    if CSV.is_file():  # the real crawl adds long texts and real shapes; each column is mixed independently
        real = pd.read_csv(CSV, dtype=str, keep_default_na=False).head(200).replace("", None)
        for column, source in (("title", "title"), ("description", "desc"), ("requirements", "req"),
                               ("job_level", "level"), ("employment_type", "type"), ("job_category", "cate"),
                               ("experience", "exp")):
            pools[column] += real[source].tolist()
        pools["skills"] += [json.dumps([s], ensure_ascii=False) if s else None for s in real["skill"]]
    return pools


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns = {name: [pool[i] for i in rng.integers(0, len(pool), n)] for name, pool in _pools().items()}
    return pd.DataFrame({
        "id": np.arange(1, n + 1, dtype=np.int64),
        "source": "topcv", "job_id": [str(i) for i in range(n)], "company_name": "FPT", "salary": "Thoả thuận",
        "crawled_at": pd.Timestamp("2026-07-12T03:00:00Z"), "payload": None,
        **{name: pd.Series(values, dtype="str") for name, values in columns.items()},
    })


def _per_posting_labels(frame: pd.DataFrame) -> list[tuple]:
    """:data:`LABELS` of each row computed one posting at a time (``enrich``), the batch's reference."""
    expected = []
    for row in frame.itertuples(index=False):
        value = lambda v: None if v is None or v is pd.NA else v  # noqa: E731
        e = enrich(value(row.title), value(row.skills), value(row.description), value(row.requirements),
                   value(row.job_level), value(row.employment_type), value(row.job_category), value(row.experience))
        expected.append((json.dumps(e.skills_normalized, ensure_ascii=False), e.seniority, e.job_family, e.work_mode,
                         json.dumps(e.languages_required, ensure_ascii=False),
                         json.dumps(e.capabilities, ensure_ascii=False), e.occupation_isco))
    return expected


def _batch_labels(staging: pd.DataFrame) -> list[tuple]:
    return list(staging[list(LABELS)].astype(object).where(staging[list(LABELS)].notna(), None)
                .itertuples(index=False, name=None))


def test_batch_labels_equal_per_posting_enrich() -> None:
    frame = _frame(800, seed=1)
    staging = transform_batch(frame).staging
    assert len(staging) == len(frame)
    expected = _per_posting_labels(frame)
    got = _batch_labels(staging)
    mismatches = [(i, g, e) for i, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e]
    assert not mismatches, f"{len(mismatches)} rows differ, first: {mismatches[:3]}"
    # the mix really is varied: most rows are a combination of inputs no other row has
    inputs = frame[["title", "skills", "description", "requirements", "job_level", "employment_type",
                    "job_category", "experience"]].astype(object).fillna("")
    assert inputs.drop_duplicates().shape[0] > 0.9 * len(frame)


def test_enrichment_reads_a_bounded_prefix_of_a_huge_text_and_the_stored_value_stays_whole() -> None:
    """A title of megabytes (another writer's, see tests/reliability/test_poison_row.py) is read by
    the rules only up to MAX_EVIDENCE_CHARS: a level stated past it is not seen, one before it is;
    the staged title is not cut."""
    from jobinsight.transform.enrich_rules import MAX_EVIDENCE_CHARS

    filler = "x " * MAX_EVIDENCE_CHARS
    frame = _frame(3, seed=2)
    frame["title"] = pd.Series(["Senior Java Developer " + filler, "Java Developer " + filler + " Senior",
                                "Senior Java Developer"], dtype="str")
    staging = transform_batch(frame).staging
    assert staging["seniority"].tolist()[0] == staging["seniority"].tolist()[2] != "unknown"
    assert staging["seniority"].tolist()[1] != staging["seniority"].tolist()[0]  # "Senior" lies past the limit
    assert len(staging["title"].tolist()[1]) > MAX_EVIDENCE_CHARS  # stored whole
    assert _batch_labels(staging) == _per_posting_labels(frame)  # one posting at a time reads the same prefix
