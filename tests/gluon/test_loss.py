"""Losses against their NumPy formulas (MXNet 1.9.1's definitions)."""
from __future__ import annotations

import numpy as onp
import pytest

from ndengine import autograd, gluon
from ndengine import numpy as np

L = gluon.loss
RNG = onp.random.default_rng(5)


def _f(*shape):
    return RNG.standard_normal(shape).astype(onp.float32)


def _check(loss, args, want, rtol=1e-5, atol=1e-6):
    got = loss(*[np.array(a) if isinstance(a, onp.ndarray) else a for a in args]).asnumpy()
    assert got.shape == want.shape
    onp.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - onp.log(onp.exp(x - m).sum(axis=axis, keepdims=True))


def test_l2_l1():
    p, y = _f(4, 3), _f(4, 3)
    _check(L.L2Loss(), (p, y), (0.5 * (y - p) ** 2).mean(1))
    _check(L.L2Loss(weight=3.0), (p, y), (1.5 * (y - p) ** 2).mean(1))
    _check(L.L1Loss(), (p, y), onp.abs(y - p).mean(1))
    sw = _f(4, 1)
    _check(L.L1Loss(weight=2.0), (p, y, sw), (2 * onp.abs(y - p) * sw).mean(1))
    # the seed's call: label (N,) against pred (N, 1) is reshaped like pred
    p1, y1 = _f(6, 1), _f(6)
    _check(L.L2Loss(), (p1, y1), (0.5 * (y1[:, None] - p1) ** 2).mean(1))
    _check(L.L2Loss(), (y1, p1), 0.5 * (p1[:, 0] - y1) ** 2)
    # batch_axis: mean over every other axis
    p3, y3 = _f(2, 5, 3), _f(2, 5, 3)
    _check(L.L2Loss(batch_axis=1), (p3, y3), (0.5 * (y3 - p3) ** 2).mean(axis=(0, 2)))
    with pytest.raises(ValueError, match="cannot be reshaped"):
        L.L2Loss()(np.ones((3, 2)), np.ones((4,)))


@pytest.mark.parametrize("axis", [-1, 1])
def test_softmax_ce_sparse(axis):
    p = _f(5, 4, 3) if axis == 1 else _f(5, 4)
    n_cls = p.shape[axis]
    lab_shape = tuple(s for i, s in enumerate(p.shape) if i != axis % p.ndim)
    lab = RNG.integers(0, n_cls, lab_shape)
    ls = _log_softmax(p, axis)
    picked = onp.take_along_axis(ls, onp.expand_dims(lab, axis), axis=axis)
    want = (-picked).reshape(5, -1).mean(1)
    _check(L.SoftmaxCrossEntropyLoss(axis=axis), (p, lab.astype(onp.float32)), want)
    _check(L.SoftmaxCELoss(axis=axis, from_logits=True), (ls, lab.astype(onp.float32)), want)


def test_softmax_ce_dense_labels_and_weights():
    p = _f(6, 4)
    lab = onp.abs(_f(6, 4))
    lab /= lab.sum(1, keepdims=True)
    want = -(lab * _log_softmax(p)).sum(1)
    _check(L.SoftmaxCrossEntropyLoss(sparse_label=False), (p, lab), want)
    sw = onp.abs(_f(6, 1))
    _check(L.SoftmaxCrossEntropyLoss(sparse_label=False, weight=0.5), (p, lab, sw),
           0.5 * want * sw[:, 0])


def test_sigmoid_bce():
    p, y = _f(4, 3) * 3, (RNG.random((4, 3)) > 0.5).astype(onp.float32)
    prob = 1 / (1 + onp.exp(-p))
    want = -(y * onp.log(prob) + (1 - y) * onp.log(1 - prob))
    _check(L.SigmoidBinaryCrossEntropyLoss(), (p, y), want.mean(1), rtol=1e-4, atol=1e-5)
    _check(L.SigmoidBCELoss(from_sigmoid=True), (prob, y),
           (-(y * onp.log(prob + 1e-12) + (1 - y) * onp.log(1 - prob + 1e-12))).mean(1),
           rtol=1e-4, atol=1e-5)
    pw = onp.array([[2.0, 0.5, 1.0]], dtype=onp.float32)
    want_pw = -(pw * y * onp.log(prob) + (1 - y) * onp.log(1 - prob))
    _check(L.SigmoidBCELoss(), (p, y, None, pw), want_pw.mean(1), rtol=1e-4, atol=1e-5)
    # stable for large logits
    big = np.array([[80.0, -80.0]])
    out = L.SigmoidBCELoss()(big, np.array([[0.0, 1.0]])).asnumpy()
    onp.testing.assert_allclose(out, [80.0], rtol=1e-5)


def test_other_losses():
    p, y = _f(5, 2), _f(5, 2)
    d = onp.abs(y - p)
    _check(L.HuberLoss(rho=0.5), (p, y), onp.where(d > 0.5, d - 0.25, d * d).mean(1))
    s = onp.sign(_f(5, 2))
    _check(L.HingeLoss(), (p, s), onp.maximum(0, 1 - p * s).mean(1))
    _check(L.SquaredHingeLoss(), (p, s), (onp.maximum(0, 1 - p * s) ** 2).mean(1))
    _check(L.LogisticLoss(), (p, s), onp.log1p(onp.exp(-p * s)).mean(1), rtol=1e-5)
    lab = onp.abs(_f(5, 2)) + 0.1
    _check(L.KLDivLoss(), (p, lab), (lab * (onp.log(lab + 1e-12) - p)).mean(1), rtol=1e-5)


def test_loss_gradient_l2():
    p = np.array(_f(4, 1))
    y = np.array(_f(4))
    p.attach_grad()
    with autograd.record():
        l = L.L2Loss()(p, y)
    l.backward()
    onp.testing.assert_allclose(p.grad.asnumpy(), p.asnumpy() - y.asnumpy()[:, None],
                                rtol=1e-5, atol=1e-6)
