"""The BLAS thread policy: a lone BLAS kernel gets every core, concurrent ones share them.

The problem
-----------
Several threads run CPU kernels at once: each CPU device has its own compute workers
(``NDENGINE_CPU_WORKERS``, default 1), copies run on copy workers, and a
front-end thread waiting at a sync point runs ready ops itself.  A BLAS call (``dot``,
``matmul``, ``tensordot``, ``einsum``, ``linalg``) that starts its own threads in each
of them puts ``kernels x BLAS threads`` threads on the cores; OpenBLAS splits a product
statically between its threads and its idle threads spin before they sleep, so a
thread that finds its core taken holds up the whole product.  But a *lone* product
should use every core, as plain NumPy does.

The NumPy wheel's OpenBLAS (pthreads) has one process-wide thread count, and — observed
with 0.3.31 on this machine — only the first thread that sets it may change it while
that thread lives: a later ``openblas_set_num_threads`` from any other thread (the main
one included) is ignored.  So a worker cannot give its own product a thread count, and
the policy must set the count from one thread, always the same kind: the front end.

The policy
----------
The front end steers the count at the push of each BLAS-heavy op (``dot``, ``matmul``,
``tensordot``, ``einsum``, ``norm``, ``linalg``, gluon's ``Dense``) on a CPU device
(:meth:`BlasPolicy.steer`, called by the array layer)::

    threads = cap           if no other CPU device has work pending
              cap // 2      if one does (two devices share the cores), at least 1
    cap     = the library's own thread count when ndengine first used it
              (OPENBLAS_NUM_THREADS and friends are honoured), at most the cores

The library is called only when the number changes (a loop of products on one device
sets it once), from the pushing thread, which for a process's front end is the one
thread that sets it.  ``waitall`` settles it back to ``cap`` when nothing is in flight,
so plain NumPy code after it sees what it would without ndengine.  Kernels run inside
``with BLAS:``, which counts them (``blas_info()``) and, for libraries whose limit is
per thread (OpenMP builds, MKL), sets that thread's count to ``cap // kernels in
flight``.  ``set_blas_threads(n)`` / ``NDENGINE_BLAS_THREADS=n`` fix the count at *n*;
``set_blas_threads(None)`` goes back to the policy.

What came before, measured (``benchmarks/auto_parallel.py``, 2 cores): setting the
count in each kernel's worker thread ("a lone product gets every core, concurrent ones
share them") ran the chapter's two devices together in 0.044-0.086 s depending on
which thread happened to set the count first; resetting it after every product cost
two library calls per product and woke OpenBLAS's spinning threads.  A static single
thread per kernel made a lone chain of 1024x1024 products 2x slower than NumPy.

Costs (2 cores, OpenBLAS 0.3.31 pthreads, NumPy 2.4): ``openblas_set_num_threads``
through threadpoolctl's library controller about 0.8 us; the steering check at a BLAS
push about 1 us; the ``with BLAS:`` bookkeeping around a kernel about 1 us.
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable

from ..base import env_int, env_str

__all__ = ["BlasPolicy", "BLAS", "blas_threads", "set_blas_threads", "blas_info", "cores",
           "load_numpy", "SPIN_TIMEOUT"]

SPIN_TIMEOUT = "20"     # OPENBLAS_THREAD_TIMEOUT: idle BLAS threads spin 2**20 cycles
_spin_timeout: str | None = None   # what OpenBLAS was loaded with, when ndengine chose it


def load_numpy() -> None:
    """Import NumPy, loading its OpenBLAS with a short spin timeout (see the module notes)
    unless NumPy is already imported or the user set ``OPENBLAS_THREAD_TIMEOUT``.  The
    variable is set only for the import, so child processes do not inherit it."""
    global _spin_timeout
    import sys

    if "numpy" in sys.modules or "OPENBLAS_THREAD_TIMEOUT" in os.environ:
        return
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = SPIN_TIMEOUT
    try:
        import numpy  # noqa: F401
        _spin_timeout = SPIN_TIMEOUT
    finally:
        os.environ.pop("OPENBLAS_THREAD_TIMEOUT", None)


def cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _env_fixed() -> int | None:
    value = env_str("NDENGINE_BLAS_THREADS")
    if value is None:
        return None
    n = env_int("NDENGINE_BLAS_THREADS", default=0)
    if n < 1:
        raise ValueError(f"NDENGINE_BLAS_THREADS must be >= 1, got {value!r}")
    return n


class _Library:
    """The BLAS libraries loaded in this process, through threadpoolctl."""

    def __init__(self) -> None:
        self.controllers: list[Any] = []
        self.per_thread = False
        self.initial = 0            # the libraries' own thread count at bind time
        self.error: str | None = None
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError as e:    # a declared dependency; without it: count only
            self.error = f"threadpoolctl not importable: {e}"
            return
        ctl = ThreadpoolController().select(user_api="blas")
        self.controllers = list(ctl.lib_controllers)
        layers = {getattr(c, "threading_layer", None) for c in self.controllers}
        self.per_thread = bool(layers & {"openmp", "tbb"}) or any(
            getattr(c, "internal_api", "") == "mkl" for c in self.controllers)
        counts = [c.num_threads for c in self.controllers if c.num_threads]
        self.initial = min(counts) if counts else 0

    def set(self, n: int) -> int:
        """Set the count; return what the library reports after (OpenBLAS may ignore a
        change made while another thread is inside one of its threaded calls)."""
        for c in self.controllers:
            c.set_num_threads(n)
        try:
            return int(self.controllers[0].get_num_threads())
        except Exception:
            return n

    def info(self) -> list[dict[str, Any]]:
        return [c.info() for c in self.controllers]


class BlasPolicy:
    """Counts BLAS kernels in flight and sets the library's thread count for each
    (see the module notes).  ``with policy:`` around a kernel; entering returns the
    thread count chosen.

    *setter*, *cap* and *per_thread* replace the real library (tests pass a recorder);
    by default the library is bound through threadpoolctl on first use."""

    def __init__(self, setter: Callable[[int], None] | None = None, cap: int | None = None,
                 per_thread: bool = False) -> None:
        self._lock = threading.Lock()
        self._setter = setter
        self._cap = cap
        self._per_thread = per_thread
        self._bound = setter is not None
        self._lib: _Library | None = None
        self._local = threading.local()
        self.fixed: int | None = None      # set_blas_threads(n)
        self.in_flight = 0                 # BLAS kernels running now
        self.applied: int | None = None    # last count set (process-wide libraries)
        # counters (read by tests and blas_info; never reset except by reset_counters)
        self.kernels = 0                   # kernels entered
        self.changes = 0                   # calls into the library
        self.peak = 0                      # most kernels in flight at once
        self.chosen: dict[int, int] = {}   # thread count -> kernels that got it
        self.last = 0                      # thread count chosen by the latest entry

    # -- binding -------------------------------------------------------------------
    def _bind(self) -> None:
        """Lock held: find the library (once)."""
        if self._bound:
            return
        lib = self._lib = _Library()
        self._setter = lib.set if lib.controllers else None
        self._per_thread = lib.per_thread
        if self._cap is None:
            self._cap = min(cores(), lib.initial) if lib.initial else cores()
        if self.fixed is None:
            self.fixed = _env_fixed()
        self._bound = True

    @property
    def cap(self) -> int:
        """Threads a lone kernel gets."""
        if self._cap is None:
            with self._lock:
                self._bind()
        return self._cap if self.fixed is None else self.fixed  # type: ignore[return-value]

    def threads_for(self, concurrent: int) -> int:
        """The thread count a kernel gets while *concurrent* kernels run (itself too)."""
        if self.fixed is not None:
            return self.fixed
        cap = self._cap if self._cap is not None else self.cap
        return max(1, cap // max(1, concurrent))

    # -- the hot path --------------------------------------------------------------------
    def steer(self, shared: bool) -> None:
        """Front end, at the push of a BLAS kernel: *shared* says another CPU device has
        work pending.  Sets the process-wide count (``cap``, or ``cap // 2`` when
        shared) if it differs (see the module notes)."""
        if self._per_thread or self.fixed is not None and self._bound:
            return
        t = self.threads_for(2 if shared else 1)
        if t == self.applied:
            return
        lock = self._lock
        lock.acquire()
        try:
            if not self._bound:
                self._bind()
            if not self._per_thread:
                self._apply(self.threads_for(2 if shared else 1))
        finally:
            lock.release()

    def __enter__(self) -> int:
        """Around a kernel: count it; returns the thread count it runs with."""
        lock = self._lock
        lock.acquire()
        try:
            if not self._bound:
                self._bind()
            n = self.in_flight = self.in_flight + 1
            if n > self.peak:
                self.peak = n
            if self._per_thread:
                t = self.threads_for(n)
                self._apply(t)
            else:               # the front end steers it (see steer)
                t = self.applied if self.applied is not None else self.threads_for(1)
            self.kernels += 1
            self.last = t
            self.chosen[t] = self.chosen.get(t, 0) + 1
        finally:
            lock.release()
        return t

    def __exit__(self, *exc: object) -> None:
        lock = self._lock
        lock.acquire()
        self.in_flight -= 1
        lock.release()

    def settle(self) -> None:
        """Back to the lone-kernel count if no kernel is in flight (``waitall`` calls
        it from the front end), so plain NumPy code after it sees what it would
        without ndengine."""
        lock = self._lock
        lock.acquire()
        try:
            if self._bound and self.in_flight == 0 and not self._per_thread:
                self._apply(self.threads_for(1))
        finally:
            lock.release()

    def _apply(self, t: int) -> None:
        """Lock held: set the library's thread count to *t* if it differs."""
        setter = self._setter
        if setter is None:
            return
        if self._per_thread:
            local = self._local
            if getattr(local, "applied", None) == t:
                return
            setter(t)
            local.applied = t
        else:
            if self.applied == t:
                return
            got = setter(t)
            # what the library took (None from a test recorder: taken); a refused
            # change is retried by the next kernel instead of being believed
            self.applied = t if got is None else got
        self.changes += 1

    # -- configuration -------------------------------------------------------------------
    def set_fixed(self, n: int | None) -> None:
        with self._lock:
            self._bind()
            self.fixed = n
            self.applied = None
            self._local = threading.local()
            if self.in_flight == 0:
                self._apply(self.threads_for(1))

    def reset_counters(self) -> None:
        with self._lock:
            self.kernels = self.changes = self.peak = self.last = 0
            self.chosen = {}

    def after_fork(self) -> None:
        """In a forked child: no kernel runs (the parent's threads are gone)."""
        self._lock = threading.Lock()
        self.in_flight = 0
        self._local = threading.local()

    def info(self) -> dict[str, Any]:
        with self._lock:
            self._bind()
            lib = self._lib
            return {
                "policy": "fixed" if self.fixed is not None else "adaptive",
                "source": ("set_blas_threads/NDENGINE_BLAS_THREADS" if self.fixed is not None
                           else "auto"),
                "cap": self._cap, "fixed": self.fixed, "cores": cores(),
                "per_thread": self._per_thread, "in_flight": self.in_flight,
                "applied": self.applied, "kernels": self.kernels, "changes": self.changes,
                "peak_in_flight": self.peak, "chosen": dict(self.chosen),
                "spin_timeout": _spin_timeout or os.environ.get("OPENBLAS_THREAD_TIMEOUT"),
                "libraries": lib.info() if lib is not None else [],
                "error": lib.error if lib is not None else None,
            }


BLAS = BlasPolicy()
"""The process's policy: ``with BLAS:`` around every BLAS-heavy CPU kernel."""

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=BLAS.after_fork)


def blas_threads() -> int:
    """Threads a lone BLAS kernel gets now (the fixed count when one is set)."""
    return BLAS.cap


def set_blas_threads(n: int | None) -> int:
    """Fix every BLAS kernel at *n* threads (process-wide, see the module notes);
    ``None`` goes back to the adaptive policy.  Returns the lone-kernel count now."""
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        raise ValueError(f"set_blas_threads: n must be an int >= 1 or None, got {n!r}")
    BLAS.set_fixed(n)
    return BLAS.cap


def blas_info() -> dict[str, Any]:
    """The policy, its counters, and what threadpoolctl sees."""
    return BLAS.info()
