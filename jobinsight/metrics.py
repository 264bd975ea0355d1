"""Measuring a phase: wall time, resident memory and its change, CPU use of this process.

Used by every phase so the per-phase figures in artifacts, the monitoring tables and the
benchmark are measured the same way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psutil

from jobinsight.options import PhaseMetric

_PROCESS = psutil.Process()


def rss_mb() -> float:
    """Resident memory of this process in MiB."""
    return _PROCESS.memory_info().rss / 1_048_576


@dataclass
class PhaseTimer:
    """Filled in by :func:`measure`; ``rows_in``/``rows_out``/``extra`` are set by the caller."""

    phase: str
    batch_no: int | None = None
    rows_in: int | None = None
    rows_out: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    metric: PhaseMetric | None = None


@contextmanager
def measure(phase: str, batch_no: int | None = None) -> Iterator[PhaseTimer]:
    """Time a block and record memory and CPU; the metric is in ``timer.metric`` afterwards."""
    timer = PhaseTimer(phase, batch_no)
    rss_before = rss_mb()
    cpu_before = _PROCESS.cpu_times()
    started = time.perf_counter()
    try:
        yield timer
    finally:
        elapsed = time.perf_counter() - started
        cpu_after = _PROCESS.cpu_times()
        cpu_used = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
        rss_after = rss_mb()
        timer.metric = PhaseMetric(
            phase=phase,
            batch_no=batch_no,
            duration_s=round(elapsed, 4),
            rows_in=timer.rows_in,
            rows_out=timer.rows_out,
            rss_mb=round(rss_after, 1),
            rss_delta_mb=round(rss_after - rss_before, 1),
            cpu_percent=round(100.0 * cpu_used / elapsed, 1) if elapsed > 0 else None,
            extra=timer.extra,
        )
