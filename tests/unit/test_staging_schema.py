"""The transformer and the save step build their columns from ``jobinsight/staging_schema.py``."""

from __future__ import annotations

import pandas as pd
import pytest

from jobinsight import staging_schema
from jobinsight.process import save
from jobinsight.transform import batch as batch_module

ROW = {"id": 1, "source": "topcv", "job_id": "1", "title": "Kế toán", "salary": "10 - 15 triệu",
       "crawled_at": pd.Timestamp("2026-07-12T03:00:00Z")}


def test_declared_but_not_computed_column_fails_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_module, "STAGING_COLUMNS", (*staging_schema.STAGING_COLUMNS, "remote_share"))
    with pytest.raises(RuntimeError, match=r"declared but not computed \['remote_share'\]"):
        batch_module.transform_batch(pd.DataFrame([ROW]))


def test_computed_but_not_declared_column_fails_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    shorter = tuple(c for c in staging_schema.STAGING_COLUMNS if c != "work_mode")
    monkeypatch.setattr(batch_module, "STAGING_COLUMNS", shorter)
    with pytest.raises(RuntimeError, match=r"computed but not declared \['work_mode'\]"):
        batch_module.transform_batch(pd.DataFrame([ROW]))


def test_the_transformer_output_is_the_declaration() -> None:
    out = batch_module.transform_batch(pd.DataFrame([ROW]))
    assert tuple(out.staging.columns) == staging_schema.STAGING_COLUMNS
    for name in staging_schema.DERIVED_COLUMNS:
        pg_type = staging_schema.BY_NAME[name].pg_type
        dtype = out.staging[name].dtype
        if pg_type == "numeric":
            assert dtype == "float64", name
        elif pg_type == "timestamp with time zone":
            assert isinstance(dtype, pd.DatetimeTZDtype), name
        elif pg_type == "boolean":
            assert isinstance(dtype, pd.BooleanDtype), name
        elif pg_type == "integer":
            assert isinstance(dtype, pd.Int64Dtype), (name, dtype)
        else:
            assert isinstance(dtype, pd.StringDtype), (name, dtype)


def test_the_save_step_sends_the_declared_columns_with_their_types() -> None:
    assert save.DERIVED_COLUMNS == ["raw_id", "content_hash", *staging_schema.DERIVED_COLUMNS,
                                    *staging_schema.REPAIRED_COLUMNS]
    assert not set(staging_schema.REPAIRED_COLUMNS) & set(save.PASSTHROUGH_COLUMNS)
    assert save.STAGING_COLUMNS == list(staging_schema.STAGING_COLUMNS)
    assert save._TIMESTAMP_COLUMNS == ("due_date",)
    types = {c: staging_schema.BY_NAME[c].sql_type for c in save.DERIVED_COLUMNS}
    assert types["raw_id"] == "bigint" and types["cities"] == "jsonb" and types["salary_min"] == "numeric"


def test_every_column_has_a_meaning_and_a_known_origin() -> None:
    names = [c.name for c in (*staging_schema.COLUMNS, *staging_schema.VIEW_COLUMNS)]
    assert len(names) == len(set(names))
    for column in staging_schema.COLUMNS:
        assert column.meaning.strip() and column.origin in ("key", "raw", "derived", "save", "legacy")
    assert set(staging_schema.KEY) <= {c.name for c in staging_schema.COLUMNS if not c.nullable}
