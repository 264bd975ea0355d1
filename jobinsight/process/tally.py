"""Adding up a process run: counts, parse rates, the integrity check and the run summary.

Prefect-free so the arithmetic of "did every eligible row arrive?" is unit-testable. The
integrity check compares rows *loaded* for processing with rows the database *reports*
written (raw rows marked processed) plus rows quarantined — two independent counts, unlike
the reference pipeline, which compared a DataFrame with itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from jobinsight.markdown import md_cell, md_text
from jobinsight.options import (
    COMPLETED,
    COMPLETED_WITH_ROWS_LEFT,
    FAILED,
    PhaseMetric,
    PipelineResult,
    PipelineStats,
)
from jobinsight.process.claims import RowsLeft

_RATE_KEYS = ("salary_parsed", "salary_unknown", "deadline_parsed", "deadline_unparsed", "locations_resolved",
              "skills_rows", "seniority_known", "family_known", "isco_filled", "country_known", "salary_suspect",
              "salary_from_text", "title_truncated")


class IntegrityCheckError(RuntimeError):
    """Fewer rows arrived than the integrity threshold requires; carries the run's result."""

    def __init__(self, message: str, result: PipelineResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class ProcessTally:
    """Running totals of one process run."""

    flow: str
    run_id: str
    eligible_at_start: int = 0
    started: float = field(default_factory=time.perf_counter)
    batches: int = 0
    loaded: int = 0
    staged: int = 0
    marked: int = 0
    deferred: int = 0
    quarantined: int = 0
    resolved: int = 0
    lost_claims: int = 0
    field_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_RATE_KEYS, 0))
    phases: list[PhaseMetric] = field(default_factory=list)
    stop_reason: str = "no eligible rows left"
    #: rows freed from the claims of runs Prefect reported dead
    reclaimed: int = 0
    left: RowsLeft = field(default_factory=RowsLeft)

    def add_batch(self, loaded: int, transform_stats: dict[str, int], save: dict) -> None:
        """Fold one saved batch into the totals."""
        self.batches += 1
        self.loaded += loaded
        self.staged += int(save.get("staged", 0))
        self.marked += int(save.get("marked_processed", 0))
        self.deferred += int(save.get("deferred", 0))
        self.quarantined += int(save.get("quarantined", 0))
        self.resolved += int(save.get("resolved", 0))
        for key in _RATE_KEYS:
            self.field_counts[key] += int(transform_stats.get(key, 0))

    @property
    def accounted(self) -> int:
        """Rows the database confirms as written or quarantined."""
        return self.marked + self.quarantined

    @property
    def integrity_ratio(self) -> float:
        return 1.0 if self.loaded == 0 else self.accounted / self.loaded

    def parse_rates(self) -> dict[str, float]:
        """Share of rows whose fields were parsed, for the run summary."""
        rows = max(self.staged, 1)
        deadlines = self.field_counts["deadline_parsed"] + self.field_counts["deadline_unparsed"]
        return {
            "salary_parsed": round(self.field_counts["salary_parsed"] / rows, 4),
            "deadline_parsed": round(self.field_counts["deadline_parsed"] / max(deadlines, 1), 4),
            "locations_resolved": round(self.field_counts["locations_resolved"] / rows, 4),
            "skills_present": round(self.field_counts["skills_rows"] / rows, 4),
            # enrichment coverage (the quality report's coverage figures, per run)
            "seniority_known": round(self.field_counts["seniority_known"] / rows, 4),
            "family_known": round(self.field_counts["family_known"] / rows, 4),
            "isco_filled": round(self.field_counts["isco_filled"] / rows, 4),
            "country_known": round(self.field_counts["country_known"] / rows, 4),
            "salary_suspect": round(self.field_counts["salary_suspect"] / rows, 4),
            "salary_from_text": round(self.field_counts["salary_from_text"] / rows, 4),
            "title_truncated": round(self.field_counts["title_truncated"] / rows, 4),
        }

    def rows_left_message(self) -> str:
        """Why eligible rows were left behind, in words (empty when none were)."""
        left = self.left
        if not left.total:
            return ""
        parts = []
        if left.live_claims:
            owners = ", ".join(left.live_owners[:3]) + (" …" if len(left.live_owners) > 3 else "")
            parts.append(f"{left.live_claims:,} held by the live claim of run {owners} (still processing them, or "
                         "dead without Prefect knowing: freed when Prefect reports it over or its lease ends)")
        if left.expired_claims:
            parts.append(f"{left.expired_claims:,} in expired claims not yet taken over (the next run takes them)")
        if left.unclaimed:
            why = (self.stop_reason if self.stop_reason != "no eligible rows left"
                   else "changed or added while this run was processing")
            parts.append(f"{left.unclaimed:,} not claimed: {why}")
        return f"{left.total:,} eligible rows left: " + "; ".join(parts)

    def result(self, threshold: float) -> PipelineResult:
        """The run's ``PipelineResult``; success requires the integrity threshold to be met."""
        duration = time.perf_counter() - self.started
        ok = self.integrity_ratio >= threshold
        stop = self.stop_reason
        if self.left.total and stop == "no eligible rows left":
            stop = "no eligible rows this run could claim"  # the rest is counted below, with the reason
        if ok and self.loaded == 0 and self.lost_claims == 0:
            message = f"nothing to do: {stop}"
        elif ok:
            message = (f"processed {self.marked:,} rows in {self.batches} batches "
                       f"({self.quarantined:,} quarantined); stopped: {stop}")
        if ok and self.reclaimed:
            message += f"; took over {self.reclaimed:,} rows from the claims of dead runs"
        if ok and self.left.total:  # never a bare "nothing to do" while rows wait in another run's claim
            message += "; " + self.rows_left_message()
        if not ok:
            missing = self.loaded - self.accounted
            message = (f"integrity check failed: {self.accounted:,} of {self.loaded:,} loaded rows were written "
                       f"or quarantined ({self.integrity_ratio:.2%} < {threshold:.2%}); {missing:,} missing "
                       f"({self.deferred:,} changed while processing and stay eligible, "
                       f"{self.lost_claims} batches lost their claim)")
        stats = PipelineStats(
            total_records=self.loaded,
            processed_records=self.marked,
            success_count=self.marked,
            failure_count=self.loaded - self.marked,
            quarantined=self.quarantined,
            duration_seconds=round(duration, 3),
            batch_count=self.batches,
            extra={
                "eligible_at_start": self.eligible_at_start,
                "staged": self.staged,
                "deferred": self.deferred,
                "resolved_quarantine": self.resolved,
                "lost_claims": self.lost_claims,
                "reclaimed_from_dead_runs": self.reclaimed,
                "rows_left": self.left.to_dict(),
                "integrity_ratio": round(self.integrity_ratio, 6),
                "rows_per_second": round(self.marked / duration, 1) if duration > 0 and self.marked else None,
                # Shares of zero rows mean nothing: left out when no row was staged.
                "parse_rates": self.parse_rates() if self.staged else {},
                "field_counts": dict(self.field_counts),
            },
        )
        outcome = FAILED if not ok else COMPLETED_WITH_ROWS_LEFT if self.left.total else COMPLETED
        return PipelineResult(success=ok, message=message, flow=self.flow, run_id=self.run_id, stats=stats,
                              phases=list(self.phases), outcome=outcome, rows_left=self.left.total)


def phase_totals(phases: list[PhaseMetric]) -> list[dict]:
    """Per-phase sums over batches (seconds, rows, peak RSS) for tables and the benchmark.

    A row count no batch of a phase measured stays None in the total too (not 0), so the
    total agrees with its batches.
    """
    totals: dict[str, dict] = {}
    for metric in phases:
        entry = totals.setdefault(metric.phase, {"phase": metric.phase, "calls": 0, "seconds": 0.0,
                                                 "rows_in": None, "rows_out": None, "peak_rss_mb": None})
        entry["calls"] += 1
        entry["seconds"] = round(entry["seconds"] + metric.duration_s, 4)
        for key, value in (("rows_in", metric.rows_in), ("rows_out", metric.rows_out)):
            if value is not None:
                entry[key] = (entry[key] or 0) + value
        if metric.rss_mb is not None:
            entry["peak_rss_mb"] = max(entry["peak_rss_mb"] or 0.0, metric.rss_mb)
    return list(totals.values())


def _figure(value: object, spec: str = "") -> str:
    """A table cell: the value formatted, or "n/a" when the flow did not measure it."""
    return "n/a" if value is None else format(value, spec)


def _headline(result: PipelineResult) -> str:
    if not result.success:
        return "FAILED"
    return "completed with rows left" if result.outcome == COMPLETED_WITH_ROWS_LEFT else "succeeded"


def summary_markdown(result: PipelineResult) -> str:
    """The markdown run summary published as an artifact; a run that did nothing says so in one line."""
    extra = result.stats.extra
    title = f"# {md_text(result.flow)} run {_headline(result)}"
    if result.success and result.stats.total_records == 0:
        return f"{title}: {md_text(result.message)}"
    lines = [
        title,
        "",
        md_text(result.message),
        "",
        "| figure | value |",
        "|---|---|",
        f"| rows loaded | {result.stats.total_records:,} |",
        f"| rows processed | {result.stats.processed_records:,} |",
        f"| quarantined | {result.stats.quarantined:,} |",
        f"| batches | {result.stats.batch_count} |",
        f"| duration (s) | {result.stats.duration_seconds} |",
        f"| eligible rows left | {result.rows_left:,} |",
    ]
    # figures only some flows measure: shown when measured, never as "None"
    if extra.get("rows_per_second") is not None:
        lines.append(f"| rows/s | {extra['rows_per_second']:,} |")
    if extra.get("integrity_ratio") is not None:
        lines.append(f"| integrity | {extra['integrity_ratio']:.2%} |")
    for key, value in (extra.get("parse_rates") or {}).items():
        lines.append(f"| {key.replace('_', ' ')} | {value:.1%} |")
    llm = extra.get("llm")
    if llm:
        for key in ("requests", "tokens", "cache_hits", "fallbacks", "rows_pending_llm", "quota_state"):
            if llm.get(key) is not None:
                lines.append(f"| LLM {key.replace('_', ' ')} | {md_cell(llm[key])} |")
    lines += ["", "| phase | calls | seconds | rows in | rows out | peak RSS MB |", "|---|---|---|---|---|---|"]
    for entry in phase_totals(result.phases):
        lines.append(f"| {md_cell(entry['phase'])} | {entry['calls']} | {entry['seconds']:.2f} | "
                     f"{_figure(entry['rows_in'], ',')} | {_figure(entry['rows_out'], ',')} | "
                     f"{_figure(entry['peak_rss_mb'], '.0f')} |")
    return "\n".join(lines)
