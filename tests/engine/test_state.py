"""The pure state machine (state.on_push / on_complete) step by step, without threads."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ndengine.base import EngineInternalError
from ndengine.device import cpu
from ndengine.engine import state
from ndengine.engine.var import DONE, PENDING, READY, RUNNING, Op, Var


def make_op(reads=(), writes=(), name="op") -> Op:
    r, w, rw = state.normalize(reads, writes)
    return Op(None, r, w, rw, cpu(0), 0, name)


class Driver:
    """Plays the scheduler's part: pushes ops, runs ready ones, completes them."""

    def __init__(self) -> None:
        self.ready: list[Op] = []

    def push(self, reads=(), writes=(), name="op") -> Op:
        op = make_op(reads, writes, name)
        if state.on_push(op):
            op.state = READY
            self.ready.append(op)
        return op

    def start(self, op: Op) -> None:
        assert op.state == READY, op
        op.state = RUNNING

    def complete(self, op: Op) -> list[Op]:
        newly: list[Op] = []
        state.on_complete(op, newly)
        op.state = DONE
        for o in newly:
            assert o.state == PENDING
            o.state = READY
        self.ready.extend(newly)
        return newly

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
            op.seq = len(pushed)
            pushed.append(op)
        elif d.ready and (choice < 0.7 or not running):
            op = d.ready.pop(rnd.randrange(len(d.ready)))
            d.start(op)
            running.append(op)
        else:
            op = running.pop(rnd.randrange(len(running)))
            d.complete(op)
            finished.append(op)
        conflicts_ok()

    assert all(o.state == DONE for o in pushed)
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
