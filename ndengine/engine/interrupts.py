"""Ctrl-C never lands inside an engine state change (issue 19).

``KeyboardInterrupt`` is raised in the main thread between any two bytecodes.  Had it
landed in the middle of a transition of :mod:`.core` (an op granted but not queued, a
parked worker's token taken but not released) or between taking the engine's lock and
the ``try`` that releases it, the engine would be left half-changed or locked: every
thread deadlocked afterwards in 2 of 5 runs of 300 interrupts.

So ndengine's SIGINT handler (installed at import in the main thread, only while the
handler is Python's default one; ``NDENGINE_SIGINT_GUARD=0`` keeps it out) looks at the
interrupted frames, innermost first, for the first one of the engine's own code:

* a transition (:mod:`.core`, :mod:`.state`) or the drivers' own code (:data:`ALWAYS`):
  the interrupt is *deferred*;
* the one place a waiting thread sleeps (:data:`WHEN_LOCKED`, ``_park``): deferred only
  while that engine's lock is held (by anyone; the sections are short), else delivered,
  so Ctrl-C stops a wait at once;
* the call of an op's callable (:data:`OP_CALL`): delivered when it landed inside the
  op's own code (the op is then re-queued), deferred when it landed in the calling frame
  itself (before the call or after it returned: the op has run, and must complete);
* none: delivered (raised as ``KeyboardInterrupt``, as Python's default handler does).

A deferred interrupt is sent again to the main thread 1 ms later (and checked again),
so it arrives right after the section ends.  It costs the hot path nothing: only the
handler does work.  What a delivered interrupt does to an op the main thread was running
itself is the drivers' business (it is re-queued, not poisoned: ``ThreadedEngine._run_here``).
"""
from __future__ import annotations

import _thread
import os
import signal
import threading
import time
from types import CodeType, FunctionType, ModuleType
from typing import Any

__all__ = ["ALWAYS", "WHEN_LOCKED", "OP_CALL", "protect", "install", "deferred"]

ALWAYS: set[CodeType] = set()
WHEN_LOCKED: set[CodeType] = set()
OP_CALL: set[CodeType] = set()
deferred = [0]          # interrupts deferred so far (tests read it)


def _codes(obj: Any) -> list[CodeType]:
    out: list[CodeType] = []
    items = vars(obj).values() if isinstance(obj, (type, ModuleType)) else [obj]
    for v in items:
        if isinstance(v, (staticmethod, classmethod)):
            v = v.__func__
        if isinstance(v, property):
            out += [f.__code__ for f in (v.fget, v.fset) if f is not None]
        elif isinstance(v, FunctionType):
            if not isinstance(obj, ModuleType) or v.__module__ == obj.__name__:
                out.append(v.__code__)
        elif isinstance(v, type) and isinstance(obj, ModuleType) and \
                v.__module__ == obj.__name__:
            out += _codes(v)
    return out


def protect(*objs: Any, blocking: tuple[Any, ...] = (), op_call: tuple[Any, ...] = ()
            ) -> None:
    """Mark the functions of *objs* (modules, classes, functions) as engine code, those
    in *blocking* as where a thread sleeps, those in *op_call* as calling an op."""
    for o in objs:
        ALWAYS.update(_codes(o))
    for group, target in ((blocking, WHEN_LOCKED), (op_call, OP_CALL)):
        for o in group:
            codes = _codes(o)
            ALWAYS.difference_update(codes)
            target.update(codes)


def _must_defer(frame: Any) -> bool:
    f = frame
    depth = 0
    while f is not None and depth < 100:
        c = f.f_code
        if c in ALWAYS:
            return True
        if c in WHEN_LOCKED:
            lock = getattr(f.f_locals.get("self"), "_lock", None)
            return lock is not None and lock.locked()
        if c in OP_CALL:
            return f is frame
        f = f.f_back
        depth += 1
    return False


def _redeliver(ident: int) -> None:
    time.sleep(0.001)
    try:
        signal.pthread_kill(ident, signal.SIGINT)
    except (OSError, ValueError):
        pass


def _handler(signum: int, frame: Any) -> None:
    if frame is not None and _must_defer(frame):
        deferred[0] += 1
        _thread.start_new_thread(_redeliver, (threading.main_thread().ident,))
        return
    signal.default_int_handler(signum, frame)


def install() -> bool:
    """Install the handler (main thread only, over Python's default handler only)."""
    if os.environ.get("NDENGINE_SIGINT_GUARD", "1") == "0":
        return False
    if threading.current_thread() is not threading.main_thread():
        return False
    try:
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return False
        signal.signal(signal.SIGINT, _handler)
    except (ValueError, OSError):
        return False
    return True
