"""Raw job rows (a pandas batch) -> staging rows, quarantined rows and counts.

Why: this is phase 4 of the process flow ("Python processing"), the part of the pipeline that
runs per row, so it decides the throughput of the whole product. Scraped data repeats heavily
(the same titles, salaries, cities, companies and skill tags thousands of times), so every
transformation runs once per *distinct* value: each column is factorised (``pd.factorize``),
the parser runs over the distinct values, and the results are taken back to rows with numpy
indexing. Locations factorise the combination of their inputs the same way; enrichment
(``enrich_rules.enrich_coded``) computes each label per distinct combination of only the evidence it
reads. With the loader's Arrow-backed string columns no per-row Python
loop runs at all. Enrichment reads the *cleaned* title (decorations removed), which repeats far
more than the raw one; language conditions are still read from the raw title.

Failures are per row, never per batch: a row with a blank ``job_id`` or ``title``, a NUL byte
in any text, or a value whose transformation raises is moved to ``quarantined`` with a readable
reason (for an exception: its class and message), and every other row goes through. An
unparseable salary is ``unknown`` and an unparseable deadline is NaT - both normal outcomes,
counted in ``stats``, not errors.

Detail-page context (rank, category, required experience) comes from the raw columns
``job_level`` / ``job_category`` / ``experience`` when the frame has them, else from the payload
keys ``level`` / ``category`` / ``experience``. A posting with no structured salary gets the
salary its description states, marked ``salary_source = 'text'``. ``stats`` carries the
coverage figures the run summary shows (seniority known, family known, ISCO code, country).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from jobinsight.staging_schema import PASSTHROUGH_COLUMNS, REPAIRED_COLUMNS, STAGING_COLUMNS
from jobinsight.transform.codes import combine_codes, map_distinct
from jobinsight.transform.companies import split_company_rating, standardize_company
from jobinsight.transform.deadline import VN_TZ, parse_deadline_spec
from jobinsight.transform.enrich_rules import (
    ENRICHMENT_SOURCE,
    ENRICHMENT_VERSION,
    enrich_coded,
)
from jobinsight.transform.job_details import (
    education_level,
    employment_type,
    experience_months,
    openings_count,
)
from jobinsight.transform.locations import parse_location_pairs, resolve_place
from jobinsight.transform.salary import SalaryParse, parse_salary, salary_from_text
from jobinsight.transform.titles import clean_title, title_truncated
from jobinsight.transform.urls import repair_url

__all__ = ["BatchOutcome", "REPAIRED_COLUMNS", "STAGING_COLUMNS", "STATS_KEYS", "transform_batch"]

STATS_KEYS = (
    "rows_in", "rows_out", "quarantined", "salary_parsed", "salary_unknown", "deadline_parsed",
    "deadline_unparsed", "locations_resolved", "skills_rows", "seniority_known", "family_known", "isco_filled",
    "country_known", "salary_suspect", "salary_from_text", "title_truncated",
)
_PAYLOAD_KEYS = ("description", "requirements", "level", "work_type", "category", "experience")
# Raw detail-page columns (issue 12) that take precedence over the payload keys of the same meaning.
_RAW_CONTEXT_COLUMNS = {"description": "description", "requirements": "requirements", "level": "job_level",
                        "work_type": "employment_type", "category": "job_category", "experience": "experience"}
_TEXT_COLUMNS = tuple(c for c in (*PASSTHROUGH_COLUMNS, "payload") if c not in ("verified_employer", "crawled_at"))
_END_OF_DAY = pd.Timedelta(hours=23, minutes=59, seconds=59)


@dataclass
class BatchOutcome:
    """Result of :func:`transform_batch`."""

    staging: pd.DataFrame
    quarantined: pd.DataFrame
    stats: dict[str, int]
    #: wall seconds per step (validate, salary, deadline, title, company, location, enrichment, assemble)
    timings: dict[str, float] = field(default_factory=dict)


@contextmanager
def _timed(timings: dict[str, float], step: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = timings.get(step, 0.0) + time.perf_counter() - start


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class _Reasons:
    """The first failure reason of each row (None while the row is healthy)."""

    def __init__(self, n: int) -> None:
        self.reasons = np.full(n, None, dtype=object)
        self.ok = np.ones(n, dtype=bool)

    def add(self, mask: np.ndarray, reason: str) -> None:
        fresh = mask & self.ok
        if fresh.any():
            self.reasons[fresh] = reason
            self.ok[fresh] = False

    def add_failures(self, codes: np.ndarray, failures: dict[int, str], what: str) -> None:
        for code, reason in failures.items():
            self.add(codes == code, f"{what}: {reason}")


def _factorize(values: pd.Series | np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Codes per row and the distinct values; missing values share the last slot (as None)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct: list[Any] = list(uniques)
    distinct.append(None)
    codes = np.where(codes < 0, len(distinct) - 1, codes).astype(np.int64, copy=False)
    return codes, distinct


def _object_array(values: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = value
    return out


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series([None] * len(df), index=df.index, dtype=object)


def _is_text_dtype(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.StringDtype)


def _blank(series: pd.Series) -> np.ndarray:
    """Missing, or only whitespace."""
    missing = series.isna().to_numpy(dtype=bool)
    text = series if _is_text_dtype(series) else series.astype("string")
    return missing | text.str.strip().eq("").fillna(True).to_numpy(dtype=bool)


def _arrow_may_contain(series: pd.Series, needle: bytes) -> bool:
    """False when no Arrow data buffer of ``series`` holds ``needle`` (a memchr-speed check)."""
    array = series.array
    try:
        chunked = array.__arrow_array__() if hasattr(array, "__arrow_array__") else pa.array(array)
    except (pa.ArrowException, TypeError, ValueError):
        return True
    chunks = chunked.chunks if isinstance(chunked, pa.ChunkedArray) else [chunked]
    for chunk in chunks:
        buffers = chunk.buffers()
        if len(buffers) < 3 or buffers[2] is None:
            continue
        if buffers[2].to_pybytes().find(needle) >= 0:
            return True
    return False


def _has_nul(series: pd.Series) -> np.ndarray:
    none = np.zeros(len(series), dtype=bool)
    if not _is_text_dtype(series) and series.dtype != object:
        return none  # numbers, booleans, datetimes
    if _is_text_dtype(series) and not _arrow_may_contain(series, b"\x00"):
        return none
    try:
        found = series.str.contains("\x00", regex=False, na=False)
    except AttributeError:  # an object column holding no strings at all
        return none
    return found.fillna(False).to_numpy(dtype=bool)


def _json_text_column(series: pd.Series) -> pd.Series:
    """JSON-ish columns (skills, payload) as a string column: lists/dicts dumped, missing as NA."""
    if _is_text_dtype(series):
        return series
    values = series.to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        if isinstance(value, str):
            out[i] = value
        elif isinstance(value, (list, tuple, dict)):
            out[i] = _dumps(value)
        else:
            out[i] = None
    return pd.Series(pd.array(out, dtype="str"), index=series.index)


def _payload_fields(text: str | None) -> tuple[str | None, ...]:
    if not text:
        return (None,) * len(_PAYLOAD_KEYS)
    try:
        data = json.loads(text)
    except ValueError:
        return (None,) * len(_PAYLOAD_KEYS)  # an unreadable payload only loses the extra context
    if not isinstance(data, dict):
        return (None,) * len(_PAYLOAD_KEYS)
    out: list[str | None] = []
    for key in _PAYLOAD_KEYS:
        value = data.get(key)
        if isinstance(value, list):
            value = "\n".join(str(v) for v in value if v is not None)
        elif value is not None and not isinstance(value, str):
            value = str(value)
        if value is not None and "\x00" in value:
            raise ValueError(f"payload field {key!r} contains a NUL byte")
        out.append(value or None)
    return tuple(out)


def _take(per_distinct: Sequence[Any], codes: np.ndarray) -> np.ndarray:
    return _object_array(per_distinct)[codes]


def _text_take(per_distinct: Sequence[str | None], codes: np.ndarray) -> pd.arrays.ArrowStringArray:
    """A string column from per-distinct values: converted once per distinct value, taken in Arrow."""
    return pd.array(list(per_distinct), dtype="str").take(codes)


def _float_take(per_distinct: Sequence[float | None], codes: np.ndarray) -> np.ndarray:
    arr = np.array([np.nan if v is None else float(v) for v in per_distinct], dtype=np.float64)
    return arr[codes]


def _verified(value: Any) -> bool | None:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "t", "1", "yes", "y"):
            return True
        if text in ("false", "f", "0", "no", "n"):
            return False
    return None


def _due_dates(
    deadline: pd.Series, crawled_at: pd.Series, reasons: _Reasons
) -> tuple[pd.Series, np.ndarray]:
    codes, distinct = _factorize(deadline)
    specs, failures = map_distinct(distinct, parse_deadline_spec)
    reasons.add_failures(codes, failures, "deadline")
    kinds = _take([s.kind if s is not None else None for s in specs], codes)
    absolute = pd.DatetimeIndex(
        pd.to_datetime([s.at if s is not None and s.kind == "at" else None for s in specs], utc=True)
    ).tz_convert(VN_TZ)
    counts = np.array([s.count if s is not None else 0 for s in specs], dtype=np.int64)[codes]
    due = pd.Series(absolute.take(codes), index=deadline.index)
    relative = np.isin(kinds, ["days", "hours"])
    if relative.any():
        crawled = pd.to_datetime(crawled_at, utc=True, errors="coerce").dt.tz_convert(VN_TZ)
        crawled = crawled.dt.as_unit(due.dt.unit)
        days = kinds == "days"
        by_days = crawled.dt.normalize() + pd.to_timedelta(np.where(days, counts, 0), unit="D") + _END_OF_DAY
        by_hours = crawled + pd.to_timedelta(np.where(days, 0, counts), unit="h")
        due = due.where(~days, by_days).where(kinds != "hours", by_hours)
    has_text = ~_blank(deadline)
    return due, has_text


def _enrichment_inputs(work: pd.DataFrame, reasons: _Reasons) -> tuple[pd.Series, list[np.ndarray], list[list[Any]]]:
    """Skills text per row, and factorised payload context fields (description, ..., category)."""
    skills_text = _json_text_column(_column(work, "skills"))
    payload_codes, payload_distinct = _factorize(_json_text_column(_column(work, "payload")))
    parsed, failures = map_distinct(payload_distinct, _payload_fields)
    reasons.add_failures(payload_codes, failures, "payload")
    empty = (None,) * len(_PAYLOAD_KEYS)
    parsed = [p if p is not None else empty for p in parsed]
    field_codes: list[np.ndarray] = []
    field_distinct: list[list[Any]] = []
    for i, key in enumerate(_PAYLOAD_KEYS):
        # factorise the field over the distinct payloads, then compose with the payload codes
        codes, distinct = _factorize(_object_array([p[i] for p in parsed]))
        codes = codes[payload_codes]
        raw_column = _RAW_CONTEXT_COLUMNS.get(key)
        if raw_column is not None and raw_column in work.columns:
            raw = work[raw_column]
            present = ~_blank(raw)
            if present.any():
                values = _object_array(distinct)[codes]
                values[present] = raw.to_numpy(dtype=object)[present]
                values = _object_array([None if v is None or v != v else str(v) for v in values])
                codes, distinct = _factorize(values)
        field_codes.append(codes)
        field_distinct.append(distinct)
    return skills_text, field_codes, field_distinct


def _check_declared(out: dict[str, Any]) -> None:
    """The frame holds exactly the declared staging columns (``jobinsight.staging_schema``).

    Why raise: a column declared but not computed here would reach the database as NULLs, and
    one computed but not declared would never be written; both are programming errors.
    """
    if set(out) != set(STAGING_COLUMNS):
        missing = sorted(set(STAGING_COLUMNS) - set(out))
        undeclared = sorted(set(out) - set(STAGING_COLUMNS))
        raise RuntimeError(
            f"transform_batch does not match jobinsight/staging_schema.py: declared but not computed {missing}, "
            f"computed but not declared {undeclared}. Compute every declared column in transform_batch and "
            "declare every computed one (with a migration adding it to the table)."
        )


def _detail_values(work: pd.DataFrame, reasons: _Reasons) -> dict[str, Any]:
    """Experience months, openings, education level and employment type, once per distinct value."""
    out: dict[str, Any] = {}
    exp_codes, exp_distinct = _factorize(_column(work, "experience"))
    months, failures = map_distinct(exp_distinct, experience_months)
    reasons.add_failures(exp_codes, failures, "experience")
    months = [m if m is not None else (None, None) for m in months]
    out["experience_min_months"] = (exp_codes, [m[0] for m in months])
    out["experience_max_months"] = (exp_codes, [m[1] for m in months])
    for column, name, parse in (("openings", "openings", openings_count),
                                ("education", "education_level", education_level),
                                ("employment_type", "employment_type", employment_type)):
        codes, distinct = _factorize(_column(work, column))
        values, failures = map_distinct(distinct, parse)
        reasons.add_failures(codes, failures, column)
        out[name] = (codes, values)
    return out


def _int_take(per_distinct: Sequence[int | None], codes: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.array(list(per_distinct), dtype="Int64").take(codes)


_DOUBLED_URL = r"(?i)^.+https?://"


def _repaired_urls(urls: pd.Series) -> pd.Series:
    """Links with a doubled prefix repaired (``urls.repair_url``); found by one vectorised scan."""
    text = urls if _is_text_dtype(urls) else urls.astype("string")
    doubled = text.str.contains(_DOUBLED_URL, regex=True, na=False).to_numpy(dtype=bool)
    if not doubled.any():
        return urls
    fixed = urls.astype(object).copy()
    fixed[doubled] = [repair_url(u) for u in text[doubled]]
    return pd.Series(pd.array(fixed.tolist(), dtype="str"), index=urls.index)


def _final_salaries(
    salaries: list[SalaryParse], sal_codes: np.ndarray, desc_codes: np.ndarray, desc_distinct: list[Any],
    usd_rate: float, fx_rates: tuple[tuple[str, float], ...],
) -> tuple[list[SalaryParse], list[str | None], np.ndarray]:
    """Per distinct (posted salary, fallback description): the salary and where it came from.

    A posting whose salary field gives nothing (``unknown``) takes the salary its description
    states, if any; negotiable stays negotiable (the board said so).
    """
    unknown = np.array([s.salary_type == "unknown" for s in salaries], dtype=bool)[sal_codes]
    none_code = len(desc_distinct) - 1
    fallback = np.where(unknown & (desc_codes != none_code), desc_codes, -1)
    key, rows = combine_codes([sal_codes, fallback + 1])
    out: list[SalaryParse] = []
    sources: list[str | None] = []
    for row in rows.tolist():
        posted = salaries[sal_codes[row]]
        found = None
        if fallback[row] >= 0:
            found = salary_from_text(desc_distinct[fallback[row]], usd_rate, fx_rates)
        if found is not None:
            out.append(found)
            sources.append("text")
        else:
            out.append(posted)
            sources.append("posted" if posted.salary_type != "unknown" else None)
    return out, sources, key


def transform_batch(
    df: pd.DataFrame, *, usd_rate: float = 25_000.0, fx_rates: tuple[tuple[str, float], ...] = ()
) -> BatchOutcome:
    """Transform a batch of ``raw_jobs`` rows into staging rows (see module docstring).

    ``fx_rates``: VND per unit of other currencies (``salary.parse_fx_rates``), for monthly VND figures.
    """
    timings: dict[str, float] = {}
    work = df.reset_index(drop=True)
    n = len(work)
    if "id" not in work.columns:
        raise KeyError("raw batch has no 'id' column")
    raw_ids = pd.to_numeric(work["id"], errors="raise").to_numpy(dtype=np.int64)
    reasons = _Reasons(n)

    with _timed(timings, "validate"):
        reasons.add(_blank(_column(work, "job_id")), "job_id is missing or blank")
        reasons.add(_blank(_column(work, "title")), "title is missing or blank")
        for name in _TEXT_COLUMNS:
            if name in work.columns:
                reasons.add(_has_nul(work[name]), f"text contains a NUL byte (column {name!r})")

    with _timed(timings, "salary"):
        sal_codes, sal_distinct = _factorize(_column(work, "salary"))
        salaries, failures = map_distinct(sal_distinct, lambda v: parse_salary(v, usd_rate, fx_rates))
        reasons.add_failures(sal_codes, failures, "salary")
        salaries = [s if s is not None else parse_salary(None) for s in salaries]
        salary_type = _take([s.salary_type for s in salaries], sal_codes)

    with _timed(timings, "deadline"):
        due, deadline_has_text = _due_dates(_column(work, "deadline"), _column(work, "crawled_at"), reasons)

    with _timed(timings, "title"):
        title_codes, title_distinct = _factorize(_column(work, "title"))
        titles_clean, failures = map_distinct(title_distinct, clean_title)
        reasons.add_failures(title_codes, failures, "title")
        truncated = [title_truncated(t) for t in title_distinct]
        job_urls = _repaired_urls(_column(work, "job_url"))

    with _timed(timings, "company"):
        comp_codes, comp_distinct = _factorize(_column(work, "company_name"))
        companies, failures = map_distinct(comp_distinct, standardize_company)
        reasons.add_failures(comp_codes, failures, "company_name")
        ratings = [split_company_rating(c)[1] if isinstance(c, str) else None for c in comp_distinct]

    with _timed(timings, "location"):
        loc_codes, loc_distinct = _factorize(_column(work, "location"))
        det_codes, det_distinct = _factorize(_column(work, "location_detail"))
        loc_key, loc_rows = combine_codes([loc_codes, det_codes])

        def locate(row: int) -> tuple[str, str, int, str | None, str | None]:
            pairs = parse_location_pairs(det_distinct[det_codes[row]])
            place = resolve_place(loc_distinct[loc_codes[row]], pairs)
            return _dumps(pairs), _dumps(list(place.cities)), len(place.cities), place.country, place.region

        located, failures = map_distinct(loc_rows.tolist(), locate)
        reasons.add_failures(loc_key, failures, "location")
        located = [v if v is not None else ("[]", "[]", 0, None, None) for v in located]

    with _timed(timings, "enrichment"):
        skills_text, field_codes, field_distinct = _enrichment_inputs(work, reasons)
        sk_codes, sk_distinct = _factorize(skills_text)
        desc, req, level, work_type, category, experience = zip(field_codes, field_distinct, strict=True)
        desc_codes = desc[0]
        # Evidence per distinct input, each label per distinct combination of only what it reads.
        enriched = enrich_coded((title_codes, title_distinct), titles_clean, (sk_codes, sk_distinct),
                                req, desc, level, work_type, category, experience, on_failures=reasons.add_failures)

    with _timed(timings, "salary"):
        salaries, salary_sources, sal_codes = _final_salaries(
            salaries, sal_codes, desc_codes, field_distinct[0], usd_rate, fx_rates
        )
        salary_type = _take([s.salary_type for s in salaries], sal_codes)

    with _timed(timings, "details"):
        details = _detail_values(work, reasons)

    with _timed(timings, "assemble"):
        ver_codes, ver_distinct = _factorize(_column(work, "verified_employer"))
        verified = pd.array(_take([_verified(v) for v in ver_distinct], ver_codes), dtype="boolean")

        keep = np.flatnonzero(reasons.ok)
        everything = len(keep) == n  # the common case: no copy of the raw columns

        def rows_of(series: pd.Series) -> pd.Series:
            return series if everything else series.iloc[keep].reset_index(drop=True)

        out: dict[str, Any] = {"raw_id": raw_ids[keep]}
        for name in PASSTHROUGH_COLUMNS:
            if name == "skills":
                out[name] = rows_of(skills_text)
            elif name == "verified_employer":
                out[name] = verified[keep]
            elif name == "job_url":
                out[name] = rows_of(job_urls)
            else:
                out[name] = rows_of(_column(work, name))
        title_k, comp_k, sal_k, loc_k = (c[keep] for c in (title_codes, comp_codes, sal_codes, loc_key))
        out["title_clean"] = _text_take(titles_clean, title_k)
        out["company_name_standardized"] = _text_take(companies, comp_k)
        out["salary_min"] = _float_take([s.salary_min for s in salaries], sal_k)
        out["salary_max"] = _float_take([s.salary_max for s in salaries], sal_k)
        out["salary_type"] = _text_take([s.salary_type for s in salaries], sal_k)
        out["salary_currency"] = _text_take([s.currency for s in salaries], sal_k)
        out["salary_period"] = _text_take([s.period for s in salaries], sal_k)
        out["salary_amount_min"] = _float_take([s.amount_min for s in salaries], sal_k)
        out["salary_amount_max"] = _float_take([s.amount_max for s in salaries], sal_k)
        out["location_pairs"] = _text_take([v[0] for v in located], loc_k)
        out["cities"] = _text_take([v[1] for v in located], loc_k)
        city_counts = np.asarray([v[2] for v in located], dtype=np.int64)[loc_key]
        country_known = np.array([v[3] is not None for v in located], dtype=bool)[loc_key]
        out["due_date"] = rows_of(due)
        for name in ("skills_normalized", "seniority", "job_family", "work_mode", "languages_required",
                     "capabilities", "occupation_isco"):
            codes, values = enriched[name]
            out[name] = _text_take(values, codes[keep])
        skill_counts = np.asarray(enriched["skill_count"][1], dtype=np.int64)[enriched["skill_count"][0]]
        out["country"] = _text_take([v[3] for v in located], loc_k)
        out["region"] = _text_take([v[4] for v in located], loc_k)
        suspect_flags = np.array([s.suspect for s in salaries], dtype=bool)
        out["salary_suspect"] = pd.array(suspect_flags[sal_k], dtype="boolean")
        out["salary_source"] = _text_take(salary_sources, sal_k)
        truncated_flags = np.array(truncated, dtype=bool)
        out["title_truncated"] = pd.array(truncated_flags[title_k], dtype="boolean")
        out["company_rating"] = _float_take(ratings, comp_k)
        seniority_known = np.array([v != "unknown" for v in enriched["seniority"][1]], dtype=bool)[
            enriched["seniority"][0]]
        family_known = np.array([v != "other" for v in enriched["job_family"][1]], dtype=bool)[enriched["job_family"][0]]
        isco_known = np.array([v is not None for v in enriched["occupation_isco"][1]], dtype=bool)[
            enriched["occupation_isco"][0]]
        from_text = np.array([src == "text" for src in salary_sources], dtype=bool)[sal_codes]
        out["enrichment_source"] = _text_take([ENRICHMENT_SOURCE], np.zeros(len(keep), dtype=np.int64))
        out["enrichment_version"] = _text_take([ENRICHMENT_VERSION], np.zeros(len(keep), dtype=np.int64))
        for name in ("experience_min_months", "experience_max_months", "openings"):
            codes, values = details[name]
            out[name] = _int_take(values, codes[keep])
        for name in ("employment_type", "education_level"):
            codes, values = details[name]
            out[name] = _text_take(values, codes[keep])
        _check_declared(out)
        staging = pd.DataFrame(out, columns=list(STAGING_COLUMNS))

        bad = np.flatnonzero(~reasons.ok)
        quarantined = pd.DataFrame(
            {"raw_id": raw_ids[bad].astype(np.int64), "reason": reasons.reasons[bad].astype(str)},
            columns=["raw_id", "reason"],
        )
        due_ok = due.notna().to_numpy(dtype=bool)
        parsed = salary_type != "unknown"
        stats = {
            "rows_in": n,
            "rows_out": int(len(keep)),
            "quarantined": int(len(bad)),
            "salary_parsed": int(parsed[keep].sum()),
            "salary_unknown": int((~parsed[keep]).sum()),
            "deadline_parsed": int(due_ok[keep].sum()),
            "deadline_unparsed": int((deadline_has_text & ~due_ok)[keep].sum()),
            "locations_resolved": int(((city_counts > 0) | country_known)[keep].sum()),  # a city or a country
            "skills_rows": int((skill_counts > 0)[keep].sum()),
            "seniority_known": int(seniority_known[keep].sum()),
            "family_known": int(family_known[keep].sum()),
            "isco_filled": int(isco_known[keep].sum()),
            "country_known": int(country_known[keep].sum()),
            "salary_suspect": int(suspect_flags[sal_codes][keep].sum()),
            "salary_from_text": int(from_text[keep].sum()),
            "title_truncated": int(truncated_flags[title_codes][keep].sum()),
        }
    return BatchOutcome(staging=staging, quarantined=quarantined, stats=stats, timings=timings)
