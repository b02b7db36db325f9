"""npx: neural-network ops against NumPy references; devices; waitall; set_np."""
from __future__ import annotations

import numpy as onp
import pytest

import ndengine
from ndengine import np as mnp
from ndengine import npx

from np_oracle import assert_same, data


def softmax_ref(x, axis=-1, t=1.0):
    e = onp.exp((x - x.max(axis=axis, keepdims=True)) / t)
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_relu_sigmoid(dtype):
    x = data((3, 4), dtype)
    assert_same(npx.relu(mnp.array(x)), onp.maximum(x, 0))
    want = 1 / (1 + onp.exp(-x.astype("float64")))
    assert_same(npx.sigmoid(mnp.array(x)), want.astype("float64" if dtype == "float64"
                                                       else "float32"), rtol=1e-5)


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("temperature", [None, 2.0])
def test_softmax_and_log_softmax(axis, temperature):
    x = data((3, 4, 5)) * 10
    t = 1.0 if temperature is None else temperature
    s = npx.softmax(mnp.array(x), axis=axis, temperature=temperature)
    assert_same(s, softmax_ref(x, axis, t), rtol=1e-5, atol=1e-6)
    ls = npx.log_softmax(mnp.array(x), axis=axis, temperature=temperature)
    assert_same(ls, onp.log(softmax_ref(x.astype("float64"), axis, t)).astype("float32"),
                rtol=1e-4, atol=1e-5)


def test_softmax_is_stable_for_large_inputs():
    x = mnp.array([[1000.0, 1001.0, 1002.0]])
    assert onp.isfinite(npx.softmax(x).asnumpy()).all()
    assert onp.isfinite(npx.log_softmax(x).asnumpy()).all()


@pytest.mark.parametrize("depth", [3, 5])
def test_one_hot(depth):
    idx = onp.array([[0, 2], [1, 4]], dtype="int32")
    r = npx.one_hot(mnp.array(idx), depth)
    want = (idx[..., None] == onp.arange(depth)).astype("float32")
    assert_same(r, want)
    r = npx.one_hot(mnp.array(idx), depth, on_value=5, off_value=-1, dtype="int32")
    assert_same(r, onp.where(want > 0, 5, -1).astype("int32"))
    assert_same(npx.one_hot(mnp.array([0.0, 2.0]), 3), onp.eye(3, dtype="float32")[[0, 2]])


@pytest.mark.parametrize("axis,keepdims", [(-1, False), (0, False), (1, True)])
def test_pick(axis, keepdims):
    x = data((3, 4))
    n = x.shape[axis]
    other = 4 if axis == 0 else 3
    idx = onp.arange(other) % n
    got = npx.pick(mnp.array(x), mnp.array(idx.astype("float32")), axis=axis, keepdims=keepdims)
    want = onp.take_along_axis(x, onp.expand_dims(idx, axis), axis=axis)
    assert_same(got, want if keepdims else want.squeeze(axis))


def test_pick_clips_or_wraps_out_of_range_indices():
    x = mnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert npx.pick(x, mnp.array([5, -1])).tolist() == [3.0, 4.0]
    assert npx.pick(x, mnp.array([4, -1]), mode="wrap").tolist() == [2.0, 6.0]


def test_batch_flatten_and_friends():
    x = data((2, 3, 4))
    assert_same(npx.batch_flatten(mnp.array(x)), x.reshape(2, 12))
    assert_same(npx.reshape_like(mnp.array(x), mnp.zeros((4, 6))), x.reshape(4, 6))
    a, b = data((2, 3, 4)), data((2, 4, 5))
    assert_same(npx.batch_dot(mnp.array(a), mnp.array(b)), a @ b, rtol=1e-5)
    assert_same(npx.batch_dot(mnp.array(a), mnp.array(b.transpose(0, 2, 1)), transpose_b=True),
                a @ b, rtol=1e-5)
    assert_same(npx.activation(mnp.array(a), "tanh"), onp.tanh(a), rtol=1e-5)
    assert_same(npx.activation(mnp.array(a), "softrelu"), onp.logaddexp(a, 0), rtol=1e-5)
    assert_same(npx.leaky_relu(mnp.array(a), slope=0.1), onp.where(a > 0, a, 0.1 * a))


def test_dropout_only_when_training_or_always():
    x = mnp.ones((1000,))
    assert npx.dropout(x, 0.5) is x                       # not training: identity
    y = npx.dropout(x, 0.5, mode="always").asnumpy()
    assert set(onp.unique(y)) <= {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6


@pytest.mark.parametrize("call,match", [
    (lambda: npx.softmax(mnp.ones((2, 3)), axis=2), r"softmax: axis 2 is out of bounds.*cpu\(0\)"),
    (lambda: npx.pick(mnp.ones((2, 3)), mnp.ones(3)), r"pick: index shape \(3,\)"),
    (lambda: npx.one_hot(mnp.ones(3), 0), r"one_hot: depth must be a positive int"),
    (lambda: npx.pick(mnp.ones((2, 3)), mnp.ones(2), mode="x"), r"pick: mode"),
])
def test_npx_errors_at_call(call, match):
    with pytest.raises((ndengine.base.MXNetError, ValueError), match=match):
        call()


def test_devices_and_modes():
    assert npx.cpu() is ndengine.cpu(0) and npx.cpu(1) is ndengine.cpu(1)
    assert npx.gpu(0) == ndengine.gpu(0) and str(npx.gpu(1)) == "gpu(1)"
    assert npx.num_gpus() == ndengine.num_gpus() >= 0
    assert npx.current_context() is ndengine.cpu(0)
    with ndengine.cpu(1):
        assert npx.current_context() is ndengine.cpu(1)
        assert mnp.ones(2).ctx is ndengine.cpu(1)
    npx.set_np()
    assert npx.is_np_array() and npx.is_np_shape()
    npx.reset_np()
    npx.set_np(shape=True, array=True)


def test_waitall_finishes_everything_and_raises_pending_errors():
    xs = [mnp.ones((50, 50)) * i for i in range(20)]
    npx.waitall()
    assert all(x._var.last_write is None for x in xs)
    bad = mnp.linalg.inv(mnp.zeros((2, 2)))
    with pytest.raises(ndengine.base.MXNetError, match="inv"):
        npx.waitall()
    npx.waitall()            # raised once; nothing pending now
    del bad
