"""The core's hold (no op starts: fork preparation, exit given up) and abandon (a forked
child fails what the parent left pending), step by step without threads."""
from __future__ import annotations

from ndengine.base import OpError
from ndengine.device import cpu
from ndengine.engine import state
from ndengine.engine.core import Core
from ndengine.engine.sites import format_site
from ndengine.engine.var import DONE, READY, RUNNING, Op, Var


class Token:
    def __init__(self) -> None:
        self.released = 0

    def release(self) -> None:
        self.released += 1


def setup(nworkers: int = 1):
    core = Core(max_pending_ops=4096, max_pending_bytes=1 << 40, run_ahead=256,
                run_ahead_bytes=4 << 20, ncores=64)
    pool = core.new_pool(cpu(0), False, nworkers)

    def push(reads=(), writes=(), name="op") -> Op:
        r, w, rw = state.normalize(reads, writes)
        op = Op(lambda: None, r, w, rw, cpu(0), 0, name, False, 0)
        core.push(op, pool, False)
        core.register()
        return op

    return core, pool, push


def test_under_hold_nothing_is_claimed_and_ending_it_wakes_every_parked_thread():
    core, pool, push = setup()
    v = Var("v")
    a = push(writes=[v])
    assert a.state == READY
    worker, drainer = Token(), Token()
    pool.idle.append(worker)
    core.drain_waiters.append(drainer)
    core.start_hold()
    assert not core.claim(a, waited_for=True)       # a waiting thread may not start it
    assert core.running() == 0 and core.unstarted() == 1
    woken = core.end_hold()
    assert worker in woken and drainer in woken and not core.hold
    assert core.claim(a, waited_for=True) and a.state == RUNNING
    assert core.running() == 1 and core.unstarted() == 0


def test_abandon_fails_every_op_left_in_push_order_and_leaves_the_vars_idle():
    core, pool, push = setup()
    v, w, x = Var("v"), Var("w"), Var("x")
    a = push(writes=[v])
    b = push(reads=[v], writes=[w])                 # waits for a
    c = push(writes=[x])
    assert core.claim(c, waited_for=True)           # was running in a parent thread
    n = core.abandon(lambda op: core.error_of(
        op, RuntimeError(f"{op.name} pending at fork"), format_site))
    assert n == 3 and core.pending == 0 and core.running() == 0
    for op in (a, b, c):
        assert op.state == DONE
    for var in (v, w, x):
        assert var.idle and isinstance(var.exc, OpError)
    assert "pending at fork" in str(w.exc)
    assert core.errors == {}                        # nobody here pushed them: waitall is quiet


def test_a_thread_waiting_from_inside_an_op_may_run_what_it_waits_for():
    """The device's one worker runs an op that waits for a later op of its device, every
    core counted busy: a waiting thread may not help, but the worker itself may run it
    (nobody else would: issue 19's re-entrant deadlock)."""
    core, pool, push = setup()
    core.ncores = 1
    v, w = Var("v"), Var("w")
    outer = push(writes=[v])
    assert pool.take_next() is outer and core.running() == 1   # on the worker
    inner = push(writes=[w])
    assert inner.state == READY
    assert not core.claim(inner, waited_for=True)               # no free core
    core.policies.helping = False
    assert core.claim(inner, True, None, inside_op=True)        # policies or not
    assert inner.state == RUNNING
