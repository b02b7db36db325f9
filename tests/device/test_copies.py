"""Copies between CPU devices: copyto / as_in_ctx / to_device, overlap with computation,
and random programs spread over 2-3 devices equal to their NumPy replay."""
from __future__ import annotations

import threading
from typing import Any

import numpy as onp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndengine as mx
from ndengine import autograd, engine, np, npx
from ndengine.base import OpError
from ndengine.ndarray import ndarray as nd_mod
from ndengine.ndarray.ndarray import apply_op
from ndengine.ndarray.ops import register

CPUS = [mx.cpu(0), mx.cpu(1), mx.cpu(2)]


# ------------------------------------------------------------------------ the API
def test_copyto_a_device_makes_a_new_array_there() -> None:
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = x.copyto(mx.cpu(1))
    assert y is not x and y.device is mx.cpu(1) and y.shape == x.shape and y.dtype == x.dtype
    onp.testing.assert_array_equal(y.asnumpy(), x.asnumpy())
    z = x.copyto(mx.cpu(0))             # same device: still a new array
    assert z is not x and z.device is mx.cpu(0)


def test_copyto_an_array_replaces_its_values_and_casts() -> None:
    x = np.array([[1.5, 2.5]], device=mx.cpu(1))
    dst = np.zeros((1, 2), dtype="int32")
    assert x.copyto(dst) is dst
    assert dst.dtype == onp.int32 and dst.device is mx.cpu(0)
    onp.testing.assert_array_equal(dst.asnumpy(), [[1, 2]])


def test_as_in_ctx_and_to_device() -> None:
    x = np.ones((3,))
    assert x.as_in_ctx(mx.cpu(0)) is x and x.as_in_context(mx.cpu(0)) is x
    assert x.to_device(mx.cpu(0)) is x
    y = x.as_in_ctx(mx.cpu(2))
    z = x.to_device(mx.cpu(1), stream=None)
    assert (y.device, z.device) == (mx.cpu(2), mx.cpu(1))
    onp.testing.assert_array_equal(y.asnumpy() + z.asnumpy(), [2, 2, 2])


def test_non_blocking_false_returns_a_finished_copy() -> None:
    x = np.arange(6.0).reshape(2, 3)
    y = nd_mod.copy_to_device(x, mx.cpu(1), non_blocking=False)
    assert y._data is not None          # outputs are allocated when their op runs
    onp.testing.assert_array_equal(y.asnumpy(), onp.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("call", [
    lambda x: x.copyto("cpu(1)"),
    lambda x: x.copyto(3),
    lambda x: x.as_in_ctx("cpu"),
    lambda x: x.to_device(None),
])
def test_bad_destinations_fail_early_with_the_method_name(call: Any) -> None:
    x = np.ones((2, 2))
    with pytest.raises(TypeError, match=r"copyto|as_in_ctx|to_device"):
        call(x)


def test_shape_mismatch_names_both_shapes_and_devices() -> None:
    x = np.ones((2, 3), device=mx.cpu(1))
    with pytest.raises(ValueError, match=r"\(2, 3\).*cpu\(1\).*\(3, 2\).*cpu\(0\)"):
        x.copyto(np.zeros((3, 2)))


def test_unavailable_gpu_fails_at_the_copy() -> None:
    if mx.num_gpus() > 0:
        pytest.skip("a GPU is present")
    with pytest.raises(mx.device.DeviceError, match=r"gpu\(0\)"):
        np.ones((2,)).copyto(mx.gpu(0))


def test_ops_across_devices_need_a_copy_first() -> None:
    a = np.ones((2,), device=mx.cpu(0))
    b = np.ones((2,), device=mx.cpu(1))
    with pytest.raises(nd_mod.DeviceMismatchError, match=r"cpu\(0\).*cpu\(1\)"):
        a + b
    onp.testing.assert_array_equal((a + b.copyto(a.device)).asnumpy(), [2, 2])


def test_error_travels_through_a_copy_to_the_sync_point() -> None:
    def _k_fail(xp: Any, a: Any) -> Any:
        raise FloatingPointError("boom on cpu(1)")

    # a test's op, listed in no table (the op table lists the package's ops)
    op = register("test_copies_fail", _k_fail, lambda a: (a.shape, a.dtype), table=None)
    x = np.ones((2,), device=mx.cpu(1))
    bad = apply_op(op, (x,))
    moved = bad.copyto(mx.cpu(0))
    with pytest.raises(OpError, match="test_copies_fail"):
        moved.asnumpy()
    npx.waitall()


def test_gradient_flows_back_through_copies() -> None:
    x = np.array([1.0, 2.0, 3.0], device=mx.cpu(1))
    x.attach_grad()
    with autograd.record():
        y = (x * x).copyto(mx.cpu(0))
        z = (y * 3.0).as_in_ctx(mx.cpu(2)).sum()
    z.backward()
    assert x.grad.device is mx.cpu(1)
    onp.testing.assert_allclose(x.grad.asnumpy(), [6.0, 12.0, 18.0])


# ------------------------------------------------------------------------ overlap
def _gate_op() -> Any:
    """An op whose kernel announces its start and waits for a named event (a test's
    op, listed in no table)."""
    def kernel(xp: Any, a: Any, i: int) -> Any:
        GATES["started"][i].set()
        if i > 0:
            GATES["ok"][i] = GATES["copied"][i - 1].wait(10)
        return a + i

    return register("test_copies_gate", kernel, lambda a, i: (a.shape, a.dtype), table=None)


GATES: dict[str, Any] = {}


def test_copy_of_y_i_minus_1_runs_while_y_i_computes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rendezvous: the copy of y[i-1] waits until y[i] has started computing, and
    y[i] waits until that copy is done.  Both finish only if the copy runs while y[i]
    is in flight — on the copy workers, concurrently with the compute workers."""
    n = 4
    GATES.update(started=[threading.Event() for _ in range(n)],
                 copied=[threading.Event() for _ in range(n)], ok={}, overlapped={})
    real_transfer = nd_mod.transfer

    def transfer(buf: Any, src: Any, dst: Any) -> Any:
        i = int(onp.asarray(buf).flat[0])
        if i + 1 < n:
            GATES["overlapped"][i] = GATES["started"][i + 1].wait(10)
        out = real_transfer(buf, src, dst)
        GATES["copied"][i].set()
        return out

    monkeypatch.setattr(nd_mod, "transfer", transfer)
    gate = _gate_op()
    x = np.zeros((8, 8), device=mx.cpu(1))
    ys = [apply_op(gate, (x,), {"i": i}) for i in range(n)]
    copies = [y.copyto(mx.cpu(0)) for y in ys]
    npx.waitall()
    assert GATES["ok"] == {i: True for i in range(1, n)}
    assert GATES["overlapped"] == {i: True for i in range(n - 1)}
    for i, c in enumerate(copies):
        assert c.device is mx.cpu(0)
        onp.testing.assert_array_equal(c.asnumpy(), onp.full((8, 8), float(i)))


def test_statistics_show_copies_in_flight_and_busy_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    entered, release = threading.Event(), threading.Event()
    real_transfer = nd_mod.transfer

    def transfer(buf: Any, src: Any, dst: Any) -> Any:
        entered.set()
        assert release.wait(10)
        return real_transfer(buf, src, dst)

    monkeypatch.setattr(nd_mod, "transfer", transfer)
    npx.waitall()
    x = np.ones((16,), device=mx.cpu(1))
    moved = [x.copyto(mx.cpu(2)) for _ in range(3)]
    try:
        assert entered.wait(10)
        stats = engine.statistics()["devices"]
        copy_pool = stats["cpu(2)/copy"]
        assert copy_pool["copy"] is True
        assert copy_pool["pending"] == 3                       # copies in flight
        assert copy_pool["running"] >= 1 and copy_pool["busy_workers"] >= 1
        assert copy_pool["pending_bytes"] == 3 * x.nbytes
    finally:
        release.set()
    npx.waitall()
    assert engine.statistics()["devices"]["cpu(2)/copy"]["pending"] == 0
    for m in moved:
        onp.testing.assert_array_equal(m.asnumpy(), onp.ones(16))


# ------------------------------------------------------------------------ programs
SHAPE = (4, 4)
UNARY = {"sin": (onp.sin, np.sin), "tanh": (onp.tanh, np.tanh), "neg": (onp.negative, np.negative)}
BINARY = {"add": (onp.add, np.add), "mul": (onp.multiply, np.multiply),
          "matmul": (lambda a, b: (a @ b) * onp.float32(0.25), lambda a, b: np.matmul(a, b) * 0.25)}


@st.composite
def programs(draw: Any) -> dict[str, Any]:
    ndev = draw(st.integers(2, 3))
    dev = st.integers(0, ndev - 1)
    steps = []
    nvals = 2
    for _ in range(draw(st.integers(5, 30))):
        idx = st.integers(0, nvals - 1)
        kind = draw(st.sampled_from(["unary", "binary", "copyto", "copy_into", "inplace",
                                     "sync", "as_in_ctx"]))
        if kind == "unary":
            steps.append((kind, draw(st.sampled_from(sorted(UNARY))), draw(idx)))
        elif kind == "binary":
            steps.append((kind, draw(st.sampled_from(sorted(BINARY))), draw(idx), draw(idx)))
        elif kind in ("copyto", "as_in_ctx"):
            steps.append((kind, draw(idx), draw(dev)))
        elif kind == "copy_into":
            steps.append((kind, draw(idx), draw(idx)))
        elif kind == "inplace":
            steps.append((kind, draw(idx), draw(idx)))
        else:
            steps.append((kind, draw(idx)))
        if kind in ("unary", "binary", "copyto", "as_in_ctx"):
            nvals += 1
    return {"ndev": ndev, "steps": steps, "seed": draw(st.integers(0, 2**16)),
            "devs": draw(st.lists(dev, min_size=2, max_size=2))}


def replay(prog: dict[str, Any]) -> tuple[list[onp.ndarray], list[Any], list[tuple]]:
    """Run the program on ndengine and on NumPy.  The NumPy values live in boxes, so
    that ``as_in_ctx`` to the array's own device (which returns the array itself)
    aliases the box, as it aliases the array."""
    rng = onp.random.default_rng(prog["seed"])
    init = [rng.uniform(-1, 1, SHAPE).astype(onp.float32) for _ in range(2)]
    box = [[a.copy()] for a in init]
    arrs = [np.array(a, device=CPUS[d]) for a, d in zip(init, prog["devs"])]
    synced = []
    for step in prog["steps"]:
        kind = step[0]
        if kind == "unary":
            f_np, f_nd = UNARY[step[1]]
            box.append([f_np(box[step[2]][0])])
            arrs.append(f_nd(arrs[step[2]]))
        elif kind == "binary":
            f_np, f_nd = BINARY[step[1]]
            a, b = arrs[step[2]], arrs[step[3]]
            box.append([f_np(box[step[2]][0], box[step[3]][0])])
            arrs.append(f_nd(a, b.copyto(a.device) if b.device is not a.device else b))
        elif kind == "copyto":
            box.append([box[step[1]][0].copy()])
            arrs.append(arrs[step[1]].copyto(CPUS[step[2]]))
        elif kind == "as_in_ctx":
            src = arrs[step[1]]
            moved = src.as_in_ctx(CPUS[step[2]])
            assert (moved is src) == (src.device is CPUS[step[2]])
            box.append(box[step[1]] if moved is src else [box[step[1]][0].copy()])
            arrs.append(moved)
        elif kind == "copy_into":
            src, dst = step[1], step[2]
            box[dst][0] = box[src][0].copy()
            arrs[src].copyto(arrs[dst])
        elif kind == "inplace":
            a, b = step[1], step[2]
            box[a][0] = box[a][0] + box[b][0]
            arrs[a] += arrs[b].as_in_ctx(arrs[a].device)
        else:
            synced.append((step[1], arrs[step[1]].asnumpy(), box[step[1]][0].copy()))
    return [b[0] for b in box], arrs, synced


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_programs_over_devices_equal_their_numpy_replay(prog: dict[str, Any]) -> None:
    check_replay(prog)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_programs_over_partitioned_devices_equal_their_numpy_replay(prog: dict[str, Any]
                                                                    ) -> None:
    prev = mx.device.set_cpu_sharing("partitioned")
    try:
        check_replay(prog)
    finally:
        mx.device.set_cpu_sharing(prev)


def check_replay(prog: dict[str, Any]) -> None:
    ref, arrs, synced = replay(prog)
    for i, got, want in synced:
        onp.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=f"sync of {i}")
    for i, (a, r) in enumerate(zip(arrs, ref)):
        onp.testing.assert_allclose(a.asnumpy(), r, rtol=1e-5, atol=1e-5, err_msg=f"value {i}")
    devices = {a.device for a in arrs}
    assert devices <= set(CPUS[:prog["ndev"]])
