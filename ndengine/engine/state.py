"""Pure state changes of the dependency engine: no threads, no locks.

The core (:mod:`.core`: ``Core.register`` and ``Core.complete``) calls :func:`on_push`
when an op arrives and :func:`on_complete` when one finishes; each tells which ops have
become ready.  The caller holds whatever lock protects the vars.

Why reads share and writes serialize
------------------------------------
Every var keeps a FIFO of requests.  A read is granted at once when no write holds the
var and nothing is queued before it, so consecutive reads run together.  A write is
granted only when nothing at all holds the var: it waits for every earlier read and
write.  When a write completes, the request at the head is granted, and if it is a read,
so is every read right behind it.  When the last read completes, the write at the head
(there can only be a write there: reads behind no write are never queued) is granted.
Invariant: when ``writer`` is None the queue is empty or starts with a write.
A var that an op both reads and writes is only written (the caller passes it once, in
``writes``).
"""
from __future__ import annotations

from collections import deque

from ..base import EngineInternalError
from .var import DONE, PENDING, Op, Var

__all__ = ["on_push", "on_complete"]


def on_push(op: Op) -> bool:
    """Register *op*'s requests on its vars; True when it is ready at once."""
    wait = 0
    for v in op.reads:
        if v.writer is None and not v.queue:
            v.num_reads += 1
        else:
            q = v.queue
            if q is None:
                q = v.queue = deque()
            q.append((op, False))
            wait += 1
    for v in op.writes:
        if v.writer is None and v.num_reads == 0 and not v.queue:
            v.writer = op
        else:
            q = v.queue
            if q is None:
                q = v.queue = deque()
            q.append((op, True))
            wait += 1
        v.last_write = op
    op.wait = wait
    return wait == 0


def _grant(op: Op, ready: list[Op]) -> None:
    wait = op.wait - 1
    op.wait = wait
    if wait == 0:
        ready.append(op)
    elif wait < 0:
        raise EngineInternalError(f"op {op!r} granted more vars than it requested")


def on_complete(op: Op, ready: list[Op]) -> None:
    """Release *op*'s grants; append the ops that became ready to *ready*."""
    if op.state == DONE or op.state == PENDING:
        raise EngineInternalError(f"completing {op!r}, which is not running")
    for v in op.reads:
        n = v.num_reads - 1
        if n < 0:
            raise EngineInternalError(f"{v!r}: more reads completed than granted")
        v.num_reads = n
        if n == 0:
            q = v.queue
            if q:
                nxt, is_write = q.popleft()
                if not is_write:
                    raise EngineInternalError(f"{v!r}: read queued behind no write")
                v.writer = nxt
                _grant(nxt, ready)
    for v in op.writes:
        if v.writer is not op:
            raise EngineInternalError(f"{v!r}: completing write by {op!r}, not its writer")
        v.writer = None
        v.version += 1
        if v.last_write is op:
            v.last_write = None
        q = v.queue
        if q:
            nxt, is_write = q[0]
            if is_write:
                q.popleft()
                v.writer = nxt
                _grant(nxt, ready)
            else:
                while q and not q[0][1]:
                    nxt = q.popleft()[0]
                    v.num_reads += 1
                    _grant(nxt, ready)


def normalize(reads, writes) -> tuple[tuple[Var, ...], tuple[Var, ...], tuple[Var, ...]]:
    """Deduplicate; a var both read and written is only written.

    Returns ``(reads, writes, rw)`` where ``rw`` lists the vars that were in both.
    """
    reads = tuple(reads)
    writes = tuple(writes)
    nr = len(reads)
    nw = len(writes)
    if nw == 0:
        if nr <= 1 or len(set(reads)) == nr:
            return reads, writes, ()
        return tuple(dict.fromkeys(reads)), writes, ()
    if nw == 1 and nr <= 2:
        w = writes[0]
        if nr == 0:
            return reads, writes, ()
        if nr == 1:
            if reads[0] is w:
                return (), writes, writes
            return reads, writes, ()
        a, b = reads
        if a is not w and b is not w and a is not b:
            return reads, writes, ()
    wset = dict.fromkeys(writes)
    rset = dict.fromkeys(reads)
    rw = tuple(v for v in rset if v in wset)
    return tuple(v for v in rset if v not in wset), tuple(wset), rw
