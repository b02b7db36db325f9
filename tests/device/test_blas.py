"""The BLAS thread policy: a lone kernel gets every core, concurrent kernels share them.

Deterministic: thread counts are read from the policy's own counters (and the
library's reported setting), never from timings.  Concurrency is forced with events.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import numpy as onp
import pytest

import ndengine as mx
from ndengine import engine, np
from ndengine.device import blas as blas_mod
from ndengine.device.blas import BLAS, BlasPolicy, set_blas_threads


def recorder(cap: int = 2, per_thread: bool = False) -> tuple[BlasPolicy, list[int]]:
    calls: list[int] = []
    return BlasPolicy(setter=calls.append, cap=cap, per_thread=per_thread), calls


def test_lone_kernel_gets_every_core_and_a_second_shares() -> None:
    p, calls = recorder(cap=2)
    with p as first:
        assert first == 2 and p.in_flight == 1
        with p as second:
            assert second == 1 and p.in_flight == 2
        assert p.in_flight == 1
    assert p.in_flight == 0
    assert p.chosen == {2: 1, 1: 1} and p.peak == 2
    # the library is called only when the count changes: 2, then 1, then back to 2
    assert calls == [2, 1, 2] and p.changes == 3


def test_a_chain_of_lone_kernels_sets_the_library_once() -> None:
    p, calls = recorder(cap=2)
    for _ in range(50):
        with p:
            pass
    assert calls == [2] and p.kernels == 50 and p.chosen == {2: 50}


@pytest.mark.parametrize("cap,concurrent,expected", [
    (4, 1, 4), (4, 2, 2), (4, 3, 1), (4, 4, 1), (4, 9, 1), (2, 1, 2), (2, 2, 1), (1, 1, 1)])
def test_threads_for(cap: int, concurrent: int, expected: int) -> None:
    p, _ = recorder(cap=cap)
    assert p.threads_for(concurrent) == expected


def test_fixed_count_disables_adaptation() -> None:
    p, calls = recorder(cap=4)
    p.set_fixed(1)
    with p as a, p as b:
        assert (a, b) == (1, 1)
    p.set_fixed(None)
    with p as a:
        assert a == 4


def test_load_probe_counts_other_kernels_and_a_failing_one_is_dropped() -> None:
    p, _ = recorder(cap=2)
    p.load_probe = lambda: 2          # another kernel of any kind runs
    with p as t:
        assert t == 1

    def broken() -> int:
        raise RuntimeError("probe")

    p.load_probe = broken
    with p as t:
        assert t == 2
    assert p.load_probe is None


def test_exit_runs_even_when_the_kernel_raises() -> None:
    p, _ = recorder(cap=2)
    with pytest.raises(ZeroDivisionError):
        with p:
            1 / 0
    assert p.in_flight == 0


def test_per_thread_library_remembers_the_value_per_thread() -> None:
    p, calls = recorder(cap=2, per_thread=True)
    with p:
        pass
    seen: list[int] = []

    def other() -> None:
        with p as t:
            seen.append(t)

    th = threading.Thread(target=other)
    th.start()
    th.join()
    with p:
        pass
    assert seen == [2]
    assert calls == [2, 2]     # once in each thread, not again in the first


def test_two_threads_in_flight_at_once_share_the_cores() -> None:
    p, _ = recorder(cap=2)
    inside = threading.Barrier(2, timeout=10)
    got: list[int] = []

    def kernel() -> None:
        with p as t:
            inside.wait()           # both are in flight here
            got.append(t)

    ths = [threading.Thread(target=kernel) for _ in range(2)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    assert sorted(got) == [1, 2]    # the first to enter was alone at that moment
    assert p.peak == 2 and p.in_flight == 0


def test_kernels_on_two_devices_through_the_engine() -> None:
    """The process policy, entered by engine ops on cpu(0) and cpu(1) that overlap."""
    a_in, b_done = threading.Event(), threading.Event()
    got: dict[str, int] = {}

    def op_a() -> None:
        with BLAS as t:
            got["a"] = t
            a_in.set()
            assert b_done.wait(10)

    def op_b() -> None:
        assert a_in.wait(10)
        with BLAS as t:
            got["b"] = t
            got["applied_inside"] = BLAS.applied
            got["library_inside"] = blas_mod.BLAS._lib.controllers[0].get_num_threads()
        b_done.set()

    mx.npx.waitall()
    cap = BLAS.cap
    engine.push(op_a, device=mx.cpu(0), name="blas-a")
    assert a_in.wait(10)       # op_a entered alone (op_b, pushed later, was not running)
    engine.push(op_b, device=mx.cpu(1), name="blas-b")
    engine.wait_all()
    assert got["a"] == cap
    assert got["b"] == max(1, cap // 2)         # the policy chose to share the cores
    # OpenBLAS may refuse the change (see the module notes): the policy believes what
    # the library reports, not what it asked for
    assert got["applied_inside"] == got["library_inside"]
    assert BLAS.in_flight == 0
    mx.npx.waitall()    # the last kernel may have left while the other op was finishing
    assert BLAS.applied == cap          # back to what plain NumPy would use


def test_array_ops_go_through_the_policy() -> None:
    x = np.ones((8, 8))
    before = BLAS.kernels
    y = np.matmul(x, x)
    z = np.dot(y, x)
    w = np.tensordot(z, x, axes=1)
    v = np.einsum("ij,jk->ik", w, x)
    onp.testing.assert_allclose(v.asnumpy(), onp.full((8, 8), 8.0 ** 4))
    assert BLAS.kernels - before == 4


def test_the_library_sees_the_count_chosen() -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")
    info = blas_mod.blas_info()
    if not info["libraries"]:
        pytest.fail(f"threadpoolctl found no BLAS library: {info}")
    with BLAS as t:
        libs = [d for d in threadpoolctl.threadpool_info() if d.get("user_api") == "blas"]
        assert all(d["num_threads"] == t for d in libs), (t, BLAS.applied, BLAS.in_flight, libs)


def test_set_blas_threads_validates_and_restores() -> None:
    with pytest.raises(ValueError, match="set_blas_threads"):
        set_blas_threads(0)
    with pytest.raises(ValueError, match="set_blas_threads"):
        set_blas_threads(True)    # type: ignore[arg-type]
    try:
        assert set_blas_threads(1) == 1
        assert blas_mod.blas_info()["policy"] == "fixed"
        x = np.ones((4, 4))
        (x @ x).wait_to_read()
        assert BLAS.last == 1
    finally:
        set_blas_threads(None)
    assert blas_mod.blas_info()["policy"] == "adaptive"


def test_fresh_process_loads_openblas_with_the_short_spin_and_leaks_no_variable() -> None:
    code = ("import os, json, ndengine\n"
            "from ndengine.device import blas_info\n"
            "i = blas_info()\n"
            "print(json.dumps({'spin': i['spin_timeout'], 'cap': i['cap'],"
            " 'env': os.environ.get('OPENBLAS_THREAD_TIMEOUT')}))\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["spin"] == blas_mod.SPIN_TIMEOUT
    assert got["env"] is None
    assert got["cap"] >= 1


def test_a_product_beside_a_running_elementwise_op_shares_the_cores() -> None:
    """The load probe counts every CPU op running, BLAS or not: a product started while
    an op of another device is running gets cap // 2 threads, alone it gets cap."""
    started, release = threading.Event(), threading.Event()

    def busy_op() -> None:
        started.set()
        assert release.wait(10)

    mx.npx.waitall()
    assert BLAS.load_probe is not None
    x = np.ones((16, 16))
    (x @ x).wait_to_read()
    assert BLAS.last == BLAS.cap
    engine.push(busy_op, device=mx.cpu(1), name="busy")
    try:
        assert started.wait(10)
        assert BLAS.load_probe() >= 1
        (x @ x).wait_to_read()
        assert BLAS.last == max(1, BLAS.cap // 2)
    finally:
        release.set()
    engine.wait_all()
