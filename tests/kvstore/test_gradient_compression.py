"""2-bit gradient compression (``set_gradient_compression``, ``Trainer(compression_params)``):
quantization and residuals against a NumPy reference over several pushes, the codes'
layout, where MXNet 1.9.1 allows it, and its errors."""
from __future__ import annotations

from typing import Any

import numpy as onp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndengine as mx
from ndengine import autograd, kvstore, np, npx
from ndengine.device import cpu
from ndengine.gluon import Trainer, loss as gloss, nn
from ndengine.kvstore import KVStoreError
from ndengine.kvstore.compression import GradientCompression, parse

F32 = onp.float32


@pytest.fixture(autouse=True)
def _np_mode():
    npx.set_np()
    yield


def ref_quantize(g: onp.ndarray, r: onp.ndarray, t: float) -> tuple[onp.ndarray, onp.ndarray]:
    """MXNet's 2bit step, elementwise in float32: (value sent, new residual)."""
    r = (r + g).astype(F32)
    t32 = F32(t)
    q = onp.where(r >= t32, t32, onp.where(r <= -t32, -t32, F32(0))).astype(F32)
    return q, (r - q).astype(F32)


# ----------------------------------------------------------------------- parameters
@pytest.mark.parametrize("params, err, match", [
    ("2bit", TypeError, "must be a dict"),
    ({"threshold": 0.5}, KVStoreError, "need a 'type'"),
    ({"type": "1bit"}, KVStoreError, "unknown type for gradient compression '1bit'"),
    ({"type": "none"}, KVStoreError, "unknown type"),
    ({"type": "2bit", "threshold": 0}, KVStoreError, "greater than 0, got 0"),
    ({"type": "2bit", "threshold": -1.0}, KVStoreError, "greater than 0"),
    ({"type": "2bit", "threshold": float("nan")}, KVStoreError, "greater than 0"),
    ({"type": "2bit", "threshold": float("inf")}, KVStoreError, "finite"),
    ({"type": "2bit", "threshold": "abc"}, KVStoreError, "must be a number, got 'abc'"),
    ({"type": "2bit", "threshold": True}, KVStoreError, "must be a number"),
    ({"type": "2bit", "threshhold": 0.1}, KVStoreError, r"unknown compression parameter"),
])
def test_bad_parameters_are_refused_naming_what_was_given(params: Any, err: type,
                                                          match: str) -> None:
    kv = kvstore.create("device")
    with pytest.raises(err, match=match):
        kv.set_gradient_compression(params)
    assert kv._compression is None


def test_parameters_as_mxnet_reads_them() -> None:
    assert parse({"type": "2bit"}).threshold == 0.5              # MXNet's default
    assert parse({"type": "2bit", "threshold": "0.25"}).threshold == 0.25   # str, as MXNet
    assert parse({"type": "2bit", "threshold": onp.float32(2)}).threshold == 2.0
    assert GradientCompression.compressed_nbytes(17) == 5


@pytest.mark.parametrize("kind", ["local", "nccl", "local_update_cpu", "local_allreduce_cpu"])
def test_stores_that_mxnet_refuses_refuse(kind: str) -> None:
    kv = kvstore.create(kind)
    with pytest.raises(KVStoreError, match=f"not supported for the '{kind}' kvstore"):
        kv.set_gradient_compression({"type": "2bit", "threshold": 0.5})


@pytest.mark.parametrize("kind", ["device", "local_allreduce_device"])
def test_device_stores_compress(kind: str) -> None:
    kv = kvstore.create(kind)
    kv.set_gradient_compression({"type": "2bit", "threshold": 0.5})
    kv.init(0, np.zeros((3,)))
    kv.push(0, [np.array([0.3, 0.6, -0.7]), np.array([0.3, 0.1, 0.0], device=cpu(1))])
    out = np.zeros((3,))
    kv.pull(0, out=out)
    onp.testing.assert_array_equal(out.asnumpy(), [0.0, 0.5, -0.5])


# ----------------------------------------------------------------- the codes' layout
def test_codes_are_two_bits_a_value_first_value_in_the_top_bits() -> None:
    gc = parse({"type": "2bit", "threshold": 1.0})
    g = np.array([2.0, -3.0, 0.5, 1.0, -1.0, 0.0], dtype="float32")
    codes = gc.quantize("k", [g])[0]
    # +t, -t, 0, +t | -t, 0, (pad) -> 11 10 00 11 | 10 00 00 00
    assert codes.dtype == onp.uint8 and codes.shape == (2,)
    assert codes.asnumpy().tolist() == [0b11100011, 0b10000000]
    onp.testing.assert_array_equal(gc._residuals["k"][0].asnumpy(),
                                   [1.0, -2.0, 0.5, 0.0, 0.0, 0.0])
    onp.testing.assert_array_equal(gc.dequantize_sum([codes, codes], (6,)).asnumpy(),
                                   [2.0, -2.0, 0.0, 2.0, -2.0, 0.0])


# ------------------------------------------------ several pushes against the reference
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.sampled_from([(1,), (5,), (3, 4), (2, 3, 3), (33,)]),
       ndev=st.integers(1, 3), pushes=st.integers(1, 4),
       threshold=st.sampled_from([0.1, 0.25, 0.5, 1.0, 3.0]),
       seed=st.integers(0, 2 ** 16), updater=st.booleans(), pushpull=st.booleans())
def test_pushes_quantize_with_a_residual_per_device(shape, ndev, pushes, threshold, seed,
                                                    updater, pushpull) -> None:
    rng = onp.random.default_rng(seed)
    devs = [cpu(i) for i in range(ndev)]
    kv = kvstore.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": threshold})
    w0 = rng.standard_normal(shape).astype(F32)
    kv.init("w", np.array(w0))
    if updater:
        def update(key, grad, stored):
            stored[:] = stored - 0.5 * grad
        kv._set_updater(update)
    res = [onp.zeros(shape, F32) for _ in devs]
    want = w0
    for _ in range(pushes):
        # values near the threshold, exact multiples of it included (>= and <= count)
        gs = (rng.integers(-6, 7, size=(ndev,) + shape) * (threshold / 2)).astype(F32)
        gs += (rng.standard_normal(gs.shape) * threshold * (rng.random() < 0.5)).astype(F32)
        vals = [np.array(g, device=d) for g, d in zip(gs, devs)]
        total = onp.zeros(shape, F32)
        for i in range(ndev):
            q, res[i] = ref_quantize(gs[i], res[i], threshold)
            total += q
        want = (want - F32(0.5) * total).astype(F32) if updater else total
        if pushpull:
            kv.pushpull("w", vals)
            for v in vals:
                onp.testing.assert_allclose(v.asnumpy(), want, rtol=1e-6, atol=1e-6)
        else:
            kv.push("w", vals)
        outs = [np.zeros(shape, device=d) for d in devs]
        kv.pull("w", out=outs)
        for o in outs:
            onp.testing.assert_allclose(o.asnumpy(), want, rtol=1e-6, atol=1e-6)
    for r, d, mine in zip(kv._compression._residuals["w"], devs, res):
        assert r.device is d
        onp.testing.assert_array_equal(r.asnumpy(), mine)


def test_a_single_device_is_compressed_too_and_init_is_not() -> None:
    kv = kvstore.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": 0.5})
    kv.init(1, np.full((2,), 0.3))              # init: stored as given
    out = np.zeros((2,))
    kv.pull(1, out=out)
    onp.testing.assert_allclose(out.asnumpy(), [0.3, 0.3])
    got = []
    for _ in range(3):
        kv.push(1, np.full((2,), 0.3))
        kv.pull(1, out=out)
        got.append(out.asnumpy()[0])
    assert got == [0.0, 0.5, 0.0]               # 0.3 -> 0.6 (sent 0.5) -> 0.4 -> 0.7 ...


def test_setting_it_again_keeps_the_residuals() -> None:
    kv = kvstore.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": 0.5})
    kv.init(0, np.zeros((1,)))
    kv.push(0, np.full((1,), 0.4))
    kv.set_gradient_compression({"type": "2bit", "threshold": 0.6})
    kv.push(0, np.full((1,), 0.4))              # residual 0.4 + 0.4 >= 0.6
    out = np.zeros((1,))
    kv.pull(0, out=out)
    onp.testing.assert_allclose(out.asnumpy(), [0.6])


# -------------------------------------------------------------------------- errors
def test_bad_pushes_fail_early_and_clearly() -> None:
    kv = kvstore.create("device")
    kv.set_gradient_compression({"type": "2bit"})
    kv.init(0, np.zeros((2, 2), dtype="float64"))
    with pytest.raises(KVStoreError, match=r"needs float32 values.*key 0 got float64"):
        kv.push(0, np.zeros((2, 2), dtype="float64"))
    kv.init(1, np.zeros((2, 2)))
    kv.push(1, [np.zeros((2, 2)), np.zeros((2, 2), device=cpu(1))])
    with pytest.raises(KVStoreError, match=r"first pushed with compression from "
                                           r"\[cpu\(0\), cpu\(1\)\] and now from \[cpu\(0\)\]"):
        kv.push(1, np.zeros((2, 2)))
    rsp = mx.nd.sparse.row_sparse_array((mx.nd.ones((1, 2)), mx.nd.array([1])), shape=(2, 2))
    with pytest.raises(KVStoreError, match="compression of row_sparse values is not supported"):
        kv.push(1, rsp)


# ------------------------------------------------------------------------- Trainer
def _classifier(ctx, comp, kvstore_arg: Any = "device", steps: int = 100):
    npx.random.seed(0)
    rng = onp.random.default_rng(5)
    X = rng.standard_normal((64, 4)).astype(F32)
    Y = (X @ onp.array([1.0, -2.0, 0.5, 1.0], F32) > 0).astype(F32)
    net = nn.Dense(2, in_units=4)
    net.initialize(ctx=ctx)
    tr = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5}, kvstore=kvstore_arg,
                 compression_params=comp)
    L = gloss.SoftmaxCrossEntropyLoss()
    n = len(ctx)
    xs = [np.array(X[i::n], device=c) for i, c in enumerate(ctx)]
    ys = [np.array(Y[i::n], device=c) for i, c in enumerate(ctx)]
    losses = []
    for _ in range(steps):
        with autograd.record():
            ls = [L(net(x), y) for x, y in zip(xs, ys)]
        autograd.backward(ls)
        tr.step(64)
        losses.append(sum(float(l.mean()) for l in ls) / n)
    acc = onp.mean([(net(x).asnumpy().argmax(1) == y.asnumpy()).mean() for x, y in zip(xs, ys)])
    return tr, losses, acc


def test_trainer_with_compression_converges_on_two_devices() -> None:
    comp = {"type": "2bit", "threshold": 1.0}
    tr, losses, acc = _classifier([cpu(0), cpu(1)], comp)
    assert tr._kvstore._compression.params == comp
    assert onp.mean(losses[-10:]) < 0.4 * losses[0] and acc >= 0.9, (losses[::10], acc)
    _, plain, _ = _classifier([cpu(0), cpu(1)], None)
    assert plain[5:] != losses[5:]              # the compressed sums took another path


def test_trainer_compression_needs_a_store_that_compresses() -> None:
    with pytest.raises(KVStoreError, match="unknown type"):
        Trainer([], "sgd", compression_params={"type": "4bit"})      # checked at once
    # one device, a store type: no store, so nothing to compress (as MXNet)
    tr, _, _ = _classifier([cpu(0)], {"type": "2bit"}, steps=1)
    assert tr._kvstore is None
    # a store given: used, and compressed, even for one device
    kv = kvstore.create("device")
    tr, _, _ = _classifier([cpu(0)], {"type": "2bit"}, kvstore_arg=kv, steps=1)
    assert tr._kvstore is kv and kv._compression is not None
    # 'local' refuses it, as MXNet's (when the store is made: the first step)
    with pytest.raises(KVStoreError, match="not supported for the 'local' kvstore"):
        _classifier([cpu(0), cpu(1)], {"type": "2bit"}, kvstore_arg="local", steps=1)
