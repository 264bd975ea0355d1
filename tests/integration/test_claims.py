"""Batch claims: no overlap between runs, resume of a run's own claim, expiry, lost claims."""

from __future__ import annotations

import pandas as pd
import pytest

from jobinsight.process.claims import claim_batch, count_eligible
from jobinsight.process.load import RAW_COLUMNS, load_batch
from jobinsight.process.save import ClaimLostError, save_batch
from jobinsight.synthetic import generate_raw_rows
from tests.sqlutil import sql_rows


def _claim(url: str, run: str, after: int = 0, limit: int = 100, lease: int = 600, mode: str = "unprocessed"):
    return claim_batch(url, run_id=run, mode=mode, after_id=after, limit=limit, lease_seconds=lease, max_attempts=3)



def test_concurrent_claims_never_overlap_and_cover_everything(database_url: str) -> None:
    generate_raw_rows(database_url, 1_000)
    claims = []
    # Three runs interleave claims; each keeps its own cursor.
    cursors = {"a": 0, "b": 0, "c": 0}
    while True:
        progressed = False
        for run in cursors:
            claim = _claim(database_url, run, after=cursors[run], limit=97)
            if claim is None:
                continue
            # mark it saved so the run moves on (as phase 5 would)
            sql_rows(database_url, "UPDATE jobinsight_monitoring.batch_claims SET saved_at = now() "
                                   "WHERE claim_id = %s", (claim.claim_id,))
            sql_rows(database_url, "UPDATE public.raw_jobs SET is_processed = true WHERE id BETWEEN %s AND %s",
                     (claim.lo_id, claim.hi_id))
            claims.append(claim)
            cursors[run] = claim.hi_id
            progressed = True
        if not progressed:
            break
    ranges = sorted((c.lo_id, c.hi_id) for c in claims)
    for (_, hi), (lo, _) in zip(ranges, ranges[1:], strict=False):
        assert lo > hi, "claims overlap"
    assert sum(c.n_rows for c in claims) == 1_000
    assert count_eligible(database_url, mode="unprocessed", max_attempts=3) == 0


def test_live_claims_are_skipped_and_a_run_resumes_its_own(database_url: str) -> None:
    generate_raw_rows(database_url, 300)
    first = _claim(database_url, "run-1", limit=100)
    again = _claim(database_url, "run-1", limit=100)
    assert again == first  # a retried phase resumes the run's unsaved claim
    other = _claim(database_url, "run-2", limit=100)
    assert other is not None and other.lo_id > first.hi_id


def test_expired_claim_is_taken_again_and_the_late_save_rolls_back(database_url: str) -> None:
    generate_raw_rows(database_url, 50)
    crashed = _claim(database_url, "crashed", limit=50, lease=600)
    sql_rows(database_url, "UPDATE jobinsight_monitoring.batch_claims SET claimed_until = now() - interval '1 s'")
    taker = _claim(database_url, "next", limit=50)
    assert (taker.lo_id, taker.hi_id) == (crashed.lo_id, crashed.hi_id)

    frame = load_batch(database_url, crashed)
    assert list(frame.columns) == RAW_COLUMNS and len(frame) == 50
    empty = pd.DataFrame(columns=["raw_id", "reason"])
    with pytest.raises(ClaimLostError, match="expired and was taken"):
        save_batch(database_url, crashed, frame.iloc[0:0], empty, "crashed")
    assert sql_rows(database_url, "SELECT count(*) FROM public.raw_jobs WHERE is_processed")[0][0] == 0
