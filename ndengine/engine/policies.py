"""The engine's scheduling policies, by name: each in one place, each switchable off.

The dependency rule (:mod:`.state`) decides *when* an op may run; these policies decide
*where* and *how soon*, and none of them changes a result.  Each is a flag on each
engine's :class:`Policies` (``get_engine().policies.off("lazy_wake")``, ``.on(...)``, or
for new engines the environment ``NDENGINE_POLICIES_OFF=lazy_wake,helping``), read by :mod:`.core` and the drivers at the
one place that applies it.  Switch one off to test the engine without it or to measure
what it buys.  The measurements below were taken on the 2-vCPU development machine.

``lazy_wake`` — small ops wake no worker
    Small elementwise ops (outputs of :data:`LAZY_MIN_BYTES` to :data:`LARGE_OUTPUT_BYTES`,
    pushed by the array layer through ``push_unchecked``) wake no parked worker: they run
    when a thread next waits (it runs them itself) or when a worker is woken for other
    work; a thread about to sleep wakes the workers first (``Core.wake_lazy``), so
    nothing waits on them.  With the GIL, a worker woken for a 3 us kernel costs more
    than it saves: 10,000 100x100 tanh, 13.6 -> 8.4 us each waited for, 11.4 -> 8.2 us
    pushed then waitall.  Tinier ops keep the wake: NumPy holds the GIL through them, so
    a worker running them beside the pushing thread costs no hand-off (10,000 ``x + 1`` on
    a 1x2 array: 4.3 us each with the wake, 5.1-5.6 without).  Mid-size elementwise ops
    (up to :data:`LAZY_MAX_BYTES`) do the same when their device has nothing else
    pending — code that waits for each result then pays no hand-off: 2000 x tanh on
    300x300, each waited for, 55.6 -> 34.3 us each (NumPy 25); all pushed then waitall
    26.9 -> 25.7 us.

``run_ahead`` — the run-ahead window
    A pool starts an op only if it was pushed at most ``run_ahead`` ops after the pool's
    oldest unfinished op, and while the outputs of the ops started ahead of that op total
    at most ``run_ahead_bytes`` (one op may always run ahead): independent producers (the
    next batches' random inputs) cannot run far ahead of their consumers and fill memory.
    The seed's training loop without its barrier: peak RSS growth 47-51 MB with 16 MB of
    window bytes, 39.5 MB with 4 MB (with the barrier 33-54 MB), at the same epoch time.
    Off: no window (ops start as soon as they are ready).

``backpressure`` — bounds on pending work
    Each device bounds the ops (``max_pending_ops``, default 4096) and output bytes
    (``max_pending_bytes``, 1/8 of RAM) pushed but not finished; a push past the bound
    makes the pushing thread help or wait until it is down to half (the hysteresis lets
    the next pushes through without a lock each).  A front end racing ahead cannot fill
    memory with pending work (``benchmarks/memory.py``: the runaway front end stays
    bounded like NumPy).  A thread running an op (a worker, or a waiting thread helping)
    is never throttled: only that op's completion could relieve it.  Off: no bound.

``helping`` — waiting threads run ready ops while a core is free
    A thread that waits (``wait_for_var``, ``waitall``, backpressure) runs the op it
    waits for, the op blocking it, or its device's oldest ready op, itself, instead of
    sleeping — but a CPU op only while fewer CPU ops run than there are cores (two
    devices' workers and a front end helping at waitall ran the chapter's two-device
    workload at 0.6-1.0x the speed of the workers alone).  Synchronous-style code then
    runs every op in the calling thread with no thread hand-off (an 8x8 product pushed
    and waited for: ~10 us instead of ~40 with a hand-off).  Off: waiting threads only
    sleep (ops of pools without workers — the naive driver — still run in the waiter:
    nobody else can run them).  Not a choice for a thread that waits from inside an op
    (a worker, or a thread running an op it helped with): it always runs what it waits
    for, policy on or off and cores free or not — it holds a core while it waits, and
    the device's workers may all be waiting like it (``Core.claim(inside_op=True)``).

``partitioned_polling`` — poll before parking under partitioned CPU sharing
    With partitioned CPU sharing (:mod:`ndengine.device.sharing`), a CPU worker that
    finds no ready op while its pool has ops waiting on others (a copy waiting for the
    product it copies) polls ``spin_s`` (``NDENGINE_WORKER_SPIN_US``, 200 us) before it
    parks: waking a parked thread costs waker and woken some 20-30 us (a futex, an idle
    vCPU, the GIL hand-off), more than a 200x200 copy.  The chapter's run-and-copy on
    cpu(1) -> cpu(0): 41.1 ms parking, 36.9 polling (medians of 4 processes).  Not under
    adaptive sharing: there the idle core belongs to the BLAS threads of the running
    product, and polling beside them made the same loop 33 -> 44 ms.

``blas_steering`` — the engine's probe for the BLAS thread policy
    Each BLAS push and kernel asks the engine how many *other* CPU devices have compute
    work pending (``cpu_devices_with_work``, read without the lock); :mod:`ndengine.device
    .blas` then gives a lone device's products every core and splits them between busy
    devices (the chapter's two-device workload, ``benchmarks/auto_parallel.py``).  Off:
    the probe answers 0, so every product uses every core.

``idle_core_wake`` — an idle worker wakes a waiting thread for another device's work
    A CPU worker about to park while another CPU device has ready ops its busy workers
    cannot start wakes a thread asleep in waitall, which looks again and helps if a core
    is free (not copy workers: they idle between every two copies).  Without it, 200
    pushed 1000x1000 tanh then waitall ran on one core in some rounds (73 ms instead of
    41).
"""
from __future__ import annotations

import os

__all__ = ["Policies", "default_byte_bound", "NAMES", "LARGE_OUTPUT_BYTES", "LAZY_MIN_BYTES",
           "LAZY_MAX_BYTES", "UNREGISTERED_BYTES"]

NAMES = ("lazy_wake", "run_ahead", "backpressure", "helping", "partitioned_polling",
         "blas_steering", "idle_core_wake")

# NumPy releases the GIL inside a ufunc loop of more than 500 elements: from about this
# many output bytes on, a worker woken for a small op hands the GIL back and forth
LAZY_MIN_BYTES = 2048
# ops below this output size are "small" (lazy_wake); pushes of at least this size count
# their bytes as they join the lock-free inbox (see Core.push)
LARGE_OUTPUT_BYTES = 64 << 10
# ... and up to this many output bytes, an elementwise op pushed to an idle device is
# left for the thread that next waits (lazy_wake's mid-size rule)
LAZY_MAX_BYTES = 1 << 20
# once the inbox holds this many bytes of large outputs, the pushing thread registers it
# under the lock and checks the bound (the bound is exceeded by at most this much).
# (Each such push used to take the lock and register itself: pushing a 200x200 sin took
# 2.8 us, now 2.4 — time in which the workers wait for the GIL the front end holds.)
UNREGISTERED_BYTES = 16 << 20


class Policies:
    """One boolean per named policy (all on by default)."""

    __slots__ = NAMES

    def __init__(self) -> None:
        for name in NAMES:
            setattr(self, name, True)
        off = os.environ.get("NDENGINE_POLICIES_OFF", "")
        for name in filter(None, (n.strip() for n in off.split(","))):
            self.off(name)

    def _check(self, name: str) -> None:
        if name not in NAMES:
            raise ValueError(f"unknown engine policy {name!r}; the policies are {list(NAMES)}")

    def off(self, *names: str) -> None:
        for name in names:
            self._check(name)
            setattr(self, name, False)

    def on(self, *names: str) -> None:
        for name in names:
            self._check(name)
            setattr(self, name, True)

    def enabled(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in NAMES}

    def __repr__(self) -> str:
        return "Policies(" + ", ".join(f"{k}={v}" for k, v in self.enabled().items()) + ")"



def default_byte_bound() -> int:
    """Default backpressure bound on output bytes pending per device: 1/8 of physical
    memory (``NDENGINE_MAX_PENDING_BYTES`` overrides)."""
    value = os.environ.get("NDENGINE_MAX_PENDING_BYTES", "")
    if value:
        return int(float(value))
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 << 30
    return max(256 << 20, total // 8)
