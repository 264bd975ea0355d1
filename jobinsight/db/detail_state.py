"""What raw_jobs knows about postings a listing just showed: their card hash and detail age.

Why a query of its own: the crawler decides per card whether to fetch its detail page (new,
card changed, details stale) before anything of this crawl is stored, so it reads the stored
state of exactly the cards it saw, in one round trip.
"""

from __future__ import annotations

from collections.abc import Sequence

from jobinsight.db.connect import transaction
from jobinsight.scrape.details import KnownPosting

_QUERY = """
SELECT r.job_id, r.listing_hash, r.detail_scraped_at
  FROM public.raw_jobs r
 WHERE r.source = %s AND r.job_id = ANY(%s)
"""


def known_postings(url: str, source: str, job_ids: Sequence[str]) -> dict[str, KnownPosting]:
    """``job_id -> KnownPosting`` for the given postings of ``source`` that raw_jobs holds."""
    if not job_ids:
        return {}
    with transaction(url, application_name="jobinsight-detail-state") as conn, conn.cursor() as cur:
        cur.execute(_QUERY, (source, list(dict.fromkeys(job_ids))))
        return {job_id: KnownPosting(listing_hash, scraped_at) for job_id, listing_hash, scraped_at in cur}
