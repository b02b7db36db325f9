"""The CPU backend: NumPy kernels, the BLAS thread policy, and the C allocator's settings.

BLAS threads
------------
How many threads a BLAS kernel may use is decided by :mod:`.blas` (a lone device's
products get every core, busy devices share them; one steward thread sets the count).

Why the allocator settings
--------------------------
With one BLAS thread per kernel, two threads running ``sin`` on 200x200 float32 arrays still took
120 us per call instead of 30 us.  Outputs of 160 KB are above glibc's initial mmap
threshold (128 KB), and the 64 MB a run of the benchmark frees is above its trim
threshold, so every round mapped fresh pages and unmapped them again: page faults and
TLB shoot-downs, serialized on the process's memory map lock across all worker threads.
Before its first CPU workers start, ndengine therefore sets glibc's ``M_MMAP_THRESHOLD``
to 32 MB and ``M_TRIM_THRESHOLD`` to 256 MB (freed memory is reused rather than given
back at once; ``ndengine.empty_cache()`` calls ``malloc_trim`` to give it back).

It also sets ``M_ARENA_MAX`` to 1 (unless ``MALLOC_ARENA_MAX`` is set): by default each
thread that allocates gets a heap (arena) of its own, and an array allocated by a
worker and freed by the front end goes back to the worker's heap, so with the trim
threshold above every thread's heap kept its own high-water mark.  The seed's training
loop (150 batches) grew the resident set by 49-59 MB with its per-batch barrier and by
43-95 MB without it, from run to run; with one heap, 35-41 MB and 39-41 MB, at the same
epoch time.  The chapter's two-device workload also got faster (both devices together
0.031 s instead of 0.036-0.044 s).

None of this is done when ``NDENGINE_MALLOC_TUNE=0``, when the user set
``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` themselves, or on a C library
other than glibc.
"""
from __future__ import annotations

import ctypes
import os
import threading
from typing import Any


__all__ = ["worker_init", "before_workers", "tune_malloc", "malloc_tuned", "trim_malloc",
           "BACKEND"]

MMAP_THRESHOLD = 32 << 20     # glibc's own upper bound for its dynamic threshold
TRIM_THRESHOLD = 256 << 20
ARENA_MAX = 1                  # one heap for all threads (see the module notes)

_lock = threading.Lock()
_malloc_state = "unset"                # "on" | "off" once decided


def worker_init(device: Any, index: int, is_copy: bool) -> None:
    """Set up an engine worker thread of a CPU device (called once, in the thread):
    the allocator settings, if :func:`before_workers` did not make them already.
    (BLAS threads: see :mod:`.blas`.)"""
    tune_malloc()


def before_workers(device: Any) -> None:
    """Called in the thread that starts a CPU device's workers, before they start: the
    allocator settings, so that the workers' first allocation already sees the arena
    limit (a thread takes its arena then); and the device counts as in use for the
    core sharing policy (:mod:`.sharing`)."""
    from .sharing import SHARING

    tune_malloc()
    SHARING.attach(device)


def _forget_lock() -> None:
    """After fork: a fresh lock (another thread may have held it)."""
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_lock)


# ---------------------------------------------------------------------- allocator
def _libc() -> Any:
    try:
        import platform

        if platform.libc_ver()[0] != "glibc":
            return None
        libc = ctypes.CDLL(None)
        libc.mallopt  # noqa: B018  (present in glibc)
        return libc
    except (OSError, AttributeError):
        return None


def tune_malloc() -> bool:
    """Keep freed memory for reuse instead of unmapping it (see the module notes).
    Returns whether the settings are in force."""
    global _malloc_state
    if _malloc_state != "unset":
        return _malloc_state == "on"
    with _lock:
        if _malloc_state != "unset":
            return _malloc_state == "on"
        ok = False
        if (os.environ.get("NDENGINE_MALLOC_TUNE", "1") != "0"
                and "MALLOC_MMAP_THRESHOLD_" not in os.environ
                and "MALLOC_TRIM_THRESHOLD_" not in os.environ):
            libc = _libc()
            if libc is not None:
                M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
                ok = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
                    libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
                if ok and "MALLOC_ARENA_MAX" not in os.environ:
                    libc.mallopt(M_ARENA_MAX, ARENA_MAX)
        _malloc_state = "on" if ok else "off"
        return ok


def malloc_tuned() -> bool:
    """Are the allocator settings of :func:`tune_malloc` in force?"""
    return _malloc_state == "on"


def trim_malloc() -> None:
    """Give freed heap memory back to the operating system (glibc's malloc_trim)."""
    libc = _libc()
    if libc is not None:
        try:
            libc.malloc_trim(0)
        except AttributeError:
            pass


# ---------------------------------------------------------------------- backend
class CpuBackend:
    """What the device layer needs from the CPU: NumPy, the null stream, host memory."""

    name = "cpu"
    stages_through_pinned = False

    @property
    def xp(self) -> Any:
        import numpy

        return numpy

    def new_stream(self, device: Any) -> Any:
        from .streams import NULL_STREAM

        return NULL_STREAM

    def worker_init(self, device: Any, index: int, is_copy: bool) -> None:
        worker_init(device, index, is_copy)

    def before_workers(self, device: Any) -> None:
        before_workers(device)

    def finish_op(self, device: Any) -> None:
        return None

    def synchronize(self, device: Any) -> None:
        return None

    def empty(self, device: Any, shape: tuple[int, ...], dtype: Any) -> Any:
        import numpy

        return numpy.empty(shape, dtype=dtype)

    def pinned_empty(self, nbytes: int) -> Any:
        import numpy

        return numpy.empty(nbytes, dtype=numpy.uint8)

    def empty_cache(self, device: Any) -> None:
        trim_malloc()


BACKEND = CpuBackend()
