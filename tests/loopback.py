"""A tiny loopback HTTP server for hostile-server tests: the test supplies the handler body.

Why not ``DemoBoard``: these servers misbehave below the level of a page (gzip bombs, bytes
trickled one at a time, redirects to other hosts), which is easiest to write as raw handlers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def serve(handle: Handler) -> Iterator[tuple[str, list[str]]]:
    """Yields ``(base_url, paths_requested)``; ``handle(request)`` answers each GET."""
    seen: list[str] = []

    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle(self) -> None:
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):  # the client hung up on purpose
                pass

        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.path)
            try:
                handle(self)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}", seen
    finally:
        server.shutdown()
        server.server_close()


def send(request: BaseHTTPRequestHandler, status: int, body: bytes = b"",
         headers: dict[str, str] | None = None) -> None:
    """A complete response with Content-Length."""
    request.send_response(status)
    for name, value in (headers or {"Content-Type": "text/html; charset=utf-8"}).items():
        request.send_header(name, value)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)
