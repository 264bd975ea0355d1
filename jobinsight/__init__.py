"""JobInsight ETL: the Prefect-free logic of the job-market pipeline.

Everything that is not orchestration lives here (configuration, database access,
parsers, normalizers, batch processing), so it can be unit-tested fast and reused
outside Prefect. The Prefect tasks in ``tasks/`` and flows in ``flows/`` only compose it.
"""

__version__ = "0.1.0"

import logging as _logging

# The package's INFO lines (end of a crawl, …) belong in the run's log: a worker's root logger
# passes only warnings, so the package logger states its own level unless someone set one.
if _logging.getLogger(__name__).level == _logging.NOTSET:
    _logging.getLogger(__name__).setLevel(_logging.INFO)
