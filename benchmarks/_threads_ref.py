"""The auto_parallel workloads done by hand with plain Python threads: the yardstick
for what CPython threads can do on this machine at all.

Each "device" is a worker thread with a queue (``queue.SimpleQueue``), the main
thread puts closures on it (the front end) and waits for a counter (the barrier);
NumPy's BLAS runs one thread per call (``threadpoolctl``), one core per device, as
under ndengine's ``partitioned`` sharing.  There is no dependency tracking: each
workload's order is built in (a copy is queued by the worker that made its input).
Whatever these lose to the GIL's hand-offs between threads, an engine written in
Python loses too; what they keep is the bar for ndengine.
"""
from __future__ import annotations

import queue
import threading
from typing import Any, Callable

from auto_parallel import _interleaved


class _Device:
    """Worker threads (one by default) running the closures put on their queue."""

    def __init__(self, done: "_Barrier", threads: int = 1) -> None:
        self.q: queue.SimpleQueue = queue.SimpleQueue()
        self.done = done
        self.threads = [threading.Thread(target=self._loop, daemon=True)
                        for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _loop(self) -> None:
        get = self.q.get
        finished = self.done.finished
        while True:
            fn = get()
            if fn is None:
                return
            fn()
            finished()

    def push(self, fn: Callable[[], Any]) -> None:
        self.done.pushed += 1        # only the main thread pushes
        self.q.put(fn)

    def close(self) -> None:
        for _ in self.threads:
            self.q.put(None)


class _Barrier:
    """``waitall``: the main thread sleeps until every pushed closure has run."""

    def __init__(self) -> None:
        self.pushed = 0
        self._ran = 0
        self._cond = threading.Condition()

    def finished(self) -> None:
        with self._cond:
            self._ran += 1
            if self._ran == self.pushed:
                self._cond.notify_all()

    def wait(self) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._ran == self.pushed)


def _limit_blas() -> Any:
    from threadpoolctl import threadpool_limits
    return threadpool_limits(1)


def measure_two_devices(n: int, size: int, repeat: int) -> dict[str, Any]:
    """(a) by hand: two worker threads, ``sin`` then ``dot`` pushed per iteration."""
    import numpy as onp

    _limit_blas()
    rng = onp.random.default_rng(0)
    x0 = rng.uniform(size=(size, size)).astype(onp.float32)
    x1 = rng.uniform(size=(size, size)).astype(onp.float32)
    barrier = _Barrier()
    d0, d1 = _Device(barrier), _Device(barrier)

    def run(dev: _Device, x: Any) -> list:
        out: list = []
        for _ in range(n):
            box: list = []
            dev.push(lambda x=x, box=box: box.append(onp.sin(x)))
            dev.push(lambda x=x, box=box: box.append(box[0].dot(x)))
            out.append(box)
        return out

    def alone0() -> None:
        run(d0, x0)
        barrier.wait()

    def alone1() -> None:
        run(d1, x1)
        barrier.wait()

    def both() -> None:
        run(d0, x0)
        run(d1, x1)
        barrier.wait()

    try:
        return _interleaved({"alone0": alone0, "alone1": alone1, "both": both}, repeat)
    finally:
        d0.close()
        d1.close()


def measure_compute_copy(n: int, size: int, repeat: int) -> dict[str, Any]:
    """(b) by hand: a compute thread makes ``y_i``, a copy thread copies each ``y_i``
    as soon as the compute thread hands it over."""
    import numpy as onp

    _limit_blas()
    x = onp.random.default_rng(0).uniform(size=(size, size)).astype(onp.float32)
    barrier = _Barrier()
    gpu, cpu = _Device(barrier), _Device(barrier)
    ready = [onp.sin(x).dot(x) for _ in range(n)]

    def copy(y: Any, box: list) -> None:
        box.append(onp.array(y, copy=True))

    def run_only() -> None:
        for _ in range(n):
            gpu.push(lambda: onp.sin(x).dot(x))
        barrier.wait()

    def copy_only() -> None:
        for y in ready:
            cpu.push(lambda y=y: copy(y, []))
        barrier.wait()

    def run_and_copy() -> None:
        def make() -> None:
            y = onp.sin(x).dot(x)
            cpu.push(lambda: copy(y, []))      # the copy op, ready once y is made
        for _ in range(n):
            gpu.push(make)
        barrier.wait()

    try:
        return _interleaved({"run": run_only, "copy": copy_only,
                             "run_and_copy": run_and_copy}, repeat)
    finally:
        gpu.close()
        cpu.close()


def measure_small_ops(n: int, size: int, repeat: int) -> dict[str, Any]:
    """(c) by hand: *n* ``tanh`` pushed to a device of one worker thread per core, then
    waited for, against the same run inline by the main thread (NumPy)."""
    import os

    import numpy as onp

    rng = onp.random.default_rng(0)
    xs = [rng.uniform(size=(size, size)).astype(onp.float32) for _ in range(8)]
    barrier = _Barrier()
    dev = _Device(barrier, threads=len(os.sched_getaffinity(0)))
    tanh = onp.tanh

    def parallel() -> None:
        for i in range(n):
            dev.push(lambda x=xs[i & 7]: tanh(x))
        barrier.wait()

    def numpy() -> None:
        for i in range(n):
            tanh(xs[i & 7])

    try:
        return _interleaved({"parallel": parallel, "numpy": numpy}, repeat)
    finally:
        dev.close()
