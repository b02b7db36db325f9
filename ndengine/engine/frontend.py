"""What a front-end thread calls: pushes and sync points, with their argument checks.

A mixin of :class:`.threaded.ThreadedEngine` (and so of the naive driver):

* the argument checks of ``push``, ``delete_var`` and the sync points (a bad argument is
  an error naming it, raised in the caller before anything is queued) and bulk's
  buffering;
* the lock-free push: ``_push_op`` hands an op to :meth:`.core.Core.push` (it joins the
  inbox; a parked worker is woken unless policies.lazy_wake says not; the bounds are
  checked), and ``push_unchecked``, the hot path of every array op, keeps an inlined
  copy of that function (``tests/engine/test_state.py`` checks the copy against the
  core with Hypothesis, without threads);
* the sync points ``wait_for_var``/``wait_to_write``/``wait_all``, which wait through
  the driver (``_wait_op``, ``drain``) and raise a var's error once.

What needs the lock is the driver's: ``_register_and_bound``, ``_throttle``, the waits.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterable

from ..device import Device, current_device
from . import bulk as _bulk
from .core import REGISTER, THROTTLE
from .hooks import HOOKS
from .policies import (LARGE_OUTPUT_BYTES, LAZY_MAX_BYTES, LAZY_MIN_BYTES,
                       UNREGISTERED_BYTES as _UNREGISTERED)
from .sites import bad_vars, bad_wait, normalized, push_site
from .var import Op, Var

_perf = time.perf_counter

__all__ = ["Frontend"]

_BULK = _bulk.STATE
_BULK_ACTIVE = _bulk.ACTIVE


def _noop() -> None:
    return None


class Frontend:
    """Pushes and sync points, for a driver with the attributes annotated here."""

    core: Any
    policies: Any
    _pools: dict[Any, Any]
    _inbox: Any
    _devices_ok: set[Any]
    track_push_site: bool
    _copy_pools: dict[Any, Any]
    _pool_for: Callable[[Op], Any]
    _throttle: Callable[[Any], None]
    _register_and_bound: Callable[[Any], None]
    _lock: Any
    _wait_op: Callable[..., None]
    _unlock: Callable[[list[Any]], None]
    drain: Callable[[], None]

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

    def _large_pushed(self, op: Op, pool: Any) -> None:
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

    # ------------------------------------------------------------------ sync points
    def wait_for_var(self, var: Var) -> None:
        """Block until every write pushed to *var* so far is done (MXNet's WaitForVar);
        raise the var's stored error (once pending: see :meth:`.core.Core.raise_once`)."""
        if var.__class__ is not Var or var.deleted:
            bad_wait("wait_for_var", var)
        if _BULK_ACTIVE[0] and _BULK.depth:
            _bulk.flush(self)
        if self._inbox or var.last_write is not None:
            self._lock.acquire()
            tokens = self.core.register() if self._inbox else None
            op = var.last_write
            if tokens:
                for t in tokens:
                    t.release()
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
