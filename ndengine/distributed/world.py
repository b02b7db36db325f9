"""The MPI world: lazy mpi4py import, ranks and hosts, failure notices, orderly exit.

``world()`` initializes MPI on first use (``mpi4py`` is imported only then, so
``import ndengine`` never needs it).  Without mpi4py the error names the extra to
install.  A process started without ``mpiexec`` is a world of size 1.

Two communicators are duplicated from ``COMM_WORLD``: ``data`` carries the collectives
(only ever called from the communication op, see :mod:`.comm`, so in one order on every
rank), ``ctrl`` carries *notices*: small pickled messages a rank sends to every other
rank when it fails (an uncaught exception: ``sys.excepthook``) or exits (``atexit``).
The communication op polls ``ctrl`` while it waits for the other ranks, so a rank that
failed or left makes the others fail at once with an error naming it, instead of
hanging in a collective.

At exit a rank waits for its pending communication ops, tells the others it is leaving
(with how many collectives it completed), and calls ``MPI_Finalize`` only when no
request of its own is left incomplete (finalizing with a collective in flight can
block forever); otherwise it exits without finalizing.
"""
from __future__ import annotations

import atexit
import os
import socket
import sys
import threading
import time
import traceback
from typing import Any

from ..base import INSTALL_HINTS, MissingDependencyError, MXNetError, optional_import

__all__ = ["DistError", "DistTimeout", "World", "world", "mpi_available", "timeout",
           "INSTALL_HINT"]

INSTALL_HINT = INSTALL_HINTS["mpi4py"][1]

TAG_ABORT = 1
TAG_EXIT = 2


class DistError(MXNetError, RuntimeError):
    """Distributed training failed: MPI missing, another rank failed or left, ranks
    disagree on a collective."""


class DistTimeout(DistError, TimeoutError):
    """A collective did not complete within ``NDENGINE_DIST_TIMEOUT`` seconds."""


def timeout() -> float:
    """Seconds a rank waits for the others in one collective (``NDENGINE_DIST_TIMEOUT``,
    default 300)."""
    raw = os.environ.get("NDENGINE_DIST_TIMEOUT", "").strip()
    if not raw:
        return 300.0
    try:
        t = float(raw)
    except ValueError:
        raise DistError(f"NDENGINE_DIST_TIMEOUT must be a number of seconds, got {raw!r}") from None
    if t <= 0:
        raise DistError(f"NDENGINE_DIST_TIMEOUT must be positive, got {raw!r}")
    return t


def _import_mpi() -> Any:
    try:
        mpi4py = optional_import("mpi4py", "distributed training")
    except MissingDependencyError as e:
        raise DistError(str(e)) from None
    # ndengine decides when to finalize (never with a collective in flight); mpi4py's
    # own default is MPI_THREAD_MULTIPLE, which the notices sent from the main thread
    # beside the communication worker need
    mpi4py.rc.finalize = False
    try:
        from mpi4py import MPI
    except ImportError as e:      # mpi4py without a loadable MPI library
        raise DistError(f"mpi4py is installed but no MPI library could be loaded ({e}): "
                        f"{INSTALL_HINT}") from e
    return MPI


def mpi_available() -> bool:
    """Can mpi4py be imported (without initializing MPI)?"""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


class World:
    """This process's place among the ranks (see the module notes)."""

    def __init__(self) -> None:
        MPI = self.MPI = _import_mpi()
        if not MPI.Is_initialized():
            MPI.Init_thread(MPI.THREAD_MULTIPLE)
        level = MPI.Query_thread()
        if level < MPI.THREAD_SERIALIZED:
            raise DistError(f"the MPI library gives thread level {level}; ndengine needs "
                            f"MPI_THREAD_SERIALIZED or better (communication runs on a "
                            f"worker thread)")
        world = MPI.COMM_WORLD
        self.rank: int = world.Get_rank()
        self.size: int = world.Get_size()
        self.host = socket.gethostname()
        self.data = world.Dup()
        self.ctrl = world.Dup()
        self.multithreaded = level >= MPI.THREAD_MULTIPLE
        self.completed = 0             # collectives this rank completed
        self.pushed = 0                # collectives pushed (their sequence numbers)
        self.gone: dict[int, str] = {}       # rank -> why it is gone (failed / exited)
        self.exited_after: dict[int, int] = {}   # rank -> collectives it completed
        self.aborting: str | None = None     # this rank failed: its collectives stop
        self._told = False                   # the others were sent our abort notice
        self.inflight = False          # a request of ours may be incomplete
        self.header_buffers: Any = None    # reused by every collective's header (comm)
        self._lock = threading.Lock()
        self._finalized = False
        if self.size > 1:
            self._prev_hook = sys.excepthook
            sys.excepthook = self._excepthook
            atexit.register(self._at_exit)

    def __repr__(self) -> str:
        return f"<World rank {self.rank} of {self.size} on {self.host}>"

    # -- notices ------------------------------------------------------------------------
    def poll_notices(self) -> None:
        """Receive the notices that arrived (from the communication op's thread)."""
        MPI = self.MPI
        st = MPI.Status()
        while self.ctrl.iprobe(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG, status=st):
            src, tag = st.Get_source(), st.Get_tag()
            msg = self.ctrl.recv(source=src, tag=tag)
            done = msg.get("completed", 0)
            self.exited_after[src] = min(done, self.exited_after.get(src, done))
            if tag == TAG_ABORT:
                self.gone[src] = (f"rank {src} (host {msg.get('host')}, pid {msg.get('pid')}) "
                                  f"failed after {done} collectives: {msg.get('error')}")
            elif tag == TAG_EXIT:
                self.gone.setdefault(src, f"rank {src} (host {msg.get('host')}) exited after "
                                          f"{done} collectives")

    def _notify(self, tag: int, msg: dict) -> None:
        """Send *msg* to every rank not known to be gone; wait briefly for the sends."""
        reqs = []
        for r in range(self.size):
            if r != self.rank and r not in self.gone:
                try:
                    reqs.append(self.ctrl.isend(msg, dest=r, tag=tag))
                except Exception:   # pragma: no cover - a broken MPI: nothing to tell
                    pass
        end = time.monotonic() + 2.0
        for q in reqs:
            while not q.Test():
                if time.monotonic() > end:
                    self.inflight = True      # do not finalize with a send pending
                    return
                time.sleep(1e-3)

    def _excepthook(self, etype: Any, value: Any, tb: Any) -> None:
        self._prev_hook(etype, value, tb)
        text = "".join(traceback.format_exception_only(etype, value)).strip()
        if len(text) > 800:
            text = text[:800] + " ..."
        try:
            sys.stderr.flush()
            # this rank's pending collectives stop (they would wait for ranks that are
            # about to fail because of us), and the others learn how far we got
            self.aborting = text
            self._notify(TAG_ABORT, {"error": text, "host": self.host, "pid": os.getpid(),
                                     "completed": self.completed})
            self._told = True
        except Exception:   # pragma: no cover
            pass

    def _at_exit(self) -> None:
        if self._finalized:
            return
        self._finalized = True
        from .. import engine

        try:
            # the communication ops pushed but not run yet need MPI: let them finish
            from .comm import COMM_VAR

            engine.wait_for_var(COMM_VAR)
        except BaseException:
            pass
        try:
            self.poll_notices()
            if not self._told:
                self._notify(TAG_EXIT, {"completed": self.completed, "host": self.host})
        except BaseException:
            self.inflight = True
        if self.inflight:
            # a collective or a notice of ours is incomplete: MPI_Finalize could block
            # forever, so leave without it
            sys.stdout.flush()
            sys.stderr.flush()
            return
        try:
            self.data.Free()
            self.ctrl.Free()
            self.MPI.Finalize()
        except BaseException:
            pass


_WORLD: World | None = None
_WORLD_LOCK = threading.Lock()


def world() -> World:
    """The MPI world of this process (initialized on first call)."""
    global _WORLD
    w = _WORLD
    if w is None:
        with _WORLD_LOCK:
            if _WORLD is None:
                _WORLD = World()
            w = _WORLD
    return w
