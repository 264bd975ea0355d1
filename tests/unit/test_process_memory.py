"""The save's encoded staging rows and the memory hand-back between batches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from jobinsight.process.memory import release_free_memory, use_returning_allocator
from jobinsight.process.save import StagingRows, frame_to_csv
from jobinsight.transform.batch import transform_batch


def _raw(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "id": np.arange(n, 0, -1, dtype=np.int64),  # descending on purpose: the ids must come out sorted
        "source": ["topcv"] * n,
        "job_id": [str(i) for i in range(n)],
        "title": ["Kế Toán Tổng Hợp", "Backend Developer (Java)", " "][:n] * (n // 3) + ["Tester"] * (n % 3),
        "company_name": ["CÔNG TY TNHH ABC"] * n,
        "salary": ["10 - 15 triệu", None, "Thoả thuận"] * (n // 3) + [None] * (n % 3),
        "location": ["Hà Nội"] * n,
        "deadline": ["Còn 21 ngày"] * n,
        "crawled_at": pd.to_datetime(["2026-11-01T08:00:00Z"] * n),
        "content_hash": [f"h{i}" for i in range(n)],
    })


def test_encoded_rows_carry_the_same_copy_payload_and_sorted_ids() -> None:
    outcome = transform_batch(_raw(30))
    rows = StagingRows.encode(outcome.staging)
    assert len(rows) == len(outcome.staging) == 20  # the blank titles are quarantined
    assert rows.csv.to_pybytes() == frame_to_csv(outcome.staging)
    assert rows.raw_ids.tolist() == sorted(outcome.staging["raw_id"].tolist())
    # encoding leaves the frame as it was (copy-on-write, no in-place timestamp conversion)
    assert outcome.staging["due_date"].dtype == transform_batch(_raw(30)).staging["due_date"].dtype


def test_an_empty_batch_encodes_to_nothing() -> None:
    rows = StagingRows.encode(transform_batch(_raw(30)).staging.iloc[0:0])
    assert len(rows) == 0 and rows.csv.size == 0 and rows.raw_ids.size == 0


def test_arrow_allocates_from_a_pool_that_returns_memory() -> None:
    use_returning_allocator()
    use_returning_allocator()  # idempotent
    if "jemalloc" in pa.supported_memory_backends():
        assert pa.default_memory_pool().backend_name == "jemalloc"
    buffer = pa.allocate_buffer(8 << 20)
    allocated = pa.total_allocated_bytes()
    del buffer
    release_free_memory()
    assert pa.total_allocated_bytes() <= allocated - (8 << 20)
