"""Handing a finished batch's memory back to the operating system.

Why: a process run keeps a flat working set of about one batch being loaded and transformed
plus ``max_workers`` batches being saved, but freed memory does not leave the process by
itself. Arrow's default allocator (mimalloc) keeps freed pages for reuse and grew the resident
set by ~50 MB more per batch in flight than jemalloc; glibc's malloc keeps freed heap
pages of the numpy/Python side (one arena per save thread). Measured on three 40,000-row batches
in a row (load, transform, encode, the last two payloads kept as if waiting for their saves;
the phases called directly, no Prefect, 172 MB after imports): peak 343 MB with mimalloc, 352 MB with
the system allocator, 302 MB with jemalloc releasing freed pages at once (decay 0); after the
batches and :func:`release_free_memory` 230 MB instead of 276-314 MB.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading

import pyarrow as pa

_configured = threading.Lock()
_done = False


def _glibc():  # noqa: ANN202 - a ctypes library or None
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):  # not glibc (musl has neither malloc_trim nor these mallopt options)
        return None
    return libc


_GLIBC = _glibc()
_M_MMAP_THRESHOLD = -3
#: Blocks from this size on get their own mapping, unmapped when freed. glibc otherwise raises
#: this threshold up to 32 MB after the first large free, and the batch-sized numpy arrays and
#: buffers that follow come from the heap, where freed memory stays resident.
MMAP_THRESHOLD = 1 << 20


def use_returning_allocator() -> None:
    """Make jemalloc Arrow's default pool (where the wheel has it), and give large glibc blocks
    their own mappings; idempotent.

    Every Arrow buffer allocated afterwards (the loader's CSV parse, pandas' Arrow-backed string
    columns, the save step's CSV) comes from it.
    """
    global _done
    with _configured:
        if _done:
            return
        _done = True
        if "jemalloc" in pa.supported_memory_backends():
            pa.set_memory_pool(pa.jemalloc_memory_pool())
            # Freed pages go back at once instead of after jemalloc's decay time: a batch's buffers
            # are freed in bulk, and the next batch should not find them still resident.
            pa.jemalloc_set_decay_ms(0)
        if _GLIBC is not None:
            _GLIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def release_free_memory() -> None:
    """Return memory freed by earlier batches to the OS (Arrow pool, then glibc's heaps)."""
    pa.default_memory_pool().release_unused()
    if _GLIBC is not None:
        _GLIBC.malloc_trim(0)
