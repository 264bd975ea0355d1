"""Prefect-free transformations from raw job rows to staging values.

Why a package of its own: parsing and normalising scraped text is the part of the pipeline that
is easiest to get subtly wrong and most often re-run, so it lives in small, pure, fast modules
with no database or orchestration imports - unit-testable in milliseconds and reusable outside
Prefect. One module per job: ``salary``, ``deadline``, ``titles``, ``companies``, ``locations``,
``skills`` (with ``jobinsight/data/skills_taxonomy.json``), the rules enricher ``enrich_rules``
(composing ``seniority``, ``job_family``, ``work_mode``, ``languages``, ``capabilities`` over the
shared phrase engine in ``rules``), and ``batch``, which applies all of them to a pandas batch
once per distinct value.
"""
