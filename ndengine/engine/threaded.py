"""ThreadedEngine: worker pools per device, copy workers, priorities, helping waiters.

Design notes
------------
* One lock (``self._lock``) guards every var, op and queue.  All state changes are the
  pure functions of :mod:`.state`; this module only decides where ready ops run.  The
  lock is never held while an op's callable runs, so completion dispatches outside it.
* Each device gets a compute pool and a copy pool (``push(..., copy=True)``), created
  on first use, each with its own worker threads; so copies overlap computation.
* A pool's ready queue: a FIFO deque for priority-0 ops (nearly all) and a heap ordered
  by ``(-priority, push order)`` for the others; positive priorities run before the
  FIFO, negative ones after it.  Priorities only order *ready* ops; they never reorder
  the ops of one var.
* A push takes no lock: the op joins a lock-free inbox (a deque, appended in push
  order) and a parked worker of its device is woken.  Whoever takes the lock next — a
  worker between two ops, or a front-end thread at a sync point — registers the inbox
  in order.  So the front end never blocks on the engine lock while issuing work, which
  under the GIL would otherwise convoy it with the workers (a context switch per op).
* Idle workers park on a private lock; a push or a completion that readies an op on
  their device wakes one.
* A waiting thread helps instead of sleeping: if the op it waits for (or, failing
  that, the op holding one of its vars, or the oldest ready op of its device) is ready
  but not started, it claims and runs it itself.  Synchronous-style code then runs
  every op in the calling thread, with no thread hand-off at all.  Claimed ops stay in
  the ready queue and are skipped when popped (lazy deletion).
* Errors: an op that raises stores an :class:`OpError` on every var it writes; an op
  that reads (or read-writes) a poisoned var is skipped and poisons its writes with the
  same error.  Each error is delivered once: the first sync point that meets it
  raises it and it stops being pending, so ``wait_all`` (which raises the first
  error no sync point has raised yet, and forgets the rest) will not raise it again.
  A failed var keeps its error, though — it has no value — so sync points on it keep
  raising and readers keep being skipped, until a successful write clears it.
* Small elementwise ops (outputs of 2-64 KB, pushed by the array layer through
  :meth:`ThreadedEngine.push_unchecked`) wake no worker: they run when a thread next
  waits (it runs them itself) or when a worker is woken for other work; a thread
  about to sleep wakes the workers first, so nothing waits on them.  With the GIL, a
  worker woken for a 3 us kernel costs more than it saves.  Mid-size elementwise ops
  (up to 1 MB of output) do the same when their device has nothing else pending —
  code that waits for each result then pays no thread hand-off; the next push wakes
  a worker.
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
from collections import deque
from typing import Any, Callable, Iterable

from ..base import EngineInternalError, OpError, env_int
from ..device import Device, DeviceError, current_device
from ..device.blas import cores as _cores
from ..device.sharing import SHARING as _SHARING
from . import bulk as _bulk
from .hooks import HOOKS

_BULK = _bulk.STATE
_BULK_ACTIVE = _bulk.ACTIVE
from .state import normalize, on_complete, on_push
from .var import DONE, PENDING, READY, RUNNING, Op, Var

__all__ = ["ThreadedEngine"]

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_heappush = heapq.heappush
_heappop = heapq.heappop
_perf = time.perf_counter
_sleep = time.sleep
# Pushes whose outputs are at least this large count their bytes as they join the
# lock-free inbox, and once the inbox holds _UNREGISTERED_BYTES of them (or they would
# take the device past its byte bound) the pushing thread registers the inbox under the
# lock and checks the bound: the bound is exceeded by at most that much.  Smaller ones
# may lag in the inbox until the next lock holder drains it.  (Each such push used to
# take the lock and register itself: pushing a 200x200 sin took 2.8 us, now 2.4 —
# time in which the workers wait for the GIL the front end holds.)
_LARGE_OUTPUT_BYTES = 64 << 10
_UNREGISTERED_BYTES = 16 << 20
# NumPy releases the GIL inside a ufunc loop of more than 500 elements: from about this
# many output bytes on, a worker woken for a small op hands the GIL back and forth
_LAZY_MIN_BYTES = 2048
# ... and up to this many output bytes, an elementwise op pushed to an idle device is
# left for the thread that next waits (see push_unchecked)
_LAZY_MAX_BYTES = 1 << 20


_getframe = sys._getframe
_internal_code: dict[int, bool] = {}   # id(code object) -> defined inside ndengine?


def push_site(depth: int = 2) -> tuple[Any, int] | None:
    """``(code, lasti)`` of the first frame outside the ndengine package, starting
    *depth* frames up (0 is this function, 1 its caller...).  Cheap: no line number is
    computed (:func:`format_site` does that when needed).  Callers that know how deep
    the user's frame is pass that depth, since each frame walked past costs a frame
    object."""
    try:
        f = _getframe(depth)
    except ValueError:          # a shallower stack than expected
        f = _getframe(1)
    while f is not None:
        c = f.f_code
        internal = _internal_code.get(id(c))
        if internal is None:
            internal = _internal_code[id(c)] = c.co_filename.startswith(_PKG_DIR)
        if not internal:
            return (c, f.f_lasti)
        f = f.f_back
    return None


def site_location(site: Any) -> tuple[str, int] | None:
    """``(filename, line)`` of a push site."""
    if site is None:
        return None
    code, lasti = site
    line = code.co_firstlineno
    for start, end, ln in code.co_lines():
        if start <= lasti < end and ln is not None:
            line = ln
            break
    return (code.co_filename, line)


def format_site(site: Any) -> str:
    loc = site_location(site)
    if loc is None:
        return "<unknown>"
    return f"{loc[0]}:{loc[1]}"


def _noop() -> None:
    return None


def _bad_vars(arg: str, vs: tuple[Any, ...]) -> None:
    for i, v in enumerate(vs):
        if v.__class__ is not Var:
            raise TypeError(f"push: {arg}[{i}] must be a Var (engine.new_var()), "
                            f"got {type(v).__name__}")
        if v.deleted:
            raise ValueError(f"push: {arg}[{i}] ({v!r}) was deleted")


def _bad_sequences(reads: Any, writes: Any) -> None:
    """*reads* or *writes* is not a sequence of Vars (normalize could not take it)."""
    for arg, vs in (("reads", reads), ("writes", writes)):
        if vs.__class__ is Var:
            raise TypeError(f"push: {arg} must be a sequence of Vars, got a single Var "
                            f"(write {arg}=[v])")
        try:
            vs = tuple(vs)
        except TypeError:
            raise TypeError(f"push: {arg} must be a sequence of Vars, got "
                            f"{type(vs).__name__}") from None
        _bad_vars(arg, vs)


def _bad_wait(fname: str, var: Any) -> None:
    if var.__class__ is not Var:
        raise TypeError(f"{fname}: expected a Var, got {type(var).__name__}")
    raise ValueError(f"{fname}: {var!r} was deleted; nothing to wait for")


class Pool:
    """The ready queue and worker threads of one device (compute or copy)."""

    __slots__ = ("device", "is_copy", "fifo", "heap", "idle", "threads", "nworkers", "busy",
                 "pending", "nbytes", "pushed", "throttled", "label", "order", "window",
                 "window_bytes", "started_bytes", "held", "window_blocked", "lazy_ok",
                 "lazy_ready", "finish")

    def __init__(self, device: Device, is_copy: bool) -> None:
        self.device = device
        self.is_copy = is_copy
        self.fifo: deque[Op] = deque()                # ready, priority 0
        self.heap: list[tuple[int, int, Op]] = []     # ready, other priorities
        self.idle: list[Any] = []          # parked workers' wake locks
        self.threads: list[threading.Thread] = []
        self.nworkers = device.num_copy_workers if is_copy else device.num_workers
        self.busy = 0                      # ops running on this pool's workers or inline
        self.pending = 0                   # pushed, not completed
        self.nbytes = 0                    # output bytes of pending ops
        self.pushed = 0
        self.throttled = 0                 # pushes that had to wait for the bound
        self.label = f"{device}/copy" if is_copy else str(device)
        self.order: deque[Op] = deque()    # registered ops in push order (done ones lag)
        self.window = 0                    # run-ahead window in ops (set by the engine)
        self.window_bytes = 0              # ... and in output bytes (set by the engine)
        self.started_bytes = 0             # output bytes of started ops still in `order`
        self.held = 0                      # times a worker left an op for the window
        self.window_blocked = False        # a worker parked with ready ops beyond it
        # small ops pushed without waking a worker (see ThreadedEngine.push_unchecked):
        # allowed where a waiting thread may run ops itself; one may be queued now
        self.lazy_ok = (not is_copy) and device.inline_ok
        self.lazy_ready = False
        # a GPU: an op's callable only queues kernels; it is done when Device.finish_op
        # (its stream's event) returns, and only then may the engine complete it
        self.finish = device.needs_finish

    def oldest(self) -> Op | None:
        """Lock held: this pool's oldest unfinished op.  (Invariant: ``order[0]`` is never
        done — completion pops finished ops off the front at once.)"""
        order = self.order
        return order[0] if order else None

    def start(self, op: Op) -> None:
        """Lock held: *op* (READY) is about to run in some thread."""
        op.state = RUNNING
        self.busy += 1
        self.started_bytes += op.nbytes

    def allowed(self, op: Op, oldest: Op) -> bool:
        """Lock held: may READY *op* start, given the pool's oldest unfinished op?

        Ops become ready out of push order, so the queue's head may lie beyond the
        window while the op everything waits for sits behind it.  The pool's oldest
        unfinished op is therefore always allowed: all ops pushed before it on this
        pool are done, so if it is not READY it waits only on other pools (whose own
        oldest ops are allowed in turn) or is running.  That keeps the window free of
        deadlock: the globally oldest unfinished op can always run.  Others must lie
        within ``window`` ops of it, and the outputs of the ops started ahead of it
        must stay within ``window_bytes`` (one op may always run ahead, however large,
        so big independent ops still run in parallel)."""
        if op is oldest:
            return True
        if op.seq - oldest.seq >= self.window:
            return False
        ahead = self.started_bytes - (oldest.nbytes if oldest.state == RUNNING else 0)
        return ahead <= 0 or ahead + op.nbytes <= self.window_bytes

    def peek_within_window(self) -> Op | None:
        """Lock held: the next READY op the window allows (see :meth:`allowed`), left in
        place; failing the queue's head, the oldest unfinished op if it is READY."""
        op = self.peek()
        if op is None:
            return None
        order = self.order
        oldest = order[0] if order else op
        if self.allowed(op, oldest):
            return op
        if oldest.state == READY:
            return oldest
        self.held += 1
        self.window_blocked = True
        return None

    def take_next(self) -> Op | None:
        """Lock held: remove, start and return the next READY op the window allows."""
        fifo = self.fifo
        if not self.heap:          # the common case, inlined: FIFO head within window
            while fifo:
                op = fifo[0]
                if op.state != READY:
                    fifo.popleft()          # claimed by a waiting thread meanwhile
                    continue
                oldest = self.order[0]
                if op is not oldest:            # self.allowed(op, oldest), inlined
                    if op.seq - oldest.seq >= self.window:
                        break
                    ahead = self.started_bytes
                    if oldest.state == RUNNING:
                        ahead -= oldest.nbytes
                    if ahead > 0 and ahead + op.nbytes > self.window_bytes:
                        break
                fifo.popleft()
                op.state = RUNNING
                self.busy += 1
                self.started_bytes += op.nbytes
                if self.lazy_ready and not fifo:
                    self.lazy_ready = False
                return op
        op = self.peek_within_window()
        if op is not None:
            self.forget(op)
            self.start(op)
        return op

    def ready_count(self) -> int:
        return (sum(1 for op in self.fifo if op.state == READY)
                + sum(1 for _, _, op in self.heap if op.state == READY))

    def take(self) -> Op | None:
        """Lock held: remove and return the next READY op (dropping claimed ones)."""
        heap = self.heap
        fifo = self.fifo
        while True:
            if heap and (heap[0][0] < 0 or not fifo):
                op = _heappop(heap)[2]
            elif fifo:
                op = fifo.popleft()
            else:
                return None
            if op.state == READY:
                return op

    def peek(self) -> Op | None:
        """Lock held: the next READY op, left in place (claimed ones are dropped)."""
        heap = self.heap
        fifo = self.fifo
        while True:
            if heap and (heap[0][0] < 0 or not fifo):
                op = heap[0][2]
                if op.state == READY:
                    return op
                _heappop(heap)
            elif fifo:
                op = fifo[0]
                if op.state == READY:
                    return op
                fifo.popleft()
            else:
                return None

    def forget(self, op: Op) -> None:
        """Lock held: *op* was claimed by a waiting thread; drop it if it is at the front."""
        if op.priority == 0:
            if self.fifo and self.fifo[0] is op:
                self.fifo.popleft()
        elif self.heap and self.heap[0][2] is op:
            _heappop(self.heap)


class ThreadedEngine:
    kind = "threaded"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inbox: deque[Op] = deque()   # pushed, not yet registered (lock-free)
        self._pools: dict[Device, Pool] = {}
        self._copy_pools: dict[Device, Pool] = {}
        self._devices_ok: set[Device] = set()
        self._pending = 0
        self._seq = 0
        self._unregistered = 0             # output bytes of large ops in the inbox
        # vars holding an error (Var.exc): while 0, ops skip their poison checks
        self._poisoned = 0
        self._all_done: list[Any] = []
        self._throttle_waiters: list[Any] = []
        self._errors: dict[int, OpError] = {}
        self._shutdown = False
        self._worker_threads: set[int] = set()
        self.max_pending_ops = env_int("NDENGINE_MAX_PENDING_OPS", default=4096)
        # Workers start an op only if it was pushed at most this many ops after the
        # oldest unfinished op of its pool: independent producers (the next batches'
        # random inputs, say) cannot run far ahead of their consumers and fill memory.
        self.run_ahead = env_int("NDENGINE_RUN_AHEAD", default=256)
        # ... and only while the outputs of the ops started ahead of that oldest op
        # total at most this many bytes (one op may always run ahead).  The seed's
        # training loop without its barrier: peak RSS growth 47-51 MB with 16 MB here,
        # 39.5 MB with 4 MB (with the barrier 33-54 MB), at the same epoch time.
        self.run_ahead_bytes = env_int("NDENGINE_RUN_AHEAD_BYTES", default=4 << 20)
        self.max_pending_bytes = _default_byte_bound()
        self._ncores = _cores()
        # With partitioned CPU sharing (ndengine.device.sharing), a CPU worker that
        # finds no ready op while its pool has ops waiting on others (a copy waiting
        # for the product it copies, say) polls this long before it parks: waking a
        # parked thread costs waker and woken some 20-30 us on this 2-vCPU machine (a
        # futex, an idle vCPU, the GIL hand-off), more than a 200x200 copy.  The
        # chapter's run-and-copy on cpu(1) -> cpu(0): 41.1 ms parking, 36.9 polling
        # (run alone 30, copies alone 4; medians of 4 fresh processes).  Not under
        # adaptive sharing: there the idle core belongs to the BLAS threads of the
        # running product, and polling beside them made the same loop 33 -> 44 ms.
        self.spin_s = env_int("NDENGINE_WORKER_SPIN_US", default=200) / 1e6
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
        if _BULK_ACTIVE[0] and _BULK.depth:
            _bulk.flush(self)   # the deletion follows the ops buffered before it
        self._push_op(Op(on_delete or _noop, (), (var,), (), current_device(), 0,
                         "delete_var"))

    # ------------------------------------------------------------------ push
    def push(self, fn: Callable[[], Any], reads: Iterable[Var] = (), writes: Iterable[Var] = (),
             device: Device | None = None, priority: int = 0, name: str | None = None,
             copy: bool = False, nbytes: int = 0, info: Any = None,
             site: Any = None) -> Op:
        """Schedule ``fn()`` after every earlier op that writes one of *reads* or
        touches one of *writes*.  Returns at once.  *site* is where the op was pushed
        from (see :func:`push_site`); taken here when not given."""
        if not callable(fn):
            raise TypeError(f"push: fn must be callable, got {type(fn).__name__}")
        if (writes.__class__ is tuple and len(writes) == 1 and reads.__class__ is tuple
                and (not reads or (len(reads) == 1 and reads[0] is not writes[0]))):
            rw = ()          # the common case: nothing to deduplicate
        else:
            try:
                reads, writes, rw = normalize(reads, writes)
            except TypeError:
                _bad_sequences(reads, writes)
                raise
        for v in reads:
            if v.__class__ is not Var or v.deleted:
                _bad_vars("reads", reads)
        for v in writes:
            if v.__class__ is not Var or v.deleted:
                _bad_vars("writes", writes)
        if device is None:
            device = current_device()
        elif device.__class__ is not Device:
            self._check_device(device)      # raises, naming the argument
        if device not in self._devices_ok:
            self._check_device(device)
        if priority.__class__ is not int:
            raise TypeError(f"push: priority must be an int, got {priority!r}")
        op = Op(fn, reads, writes, rw, device, priority,
                name or getattr(fn, "__name__", "op"), copy, nbytes, info)
        if site is not None:
            op.pushed_at = site
        elif self.track_push_site:
            op.pushed_at = push_site(2)
        if _BULK_ACTIVE[0] and _BULK.depth:
            return _bulk.add(self, op)
        return self._push_op(op)

    def push_unchecked(self, fn: Callable[[], Any], reads: tuple[Var, ...],
                       writes: tuple[Var, ...], device: Device, name: str, nbytes: int,
                       site: Any, lazy: bool = True) -> Op:
        """:meth:`push` for callers that already guarantee what it checks (the array
        layer): *reads* and *writes* are tuples of live, distinct Vars with no var in
        both, *device* a Device; priority 0, not a copy.  It saves about a microsecond
        per op: the hot path of every array op.  *lazy* False: the op's work is not
        told by its output size (a product, a reduction), so it always wakes a worker."""
        op = Op(fn, reads, writes, (), device, 0, name, False, nbytes, None)
        op.pushed_at = site
        if _BULK_ACTIVE[0] and _BULK.depth:
            return _bulk.add(self, op)
        pool = self._pools.get(device)
        if pool is None or HOOKS.active or self._inline_all:
            return self._push_op(op)
        large = nbytes >= _LARGE_OUTPUT_BYTES
        if (large and lazy and nbytes <= _LAZY_MAX_BYTES and pool.lazy_ok
                and not pool.pending and not self._inbox):
            # A mid-size elementwise op pushed while its device has nothing else to
            # do: likely code that waits for each result (``y.asnumpy()`` after each
            # op).  The waiting thread runs it instead of a woken worker — the
            # hand-off cost 25-30 us here.  A stream of such ops wakes a worker at
            # its second push (then pending > 0).  2000 x tanh on 300x300, each
            # waited for: 55.6 -> 34.3 us each (NumPy 25); all pushed, then
            # waitall: 26.9 -> 25.7 us.
            op.lazy = True
            return self._push_op(op, False)
        op.pool = pool                      # _push_op, inlined for the common case
        inbox = self._inbox
        inbox.append(op)
        idle = pool.idle
        if idle:
            # A small op (output under _LARGE_OUTPUT_BYTES, on a device whose ops a waiting
            # thread may run) wakes no worker: the thread that next waits runs it itself,
            # and a worker woken for it would only contend for the GIL.  10,000 100x100
            # tanh: 13.6 -> 8.4 us each waited for, 11.4 -> 8.2 us pushed then waitall.
            # Any thread about to sleep wakes the workers first (_wake_lazy), and a
            # larger op's push wakes one, which then takes the small ones too.
            # Tinier ops (a few hundred elements) keep the wake: NumPy holds the GIL
            # through them, so a worker running them beside the pushing thread costs
            # no hand-off and keeps a long stream flowing (10,000 pushed y = x + 1 on
            # a 1x2 array: 4.3 us each with the wake, 5.1-5.6 without).
            if lazy and not large and pool.lazy_ok and nbytes >= _LAZY_MIN_BYTES:
                op.lazy = True
                pool.lazy_ready = True
            else:
                pool.lazy_ready = False
                try:
                    idle.pop().release()
                except IndexError:
                    pass
        if large:
            self._large_pushed(op, pool)
        elif pool.pending + len(inbox) > self.max_pending_ops or \
                pool.nbytes + self._unregistered > self.max_pending_bytes:
            self._throttle(pool)
        return op

    def _check_device(self, device: Any) -> None:
        if device.__class__ is not Device:
            raise TypeError(f"push: device must be a Device such as cpu(0), got {device!r}")
        device.check_available()
        self._devices_ok.add(device)

    def _push_op(self, op: Op, wake: bool = True) -> Op:
        """Hand *op* to the engine without taking the lock: it joins the inbox, which the
        next thread to take the lock (a worker, or a waiting front end) registers in
        push order.  A parked worker of the op's device is woken (unless *wake* is
        False: a lazy op, see push_unchecked)."""
        dev = op.device
        pool = (self._copy_pools if op.copy else self._pools).get(dev)
        if pool is None:
            with self._lock:
                pool = (self._copy_pools if op.copy else self._pools).get(dev)
                if pool is None:
                    pool = self._new_pool(dev, op.copy)
        op.pool = pool
        if HOOKS.active:
            op.t_push = _perf()
            HOOKS.push(op)
        inbox = self._inbox
        inbox.append(op)
        idle = pool.idle
        if idle:
            if not wake:
                pool.lazy_ready = True
            else:
                try:
                    w = idle.pop()
                except IndexError:
                    pass
                else:
                    w.release()
        if op.nbytes >= _LARGE_OUTPUT_BYTES:
            self._large_pushed(op, pool)
        elif pool.pending + len(inbox) > self.max_pending_ops or \
                pool.nbytes + self._unregistered > self.max_pending_bytes:
            self._throttle(pool)
        return op

    def _large_pushed(self, op: Op, pool: Pool) -> None:
        """*op*, of a large output, has joined the inbox: count its bytes (racing
        pushers may lose an increment, a drain resets the count: it is off by an op at
        most); past _UNREGISTERED_BYTES, or past the device's byte bound, register the
        inbox now and apply the bounds."""
        unregistered = self._unregistered = self._unregistered + op.nbytes
        if unregistered >= _UNREGISTERED_BYTES or \
                pool.nbytes + unregistered > self.max_pending_bytes:
            lock = self._lock
            lock.acquire()
            self._drain_locked()
            over = pool.nbytes > self.max_pending_bytes or \
                pool.pending > self.max_pending_ops
            lock.release()
            if over:
                self._throttle(pool)
        elif pool.pending + len(self._inbox) > self.max_pending_ops:
            self._throttle(pool)

    def _drain_locked(self) -> None:
        """Lock held: register the inbox's ops, in push order (see :func:`.state.on_push`)."""
        inbox = self._inbox
        popleft = inbox.popleft
        seq = self._seq
        n = 0
        naive = self._inline_all
        while inbox:
            op = popleft()
            seq += 1
            n += 1
            op.seq = seq
            pool = op.pool
            pool.order.append(op)
            pool.pending += 1
            pool.pushed += 1
            if op.nbytes:
                pool.nbytes += op.nbytes
            if on_push(op):
                if op.priority or naive:
                    self._enqueue(op, pool)
                else:                       # _enqueue, inlined
                    op.state = READY
                    pool.fifo.append(op)
                    if pool.idle:
                        if op.lazy:
                            pool.lazy_ready = True     # woken by _wake_lazy if need be
                        else:
                            pool.idle.pop().release()
        self._seq = seq
        self._pending += n
        self._unregistered = 0

    def _wake_lazy(self) -> None:
        """Lock held, before a thread sleeps: wake a worker for each pool whose small ops
        were queued without one (see push_unchecked)."""
        for pool in self._pools.values():
            if pool.lazy_ready:
                pool.lazy_ready = False
                if pool.idle and (pool.fifo or pool.heap):
                    pool.idle.pop().release()

    def _new_pool(self, device: Device, is_copy: bool) -> Pool:
        if device not in self._devices_ok:
            self._check_device(device)
        pool = Pool(device, is_copy)
        pool.window = self.run_ahead
        pool.window_bytes = self.run_ahead_bytes
        (self._copy_pools if is_copy else self._pools)[device] = pool
        self._start_workers(pool)
        return pool

    def _start_workers(self, pool: Pool) -> None:
        try:
            pool.device.before_workers()
        except Exception as e:  # a failing hook must not keep the pool from starting
            err = EngineInternalError(f"before_workers of {pool.label} failed: {e!r}")
            self._errors[id(err)] = err
        for i in range(pool.nworkers):
            t = threading.Thread(target=self._worker, args=(pool, i),
                                 name=f"ndengine-{pool.label}-{i}", daemon=True)
            pool.threads.append(t)
            t.start()

    def _enqueue(self, op: Op, pool: Pool) -> None:
        """Lock held: *op* is ready; queue it and wake a parked worker."""
        op.state = READY
        if op.priority == 0:
            pool.fifo.append(op)
        else:
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
        inbox = self._inbox
        done: Op | None = None        # ran, to be completed in the next locked section
        err: BaseException | None = None
        skipped = False
        cpu_worker = pool.device.device_type == "cpu"
        cpu_compute = cpu_worker and not pool.is_copy
        spin = self.spin_s if cpu_worker else 0.0
        spun = False
        while True:
            try:
                lock.acquire()
                if done is not None:
                    # completing the last op and taking the next share one lock section:
                    # half the lock traffic, so fewer convoys with the front end's GIL
                    d, done = done, None
                    self._complete_locked(d, err, skipped)
                if inbox:
                    self._drain_locked()
                op = pool.take_next()
                if op is None:
                    if (spin and not spun and _SHARING.partitioned and pool.pending > pool.busy
                            and not pool.window_blocked):
                        # this pool's next ops wait on others now running: poll briefly
                        # instead of parking (see ThreadedEngine.spin_s)
                        lock.release()
                        spun = True
                        self._spin(pool, inbox, spin)
                        continue
                    spun = False
                    if self._all_done and cpu_compute and self._ready_elsewhere(pool):
                        # this core goes idle while another device has ready ops its
                        # busy workers cannot start: a thread asleep in waitall may
                        # take them now (it looks again, and helps if a core is free).
                        # Not for copy workers: they idle between every two copies.
                        self._all_done.pop().release()
                    # park; but a push that raced in after the drain above may have seen
                    # no idle worker, so look at the inbox once more after listing us
                    pool.idle.append(wake)
                    if inbox:
                        try:
                            pool.idle.remove(wake)
                        except ValueError:
                            pass   # already popped and released: the next park returns
                        lock.release()
                        continue
                    lock.release()
                    wake.acquire()
                    continue
                lock.release()
                spun = False
                err, skipped = self._run(op)
                done = op
            except BaseException as e:  # the worker never dies
                if lock.locked():
                    try:
                        lock.release()
                    except RuntimeError:
                        pass
                self._record_error(EngineInternalError(f"worker {pool.label}-{index}: {e!r}"))

    def _ready_elsewhere(self, idle_pool: Pool) -> bool:
        """Lock held: has a CPU compute pool other than *idle_pool* ready ops and no
        parked worker to take them?"""
        for p in self._pools.values():
            if p is not idle_pool and (p.fifo or p.heap) and not p.idle \
                    and p.device.device_type == "cpu":
                return True
        return False

    @staticmethod
    def _spin(pool: Pool, inbox: Any, seconds: float) -> None:
        """Poll (lock-free reads, the GIL released between them) until *pool* has a
        ready op, a push arrives, or *seconds* pass."""
        end = _perf() + seconds
        while not (pool.fifo or pool.heap or inbox):
            _sleep(0)
            if _perf() > end:
                return

    def _cores_free(self) -> bool:
        """Lock held: are fewer CPU ops running (over every CPU device's compute
        workers and helping threads) than there are cores?  A waiting thread helps
        with CPU work only then: when the workers already keep every core busy, one
        more thread computing only adds contention (two devices' workers and a front
        end helping at ``waitall`` ran the chapter's two-device workload at 0.6-1.0x
        the speed of the workers alone)."""
        n = 0
        for p in self._pools.values():
            if p.device.device_type == "cpu":
                n += p.busy
        for p in self._copy_pools.values():
            if p.device.device_type == "cpu":
                n += p.busy
        return n < self._ncores

    def _claim(self, op: Op, waited_for: bool = False) -> bool:
        """Lock held: take a READY op to run in this thread (a CPU op only while a core
        is free, see :meth:`_cores_free`, and, with partitioned CPU sharing, while
        fewer of its device's ops run than the device has cores).  *waited_for*: the
        op this thread waits for, which it may always run if it is a copy, and beyond
        its device's share."""
        if op.state != READY:
            return False
        pool = op.pool
        # (never for the naive engine: with no workers, waiting threads are the only
        # ones that can run an op)
        if pool.device.device_type == "cpu" and not self._inline_all:
            if waited_for:
                if not pool.is_copy and not self._cores_free():
                    return False
            elif not self._cores_free() or (_SHARING.partitioned and not pool.is_copy
                                            and pool.busy >= _SHARING.budget):
                return False
        pool.start(op)
        pool.forget(op)
        if pool.lazy_ready and not pool.fifo and not pool.heap:
            pool.lazy_ready = False
        return True

    def _execute(self, op: Op) -> None:
        """Run a claimed op in this thread, then complete it."""
        err, skipped = self._run(op)
        lock = self._lock
        lock.acquire()
        try:
            self._complete_locked(op, err, skipped)
        finally:
            lock.release()

    def _run(self, op: Op) -> tuple[BaseException | None, bool]:
        """Call a claimed op's callable, unless one of its inputs is poisoned.
        Returns ``(error, skipped)``."""
        err: BaseException | None = None
        if self._poisoned:
            for v in op.reads:
                if v.exc is not None:
                    err = v.exc
                    break
            else:
                for v in op.rw:
                    if v.exc is not None:
                        err = v.exc
                        break
        skipped = err is not None
        hooks = HOOKS.active
        if hooks:
            op.t_start = _perf()
            op.thread = threading.current_thread().name
            HOOKS.start(op)
        if err is None:
            try:
                if op.pool.finish:
                    dev = op.device
                    dev.run_op(op.fn)
                    dev.finish_op()
                else:
                    op.fn()
            except BaseException as e:
                sub = getattr(e, "_ndengine_op", None) or op   # the failing op of a bulk
                err = OpError(sub.name, format_site(sub.pushed_at), e)
        if hooks:
            op.t_end = _perf()
            HOOKS.end(op, err)
        return err, skipped

    def _complete_locked(self, op: Op, err: BaseException | None, skipped: bool) -> None:
        """Lock held: release *op*'s vars, queue what became ready, wake waiters."""
        if err is None:
            if self._poisoned:
                for v in op.writes:
                    if v.exc is not None:
                        v.exc = None
                        self._poisoned -= 1
        else:
            for v in op.writes:
                if v.exc is None:
                    self._poisoned += 1
                v.exc = err
            if not skipped:     # a skipped op passes on an error already counted
                self._errors[id(err)] = err
        ready: list[Op] = []
        on_complete(op, ready)
        op.state = DONE
        op.fn = None        # drop closures (and the buffers they hold) at once
        pool = op.pool
        pool.busy -= 1
        pool.pending -= 1
        order = pool.order
        if order[0] is op:  # forget finished ops at once (ops run by waiting threads
            order.popleft()  # never pass through a worker's window check)
            pool.started_bytes -= op.nbytes
            while order and order[0].state == DONE:
                pool.started_bytes -= order.popleft().nbytes
        if op.nbytes:
            pool.nbytes -= op.nbytes
        self._pending -= 1
        if ready:
            naive = self._inline_all
            for nxt in ready:
                npool = nxt.pool
                if nxt.priority or naive:
                    self._enqueue(nxt, npool)
                else:                       # _enqueue, inlined
                    nxt.state = READY
                    npool.fifo.append(nxt)
                    if npool.idle:
                        npool.idle.pop().release()
        if op.waiters:
            for w in op.waiters:
                w.release()
            op.waiters = None
        if pool.window_blocked:
            # the window may have moved: a parked worker looks again, or else a thread
            # asleep in waitall that found the window full (it stayed asleep until
            # everything was done: 200 pushed 1000x1000 tanh then waitall ran on one
            # core in some rounds, 73 ms instead of 41)
            if pool.idle:
                pool.window_blocked = False
                pool.idle.pop().release()
            elif self._all_done:
                pool.window_blocked = False
                self._all_done.pop().release()
        if self._throttle_waiters:
            for w in self._throttle_waiters:
                w.release()
            self._throttle_waiters = []
        if self._all_done and self._pending == 0:
            for w in self._all_done:
                w.release()
            self._all_done = []

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
        if op.device.inline_ok:
            return op.pool.peek_within_window()
        return None

    def _wait_op(self, op: Op) -> None:
        self._lock.acquire()
        self._wait_op_locked(op)

    def _wait_op_locked(self, op: Op) -> None:
        """Called with the lock held; returns without it once *op* is done."""
        lock = self._lock
        first = True
        while True:
            if first:
                first = False
            else:
                lock.acquire()
            if self._inbox:
                self._drain_locked()
            state = op.state
            if state == DONE:
                lock.release()
                return
            if state == READY and (self._inline_all or op.device.inline_ok) and \
                    self._claim(op, waited_for=True):
                lock.release()
                self._execute(op)
                return
            target = self._ready_blocker(op) if state == PENDING else None
            if target is not None and self._claim(target):
                lock.release()
                self._execute(target)
                continue
            self._wake_lazy()
            w = allocate_lock()
            w.acquire()
            if op.waiters is None:
                op.waiters = [w]
            else:
                op.waiters.append(w)
            lock.release()
            w.acquire()

    def _raise_var_error(self, var: Var) -> None:
        """Raise *var*'s error.  It is then no longer pending (``wait_all`` will not
        raise it again), but the var keeps it: it has no valid value, so every later
        sync point on it raises it again and ops reading it are skipped, until a
        successful write gives it a value."""
        with self._lock:
            err = var.exc
            if err is None:
                return
            self._errors.pop(id(err), None)
        raise err

    def wait_for_var(self, var: Var) -> None:
        """Block until every write pushed to *var* so far is done (MXNet's WaitForVar);
        raise the var's stored error (see :meth:`_raise_var_error`)."""
        if var.__class__ is not Var or var.deleted:
            _bad_wait("wait_for_var", var)
        if _BULK_ACTIVE[0] and _BULK.depth:
            _bulk.flush(self)
        if self._inbox or var.last_write is not None:
            self._lock.acquire()
            if self._inbox:
                self._drain_locked()
            op = var.last_write
            if op is None:
                self._lock.release()
            else:
                self._wait_op_locked(op)
        if var.exc is not None:
            self._raise_var_error(var)

    def wait_to_write(self, var: Var) -> None:
        """Block until every read and write pushed to *var* so far is done."""
        if var.__class__ is not Var or var.deleted:
            _bad_wait("wait_to_write", var)
        if _BULK_ACTIVE[0] and _BULK.depth:
            _bulk.flush(self)
        if self._inbox:
            with self._lock:
                self._drain_locked()
        if not var.idle:
            # a read-write of the var: it waits for every read and write, and (being
            # skipped when the var has failed) leaves the var's error in place
            barrier = Op(_noop, (), (var,), (var,), current_device(), 0, "wait_to_write")
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
        if _BULK_ACTIVE[0] and _BULK.depth:
            _bulk.flush(self)
        lock = self._lock
        done: Op | None = None      # ran here, completed in the next locked section
        err: BaseException | None = None
        skipped = False
        while True:
            lock.acquire()
            if done is not None:
                # as in a worker: completing the last op and claiming the next share one
                # lock section (10,000 pushed 100x100 tanh, then waitall: 8.2-9.6 us
                # each before, 7.9-8.7 after)
                try:
                    self._complete_locked(done, err, skipped)
                finally:
                    done = None
            if self._inbox:
                self._drain_locked()
            if self._pending == 0:
                lock.release()
                return
            target = None
            for pool in self._all_pools():
                if not (pool.device.inline_ok or self._inline_all):
                    continue
                target = pool.peek_within_window()
                if target is not None:
                    break
            if target is not None and self._claim(target):
                lock.release()
                err, skipped = self._run(target)
                done = target
                continue
            self._wake_lazy()
            w = allocate_lock()
            w.acquire()
            self._all_done.append(w)
            lock.release()
            w.acquire()

    def _throttle(self, pool: Pool) -> None:
        """Backpressure: too much pending on *pool*; help or wait until it is down to half
        the bound (the hysteresis lets the next pushes through without a lock each, so a
        front end at the bound pays for throttling once per half-bound of ops)."""
        if threading.get_ident() in self._worker_threads:
            return  # an op pushing more work must not wait on its own pool
        lock = self._lock
        counted = False
        low_ops = self.max_pending_ops // 2
        low_bytes = self.max_pending_bytes // 2
        while True:
            lock.acquire()
            if self._inbox:
                self._drain_locked()
            if pool.pending <= low_ops and pool.nbytes <= low_bytes:
                lock.release()
                return
            if not counted:
                pool.throttled += 1
                counted = True
            target = pool.peek_within_window() if pool.device.inline_ok else None
            if target is not None:
                if self._claim(target):
                    lock.release()
                    self._execute(target)
                    continue
            self._wake_lazy()
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
    def cpu_devices_with_work(self, other_than: Device | None = None) -> int:
        """How many CPU devices (other than *other_than*) have compute ops pending
        (pushed, not finished), read without the lock: an estimate, for the BLAS
        thread policy (each BLAS push and kernel asks)."""
        n = 0
        for p in list(self._pools.values()):
            if (p.pending or p.busy) and p.device is not other_than \
                    and p.device.device_type == "cpu":
                n += 1
        return n

    def statistics(self) -> dict[str, Any]:
        with self._lock:
            if self._inbox:
                self._drain_locked()
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
                    "held_for_run_ahead": pool.held,
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
                "run_ahead": self.run_ahead,
                "run_ahead_bytes": self.run_ahead_bytes,
                "cpu_sharing": _SHARING.mode,
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


