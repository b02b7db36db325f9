"""ThreadedEngine: worker pools per device, copy workers, priorities, helping waiters.

Design notes
------------
* One lock (``self._lock``) guards every var, op and queue.  All state changes are the
  pure functions of :mod:`.state`; this module only decides where ready ops run.  The
  lock is never held while an op's callable runs, so completion dispatches outside it.
* Each device gets a compute pool and a copy pool (``push(..., copy=True)``), created
  on first use, each with its own worker threads; so copies overlap computation.
* A pool's ready queue is a heap ordered by ``(-priority, push order)``: higher
  priority first, FIFO among equals.  Priorities only order *ready* ops; they never
  reorder the ops of one var.
* Idle workers park on a private lock; a push that makes an op ready wakes one.
* A waiting thread helps instead of sleeping: if the op it waits for (or, failing
  that, the op holding one of its vars, or the oldest ready op of its device) is ready
  but not started, it claims and runs it itself.  Synchronous-style code then runs
  every op in the calling thread, with no thread hand-off at all.  Claimed ops stay in
  the heap and are skipped when popped (lazy deletion).
* Errors: an op that raises stores an :class:`OpError` on every var it writes; an op
  that reads (or read-writes) a poisoned var is skipped and poisons its writes with the
  same error.  A sync point on a var raises its error once; ``wait_all`` raises the
  first error not yet raised anywhere and forgets the rest.
* Backpressure: each device bounds ops (and output bytes) pushed but not finished.  A
  push past the bound makes the pushing thread help or wait, so a front end racing
  ahead cannot fill memory with pending work.
"""
from __future__ import annotations

import atexit
import heapq
import os
import sys
import threading
import time
from _thread import allocate_lock
from typing import Any, Callable, Iterable

from ..base import EngineInternalError, OpError, env_int
from ..device import Device, DeviceError, current_device
from . import bulk as _bulk
from .hooks import HOOKS

_BULK = _bulk.STATE
from .state import normalize, on_complete, on_push
from .var import DONE, PENDING, READY, RUNNING, Op, Var

__all__ = ["ThreadedEngine"]

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_heappush = heapq.heappush
_heappop = heapq.heappop
_perf = time.perf_counter


def _push_site() -> tuple[str, int] | None:
    """File and line of the first caller outside the ndengine package."""
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename.startswith(_PKG_DIR):
        f = f.f_back
    if f is None:
        return None
    return (f.f_code.co_filename, f.f_lineno)


def format_site(site: tuple[str, int] | None) -> str:
    if site is None:
        return "<unknown>"
    return f"{site[0]}:{site[1]}"


def _noop() -> None:
    return None


def _bad_vars(arg: str, vs: tuple[Any, ...]) -> None:
    for i, v in enumerate(vs):
        if v.__class__ is not Var:
            raise TypeError(f"push: {arg}[{i}] must be a Var (engine.new_var()), "
                            f"got {type(v).__name__}")
        if v.deleted:
            raise ValueError(f"push: {arg}[{i}] ({v!r}) was deleted")


def _bad_wait(fname: str, var: Any) -> None:
    if var.__class__ is not Var:
        raise TypeError(f"{fname}: expected a Var, got {type(var).__name__}")
    raise ValueError(f"{fname}: {var!r} was deleted; nothing to wait for")


class Pool:
    """The ready queue and worker threads of one device (compute or copy)."""

    __slots__ = ("device", "is_copy", "heap", "idle", "threads", "nworkers", "busy",
                 "pending", "nbytes", "pushed", "throttled", "label")

    def __init__(self, device: Device, is_copy: bool) -> None:
        self.device = device
        self.is_copy = is_copy
        self.heap: list[tuple[int, int, Op]] = []
        self.idle: list[Any] = []          # parked workers' wake locks
        self.threads: list[threading.Thread] = []
        self.nworkers = device.num_copy_workers if is_copy else device.num_workers
        self.busy = 0                      # ops running on this pool's workers or inline
        self.pending = 0                   # pushed, not completed
        self.nbytes = 0                    # output bytes of pending ops
        self.pushed = 0
        self.throttled = 0                 # pushes that had to wait for the bound
        self.label = f"{device}/copy" if is_copy else str(device)

    def ready_count(self) -> int:
        return sum(1 for _, _, op in self.heap if op.state == READY)


class ThreadedEngine:
    kind = "threaded"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pools: dict[Device, Pool] = {}
        self._copy_pools: dict[Device, Pool] = {}
        self._devices_ok: set[Device] = set()
        self._pending = 0
        self._seq = 0
        self._all_done: list[Any] = []
        self._throttle_waiters: list[Any] = []
        self._errors: dict[int, OpError] = {}
        self._shutdown = False
        self._worker_threads: set[int] = set()
        self.max_pending_ops = env_int("NDENGINE_MAX_PENDING_OPS", default=100_000)
        self.max_pending_bytes = _default_byte_bound()
        self.track_push_site = os.environ.get("NDENGINE_PUSH_SITE", "1") != "0"
        self._inline_all = False


    # ------------------------------------------------------------------ vars
    def new_var(self, name: str | None = None) -> Var:
        return Var(name)

    def delete_var(self, var: Var, on_delete: Callable[[], Any] | None = None) -> None:
        """Mark *var* deleted now; schedule its deletion as a write after pending ops."""
        if type(var) is not Var:
            raise TypeError(f"delete_var: expected a Var, got {type(var).__name__}")
        if var.deleted:
            raise ValueError(f"delete_var: {var!r} was already deleted")
        var.deleted = True
        self._push_op(Op(on_delete or _noop, (), (var,), (), current_device(), 0,
                         "delete_var"))

    # ------------------------------------------------------------------ push
    def push(self, fn: Callable[[], Any], reads: Iterable[Var] = (), writes: Iterable[Var] = (),
             device: Device | None = None, priority: int = 0, name: str | None = None,
             copy: bool = False, nbytes: int = 0, info: Any = None) -> Op:
        """Schedule ``fn()`` after every earlier op that writes one of *reads* or
        touches one of *writes*.  Returns at once."""
        if not callable(fn):
            raise TypeError(f"push: fn must be callable, got {type(fn).__name__}")
        reads, writes, rw = normalize(reads, writes)
        for v in reads:
            if v.__class__ is not Var or v.deleted:
                _bad_vars("reads", reads)
        for v in writes:
            if v.__class__ is not Var or v.deleted:
                _bad_vars("writes", writes)
        if device is None:
            device = current_device()
        if device not in self._devices_ok:
            self._check_device(device)
        if priority.__class__ is not int:
            raise TypeError(f"push: priority must be an int, got {priority!r}")
        op = Op(fn, reads, writes, rw, device, priority,
                name or getattr(fn, "__name__", "op"), copy, nbytes, info)
        if self.track_push_site:
            op.pushed_at = _push_site()
        if _BULK.depth:
            return _bulk.add(self, op)
        return self._push_op(op)

    def _check_device(self, device: Any) -> None:
        if device.__class__ is not Device:
            raise TypeError(f"push: device must be a Device such as cpu(0), got {device!r}")
        device.check_available()
        self._devices_ok.add(device)

    def _push_op(self, op: Op) -> Op:
        lock = self._lock
        lock.acquire()
        try:
            pool = (self._copy_pools if op.copy else self._pools).get(op.device)
            if pool is None:
                pool = self._new_pool(op.device, op.copy)
            self._seq += 1
            op.seq = self._seq
            op.pool = pool
            self._pending += 1
            pool.pending += 1
            pool.pushed += 1
            if op.nbytes:
                pool.nbytes += op.nbytes
            if HOOKS.active:
                op.t_push = _perf()
            if on_push(op):
                self._enqueue(op, pool)
            over = pool.pending > self.max_pending_ops or pool.nbytes > self.max_pending_bytes
        finally:
            lock.release()
        if HOOKS.active:
            HOOKS.push(op)
        if over:
            self._throttle(pool)
        return op

    def _new_pool(self, device: Device, is_copy: bool) -> Pool:
        pool = Pool(device, is_copy)
        (self._copy_pools if is_copy else self._pools)[device] = pool
        self._start_workers(pool)
        return pool

    def _start_workers(self, pool: Pool) -> None:
        for i in range(pool.nworkers):
            t = threading.Thread(target=self._worker, args=(pool, i),
                                 name=f"ndengine-{pool.label}-{i}", daemon=True)
            pool.threads.append(t)
            t.start()

    def _enqueue(self, op: Op, pool: Pool) -> None:
        """Lock held: *op* is ready; queue it and wake a parked worker."""
        op.state = READY
        _heappush(pool.heap, (-op.priority, op.seq, op))
        if pool.idle:
            pool.idle.pop().release()

    # ------------------------------------------------------------------ running
    def _worker(self, pool: Pool, index: int) -> None:
        self._worker_threads.add(threading.get_ident())
        try:
            pool.device.worker_init(index, pool.is_copy)
        except Exception as e:  # a bad worker_init must not kill the pool
            self._record_error(EngineInternalError(f"worker_init of {pool.label} failed: {e!r}"))
        wake = allocate_lock()
        wake.acquire()
        lock = self._lock
        heap = pool.heap
        while True:
            try:
                lock.acquire()
                op = None
                while heap:
                    cand = _heappop(heap)[2]
                    if cand.state == READY:
                        op = cand
                        op.state = RUNNING
                        pool.busy += 1
                        break
                if op is None:
                    pool.idle.append(wake)
                    lock.release()
                    wake.acquire()
                    continue
                lock.release()
                self._execute(op)
            except BaseException as e:  # the worker never dies
                if lock.locked():
                    try:
                        lock.release()
                    except RuntimeError:
                        pass
                self._record_error(EngineInternalError(f"worker {pool.label}-{index}: {e!r}"))

    def _claim(self, op: Op) -> bool:
        """Lock held: take a READY op to run in this thread."""
        if op.state != READY:
            return False
        op.state = RUNNING
        pool = op.pool
        pool.busy += 1
        heap = pool.heap
        if heap and heap[0][2] is op:
            _heappop(heap)
        return True

    def _execute(self, op: Op) -> None:
        """Run a claimed op (in any thread), then complete it."""
        err: BaseException | None = None
        skipped = False
        for v in op.reads:
            if v.exc is not None:
                err = v.exc
                break
        else:
            for v in op.rw:
                if v.exc is not None:
                    err = v.exc
                    break
        hooks = HOOKS.active
        if hooks:
            op.t_start = _perf()
            op.thread = threading.current_thread().name
            HOOKS.start(op)
        if err is None:
            try:
                op.fn()
            except BaseException as e:
                sub = getattr(e, "_ndengine_op", None) or op   # the failing op of a bulk
                err = OpError(sub.name, format_site(sub.pushed_at), e)
        else:
            skipped = True
        if hooks:
            op.t_end = _perf()
            HOOKS.end(op, err)
        self._complete(op, err, skipped)

    def _complete(self, op: Op, err: BaseException | None, skipped: bool = False) -> None:
        ready: list[Op] = []
        lock = self._lock
        lock.acquire()
        try:
            if err is None:
                for v in op.writes:
                    if v.exc is not None:
                        v.exc = None
            else:
                for v in op.writes:
                    v.exc = err
                if not skipped:     # a skipped op passes on an error already counted
                    self._errors[id(err)] = err
            on_complete(op, ready)
            op.state = DONE
            op.fn = None        # drop closures (and the buffers they hold) at once
            pool = op.pool
            pool.busy -= 1
            pool.pending -= 1
            if op.nbytes:
                pool.nbytes -= op.nbytes
            self._pending -= 1
            for nxt in ready:
                self._enqueue(nxt, nxt.pool)
            if op.waiters:
                for w in op.waiters:
                    w.release()
                op.waiters = None
            if self._throttle_waiters:
                for w in self._throttle_waiters:
                    w.release()
                self._throttle_waiters = []
            if self._all_done and self._pending == 0:
                for w in self._all_done:
                    w.release()
                self._all_done = []
        finally:
            lock.release()

    # ------------------------------------------------------------------ waiting
    def _ready_blocker(self, op: Op, depth: int = 0) -> Op | None:
        """Lock held: a READY op that *op* (PENDING) is waiting behind, if any."""
        for vs in (op.reads, op.writes):
            for v in vs:
                w = v.writer
                if w is None or w is op:
                    continue
                if w.state == READY:
                    return w if w.device.inline_ok else None
                if w.state == PENDING and depth < 8:
                    found = self._ready_blocker(w, depth + 1)
                    if found is not None:
                        return found
        # blocked by readers (not tracked individually): help the device's oldest ready op
        heap = op.pool.heap
        while heap and heap[0][2].state != READY:
            _heappop(heap)
        if heap and op.device.inline_ok:
            return heap[0][2]
        return None

    def _wait_op(self, op: Op) -> None:
        lock = self._lock
        while True:
            lock.acquire()
            state = op.state
            if state == DONE:
                lock.release()
                return
            if state == READY and (self._inline_all or op.device.inline_ok):
                op.state = RUNNING     # claim it (see _claim)
                pool = op.pool
                pool.busy += 1
                heap = pool.heap
                if heap and heap[0][2] is op:
                    _heappop(heap)
                lock.release()
                self._execute(op)
                return
            target = self._ready_blocker(op) if state == PENDING else None
            if target is not None and self._claim(target):
                lock.release()
                self._execute(target)
                continue
            w = allocate_lock()
            w.acquire()
            if op.waiters is None:
                op.waiters = [w]
            else:
                op.waiters.append(w)
            lock.release()
            w.acquire()

    def _raise_var_error(self, var: Var) -> None:
        err = var.exc
        if err is not None:
            var.exc = None
            with self._lock:
                self._errors.pop(id(err), None)
            raise err

    def wait_for_var(self, var: Var) -> None:
        """Block until every write pushed to *var* so far is done (MXNet's WaitForVar);
        raise the var's stored error, once."""
        if var.__class__ is not Var or var.deleted:
            _bad_wait("wait_for_var", var)
        if _BULK.depth:
            _bulk.flush(self)
        op = var.last_write
        if op is not None:
            self._wait_op(op)
        if var.exc is not None:
            self._raise_var_error(var)

    def wait_to_write(self, var: Var) -> None:
        """Block until every read and write pushed to *var* so far is done."""
        if var.__class__ is not Var or var.deleted:
            _bad_wait("wait_to_write", var)
        if _BULK.depth:
            _bulk.flush(self)
        if not var.idle:
            barrier = Op(_noop, (), (var,), (), current_device(), 0, "wait_to_write")
            self._push_op(barrier)
            self._wait_op(barrier)
        if var.exc is not None:
            self._raise_var_error(var)

    def wait_all(self) -> None:
        """Block until every op pushed so far (by any thread) is done; raise the first
        error no sync point has raised yet, and forget the others."""
        self.drain()
        with self._lock:
            errors = self._errors
            self._errors = {}
        if errors:
            raise next(iter(errors.values()))

    def drain(self) -> None:
        """Block until nothing is pending, helping with ready work; raise nothing
        (errors stay pending)."""
        if _BULK.depth:
            _bulk.flush(self)
        lock = self._lock
        while True:
            lock.acquire()
            if self._pending == 0:
                lock.release()
                return
            target = None
            for pool in self._all_pools():
                if not (pool.device.inline_ok or self._inline_all):
                    continue
                heap = pool.heap
                while heap and heap[0][2].state != READY:
                    _heappop(heap)
                if heap:
                    target = heap[0][2]
                    break
            if target is not None and self._claim(target):
                lock.release()
                self._execute(target)
                continue
            w = allocate_lock()
            w.acquire()
            self._all_done.append(w)
            lock.release()
            w.acquire()

    def _throttle(self, pool: Pool) -> None:
        """Backpressure: too much pending on *pool*; help or wait until below the bound."""
        if threading.get_ident() in self._worker_threads:
            return  # an op pushing more work must not wait on its own pool
        lock = self._lock
        counted = False
        while True:
            lock.acquire()
            if pool.pending <= self.max_pending_ops and pool.nbytes <= self.max_pending_bytes:
                lock.release()
                return
            if not counted:
                pool.throttled += 1
                counted = True
            heap = pool.heap
            while heap and heap[0][2].state != READY:
                _heappop(heap)
            if heap and pool.device.inline_ok:
                target = heap[0][2]
                if self._claim(target):
                    lock.release()
                    self._execute(target)
                    continue
            w = allocate_lock()
            w.acquire()
            self._throttle_waiters.append(w)
            lock.release()
            w.acquire()

    def _all_pools(self) -> list[Pool]:
        return list(self._pools.values()) + list(self._copy_pools.values())

    def _record_error(self, err: BaseException) -> None:
        with self._lock:
            self._errors[id(err)] = err  # type: ignore[assignment]

    # ------------------------------------------------------------------ introspection
    def statistics(self) -> dict[str, Any]:
        with self._lock:
            devices = {}
            for pool in self._all_pools():
                devices[pool.label] = {
                    "pending": pool.pending,
                    "ready": pool.ready_count(),
                    "running": pool.busy,
                    "workers": len(pool.threads),
                    "busy_workers": min(pool.busy, len(pool.threads)) if pool.threads else 0,
                    "idle_workers": len(pool.idle),
                    "pending_bytes": pool.nbytes,
                    "pushed": pool.pushed,
                    "completed": pool.pushed - pool.pending,
                    "throttled_pushes": pool.throttled,
                    "copy": pool.is_copy,
                }
            pushed = sum(p.pushed for p in self._all_pools())
            return {
                "engine": self.kind,
                "pending": self._pending,
                "pushed": pushed,
                "completed": pushed - self._pending,
                "errors_pending": len(self._errors),
                "max_pending_ops": self.max_pending_ops,
                "max_pending_bytes": self.max_pending_bytes,
                "devices": devices,
            }

    def set_bound(self, max_pending_ops: int | None = None,
                  max_pending_bytes: int | None = None) -> None:
        if max_pending_ops is not None:
            if max_pending_ops < 1:
                raise ValueError(f"max_pending_ops must be >= 1, got {max_pending_ops}")
            self.max_pending_ops = int(max_pending_ops)
        if max_pending_bytes is not None:
            if max_pending_bytes < 1:
                raise ValueError(f"max_pending_bytes must be >= 1, got {max_pending_bytes}")
            self.max_pending_bytes = int(max_pending_bytes)

    # ------------------------------------------------------------------ lifetime
    def shutdown(self, timeout: float = 30.0) -> None:
        """Finish in-flight work (bounded by *timeout*), quietly; used at exit."""
        self._shutdown = True
        done = threading.Event()

        def drain() -> None:
            try:
                self.drain()
            except BaseException:
                pass
            done.set()

        t = threading.Thread(target=drain, name="ndengine-exit-drain", daemon=True)
        t.start()
        done.wait(timeout)


def _default_byte_bound() -> int:
    """Default bound on output bytes pending per device: 1/8 of physical memory."""
    from ..base import env_str

    value = env_str("NDENGINE_MAX_PENDING_BYTES")
    if value:
        return int(float(value))
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 << 30
    return max(256 << 20, total // 8)


