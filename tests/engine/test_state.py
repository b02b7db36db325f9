"""The engine's core (core.Core and the var rules of state.py) step by step, without
threads: the real transitions the drivers call, fed by hand.  Tokens stand for parked
threads; a transition "wakes" one by returning it."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ndengine.base import EngineInternalError, OpError
from ndengine.device import cpu
from ndengine.engine import state
from ndengine.engine.core import NOTHING, REGISTER, THROTTLE, Core
from ndengine.engine.policies import LARGE_OUTPUT_BYTES, LAZY_MAX_BYTES, LAZY_MIN_BYTES
from ndengine.engine.sites import format_site
from ndengine.engine.threaded import ThreadedEngine
from ndengine.engine.var import DONE, PENDING, READY, RUNNING, Op, Var


def make_op(reads=(), writes=(), name="op", nbytes=0, priority=0) -> Op:
    r, w, rw = state.normalize(reads, writes)
    return Op(lambda: None, r, w, rw, cpu(0), priority, name, False, nbytes)


class Token:
    """A parked thread: released by whoever a transition says to wake."""

    def __init__(self, name: str = "t") -> None:
        self.name = name
        self.released = 0

    def release(self) -> None:
        self.released += 1

    def __repr__(self) -> str:
        return f"<Token {self.name}>"


def new_core(**kw) -> Core:
    settings_ = dict(max_pending_ops=4096, max_pending_bytes=1 << 40, run_ahead=256,
                     run_ahead_bytes=4 << 20, ncores=64)
    settings_.update(kw)
    return Core(**settings_)


class Driver:
    """Plays a driver's part on a real Core: pushes ops (push + register), claims ready
    ones as a waiting thread would, completes them, and keeps the tokens woken."""

    def __init__(self, nworkers: int = 1, **kw) -> None:
        self.core = new_core(**kw)
        self.pool = self.core.new_pool(cpu(0), False, nworkers)
        self.woken: list[Token] = []

    @property
    def ready(self) -> list[Op]:
        return [o for o in self.pool.fifo if o.state == READY] + \
            [o for _, _, o in sorted(self.pool.heap) if o.state == READY]

    def push(self, reads=(), writes=(), name="op", nbytes=0, priority=0,
             elementwise=False) -> Op:
        op = make_op(reads, writes, name, nbytes, priority)
        token, self.next = self.core.push(op, self.pool, elementwise)
        if token is not None:
            self.woken.append(token)
        self.woken += self.core.register()
        return op

    def start(self, op: Op) -> None:
        assert op.state == READY, op
        assert self.core.claim(op, waited_for=True)
        assert op.state == RUNNING

    def complete(self, op: Op, err=None, skipped=False) -> list[Op]:
        before = set(map(id, self.ready))
        self.woken += self.core.complete(op, err, skipped)
        return [o for o in self.ready if id(o) not in before]

    def run(self, op: Op) -> list[Op]:
        self.start(op)
        return self.complete(op)


def check_invariants(v: Var) -> None:
    """The var rules from state.py's docstring."""
    q = list(v.queue or ())
    if v.writer is None:
        assert not q or q[0][1], f"{v!r}: queue starts with a read behind no write"
    else:
        assert v.num_reads == 0, f"{v!r}: a writer and granted reads at once"
    assert v.num_reads >= 0


# --------------------------------------------------------------------- reads share
def test_consecutive_reads_are_granted_together():
    d = Driver()
    v = Var("v")
    r1 = d.push(reads=[v])
    r2 = d.push(reads=[v])
    r3 = d.push(reads=[v])
    assert d.ready == [r1, r2, r3]
    assert v.num_reads == 3 and v.writer is None and not v.queue
    check_invariants(v)


def test_write_waits_for_every_earlier_read():
    d = Driver()
    v = Var("v")
    r1 = d.push(reads=[v])
    r2 = d.push(reads=[v])
    w = d.push(writes=[v])
    assert w.state == PENDING and w.wait == 1
    assert d.run(r1) == []
    check_invariants(v)
    assert d.run(r2) == [w]
    assert v.writer is w and v.num_reads == 0
    check_invariants(v)


def test_writes_serialize_in_push_order():
    d = Driver()
    v = Var("v")
    w1 = d.push(writes=[v])
    w2 = d.push(writes=[v])
    w3 = d.push(writes=[v])
    assert d.ready == [w1]
    assert d.run(w1) == [w2]
    assert v.version == 1
    assert d.run(w2) == [w3]
    assert d.run(w3) == []
    assert v.version == 3 and v.idle


def test_read_after_write_queues_then_all_following_reads_are_granted():
    d = Driver()
    v = Var("v")
    w = d.push(writes=[v])
    r1 = d.push(reads=[v])
    r2 = d.push(reads=[v])
    w2 = d.push(writes=[v])
    r3 = d.push(reads=[v])
    assert d.ready == [w]
    assert [o.state for o in (r1, r2, w2, r3)] == [PENDING] * 4
    check_invariants(v)
    # the write's completion grants the run of reads right behind it, not past w2
    assert d.run(w) == [r1, r2]
    assert v.num_reads == 2 and v.writer is None
    check_invariants(v)
    d.run(r2)
    assert w2.state == PENDING
    assert d.run(r1) == [w2]
    assert d.run(w2) == [r3]
    d.run(r3)
    assert v.idle


def test_a_read_behind_a_queued_write_is_not_granted_early():
    d = Driver()
    v = Var("v")
    r1 = d.push(reads=[v])
    w = d.push(writes=[v])
    r2 = d.push(reads=[v])     # must not jump ahead of w even though only reads hold v
    assert d.ready == [r1] and r2.state == PENDING
    assert d.run(r1) == [w]
    assert d.run(w) == [r2]


def test_op_with_several_vars_is_ready_only_when_all_are_granted():
    d = Driver()
    a, b, c = Var("a"), Var("b"), Var("c")
    wa = d.push(writes=[a])
    wb = d.push(writes=[b])
    op = d.push(reads=[a, b], writes=[c])
    assert op.wait == 2
    assert d.run(wb) == []
    assert op.wait == 1
    assert d.run(wa) == [op]
    assert c.writer is op


def test_last_write_tracks_the_newest_unfinished_write():
    d = Driver()
    v = Var("v")
    w1 = d.push(writes=[v])
    assert v.last_write is w1
    w2 = d.push(writes=[v])
    assert v.last_write is w2
    d.run(w1)
    assert v.last_write is w2
    d.run(w2)
    assert v.last_write is None


# --------------------------------------------------------------------- normalize
def test_var_read_and_written_counts_as_written():
    a, b = Var("a"), Var("b")
    reads, writes, rw = state.normalize([a, b, a], [a])
    assert reads == (b,) and writes == (a,) and rw == (a,)
    d = Driver()
    r = d.push(reads=[a])
    op = d.push(reads=[a], writes=[a])   # a write: waits for the earlier read
    assert op.reads == () and op.writes == (a,) and op.rw == (a,)
    assert op.state == PENDING
    assert d.run(r) == [op]
    check_invariants(a)


@pytest.mark.parametrize("reads_idx,writes_idx", [
    ((), (0,)), ((0,), (0,)), ((1,), (0,)), ((0, 0), ()), ((0, 1), (0,)), ((1, 1), (0,)),
    ((1, 2), (0,)), ((0, 1, 2, 1), (2, 0, 2)), ((), (0, 0)), ((3, 3, 3), (1, 2)),
])
def test_normalize_deduplicates_and_moves_read_writes(reads_idx, writes_idx):
    vs = [Var(str(i)) for i in range(4)]
    reads = [vs[i] for i in reads_idx]
    writes = [vs[i] for i in writes_idx]
    r, w, rw = state.normalize(reads, writes)
    assert list(w) == list(dict.fromkeys(writes))
    assert list(r) == [v for v in dict.fromkeys(reads) if v not in writes]
    assert list(rw) == [v for v in dict.fromkeys(reads) if v in writes]


# --------------------------------------------------------------------- impossible moves
def test_completing_a_pending_op_is_an_engine_bug():
    d = Driver()
    v = Var("v")
    d.push(writes=[v])
    w2 = d.push(writes=[v])
    with pytest.raises(EngineInternalError, match="not running"):
        state.on_complete(w2, [])


def test_completing_a_done_op_twice_is_an_engine_bug():
    d = Driver()
    v = Var("v")
    w = d.push(writes=[v])
    d.run(w)
    with pytest.raises(EngineInternalError, match="not running"):
        state.on_complete(w, [])


def test_completing_a_write_that_does_not_hold_the_var_is_an_engine_bug():
    d = Driver()
    v = Var("v")
    w1 = d.push(writes=[v])
    w2 = d.push(writes=[v])
    w2.state = RUNNING           # started without its grant
    with pytest.raises(EngineInternalError, match="not its writer"):
        state.on_complete(w2, [])
    assert w1.state == READY


def test_more_read_completions_than_grants_is_an_engine_bug():
    v = Var("v")
    r = make_op(reads=[v])
    r.state = RUNNING            # never pushed: no read was granted
    with pytest.raises(EngineInternalError, match="more reads completed"):
        state.on_complete(r, [])


def test_granting_more_than_requested_is_an_engine_bug():
    d = Driver()
    v = Var("v")
    w1 = d.push(writes=[v])
    w2 = d.push(writes=[v])
    w2.wait = 0                  # corrupt: w2 believes it holds everything already
    with pytest.raises(EngineInternalError, match="more vars than it requested"):
        d.run(w1)


# --------------------------------------------------------------------- random schedules
program = st.lists(
    st.tuples(st.sets(st.integers(0, 7), max_size=3), st.sets(st.integers(0, 7), max_size=2)),
    min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(program, st.randoms(use_true_random=False))
def test_random_schedules_keep_the_invariants_and_finish(ops, rnd):
    """Random pushes interleaved with completions of random running ops: at every step
    the var rules hold, no two running ops conflict, per-var push order of writes is
    kept, and everything finishes."""
    d = Driver()
    vs = [Var(str(i)) for i in range(8)]
    pushed: list[Op] = []
    running: list[Op] = []
    finished: list[Op] = []
    todo = list(ops)

    def conflicts_ok() -> None:
        for v in vs:
            writers = [o for o in running if v in o.writes]
            readers = [o for o in running if v in o.reads]
            assert len(writers) <= 1
            assert not (writers and readers)
            check_invariants(v)

    while todo or d.ready or running:
        choice = rnd.random()
        if todo and (choice < 0.4 or not (d.ready or running)):
            r, w = todo.pop(0)
            op = d.push(reads=[vs[i] for i in sorted(r)], writes=[vs[i] for i in sorted(w)],
                        name=f"op{len(pushed)}")
            pushed.append(op)
        elif d.ready and (choice < 0.7 or not running):
            ready = d.ready
            op = ready[rnd.randrange(len(ready))]
            d.start(op)
            running.append(op)
        else:
            op = running.pop(rnd.randrange(len(running)))
            d.complete(op)
            finished.append(op)
        conflicts_ok()

    assert all(o.state == DONE for o in pushed)
    assert d.core.pending == 0 and d.pool.busy == 0 and not d.pool.order
    assert all(v.idle and v.last_write is None for v in vs)
    # ops that share a var, at least one writing it, complete in push order
    pos = {id(o): i for i, o in enumerate(finished)}
    for i, a in enumerate(pushed):
        for b in pushed[i + 1:]:
            touch_a = set(a.reads) | set(a.writes)
            touch_b = set(b.reads) | set(b.writes)
            shared = touch_a & touch_b
            if any(v in a.writes or v in b.writes for v in shared):
                assert pos[id(a)] < pos[id(b)], (a, b)
    for v in vs:
        assert v.version == sum(1 for o in pushed if v in o.writes)


# --------------------------------------------------------------------- the window
def test_window_holds_ops_beyond_run_ahead_but_always_allows_the_oldest():
    d = Driver(run_ahead=2)
    a, b, c, x = Var("a"), Var("b"), Var("c"), Var("x")
    w0 = d.push(writes=[x], name="oldest-blocked")     # pending behind nothing: ready
    d.start(w0)                                         # running: the pool's oldest
    ops = [d.push(writes=[v], name=f"w{v.name}") for v in (a, b, c)]
    pool = d.pool
    # seq distance from the oldest unfinished op (w0) must stay below 2
    got = pool.take_next()
    assert got is ops[0]
    assert pool.take_next() is None and pool.held == 1 and pool.window_blocked
    d.complete(got)
    assert pool.take_next() is None           # w0 is still the oldest: c is 3 ahead
    woken = len(d.woken)
    d.complete(w0)                            # the window moves
    assert pool.order[0] is ops[1]
    assert pool.take_next() is ops[1] and pool.take_next() is ops[2]
    assert len(d.woken) >= woken


def test_window_bytes_let_one_large_op_run_ahead_but_not_two():
    d = Driver(run_ahead=100, run_ahead_bytes=1000)
    x = Var("x")
    head = d.push(writes=[x], name="head")
    big1 = d.push(writes=[Var("a")], nbytes=5000)
    big2 = d.push(writes=[Var("b")], nbytes=5000)
    d.start(head)
    pool = d.pool
    assert pool.take_next() is big1          # one op may always run ahead
    assert pool.take_next() is None           # a second would pass the byte bound
    d.complete(big1)
    # big1's bytes count until the ops before it are done (done ops lag in `order`)
    assert pool.take_next() is None
    d.complete(head)
    assert pool.order[0] is big2 and pool.take_next() is big2


def test_window_off_by_policy():
    core = new_core(run_ahead=1)
    core.policies.off("run_ahead")
    pool = core.new_pool(cpu(0), False, 1)
    assert pool.window > 1 << 40


def test_window_wakes_a_drain_waiter_when_no_worker_is_parked():
    d = Driver(run_ahead=1)
    head = d.push(writes=[Var("x")])
    nxt = d.push(writes=[Var("y")])
    d.start(head)
    assert d.pool.take_next() is None and d.pool.window_blocked
    waiter = Token("drain")
    d.core.drain_waiters.append(waiter)
    d.complete(head)
    assert waiter in d.woken and not d.pool.window_blocked
    assert d.pool.take_next() is nxt


# --------------------------------------------------------------------- backpressure
def test_push_past_the_op_bound_asks_the_driver_to_throttle_until_half():
    d = Driver(max_pending_ops=4)
    for i in range(4):
        d.push(writes=[Var(str(i))])
        assert d.next == NOTHING
    d.push(writes=[Var("4")])
    assert d.next == THROTTLE and d.core.over_bound(d.pool)
    assert not d.core.eased(d.pool)
    for op in list(d.ready)[:3]:
        d.run(op)
    assert d.pool.pending == 2 and d.core.eased(d.pool)


def test_large_outputs_are_registered_once_their_bytes_pass_the_byte_bound():
    d = Driver(max_pending_bytes=LARGE_OUTPUT_BYTES * 3)
    op = make_op(writes=[Var("a")], nbytes=LARGE_OUTPUT_BYTES)
    for i in range(3):
        token, nxt = d.core.push(make_op(writes=[Var(str(i))], nbytes=LARGE_OUTPUT_BYTES),
                                 d.pool, False)
        assert nxt == NOTHING
    token, nxt = d.core.push(op, d.pool, False)
    assert nxt == REGISTER
    d.core.register()
    assert d.core.over_bound(d.pool)


def test_throttled_waiters_are_woken_by_every_completion():
    d = Driver()
    op = d.push(writes=[Var("a")])
    t = Token("throttled")
    d.core.throttle_waiters.append(t)
    d.run(op)
    assert t in d.woken and d.core.throttle_waiters == []


def test_backpressure_off_by_policy():
    d = Driver(max_pending_ops=1)
    d.core.policies.off("backpressure")
    d.push(writes=[Var("a")])
    d.push(writes=[Var("b")])
    assert not d.core.over_bound(d.pool) and d.core.eased(d.pool)


# --------------------------------------------------------------------- errors
def test_error_poisons_the_writes_skips_readers_and_is_raised_once():
    d = Driver()
    x, y, z = Var("x"), Var("y"), Var("z")
    bad = d.push(writes=[x], name="bad")
    reader = d.push(reads=[x], writes=[y], name="reader")
    other = d.push(writes=[z], name="other")
    d.start(bad)
    err = d.core.error_of(bad, ValueError("boom"), format_site)
    assert isinstance(err, OpError) and "bad" in str(err)
    assert d.complete(bad, err) == [reader]
    assert x.exc is err and d.core.poisoned == 1 and list(d.core.errors.values()) == [err]
    d.start(reader)
    assert d.core.poison_of(reader) is err          # skipped, passes the error on
    d.complete(reader, err, skipped=True)
    assert y.exc is err and d.core.poisoned == 2
    assert len(d.core.errors) == 1                   # one error, counted once
    assert d.core.poison_of(other) is None
    assert d.core.raise_once(y) is err and d.core.errors == {}
    assert d.core.take_errors() is None              # raised once: wait_all is quiet
    assert x.exc is err                              # the var keeps it: it has no value
    heal = d.push(writes=[x], name="heal")
    d.run(heal)
    assert x.exc is None and d.core.poisoned == 1


def test_wait_all_raises_the_first_pending_error_and_forgets_the_rest():
    d = Driver()
    ops = [d.push(writes=[Var(str(i))], name=f"f{i}") for i in range(3)]
    errs = []
    for op in ops:
        d.start(op)
        errs.append(d.core.error_of(op, RuntimeError(op.name), format_site))
        d.complete(op, errs[-1])
    assert d.core.take_errors() is errs[0]
    assert d.core.take_errors() is None


# --------------------------------------------------------------------- claims, wakes
def test_a_push_wakes_one_parked_worker_and_a_lazy_op_none():
    core = new_core()
    pool = core.new_pool(cpu(0), False, 2)
    t1, t2 = Token("w1"), Token("w2")
    pool.idle += [t1, t2]
    token, _ = core.push(make_op(writes=[Var("a")]), pool, False)
    assert token is t2 and pool.idle == [t1]
    small = make_op(writes=[Var("b")], nbytes=LAZY_MIN_BYTES)
    token, _ = core.push(small, pool, True)
    assert token is None and small.lazy and pool.lazy_ready      # small op: no wake
    assert core.register() == [t1]          # the first op is ready: a worker for it
    assert core.wake_lazy() == []           # ... none left parked for the small one
    t3 = Token("w3")
    pool.idle.append(t3)
    pool.lazy_ready = True
    assert core.wake_lazy() == [t3]         # a thread about to sleep wakes one


def test_lazy_wake_off_by_policy_wakes_for_small_ops():
    d = Driver()
    d.core.policies.off("lazy_wake")
    t = Token("w")
    d.pool.idle.append(t)
    d.push(writes=[Var("b")], nbytes=LAZY_MIN_BYTES, elementwise=True)
    assert d.woken == [t]


def test_waiting_threads_claim_cpu_ops_only_while_a_core_is_free():
    d = Driver(ncores=1)
    a = d.push(writes=[Var("a")])
    b = d.push(writes=[Var("b")])
    assert d.core.claim(a, waited_for=True)
    assert not d.core.claim(b) and not d.core.claim(b, waited_for=True)
    d.complete(a)
    d.core.policies.off("helping")
    assert not d.core.claim(b, waited_for=True)


def test_a_pool_without_workers_lets_waiters_run_anything_and_wakes_them():
    d = Driver(nworkers=0, ncores=0)            # the naive driver's pools
    x = Var("x")
    first = d.push(writes=[x])
    second = d.push(writes=[x])
    waiter = Token("pusher")
    second.waiters = [waiter]
    assert d.core.claim(first)                   # whatever the cores say
    d.complete(first)
    assert waiter in d.woken                     # second is ready: its pusher runs it
    assert d.core.claim(second)


def test_an_interrupted_op_is_requeued_at_the_front_not_poisoned():
    d = Driver()
    a = d.push(writes=[Var("a")])
    b = d.push(writes=[Var("b")])
    d.start(a)
    assert d.pool.busy == 1
    d.woken += d.core.requeue(a)
    assert a.state == READY and d.pool.busy == 0 and d.pool.started_bytes == 0
    assert d.ready[0] is a and a.writes[0].exc is None
    assert d.pool.take_next() is a
    d.complete(a)
    assert d.pool.take_next() is b


def test_blocker_finds_the_ready_op_a_pending_op_waits_behind():
    d = Driver()
    x, y = Var("x"), Var("y")
    w1 = d.push(writes=[x])
    w2 = d.push(reads=[x], writes=[y])
    w3 = d.push(reads=[y])
    assert d.core.blocker(w3) is w1


# --------------------------------------------------------------------- the inlined push
class _NoThreads(ThreadedEngine):
    def _start_workers(self, pool) -> None:
        return None


@settings(max_examples=150, deadline=None)
@given(nbytes=st.sampled_from([0, 100, LAZY_MIN_BYTES - 1, LAZY_MIN_BYTES, 10_000,
                               LARGE_OUTPUT_BYTES - 1, LARGE_OUTPUT_BYTES, 300_000,
                               LAZY_MAX_BYTES, LAZY_MAX_BYTES + 1, 20 << 20]),
       lazy=st.booleans(), idle=st.integers(0, 2), pending=st.integers(0, 3),
       inbox=st.integers(0, 2), max_ops=st.sampled_from([2, 4096]),
       lazy_policy=st.booleans())
def test_push_unchecked_is_the_cores_push_inlined(nbytes, lazy, idle, pending, inbox,
                                                  max_ops, lazy_policy):
    """ThreadedEngine.push_unchecked keeps an inlined copy of Core.push (the hot path):
    from the same state, both make the same decisions."""
    results = []
    for use_core in (False, True):
        eng = _NoThreads()
        eng.set_bound(max_pending_ops=max_ops)
        if not lazy_policy:
            eng.policies.off("lazy_wake")
        calls = []
        eng._throttle = lambda pool: calls.append("throttle")
        eng._register_and_bound = lambda pool: calls.append("register")
        pool = eng._pool_for(make_op())
        tokens = [Token(str(i)) for i in range(idle)]
        pool.idle += tokens
        pool.pending = pending
        eng._inbox.extend(make_op() for _ in range(inbox))
        if use_core:
            op = Op(None, (), (Var(),), (), cpu(0), 0, "x", False, nbytes, None)
            token, nxt = eng.core.push(op, pool, lazy)
            if token is not None:
                token.release()
            calls += {NOTHING: [], THROTTLE: ["throttle"], REGISTER: ["register"]}[nxt]
        else:
            op = eng.push_unchecked(None, (), (Var(),), cpu(0), "x", nbytes, None, lazy)
        results.append((op.lazy, pool.lazy_ready, [t.released for t in tokens],
                        len(eng._inbox), eng.core.unregistered, calls))
    assert results[0] == results[1]
