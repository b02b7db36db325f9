"""Priorities among ready ops, and the waiting thread that helps (one worker, blocked)."""
from __future__ import annotations

import threading
import time

import pytest

TIMEOUT = 20


class Blocker:
    """An op that holds the only worker until released."""

    def __init__(self, eng) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.thread: threading.Thread | None = None
        self.var = eng.new_var("blocker")
        eng.push(self.run, writes=[self.var], name="blocker")
        assert self.started.wait(TIMEOUT), "the worker never started the blocker"

    def run(self) -> None:
        self.thread = threading.current_thread()
        self.started.set()
        assert self.release.wait(TIMEOUT)


class Recorder:
    def __init__(self, expected: int) -> None:
        self.order: list = []
        self.threads: list = []
        self.lock = threading.Lock()
        self.expected = expected
        self.all_ran = threading.Event()

    def op(self, label):
        def fn() -> None:
            with self.lock:
                self.order.append(label)
                self.threads.append(threading.current_thread())
                if len(self.order) == self.expected:
                    self.all_ran.set()
        return fn


@pytest.fixture
def one_worker(make_engine):
    return make_engine("threaded", workers=1)


@pytest.mark.timeout(60)
def test_higher_priority_runs_first_among_ready_ops(one_worker):
    eng = one_worker
    priorities = [0, 3, -1, 5, 0, -2, 3, 1, 0, -1, 7, 2]
    rec = Recorder(len(priorities))
    blocker = Blocker(eng)
    for i, p in enumerate(priorities):
        eng.push(rec.op(i), writes=[eng.new_var()], priority=p, name=f"p{p}")
    stats = eng.statistics()["devices"]["cpu(0)"]
    assert stats["running"] == 1 and stats["ready"] == len(priorities)
    assert stats["pending"] == len(priorities) + 1 and stats["busy_workers"] == 1
    blocker.release.set()
    assert rec.all_ran.wait(TIMEOUT)         # not an engine sync point: nobody helps
    eng.wait_all()
    expected = sorted(range(len(priorities)), key=lambda i: -priorities[i])  # stable
    assert rec.order == expected
    assert set(rec.threads) == {blocker.thread}


@pytest.mark.timeout(60)
def test_priorities_never_reorder_the_ops_of_one_var(one_worker):
    eng = one_worker
    v = eng.new_var("v")
    plan = [("w", -3), ("r", 5), ("r", 0), ("w", 4), ("w", -1), ("r", 9), ("w", 7), ("r", -5)]
    rec = Recorder(len(plan))
    blocker = Blocker(eng)
    for i, (kind, p) in enumerate(plan):
        if kind == "w":
            eng.push(rec.op(i), writes=[v], priority=p)
        else:
            eng.push(rec.op(i), reads=[v], writes=[eng.new_var()], priority=p)
    blocker.release.set()
    assert rec.all_ran.wait(TIMEOUT)
    eng.wait_all()
    assert rec.order == list(range(len(plan)))


@pytest.mark.timeout(60)
def test_waiting_thread_runs_a_ready_op_itself(one_worker):
    eng = one_worker
    blocker = Blocker(eng)
    rec = Recorder(1)
    y = eng.new_var("y")
    eng.push(rec.op("y"), writes=[y])
    eng.wait_for_var(y)                      # the only worker is busy: we must help
    assert rec.order == ["y"]
    assert rec.threads == [threading.current_thread()]
    blocker.release.set()
    eng.wait_all()


@pytest.mark.timeout(60)
def test_waiting_thread_runs_the_chain_its_var_waits_on(one_worker):
    eng = one_worker
    blocker = Blocker(eng)
    rec = Recorder(4)
    a, b, c, d = (eng.new_var(n) for n in "abcd")
    eng.push(rec.op("a"), writes=[a])
    eng.push(rec.op("b"), reads=[a], writes=[b])
    eng.push(rec.op("c"), reads=[a, b], writes=[c])
    eng.push(rec.op("d"), reads=[c], writes=[d])
    eng.wait_for_var(d)
    assert rec.order == ["a", "b", "c", "d"]
    assert set(rec.threads) == {threading.current_thread()}
    assert not blocker.release.is_set()      # all of it ran while the worker was held
    blocker.release.set()
    eng.wait_all()


@pytest.mark.timeout(60)
def test_waiting_thread_helps_past_granted_reads(one_worker):
    eng = one_worker
    blocker = Blocker(eng)
    rec = Recorder(3)
    v, w = eng.new_var("v"), eng.new_var("w")
    eng.push(rec.op("r1"), reads=[v], writes=[eng.new_var()])
    eng.push(rec.op("r2"), reads=[v], writes=[eng.new_var()])
    eng.push(rec.op("w"), writes=[v, w])       # waits for both reads
    eng.wait_for_var(w)
    assert sorted(rec.order[:2]) == ["r1", "r2"] and rec.order[2] == "w"
    assert set(rec.threads) == {threading.current_thread()}
    blocker.release.set()
    eng.wait_all()


@pytest.mark.timeout(60)
def test_wait_all_helps_too(one_worker):
    eng = one_worker
    blocker = Blocker(eng)
    rec = Recorder(20)
    vs = [eng.new_var() for _ in range(4)]
    for i in range(20):
        eng.push(rec.op(i), reads=[vs[i % 4]], writes=[vs[(i + 1) % 4]])
    # the worker is released only once all 20 ran: wait_all must run them itself
    releaser = threading.Thread(target=lambda: rec.all_ran.wait(TIMEOUT) and blocker.release.set())
    releaser.start()
    eng.wait_all()
    releaser.join()
    assert rec.order == list(range(20))
    assert set(rec.threads) == {threading.current_thread()}


@pytest.mark.timeout(60)
def test_wait_all_helps_again_when_a_core_frees(one_worker):
    """Both cores busy (a blocker on cpu(0), one on cpu(1)), another op ready on cpu(1):
    the thread in wait_all cannot help and sleeps.  When cpu(0)'s worker goes idle it
    wakes that thread, which now runs the ready op while cpu(1)'s worker is still
    blocked.  (Before, it slept until everything was done, and the op waited for
    cpu(1)'s worker.)"""
    from ndengine.device import cpu
    from ndengine.device.sharing import cores

    if cores() != 2:
        pytest.skip("needs exactly two cores: both must be busy, then one free")
    eng = one_worker
    a = Blocker(eng)                              # cpu(0)
    b_started, b_release = threading.Event(), threading.Event()

    def b_block() -> None:
        b_started.set()
        assert b_release.wait(TIMEOUT)

    vb = eng.new_var("b")
    eng.push(b_block, writes=[vb], device=cpu(1), name="b-blocker")
    assert b_started.wait(TIMEOUT)
    ran: list = []
    freed = threading.Event()
    eng.push(lambda: (ran.append(threading.current_thread()), freed.set()),
             device=cpu(1), name="ready-on-cpu1")

    def conductor() -> None:
        time.sleep(0.2)                           # the front end is asleep in wait_all
        a.release.set()                           # cpu(0)'s core frees
        freed.wait(5)                             # the ready op runs meanwhile (or not)
        b_release.set()

    th = threading.Thread(target=conductor)
    th.start()
    eng.wait_all()
    th.join()
    assert ran == [threading.main_thread()]


@pytest.mark.timeout(60)
def test_wait_all_helps_again_when_the_window_moves(make_engine):
    """One worker, a run-ahead window of one op's bytes.  The worker runs A; the thread
    in wait_all runs B, then finds C beyond the window (B's output counts until A is
    done) and sleeps.  When A completes the window moves: the worker takes C, and the
    sleeping thread must wake and take D beside it.  (Before, it slept until everything
    was done: C held D up, and 200 pushed 1000x1000 tanh ran on one core in some
    rounds.)"""
    from ndengine.device import set_cpu_sharing
    from ndengine.device.sharing import cores

    if cores() < 2:
        pytest.skip("the waiting thread helps only while a core is free")
    nbytes = 1 << 20
    prev = set_cpu_sharing("adaptive")
    try:
        eng = make_engine("threaded", workers=1, run_ahead_bytes=nbytes)
        a_started, a_release, c_release = (threading.Event() for _ in range(3))
        ran: dict[str, threading.Thread] = {}

        def op(label, before=None, after=None):
            def fn() -> None:
                ran[label] = threading.current_thread()
                if before is not None:
                    before.set()
                if after is not None:
                    after.wait(3)
            return fn

        eng.push(op("A", a_started, a_release), writes=[eng.new_var()], nbytes=nbytes)
        assert a_started.wait(TIMEOUT)
        eng.push(op("B"), writes=[eng.new_var()], nbytes=nbytes)
        eng.push(op("C", None, c_release), writes=[eng.new_var()], nbytes=nbytes)
        eng.push(op("D", c_release), writes=[eng.new_var()], nbytes=nbytes)

        def conductor() -> None:
            time.sleep(0.2)              # B ran here; the front end sleeps (window full)
            a_release.set()

        th = threading.Thread(target=conductor)
        th.start()
        eng.wait_all()
        th.join()
        main = threading.main_thread()
        assert ran["A"] is not main and ran["C"] is ran["A"], ran
        assert ran["B"] is main and ran["D"] is main, ran
    finally:
        set_cpu_sharing(prev)


@pytest.mark.timeout(60)
def test_waiting_thread_never_runs_a_collective_itself(one_worker):
    """cpu_shared carries distributed collectives: a front-end thread waiting on one
    waits for its worker (run inline, a Ctrl-C could cut a message in half and the
    re-queued op would send it again)."""
    from ndengine.device import Device

    eng = one_worker
    comm = Device("cpu_shared", 0)
    started, release = threading.Event(), threading.Event()
    held = eng.new_var("held")

    def hold() -> None:
        started.set()
        assert release.wait(TIMEOUT)

    eng.push(hold, writes=[held], device=comm, name="hold comm worker")
    assert started.wait(TIMEOUT)
    rec = Recorder(1)
    y = eng.new_var("y")
    eng.push(rec.op("y"), writes=[y], device=comm, name="collective")
    threading.Timer(0.2, release.set).start()
    eng.wait_for_var(y)
    assert rec.order == ["y"]
    assert rec.threads and rec.threads[0] is not threading.current_thread()
    eng.wait_all()
