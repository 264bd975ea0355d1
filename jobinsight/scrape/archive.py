"""Keep every fetched page, gzip-compressed, so parsing can be re-run without re-crawling.

Why: parsers change (a new field, a fixed bug, a board redesign) far more often than we may
politely re-crawl a board, and a block page is evidence worth keeping. Layout, on any fsspec
URL (a local folder by default, ``s3://…``/``gs://…`` in production)::

    {root}/{source}/{YYYY-MM-DD}/{page_key}.html.gz   the body as received (gzip, mtime 0)
    {root}/{source}/{YYYY-MM-DD}/{page_key}.json      url, status, fetched_at, verdict, parser, ...

The JSON sidecar is written last and is what ``iter_archive`` lists, so a page whose write was
interrupted is simply not there. Each file is written under a temporary name and renamed, so a
full disk leaves no partial ``.gz`` behind (the temporary file is removed on error). The same URL fetched twice on one day overwrites its file
(re-running a crawl does not double the archive).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import fsspec
from fsspec.spec import AbstractFileSystem

from jobinsight.scrape.fetcher import FetchedPage
from jobinsight.scrape.page_checks import PageVerdict

logger = logging.getLogger("jobinsight.scrape")

_SAFE = re.compile(r"[^A-Za-z0-9]+")
_SOURCE_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def default_archive_root() -> str | None:
    """``JOBINSIGHT_ARCHIVE_ROOT``, else ``<home>/archive`` (see :func:`jobinsight.config.archive_root`)."""
    from jobinsight.config import archive_root

    return archive_root()


def page_key_for(url: str) -> str:
    """A readable, filesystem-safe, collision-resistant file stem for ``url``."""
    parts = urlsplit(url)
    readable = _SAFE.sub("-", f"{parts.netloc}{parts.path}{'-' + parts.query if parts.query else ''}").strip(
        "-"
    )
    digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:10]
    return f"{readable[:80].strip('-') or 'page'}-{digest}"


@dataclass(slots=True)
class ArchivedPage:
    """One archived page: its sidecar metadata and where its body is."""

    url: str
    final_url: str
    status: int | None
    fetched_at: datetime
    source: str
    parser: str
    verdict: str | None
    reason: str | None
    page_key: str
    html_path: str
    meta_path: str
    meta: dict[str, Any] = field(repr=False)
    fs: AbstractFileSystem = field(repr=False)

    def read_body(self) -> bytes:
        with self.fs.open(self.html_path, "rb") as handle:
            return gzip.decompress(handle.read())

    def to_fetched_page(self) -> FetchedPage:
        """The page as the fetcher returned it (minus timing), for re-parsing and re-checking."""
        body = self.read_body()
        content_type = self.meta.get("content_type")
        return FetchedPage(
            url=self.url,
            final_url=self.final_url,
            status=self.status,
            body=body,
            elapsed_s=0.0,
            attempts=0,
            retries=0,
            error=self.meta.get("error"),
            fetched_at=self.fetched_at,
            content_type=content_type,
            robots_disallowed=bool(self.meta.get("robots_disallowed", False)),
        )


class ArchiveWriter:
    """Writes pages under ``root`` (any fsspec URL); thread-safe (no shared mutable state)."""

    def __init__(
        self, root: str, *, storage_options: dict[str, Any] | None = None, compresslevel: int = 6
    ) -> None:
        if not root or not str(root).strip():
            raise ValueError("archive root must be a non-empty path or fsspec URL")
        self.root_url = str(root)
        self.fs, self.root = fsspec.core.url_to_fs(self.root_url, **(storage_options or {}))
        self.root = self.root.rstrip("/")
        self.compresslevel = compresslevel

    def write(
        self,
        page: FetchedPage,
        *,
        source: str,
        parser: str,
        verdict: PageVerdict | None = None,
        page_key: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """Archive ``page``; returns the path of the ``.html.gz`` file."""
        if not _SOURCE_OK.match(source):
            raise ValueError(f"source {source!r} is not a safe folder name")
        if not page.body and page.size > 0:
            raise ValueError(f"body of {page.url} was released; archive during the crawl or keep bodies")
        key = page_key or page_key_for(page.url)
        day = page.fetched_at.astimezone(UTC).date().isoformat()
        folder = f"{self.root}/{source}/{day}"
        html_path = f"{folder}/{key}.html.gz"
        meta_path = f"{folder}/{key}.json"
        meta: dict[str, Any] = {
            "url": page.url,
            "final_url": page.final_url,
            "status": page.status,
            "fetched_at": page.fetched_at.isoformat(),
            "source": source,
            "parser": parser,
            "verdict": verdict.verdict if verdict is not None else None,
            "reason": verdict.reason if verdict is not None else None,
            "error": page.error,
            "robots_disallowed": page.robots_disallowed,
            "content_type": page.content_type,
            "bytes": len(page.body),
            "sha256": hashlib.sha256(page.body).hexdigest(),
            "attempts": page.attempts,
            "elapsed_s": round(page.elapsed_s, 4),
            "page_key": key,
            "html_file": f"{key}.html.gz",
        }
        if extra:
            meta.update({k: v for k, v in extra.items() if k not in meta})
        self.fs.makedirs(folder, exist_ok=True)
        self._write_atomic(html_path, gzip.compress(page.body, compresslevel=self.compresslevel, mtime=0))
        self._write_atomic(meta_path, json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"))
        return html_path

    def _write_atomic(self, path: str, data: bytes) -> None:
        """Write to a temporary name, then rename: a full disk or a crash never leaves a
        truncated ``.gz`` (or sidecar) under the final name, and the temporary file is removed
        when the write fails."""
        tmp = f"{path}.tmp-{uuid.uuid4().hex[:12]}"
        try:
            with self.fs.open(tmp, "wb") as handle:
                handle.write(data)
            self.fs.mv(tmp, path)
        except BaseException:
            try:
                if self.fs.exists(tmp):
                    self.fs.rm(tmp)
            except OSError as cleanup:  # the original error is the one worth reporting
                logger.warning("could not remove temporary archive file %s: %s", tmp, cleanup)
            raise


def iter_archive(
    root: str,
    source: str | None = None,
    date: str | date | None = None,
    *,
    storage_options: dict[str, Any] | None = None,
) -> Iterator[ArchivedPage]:
    """Archived pages under ``root``, optionally one source and/or one day, oldest first."""
    fs, base = fsspec.core.url_to_fs(str(root), **(storage_options or {}))
    base = base.rstrip("/")
    day = date.isoformat() if hasattr(date, "isoformat") else date
    pattern = f"{base}/{source or '*'}/{day or '*'}/*.json"
    entries: list[ArchivedPage] = []
    for meta_path in fs.glob(pattern):
        try:
            with fs.open(meta_path, "rb") as handle:
                meta = json.loads(handle.read().decode("utf-8"))
            folder = meta_path.rsplit("/", 1)[0]
            entries.append(
                ArchivedPage(
                    url=meta["url"],
                    final_url=meta.get("final_url") or meta["url"],
                    status=meta.get("status"),
                    fetched_at=datetime.fromisoformat(meta["fetched_at"]),
                    source=meta.get("source") or meta_path.rsplit("/", 3)[-3],
                    parser=meta.get("parser") or "",
                    verdict=meta.get("verdict"),
                    reason=meta.get("reason"),
                    page_key=meta.get("page_key") or meta_path.rsplit("/", 1)[-1][: -len(".json")],
                    html_path=f"{folder}/{meta.get('html_file') or meta_path.rsplit('/', 1)[-1][:-5] + '.html.gz'}",
                    meta_path=meta_path,
                    meta=meta,
                    fs=fs,
                )
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("skipping unreadable archive sidecar %s: %s", meta_path, exc)
    entries.sort(key=lambda e: (e.fetched_at, e.source, e.page_key))
    yield from entries
