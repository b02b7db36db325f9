"""Backpressure: a front end racing ahead cannot fill memory with pending work."""
from __future__ import annotations

import os
import threading
import time

import numpy as onp
import pytest

from ndengine import engine, np
from ndengine.engine import ThreadedEngine


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture
def small_bound():
    eng = engine.get_engine()
    old = (eng.max_pending_ops, eng.max_pending_bytes)
    engine.set_bound(max_pending_bytes=32 << 20)
    yield 32 << 20
    engine.wait_all()
    engine.set_bound(*old)


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc for RSS")
def test_runaway_loop_stays_within_the_bound(small_bound):
    x = np.ones((1024, 1024))                     # 4 MB
    acc = np.zeros((1, 1))
    x.wait_to_read()
    rss0 = _rss()
    peak_pending = 0
    peak_rss = 0
    for i in range(2000):
        y = x * float(i % 7)                      # 4 MB output per push
        acc = acc + y[:1, :1]
        if i % 25 == 0:
            st = engine.statistics()["devices"]["cpu(0)"]
            peak_pending = max(peak_pending, st["pending_bytes"])
            peak_rss = max(peak_rss, _rss() - rss0)
    assert float(acc.item()) == sum(i % 7 for i in range(2000))
    st = engine.statistics()["devices"]["cpu(0)"]
    assert st["throttled_pushes"] > 0             # the bound was reached and held
    assert peak_pending <= small_bound + (4 << 20)
    # RSS as a second check: pending outputs are not even allocated until they run
    assert peak_rss <= 4 * small_bound


def test_count_bound_holds_and_results_are_right():
    eng = ThreadedEngine()
    eng.set_bound(max_pending_ops=16)
    v = eng.new_var("v")
    out = []
    seen = []

    def op(i: int) -> None:
        time.sleep(0.0005)
        out.append(i)

    for i in range(300):
        eng.push(lambda i=i: op(i), (), (v,))
        seen.append(eng.statistics()["devices"]["cpu(0)"]["pending"])
    eng.wait_all()
    assert out == list(range(300))
    assert max(seen) <= 16 + 1
    assert eng.statistics()["devices"]["cpu(0)"]["throttled_pushes"] > 0


def test_independent_producers_do_not_run_far_ahead_with_several_workers(monkeypatch):
    """The note in the issue: with several workers, ready producers (the next batches'
    inputs) could run far ahead of a slow consumer chain; the run-ahead window keeps
    them within a few ops of it."""
    monkeypatch.setenv("NDENGINE_CPU_WORKERS", "2")
    eng = ThreadedEngine()
    eng.run_ahead = 8
    chain = eng.new_var("chain")
    done_c = [0]
    lead = []
    lock = threading.Lock()

    def consumer() -> None:
        time.sleep(0.004)
        with lock:
            done_c[0] += 1

    def producer(i: int) -> None:
        with lock:
            lead.append(i - done_c[0])            # producers started ahead of the chain

    for i in range(40):
        eng.push(consumer, (), (chain,), name="consumer")
        eng.push(lambda i=i: producer(i), (), (eng.new_var(),), name="producer")
    eng.wait_all()
    assert len(lead) == 40
    assert max(lead) <= 8                        # not 39, as without the window
    assert eng.statistics()["devices"]["cpu(0)"]["held_for_run_ahead"] > 0
