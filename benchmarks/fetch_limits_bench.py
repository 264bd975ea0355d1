"""Fetcher benchmark: memory and time under hostile servers, and pages/s per fetcher.

Why a script: peak memory and speed depend on the machine; they are measured and reported
(issue 16's table) rather than asserted. Every scenario runs in a fresh process so its peak
RSS (``ru_maxrss``) is its own, against servers in *another* process (their memory is not
counted):

    python benchmarks/fetch_limits_bench.py            # all scenarios, a table
    python benchmarks/fetch_limits_bench.py --json
    python benchmarks/fetch_limits_bench.py --only bomb,big,trickle,speed

Scenarios: ``bomb`` — a 2 MB gzip body that inflates to 2 GiB; ``big`` — 20 listing pages of
40 MB each (``BENCH_BIG_PAGES`` to change the count: memory should not follow it), archived as they arrive (``max_body_bytes`` raised to 64 MB so they are accepted);
``trickle`` — a server sending 1 byte every 5 s (default settings: the request deadline); ``speed``
— listing and JSON-LD detail pages/s on the demo board through the HTTP and the browser fetcher
(concurrency 2, no delay).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GIB = 1024**3
MB = 1024**2


def gzip_bomb(inflated: int = 2 * GIB) -> bytes:
    """A valid gzip stream of ``inflated`` zero bytes, built in seconds: after a full flush the
    compressor emits identical bytes for identical input, so one 16 MiB unit is repeated."""
    chunk = bytes(16 * MB)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    unit = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    tail = packer.flush(zlib.Z_FINISH)[:-8]  # the final empty block, without its (wrong) trailer
    units = inflated // len(chunk)
    crc = 0
    for _ in range(units):
        crc = zlib.crc32(chunk, crc)
    trailer = crc.to_bytes(4, "little") + (inflated % 2**32).to_bytes(4, "little")
    return head + unit * (units - 1) + tail + trailer


# -- servers (run in their own process) ----------------------------------------------------------


def serve(kind: str) -> None:
    """Run one hostile server; prints its base URL, serves until killed."""
    bomb = gzip_bomb() if kind == "bomb" else b""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            return

        def do_GET(self) -> None:  # noqa: N802
            try:
                if self.path == "/robots.txt":
                    self._send(404, b"")
                elif kind == "bomb":
                    self._send(200, bomb, {"Content-Encoding": "gzip"})
                elif kind == "trickle":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    for _ in range(100000):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(5)
                else:
                    self._big_page()
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _send(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _big_page(self) -> None:
            from jobinsight.scrape.sources.demo import generate_jobs, render_listing

            page = int(self.path.rsplit("page=", 1)[-1]) if "page=" in self.path else 1
            jobs = generate_jobs(20 * 20)[(page - 1) * 20 : page * 20]
            html = render_listing(jobs, "http://bench", page, 20).encode()
            cut = html.index(b"</body>")
            pad = 40 * MB - len(html)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html) + pad + 7))
            self.end_headers()
            self.wfile.write(html[:cut] + b"<!--")
            block = b" " * MB
            for _ in range(pad // MB):
                self.wfile.write(block)
            self.wfile.write(b" " * (pad % MB) + b"-->" + html[cut:])

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


def _start_server(kind: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve", kind], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


# -- scenarios (each in a fresh client process) --------------------------------------------------


def client(kind: str, base: str) -> dict[str, Any]:
    from jobinsight.scrape.archive import ArchiveWriter
    from jobinsight.scrape.crawl import crawl_listing
    from jobinsight.scrape.fetcher import FetchSettings, fetch_all

    settings = FetchSettings.from_settings(delay_seconds=0, allow_private_addresses=True, fetcher="http")
    started = time.perf_counter()
    if kind == "bomb":
        [page] = fetch_all([f"{base}/bomb"], settings)
        result = {"limit": page.limit, "error": page.error}
    elif kind == "trickle":
        [page] = fetch_all([f"{base}/slow"], settings)
        result = {"limit": page.limit, "error": page.error}
    else:
        with tempfile.TemporaryDirectory() as root:
            pages = int(os.environ.get("BENCH_BIG_PAGES", "20"))
            outcome = crawl_listing(f"{base}/viec-lam-it", pages, settings.with_(max_body_bytes=64 * MB),
                                    archive=ArchiveWriter(root), keep_bodies=False)
        result = {"pages": outcome.pages_fetched, "jobs": outcome.jobs_found, "archived": outcome.pages_archived,
                  "problems": outcome.problems[:2]}
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def speed(pages: int) -> dict[str, Any]:
    """Demo-board listing pages/s and JSON-LD detail pages/s (``/jobs/<id>``), per fetcher."""
    from jobinsight.scrape import DemoBoard, FetchSettings, crawl_jsonld, crawl_listing

    out: dict[str, Any] = {}
    for mode in ("http", "browser"):
        with DemoBoard(pages=pages, per_page=20) as board:
            settings = FetchSettings(delay_seconds=0, fetcher=mode, allow_private_addresses=True)
            started = time.perf_counter()
            listing = crawl_listing(board.listing_url, pages, settings)
            listing_s = time.perf_counter() - started
            started = time.perf_counter()
            detail = crawl_jsonld([board.url(f"/jobs/{job.job_id}") for job in board.jobs()[:pages]], settings)
            detail_s = time.perf_counter() - started
        out[mode] = {"listing_pages": listing.pages_fetched, "listing_pages_per_s": round(listing.pages_fetched / listing_s, 1),
                     "detail_pages": detail.pages_fetched, "detail_pages_per_s": round(detail.pages_fetched / detail_s, 1)}
    return out


def run(kind: str) -> dict[str, Any]:
    proc, base = _start_server(kind)
    try:
        done = subprocess.run([sys.executable, __file__, "--client", kind, base], capture_output=True,
                              text=True, check=True, env=os.environ)
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="bomb,big,trickle,speed")
    parser.add_argument("--pages", type=int, default=40, help="demo listing pages for the speed scenario")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--client", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.client:
        print(json.dumps(client(*args.client)))
        return
    results: dict[str, Any] = {}
    for kind in args.only.split(","):
        results[kind] = speed(args.pages) if kind == "speed" else run(kind)
        if not args.json:
            print(f"{kind:8s} {json.dumps(results[kind], ensure_ascii=False)}", flush=True)
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
