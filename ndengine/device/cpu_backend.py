"""The CPU backend: NumPy kernels, the BLAS thread policy, and the C allocator's settings.

BLAS threads
------------
How many threads a BLAS kernel may use is decided per kernel by :mod:`.blas` (a lone
product gets every core, concurrent ones share them).  Why not a static budget per
worker: the NumPy wheel's OpenBLAS has one process-wide thread count, and the old
static budget ``max(1, cores // (workers started + 1))`` gave a lone chain of
products on this 2-core machine one thread.  Measured with that static budget, on the
chapter's workload (``[np.sin(x).dot(x) for _ in range(200)]``, 200x200 float32, two
CPU devices, two cores)::

    workers/device  BLAS threads   cpu(0) alone   both devices
          1              2            0.047 s        0.080 s
          1              1            0.028 s        0.048 s
          2              2            0.042 s        0.095 s
          2              1            0.025 s        0.053 s

Why the allocator settings
--------------------------
With one BLAS thread per kernel, two threads running ``sin`` on 200x200 float32 arrays still took
120 us per call instead of 30 us.  Outputs of 160 KB are above glibc's initial mmap
threshold (128 KB), and the 64 MB a run of the benchmark frees is above its trim
threshold, so every round mapped fresh pages and unmapped them again: page faults and
TLB shoot-downs, serialized on the process's memory map lock across all worker threads.
When its first CPU worker starts, ndengine therefore sets glibc's ``M_MMAP_THRESHOLD``
to 32 MB and ``M_TRIM_THRESHOLD`` to 256 MB (freed memory is reused rather than given
back at once; ``ndengine.empty_cache()`` calls ``malloc_trim`` to give it back).  Not
done when ``NDENGINE_MALLOC_TUNE=0``, when the user set ``MALLOC_MMAP_THRESHOLD_`` or
``MALLOC_TRIM_THRESHOLD_`` themselves, or on a C library other than glibc.
"""
from __future__ import annotations

import ctypes
import os
import threading
from typing import Any


__all__ = ["worker_init", "tune_malloc", "malloc_tuned", "trim_malloc", "BACKEND"]

MMAP_THRESHOLD = 32 << 20     # glibc's own upper bound for its dynamic threshold
TRIM_THRESHOLD = 256 << 20

_lock = threading.Lock()
_malloc_state = "unset"                # "on" | "off" once decided


def worker_init(device: Any, index: int, is_copy: bool) -> None:
    """Set up an engine worker thread of a CPU device (called once, in the thread):
    the allocator settings.  (BLAS threads are set per kernel, see :mod:`.blas`.)"""
    tune_malloc()


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
                M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
                ok = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
                    libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
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
