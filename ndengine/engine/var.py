"""Engine variables and operations: the two records the scheduler works on.

Glossary
--------
Var
    A version-tracked handle the engine schedules over.  The array layers attach one to
    every buffer; the engine never looks at what it stands for.
    ``queue``      FIFO of ``(op, is_write)`` requests not yet granted.
    ``num_reads``  granted reads that have not completed.
    ``writer``     the op holding the write grant, or None.
    ``last_write`` the last write pushed that has not completed (what ``wait_to_read``
                   waits for: writes to one var complete in push order).
    ``exc``        the error of the last write (stored on failure, cleared only by a
                   successful write: a failed var has no value).
Op
    One pushed callable with its read and write vars, device, priority and name.
    ``wait`` counts the vars not yet granted; the op is READY when it reaches 0.
    States move PENDING -> READY -> RUNNING -> DONE; the one step back, RUNNING ->
    READY, is an op interrupted in a waiting thread that ran it (``Core.requeue``).
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable

__all__ = ["Var", "Op", "PENDING", "READY", "RUNNING", "DONE"]

PENDING = 0
READY = 1
RUNNING = 2
DONE = 3
STATE_NAMES = ("pending", "ready", "running", "done")


class Var:
    __slots__ = ("name", "queue", "num_reads", "writer", "last_write", "exc",
                 "version", "deleted", "__weakref__")

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self.queue: deque[tuple[Op, bool]] | None = None
        self.num_reads = 0
        self.writer: Op | None = None
        self.last_write: Op | None = None
        self.exc: BaseException | None = None
        self.version = 0
        self.deleted = False

    @property
    def idle(self) -> bool:
        """No granted or queued op on this var."""
        return self.writer is None and self.num_reads == 0 and not self.queue

    def __repr__(self) -> str:
        label = self.name if self.name is not None else hex(id(self))
        extra = " deleted" if self.deleted else ""
        return (f"<Var {label} v{self.version} reads={self.num_reads} "
                f"writer={'yes' if self.writer else 'no'} "
                f"queued={len(self.queue) if self.queue else 0}{extra}>")


class Op:
    """One pushed callable.  ``pushed_at`` is ``(code, lasti)`` of the caller (see
    ``sites.site_location``); ``t_push``/``t_start``/``t_end``/``thread`` are set only
    while engine hooks are active (read them with ``getattr(op, name, None)``)."""

    __slots__ = ("fn", "reads", "writes", "rw", "device", "priority", "name", "copy",
                 "wait", "state", "seq", "waiters", "pushed_at", "pool",
                 "t_push", "t_start", "t_end", "thread", "info", "nbytes", "lazy")

    def __init__(self, fn: Callable[[], Any] | None, reads: tuple[Var, ...],
                 writes: tuple[Var, ...], rw: tuple[Var, ...], device: Any,
                 priority: int, name: str, copy: bool = False, nbytes: int = 0,
                 info: Any = None) -> None:
        self.fn = fn
        self.reads = reads          # vars granted as reads
        self.writes = writes        # vars granted as writes (includes rw)
        self.rw = rw                # vars both read and written (poison checks)
        self.device = device
        self.priority = priority
        self.name = name
        self.copy = copy
        self.nbytes = nbytes        # bytes of outputs this op produces (backpressure)
        self.info = info            # free-form dict the array layers may attach (profiler)
        self.state = PENDING
        self.waiters: list[Any] | None = None
        self.pushed_at: Any = None
        # a small op whose push does not wake a worker (policies.lazy_wake)
        self.lazy = False

    def __repr__(self) -> str:
        return (f"<Op {self.name} #{getattr(self, 'seq', '?')} {STATE_NAMES[self.state]} "
                f"on {self.device} reads={len(self.reads)} writes={len(self.writes)} "
                f"wait={getattr(self, 'wait', '?')}>")
