"""ThreadedEngine: the driver that carries out :mod:`.core`'s transitions on threads.

The algorithm is :mod:`.core`'s (state, transitions, what happens next), where and how
soon :mod:`.policies`'; the front end's calls are :mod:`.frontend`, exit and fork
:mod:`.lifetime`.  This module owns the threads and the one lock:

* The lock (``self._lock``) is held around every transition except the lock-free push,
  never while an op's callable runs.  A locked section ends in :meth:`_unlock` (the lock
  released, then the tokens the transition returned), so the woken do not wait for it.
* Each device gets a compute and a copy pool (``push(..., copy=True)``) on first use,
  each with its worker threads (:meth:`_worker`), so copies overlap computation.
* Every other waiting thread (sync points, waitall, backpressure, fork, exit) runs one
  loop, :meth:`_wait`, on a step of the core: it runs the op the step lets it claim
  (policies.helping: synchronous-style code runs every op in the calling thread, with
  no hand-off) or parks.  Every thread sleeps in one helper, :meth:`_park`.
* On a GPU an op's callable only queues kernels: :meth:`_run`, the one function that
  runs an op (workers, helping threads, bulk's fused ops, the naive driver), calls
  ``Device.finish_op`` (the stream's event) before the op may complete.
* Interrupts (issue 19): SIGINT never lands in a locked section or a transition
  (:mod:`.interrupts`); a ``KeyboardInterrupt``/``SystemExit`` in a waiting thread
  running an op propagates as itself, the op re-queued (:meth:`.core.Core.requeue`).
"""
from __future__ import annotations

import os
import sys
import threading
import time
from _thread import allocate_lock, get_ident
from typing import Any, Callable

from ..base import EngineInternalError, env_int
from ..device import Device
from ..device.blas import cores as _cores
from ..device.sharing import SHARING as _SHARING
from . import bulk as _bulk
from . import core as _core_module
from . import frontend as _frontend
from . import interrupts as _interrupts
from . import lifetime as _lifetime
from . import state as _state_module
from .core import POLL, STOP, Core, Pool
from .frontend import Frontend
from .hooks import HOOKS
from .lifetime import Lifetime
from .policies import Policies, default_byte_bound
from .sites import format_site, push_site, site_location
from .var import Op

__all__ = ["ThreadedEngine", "Pool", "push_site", "site_location", "format_site"]

_BULK = _bulk.STATE
_BULK_ACTIVE = _bulk.ACTIVE
_perf = time.perf_counter
_sleep = time.sleep
_INTERRUPTS = (KeyboardInterrupt, SystemExit)


class ThreadedEngine(Frontend, Lifetime):
    kind = "threaded"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.policies = Policies()
        self.core = core = Core(env_int("NDENGINE_MAX_PENDING_OPS", default=4096),
                                default_byte_bound(),
                                env_int("NDENGINE_RUN_AHEAD", default=256),
                                env_int("NDENGINE_RUN_AHEAD_BYTES", default=4 << 20),
                                _cores(), self.policies)
        self._inbox = core.inbox
        self._pools = core.pools
        self._copy_pools = core.copy_pools
        self._devices_ok: set[Device] = set()
        # threads running an op: workers always, a waiting thread while it helps (an op
        # that pushes is never throttled: only its own completion could relieve it)
        self._worker_threads: set[int] = set()
        self._helping: set[int] = set()
        # the BLAS thread policy's probe (policies.blas_steering), bound: no extra frame
        self.cpu_devices_with_work = core.cpu_devices_with_work
        self.spin_s = env_int("NDENGINE_WORKER_SPIN_US", default=200) / 1e6
        self.track_push_site = os.environ.get("NDENGINE_PUSH_SITE", "1") != "0"

    # settings and counters of the core, under the engine's historical names
    def _core_attr(name: str) -> property:  # type: ignore[misc]
        return property(lambda self: getattr(self.core, name),
                        lambda self, v: setattr(self.core, name, v))

    max_pending_ops = _core_attr("max_pending_ops")
    max_pending_bytes = _core_attr("max_pending_bytes")
    run_ahead = _core_attr("run_ahead")
    run_ahead_bytes = _core_attr("run_ahead_bytes")
    _ncores = _core_attr("ncores")
    _pending = _core_attr("pending")
    _errors = _core_attr("errors")
    del _core_attr

    def _unlock(self, tokens: list[Any]) -> None:
        """Leave a locked section: release the lock, then wake *tokens*."""
        self._lock.release()
        if tokens:
            for t in tokens:
                t.release()

    def _pool_for(self, op: Op) -> Pool:
        with self._lock:
            pool = (self._copy_pools if op.copy else self._pools).get(op.device)
            return self._new_pool(op.device, op.copy) if pool is None else pool

    def _register_and_bound(self, pool: Pool) -> None:
        self._lock.acquire()
        wake = self.core.register()
        over = self.core.over_bound(pool)
        self._unlock(wake)
        if over:
            self._throttle(pool)

    def _new_pool(self, device: Device, is_copy: bool) -> Pool:
        if device not in self._devices_ok:
            self._check_device(device)
        pool = self.core.new_pool(device, is_copy, self._nworkers(device, is_copy))
        self._start_workers(pool)
        return pool

    def _nworkers(self, device: Device, is_copy: bool) -> int:
        return device.num_copy_workers if is_copy else device.num_workers

    def _start_workers(self, pool: Pool) -> None:
        try:
            pool.device.before_workers()
        except Exception as e:  # a failing hook must not keep the pool from starting
            self.core.record_error(EngineInternalError(
                f"before_workers of {pool.label} failed: {e!r}"))
        for i in range(pool.nworkers):
            t = threading.Thread(target=self._worker, args=(pool, i),
                                 name=f"ndengine-{pool.label}-{i}", daemon=True)
            pool.threads.append(t)
            t.start()

    # ------------------------------------------------------------------ running
    def _worker(self, pool: Pool, index: int) -> None:
        """A worker of *pool*: complete its last op and ask the core what next
        (:meth:`.core.Core.worker_step`) in one locked section, then run, poll or park."""
        self._worker_threads.add(get_ident())
        try:
            pool.device.worker_init(index, pool.is_copy)
        except Exception as e:  # a bad worker_init must not kill the pool
            with self._lock:
                self.core.record_error(EngineInternalError(
                    f"worker_init of {pool.label} failed: {e!r}"))
        wake = allocate_lock()
        wake.acquire()
        lock = self._lock
        core = self.core
        inbox = self._inbox
        done: Op | None = None        # ran, to be completed in the next locked section
        err: BaseException | None = None
        skipped = False
        spin = self.spin_s if pool.is_cpu else 0.0
        spun = False
        while True:
            try:
                lock.acquire()
                # completing the last op and taking the next share one lock section:
                # half the lock traffic, so fewer convoys with the front end's GIL
                if done is not None:
                    d, done = done, None
                    tokens = core.complete(d, err, skipped)
                else:
                    tokens = []
                if inbox:
                    tokens += core.register()
                nxt = core.worker_step(pool, tokens,
                                       spin and not spun and _SHARING.partitioned)
                if nxt.__class__ is Op:
                    self._unlock(tokens)
                    spun = False
                    err, skipped = self._run(nxt)
                    done = nxt
                elif nxt is POLL:
                    self._unlock(tokens)
                    spun = True
                    self._spin(pool, inbox, spin)
                elif nxt is STOP:
                    self._worker_threads.discard(get_ident())
                    self._unlock(tokens)
                    return
                else:
                    spun = False
                    self._park(nxt, tokens, wake)
            except BaseException as e:  # the worker never dies
                if lock.locked():
                    try:
                        lock.release()
                    except RuntimeError:
                        pass
                with lock:
                    core.record_error(EngineInternalError(
                        f"worker {pool.label}-{index}: {e!r}"))

    @staticmethod
    def _spin(pool: Pool, inbox: Any, seconds: float) -> None:
        """Poll (lock-free reads, the GIL released between them) until *pool* has a
        ready op, a push arrives, or *seconds* pass."""
        end = _perf() + seconds
        while not (pool.fifo or pool.heap or inbox):
            _sleep(0)
            if _perf() > end:
                return

    def _run(self, op: Op) -> tuple[BaseException | None, bool]:
        """Call a claimed op's callable (then, on a GPU, ``Device.finish_op``), unless
        an input is poisoned.  Returns ``(error, skipped)``.  An interrupt in a thread
        that is not a worker propagates (see :meth:`_run_here`)."""
        err = self.core.poison_of(op) if self.core.poisoned else None
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
                if e.__class__ in _INTERRUPTS and get_ident() not in self._worker_threads:
                    raise
                err = self.core.error_of(op, e, format_site)
        if hooks:
            op.t_end = _perf()
            HOOKS.end(op, err)
        return err, skipped

    def _run_here(self, op: Op) -> tuple[BaseException | None, bool]:
        """:meth:`_run` in a waiting thread.  Interrupted (Ctrl-C, SystemExit): the op
        is re-queued, not poisoned, and the interrupt propagates."""
        me = get_ident()
        self._helping.add(me)
        try:
            return self._run(op)
        except BaseException:
            self._lock.acquire()
            self._unlock(self.core.requeue(op))
            raise
        finally:
            self._helping.discard(me)

    # ------------------------------------------------------------------ waiting
    def _park(self, waitlist: list[Any], tokens: list[Any], token: Any = None,
              timeout: float = -1.0) -> None:
        """The one place a thread sleeps.  Lock held: put a token on *waitlist*, leave
        the lock (releasing *tokens*), sleep until a transition releases the token or
        *timeout* s pass; return without the lock, leaving no token behind.  *token*: a
        worker's own; others get a fresh one and first wake the workers of lazy ops.
        With the inbox non-empty (a push may have raced in and found nobody parked to
        wake), look again instead of sleeping."""
        worker = token is not None
        if not worker:
            token = allocate_lock()
            token.acquire()
        waitlist.append(token)
        if self._inbox:
            try:
                waitlist.remove(token)
            except ValueError:
                pass      # already released: a worker's next park returns at once
            self._unlock(tokens)
            return
        if not worker:
            tokens += self.core.wake_lazy()
        self._unlock(tokens)
        try:
            if token.acquire(True, timeout):
                return
        except BaseException:
            self._unpark(waitlist, token)
            raise
        self._unpark(waitlist, token)

    def _unpark(self, waitlist: list[Any], token: Any) -> None:
        with self._lock:
            if token in waitlist:
                waitlist.remove(token)

    def _wait(self, step: Callable[..., Any], *args: Any, locked: bool = False,
              end: float | None = None) -> bool:
        """The waiting loop of every thread but the workers.  Each round, in one locked
        section: complete the op run last, register, ask ``step(*args)`` (a step of
        :mod:`.core`): None — done; an op — run it here; a list — park on it.
        *locked*: the lock is held.  *end*: a ``perf_counter`` time to give up at
        (returns False).  Returns without the lock."""
        lock = self._lock
        core = self.core
        done: Op | None = None
        err: BaseException | None = None
        skipped = False
        while True:
            if locked:
                locked = False
            else:
                lock.acquire()
            if done is not None:
                tokens = core.complete(done, err, skipped)
                done = None
            else:
                tokens = []
            if self._inbox:
                tokens += core.register()
            nxt = step(*args)
            if nxt is None:
                self._unlock(tokens)
                return True
            if nxt.__class__ is Op:
                self._unlock(tokens)
                err, skipped = self._run_here(nxt)
                done = nxt
            elif end is None:
                self._park(nxt, tokens)
            elif end > _perf():
                self._park(nxt, tokens, None, end - _perf())
            else:
                self._unlock(tokens)
                return False

    def _wait_op(self, op: Op, locked: bool = False) -> None:
        """Block until *op* is done, running it (or what blocks it) here when allowed
        (:meth:`.core.Core.wait_step`; *inside*: this thread runs an op).  The first
        round is :meth:`_wait`'s, unrolled for synchronous code (the op waited for runs
        here, and is then done): the loop's second look cost ~0.8 us a push."""
        lock = self._lock
        core = self.core
        me = get_ident()
        inside = me in self._worker_threads or me in self._helping
        if not locked:
            lock.acquire()
            if self._inbox:
                tokens = core.register()
                if tokens:
                    for t in tokens:
                        t.release()
        nxt = core.wait_step(op, inside)
        if nxt.__class__ is Op:         # claimed: *op*, or an op it waits behind
            lock.release()
            err, skipped = self._run_here(nxt)
            lock.acquire()
            self._unlock(core.complete(nxt, err, skipped))
            if nxt is not op:
                self._wait(core.wait_step, op, inside)
        elif nxt is None:
            lock.release()
        else:                           # a wait list: asking again claims nothing
            self._wait(core.wait_step, op, inside, locked=True)

    def drain(self) -> None:
        """Block until nothing is pending, helping with ready work; raise nothing
        (errors stay pending).  Completing the op run last and claiming the next share
        one lock section, as in a worker (10,000 pushed 100x100 tanh, then waitall:
        8.2-9.6 us each before, 7.9-8.7 after)."""
        if _BULK_ACTIVE[0] and _BULK.depth:
            _bulk.flush(self)
        self._wait(self.core.drain_step, _SHARING.budget if _SHARING.partitioned else None)

    def _throttle(self, pool: Pool) -> None:
        """Backpressure: too much pending on *pool*; help or wait until it is down to
        half the bound.  Never in a thread running an op (it would wait for itself)."""
        me = get_ident()
        if me in self._worker_threads or me in self._helping:
            return
        self._wait(self.core.throttle_step, pool,
                   _SHARING.budget if _SHARING.partitioned else None, [1])

    # ------------------------------------------------------------------ introspection
    def statistics(self) -> dict[str, Any]:
        self._lock.acquire()
        tokens = self.core.register() if self._inbox else []
        stats = self.core.statistics(self.kind, _SHARING.mode)
        self._unlock(tokens)
        return stats

    def set_bound(self, max_pending_ops: int | None = None,
                  max_pending_bytes: int | None = None) -> None:
        self.core.set_bound(max_pending_ops, max_pending_bytes)


# Ctrl-C (see .interrupts): deferred while it lands in the engine's own code, delivered
# while the thread parks or runs an op's code (an op it interrupts is re-queued)
_interrupts.protect(sys.modules[__name__], _core_module, _state_module, _frontend, _lifetime,
                    blocking=(ThreadedEngine._park, Lifetime.shutdown,
                              Lifetime._abandon_at_exit, Lifetime.prepare_fork),
                    op_call=(ThreadedEngine._run,))
