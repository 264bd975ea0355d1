"""A Prefect API that does not answer is recognised by exception type and request, not by wording.

Why: errors.py matched Prefect's message text ("Failed to reach API at ..."), which changes
between Prefect releases and which any RuntimeError could contain. These tests drive the real
Prefect client against a real closed loopback port (and a loopback server that answers wrongly),
and check which failures get the "did not answer" paragraph and which do not.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from jobinsight.errors import explain
from tests.loopback import send, serve


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _api(url: str) -> Iterator[None]:
    from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_CLIENT_MAX_RETRIES: 0}):
        yield


def _error_of_reading_flows() -> BaseException:
    from prefect.client.orchestration import get_client

    with pytest.raises(Exception) as err, get_client(sync_client=True) as client:
        client.read_flows()
    return err.value


def _error_of_running_a_flow() -> BaseException:
    from prefect import flow

    @flow
    def nothing() -> int:
        return 1

    with pytest.raises(Exception) as err:
        nothing()
    return err.value


def test_a_closed_api_port_is_recognised_from_the_client_and_from_a_flow_run() -> None:
    api = f"http://127.0.0.1:{_closed_port()}/api"
    with _api(api):
        from_client = _error_of_reading_flows()
        from_flow = _error_of_running_a_flow()  # Prefect wraps it in a RuntimeError whose cause is httpx's
        messages = [explain(from_client), explain(from_flow)]
    assert isinstance(from_client, httpx.ConnectError)
    assert type(from_flow) is RuntimeError
    for error, message in zip((from_client, from_flow), messages, strict=True):
        assert message is not None, repr(error)
        assert message.startswith(f"error: the Prefect API at {api} did not answer (ConnectError)")
        assert "unset PREFECT_API_URL" in message


def test_a_closed_port_of_another_service_is_not_called_the_prefect_api() -> None:
    """A job board or LLM endpoint that refuses connections needs a different fix."""
    other = f"http://127.0.0.1:{_closed_port()}/v1/models"
    with pytest.raises(httpx.ConnectError) as err:
        httpx.get(other, timeout=5)
    with _api(f"http://127.0.0.1:{_closed_port()}/api"):
        assert explain(err.value) is None
        assert explain(RuntimeError("enrichment failed")) is None


def test_the_wording_alone_is_not_enough() -> None:
    api = f"http://127.0.0.1:{_closed_port()}/api"
    with _api(api):
        assert explain(RuntimeError(f"Failed to reach API at {api}")) is None


def _answer(status: int) -> object:
    def handle(request: BaseHTTPRequestHandler) -> None:
        send(request, status, b'{"detail": "no"}', {"Content-Type": "application/json"})
    return handle


def test_a_probe_answered_by_a_proxy_503_is_recognised() -> None:
    with serve(_answer(503)) as (base, paths), _api(f"{base}/api"):
        message = explain(_error_of_running_a_flow())
    assert message is not None
    assert re.search(r"did not answer \(HTTP 503 from /(health|admin/version)\)", message), message
    assert {"/api/health", "/api/admin/version"} & set(paths)


def test_an_api_that_answers_not_found_for_an_object_is_not_unreachable() -> None:
    """A 404 for an object (a deployment or flow that does not exist) comes from a working API."""
    from prefect.client.orchestration import get_client

    with serve(_answer(404)) as (base, _), _api(f"{base}/api"):
        with pytest.raises(Exception) as err, get_client(sync_client=True) as client:
            client.read_flow_by_name("no-such-flow")
        assert explain(err.value) is None
