"""NaiveEngine: the second driver — each op runs at push time, in the pushing thread.

It carries out the same transitions and steps of :mod:`.core` as the threaded driver
(it is one, with pools that have no workers): the core then lets a waiting thread run
any ready op (nobody else can), and wakes the threads waiting for an op when it becomes
ready.  A GPU op runs in the pushing thread with its device and a stream of the thread's
current (``Device.run_op``), as a worker would have them.  A push registers
the op and waits for it, which runs it here at once; should another front-end thread
hold one of its vars, the push waits for that op first.  Results and error semantics
are the threaded engine's, so a program gives the same answers under both (debugging:
``NDENGINE_ENGINE=naive`` or ``MXNET_ENGINE_TYPE=NaiveEngine``).
"""
from __future__ import annotations

import sys
from typing import Any, Callable

from . import bulk as _bulk
from . import interrupts as _interrupts
from .threaded import Pool, ThreadedEngine
from .var import Op, Var

__all__ = ["NaiveEngine"]

_BULK = _bulk.STATE
_BULK_ACTIVE = _bulk.ACTIVE


class NaiveEngine(ThreadedEngine):
    kind = "naive"

    def _nworkers(self, device: Any, is_copy: bool) -> int:
        return 0

    def _push_op(self, op: Op, elementwise: bool = False) -> Op:
        super()._push_op(op)
        self._wait_op(op)
        return op

    def push_unchecked(self, fn: Callable[[], Any], reads: tuple[Var, ...],
                       writes: tuple[Var, ...], device: Any, name: str, nbytes: int,
                       site: Any, lazy: bool = True) -> Op:
        op = Op(fn, reads, writes, (), device, 0, name, False, nbytes, None)
        op.pushed_at = site
        if _BULK_ACTIVE[0] and _BULK.depth:
            return _bulk.add(self, op)
        return self._push_op(op)

    def _throttle(self, pool: Pool) -> None:
        return None      # every push waits for its op: nothing piles up


_interrupts.protect(sys.modules[__name__])
