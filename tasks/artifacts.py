"""Publishing a run's figures as Prefect artifacts (table, markdown summary, progress)."""

from __future__ import annotations

import json
from uuid import UUID

from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

from jobinsight.options import PipelineResult
from jobinsight.process.tally import phase_totals, summary_markdown
from jobinsight.scrape.runner import scrape_summary_markdown


def publish_run_artifacts(result: PipelineResult, key_prefix: str) -> None:
    """``<prefix>-metrics`` (table, one row per phase and batch) and ``<prefix>-summary``."""
    rows = [
        {"phase": m.phase, "batch": m.batch_no, "seconds": m.duration_s, "rows_in": m.rows_in,
         "rows_out": m.rows_out, "rss_mb": m.rss_mb, "rss_delta_mb": m.rss_delta_mb, "cpu_percent": m.cpu_percent}
        for m in result.phases
    ]
    rows += [{"phase": f"{t['phase']} (total)", "batch": None, "seconds": t["seconds"], "rows_in": t["rows_in"],
              "rows_out": t["rows_out"], "rss_mb": t["peak_rss_mb"], "rss_delta_mb": None, "cpu_percent": None}
             for t in phase_totals(result.phases)]
    llm = result.stats.extra.get("llm")
    if llm:  # LLM usage: requests, tokens, cache hits, fallbacks, quota state
        rows.append({"phase": "llm_enrichment (total)", "batch": None, "seconds": None, "rows_in": None,
                     "rows_out": None, "rss_mb": None, "rss_delta_mb": None, "cpu_percent": None,
                     "llm": json.dumps(llm, default=str, ensure_ascii=False)})
    create_table_artifact(key=f"{key_prefix}-metrics", table=rows,
                          description=f"Per-phase metrics of {result.flow} run {result.run_id}")
    summary = scrape_summary_markdown(result) if result.flow == "scrape" else summary_markdown(result)
    create_markdown_artifact(key=f"{key_prefix}-summary", markdown=summary,
                             description=f"Summary of {result.flow} run {result.run_id}")


class ProgressArtifact:
    """A progress artifact updated after each batch (0–100 %).

    Created at the first update, so a run with nothing to do shows no 0 % bar.
    """

    def __init__(self, key: str, description: str) -> None:
        self._key, self._description = key, description
        self._id: UUID | None = None

    def update(self, done: int, total: int) -> None:
        progress = 100.0 if total <= 0 else min(100.0, 100.0 * done / total)
        if self._id is None:
            self._id = create_progress_artifact(progress=progress, key=self._key, description=self._description)
        else:
            update_progress_artifact(artifact_id=self._id, progress=progress)
