"""The engine's whole algorithm: its state and every transition, with no threads or locks.

A driver (:mod:`.threaded`: worker threads and one lock; :mod:`.naive`: the caller's
thread) holds its lock around every call here except :meth:`Core.push`, and carries out
what each call returns.  Calls never block and never run an op's callable; they return
the *tokens to release* (parked threads to wake: anything with ``release()``, in the
threaded driver a private lock each thread sleeps on), the op to run, or a verdict.
Because nothing here needs a thread, ``tests/engine/test_state.py`` and
``tests/engine/test_steps.py`` drive it step by step.

What a thread does next is decided here too.  A worker asks :meth:`Core.worker_step`
(run this op, poll, stop, or park); every other waiting thread — a sync point
(:meth:`Core.wait_step`), ``waitall`` (:meth:`Core.drain_step`), backpressure
(:meth:`Core.throttle_step`), fork and exit (:meth:`Core.watch_step`,
:meth:`Core.running_step`) — asks its step in the driver's one waiting loop: done, a
claimed op to run in this thread, or the wait list to park on.  The drivers only carry
that out: take the lock, complete what they ran, register the inbox, ask, act.

The state (all of it)
---------------------
Per var (:class:`.var.Var`): the FIFO of requests and the grant rule — see :mod:`.state`
(reads share, writes serialize, in push order).  Per op (:class:`.var.Op`): ``state``
PENDING -> READY -> RUNNING -> DONE (and RUNNING -> READY again when the thread running
it in a waiting caller was interrupted, see :meth:`Core.requeue`), ``wait`` (vars not yet
granted), ``seq`` (push order), ``waiters`` (tokens of threads waiting for it), ``lazy``.

``Core``
    ``inbox``          pushed, not yet registered ops (a deque appended without the
                       lock, in push order; :meth:`register` takes them in order)
    ``pools``, ``copy_pools``  the :class:`Pool` of each device (compute / copy)
    ``pending``        ops registered and not completed, over all pools
    ``seq``            push counter
    ``unregistered``   output bytes of large ops still in the inbox
    ``poisoned``       vars holding an error (while 0, ops skip their poison checks)
    ``errors``         errors no sync point has raised yet (``id -> OpError``), in order
    ``drain_waiters``  tokens of threads waiting for ``pending == 0``
    ``hold``           no new op starts (workers and waiting threads claim nothing):
                       while a fork is prepared, and for good once exit has given up
                       on the work left (:meth:`start_hold`, :meth:`end_hold`)
    ``throttle_waiters`` tokens of threads waiting for backpressure to ease
    settings           ``max_pending_ops``/``max_pending_bytes`` (backpressure),
                       ``run_ahead``/``run_ahead_bytes`` (window), ``ncores``
    ``policies``       :class:`.policies.Policies`

``Pool`` (one device's compute or copy ops)
    ``fifo``/``heap``  READY ops (priority 0 / others by ``(-priority, seq)``); ops
                       claimed by a waiting thread stay in them and are skipped when
                       met (lazy deletion)
    ``order``          registered, unfinished ops in push order (finished ones at the
                       front are dropped at once: ``order[0]`` is never done)
    ``idle``           tokens of parked workers
    ``nworkers``       its workers (0: the naive driver; waiting threads run its ops)
    ``busy``/``pending``/``nbytes``  running / registered-unfinished ops / their bytes
    ``started_bytes``  output bytes of started ops still in ``order`` (window bytes)
    ``window_blocked`` a worker found ready ops beyond the window
    ``lazy_ready``     a lazy op was queued without waking a worker
    counters           ``pushed``, ``throttled``, ``held``

Errors
------
An op whose callable raises gets an :class:`.base.OpError` (:meth:`error_of`), stored on
every var it writes (:meth:`complete`); an op reading (or read-writing) a poisoned var is
skipped and passes the same error on (:meth:`poison_of`).  Each error is raised once: the
first sync point that meets it takes it out of ``errors`` (:meth:`raise_once`), and
``wait_all`` raises the first left and forgets the rest (:meth:`take_errors`).  A failed
var keeps its error (it has no value) until a successful write clears it.

Policies are named in :mod:`.policies`, where their measurements are; each is read here
at the one place that applies it.
"""
from __future__ import annotations

import heapq
from collections import deque
from typing import Any

from ..base import OpError
from .policies import (LARGE_OUTPUT_BYTES, LAZY_MAX_BYTES, LAZY_MIN_BYTES,
                       UNREGISTERED_BYTES, Policies)
from .state import on_complete, on_push
from .var import DONE, PENDING, READY, RUNNING, Op

__all__ = ["Core", "Pool", "NOTHING", "THROTTLE", "REGISTER", "POLL", "STOP"]

_heappush = heapq.heappush
_heappop = heapq.heappop

# what Core.push asks the driver to do next
NOTHING = 0
THROTTLE = 1      # check the bounds (help or wait if over): Core.over_bound
REGISTER = 2      # take the lock, register the inbox, then check the bounds
# what Core.worker_step asks a worker to do instead of running an op (or parking)
POLL = "poll"     # poll briefly, lock-free, then look again (policies.partitioned_polling)
STOP = "stop"     # exit: the engine was stopped


class Pool:
    """The ready queue, window and counters of one device's compute or copy ops."""

    __slots__ = ("device", "is_copy", "fifo", "heap", "idle", "nworkers", "busy",
                 "pending", "nbytes", "pushed", "throttled", "label", "order", "window",
                 "window_bytes", "started_bytes", "held", "window_blocked", "lazy_ok",
                 "lazy_ready", "finish", "helpable", "is_cpu", "threads")

    def __init__(self, device: Any, is_copy: bool, nworkers: int, window: int,
                 window_bytes: int) -> None:
        self.device = device
        self.is_copy = is_copy
        self.fifo: deque[Op] = deque()
        self.heap: list[tuple[int, int, Op]] = []
        self.idle: list[Any] = []
        self.nworkers = nworkers
        self.busy = 0
        self.pending = 0
        self.nbytes = 0
        self.pushed = 0
        self.throttled = 0
        self.label = f"{device}/copy" if is_copy else str(device)
        self.order: deque[Op] = deque()
        self.window = window
        self.window_bytes = window_bytes
        self.started_bytes = 0
        self.held = 0
        self.window_blocked = False
        self.threads: list[Any] = []       # the driver's worker threads (statistics)
        self.is_cpu = device.device_type == "cpu"
        # may a waiting thread run this pool's ops?  Not a GPU's (bound to the worker's
        # stream) — unless the pool has no workers (the naive driver): then only it can
        self.helpable = device.inline_ok or nworkers == 0
        # small ops pushed without waking a worker (policies.lazy_wake) are allowed where
        # a waiting thread may run them; one may be queued now
        self.lazy_ok = (not is_copy) and device.inline_ok and nworkers > 0
        self.lazy_ready = False
        # a GPU: the op's callable only queues kernels; it is done when Device.finish_op
        # (its stream's event) returns, and only then may the engine complete it
        self.finish = device.needs_finish

    # -- the run-ahead window (policies.run_ahead) -----------------------------------
    def allowed(self, op: Op, oldest: Op) -> bool:
        """May READY *op* start, given the pool's oldest unfinished op?

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

    def peek(self) -> Op | None:
        """The next READY op, left in place (claimed ones are dropped)."""
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

    def peek_within_window(self) -> Op | None:
        """The next READY op the window allows (see :meth:`allowed`), left in place;
        failing the queue's head, the oldest unfinished op if it is READY."""
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

    def start(self, op: Op) -> None:
        """*op* (READY) is about to run in some thread."""
        op.state = RUNNING
        self.busy += 1
        self.started_bytes += op.nbytes

    def forget(self, op: Op) -> None:
        """*op* was claimed out of the queue; drop it if it is at the front."""
        if op.priority == 0:
            if self.fifo and self.fifo[0] is op:
                self.fifo.popleft()
        elif self.heap and self.heap[0][2] is op:
            _heappop(self.heap)

    def take_next(self) -> Op | None:
        """A worker's claim: remove, start and return the next READY op the window
        allows, or None."""
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


class Core:
    """The engine's state (see the module notes) and its transitions."""

    def __init__(self, max_pending_ops: int, max_pending_bytes: int, run_ahead: int,
                 run_ahead_bytes: int, ncores: int, policies: Policies | None = None) -> None:
        self.inbox: deque[Op] = deque()
        self.pools: dict[Any, Pool] = {}
        self.copy_pools: dict[Any, Pool] = {}
        self.pending = 0
        self.seq = 0
        self.unregistered = 0
        self.poisoned = 0
        self.errors: dict[int, BaseException] = {}
        self.drain_waiters: list[Any] = []
        self.throttle_waiters: list[Any] = []
        self.hold = False
        self.max_pending_ops = max_pending_ops
        self.max_pending_bytes = max_pending_bytes
        self.run_ahead = run_ahead
        self.run_ahead_bytes = run_ahead_bytes
        self.ncores = ncores
        self.policies = policies if policies is not None else Policies()

    def all_pools(self) -> list[Pool]:
        return list(self.pools.values()) + list(self.copy_pools.values())

    # ------------------------------------------------------------------ push/register
    def new_pool(self, device: Any, is_copy: bool, nworkers: int) -> Pool:
        """Lock held: a pool for *device* (the driver starts its workers)."""
        if self.policies.run_ahead:
            window, window_bytes = self.run_ahead, self.run_ahead_bytes
        else:
            window, window_bytes = 1 << 62, 1 << 62
        pool = Pool(device, is_copy, nworkers, window, window_bytes)
        (self.copy_pools if is_copy else self.pools)[device] = pool
        return pool

    def push(self, op: Op, pool: Pool, elementwise: bool) -> tuple[Any, int]:
        """No lock (a deque append and a list pop are atomic under the GIL): *op* joins
        the inbox.  Returns ``(token, next)``: the parked worker of its pool to wake (or
        None) and what the driver must do next (NOTHING, THROTTLE or REGISTER).

        *elementwise*: the op's work is told by its output size (the array layer's
        elementwise ops), so the lazy_wake rules may apply; see :mod:`.policies`.
        (``ThreadedEngine.push_unchecked`` keeps an inlined copy of this function;
        ``tests/engine/test_state.py`` checks the copy against it.)"""
        op.pool = pool
        nbytes = op.nbytes
        large = nbytes >= LARGE_OUTPUT_BYTES
        inbox = self.inbox
        lazy_rules = elementwise and pool.lazy_ok and self.policies.lazy_wake
        if (lazy_rules and large and nbytes <= LAZY_MAX_BYTES and not pool.pending
                and not inbox):
            op.lazy = True          # mid-size, to an idle device: for the next waiter
        inbox.append(op)
        token = None
        idle = pool.idle
        if idle:
            if op.lazy or (lazy_rules and not large and nbytes >= LAZY_MIN_BYTES):
                op.lazy = True
                pool.lazy_ready = True
            else:
                pool.lazy_ready = False
                try:
                    token = idle.pop()
                except IndexError:
                    pass
        if large:
            unregistered = self.unregistered = self.unregistered + nbytes
            if unregistered >= UNREGISTERED_BYTES or \
                    pool.nbytes + unregistered > self.max_pending_bytes:
                return token, REGISTER
            if pool.pending + len(inbox) > self.max_pending_ops:
                return token, THROTTLE
        elif pool.pending + len(inbox) > self.max_pending_ops or \
                pool.nbytes + self.unregistered > self.max_pending_bytes:
            return token, THROTTLE
        return token, NOTHING

    def register(self) -> list[Any]:
        """Lock held: register the inbox's ops in push order (:func:`.state.on_push`);
        queue the ready ones.  Returns the tokens to release."""
        inbox = self.inbox
        popleft = inbox.popleft
        seq = self.seq
        n = 0
        wake: list[Any] = []
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
                if op.priority or not pool.idle:
                    self.make_ready(op, pool, wake)
                else:                       # make_ready, inlined for the common case
                    op.state = READY
                    pool.fifo.append(op)
                    if op.lazy:
                        pool.lazy_ready = True
                    else:
                        wake.append(pool.idle.pop())
        self.seq = seq
        self.pending += n
        self.unregistered = 0
        return wake

    def make_ready(self, op: Op, pool: Pool, wake: list[Any]) -> None:
        """Lock held: *op* is ready: queue it and wake a parked worker of its pool
        (not for a lazy op: policies.lazy_wake); a pool without workers wakes the
        threads waiting for the op instead (they run it)."""
        op.state = READY
        if op.priority == 0:
            pool.fifo.append(op)
        else:
            _heappush(pool.heap, (-op.priority, op.seq, op))
        if pool.idle:
            if op.lazy:
                pool.lazy_ready = True          # woken by wake_lazy if need be
            else:
                wake.append(pool.idle.pop())
        elif not pool.nworkers and op.waiters:
            wake.extend(op.waiters)
            op.waiters = None

    def wake_lazy(self) -> list[Any]:
        """Lock held, before a thread sleeps: a worker for each pool whose lazy ops were
        queued without waking one."""
        wake: list[Any] = []
        for pool in self.pools.values():
            if pool.lazy_ready:
                pool.lazy_ready = False
                if pool.idle and (pool.fifo or pool.heap):
                    wake.append(pool.idle.pop())
        return wake

    # ------------------------------------------------------------------ claim and run
    def cores_free(self) -> bool:
        """Are fewer CPU ops running (over every CPU device's workers and helping
        threads) than there are cores?  (policies.helping)"""
        n = 0
        for p in self.pools.values():
            if p.is_cpu:
                n += p.busy
        for p in self.copy_pools.values():
            if p.is_cpu:
                n += p.busy
        return n < self.ncores

    def claim(self, op: Op, waited_for: bool = False, budget: int | None = None,
              inside_op: bool = False) -> bool:
        """Lock held: may this (waiting) thread take READY *op* and run it?  If so, it
        is started.  Never a GPU op (bound to the worker's stream) unless its pool has no
        workers; a CPU op only while a core is free, and (*budget*: partitioned CPU
        sharing) while fewer of its device's ops run than the device's share.
        *waited_for*: the op this thread waits for, which it may always run if it is a
        copy, and beyond its device's share.  *inside_op*: the waiting thread is itself
        running an op (a worker, or a thread that helps) and waits for *op* from inside
        it: it may always run it (it holds a core while it waits anyway; the device's
        workers may all be as busy as it, so nobody else might — issue 19), policies
        or not."""
        if op.state != READY or self.hold:
            return False
        pool = op.pool
        if pool.nworkers and not (inside_op and pool.helpable):
            if not pool.helpable or not self.policies.helping:
                return False
            if pool.is_cpu:
                if waited_for:
                    if not pool.is_copy and not self.cores_free():
                        return False
                elif not self.cores_free() or (budget is not None and not pool.is_copy
                                               and pool.busy >= budget):
                    return False
        pool.start(op)
        pool.forget(op)
        if pool.lazy_ready and not pool.fifo and not pool.heap:
            pool.lazy_ready = False
        return True

    def blocker(self, op: Op, depth: int = 0) -> Op | None:
        """Lock held: a READY op that PENDING *op* waits behind (through up to 8 levels
        of writers), else the oldest ready op of its device, for a waiting thread to
        run; None if there is none it may run."""
        for vs in (op.reads, op.writes):
            for v in vs:
                w = v.writer
                if w is None or w is op:
                    continue
                if w.state == READY:
                    return w if w.pool.helpable else None
                if w.state == PENDING and depth < 8:
                    found = self.blocker(w, depth + 1)
                    if found is not None:
                        return found
        # blocked by readers (not tracked individually): the device's oldest ready op
        if op.pool.helpable:
            return op.pool.peek_within_window()
        return None

    def help_target(self, pool: Pool | None = None) -> Op | None:
        """Lock held: a READY op a thread waiting for everything (or for *pool*'s
        backpressure) may run: the first within its window of a helpable pool."""
        pools = (pool,) if pool is not None else self.all_pools()
        for p in pools:
            if p.helpable:
                op = p.peek_within_window()
                if op is not None:
                    return op
        return None

    def poison_of(self, op: Op) -> BaseException | None:
        """No lock needed: the error of a poisoned var *op* reads (it is then skipped),
        or None."""
        if self.poisoned:
            for v in op.reads:
                if v.exc is not None:
                    return v.exc
            for v in op.rw:
                if v.exc is not None:
                    return v.exc
        return None

    @staticmethod
    def error_of(op: Op, exc: BaseException, format_site: Any) -> OpError:
        """The error *op* failed with, naming the op and where it was pushed (the
        failing sub-op of a bulk op names itself)."""
        sub = getattr(exc, "_ndengine_op", None) or op
        return OpError(sub.name, format_site(sub.pushed_at), exc)

    def requeue(self, op: Op) -> list[Any]:
        """Lock held: RUNNING *op* was interrupted before it finished (KeyboardInterrupt
        or SystemExit in the waiting thread that ran it): put it back at the front of
        its queue to run again; it is not poisoned.  Returns the tokens to release."""
        pool = op.pool
        pool.busy -= 1
        pool.started_bytes -= op.nbytes
        op.state = READY
        if op.priority == 0:
            pool.fifo.appendleft(op)
        else:
            _heappush(pool.heap, (-op.priority, op.seq, op))
        wake: list[Any] = []
        if pool.idle:
            wake.append(pool.idle.pop())
        elif not pool.nworkers:
            if op.waiters:
                wake.extend(op.waiters)
                op.waiters = None
            wake.extend(self.drain_waiters)
            self.drain_waiters = []
        return wake

    # ------------------------------------------------------------------ complete
    def complete(self, op: Op, err: BaseException | None, skipped: bool) -> list[Any]:
        """Lock held: *op* ran (or was skipped): store or clear errors on its writes,
        release its vars (:func:`.state.on_complete`), queue what became ready, move the
        window.  Returns the tokens to release: workers for ready ops, the op's waiters,
        throttled and draining threads."""
        if err is None:
            if self.poisoned:
                for v in op.writes:
                    if v.exc is not None:
                        v.exc = None
                        self.poisoned -= 1
        else:
            for v in op.writes:
                if v.exc is None:
                    self.poisoned += 1
                v.exc = err
            if not skipped:     # a skipped op passes on an error already counted
                self.errors[id(err)] = err
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
        self.pending -= 1
        wake: list[Any] = []
        for nxt in ready:
            self.make_ready(nxt, nxt.pool, wake)
        if op.waiters:
            wake.extend(op.waiters)
            op.waiters = None
        if pool.window_blocked:
            # the window may have moved: a parked worker looks again, or else a thread
            # asleep in waitall that found the window full
            if pool.idle:
                pool.window_blocked = False
                wake.append(pool.idle.pop())
            elif self.drain_waiters:
                pool.window_blocked = False
                wake.append(self.drain_waiters.pop())
        if self.throttle_waiters:
            wake.extend(self.throttle_waiters)
            self.throttle_waiters = []
        if self.drain_waiters and self.pending == 0:
            wake.extend(self.drain_waiters)
            self.drain_waiters = []
        return wake

    # ------------------------------------------------------------------ waiting threads
    # A waiting thread (a sync point, waitall, backpressure, fork, exit) runs one loop in
    # the driver: lock, complete what it ran last, register, then ask one of these steps.
    # A step returns None (what the thread waits for has happened), a claimed op (now
    # RUNNING: run it in this thread, complete it in the next locked section) or the
    # wait list to park on (a transition releases the token the thread puts there).
    def wait_step(self, op: Op, inside_op: bool = False) -> Any:
        """Lock held: a thread waits for *op* (a sync point).  It runs *op* itself when
        it may claim it, or a READY op *op* waits behind (:meth:`blocker`), else parks
        on the op's waiters.  *inside_op*: see :meth:`claim`."""
        state = op.state
        if state == DONE:
            return None
        if state == READY and self.claim(op, True, None, inside_op):
            return op
        if state == PENDING:
            target = self.blocker(op)
            if target is not None and self.claim(target, False, None, inside_op):
                return target
        waiters = op.waiters
        if waiters is None:
            waiters = op.waiters = []
        return waiters

    def watch_step(self, op: Op) -> Any:
        """Lock held: a thread waits for *op* without running anything (before a fork:
        an op it ran could outlast the fork's timeout): None once it is done, else the
        op's waiters."""
        if op.state == DONE:
            return None
        waiters = op.waiters
        if waiters is None:
            waiters = op.waiters = []
        return waiters

    def drain_step(self, budget: int | None) -> Any:
        """Lock held: a thread waits until nothing is pending (waitall), helping with
        :meth:`help_target` (*budget*: see :meth:`claim`), else parks on
        ``drain_waiters`` (woken when ``pending`` reaches 0 or a window moves)."""
        if self.pending == 0:
            return None
        target = self.help_target()
        if target is not None and self.claim(target, False, budget):
            return target
        return self.drain_waiters

    def throttle_step(self, pool: Pool, budget: int | None, uncounted: list[Any]) -> Any:
        """Lock held: a pushing thread waits for *pool*'s backpressure to ease
        (policies.backpressure: down to half the bounds), helping with the pool's ready
        ops, else parks on ``throttle_waiters`` (woken by every completion).  The first
        step that finds the pool over its bounds counts the push as throttled
        (*uncounted*: a one-item list the caller passes afresh for each push)."""
        if self.eased(pool):
            return None
        if uncounted:
            uncounted.pop()
            pool.throttled += 1
        target = self.help_target(pool)
        if target is not None and self.claim(target, False, budget):
            return target
        return self.throttle_waiters

    def running_step(self) -> Any:
        """Lock held, under :attr:`hold`: a thread waits until no op runs (fork, exit):
        None, else the waiters of a running op (released when it completes)."""
        for pool in self.all_pools():
            if pool.busy:
                for op in pool.order:
                    if op.state == RUNNING:
                        return self.watch_step(op)
        return None

    # ------------------------------------------------------------------ workers
    def worker_step(self, pool: Pool, wake: list[Any], may_poll: bool) -> Any:
        """Lock held, after :meth:`complete` of the worker's last op and
        :meth:`register`: what a worker of *pool* does next.  The op to run (started:
        :meth:`Pool.take_next`, nothing under :attr:`hold`); :data:`POLL` (*may_poll*
        and policies.partitioned_polling, :meth:`should_poll`); :data:`STOP` (the
        engine was stopped: the pool has no workers left); else the list to park on
        (``pool.idle``), having added to *wake* a thread asleep in waitall that should
        help another device (policies.idle_core_wake)."""
        if not pool.nworkers:
            return STOP
        if not self.hold:
            op = pool.take_next()
            if op is not None:
                return op
        if may_poll and self.should_poll(pool, True):
            return POLL
        if self.drain_waiters:
            w = self.idle_core_waiter(pool)
            if w is not None:
                wake.append(w)
        return pool.idle

    def stop_workers(self) -> tuple[list[Any], list[Any]]:
        """Lock held: every pool loses its workers (``set_engine`` replaces the engine)
        and from now on behaves as the naive driver's (waiting threads run its ops).
        Returns the parked workers' tokens (each wakes, finds :data:`STOP`) and the
        threads to join."""
        tokens: list[Any] = []
        threads: list[Any] = []
        for pool in self.all_pools():
            pool.nworkers = 0
            pool.lazy_ok = False
            pool.helpable = True
            tokens.extend(pool.idle)
            pool.idle = []
            threads.extend(pool.threads)
            pool.threads = []
        return tokens, threads

    def unfinished(self) -> list[Op]:
        """Lock held, after :meth:`register`: the registered ops not done, by pool."""
        return [op for pool in self.all_pools() for op in pool.order if op.state != DONE]

    def cpu_devices_with_work(self, other_than: Any = None) -> int:
        """No lock (an estimate): how many CPU devices other than *other_than* have
        compute ops pending or running — the probe of the BLAS thread policy
        (policies.blas_steering; 0 when it is off)."""
        if not self.policies.blas_steering:
            return 0
        n = 0
        for p in list(self.pools.values()):
            if (p.pending or p.busy) and p.device is not other_than and p.is_cpu:
                n += 1
        return n

    # ------------------------------------------------------------------ hold
    def start_hold(self) -> None:
        """Lock held: from now on no op starts (running ones finish).  Workers that find
        ``hold`` set park; waiting threads claim nothing and park."""
        self.hold = True

    def running(self) -> int:
        """Ops running now, in workers and in waiting threads."""
        return sum(p.busy for p in self.all_pools())

    def unstarted(self) -> int:
        """Ops registered or in the inbox that have not started."""
        return self.pending + len(self.inbox) - self.running()

    def end_hold(self) -> list[Any]:
        """Lock held: ops may start again.  Returns every parked thread's token: each
        looks again at what it waits for (waking one needlessly costs one look)."""
        self.hold = False
        wake: list[Any] = []
        for pool in self.all_pools():
            wake.extend(pool.idle)
            pool.idle = []
            for q in (pool.fifo, [o for _, _, o in pool.heap]):
                for op in q:
                    if op.waiters:
                        wake.extend(op.waiters)
                        op.waiters = None
        wake.extend(self.drain_waiters)
        wake.extend(self.throttle_waiters)
        self.drain_waiters, self.throttle_waiters = [], []
        return wake

    def abandon(self, error_for: Any) -> int:
        """Lock held, no thread left to run anything (a forked child: the parent's
        threads are gone): fail every op not done, in push order, with
        ``error_for(op)`` (an OpError), through the ordinary transitions, so every var
        ends idle and holding the error of the write it missed.  Ops that were running
        in a thread of the parent fail too.  The errors are not left to ``wait_all``
        (nobody here pushed them).  Returns how many ops were failed."""
        self.register()                # its tokens: threads that do not exist here
        n = 0
        while self.pending:
            progressed = False
            for pool in self.all_pools():
                for op in list(pool.order):
                    if op.state in (READY, RUNNING):
                        if op.state == READY:
                            pool.start(op)
                            pool.forget(op)
                        err = error_for(op)
                        self.complete(op, err, False)
                        self.errors.pop(id(err), None)
                        n += 1
                        progressed = True
            if not progressed:         # cannot happen: the oldest op is always ready
                break
        for pool in self.all_pools():
            pool.fifo.clear()
            pool.heap.clear()
            pool.idle = []
        self.drain_waiters, self.throttle_waiters = [], []
        return n

    # ------------------------------------------------------------------ worker policies
    def should_poll(self, pool: Pool, partitioned: bool) -> bool:
        """Lock held, a worker found nothing to run: poll briefly rather than park?
        (policies.partitioned_polling: its pool's next ops wait on others now running)"""
        return (partitioned and self.policies.partitioned_polling
                and pool.pending > pool.busy and not pool.window_blocked)

    def idle_core_waiter(self, idle_pool: Pool) -> Any:
        """Lock held, a CPU compute worker is about to park: a thread asleep in waitall
        to wake because another CPU device has ready ops and no parked worker to take
        them (policies.idle_core_wake), else None."""
        if not (self.drain_waiters and idle_pool.is_cpu and not idle_pool.is_copy
                and self.policies.idle_core_wake):
            return None
        for p in self.pools.values():
            if p is not idle_pool and (p.fifo or p.heap) and not p.idle and p.is_cpu:
                return self.drain_waiters.pop()
        return None

    # ------------------------------------------------------------------ backpressure
    def over_bound(self, pool: Pool) -> bool:
        """Lock held, after :meth:`register`: is *pool* past its bounds?"""
        return self.policies.backpressure and (pool.pending > self.max_pending_ops
                                               or pool.nbytes > self.max_pending_bytes)

    def eased(self, pool: Pool) -> bool:
        """Lock held: is *pool* down to half its bounds (a throttled push may go on)?"""
        return (not self.policies.backpressure
                or (pool.pending <= self.max_pending_ops // 2
                    and pool.nbytes <= self.max_pending_bytes // 2))

    # ------------------------------------------------------------------ errors
    def raise_once(self, var: Any) -> BaseException | None:
        """Lock held: *var*'s error, to raise at a sync point; it stops being pending
        (``wait_all`` will not raise it again), but the var keeps it."""
        err = var.exc
        if err is not None:
            self.errors.pop(id(err), None)
        return err

    def take_errors(self) -> BaseException | None:
        """Lock held: the first pending error (for ``wait_all``); the others are
        forgotten."""
        errors = self.errors
        if not errors:
            return None
        self.errors = {}
        return next(iter(errors.values()))

    def record_error(self, err: BaseException) -> None:
        self.errors[id(err)] = err

    # ------------------------------------------------------------------ introspection
    def set_bound(self, max_pending_ops: int | None, max_pending_bytes: int | None) -> None:
        if max_pending_ops is not None:
            if max_pending_ops < 1:
                raise ValueError(f"max_pending_ops must be >= 1, got {max_pending_ops}")
            self.max_pending_ops = int(max_pending_ops)
        if max_pending_bytes is not None:
            if max_pending_bytes < 1:
                raise ValueError(f"max_pending_bytes must be >= 1, got {max_pending_bytes}")
            self.max_pending_bytes = int(max_pending_bytes)

    def statistics(self, kind: str, sharing: str) -> dict[str, Any]:
        """Lock held: pending ops, queue depths, workers and bytes, per pool."""
        devices = {}
        for pool in self.all_pools():
            devices[pool.label] = {
                "pending": pool.pending, "ready": pool.ready_count(),
                "running": pool.busy, "workers": len(pool.threads),
                "busy_workers": min(pool.busy, len(pool.threads)) if pool.threads else 0,
                "idle_workers": len(pool.idle), "pending_bytes": pool.nbytes,
                "pushed": pool.pushed, "completed": pool.pushed - pool.pending,
                "throttled_pushes": pool.throttled,
                "held_for_run_ahead": pool.held, "copy": pool.is_copy,
            }
        pushed = sum(p.pushed for p in self.all_pools())
        return {
            "engine": kind, "pending": self.pending, "pushed": pushed,
            "completed": pushed - self.pending, "errors_pending": len(self.errors),
            "max_pending_ops": self.max_pending_ops,
            "max_pending_bytes": self.max_pending_bytes,
            "run_ahead": self.run_ahead, "run_ahead_bytes": self.run_ahead_bytes,
            "cpu_sharing": sharing, "policies": self.policies.enabled(),
            "devices": devices,
        }
