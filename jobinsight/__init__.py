"""JobInsight ETL: the Prefect-free logic of the job-market pipeline.

Everything that is not orchestration lives here (configuration, database access,
parsers, normalizers, batch processing), so it can be unit-tested fast and reused
outside Prefect. The Prefect tasks in ``tasks/`` and flows in ``flows/`` only compose it.
"""

__version__ = "0.1.0"
