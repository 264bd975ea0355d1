"""Optional LLM enrichment of staging rows (the rules enricher stays the default).

Why a package of its own: it talks to a paid, rate-limited HTTP endpoint and keeps state in the
database (answer cache, daily quota, pending postings), none of which the pure transformations
in ``jobinsight.transform`` should know about. Phase 4 calls :func:`enrich_batch_with_llm` after
``transform_batch`` when :meth:`LlmSettings.from_env` returns settings; it is Prefect-free.
"""

from jobinsight.enrich.llm_batch import (
    ENRICHMENT_COLUMNS,
    FALLBACK_SOURCE,
    LlmBatchReport,
    LlmRunState,
    QuotaState,
    enrich_batch_with_llm,
)
from jobinsight.enrich.schema import PROMPT_VERSION, InvalidAnswer, LlmEnrichment, parse_answer
from jobinsight.enrich.settings import LlmConfigError, LlmSettings

__all__ = [
    "ENRICHMENT_COLUMNS", "FALLBACK_SOURCE", "PROMPT_VERSION", "InvalidAnswer", "LlmBatchReport",
    "LlmConfigError", "LlmEnrichment", "LlmRunState", "LlmSettings", "QuotaState", "enrich_batch_with_llm",
    "parse_answer",
]
