"""Several front-end threads pushing to one engine at once."""
from __future__ import annotations

import threading

import numpy as onp
import pytest

from ndengine.device import cpu

THREADS = 4
OPS = 500
MOD = 1_000_003


def run_frontends(eng, ndev: int = 1) -> None:
    shared = eng.new_var("shared")
    shared_buf = onp.zeros(256, dtype=onp.int64)
    private = [eng.new_var(f"p{t}") for t in range(THREADS)]
    private_buf = [onp.zeros(256, dtype=onp.int64) for _ in range(THREADS)]
    observed: list[list[int]] = [[] for _ in range(THREADS)]
    expected_private = []
    for t in range(THREADS):           # sequential per-var replay of each private chain
        v = onp.zeros(256, dtype=onp.int64)
        for i in range(OPS):
            if i % 5 != 4:
                v = (v * 3 + (t * OPS + i)) % MOD
        expected_private.append(v)
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def frontend(t: int) -> None:
        try:
            start.wait()
            mine = 0
            for i in range(OPS):
                dev = cpu(i % ndev)
                if i % 5 == 4:
                    inc = t + 1
                    mine += inc

                    def add(inc=inc) -> None:   # read-modify-write in two visible steps
                        tmp = shared_buf + inc
                        onp.sin(tmp)            # GIL released between read and write
                        shared_buf[:] = tmp

                    eng.push(add, writes=[shared], device=dev, priority=i % 3 - 1)

                    def look(t=t, floor=mine) -> None:
                        observed[t].append((int(shared_buf[0]), floor))

                    eng.push(look, reads=[shared], writes=[private[t]], device=dev)
                else:
                    buf = private_buf[t]

                    def step(buf=buf, c=t * OPS + i) -> None:
                        onp.multiply(buf, 3, out=buf)
                        onp.add(buf, c, out=buf)
                        onp.mod(buf, MOD, out=buf)

                    eng.push(step, writes=[private[t]], device=dev, priority=-(i % 2))
                if i % 97 == 0:
                    eng.wait_for_var(private[t])
        except BaseException as e:      # report in the main thread
            errors.append(e)

    threads = [threading.Thread(target=frontend, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not any(th.is_alive() for th in threads), "a front-end thread hung"
    assert not errors, errors
    eng.wait_all()
    # the shared var: every increment applied exactly once (no lost update)
    total = sum((t + 1) * (OPS // 5) for t in range(THREADS))
    assert (shared_buf == total).all()
    for t in range(THREADS):
        assert onp.array_equal(private_buf[t], expected_private[t])
        seen = [s for s, _ in observed[t]]
        assert seen == sorted(seen)                      # the shared count only grows
        assert all(s >= floor for s, floor in observed[t])  # own earlier writes are seen
        assert len(observed[t]) == OPS // 5
    stats = eng.statistics()
    assert stats["pending"] == 0
    assert stats["completed"] == stats["pushed"]
    assert stats["errors_pending"] == 0
    for dev in stats["devices"].values():
        assert dev["pending"] == 0 and dev["running"] == 0 and dev["ready"] == 0


@pytest.mark.timeout(60)
@pytest.mark.parametrize("settings", [
    dict(kind="threaded", workers=2),
    dict(kind="threaded", workers=1, devices=(0, 1)),
    dict(kind="threaded", workers=4, run_ahead=2, max_pending_ops=3),
    dict(kind="naive"),
], ids=["threaded-2", "threaded-1-two-devices", "window-bound", "naive"])
def test_frontend_threads_give_the_sequential_per_var_result(make_engine, settings):
    ndev = len(settings.get("devices", (0,)))
    eng = make_engine(**settings)
    before = eng.statistics()["pushed"]
    run_frontends(eng, ndev)
    assert eng.statistics()["pushed"] - before == THREADS * OPS + THREADS * (OPS // 5)
