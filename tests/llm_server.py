"""A local OpenAI-compatible chat completions server for the LLM enricher's tests.

Why: the enricher's behaviour under rate limits, quotas and every kind of endpoint failure must
be proven over real HTTP on loopback, with no network and no paid endpoint. This server binds
127.0.0.1 on an ephemeral port (``ThreadingHTTPServer`` in a daemon thread), answers
``POST …/chat/completions`` with a deterministic JSON answer derived from the prompt, reports
``usage`` (prompt and answer length / 4), and records each request's arrival time and body (and
the most requests it had in flight at once) so tests can measure what the client really sent.

Fault modes, either for the next K requests (:meth:`FakeLlmServer.fail_next`) or for every
request whose posting title contains a marker (:attr:`FakeLlmServer.faults_by_title`):
``429`` (with ``Retry-After``), ``500``, ``timeout`` (sleeps longer than the client waits),
``malformed`` (content that is not JSON), ``schema_invalid`` (JSON missing fields, bad enum),
``401``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("429", "500", "timeout", "malformed", "schema_invalid", "401")
FAKE_CAPABILITY = "answered by the fake LLM"


@dataclass
class RecordedRequest:
    """One request the server received."""

    at: float  # time.monotonic() on arrival
    path: str
    body: dict[str, Any]
    fault: str | None
    authorization: str | None = field(repr=False, default=None)

    @property
    def posting(self) -> dict[str, Any]:
        """The posting the prompt showed (the JSON after ``Job posting:``)."""
        return posting_of(self.body)


def posting_of(body: dict[str, Any]) -> dict[str, Any]:
    try:
        text = body["messages"][-1]["content"]
        return json.loads(text.split("\n", 1)[1])
    except (KeyError, IndexError, TypeError, ValueError):
        return {}


def fake_answer(posting: dict[str, Any]) -> dict[str, Any]:
    """The deterministic answer for a posting: tests can predict every label."""
    title = str(posting.get("title") or "")
    lower = title.lower()
    seniority = "senior" if "senior" in lower else "junior" if "junior" in lower else "middle"
    family = "data" if "data" in lower else "qa" if "tester" in lower else "backend"
    return {
        "skills_normalized": [*posting.get("skills", []), "Docker"],
        "seniority": seniority,
        "job_family": family,
        "work_mode": "remote",
        "languages_required": [{"language": "English", "level": "B2"}],
        "capabilities": [FAKE_CAPABILITY],
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _reply(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout mode)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        if not self.path.endswith("/chat/completions"):
            self._reply(404, b'{"error": {"message": "not found"}}')
            return
        fault = owner._fault_for(body)
        owner._record(RecordedRequest(time.monotonic(), self.path, body, fault, self.headers.get("Authorization")))
        owner._enter()
        try:
            self._answer(owner, body, fault)
        finally:
            owner._leave()

    def _answer(self, owner: FakeLlmServer, body: dict[str, Any], fault: str | None) -> None:
        if owner.delay_s:
            owner._stopping.wait(owner.delay_s)
        if owner.expected_key is not None and self.headers.get("Authorization") != f"Bearer {owner.expected_key}":
            fault = "401"
        if fault == "401":
            self._reply(401, b'{"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}')
            return
        if fault == "429":
            self._reply(429, b'{"error": {"message": "Rate limit reached"}}', {"Retry-After": owner.retry_after})
            return
        if fault == "500":
            self._reply(500, b'{"error": {"message": "The server had an error"}}')
            return
        if fault == "timeout":
            owner._stopping.wait(owner.timeout_sleep_s)
            self._reply(500, b'{"error": {"message": "too late"}}')
            return
        posting = posting_of(body)
        answer = fake_answer(posting)
        if fault == "malformed":
            content = '{"skills_normalized": ["Java", "seniority": senior'
        elif fault == "schema_invalid":
            content = json.dumps({"skills_normalized": "Java", "seniority": "wizard", "job_family": "backend"})
        else:
            content = json.dumps(answer, ensure_ascii=False)
        prompt_chars = sum(len(m.get("content", "")) for m in body.get("messages", []))
        usage = {"prompt_tokens": prompt_chars // 4, "completion_tokens": len(content) // 4}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        reply = {
            "id": f"chatcmpl-{len(owner.requests)}", "object": "chat.completion", "model": body.get("model"),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": usage,
        }
        self._reply(200, json.dumps(reply, ensure_ascii=False).encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FakeLlmServer


class FakeLlmServer:
    """Start with ``with FakeLlmServer() as server:``; point the client at ``server.base_url``."""

    def __init__(self, *, expected_key: str | None = None, timeout_sleep_s: float = 3.0,
                 retry_after: str = "1", delay_s: float = 0.0) -> None:
        self.expected_key = expected_key
        self.delay_s = delay_s  # every answer takes this long (to observe concurrency)
        self.in_flight = 0
        self.max_in_flight = 0
        self.timeout_sleep_s = timeout_sleep_s
        self.retry_after = retry_after
        self.requests: list[RecordedRequest] = []
        self.faults_by_title: dict[str, str] = {}
        self._queue: deque[str] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- control ------------------------------------------------------------------------------
    def fail_next(self, fault: str, count: int = 1) -> None:
        """The next ``count`` requests get ``fault`` (queued after faults already queued)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
        with self._lock:
            self._queue.extend([fault] * count)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._queue.clear()
            self.max_in_flight = 0
            self.faults_by_title.clear()

    def _fault_for(self, body: dict[str, Any]) -> str | None:
        title = str(posting_of(body).get("title") or "")
        with self._lock:
            for marker, fault in self.faults_by_title.items():
                if marker in title:
                    return fault
            return self._queue.popleft() if self._queue else None

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    @property
    def times(self) -> list[float]:
        with self._lock:
            return sorted(r.at for r in self.requests)

    # --- lifecycle ----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> FakeLlmServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-llm-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeLlmServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
