"""The dependency engine: schedules callables over read/write vars on devices.

It knows nothing of arrays.  MXNet's names::

    v = new_var("x")
    push(fn, reads=(a,), writes=(v,), device=cpu(0), priority=0, name="add")
    wait_for_var(v); wait_all(); delete_var(v)
    with bulk(16): ...          # coalesce up to 16 pushes into one op
    statistics()                # pending ops, queue depths, busy workers per device
    set_engine("naive")         # or NDENGINE_ENGINE=naive / MXNET_ENGINE_TYPE=NaiveEngine

The algorithm — state and every transition, no threads — is :mod:`.core` (the var
rules in :mod:`.state`); the named scheduling policies, with their measurements, are
:mod:`.policies`; :mod:`.threaded` and :mod:`.naive` are the two drivers that carry
the transitions out; :mod:`.interrupts` keeps Ctrl-C out of the engine's state changes.
"""
from __future__ import annotations

import atexit
import os
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from ..base import env_str
from ..device import Device
from . import bulk as _bulk
from . import interrupts as _interrupts
from .hooks import HOOKS
from .naive import NaiveEngine
from .policies import Policies
from .threaded import ThreadedEngine, format_site, push_site, site_location
from .var import Op, Var

__all__ = ["new_var", "push", "push_unchecked", "wait_for_var", "wait_to_write", "wait_all", "delete_var",
           "bulk", "statistics", "set_engine", "get_engine", "set_bound", "Var", "Op",
           "HOOKS", "ThreadedEngine", "NaiveEngine", "push_site", "site_location",
           "format_site"]

_KINDS = {"threaded": ThreadedEngine, "naive": NaiveEngine}


def _kind_from_env() -> str:
    kind = env_str("NDENGINE_ENGINE")
    if kind:
        kind = kind.strip().lower()
        if kind not in _KINDS:
            raise ValueError(f"NDENGINE_ENGINE must be 'threaded' or 'naive', got {kind!r}")
        return kind
    mx = env_str("MXNET_ENGINE_TYPE")
    if mx and mx.strip().lower().startswith("naive"):
        return "naive"
    return "threaded"


_engine: ThreadedEngine = _KINDS[_kind_from_env()]()


def get_engine() -> ThreadedEngine:
    """The engine in use."""
    return _engine


def set_engine(kind: str) -> None:
    """Switch to the ``'threaded'`` or ``'naive'`` engine, after finishing pending work.

    Pending errors of the old engine are raised here rather than lost."""
    if kind not in _KINDS:
        raise ValueError(f"set_engine: kind must be 'threaded' or 'naive', got {kind!r}")
    old = _engine
    if old.kind == kind:
        return
    old.stop()      # drains, then its workers exit (a leak per switch before)
    with old._lock:
        if old.core.pending or old._inbox:
            raise RuntimeError(
                "set_engine: another thread pushed work while the engine was being "
                "switched; switch engines only while no other thread uses ndengine")
    new = _KINDS[kind]()
    new.max_pending_ops = old.max_pending_ops
    new.max_pending_bytes = old.max_pending_bytes
    with old._lock:
        new._errors.update(old._errors)
        old._errors.clear()
    _bind(new)


def new_var(name: str | None = None) -> Var:
    """A new engine variable (see MXNet's ``Engine::NewVariable``)."""
    return Var(name)


# The hot entry points are the current engine's bound methods, rebound by set_engine()
# and after fork, so a call costs no extra Python frame.  Use them as ``engine.push``.
push = _engine.push
push_unchecked = _engine.push_unchecked
wait_for_var = _engine.wait_for_var
wait_to_write = _engine.wait_to_write
wait_all = _engine.wait_all
delete_var = _engine.delete_var


def _bind(eng: ThreadedEngine) -> None:
    global _engine, push, push_unchecked, wait_for_var, wait_to_write, wait_all, delete_var
    _engine = eng
    push = eng.push
    push_unchecked = eng.push_unchecked
    wait_for_var = eng.wait_for_var
    wait_to_write = eng.wait_to_write
    wait_all = eng.wait_all
    delete_var = eng.delete_var


def statistics() -> dict[str, Any]:
    """Pending ops, queue depths, busy workers and bytes pending, per device."""
    return _engine.statistics()


def set_bound(max_pending_ops: int | None = None, max_pending_bytes: int | None = None) -> None:
    """Set the backpressure bound per device (see ``statistics()``)."""
    _engine.set_bound(max_pending_ops, max_pending_bytes)


@contextmanager
def bulk(size: int) -> Iterator[None]:
    """Coalesce up to *size* consecutive pushes of this thread into one engine op."""
    with _bulk.bulk(size, get_engine):
        yield


# --------------------------------------------------------------------- process life
def _at_exit() -> None:
    timeout = float(env_str("NDENGINE_EXIT_TIMEOUT", default="30") or 30)
    _engine.shutdown(timeout)


atexit.register(_at_exit)
_interrupts.install()

_fork_lock_held = False


def _fork_timeout() -> float:
    return float(env_str("NDENGINE_FORK_TIMEOUT", default="30") or 30)


def _before_fork() -> None:
    """Finish the work pushed before the fork and hold the engine still (no op starts,
    none runs), so the child copies a consistent state; never waits for work other
    threads push meanwhile (see ThreadedEngine.prepare_fork)."""
    global _fork_lock_held
    eng = _engine
    if threading.get_ident() in eng._worker_threads:
        return
    eng.prepare_fork(_fork_timeout())
    _fork_lock_held = True


def _after_fork_parent() -> None:
    global _fork_lock_held
    if _fork_lock_held:
        _fork_lock_held = False
        _engine.after_fork_parent()


def _after_fork_child() -> None:
    """The child gets a fresh engine of the same kind (the parent's threads are gone);
    ops still pending in the parent fail in the child (their arrays raise saying so)."""
    global _fork_lock_held
    old = _engine
    if _fork_lock_held:
        try:
            old.after_fork_child()
        except Exception as e:  # the child must get its fresh engine whatever happens
            sys.stderr.write(f"ndengine: failing the parent's pending ops in the forked "
                             f"child failed ({e!r}); arrays they write may wait for ever\n")
    new = type(old)()
    new.max_pending_ops = old.max_pending_ops
    new.max_pending_bytes = old.max_pending_bytes
    _bind(new)
    _fork_lock_held = False
    _bulk.STATE.ops = []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_parent,
                        after_in_child=_after_fork_child)
