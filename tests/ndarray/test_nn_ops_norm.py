"""npx.group_norm / instance_norm / masked_softmax / masked_log_softmax (ops in
ndarray/ops_nn.py) against direct NumPy references on random shapes (Hypothesis), and
their call-time errors.  (Gradients: tests/autograd/conv_grad_cases.py.)"""
from __future__ import annotations

import numpy as onp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ndengine import np, npx
from ndengine.base import MXNetError

SETTINGS = settings(max_examples=25, deadline=None)


def group_norm_ref(x, gamma, beta, groups, eps):
    n, c = x.shape[:2]
    y = onp.empty_like(x)
    cg = c // groups
    for i in range(n):
        for g in range(groups):
            block = x[i, g * cg:(g + 1) * cg]
            y[i, g * cg:(g + 1) * cg] = (block - block.mean()) / onp.sqrt(block.var() + eps)
    if gamma.shape[0] != c:
        gamma, beta = onp.repeat(gamma, cg), onp.repeat(beta, cg)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return y * gamma.reshape(shape) + beta.reshape(shape)


def masked_softmax_ref(x, mask, axis, t):
    x = onp.moveaxis(x / t, axis, -1)
    mask = onp.moveaxis(onp.broadcast_to(mask, onp.moveaxis(x, -1, axis).shape), axis, -1)
    out = onp.zeros_like(x)
    logs = onp.full_like(x, -onp.inf)
    for idx in onp.ndindex(*x.shape[:-1]):
        keep = mask[idx].astype(bool)
        if keep.any():
            v = x[idx][keep]
            e = onp.exp(v - v.max())
            out[idx][keep] = e / e.sum()
            logs[idx][keep] = v - v.max() - onp.log(e.sum())
    return onp.moveaxis(out, -1, axis), onp.moveaxis(logs, -1, axis)


@SETTINGS
@given(st.integers(1, 3), st.sampled_from([1, 2, 3]), st.integers(1, 3),
       st.lists(st.integers(1, 4), min_size=0, max_size=2), st.booleans(),
       st.integers(0, 2 ** 16))
def test_group_norm_matches_reference(n, groups, cg, sp, per_group, seed):
    rng = onp.random.default_rng(seed)
    c = groups * cg
    x = rng.standard_normal((n, c) + tuple(sp))
    k = groups if per_group else c
    gamma, beta = rng.standard_normal(k), rng.standard_normal(k)
    y, mean, std = npx.group_norm(np.array(x), np.array(gamma), np.array(beta),
                                  num_groups=groups, eps=1e-4, output_mean_var=True)
    onp.testing.assert_allclose(y.asnumpy(), group_norm_ref(x, gamma, beta, groups, 1e-4),
                                rtol=1e-9, atol=1e-10)
    xg = x.reshape(n, groups, -1)
    onp.testing.assert_allclose(mean.asnumpy(), xg.mean(axis=2), rtol=1e-10, atol=1e-12)
    onp.testing.assert_allclose(std.asnumpy(), onp.sqrt(xg.var(axis=2) + 1e-4), rtol=1e-10)


def test_instance_norm_is_group_norm_per_channel():
    rng = onp.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    g, b = rng.standard_normal(3).astype("float32"), rng.standard_normal(3).astype("float32")
    y = npx.instance_norm(np.array(x), np.array(g), np.array(b))
    assert y.dtype == onp.float32
    want = group_norm_ref(x.astype("float64"), g, b, 3, 1e-3)
    onp.testing.assert_allclose(y.asnumpy(), want, rtol=1e-5, atol=1e-5)


@SETTINGS
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data(),
       st.sampled_from([1.0, 0.5, 2.0]), st.integers(0, 2 ** 16))
def test_masked_softmax_matches_reference(shape, data, t, seed):
    rng = onp.random.default_rng(seed)
    shape = tuple(shape)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    # the mask: the data's shape, with some axes broadcast (size 1)
    mshape = tuple(s if data.draw(st.booleans()) else 1 for s in shape)
    mask = rng.random(mshape) < 0.6
    x = rng.standard_normal(shape)
    sm = npx.masked_softmax(np.array(x), np.array(mask), axis=axis, temperature=t)
    lsm = npx.masked_log_softmax(np.array(x), np.array(mask.astype("int32")), axis=axis,
                                 temperature=t)
    want, want_log = masked_softmax_ref(x, mask, axis, t)
    onp.testing.assert_allclose(sm.asnumpy(), want, rtol=1e-12, atol=1e-15)
    onp.testing.assert_allclose(lsm.asnumpy(), want_log, rtol=1e-12, atol=1e-15)


def test_masked_softmax_dtype_and_empty_rows():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype="float16")
    m = np.array([[True, False, True], [False, False, False]])
    y = npx.masked_softmax(x, m)
    assert y.dtype == onp.float16
    onp.testing.assert_allclose(y.asnumpy()[0], [0.1192, 0, 0.8808], atol=1e-3)
    onp.testing.assert_array_equal(y.asnumpy()[1], [0, 0, 0])
    assert onp.isneginf(npx.masked_log_softmax(x, m).asnumpy()[1]).all()


@pytest.mark.parametrize("call, match", [
    (lambda: npx.group_norm(np.ones((2, 4, 3)), np.ones(4), np.ones(4), num_groups=3),
     r"group_norm: num_groups=3 must divide the 4 channels of data \(2, 4, 3\)"),
    (lambda: npx.group_norm(np.ones((2, 4, 3)), np.ones(3), np.ones(3), num_groups=2),
     r"group_norm: gamma has shape \(3,\), expected \(4,\) \(per channel\) or \(2,\)"),
    (lambda: npx.group_norm(np.ones((2, 4), dtype="int32"), np.ones(4, dtype="int32"),
                            np.ones(4, dtype="int32")), r"group_norm: expected floating-point"),
    (lambda: npx.group_norm(np.ones(4), np.ones(1), np.ones(1)), r"at least 2 axes"),
    (lambda: npx.instance_norm(np.ones((2, 4)), np.ones(4), np.ones(4)),
     r"instance_norm: data \(2, 4\) must have at least 3 axes"),
    (lambda: npx.masked_softmax(np.ones((2, 3)), np.ones((3, 2), dtype=bool)),
     r"masked_softmax: mask \(3, 2\) does not broadcast to the data's shape \(2, 3\)"),
    (lambda: npx.masked_softmax(np.ones((2, 3)), np.ones((2, 3)), axis=2),
     r"masked_softmax: axis 2 is out of bounds"),
    (lambda: npx.masked_log_softmax(np.ones((2, 3), dtype="int32"), np.ones((2, 3))),
     r"masked_log_softmax: data must be floating-point, got int32"),
    (lambda: npx.masked_softmax(np.ones((2, 3)), None), r"the mask array is required"),
])
def test_errors_at_call_time(call, match):
    with pytest.raises(MXNetError, match=match):
        call()


def batch_norm_ref(x, gamma, beta, axis, eps):
    red = tuple(i for i in range(x.ndim) if i != axis)
    shape = tuple(x.shape[axis] if i == axis else 1 for i in range(x.ndim))
    m = x.mean(axis=red).reshape(shape)
    v = x.var(axis=red).reshape(shape)
    return (x - m) / onp.sqrt(v + eps) * gamma.reshape(shape) + beta.reshape(shape)


@SETTINGS
@given(st.lists(st.integers(1, 5), min_size=1, max_size=4), st.data(),
       st.sampled_from([0.0, 3.0, 1e3]), st.integers(0, 2 ** 31 - 1))
def test_batch_norm_training_matches_reference(shape, data, offset, seed):
    """The one-pass statistics (and their two-pass fallback for channels whose mean is
    far from 0 against their spread, ``offset``) against a float64 reference, float32
    data."""
    from ndengine import autograd

    axis = data.draw(st.integers(0, len(shape) - 1))
    rng = onp.random.default_rng(seed)
    x = (rng.standard_normal(shape) + offset).astype(onp.float32)
    c = shape[axis]
    gamma, beta = rng.uniform(0.5, 2, c), rng.uniform(-1, 1, c)
    with autograd.train_mode():
        got = npx.batch_norm(np.array(x), np.array(gamma, dtype="float32"),
                             np.array(beta, dtype="float32"), np.zeros(c), np.ones(c),
                             eps=1e-3, fix_gamma=False, axis=axis)
    want = batch_norm_ref(x.astype(onp.float64), gamma, beta, axis, 1e-3)
    onp.testing.assert_allclose(got.asnumpy(), want, rtol=1e-3, atol=2e-3)


def test_batch_norm_takes_the_mean_off_before_scaling():
    """The case Hypothesis found: float32 channels near 1000 with a spread of a few
    hundredths (5 channels of 2 items) — x * scale + (beta - m * scale) was 3.4e-3 off,
    (x - m) * scale + beta is exact to float32."""
    from ndengine import autograd

    rng = onp.random.default_rng(178)
    x = (rng.standard_normal((5, 2)) + 1000.0).astype(onp.float32)
    gamma, beta = rng.uniform(0.5, 2, 5), rng.uniform(-1, 1, 5)
    with autograd.train_mode():
        got = npx.batch_norm(np.array(x), np.array(gamma, dtype="float32"),
                             np.array(beta, dtype="float32"), np.zeros(5), np.ones(5),
                             eps=1e-3, fix_gamma=False, axis=0)
    want = batch_norm_ref(x.astype(onp.float64), gamma, beta, 0, 1e-3)
    onp.testing.assert_allclose(got.asnumpy(), want, rtol=1e-4, atol=1e-4)
