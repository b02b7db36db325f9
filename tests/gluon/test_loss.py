"""Losses against their NumPy formulas (MXNet 1.9.1's definitions; the values against
real MXNet are in tests/mxnet_diff/cases/cases_loss.py)."""
from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import numpy as onp
import pytest

from ndengine import autograd, gluon
from ndengine import numpy as np
from ndengine.base import MXNetError
from ndengine.ndarray import ops_loss

sys.path.insert(0, str(Path(__file__).parents[1] / "autograd"))
from ag_helpers import check_grad  # noqa: E402

L = gluon.loss
RNG = onp.random.default_rng(5)


def _f(*shape):
    return RNG.standard_normal(shape).astype(onp.float32)


def _check(loss, args, want, rtol=1e-5, atol=1e-6):
    got = loss(*[np.array(a) if isinstance(a, onp.ndarray) else a for a in args]).asnumpy()
    assert got.shape == want.shape, (got.shape, want.shape)
    onp.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - onp.log(onp.exp(x - m).sum(axis=axis, keepdims=True))


def _softrelu(x):
    return onp.logaddexp(x, 0)


# ----------------------------------------------------------------------------- L1 / L2
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


def test_batch_axis_means_over_every_other_axis():
    p3, y3 = _f(2, 5, 3), _f(2, 5, 3)
    _check(L.L2Loss(batch_axis=1), (p3, y3), (0.5 * (y3 - p3) ** 2).mean(axis=(0, 2)))
    _check(L.L1Loss(batch_axis=-1), (p3, y3), onp.abs(y3 - p3).mean(axis=(0, 1)))
    _check(L.HuberLoss(batch_axis=2), (p3, y3),
           onp.where(onp.abs(y3 - p3) > 1, onp.abs(y3 - p3) - 0.5,
                     0.5 * (y3 - p3) ** 2).mean(axis=(0, 1)))
    with pytest.raises(MXNetError, match="batch_axis 3 is out of range"):
        L.L2Loss(batch_axis=3)(np.array(p3), np.array(y3))


def test_shapes_of_one_and_zero_dims():
    assert L.L2Loss()(np.ones(4), np.zeros(4)).shape == (4,)
    out = L.L2Loss()(np.array(1.0), np.array(3.0))
    assert out.shape == () and out.item() == 2.0


def test_sample_weight_broadcasting():
    p, y = _f(3, 4), _f(3, 4)
    base = 0.5 * (y - p) ** 2
    _check(L.L2Loss(), (p, y, onp.array([[1.0, 2, 3, 4]], dtype=onp.float32)),
           (base * onp.arange(1, 5)).mean(1))
    _check(L.L2Loss(), (p, y, onp.ones((2, 3, 4), dtype=onp.float32)),
           onp.broadcast_to(base, (2, 3, 4)).mean(axis=(1, 2)))
    with pytest.raises(MXNetError):
        L.L2Loss()(np.array(p), np.array(y), np.ones((4, 1)))


def test_dtypes_follow_the_inputs():
    p, y = _f(3, 4), onp.abs(_f(3, 4))
    for dt in ("float16", "float32", "float64"):
        for loss in (L.L2Loss(), L.L1Loss(), L.SigmoidBCELoss(), L.HuberLoss(), L.KLDivLoss()):
            assert loss(np.array(p, dtype=dt), np.array(y, dtype=dt)).dtype == onp.dtype(dt)
        assert L.SoftmaxCELoss()(np.array(p, dtype=dt), np.array([0, 1, 2])).dtype == onp.dtype(dt)
    assert L.L2Loss()(np.array(p, dtype="float64"), np.array(y)).dtype == onp.float64


def test_bad_inputs_raise_clearly():
    with pytest.raises(MXNetError, match=r"L2Loss: label of shape \(4,\) cannot be reshaped"):
        L.L2Loss()(np.ones((3, 2)), np.ones((4,)))
    with pytest.raises(TypeError, match="weight must be a number"):
        L.L1Loss(weight=np.array(2.0))
    with pytest.raises(TypeError, match="weight must be a number"):
        L.L2Loss(weight=None)
    with pytest.raises(TypeError, match="batch_axis must be an int"):
        L.L1Loss(batch_axis=0.5)
    with pytest.raises(ValueError, match="label_format"):
        L.LogisticLoss(label_format="onehot")
    with pytest.raises(MXNetError, match="pick"):
        L.SoftmaxCELoss()(np.ones((3, 4)), np.array([0, 1, 2, 3]))
    assert repr(L.L1Loss(weight=2.0, batch_axis=1)) == "L1Loss(batch_axis=1, w=2.0)"


# ----------------------------------------------------------------------------- softmax CE
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
    # the label may keep the class axis as 1
    _check(L.SoftmaxCELoss(axis=axis), (p, onp.expand_dims(lab, axis).astype(onp.int32)), want)


def test_softmax_ce_labels_truncated_and_out_of_range_refused():
    p = _f(3, 4)
    ls = _log_softmax(p)
    _check(L.SoftmaxCELoss(), (p, onp.array([0.7, 2.9, 3.9], dtype=onp.float32)),
           -ls[[0, 1, 2], [0, 2, 3]])
    # MXNet clips a label outside the classes; ndengine fails at the sync point
    out = L.SoftmaxCELoss()(np.array(p), np.array([0.7, 2.9, 9.0]))
    with pytest.raises(IndexError, match="SoftmaxCrossEntropyLoss: label 9.0"):
        out.asnumpy()


def test_softmax_ce_dense_labels_and_weights():
    p = _f(6, 4)
    lab = onp.abs(_f(6, 4))
    lab /= lab.sum(1, keepdims=True)
    want = -(lab * _log_softmax(p)).sum(1)
    _check(L.SoftmaxCrossEntropyLoss(sparse_label=False), (p, lab), want)
    sw = onp.abs(_f(6, 1))
    _check(L.SoftmaxCrossEntropyLoss(sparse_label=False, weight=0.5), (p, lab, sw),
           0.5 * want * sw[:, 0])


# ----------------------------------------------------------------------------- BCE
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
    _check(L.SigmoidBCELoss(from_sigmoid=True), (prob, y, None, pw), want_pw.mean(1),
           rtol=1e-4, atol=1e-5)
    # stable for large logits
    big = np.array([[80.0, -80.0]])
    out = L.SigmoidBCELoss()(big, np.array([[0.0, 1.0]])).asnumpy()
    onp.testing.assert_allclose(out, [80.0], rtol=1e-5)


# ----------------------------------------------------------------------------- the rest
def test_huber_hinge_logistic_kldiv():
    p, y = _f(5, 2), _f(5, 2)
    d = onp.abs(y - p)
    _check(L.HuberLoss(rho=0.5), (p, y), onp.where(d > 0.5, d - 0.25, d * d).mean(1))
    s = onp.sign(_f(5, 2))
    _check(L.HingeLoss(), (p, s), onp.maximum(0, 1 - p * s).mean(1))
    _check(L.SquaredHingeLoss(margin=2), (p, s), (onp.maximum(0, 2 - p * s) ** 2).mean(1))
    _check(L.LogisticLoss(), (p, s), onp.log1p(onp.exp(-p * s)).mean(1), rtol=1e-5)
    _check(L.LogisticLoss(label_format="binary"), (p, (s + 1) / 2),
           onp.log1p(onp.exp(-p * s)).mean(1), rtol=1e-5)
    # soft labels: MXNet's formula is the BCE of (label + 1) / 2
    q = (y + 1) / 2
    _check(L.LogisticLoss(), (p, y), (onp.maximum(p, 0) - p * q + _softrelu(-abs(p))).mean(1),
           rtol=1e-5, atol=1e-6)
    lab = onp.abs(_f(5, 2)) + 0.1
    # KLDivLoss sums over the non-batch axes, as MXNet 1.9.1
    _check(L.KLDivLoss(), (p, lab), (lab * (onp.log(lab + 1e-12) - p)).sum(1), rtol=1e-5)
    _check(L.KLDivLoss(from_logits=False), (p, lab),
           (lab * (onp.log(lab + 1e-12) - _log_softmax(p))).sum(1), rtol=1e-5)


def test_triplet():
    p, pos, neg = _f(4, 3), _f(4, 3), _f(4, 3)
    d = ((pos - p) ** 2 - (neg - p) ** 2).sum(1)
    _check(L.TripletLoss(), (p, pos, neg), onp.maximum(d + 1, 0), rtol=1e-5, atol=1e-5)
    _check(L.TripletLoss(margin=0.2, weight=3.0), (p, pos.reshape(12), neg),
           3 * onp.maximum(d + 0.2, 0), rtol=1e-5, atol=1e-5)


def test_poisson_nll():
    p = _f(4, 3)
    t = onp.round(onp.abs(_f(4, 3)) * 4)
    out = L.PoissonNLLLoss()(np.array(p), np.array(t))
    assert out.shape == ()
    onp.testing.assert_allclose(out.item(), (onp.exp(p) - t * p).mean(), rtol=1e-5)
    q = onp.abs(p) + 0.1
    _check(L.PoissonNLLLoss(from_logits=False), (q, t),
           onp.array((q - t * onp.log(q + 1e-8)).mean()), rtol=1e-5)
    st = onp.where(t > 1, t * onp.log(onp.maximum(t, 1)) - t
                   + 0.5 * onp.log(2 * math.pi * onp.maximum(t, 1)), 0)
    _check(L.PoissonNLLLoss(compute_full=True), (p, t),
           onp.array((onp.exp(p) - t * p + st).mean()), rtol=1e-5)
    sw = onp.array([[1.0], [0.0], [2.0], [1.0]], dtype=onp.float32)
    _check(L.PoissonNLLLoss(weight=0.5), (p, t, sw),
           onp.array((0.5 * sw * (onp.exp(p) - t * p)).mean()), rtol=1e-5)


def test_cosine_embedding():
    a, b = _f(4, 3), _f(4, 3)
    lab = onp.array([1, -1, 1, -1], dtype=onp.float32)
    cos = (a * b).sum(1) / onp.maximum(onp.linalg.norm(a, axis=1) * onp.linalg.norm(b, axis=1),
                                       1e-12)
    want = onp.where(lab == 1, 1 - cos, onp.maximum(cos - 0.1, 0))[:, None]
    _check(L.CosineEmbeddingLoss(margin=0.1), (a, b, lab), want, rtol=1e-5, atol=1e-6)
    _check(L.CosineEmbeddingLoss(weight=2.0), (a, b, lab, onp.ones((4, 1), onp.float32)),
           2 * onp.where(lab == 1, 1 - cos, onp.maximum(cos, 0))[:, None], rtol=1e-5, atol=1e-6)


def test_sdml():
    x1, x2 = _f(4, 3), _f(4, 3)
    dist = ((x1[:, None] - x2[None]) ** 2).sum(2)
    logp = _log_softmax(-dist, 1)
    lab = onp.full((4, 4), 0.3 / 3)
    onp.fill_diagonal(lab, 0.7)
    want = (lab * (onp.log(lab + 1e-12) - logp)).sum(1)
    _check(L.SDMLLoss(), (x1, x2), want, rtol=1e-5, atol=1e-5)
    _check(L.SDMLLoss(weight=2.0), (x1, x2), 2 * want, rtol=1e-5, atol=1e-5)
    with pytest.raises(MXNetError, match="at least 2"):
        L.SDMLLoss()(np.ones((1, 3)), np.ones((1, 3)))
    with pytest.raises(MXNetError, match="one shape"):
        L.SDMLLoss()(np.ones((2, 3)), np.ones((2, 4)))


def test_loss_gradient_l2():
    p = np.array(_f(4, 1))
    y = np.array(_f(4))
    p.attach_grad()
    with autograd.record():
        l = L.L2Loss()(p, y)
    l.backward()
    onp.testing.assert_allclose(p.grad.asnumpy(), p.asnumpy() - y.asnumpy()[:, None],
                                rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- CTC
def _ctc_brute(data, labels, frames, blank):
    """-log p(label | data) summed over every path of every sample (tiny sizes only);
    0 where no path exists (MXNet's convention)."""
    out = []
    for n, lab in enumerate(labels):
        lp = _log_softmax(data[:frames[n], n].astype(onp.float64), 1)
        total = 0.0
        for path in itertools.product(range(data.shape[2]), repeat=frames[n]):
            col = [k for i, k in enumerate(path) if k != blank and (i == 0 or path[i - 1] != k)]
            if col == list(lab):
                total += math.exp(sum(lp[t, k] for t, k in enumerate(path)))
        out.append(-math.log(total) if total > 0 else 0.0)
    return onp.array(out)


def _ctc(d, lab, dl=None, ll=None, blank="last"):
    return ops_loss.ctc_loss(np.array(d), np.array(lab), None if dl is None else np.array(dl),
                             None if ll is None else np.array(ll), use_data_lengths=dl is not None,
                             use_label_lengths=ll is not None, blank_label=blank).asnumpy()


def test_ctc_against_every_path():
    d = RNG.standard_normal((4, 3, 4)).astype(onp.float32)
    lab = onp.array([[1, 0, -1], [2, 2, -1], [0, 1, 2]], dtype=onp.float32)
    want = _ctc_brute(d, [[1, 0], [2, 2], [0, 1, 2]], [4, 4, 4], 3)
    onp.testing.assert_allclose(_ctc(d, lab), want, rtol=1e-5)
    # blank first: labels 1.., padded with 0
    want = _ctc_brute(d, [[1, 2], [2, 2], [1, 3, 2]], [4, 4, 4], 0)
    onp.testing.assert_allclose(_ctc(d, onp.array([[1, 2, 0], [2, 2, 0], [1, 3, 2]]),
                                     blank="first"), want, rtol=1e-5)
    # lengths: frames per sample, labels per sample (padding then ignored)
    want = _ctc_brute(d, [[1], [2, 2], [0]], [4, 3, 2], 3)
    onp.testing.assert_allclose(_ctc(d, lab, dl=[4, 3, 2], ll=[1, 2, 1]), want, rtol=1e-5)
    # empty labels, one frame, and samples that cannot be aligned (loss 0)
    want = _ctc_brute(d[:1], [[], [1]], [1, 1], 3)
    onp.testing.assert_allclose(_ctc(d[:1, :2], onp.array([[-1], [1]])), want, rtol=1e-5)
    got = _ctc(d[:3], onp.array([[2, 2, 2], [1, -1, -1], [0, 1, -1]]))
    onp.testing.assert_allclose(got, _ctc_brute(d[:3], [[2, 2, 2], [1], [0, 1]], [3, 3, 3], 3),
                                rtol=1e-5)
    assert got[0] == 0
    onp.testing.assert_allclose(_ctc(d, lab, dl=[0, 4, 4])[0], 0)


def test_ctc_gradient_matches_finite_differences():
    d = RNG.standard_normal((5, 3, 4))
    lab = np.array([[1, 0, -1], [2, 2, -1], [0, 1, 1]])
    check_grad("ctc_loss", lambda x: ops_loss.ctc_loss(x, lab, blank_label="last"), [d])
    check_grad("ctc_loss", lambda x: ops_loss.ctc_loss(
        x, lab, np.array([5, 3, 4]), use_data_lengths=True, blank_label="last"), [d])
    check_grad("ctc_loss", lambda x: ops_loss.ctc_loss(
        x, np.array([[1, 2, 0], [3, 3, 0], [1, 2, 2]]), None, np.array([2, 1, 3]),
        use_label_lengths=True), [d])


def test_ctc_gradient_of_unalignable_samples_is_zero():
    x = np.array(RNG.standard_normal((3, 2, 4)).astype(onp.float32))
    x.attach_grad()
    with autograd.record():
        l = ops_loss.ctc_loss(x, np.array([[2, 2, 2], [1, -1, -1]]), blank_label="last")
    l.backward()
    g = x.grad.asnumpy()
    assert l.asnumpy()[0] == 0 and not g[:, 0].any() and g[:, 1].any()
    # per frame, the gradient wrt the activations sums to 0 (softmax - occupancy)
    onp.testing.assert_allclose(g.sum(axis=2), 0, atol=1e-6)


@pytest.mark.parametrize("layout, label_layout", [("NTC", "NT"), ("TNC", "NT"), ("TNC", "TN")])
def test_ctc_gluon_layouts(layout, label_layout):
    d = RNG.standard_normal((5, 3, 4)).astype(onp.float32)        # T, N, C
    lab = onp.array([[1, 0, -1], [2, 2, -1], [0, 1, 1]], dtype=onp.float32)
    want = _ctc(d, lab)
    dd = d.transpose(1, 0, 2) if layout == "NTC" else d
    ll = lab.T if label_layout == "TN" else lab
    loss = L.CTCLoss(layout=layout, label_layout=label_layout)
    onp.testing.assert_allclose(loss(np.array(dd), np.array(ll)).asnumpy(), want, rtol=1e-6)
    sw = onp.array([1.0, 0.0, 2.0], dtype=onp.float32)
    onp.testing.assert_allclose(L.CTCLoss(layout=layout, label_layout=label_layout, weight=0.5)(
        np.array(dd), np.array(ll), None, None, np.array(sw)).asnumpy(), 0.5 * want * sw,
        rtol=1e-6)


def test_ctc_dtypes():
    d = RNG.standard_normal((4, 2, 3))
    lab = onp.array([[1, 0], [0, -1]])
    want = _ctc(d.astype(onp.float32), lab)
    for dt in ("float16", "float64"):
        out = ops_loss.ctc_loss(np.array(d, dtype=dt), np.array(lab), blank_label="last")
        assert out.dtype == onp.dtype(dt)
        onp.testing.assert_allclose(out.asnumpy().astype(onp.float32), want, rtol=2e-3)
    assert ops_loss.ctc_loss(np.array(d, dtype="float32"), np.array(lab, dtype="int32")).dtype == onp.float32


def test_ctc_errors():
    d = np.ones((4, 3, 5))
    lab = np.array([[1, 0, -1], [2, 2, -1], [0, 1, 2]])
    with pytest.raises(MXNetError, match="cannot exceed the sequence length"):
        ops_loss.ctc_loss(d[:2], lab)
    with pytest.raises(MXNetError, match="batch size"):
        ops_loss.ctc_loss(d, lab[:2])
    with pytest.raises(MXNetError, match="3-d"):
        ops_loss.ctc_loss(d[0], lab)
    with pytest.raises(MXNetError, match="label must be 2-d"):
        ops_loss.ctc_loss(d, lab.reshape(3, 3, 1))
    with pytest.raises(MXNetError, match=r"data_lengths must have shape \(3,\)"):
        ops_loss.ctc_loss(d, lab, np.array([4, 4]), use_data_lengths=True)
    with pytest.raises(MXNetError, match="blank_label"):
        ops_loss.ctc_loss(d, lab, blank_label="middle")
    with pytest.raises(ValueError, match="without use_data_lengths"):
        ops_loss.ctc_loss(d, lab, np.array([4, 4, 4]))
    with pytest.raises(ValueError, match="needs label_lengths"):
        ops_loss.ctc_loss(d, lab, use_label_lengths=True)
    with pytest.raises(ValueError, match="layouts for pred"):
        L.CTCLoss(layout="NCT")
    # values are read when the op runs: the error comes at the sync point, naming them
    bad = ops_loss.ctc_loss(d, np.array([[4, 0, -1], [2, 2, -1], [0, 1, 2]]), blank_label="last")
    with pytest.raises(MXNetError, match=r"label\[0, 0\] = 4.0 is not a class"):
        bad.asnumpy()
    bad = ops_loss.ctc_loss(d, lab, np.array([5, 4, 4]), use_data_lengths=True)
    with pytest.raises(MXNetError, match=r"data_lengths\[0\] = 5.0 is outside \[0, 4\]"):
        bad.asnumpy()
