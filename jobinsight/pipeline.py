"""Combining the scrape and process results of a full run into one ``PipelineResult``."""

from __future__ import annotations

from jobinsight.markdown import md_cell, md_text
from jobinsight.options import COMPLETED, COMPLETED_WITH_ROWS_LEFT, FAILED, PipelineResult, PipelineStats


def combine_results(run_id: str, mode: str, parts: dict[str, PipelineResult], duration_s: float) -> PipelineResult:
    """One result for the full run; each part's own result is kept under ``parts``."""
    success = all(part.success for part in parts.values())
    message = "; ".join(f"{name}: {part.message}" for name, part in parts.items())
    scrape, process = parts.get("scrape"), parts.get("process")
    # The headline counts are the last stage's (what reached staging, or raw for scrapeOnly);
    # each part's own counts stay under ``parts``.
    last = process or scrape
    stats = PipelineStats(
        total_records=last.stats.total_records if last else 0,
        processed_records=last.stats.processed_records if last else 0,
        success_count=last.stats.success_count if last else 0,
        failure_count=sum(p.stats.failure_count for p in parts.values()),
        quarantined=sum(p.stats.quarantined for p in parts.values()),
        duration_seconds=round(duration_s, 3),
        batch_count=process.stats.batch_count if process else 0,
        extra={
            "mode": mode,
            "scraped": scrape.stats.success_count if scrape else 0,
            "inserted": scrape.stats.extra.get("inserted", 0) if scrape else 0,
            "processed": process.stats.processed_records if process else 0,
        },
    )
    phases = [m for part in parts.values() for m in part.phases]
    left = sum(part.rows_left for part in parts.values())
    outcome = FAILED if not success else COMPLETED_WITH_ROWS_LEFT if any(
        part.outcome == COMPLETED_WITH_ROWS_LEFT for part in parts.values()) else COMPLETED
    return PipelineResult(success=success, message=message, flow="full", run_id=run_id, stats=stats,
                          phases=phases, parts=parts, outcome=outcome, rows_left=left)


def full_summary_markdown(result: PipelineResult) -> str:
    """Markdown summary of a full run for its artifact."""
    headline = "FAILED" if not result.success else (
        "completed with rows left" if result.outcome == COMPLETED_WITH_ROWS_LEFT else "succeeded")
    lines = [f"# JobInsight full run {headline} ({md_text(result.stats.extra.get('mode'))})", ""]
    lines += ["| part | ok | message | rows | seconds |", "|---|---|---|---|---|"]
    for name, part in result.parts.items():
        lines.append(f"| {md_cell(name)} | {'yes' if part.success else 'no'} | {md_cell(part.message)} | "
                     f"{part.stats.success_count:,} | {part.stats.duration_seconds} |")
    return "\n".join(lines)
