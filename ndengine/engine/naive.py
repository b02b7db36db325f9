"""NaiveEngine: runs each op at push time, in the pushing thread (for debugging).

It shares the threaded engine's bookkeeping (vars, errors, statistics) but starts no
worker threads: a push registers the op and runs it at once.  Should another front-end
thread hold one of its vars, the push waits for that op first.  Results and error
semantics are the threaded engine's, so a program gives the same answers under both.
"""
from __future__ import annotations

from .threaded import Pool, ThreadedEngine
from .var import READY, Op

__all__ = ["NaiveEngine"]


class NaiveEngine(ThreadedEngine):
    kind = "naive"

    def __init__(self) -> None:
        super().__init__()
        self._inline_all = True

    def _start_workers(self, pool: Pool) -> None:
        pool.nworkers = 0

    def _enqueue(self, op: Op, pool: Pool) -> None:
        op.state = READY
        if op.waiters:            # the thread that pushed it is waiting to run it
            for w in op.waiters:
                w.release()
            op.waiters = None

    def _push_op(self, op: Op, wake: bool = True) -> Op:
        super()._push_op(op, wake)
        self._wait_op(op)
        return op

    def _throttle(self, pool: Pool) -> None:
        return None
