"""The CPU backend: NumPy kernels, a BLAS thread budget, and the C allocator's settings.

Why a BLAS budget
-----------------
Several threads run CPU kernels at once: every CPU device has its own compute workers
(``NDENGINE_CPU_WORKERS``, default ``min(4, cores)``), and a front-end thread waiting at a
sync point runs ready ops itself.  A BLAS call (``dot``, ``matmul``, ``linalg``) that
starts its own threads in each of them puts ``executors x BLAS threads`` threads on the
cores.  We measured what that costs, on the benchmark of the Automatic Parallelism
chapter (``[np.sin(x).dot(x) for _ in range(200)]``, 200x200 float32, two CPU devices,
two cores)::

    workers/device  BLAS threads   cpu(0) alone   both devices
          1              2            0.047 s        0.080 s
          1              1            0.028 s        0.048 s
          2              2            0.042 s        0.095 s
          2              1            0.025 s        0.053 s

The NumPy wheel's OpenBLAS uses its own pthreads pool, and its thread count is one
process-wide number (``threadpoolctl.threadpool_info()`` reports ``threading_layer:
pthreads``; setting it in one thread changes it for all, which ``tests/device`` checks).
A per-worker limit is therefore not possible with it, so the budget is process-wide:

    BLAS threads = max(1, cores // executors)
    executors    = compute workers of every CPU device started so far + 1 (a waiting
                   front-end thread)

so ``executors x BLAS threads <= cores``: busy devices share the cores, none
oversubscribes them.  It is recomputed (and applied) when a device's workers start, in
``worker_init``; for BLAS libraries whose limit is per thread (OpenMP builds) every
worker also applies it to itself.  With a limit per thread or not, the budget is the
same.  The price: a single chain of dependent large matmuls on one device runs with
fewer BLAS threads than plain NumPy would use (1000x1000 float32: 24 ms with one thread,
14 ms with two) — set ``NDENGINE_BLAS_THREADS`` or :func:`set_blas_threads` for such
programs.  Because OpenBLAS's number is process-wide, plain NumPy calls made in the same
process see the budget too; :func:`blas_info` shows it.

Why the allocator settings
--------------------------
With the budget alone, two threads running ``sin`` on 200x200 float32 arrays still took
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

from ..base import env_int, env_str

__all__ = ["cores", "executors", "blas_threads", "set_blas_threads", "blas_info",
           "worker_init", "tune_malloc", "malloc_tuned", "trim_malloc"]

MMAP_THRESHOLD = 32 << 20     # glibc's own upper bound for its dynamic threshold
TRIM_THRESHOLD = 256 << 20

_lock = threading.Lock()
_started: dict[Any, int] = {}          # CPU device -> compute workers started
_user_budget: int | None = None        # set_blas_threads(n)
_applied: int | None = None            # the limit last applied process-wide
_controller: Any = None
_per_thread_layer: bool | None = None  # does the BLAS limit apply per thread?
_malloc_state = "unset"                # "on" | "off" once decided


def cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _env_budget() -> int | None:
    value = env_str("NDENGINE_BLAS_THREADS")
    if value is None:
        return None
    n = env_int("NDENGINE_BLAS_THREADS", default=0)
    if n < 1:
        raise ValueError(f"NDENGINE_BLAS_THREADS must be >= 1, got {value!r}")
    return n


def executors() -> int:
    """Threads that may run CPU kernels at once: started compute workers + 1."""
    return sum(_started.values()) + 1


def blas_threads() -> int:
    """The BLAS thread budget in force (see the module notes)."""
    if _user_budget is not None:
        return _user_budget
    env = _env_budget()
    if env is not None:
        return env
    return max(1, cores() // executors())


def set_blas_threads(n: int | None) -> int:
    """Set the BLAS threads each kernel may use (process-wide, see the module notes);
    ``None`` goes back to the automatic budget.  Returns the budget now in force."""
    global _user_budget
    if n is not None:
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"set_blas_threads: n must be an int >= 1 or None, got {n!r}")
    with _lock:
        _user_budget = n
        budget = blas_threads()
        _apply(budget, force=True)
    return budget


def _get_controller() -> Any:
    global _controller, _per_thread_layer
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:     # optional at run time: no budget, no harm
            _controller = False
            return _controller
        _controller = ThreadpoolController()
        layers = {getattr(c, "threading_layer", None) for c in _controller.select(user_api="blas").lib_controllers}
        _per_thread_layer = bool(layers & {"openmp", "tbb"})
    return _controller


def _apply(n: int, force: bool = False) -> None:
    """Lock held: limit BLAS to *n* threads (process-wide where the library is)."""
    global _applied
    if n == _applied and not force:
        return
    ctl = _get_controller()
    if ctl:
        ctl.limit(limits=n, user_api="blas")
    _applied = n


def blas_info() -> dict[str, Any]:
    """The budget, how it was chosen, and what threadpoolctl sees."""
    try:
        from threadpoolctl import threadpool_info
        libs = [dict(d) for d in threadpool_info() if d.get("user_api") == "blas"]
    except ImportError:
        libs = []
    source = ("set_blas_threads" if _user_budget is not None else
              "NDENGINE_BLAS_THREADS" if _env_budget() is not None else "auto")
    return {"budget": blas_threads(), "source": source, "cores": cores(),
            "executors": executors(), "devices": {str(d): n for d, n in _started.items()},
            "per_thread": bool(_per_thread_layer), "libraries": libs}


def worker_init(device: Any, index: int, is_copy: bool) -> None:
    """Set up an engine worker thread of a CPU device (called once, in the thread)."""
    tune_malloc()
    with _lock:
        if not is_copy and device not in _started:
            _started[device] = device.num_workers
        budget = blas_threads()
        _get_controller()
        if _per_thread_layer:       # OpenMP-style limit: this thread only
            _apply(budget if not is_copy else 1, force=True)
        else:                       # process-wide limit: apply when it changed
            _apply(budget)


def _forget_workers() -> None:
    """After fork: the child has no worker threads (the engine starts new ones)."""
    global _lock
    _lock = threading.Lock()
    _started.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


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
