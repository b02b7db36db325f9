"""ThreadedEngine: the driver that carries out :mod:`.core`'s transitions on threads.

What is decided lives in :mod:`.core` (state and transitions) and :mod:`.policies`
(where, how soon); this module owns the threads and the one lock:

* One lock (``self._lock``) is held around every transition except the lock-free push;
  never while an op's callable runs.  Each locked section ends in :meth:`_unlock` (the
  lock released, then the tokens the transition returned released), so a woken thread
  does not wait for the waker's lock.
* Each device gets a compute pool and a copy pool (``push(..., copy=True)``), created on
  first use, each with its own worker threads; so copies overlap computation.  Workers
  park on a private lock (their token in ``pool.idle``).
* Any other waiting thread (a sync point, ``waitall``, backpressure) parks through the
  one helper :meth:`_park`; before it sleeps it runs a ready op itself if the core lets
  it claim one (policies.helping), so synchronous-style code runs every op in the
  calling thread with no thread hand-off.
* On a GPU an op's callable only queues kernels: :meth:`_run` calls
  ``Device.finish_op`` (the stream's event) before the op may complete — one function on
  every path that runs an op (workers, helping threads, bulk's fused ops, the naive
  driver).
* Interrupts (issue 19): SIGINT never lands inside a locked section or a transition
  (:mod:`.interrupts`), and a ``KeyboardInterrupt``/``SystemExit`` raised in a waiting
  thread while it runs an op propagates as itself; the op is re-queued
  (:meth:`.core.Core.requeue`), not poisoned.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from _thread import allocate_lock, get_ident
from typing import Any, Callable, Iterable

from ..base import EngineInternalError, env_int
from ..device import Device, current_device
from ..device.blas import cores as _cores
from ..device.sharing import SHARING as _SHARING
from . import bulk as _bulk
from . import core as _core_module
from . import interrupts as _interrupts
from . import state as _state_module
from .core import NOTHING, REGISTER, THROTTLE, Core, Pool
from .hooks import HOOKS
from .policies import (LARGE_OUTPUT_BYTES, LAZY_MAX_BYTES, LAZY_MIN_BYTES,
                       UNREGISTERED_BYTES as _UNREGISTERED, Policies, default_byte_bound)
from .sites import bad_vars, bad_wait, format_site, normalized, push_site, site_location
from .var import DONE, PENDING, READY, Op, Var

__all__ = ["ThreadedEngine", "Pool", "push_site", "site_location", "format_site"]

_BULK = _bulk.STATE
_BULK_ACTIVE = _bulk.ACTIVE
_perf = time.perf_counter
_sleep = time.sleep
_INTERRUPTS = (KeyboardInterrupt, SystemExit)


def _noop() -> None:
    return None


def _release(tokens: list[Any]) -> None:
    for t in tokens:
        t.release()


class ThreadedEngine:
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
        from (see :func:`.sites.push_site`); taken here when not given."""
        if not callable(fn):
            raise TypeError(f"push: fn must be callable, got {type(fn).__name__}")
        if (writes.__class__ is tuple and len(writes) == 1 and reads.__class__ is tuple
                and (not reads or (len(reads) == 1 and reads[0] is not writes[0]))):
            rw = ()          # the common case: nothing to deduplicate
        else:
            reads, writes, rw = normalized(reads, writes)
        for v in reads:
            if v.__class__ is not Var or v.deleted:
                bad_vars("reads", reads)
        for v in writes:
            if v.__class__ is not Var or v.deleted:
                bad_vars("writes", writes)
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
        both, *device* a Device; priority 0, not a copy.  *lazy* False: the op's work is
        not told by its output size (a product), so it always wakes a worker.  The hot
        path of every array op: :meth:`.core.Core.push`, inlined (it saves about a
        microsecond; ``tests/engine/test_state.py`` checks the copy against the core)."""
        op = Op(fn, reads, writes, (), device, 0, name, False, nbytes, None)
        op.pushed_at = site
        if _BULK_ACTIVE[0] and _BULK.depth:
            return _bulk.add(self, op)
        pool = self._pools.get(device)
        if pool is None or HOOKS.active:
            return self._push_op(op, lazy)
        core = self.core
        op.pool = pool
        large = nbytes >= LARGE_OUTPUT_BYTES
        inbox = self._inbox
        lazy = lazy and pool.lazy_ok and self.policies.lazy_wake
        if lazy and large and nbytes <= LAZY_MAX_BYTES and not pool.pending and not inbox:
            op.lazy = True
        inbox.append(op)
        idle = pool.idle
        if idle:
            if op.lazy or (lazy and not large and nbytes >= LAZY_MIN_BYTES):
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
        elif pool.pending + len(inbox) > core.max_pending_ops or \
                pool.nbytes + core.unregistered > core.max_pending_bytes:
            self._throttle(pool)
        return op

    def _large_pushed(self, op: Op, pool: Pool) -> None:
        """The rest of :meth:`.core.Core.push` for a large output (push_unchecked)."""
        core = self.core
        unregistered = core.unregistered = core.unregistered + op.nbytes
        if unregistered >= _UNREGISTERED or \
                pool.nbytes + unregistered > core.max_pending_bytes:
            self._register_and_bound(pool)
        elif pool.pending + len(self._inbox) > core.max_pending_ops:
            self._throttle(pool)

    def _check_device(self, device: Any) -> None:
        if device.__class__ is not Device:
            raise TypeError(f"push: device must be a Device such as cpu(0), got {device!r}")
        device.check_available()
        self._devices_ok.add(device)

    def _pool_for(self, op: Op) -> Pool:
        pool = (self._copy_pools if op.copy else self._pools).get(op.device)
        if pool is None:
            self._lock.acquire()
            try:
                pool = (self._copy_pools if op.copy else self._pools).get(op.device)
                if pool is None:
                    pool = self._new_pool(op.device, op.copy)
            finally:
                self._lock.release()
        return pool

    def _push_op(self, op: Op, elementwise: bool = False) -> Op:
        """Hand *op* to the engine without taking the lock (:meth:`.core.Core.push`): it
        joins the inbox, which the next thread to take the lock registers in order."""
        pool = (self._copy_pools if op.copy else self._pools).get(op.device)
        if pool is None:
            pool = self._pool_for(op)
        if HOOKS.active:
            op.t_push = _perf()
            HOOKS.push(op)
        token, nxt = self.core.push(op, pool, elementwise)
        if token is not None:
            token.release()
        if nxt == THROTTLE:
            self._throttle(pool)
        elif nxt == REGISTER:
            self._register_and_bound(pool)
        return op

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
                if done is not None:
                    # completing the last op and taking the next share one lock section:
                    # half the lock traffic, so fewer convoys with the front end's GIL
                    d, done = done, None
                    tokens = core.complete(d, err, skipped)
                else:
                    tokens = []
                if inbox:
                    tokens += core.register()
                if not pool.nworkers:    # the engine was stopped (set_engine): exit
                    self._worker_threads.discard(get_ident())
                    lock.release()
                    _release(tokens)
                    return
                op = pool.take_next() if not core.hold else None
                if op is None:
                    if spin and not spun and _SHARING.partitioned and \
                            core.should_poll(pool, True):
                        lock.release()       # partitioned_polling
                        if tokens:
                            _release(tokens)
                        spun = True
                        self._spin(pool, inbox, spin)
                        continue
                    spun = False
                    if core.drain_waiters:
                        w = core.idle_core_waiter(pool)
                        if w is not None:
                            tokens.append(w)
                    # park; but a push that raced in after the register above may have
                    # seen no idle worker, so look at the inbox once more after listing us
                    pool.idle.append(wake)
                    if inbox:
                        try:
                            pool.idle.remove(wake)
                        except ValueError:
                            pass   # already popped and released: the next park returns
                        lock.release()
                        if tokens:
                            _release(tokens)
                        continue
                    lock.release()
                    if tokens:
                        _release(tokens)
                    wake.acquire()
                    continue
                lock.release()
                if tokens:
                    _release(tokens)
                spun = False
                err, skipped = self._run(op)
                done = op
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
        """Call a claimed op's callable, unless one of its inputs is poisoned.  Returns
        ``(error, skipped)``.  On a GPU the callable only queues kernels: the op is done
        when ``Device.finish_op`` (its stream's event) returns — here, on every path
        that runs an op (workers, waiting threads that help, bulk's fused ops, the naive
        driver).  An interrupt in a thread that is not a worker propagates (see
        :meth:`_run_here`)."""
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
        """:meth:`_run` in a waiting thread.  Interrupted (Ctrl-C in the main thread,
        SystemExit): the op goes back to its queue, to run again, not poisoned, and the
        interrupt propagates."""
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

    def _execute(self, op: Op) -> None:
        """Run a claimed op in this (waiting) thread, then complete it."""
        err, skipped = self._run_here(op)
        self._lock.acquire()
        self._unlock(self.core.complete(op, err, skipped))

    # ------------------------------------------------------------------ waiting
    def _park(self, waitlist: list[Any]) -> None:
        """Lock held: sleep until a transition releases this thread's token from
        *waitlist*; returns without the lock.  Lazy ops get a worker first.  The one
        place a non-worker thread sleeps; an interrupt leaves no token behind."""
        w = allocate_lock()
        w.acquire()
        waitlist.append(w)
        self._unlock(self.core.wake_lazy())
        try:
            w.acquire()
        except BaseException:
            self._lock.acquire()
            try:
                waitlist.remove(w)
            except ValueError:
                pass
            self._lock.release()
            raise

    def _help_or_park(self, target: Op | None, waitlist: list[Any]) -> None:
        """Lock held: run *target* here if the core lets this thread claim it, else park
        on *waitlist*; returns without the lock."""
        if target is not None and self.core.claim(
                target, False, _SHARING.budget if _SHARING.partitioned else None):
            self._lock.release()
            self._execute(target)
        else:
            self._park(waitlist)

    def _wait_op(self, op: Op, locked: bool = False) -> None:
        """Block until *op* is done, running it (or what blocks it) here when allowed.
        *locked*: called with the lock held (returns without it)."""
        lock = self._lock
        core = self.core
        me = get_ident()
        # waiting from inside an op (a worker, or a thread running one it helped with):
        # it may run what it waits for whatever the policies say, or nobody might
        inside = me in self._worker_threads or me in self._helping
        while True:
            if locked:
                locked = False
            else:
                lock.acquire()
            if self._inbox:
                _release(core.register())
            state = op.state
            if state == DONE:
                lock.release()
                return
            if state == READY and core.claim(op, True, None, inside):
                lock.release()
                self._execute(op)
                return
            target = core.blocker(op) if state == PENDING else None
            if target is not None and core.claim(target, False, None, inside):
                lock.release()
                self._execute(target)
                continue
            waiters = op.waiters
            if waiters is None:
                waiters = op.waiters = []
            self._park(waiters)

    def wait_for_var(self, var: Var) -> None:
        """Block until every write pushed to *var* so far is done (MXNet's WaitForVar);
        raise the var's stored error (once pending: see :meth:`.core.Core.raise_once`)."""
        if var.__class__ is not Var or var.deleted:
            bad_wait("wait_for_var", var)
        if _BULK_ACTIVE[0] and _BULK.depth:
            _bulk.flush(self)
        if self._inbox or var.last_write is not None:
            self._lock.acquire()
            if self._inbox:
                _release(self.core.register())
            op = var.last_write
            if op is None:
                self._lock.release()
            else:
                self._wait_op(op, True)
        if var.exc is not None:
            self._raise_var_error(var)

    def _raise_var_error(self, var: Var) -> None:
        with self._lock:
            err = self.core.raise_once(var)
        if err is not None:
            raise err

    def wait_to_write(self, var: Var) -> None:
        """Block until every read and write pushed to *var* so far is done."""
        if var.__class__ is not Var or var.deleted:
            bad_wait("wait_to_write", var)
        if _BULK_ACTIVE[0] and _BULK.depth:
            _bulk.flush(self)
        if self._inbox:
            self._lock.acquire()
            self._unlock(self.core.register())
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
            err = self.core.take_errors()
        if err is not None:
            raise err

    def drain(self) -> None:
        """Block until nothing is pending, helping with ready work; raise nothing
        (errors stay pending)."""
        if _BULK_ACTIVE[0] and _BULK.depth:
            _bulk.flush(self)
        core = self.core
        lock = self._lock
        done: Op | None = None      # ran here, completed in the next locked section
        err: BaseException | None = None
        skipped = False
        while True:
            lock.acquire()
            # as in a worker: completing the last op and claiming the next share one
            # lock section (10,000 pushed 100x100 tanh, then waitall: 8.2-9.6 us each
            # before, 7.9-8.7 after)
            tokens = core.complete(done, err, skipped) if done is not None else []
            done = None
            if self._inbox:
                tokens += core.register()
            if core.pending == 0:
                self._unlock(tokens)
                return
            target = core.help_target()
            if target is not None and core.claim(
                    target, False, _SHARING.budget if _SHARING.partitioned else None):
                self._unlock(tokens)
                err, skipped = self._run_here(target)
                done = target
                continue
            _release(tokens)
            self._park(core.drain_waiters)

    def _throttle(self, pool: Pool) -> None:
        """Backpressure: too much pending on *pool*; help or wait until it is down to
        half the bound.  Never in a thread running an op (it would wait for itself)."""
        me = get_ident()
        if me in self._worker_threads or me in self._helping:
            return
        counted = False
        core = self.core
        while True:
            self._lock.acquire()
            if self._inbox:
                _release(core.register())
            if core.eased(pool):
                self._lock.release()
                return
            if not counted:
                pool.throttled += 1
                counted = True
            self._help_or_park(core.help_target(pool), core.throttle_waiters)

    # ------------------------------------------------------------------ introspection
    def cpu_devices_with_work(self, other_than: Device | None = None) -> int:
        """How many CPU devices (other than *other_than*) have compute ops pending,
        read without the lock: an estimate, for the BLAS thread policy (policies.
        blas_steering: each BLAS push and kernel asks)."""
        if not self.policies.blas_steering:
            return 0
        n = 0
        for p in list(self._pools.values()):
            if (p.pending or p.busy) and p.device is not other_than and p.is_cpu:
                n += 1
        return n

    def statistics(self) -> dict[str, Any]:
        with self._lock:
            if self._inbox:
                _release(self.core.register())
            return self.core.statistics(self.kind, _SHARING.mode)

    def set_bound(self, max_pending_ops: int | None = None,
                  max_pending_bytes: int | None = None) -> None:
        self.core.set_bound(max_pending_ops, max_pending_bytes)

    # ------------------------------------------------------------------ lifetime
    def shutdown(self, timeout: float = 30.0) -> None:
        """At exit: finish the work in flight, for at most *timeout* seconds (helping
        in a thread of its own, so the wait can be interrupted).  Past the timeout, or
        on Ctrl-C, give up on what has not started (:meth:`_abandon_at_exit`)."""
        done = threading.Event()

        def drain() -> None:
            try:
                self.drain()
            except BaseException:
                pass
            done.set()

        t = threading.Thread(target=drain, name="ndengine-exit-drain", daemon=True)
        t.start()
        try:
            if done.wait(timeout):
                return
            why = f"NDENGINE_EXIT_TIMEOUT ({timeout:g} s) passed"
        except KeyboardInterrupt:
            why = "interrupted"
        self._abandon_at_exit(why)

    def _abandon_at_exit(self, why: str) -> None:
        """No op starts any more; say how many are abandoned; let the running ones end
        (a BLAS kernel still running in a daemon thread would block the library's own
        shutdown at interpreter exit), for at most ``NDENGINE_EXIT_GRACE`` seconds
        (default 5).  A second Ctrl-C exits at once (``os._exit(130)``)."""
        with self._lock:
            self.core.start_hold()
            left, running = self.core.unstarted(), self.core.running()
        msg = f"ndengine: exit {why}: abandoned {left} pending op{'s' * (left != 1)}"
        if running:
            msg += f" (waiting for the {running} running)"
        try:
            print(msg, file=sys.stderr, flush=True)
            end = _perf() + float(os.environ.get("NDENGINE_EXIT_GRACE", "5") or 5)
            while self.core.running() and _perf() < end:
                _sleep(0.005)
        except KeyboardInterrupt:
            _hard_exit(130)

    def stop(self) -> None:
        """Finish pending work, then let the workers exit (``set_engine`` calls it on
        the engine it replaces).  The pools then behave as the naive driver's: a thread
        that waits for an op runs it, so a push that still reaches this engine runs."""
        self.drain()
        with self._lock:
            tokens: list[Any] = []
            threads: list[Any] = []
            for pool in self.core.all_pools():
                pool.nworkers = 0
                pool.lazy_ok = False
                pool.helpable = True
                tokens.extend(pool.idle)
                pool.idle = []
                threads.extend(pool.threads)
                pool.threads = []
        _release(tokens)
        for t in threads:
            t.join(5.0)

    # ------------------------------------------------------------------ fork
    def prepare_fork(self, timeout: float) -> None:
        """Before ``os.fork()`` in a thread that is not running an op: let every op
        pushed before this call finish, then hold (no op starts; the running ones
        end), and return with the lock held, so the child copies a consistent state.
        Ops other threads push meanwhile stay pending (the child fails them, see
        :meth:`after_fork_child`).  Bounded by *timeout* (``NDENGINE_FORK_TIMEOUT``):
        past it, the fork goes ahead as things are.  This thread only waits (an op it
        ran itself could outlast the timeout); the workers run the ops."""
        end = _perf() + timeout
        lock = self._lock
        core = self.core
        lock.acquire()
        if self._inbox:
            _release(core.register())
        ops = [op for pool in core.all_pools() for op in pool.order if op.state != DONE]
        lock.release()
        for op in ops:
            if not self._wait_op_until(op, end):
                break
        # interrupts land only while the lock is free (see .interrupts), so *held* is
        # always true to the lock; an interrupt here ends the hold, never leaves it on
        held = False
        try:
            lock.acquire()
            held = True
            core.start_hold()
            while core.running() and _perf() < end:
                held = False
                lock.release()
                _sleep(0.0005)
                lock.acquire()
                held = True
        except BaseException:
            if not held:
                lock.acquire()
            self._unlock(core.end_hold())
            raise

    def _wait_op_until(self, op: Op, end: float) -> bool:
        """Until *op* is done or the clock passes *end*; polls, and never runs an op in
        this thread (one that does not end would hold the fork past *end*): lazy ops
        get a worker."""
        lock = self._lock
        core = self.core
        while op.state != DONE:
            if _perf() > end:
                return False
            lock.acquire()
            tokens = core.register() if self._inbox else []
            tokens += core.wake_lazy()
            if op.state == READY and op.pool.idle:
                tokens.append(op.pool.idle.pop())
            self._unlock(tokens)
            _sleep(0.0005)
        return True

    def after_fork_parent(self) -> None:
        """In the parent after the fork: ops may start again."""
        self._unlock(self.core.end_hold())

    def after_fork_child(self) -> int:
        """In the child (which holds the copied lock; the parent's threads are gone):
        every op not done fails with an error saying it was pending in the parent, so
        the arrays it writes raise that at their sync points instead of waiting for
        ever.  Returns how many ops that was."""
        core = self.core

        def error_for(op: Op) -> BaseException:
            return core.error_of(op, RuntimeError(
                f"op '{op.name}' was still pending in the parent process when it forked "
                "(os.fork, multiprocessing's 'fork', a DataLoader worker): what it "
                "writes has no value in the child; wait for it (npx.waitall()) before "
                "forking"), format_site)

        return core.abandon(error_for)


def _hard_exit(code: int) -> None:
    """Exit now, skipping interpreter finalisation (a second Ctrl-C at exit)."""
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass
    os._exit(code)


# Ctrl-C (see .interrupts): deferred while it lands in the engine's own code, delivered
# while the thread parks or runs an op's code (an op it interrupts is re-queued)
_interrupts.protect(sys.modules[__name__], _core_module, _state_module,
                    blocking=(ThreadedEngine._park, ThreadedEngine.shutdown,
                              ThreadedEngine._abandon_at_exit, ThreadedEngine.prepare_fork,
                              ThreadedEngine._wait_op_until),
                    op_call=(ThreadedEngine._run,))
