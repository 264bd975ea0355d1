"""Benchmark of the Prefect-free transformation step (``transform_batch``): rows/s and seconds per step.

    python benchmarks/transform_bench.py [--rows 200000] [--batch-size 50000] [--detail-share 0.0] [--json]

Generates ``--rows`` raw rows whose values are sampled from real TopCV shapes - titles, companies,
salaries, locations with their tooltip detail, skill tags and deadlines read from
``../shared/realdata`` (the listing pages and the detail CSV) when that folder exists, else from
built-in lists - with the repetition real crawls have: popular values repeat, a share of titles
and companies carry a unique decoration or suffix, job ids and hashes are unique. A
``--detail-share`` of the rows carry a detail-page payload (description, requirements, level,
work type, category from the CSV), which is the expensive case (long free text).

The rows are transformed in batches of ``--batch-size`` in this process, as the process flow
does; the first batch runs with cold caches. Reported: rows/s (wall and CPU), and seconds per
step summed over batches. Generation is not timed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jobinsight.scrape.sources.topcv import parse_listing  # noqa: E402
from jobinsight.transform.batch import transform_batch  # noqa: E402

REALDATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata"

FALLBACK_TITLES = [
    "Kế Toán Tổng Hợp", "Kế Toán Thuế - Làm Việc Tại Gò Vấp, HCM", "Nhân Viên Kinh Doanh Phần Mềm",
    "Backend Developer (Java, Spring Boot)", "Senior .NET Developer - Thu Nhập Upto 40 Triệu",
    "Frontend Developer ReactJS | Lương 30 Triệu", "Lập Trình Viên C++ [HN]", "Tester / QA Engineer Gấp",
    "DevOps Engineer (AWS, Kubernetes)", "Data Engineer - Tại Hà Nội", "Thực Tập Sinh Marketing",
    "Trưởng Nhóm Kinh Doanh Hot", "Chuyên Viên Tuyển Dụng", "Mobile Developer (Flutter/React Native)",
]
FALLBACK_COMPANIES = [
    "CÔNG TY CỔ PHẦN TẬP ĐOÀN THÉP POSHACO", "Công ty TNHH Phần Mềm FPT", "CÔNG TY TNHH MTV DỊCH VỤ VNG",
    "Ngân hàng TMCP Hàng Hải Việt Nam (MSB)", "Tập đoàn Công nghệ CMC", "NashTech Vietnam",
]
EXTRA_SALARIES = [
    "Thỏa thuận", "Thương lượng", "Cạnh tranh", "20tr-30tr ₫/tháng", "$ 1,000-2,000 /tháng", "Trên 30 triệu",
    "300 - 400 triệu /năm", "Up to 2000 USD", "15 triệu", "25 k - 30 k /giờ", "Tới 5 k /sp", "Từ 800 USD",
    "1,000 - 2,500 USD", "Dưới 10 triệu", "15.000.000 VND", None,
]
FALLBACK_LOCATIONS: list[tuple[str | None, str | None]] = [
    ("Hà Nội", "<p style='text-align: left;margin-bottom: 0'>Hà Nội: Cầu Giấy, Đống Đa</p>"),
    ("Hồ Chí Minh", "<p style='text-align: left;margin-bottom: 0'>Hồ Chí Minh: Gò Vấp</p>"),
    ("Hà Nội, Hồ Chí Minh", "<p style='text-align: left;margin-bottom: 0'>Hà Nội: Cầu Giấy<br/>Hồ Chí Minh: Quận 1</p>"),
    ("Hồ Chí Minh & 2 nơi khác", "<p>Hồ Chí Minh: Quận 12<br/>Đà Nẵng: Hải Châu<br/>Hà Nội: Cầu Giấy</p>"),
    ("Hồ Chí Minh (mới)", None), ("TP.HCM", None), (None, None),
]
FALLBACK_SKILLS: list[list[str]] = [
    ["Java", "Spring Boot", "SQL"], ["ReactJS", "TypeScript"], ["Kế toán thuế", "Excel"], ["Golang", "Docker"],
    ["C/C++", "Lập Trình Nhúng"], ["Kỹ năng giao tiếp", "Làm việc nhóm"], [],
]
TITLE_DECORATIONS = [
    " - Tại Hà Nội", " (Thu Nhập 15 - 20 Triệu)", " - Upto 25 Triệu", " [HCM]", " - Gấp", " | Lương 30 Triệu",
    " - Từ 1 Năm Kinh Nghiệm", " - Đi Làm Ngay", " (Hybrid)", " - Tiếng Nhật N2",
]
DEADLINE_SHAPES = ["12", "30", "Còn 21 ngày", "2026-12-31", "Hạn nộp hồ sơ: 30/06/2027 (Còn 71 ngày)", "31/02/2026",
                   "không rõ", None]


def _listing_cards() -> list[dict[str, object]]:
    """The postings of the saved real listing pages, read by the product's TopCV parser."""
    folder = REALDATA / "topcv_listing_html"
    if not folder.is_dir():
        return []
    cards: list[dict[str, object]] = []
    for page in sorted(folder.glob("*.html")):
        for job in parse_listing(page.read_bytes(), page.as_uri()):
            cards.append({"title": job.title, "company": job.company_name, "salary": job.salary,
                          "location": job.location, "detail": job.location_detail, "skills": job.skills or []})
    return cards


def _detail_rows() -> pd.DataFrame | None:
    path = REALDATA / "topcv_detail" / "topcv_jobs_nguyenphu2009.csv"
    return pd.read_csv(path) if path.is_file() else None


def build_pools() -> dict[str, list]:
    """Postings (title, company, salary, location, detail, skills, payload) and value pools.

    From real data when present (listing cards and detail rows keep their own combination of
    values), else from built-in shapes.
    """
    cards = _listing_cards()
    detail = _detail_rows()
    postings: list[tuple] = [
        (c["title"], c["company"], c["salary"], c["location"], c["detail"], c["skills"], None) for c in cards
        if c["title"]  # a card whose title has no tooltip attribute gives no title: not a posting template
    ]
    if detail is not None:
        for row in detail.itertuples(index=False):
            payload = json.dumps({"description": row.desc, "requirements": row.req, "level": row.level,
                                  "work_type": row.type, "category": row.cate}, ensure_ascii=False, default=str)
            skills = [row.skill] if isinstance(row.skill, str) else []
            postings.append((row.title, row.comp, row.salary, row.job_loc, None, skills, payload))
    if not postings:
        postings = [
            (FALLBACK_TITLES[i % len(FALLBACK_TITLES)], FALLBACK_COMPANIES[i % len(FALLBACK_COMPANIES)],
             EXTRA_SALARIES[i % len(EXTRA_SALARIES)], *FALLBACK_LOCATIONS[i % len(FALLBACK_LOCATIONS)],
             FALLBACK_SKILLS[i % len(FALLBACK_SKILLS)], None)
            for i in range(60)
        ]
    return {
        "postings": postings,
        "companies": [p[1] for p in postings if p[1]],
        "salaries": [p[2] for p in postings] + EXTRA_SALARIES,
        "locations": [(p[3], p[4]) for p in postings],
        "deadlines": list(DEADLINE_SHAPES) + (detail["deadline"].dropna().tolist() if detail is not None else []),
    }


def _pick(rng: np.random.Generator, pool: list, n: int, skew: float = 1.1) -> np.ndarray:
    """Zipf-like sampling: a few values are very common, most are rare (like real crawls)."""
    weights = 1.0 / np.arange(1, len(pool) + 1) ** skew
    idx = rng.choice(len(pool), size=n, p=weights / weights.sum())
    arr = np.empty(len(pool), dtype=object)
    for i, value in enumerate(pool):
        arr[i] = value
    return arr[idx]


def _mix(rng: np.random.Generator, base: np.ndarray, other: np.ndarray, share_other: float) -> np.ndarray:
    out = base.copy()
    swap = rng.random(len(base)) < share_other
    out[swap] = other[swap]
    return out


def generate(n: int, pools: dict[str, list], *, detail_share: float, seed: int = 7) -> pd.DataFrame:
    """``n`` distinct jobs: a posting template each (popular templates repeat), varied per row."""
    rng = np.random.default_rng(seed)
    postings = _pick(rng, pools["postings"], n, skew=0.9)
    titles = np.array([p[0] for p in postings], dtype=object)
    decorate = rng.random(n) < 0.3
    titles[decorate] = [t + TITLE_DECORATIONS[i] for t, i in
                        zip(titles[decorate], rng.integers(0, len(TITLE_DECORATIONS), decorate.sum()), strict=True)]
    companies = _mix(rng, np.array([p[1] for p in postings], dtype=object), _pick(rng, pools["companies"], n), 0.5)
    suffixed = rng.random(n) < 0.05
    companies[suffixed] = [f"{c} - Chi Nhánh {i}" for c, i in
                           zip(companies[suffixed], rng.integers(1, 200, suffixed.sum()), strict=True)]
    salaries = _mix(rng, np.array([p[2] for p in postings], dtype=object), _pick(rng, pools["salaries"], n), 0.4)
    base_locations = np.empty(n, dtype=object)
    base_locations[:] = [(p[3], p[4]) for p in postings]
    locations = _mix(rng, base_locations, _pick(rng, pools["locations"], n), 0.3)
    skills = [p[5] for p in postings]
    payload = np.array([p[6] for p in postings], dtype=object)
    payload[rng.random(n) >= detail_share] = None
    crawl_times = pd.to_datetime(["2026-07-12T03:00:00Z", "2026-07-12T09:00:00Z", "2026-07-13T03:00:00Z"], utc=True)
    verified = np.array([True, False, None], dtype=object)[rng.integers(0, 3, n)]
    text = "str"
    return pd.DataFrame({
        "id": np.arange(1, n + 1, dtype=np.int64),
        "source": pd.Series(["topcv"] * n, dtype=text),
        "job_id": pd.Series([str(2_000_000 + i) for i in range(n)], dtype=text),
        "title": pd.Series(titles, dtype=text),
        "job_url": pd.Series([f"https://www.topcv.vn/viec-lam/job/{i}.html" for i in range(n)], dtype=text),
        "company_name": pd.Series(companies, dtype=text),
        "company_url": pd.Series([None] * n, dtype=text),
        "salary": pd.Series(salaries, dtype=text),
        "skills": pd.Series([json.dumps(s, ensure_ascii=False) if s else None for s in skills], dtype=text),
        "location": pd.Series([loc for loc, _ in locations], dtype=text),
        "location_detail": pd.Series([det for _, det in locations], dtype=text),
        "deadline": pd.Series(_pick(rng, pools["deadlines"], n, skew=0.3), dtype=text),
        "verified_employer": verified,
        "last_update": pd.Series(["Cập nhật 2 giờ trước"] * n, dtype=text),
        "logo_url": pd.Series([None] * n, dtype=text),
        "posted_time": pd.Series(crawl_times[rng.integers(0, 3, n)]),
        "crawled_at": pd.Series(crawl_times[rng.integers(0, 3, n)]),
        "content_hash": pd.Series([f"{i:032x}" for i in range(n)], dtype=text),
        "payload": pd.Series(payload, dtype=text),
    })


def run(rows: int, batch_size: int, detail_share: float) -> dict[str, object]:
    pools = build_pools()
    frame = generate(rows, pools, detail_share=detail_share)
    steps: dict[str, float] = {}
    batches = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for start in range(0, rows, batch_size):
        chunk = frame.iloc[start : start + batch_size]
        w, c = time.perf_counter(), time.process_time()
        outcome = transform_batch(chunk)
        batches.append({"rows": len(chunk), "wall_s": round(time.perf_counter() - w, 3),
                        "cpu_s": round(time.process_time() - c, 3), "rows_out": outcome.stats["rows_out"]})
        for step, seconds in outcome.timings.items():
            steps[step] = steps.get(step, 0.0) + seconds
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {
        "rows": rows, "batch_size": batch_size, "detail_share": detail_share,
        "realdata": REALDATA.is_dir(),
        "rows_per_s_wall": round(rows / wall), "rows_per_s_cpu": round(rows / cpu),
        "first_batch_rows_per_s_cpu": round(batches[0]["rows"] / max(batches[0]["cpu_s"], 1e-9)),
        "batches": batches, "step_seconds": {k: round(v, 3) for k, v in steps.items()},
        "distinct": {"titles": int(frame["title"].nunique()), "companies": int(frame["company_name"].nunique()),
                     "salaries": int(frame["salary"].nunique()), "skills": int(frame["skills"].nunique())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=50_000)
    parser.add_argument("--detail-share", type=float, default=0.0,
                        help="share of rows with a detail-page payload (long description text)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(args.rows, args.batch_size, args.detail_share)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"rows={result['rows']} batch_size={result['batch_size']} detail_share={result['detail_share']} "
          f"realdata={result['realdata']}")
    print(f"distinct values: {result['distinct']}")
    for i, b in enumerate(result["batches"], 1):
        print(f"  batch {i}: {b['rows']} rows  wall {b['wall_s']}s  cpu {b['cpu_s']}s  "
              f"-> {round(b['rows'] / max(b['cpu_s'], 1e-9))} rows/s (cpu)")
    print(f"transform_batch: {result['rows_per_s_wall']} rows/s wall, {result['rows_per_s_cpu']} rows/s cpu "
          f"(first batch, cold caches: {result['first_batch_rows_per_s_cpu']} rows/s cpu)")
    print("seconds per step (all batches):")
    for step, seconds in sorted(result["step_seconds"].items(), key=lambda kv: -kv[1]):
        print(f"  {step:<11} {seconds:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
