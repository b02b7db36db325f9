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


@pytest.fixture(autouse=True)
def _no_machine_rule():
    """The real library's tests check the steering's counts: the busy-machine rule
    (which follows what other processes do) and the small-kernel rule (their products
    are small) are off for them; the rules' own tests below set them up themselves."""
    BLAS.cap                                # binds the library (and makes the rule)
    saved = BLAS.machine, BLAS._machine_cap, BLAS.small_flops
    BLAS.machine, BLAS._machine_cap, BLAS.small_flops = None, None, 0.0
    try:
        yield
    finally:
        BLAS.machine, BLAS._machine_cap, BLAS.small_flops = saved


def recorder(cap: int = 2, per_thread: bool = False) -> tuple[BlasPolicy, list[int]]:
    calls: list[int] = []
    return BlasPolicy(setter=calls.append, cap=cap, per_thread=per_thread), calls


def test_steer_gives_a_lone_device_every_core_and_shared_devices_half() -> None:
    p, calls = recorder(cap=2)
    p.steer(False)
    p.steer(False)
    p.steer(True)                   # another CPU device has work: share the cores
    p.steer(True)
    p.steer(False)
    # the library is called only when the count changes: 2, then 1, then back to 2
    assert calls == [2, 1, 2] and p.changes == 3


def test_a_kernel_asks_for_its_share_of_the_cores() -> None:
    """cap // (kernels in flight, or CPU devices with work by the probe, if more)."""
    p, calls = recorder(cap=2)
    with p as first:
        assert first == 2 and p.in_flight == 1
        with p as second:
            assert second == 1 and p.in_flight == 2
    p.load_probe = lambda: 2        # two devices have work
    with p as t:
        assert t == 1
    p.load_probe = lambda: 1        # the other device is done: every core again
    with p as t:
        assert t == 2
    assert p.in_flight == 0 and p.peak == 2
    assert calls == [2, 1, 2] and p.chosen == {2: 2, 1: 2}


def test_a_failing_probe_is_dropped() -> None:
    p, _ = recorder(cap=2)

    def broken() -> int:
        raise RuntimeError("probe")

    p.load_probe = broken
    with p as t:
        assert t == 2
    assert p.load_probe is None


def test_a_loop_of_products_on_one_device_sets_the_library_once() -> None:
    p, calls = recorder(cap=2)
    p.load_probe = lambda: 1
    for _ in range(50):
        p.steer(False)
        with p:
            pass
    assert calls == [2] and p.kernels == 50 and p.chosen == {2: 50}


def test_the_steward_is_the_one_thread_that_sets_a_process_wide_library() -> None:
    """Requests from any thread reach the library through one steward thread (OpenBLAS
    lets only the first thread that set the count change it)."""
    seen: list[tuple[int, str]] = []

    def setter(n: int) -> int:
        seen.append((n, threading.current_thread().name))
        return n

    p = BlasPolicy(setter=setter, cap=2)
    p._async = True                 # as when bound to the real process-wide library
    p.steer(True)
    th = threading.Thread(target=lambda: p.steer(False), name="another-front-end")
    th.start()
    th.join()
    assert p.sync()
    assert [n for n, _ in seen][-1] == 2 and p.applied == 2
    assert {name for _, name in seen} == {"ndengine-blas-steward"}


@pytest.mark.parametrize("cap,concurrent,expected", [
    (4, 1, 4), (4, 2, 2), (4, 3, 1), (4, 4, 1), (4, 9, 1), (2, 1, 2), (2, 2, 1), (1, 1, 1)])
def test_threads_for(cap: int, concurrent: int, expected: int) -> None:
    p, _ = recorder(cap=cap)
    assert p.threads_for(concurrent) == expected


def test_fixed_count_disables_steering() -> None:
    p, calls = recorder(cap=4)
    p.set_fixed(1)
    p.steer(False)
    p.steer(True)
    with p as a, p as b:
        assert (a, b) == (1, 1)
    assert calls == [1]
    p.set_fixed(None)
    with p as a:
        assert a == 4
    assert calls == [1, 4]


def test_settle_goes_back_to_every_core_only_when_no_kernel_runs() -> None:
    p, calls = recorder(cap=2)
    p.load_probe = lambda: 2
    with p:
        p.settle()                  # a kernel in flight: left as it is
        assert p.applied == 1
    p.settle()
    assert p.applied == 2 and calls == [1, 2]


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


def test_per_thread_library_kernels_in_flight_at_once_share_the_cores() -> None:
    """Where the library's limit is per thread (OpenMP, MKL), each kernel sets its own
    thread's count from the kernels in flight."""
    p, _ = recorder(cap=2, per_thread=True)
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


def test_pushes_steer_the_library_through_the_engine() -> None:
    """A product pushed to cpu(0) while cpu(1) has work pending gets half the cores, on
    the real library; alone it gets them all; waitall settles the count back."""
    mx.npx.waitall()
    cap = BLAS.cap
    lib = blas_mod.BLAS._lib.controllers[0]
    started, release = threading.Event(), threading.Event()

    def busy_op() -> None:
        started.set()
        assert release.wait(10)

    x = np.ones((16, 16))
    (x @ x).wait_to_read()
    assert BLAS.sync()
    assert BLAS.applied == cap == lib.get_num_threads()
    engine.push(busy_op, device=mx.cpu(1), name="busy")
    try:
        assert started.wait(10)
        y = x @ x                   # cpu(1) has work: the cores are shared
        y.wait_to_read()
        assert BLAS.sync()
        assert BLAS.applied == max(1, cap // 2) == lib.get_num_threads()
        assert BLAS.last == max(1, cap // 2)
    finally:
        release.set()
    mx.npx.waitall()
    assert BLAS.sync()
    assert BLAS.applied == cap == lib.get_num_threads()   # what plain NumPy would use
    (x @ x).wait_to_read()
    assert BLAS.last == cap


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
        assert BLAS.sync()          # the steward has applied the kernel's request
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


# -- the busy-machine rule (issue 18) ---------------------------------------------------
class _Clock:
    """Busy seconds of the machine's CPUs and of this process, set by the test."""

    def __init__(self) -> None:
        self.busy = 0.0
        self.own = 0.0


def _machine(ncores: int = 2) -> tuple[blas_mod.MachineLoad, _Clock]:
    c = _Clock()
    return blas_mod.MachineLoad(interval=0.25, reader=lambda: c.busy, own=lambda: c.own,
                                ncores=ncores), c


def test_machine_load_counts_other_processes_cores_only() -> None:
    m, c = _machine(ncores=2)
    m.sample(10.0)
    assert m.free() is None                 # one sample: no measurement yet
    c.busy, c.own = 1.0, 1.0                # 1 s of 2 core-seconds busy, all of it ours
    m.sample(11.0)
    assert m.others == 0.0 and m.free() == 2
    c.busy, c.own = 3.0, 1.5                # 2 busy cores: 0.5 ours, 1.5 others'
    m.sample(12.0)
    assert m.others == pytest.approx(1.5) and m.free() == 1
    c.busy = 5.0 + 2.0                      # overloaded: never below one thread
    m.sample(13.0)
    assert m.free() == 1
    assert not m.due(13.1) and m.due(13.25)


def test_a_missing_proc_stat_switches_the_rule_off() -> None:
    m = blas_mod.MachineLoad(reader=lambda: None, own=lambda: 0.0, ncores=2)
    m.sample(1.0)
    assert not m.enabled and m.free() is None and not m.due(5.0)


def test_a_busy_machine_caps_every_kernels_threads(monkeypatch) -> None:
    m, c = _machine(ncores=2)
    now = [100.0]
    monkeypatch.setattr(blas_mod, "_monotonic", lambda: now[0])
    p = BlasPolicy(setter=(calls := []).append, cap=2, machine=m)
    with p as t:
        assert t == 2                       # first sample: nothing known yet
    c.busy = 1.0                            # another process kept a core busy
    now[0] += 1.0
    with p as t:
        assert t == 1 and p.cap == 1
    p.steer(False)                          # the push-time request is capped too
    assert calls[-1] == 1
    now[0] += 1.0                           # the other process has gone
    with p as t:
        assert t == 2 and p.cap == 2
    assert calls == [2, 1, 2]
    p.set_fixed(2)                          # a fixed count wins over the rule
    c.busy += 2.0
    now[0] += 1.0
    with p as t:
        assert t == 2


def test_the_rule_sees_a_real_busy_process() -> None:
    """Processes spinning on every core of this one: the rule leaves BLAS one thread."""
    n = blas_mod.cores()
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(n)]
    try:
        m = blas_mod.MachineLoad(interval=0.0)
        import time
        time.sleep(0.3)
        m.sample(time.monotonic())
        time.sleep(0.6)
        m.sample(time.monotonic())
        if not m.enabled:
            pytest.skip("no /proc/stat on this system: the rule is off")
        assert m.free() == 1, (m.others, n)
    finally:
        for s in spinners:
            s.kill()
            s.wait()


def test_the_rule_can_be_switched_off_by_name() -> None:
    code = ("import ndengine as mx\nfrom ndengine import np\n"
            "x = np.ones((64, 64)); (x @ x).wait_to_read()\n"
            "from ndengine.device.blas import BLAS\nprint(BLAS.machine is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env=dict(os.environ, NDENGINE_BLAS_MACHINE_LOAD="0"))
    assert out.stdout.strip() == "True", out.stderr


def test_small_kernels_get_one_thread_large_ones_their_share() -> None:
    p, calls = recorder(cap=2)
    p.small_flops = 1e8
    assert p.enter(2.0 * 64 * 400 * 120) == 1      # 6 Mflop: one thread
    p.__exit__()
    assert p.enter(2.0 * 1024 ** 3) == 2           # 2 Gflop: every core
    p.__exit__()
    assert p.enter(0.0) == 2                       # unknown size: the ordinary rule
    p.__exit__()
    p.set_fixed(2)
    assert p.enter(1e3) == 2                       # a fixed count wins
    p.__exit__()
    assert calls == [1, 2]


def test_the_array_layer_estimates_a_products_flops() -> None:
    from ndengine.ndarray.ops import _flops

    a, b = onp.ones((64, 400)), onp.ones((400, 120))
    assert _flops((a, b)) == 2 * 64 * 400 * 120
    data, weight = onp.ones((8, 3, 28, 28)), onp.ones((6, 3, 5, 5))
    assert _flops((data, weight)) == 2 * data.size * 3 * 5 * 5
    assert _flops((a,)) == 0.0 and _flops(("ij,jk", a)) == 0.0


@pytest.mark.parametrize("value", ["abc", "-1", "nan"])
def test_a_bad_small_flops_setting_is_an_error_naming_the_variable(value: str) -> None:
    out = subprocess.run([sys.executable, "-c", "import ndengine"], capture_output=True,
                         text=True, timeout=120,
                         env=dict(os.environ, NDENGINE_BLAS_SMALL_FLOPS=value))
    assert out.returncode != 0 and "NDENGINE_BLAS_SMALL_FLOPS must be a number >= 0" in out.stderr


def test_a_dense_layers_products_are_sized_by_its_units():
    """fully_connected's weight is (units, in_units): its BLAS estimate is 2 x.size units
    (the generic (m, k) x (k, n) reading gave the book's first Dense, 64x512 by 256
    units, 33.6 Mflop instead of 16.8, above the small-kernel size), and its one-op
    gradient 2 g.size in_units; a replayed graph uses the same estimates."""
    import numpy as onp
    from ndengine.ndarray.ops import OPS

    x, w, g = onp.ones((64, 512)), onp.ones((256, 512)), onp.ones((64, 256))
    assert OPS["fully_connected"].kernel.flops((x, w), {}) == 2 * 64 * 512 * 256
    assert OPS["_fc_backward"].kernel.flops((g, w, x), {}) == 2 * 64 * 256 * 512
    assert OPS["_fc_backward"].kernel.flops((g, w, x), {"need": (False, False, True)}) == g.size
