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
one included) is ignored.  So no worker can give its own product a thread count.

The policy
----------
One *steward* thread (started on first use) is the only thread that ever sets a
process-wide library's count; anyone may ask it for a count, and the latest request
wins.  Two kinds of requests:

* at the push of each BLAS-heavy op (``dot``, ``matmul``, ``tensordot``, ``einsum``,
  ``norm``, ``linalg``, gluon's ``Dense``) on a CPU device, the front end asks for
  ``cap``, or ``cap // 2`` if another CPU device has work pending
  (:meth:`BlasPolicy.steer`, called by the array layer);
* each kernel, entering ``with BLAS:``, asks for ``cap // n`` with ``n`` the BLAS
  kernels in flight or the CPU devices with work (by the load probe the array layer
  installs), whichever is more, so a kernel that starts after the other device's work
  is done asks for every core again.

``cap`` is the library's own thread count when ndengine first used it (OPENBLAS_NUM_THREADS
and friends are honoured), at most the cores, and at most the cores **other processes
leave free** (the busy-machine rule, :class:`MachineLoad`): a product split between two
BLAS threads is as slow as its slower half, and a thread whose core another process
holds waits for the scheduler.  Measured (issue 18; Dense 20-256-128-2, batch 64, SGD,
one step; 2 cores with four helper processes running test suites beside it, load
average 6): NumPy by hand 0.44 ms median but 79 ms at p90, ndengine 3.5 ms median and
105 ms at p90, the naive engine 74 ms median (OpenBLAS's short spin, below, puts its
threads to sleep between products, and each wake then waits for a busy core); with one
BLAS thread ndengine took 1.28 ms median, 1.7 ms at p90.  So the policy counts the
cores this process may use that other processes keep busy (``/proc/stat`` minus this
process's own CPU time, sampled at most every 0.25 s on the hot path, about 15 us a
sample) and gives BLAS only the rest, never less than one thread.
``NDENGINE_BLAS_MACHINE_LOAD=0`` switches the rule off; off Linux it is off.

**The small-kernel rule**: a kernel of fewer than ``NDENGINE_BLAS_SMALL_FLOPS`` floating-
point operations (default 2e7; 0 switches the rule off) gets one thread.  With the short
spin below, an idle OpenBLAS thread sleeps between kernels, and waking it costs more
than it brings to a small product.  Measured (2 cores, idle, a 2 ms pause before each
product so the BLAS threads sleep, median of 30; 1 thread vs 2): 64x400x120 (6 Mflop)
75 vs 120 us; 50176x25x6 (LeNet's first convolution as a product, 15 Mflop) 480 vs
1673 us; 12544x150x16 (60 Mflop) 978 vs 1032 us; 256^3 (34 Mflop) 394 vs 367 us;
512^3 (268 Mflop) 2628 vs 2227 us; 1024^3 21.1 vs 12.7 ms.  One thread wins below
~20 Mflop only: the default was 1e8 until a chain of 200 tanh(256x256 products), back to
back so the threads never sleep, measured 69-71 ms with 1e8 against 50-52 ms with 2e7 or
the rule off (quiet machine, medians of 7, 2 runs each), while LeNet's training step
(whose small products are all under 2e7) was the same with either: b64 12.3/11.6 ms
(1e8) vs 12.9/12.0 (2e7), b256 37.6/39.6 vs 38.2/37.3.  The array layer estimates
a kernel's flops from its operands (``ndarray.ops._blas``).  Requests are made only when the number
changes (a loop of products on one device asks once), and applied within microseconds,
so a change reaches the kernels that start after it.  ``waitall`` asks for ``cap``
when nothing is in flight, so plain NumPy code after it sees what it would without
ndengine (on a busy machine: the free cores).  For libraries whose limit is per thread (OpenMP builds, MKL) each kernel
sets its own thread's count, ``cap // kernels in flight``, without the steward.
``set_blas_threads(n)`` / ``NDENGINE_BLAS_THREADS=n`` fix the count at *n*;
``set_blas_threads(None)`` goes back to the policy.

What came before, measured (``benchmarks/auto_parallel.py``, 2 cores): each kernel's
worker setting the count itself ran the chapter's two devices together in 0.044-0.086 s,
depending on which thread happened to set it first; resetting it after every product
cost two library calls per product and woke OpenBLAS's spinning threads; steering at
push time alone left a device that outlived the other on one thread.  A static single
thread per kernel made a lone chain of 1024x1024 products 2x slower than NumPy.

Costs (2 cores, OpenBLAS 0.3.31 pthreads, NumPy 2.4): ``openblas_set_num_threads``
through threadpoolctl's library controller about 0.8 us (in the steward); the steering
check at a BLAS push and the ``with BLAS:`` bookkeeping around a kernel about 1 us each.
"""
from __future__ import annotations

import os
import threading
from time import monotonic as _monotonic
from typing import Any, Callable

from ..base import env_int, env_str
from .sharing import SHARING as _SHARING
from .sharing import cores

__all__ = ["BlasPolicy", "MachineLoad", "BLAS", "blas_threads", "set_blas_threads", "blas_info", "cores",
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


def _env_fixed() -> int | None:
    value = env_str("NDENGINE_BLAS_THREADS")
    if value is None:
        return None
    n = env_int("NDENGINE_BLAS_THREADS", default=0)
    if n < 1:
        raise ValueError(f"NDENGINE_BLAS_THREADS must be >= 1, got {value!r}")
    return n


def _env_small_flops() -> float:
    value = env_str("NDENGINE_BLAS_SMALL_FLOPS")
    if not value:
        return 2e7
    try:
        n = float(value)
    except ValueError:
        n = -1.0
    if not n >= 0:
        raise ValueError(f"NDENGINE_BLAS_SMALL_FLOPS must be a number >= 0 (0: the "
                         f"small-kernel rule off), got {value!r}")
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


def _read_proc_stat(cpus: frozenset[int]) -> float | None:
    """Busy seconds so far of the CPUs *cpus* (``/proc/stat``'s per-CPU lines: user,
    nice, system, irq, softirq and steal count as busy), or None off Linux."""
    busy = 0
    try:
        with open("/proc/stat", "rb") as f:
            f.readline()                        # the all-CPU line
            for line in f:
                if not line.startswith(b"cpu"):
                    break
                fields = line.split()
                if int(fields[0][3:]) in cpus:
                    v = [int(x) for x in fields[1:9]]
                    busy += v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    except (OSError, ValueError, IndexError):
        return None
    return busy / _CLK_TCK


try:
    _CLK_TCK = os.sysconf("SC_CLK_TCK")
except (AttributeError, ValueError, OSError):
    _CLK_TCK = 100


class MachineLoad:
    """The busy-machine rule (see the module notes): how many of this process's cores
    other processes keep busy, from two samples at least *interval* seconds apart.

    *reader* returns the busy seconds so far of this process's CPUs and *own* this
    process's CPU seconds (tests pass fakes); ``free(now)`` is the cores left, or None
    while there is no measurement yet or the rule is off."""

    def __init__(self, interval: float = 0.25, reader: Callable[[], float | None] | None = None,
                 own: Callable[[], float] | None = None, ncores: int | None = None) -> None:
        import time
        self.interval = interval
        self._cpus = frozenset(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
            else frozenset(range(os.cpu_count() or 1))
        self._read = reader if reader is not None else (lambda: _read_proc_stat(self._cpus))
        self._own = own if own is not None else time.process_time
        self.ncores = ncores if ncores is not None else cores()
        self._last: tuple[float, float, float] | None = None
        self.others = 0.0             # cores other processes kept busy in the last window
        self.samples = 0
        self.enabled = True

    def due(self, now: float) -> bool:
        last = self._last
        return self.enabled and (last is None or now - last[0] >= self.interval)

    def sample(self, now: float) -> None:
        busy = self._read()
        if busy is None:               # no /proc/stat: the rule is off for good
            self.enabled = False
            return
        own = self._own()
        last = self._last
        self._last = (now, busy, own)
        if last is None or now <= last[0]:
            return
        others = ((busy - last[1]) - (own - last[2])) / (now - last[0])
        self.others = min(float(self.ncores), max(0.0, others))
        self.samples += 1

    def free(self) -> int | None:
        """Cores other processes leave to this one (at least 1), rounded; None before
        the second sample."""
        if not self.enabled or self.samples == 0:
            return None
        return max(1, int(self.ncores - self.others + 0.5))


class _Steward:
    """The one thread that sets a process-wide library's thread count (see the module
    notes: OpenBLAS lets only the first thread that set it change it).  Requests are
    asynchronous: the latest one wins; *report* gets the count the library took."""

    def __init__(self, setter: Callable[[int], Any], report: Callable[[int], None]) -> None:
        self._setter = setter
        self._report = report
        self._cv = threading.Condition(threading.Lock())
        self._want: int | None = None
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="ndengine-blas-steward",
                                        daemon=True)
        self._thread.start()

    def request(self, t: int) -> None:
        with self._cv:
            self._want = t
            self._cv.notify()

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until every request so far has been applied."""
        with self._cv:
            return self._cv.wait_for(lambda: self._want is None and not self._busy, timeout)

    def _run(self) -> None:
        cv = self._cv
        while True:
            with cv:
                while self._want is None:
                    cv.wait()
                t, self._want = self._want, None
                self._busy = True
            try:
                got = self._setter(t)
            except Exception:
                got = None
            with cv:
                self._report(t if got is None else got)
                self._busy = False
                cv.notify_all()


class BlasPolicy:
    """Counts BLAS kernels in flight and sets the library's thread count for each
    (see the module notes).  ``with policy:`` around a kernel; entering returns the
    thread count chosen.

    *setter*, *cap* and *per_thread* replace the real library (tests pass a recorder);
    by default the library is bound through threadpoolctl on first use."""

    def __init__(self, setter: Callable[[int], Any] | None = None, cap: int | None = None,
                 per_thread: bool = False, machine: MachineLoad | None = None) -> None:
        self._lock = threading.Lock()
        # the busy-machine rule; the process's policy makes one when it binds the library
        self.machine = machine
        self._machine_cap: int | None = None   # cores other processes leave, or None
        self._setter = setter
        # the real process-wide library is set through a steward thread; a given
        # *setter* (tests) is called directly
        self._steward: _Steward | None = None
        self._async = False
        self._requested: int | None = None
        # how many CPU devices have work now (installed by the array layer), or None
        self.load_probe: Callable[[], int] | None = None
        self._cap = cap
        self._per_thread = per_thread
        self._bound = setter is not None
        self._lib: _Library | None = None
        self._local = threading.local()
        self.fixed: int | None = None      # set_blas_threads(n)
        # the small-kernel rule: kernels of fewer flops get one thread (0: off)
        self.small_flops = _env_small_flops() if setter is None else 0.0
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
        self._async = not lib.per_thread
        if self._cap is None:
            self._cap = min(cores(), lib.initial) if lib.initial else cores()
        if self.fixed is None:
            self.fixed = _env_fixed()
        if self.machine is None and env_str("NDENGINE_BLAS_MACHINE_LOAD") != "0":
            self.machine = MachineLoad()
        self._bound = True

    @property
    def cap(self) -> int:
        """Threads a lone kernel gets now (the busy-machine rule included)."""
        if self._cap is None:
            with self._lock:
                self._bind()
        return self.threads_for(1)

    def threads_for(self, concurrent: int) -> int:
        """The thread count a kernel gets while *concurrent* kernels run (itself too)."""
        if self.fixed is not None:
            return self.fixed
        cap = self._cap if self._cap is not None else self.cap
        m = self._machine_cap
        if m is not None and m < cap:
            cap = m
        return max(1, cap // max(1, concurrent))

    def _watch_machine(self) -> None:
        """Lock held: a new sample of the machine's load when one is due (at most every
        ``machine.interval`` seconds; a monotonic clock read otherwise)."""
        m = self.machine
        if m is None:
            return
        now = _monotonic()
        if m.due(now):
            m.sample(now)
            self._machine_cap = m.free()

    # -- the hot path --------------------------------------------------------------------
    def _sharers(self, n: int) -> int:
        """*n*, or the CPU devices in use if more, under partitioned sharing."""
        if _SHARING.partitioned:
            d = len(_SHARING.devices)
            if d > n:
                return d
        return n

    def steer(self, shared: bool) -> None:
        """Front end, at the push of a BLAS kernel: *shared* says another CPU device has
        work pending.  Asks for ``cap``, or ``cap // 2`` when shared (``cap //`` the
        CPU devices in use under partitioned sharing), if that differs from the last
        request (see the module notes)."""
        if self._per_thread or self.fixed is not None and self._bound:
            return
        n = self._sharers(2 if shared else 1)
        t = self.threads_for(n)
        if t == self._requested and self._bound:
            return
        lock = self._lock
        lock.acquire()
        try:
            if not self._bound:
                self._bind()
            if not self._per_thread:
                self._watch_machine()
                self._apply(self.threads_for(n))
        finally:
            lock.release()

    def __enter__(self) -> int:
        """Around a kernel: count it and ask for its share of the cores (``cap //``
        the kernels in flight or the CPU devices with work, whichever is more);
        returns that count.  Process-wide libraries take it through the steward, so a
        change reaches the kernels that start after it."""
        return self.enter(0.0)

    def enter(self, flops: float) -> int:
        """:meth:`__enter__` for a kernel of about *flops* floating-point operations
        (0: unknown): one below ``small_flops`` gets one thread (the small-kernel rule,
        see the module notes); leave with ``__exit__``."""
        lock = self._lock
        lock.acquire()
        try:
            if not self._bound:
                self._bind()
            self._watch_machine()
            n = self.in_flight = self.in_flight + 1
            if n > self.peak:
                self.peak = n
            probe = self.load_probe
            if probe is not None and not self._per_thread:
                try:
                    busy = probe()
                except Exception:
                    busy = 0
                    self.load_probe = None   # a failing probe is dropped, never fatal
                if busy > n:
                    n = busy
            t = self.threads_for(self._sharers(n))
            if 0 < flops < self.small_flops and self.fixed is None:
                t = 1
            self._apply(t)
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
        without ndengine — on a busy machine, the cores other processes leave free
        (a loop that calls ``waitall`` every step would otherwise flip the count twice
        a step, and the steward's change reach the kernels late)."""
        lock = self._lock
        lock.acquire()
        try:
            if self._bound and self.in_flight == 0 and not self._per_thread:
                self._apply(self.threads_for(1))
        finally:
            lock.release()

    def _apply(self, t: int) -> None:
        """Lock held: set (or, through the steward, request) the count *t* if it
        differs from the last one."""
        setter = self._setter
        if setter is None:
            return
        if self._per_thread:
            local = self._local
            if getattr(local, "applied", None) == t:
                return
            setter(t)
            local.applied = t
        elif self._async:
            if self._requested == t:
                return
            self._requested = t
            if self._steward is None:
                self._steward = _Steward(setter, self._took)
            self._steward.request(t)
        else:
            if self.applied == t:
                return
            got = setter(t)
            self.applied = t if got is None else got
        self.changes += 1

    def _took(self, got: int) -> None:
        """The steward's report: the count the library has now."""
        self.applied = got

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until the steward has applied every request (tests, benchmarks)."""
        st = self._steward
        return True if st is None else st.sync(timeout)

    # -- configuration -------------------------------------------------------------------
    def set_fixed(self, n: int | None) -> None:
        with self._lock:
            self._bind()
            self.fixed = n
            self._requested = None
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
        self._steward = None           # its thread is gone; the next change starts one
        self._requested = None

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
                "applied": self.applied, "requested": self._requested,
                "kernels": self.kernels, "changes": self.changes,
                "peak_in_flight": self.peak, "chosen": dict(self.chosen),
                "machine_free_cores": self._machine_cap,
                "machine_others_busy": (round(self.machine.others, 2)
                                        if self.machine is not None else None),
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
