"""The stand-in asynchronous GPU (``sim_gpu``, :mod:`ndengine.device.sim_gpu`).

Its kernels run later, on a thread per stream, so these tests see what only a GPU would
show on the real thing: an op completed before its stream's event fired, a copy that
returned before its event, a reader on another stream or device starting too early.
Each "detects" test removes one wait (the engine's ``finish_op`` call, a copy's event
synchronization) and checks that the stand-in then gives wrong results — so the tests
that pass with the waits in place are evidence, not luck.
"""
from __future__ import annotations

import threading

import numpy as onp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndengine
from ndengine import engine, np, npx
from ndengine.base import MXNetError
from ndengine.device import Device, sim_gpu, streams, transfer

SIM0 = Device("sim_gpu", 0)
SIM1 = Device("sim_gpu", 1)
CPU0 = Device("cpu", 0)


@pytest.fixture
def slow_kernels():
    """Kernels wait ~5 ms before they run: a missing wait shows every time."""
    prev = sim_gpu.set_delay(5e-3)
    yield
    sim_gpu.set_delay(prev)


def test_the_device_is_a_gpu_that_waiting_threads_do_not_run() -> None:
    assert SIM0.is_gpu and SIM0.needs_finish and not SIM0.inline_ok
    assert SIM0.backend is sim_gpu.BACKEND and SIM0.xp is onp
    assert str(SIM0) == "sim_gpu(0)"


def test_an_op_callable_runs_on_its_workers_stream_thread_later() -> None:
    ran_in: list[str] = []
    v = engine.new_var()
    engine.push(lambda: ran_in.append(threading.current_thread().name), writes=[v],
                device=SIM0, name="where")
    engine.wait_for_var(v)
    # wait_for_var returned only after the stream ran the callable
    assert ran_in and ran_in[0].startswith("sim-stream-sim_gpu(0)")


def test_arrays_compute_and_copy_exactly_across_devices(slow_kernels) -> None:
    host = onp.arange(12, dtype=onp.float32).reshape(3, 4)
    x = np.array(host, device=SIM0)
    y = np.tanh(x) * 2 + 1
    z = y.copyto(SIM1) @ np.ones((4, 2), device=SIM1)
    back = z.copyto(CPU0)
    ref = (onp.tanh(host) * 2 + 1) @ onp.ones((4, 2), dtype=onp.float32)
    onp.testing.assert_allclose(back.asnumpy(), ref, rtol=1e-6)
    onp.testing.assert_allclose(z.asnumpy(), ref, rtol=1e-6)
    assert y.T.copyto(CPU0).asnumpy().shape == (4, 3)   # non-contiguous source


def test_kernel_errors_surface_at_the_sync_point() -> None:
    v = engine.new_var()

    def boom() -> None:
        raise ZeroDivisionError("kernel fault")

    engine.push(boom, writes=[v], device=SIM0, name="boom")
    with pytest.raises(MXNetError, match="boom") as ei:
        engine.wait_for_var(v)
    assert isinstance(ei.value.__cause__, ZeroDivisionError)


def test_naive_engine_waits_for_the_stream_too(slow_kernels) -> None:
    eng = engine.NaiveEngine()
    out: dict[str, int] = {}
    v = eng.new_var()
    eng.push(lambda: out.setdefault("x", 1), writes=[v], device=SIM0, name="set")
    assert out == {"x": 1}          # the naive push returns once the op is done


def test_naive_engine_runs_each_devices_ops_with_that_device_current(slow_kernels) -> None:
    """The naive driver runs an op in the pushing thread, which is no worker of its
    device (no worker_init): the op must still run with its device and a stream for it
    current, or sim_gpu(1)'s kernels would launch on sim_gpu(0), as on CUDA."""
    eng = engine.NaiveEngine()
    for dev in (SIM0, SIM1, SIM0):
        out: dict[str, Device] = {}
        v = eng.new_var()
        eng.push(lambda dev=dev: out.setdefault("x", dev), writes=[v], device=dev,
                 name="set")
        eng.wait_for_var(v)
        assert out == {"x": dev}
    engine.set_engine("naive")                  # the array layer's ops too
    try:
        host = onp.arange(6.0).reshape(2, 3)
        x = np.array(host, device=SIM1)
        y = (np.tanh(x) * 2).copyto(SIM0) + 1
        onp.testing.assert_allclose(y.asnumpy(), onp.tanh(host) * 2 + 1)
    finally:
        engine.set_engine("threaded")


def test_the_stand_in_detects_an_op_run_without_its_device_current(monkeypatch) -> None:
    """Without Device.run_op making the device current (the backend's ``use``), an op
    on sim_gpu(1) run outside its workers fails, naming both devices."""
    monkeypatch.setattr(sim_gpu.SimGpuBackend, "use", None)
    eng = engine.NaiveEngine()
    v = eng.new_var()
    eng.push(lambda: None, writes=[v], device=SIM1, name="k")
    with pytest.raises(MXNetError, match=r"sim_gpu\(1\).*sim_gpu\(0\) is current"):
        eng.wait_for_var(v)


def _values_with_finish_op_removed(monkeypatch, eng) -> list[bool]:
    monkeypatch.setattr(Device, "finish_op", lambda self: None)
    ok = []
    for k in range(5):
        buf = {"x": 0}
        v = eng.new_var()

        def write(k=k) -> None:
            buf["x"] = k + 1

        eng.push(write, writes=[v], device=SIM0, name="write")
        eng.wait_for_var(v)
        ok.append(buf["x"] == k + 1)
    return ok


def test_detects_an_engine_that_does_not_call_finish_op(monkeypatch, slow_kernels) -> None:
    eng = engine.ThreadedEngine()
    assert all(_values_with_finish_op_removed(monkeypatch, eng)) is False
    eng.drain()


def test_detects_a_copy_that_does_not_wait_for_its_event(monkeypatch, slow_kernels) -> None:
    host = onp.arange(1000, dtype=onp.float64)
    ok = onp.array_equal(transfer.device_to_host(
        transfer.host_to_device(host, SIM0), SIM0), host)
    assert ok
    # without the event wait after the queued H2D, the device buffer is read too early
    monkeypatch.setattr(transfer._streams, "finish", lambda stream: None)
    got = transfer.host_to_device(host, SIM0)
    early = got.copy()
    monkeypatch.undo()
    streams.current(SIM0).synchronize()
    assert not onp.array_equal(early, host) and onp.array_equal(got, host)


# --------------------------------------------------------------- random array programs
UNARY = ["tanh", "abs", "negative", "square", "sin", "floor"]
BINARY = ["add", "subtract", "multiply", "maximum", "minimum"]
DEVICES = [SIM0, SIM1, CPU0]


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_array_programs_on_two_sim_gpus_equal_numpy(data) -> None:
    """As tests/numpy/test_np_programs.py: each step runs on NumPy at once and is pushed
    to ndengine without waiting; arrays live on two stand-in GPUs and the CPU, and move
    between them with copies (each op's kernels run later on its worker's stream)."""
    draw = data.draw
    rng = onp.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    ref: list[onp.ndarray] = []
    nd: list[object] = []
    for _ in range(draw(st.integers(3, 30))):
        kind = draw(st.sampled_from(["create", "unary", "binary", "matmul", "copy", "iadd"]))
        if kind == "create" or not ref:
            a = rng.integers(-3, 4, size=(3, 4)).astype(onp.float32)
            ref.append(a)
            nd.append(np.array(a, device=draw(st.sampled_from(DEVICES))))
            continue
        i = draw(st.integers(0, len(ref) - 1))
        if kind == "unary":
            name = draw(st.sampled_from(UNARY))
            ref.append(getattr(onp, name)(ref[i]))
            nd.append(getattr(np, name)(nd[i]))
        elif kind in ("binary", "matmul"):
            same = [j for j in range(len(ref)) if nd[j].device is nd[i].device
                    and ref[j].shape == ref[i].shape]
            j = draw(st.sampled_from(same))
            if kind == "binary":
                name = draw(st.sampled_from(BINARY))
                ref.append(getattr(onp, name)(ref[i], ref[j]))
                nd.append(getattr(np, name)(nd[i], nd[j]))
            else:
                ref.append(ref[i] @ ref[j].T)
                nd.append(nd[i] @ nd[j].T)
        elif kind == "copy":
            ref.append(ref[i].copy())
            nd.append(nd[i].copyto(draw(st.sampled_from(DEVICES))))
        else:
            if ref[i].shape == (3, 4):
                ref[i] = ref[i] + 1
                nd[i] += 1
    for k, (r, a) in enumerate(zip(ref, nd)):
        onp.testing.assert_allclose(a.asnumpy(), r, rtol=1e-5, atol=1e-5, err_msg=f"array {k}")
    npx.waitall()


def test_bulk_fused_ops_wait_for_the_stream(slow_kernels) -> None:
    buf: list[int] = []
    v = engine.new_var()
    with engine.bulk(4):
        for k in range(6):
            engine.push(lambda k=k: buf.append(k), writes=[v], device=SIM0, name=f"b{k}")
    engine.wait_for_var(v)
    assert buf == list(range(6))
