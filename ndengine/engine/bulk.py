"""bulk(n): coalesce up to n consecutive pushes of one thread into one engine op.

Tiny ops cost more to schedule than to run; inside ``with engine.bulk(n):`` the
pushes of this thread are buffered and handed to the engine as one fused op (union of
the reads and writes; the callables run in push order), each time *n* have gathered,
the device changes, a sync point is reached in this thread, or the block ends.
A failure inside a fused op poisons every var the fused op writes, and is reported
with the name and push site of the sub-op that raised; a failed var read from outside
the block skips the whole fused op (with separate pushes, only its readers).  The
buffered ops go to the engine they were pushed to, whichever engine is current when
the block ends.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator

from .state import normalize
from .var import Op

__all__ = ["bulk", "STATE"]


class _State(threading.local):
    depth = 0          # nesting of bulk blocks in this thread
    size = 0           # current bulk size
    ops: list[Op]
    engine: Any = None  # the engine the buffered ops were pushed to

    def __init__(self) -> None:
        self.ops = []


STATE = _State()
# Threads inside a bulk block, process-wide: the engine's hot path reads this plain
# module attribute and looks at the thread-local STATE only when it is non-zero.
ACTIVE = [0]
_active_lock = threading.Lock()


def _fuse(ops: list[Op]) -> Op:
    calls = [(o.fn, o) for o in ops]

    def fused() -> None:
        for fn, sub in calls:
            try:
                fn()
            except BaseException as e:
                try:
                    e._ndengine_op = sub  # type: ignore[attr-defined]
                except Exception:
                    pass
                raise

    # The fused op reads what its sub-ops read from outside the block: a var a sub-op
    # reads after an earlier sub-op wrote it is produced inside (as with separate
    # pushes, an old failure of that var does not skip its readers).
    reads: list[Any] = []
    writes: list[Any] = []
    written: set[Any] = set()
    for o in ops:
        for v in o.reads:
            if v not in written:
                reads.append(v)
        for v in o.rw:
            if v not in written:
                reads.append(v)
        written.update(o.writes)
        writes.extend(o.writes)
    r, w, rw = normalize(reads, writes)
    first = ops[0]
    names = [o.name for o in ops]
    label = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
    op = Op(fused, r, w, rw, first.device, max(o.priority for o in ops),
            f"bulk[{len(ops)}]: {label}", first.copy, sum(o.nbytes for o in ops),
            {"bulk": names})
    op.pushed_at = first.pushed_at
    return op


def flush(engine: Any = None) -> None:
    """Hand this thread's buffered ops, fused, to the engine they were pushed to (the
    argument is the caller's engine, used only when none is recorded)."""
    ops = STATE.ops
    if not ops:
        return
    owner = STATE.engine or engine
    STATE.ops = []
    STATE.engine = None
    owner._push_op(ops[0] if len(ops) == 1 else _fuse(ops))


def add(engine: Any, op: Op) -> Op:
    ops = STATE.ops
    if ops and (ops[0].device is not op.device or ops[0].copy != op.copy
                or STATE.engine is not engine):
        flush(engine)
        ops = STATE.ops
    if not ops:
        STATE.engine = engine
    ops.append(op)
    if len(ops) >= STATE.size:
        flush(engine)
    return op


@contextmanager
def bulk(size: int, engine_getter: Any = None) -> Iterator[None]:
    """See ``mxnet.engine.bulk``: fuse up to *size* consecutive pushes into one op."""
    if type(size) is not int or size < 1:
        raise ValueError(f"bulk: size must be a positive int, got {size!r}")
    prev_size = STATE.size
    STATE.depth += 1
    STATE.size = size
    with _active_lock:
        ACTIVE[0] += 1
    try:
        yield
    finally:
        with _active_lock:
            ACTIVE[0] -= 1
        STATE.depth -= 1
        STATE.size = prev_size
        if engine_getter is not None:
            flush(engine_getter())
