"""The browser tests' precondition: the system Chromium the browser fetcher drives.

Locally a missing Chromium skips those tests with the install command; under CI (``CI=true``,
where ``.ci/run`` installs it) it fails them, so they can never be skipped silently there.
"""

from __future__ import annotations

import os

import pytest

from jobinsight.scrape.fetcher import DEFAULT_BROWSER


def require_chromium() -> str:
    path = os.environ.get("JOBINSIGHT_BROWSER_EXECUTABLE", DEFAULT_BROWSER)
    if os.path.exists(path):
        return path
    message = f"Chromium not found at {path}: apt-get install -y chromium (the browser fetcher's tests need it)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")
