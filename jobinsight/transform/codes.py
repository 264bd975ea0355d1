"""Integer codes for the distinct values of a batch's columns.

Why: every transformation runs once per distinct value (or distinct combination of values),
not once per row; both the batch transformer and the rules enricher group rows this way, so the
grouping lives here once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd


def combine_codes(codes: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One code per distinct combination of several code columns, plus the first row of each code.

    Codes are compact (0..m-1) and numbered in order of first appearance.
    """
    key = codes[0]
    if len(key) == 0:
        return key.astype(np.int64), np.zeros(0, dtype=np.int64)
    for other in codes[1:]:
        key, _ = pd.factorize(key * (int(other.max()) + 1) + other)
    key, _ = pd.factorize(key)  # compact codes in order of first appearance: 0..m-1
    key = np.asarray(key, dtype=np.int64)
    _, first_rows = np.unique(key, return_index=True)
    return key, first_rows


def describe_error(exc: BaseException) -> str:
    """The reason stored with a quarantined row: the exception's type and message."""
    return f"{type(exc).__name__}: {exc}"


def map_distinct(values: Sequence[Any], func: Callable[[Any], Any]) -> tuple[list[Any], dict[int, str]]:
    """``func`` over each distinct value; a value that raises gets None and its reason, never stops the batch."""
    results: list[Any] = [None] * len(values)
    failures: dict[int, str] = {}
    for i, value in enumerate(values):
        try:
            results[i] = func(value)
        except Exception as exc:  # a bad value quarantines its rows, never the batch
            failures[i] = describe_error(exc)
    return results, failures
