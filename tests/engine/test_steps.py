"""What a waiting thread or a worker does next: the core's steps (Core.wait_step,
drain_step, throttle_step, watch_step, running_step, worker_step) step by step, with no
threads; and Hypothesis checks of the core's inlined fast paths (Pool.take_next's window
check, Core.register's make_ready) against the functions they copy."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ndengine.device import cpu
from ndengine.engine.core import POLL, STOP, Core
from ndengine.engine.var import DONE, PENDING, READY, RUNNING, Op, Var

from test_state import Driver, Token, make_op


# --------------------------------------------------------------------- waiting threads
def test_wait_step_runs_the_op_waited_for_then_reports_it_done():
    d = Driver()
    op = d.push(writes=[Var("x")])
    assert d.core.wait_step(op) is op and op.state == RUNNING    # claimed: run it here
    d.complete(op)
    assert d.core.wait_step(op) is None


def test_wait_step_runs_the_ready_op_a_pending_op_waits_behind():
    d = Driver()
    x = Var("x")
    first = d.push(writes=[x])
    second = d.push(reads=[x], writes=[Var("y")])
    assert second.state == PENDING
    assert d.core.wait_step(second) is first and first.state == RUNNING


def test_wait_step_parks_on_the_ops_waiters_when_it_may_not_claim():
    d = Driver(ncores=0)                # no core free: helping may not run a CPU op
    op = d.push(writes=[Var("x")])
    waiters = d.core.wait_step(op)
    assert waiters == [] and waiters is op.waiters and op.state == READY
    t = Token("waiter")
    waiters.append(t)
    d.core.claim(op, inside_op=True)    # say a worker takes it
    d.complete(op)
    assert t in d.woken and d.core.wait_step(op) is None


def test_wait_step_inside_an_op_claims_whatever_the_policies_say():
    d = Driver(ncores=0)
    d.core.policies.off("helping")
    op = d.push(writes=[Var("x")])
    assert isinstance(d.core.wait_step(op), list)
    assert d.core.wait_step(op, True) is op


def test_watch_step_never_claims():
    d = Driver()
    op = d.push(writes=[Var("x")])
    assert d.core.watch_step(op) is op.waiters and op.state == READY
    d.run(op)
    assert d.core.watch_step(op) is None


def test_drain_step_helps_until_nothing_is_pending_then_parks_on_drain_waiters():
    d = Driver(ncores=1)
    x = Var("x")
    a = d.push(writes=[x])
    b = d.push(writes=[x])
    c = d.push(writes=[Var("y")])
    assert d.core.drain_step(None) is a                      # a core is free: help
    assert d.core.drain_step(None) is d.core.drain_waiters   # the one core is taken
    t = Token("drain")
    d.core.drain_waiters.append(t)
    d.complete(a)
    got = []
    while (nxt := d.core.drain_step(None)) is not None:
        assert isinstance(nxt, Op)
        got.append(nxt)
        d.complete(nxt)
    assert got == [c, b] and t in d.woken     # c was ready first


def test_drain_step_keeps_a_partitioned_devices_budget():
    d = Driver()
    a = d.push(writes=[Var("a")])
    b = d.push(writes=[Var("b")])
    assert d.core.drain_step(1) is a
    assert d.core.drain_step(1) is d.core.drain_waiters      # its one share is busy
    assert d.core.drain_step(None) is b


def test_throttle_step_counts_the_push_once_helps_and_ends_at_half_the_bound():
    d = Driver(max_pending_ops=4)
    ops = [d.push(writes=[Var(str(i))]) for i in range(5)]
    uncounted = [1]
    seen = []
    while (nxt := d.core.throttle_step(d.pool, None, uncounted)) is not None:
        seen.append(nxt)
        d.complete(nxt)
    assert seen == ops[:3] and d.pool.pending == 2 and d.pool.throttled == 1
    assert d.core.throttle_step(d.pool, None, [1]) is None and d.pool.throttled == 1


def test_throttle_step_parks_on_throttle_waiters_when_it_may_not_help():
    d = Driver(max_pending_ops=1, ncores=0)
    d.push(writes=[Var("a")])
    d.push(writes=[Var("b")])
    assert d.core.throttle_step(d.pool, None, [1]) is d.core.throttle_waiters


def test_running_step_waits_for_every_running_op_under_hold():
    d = Driver()
    a = d.push(writes=[Var("a")])
    b = d.push(writes=[Var("b")])
    d.start(a)
    d.start(b)
    d.core.start_hold()
    assert d.core.running_step() is a.waiters
    d.complete(a)
    assert d.core.running_step() is b.waiters
    d.complete(b)
    assert d.core.running_step() is None


# --------------------------------------------------------------------- workers
def test_worker_step_takes_the_next_op_or_parks_on_idle():
    d = Driver()
    op = d.push(writes=[Var("x")])
    wake: list = []
    assert d.core.worker_step(d.pool, wake, False) is op and op.state == RUNNING
    assert d.core.worker_step(d.pool, wake, False) is d.pool.idle and wake == []


def test_worker_step_takes_nothing_under_hold_and_stops_with_the_engine():
    d = Driver()
    op = d.push(writes=[Var("x")])
    d.core.start_hold()
    assert d.core.worker_step(d.pool, [], False) is d.pool.idle and op.state == READY
    d.core.end_hold()
    t = Token("worker")
    d.pool.idle.append(t)
    tokens, threads = d.core.stop_workers()
    assert tokens == [t] and d.pool.nworkers == 0 and d.pool.helpable
    assert d.core.worker_step(d.pool, [], False) is STOP


def test_worker_step_polls_under_partitioned_sharing_while_its_ops_wait_on_others():
    d = Driver()
    x = Var("x")
    first = d.push(writes=[x])
    d.push(reads=[x], writes=[Var("y")])
    d.start(first)                       # running elsewhere; the second waits on it
    assert d.core.worker_step(d.pool, [], True) is POLL
    assert d.core.worker_step(d.pool, [], False) is d.pool.idle
    d.core.policies.off("partitioned_polling")
    assert d.core.worker_step(d.pool, [], True) is d.pool.idle


def test_an_idle_worker_wakes_a_drain_waiter_for_another_cpu_devices_ready_ops():
    core = Core(4096, 1 << 40, 256, 4 << 20, 64)
    p0 = core.new_pool(cpu(0), False, 1)
    p1 = core.new_pool(cpu(1), False, 1)
    op = Op(lambda: None, (), (Var(),), (), cpu(1), 0, "busy-device", False, 0)
    core.push(op, p1, False)
    core.register()                      # ready on cpu(1), no parked worker there
    t = Token("drain")
    core.drain_waiters.append(t)
    wake: list = []
    assert core.worker_step(p0, wake, False) is p0.idle and wake == [t]
    core.policies.off("idle_core_wake")
    core.drain_waiters.append(t)
    wake = []
    core.worker_step(p0, wake, False)
    assert wake == []


def test_unfinished_and_the_blas_probe():
    d = Driver()
    a = d.push(writes=[Var("a")])
    b = d.push(writes=[Var("b")])
    assert d.core.unfinished() == [a, b]
    assert d.core.cpu_devices_with_work() == 1
    assert d.core.cpu_devices_with_work(cpu(0)) == 0
    d.core.policies.off("blas_steering")
    assert d.core.cpu_devices_with_work() == 0
    d.run(a)
    assert d.core.unfinished() == [b]


# --------------------------------------------------------------------- inlined copies
def _scenario(data, nops, run_ahead, run_ahead_bytes, nworkers=1):
    """A pool in a state reached by pushes, claims and completions, rebuilt afresh from
    the same draws each time it is called."""
    d = Driver(nworkers=nworkers, run_ahead=run_ahead, run_ahead_bytes=run_ahead_bytes)
    vs = [Var(str(i)) for i in range(3)]
    ops = []
    for i, (r, w, nbytes, prio) in enumerate(data["ops"][:nops]):
        reads = [vs[j] for j in sorted(r - w)]
        writes = [vs[j] for j in sorted(w)] or [Var(f"own{i}")]
        ops.append(d.push(reads=reads, writes=writes, name=f"op{i}", nbytes=nbytes,
                          priority=prio))
    for k in data["actions"]:
        op = ops[k % len(ops)]
        if op.state == READY:
            d.core.claim(op, waited_for=True)
        elif op.state == RUNNING:
            d.complete(op)
    return d


_draws = st.fixed_dictionaries({
    "ops": st.lists(st.tuples(st.frozensets(st.integers(0, 2), max_size=2),
                              st.frozensets(st.integers(0, 2), max_size=2),
                              st.sampled_from([0, 500, 5000]),
                              st.sampled_from([0, 0, 0, 1])), min_size=1, max_size=10),
    "actions": st.lists(st.integers(0, 30), max_size=15),
})


def _pool_state(d):
    p = d.pool
    return (p.busy, p.started_bytes, p.held, p.window_blocked,
            [o.name for o in p.order], [(o.name, o.state) for o in p.fifo])


@settings(max_examples=200, deadline=None)
@given(_draws, st.sampled_from([1, 2, 3, 100]), st.sampled_from([1000, 6000, 1 << 30]))
def test_take_next_is_peek_within_window_forget_and_start_inlined(data, run_ahead,
                                                                 run_ahead_bytes):
    """Pool.take_next inlines the window check (Pool.allowed) for the FIFO head: from
    the same state, it takes the same ops as the general path, leaving the same state."""
    nops = len(data["ops"])
    fast = _scenario(data, nops, run_ahead, run_ahead_bytes)
    slow = _scenario(data, nops, run_ahead, run_ahead_bytes)
    for _ in range(nops + 1):
        a = fast.pool.take_next()
        b = slow.pool.peek_within_window()
        if b is not None:
            slow.pool.forget(b)
            slow.pool.start(b)
        assert (a and a.name) == (b and b.name)
        assert _pool_state(fast) == _pool_state(slow)
        if a is None:
            break


@settings(max_examples=200, deadline=None)
@given(_draws, st.integers(0, 3), st.booleans())
def test_register_queues_ready_ops_as_make_ready_does(data, idle, lazy):
    """Core.register inlines make_ready for a priority-0 op with a parked worker: the
    same ops are queued, the same tokens woken, the same lazy flag set as by calling
    make_ready for each op on_push finds ready."""
    from ndengine.engine.state import on_push

    results = []
    for inlined in (True, False):
        d = Driver()
        tokens = [Token(str(i)) for i in range(idle)]
        d.pool.idle += tokens
        vs = [Var(str(i)) for i in range(3)]
        woken: list = []
        for i, (r, w, nbytes, prio) in enumerate(data["ops"]):
            op = make_op([vs[j] for j in sorted(r - w)],
                         [vs[j] for j in sorted(w)] or [Var()], f"op{i}", nbytes, prio)
            op.lazy = lazy and i % 2 == 0
            op.pool = d.pool
            if inlined:
                d.core.inbox.append(op)
                woken += d.core.register()
            else:                                 # register by hand, make_ready each
                d.core.seq += 1
                op.seq = d.core.seq
                d.pool.order.append(op)
                d.pool.pending += 1
                d.core.pending += 1
                if on_push(op):
                    d.core.make_ready(op, d.pool, woken)
        results.append(([t.name for t in woken], d.pool.lazy_ready,
                         [(o.name, o.state) for o in d.pool.fifo],
                         [o.name for _, _, o in sorted(d.pool.heap)],
                         [o.state for o in d.pool.order]))
    assert results[0] == results[1]
    assert all(s != DONE for s in results[0][4])
