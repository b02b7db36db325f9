"""The threaded driver's process lifetime: exit, engine switches and fork (issues 18, 19).

A mixin of :class:`.threaded.ThreadedEngine`, kept apart from the scheduling driver
because none of it runs per op.  The decisions are the core's (:meth:`.core.Core.
start_hold`, :meth:`~.core.Core.end_hold`, :meth:`~.core.Core.abandon`,
:meth:`~.core.Core.stop_workers`, :meth:`~.core.Core.running_step`); every wait goes
through the driver's one waiting loop (``_wait``, timed by *end*), so none of it polls.

* **Exit** (:meth:`shutdown`, at ``atexit``): finish the work in flight, for at most
  ``NDENGINE_EXIT_TIMEOUT``; past it or on Ctrl-C, start nothing more, say how many ops
  were abandoned, give the running ones ``NDENGINE_EXIT_GRACE``; a second Ctrl-C exits
  at once.
* **Engine switch** (:meth:`stop`): drain, then the workers exit; the pools then behave
  as the naive driver's.
* **Fork** (:meth:`prepare_fork`, :meth:`after_fork_parent`, :meth:`after_fork_child`):
  wait only for the ops pushed before the fork (never for another thread's later
  pushes), hold the engine still so the child copies a consistent state; in the child,
  every op not done fails, so its arrays raise instead of waiting for ever.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

from .sites import format_site
from .var import Op

__all__ = ["Lifetime"]

_perf = time.perf_counter


class Lifetime:
    """Exit, stop and fork for a driver with ``_lock``, ``core``, ``_wait`` and
    ``_unlock`` (:class:`.threaded.ThreadedEngine`)."""

    _lock: Any
    core: Any

    def shutdown(self, timeout: float = 30.0) -> None:
        """At exit: finish the work in flight, for at most *timeout* seconds (helping
        in a thread of its own, so the wait can be interrupted).  Past the timeout, or
        on Ctrl-C, give up on what has not started (:meth:`_abandon_at_exit`)."""
        done = threading.Event()

        def drain() -> None:
            try:
                self.drain()                        # type: ignore[attr-defined]
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
            self._wait(self.core.running_step, end=end)  # type: ignore[attr-defined]
        except KeyboardInterrupt:
            _hard_exit(130)

    def stop(self) -> None:
        """Finish pending work, then let the workers exit (``set_engine`` calls it on
        the engine it replaces).  The pools then behave as the naive driver's: a thread
        that waits for an op runs it, so a push that still reaches this engine runs."""
        self.drain()                                # type: ignore[attr-defined]
        with self._lock:
            tokens, threads = self.core.stop_workers()
        for t in tokens:
            t.release()
        for t in threads:
            t.join(5.0)

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
        wait = self._wait                           # type: ignore[attr-defined]
        lock.acquire()
        tokens = core.register() if core.inbox else []
        ops = core.unfinished()
        self._unlock(tokens)                        # type: ignore[attr-defined]
        for op in ops:
            if not wait(core.watch_step, op, end=end):
                break
        # interrupts land only while the lock is free (see .interrupts), so *held* is
        # always true to the lock; an interrupt here ends the hold, never leaves it on
        held = False
        try:
            lock.acquire()
            held = True
            core.start_hold()
            held = False
            wait(core.running_step, locked=True, end=end)
            lock.acquire()
            held = True
        except BaseException:
            if not held:
                lock.acquire()
            self._unlock(core.end_hold())           # type: ignore[attr-defined]
            raise

    def after_fork_parent(self) -> None:
        """In the parent after the fork: ops may start again."""
        self._unlock(self.core.end_hold())          # type: ignore[attr-defined]

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
