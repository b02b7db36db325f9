"""The fused gradients of the training step: SoftmaxCrossEntropyLoss as one op (named
after the loss; one op backward, ``_softmax_ce_backward``), fully_connected's gradient
as one op (``_fc_backward``) and sigmoid's (``_sigmoid_backward``) give the float32
values of the op-by-op formulas they replace, bit for bit (they compute them with the
same NumPy calls in the same order); under ``create_graph`` their gradients compose
differentiable ops, so second-order gradients still work.  Finite-difference checks of
the loss's op are in tests/autograd/nn_grad_cases.py.  Also: the average pool's
backward for windows that tile the input (one repeat per axis)."""
from __future__ import annotations

import numpy as onp
import pytest

from ndengine import autograd, np, npx
from ndengine.gluon import loss as gloss
from ndengine.gluon.nn import _ops

R = onp.random.default_rng(3)


def _f32(*shape, scale=1.0):
    return np.array((R.standard_normal(shape) * scale).astype(onp.float32))


class _Unfused(gloss.SoftmaxCrossEntropyLoss):
    """The op-by-op formula (the fused path turned off)."""

    def _fused(self, pred, label, sample_weight):
        return None


def _ops_of(y):
    """Names of the recorded ops reachable from *y*."""
    seen, names = set(), set()
    stack = [y._node[0]] if y._node is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        names.add(node.op.name)
        for a in node.args:
            if getattr(a, "_node", None) is not None:
                stack.append(a._node[0])
    return names


def _run(loss, pred, label, head):
    x = pred.copy()
    x.attach_grad()
    with autograd.record():
        out = loss(x, label)
    out.backward(head)
    return out.asnumpy(), x.grad.asnumpy()


@pytest.mark.parametrize("shape,axis,batch_axis,weight,label_kind", [
    ((64, 10), -1, 0, None, "float"),
    ((64, 2), -1, 0, None, "int"),
    ((5, 7), 1, 0, 2.5, "column"),
    ((4, 6, 3), 1, 0, None, "float"),
    ((3, 4, 6), -1, 1, 0.5, "int"),
    ((2, 3, 4, 5), 2, 0, None, "float"),
])
def test_softmax_ce_equals_the_op_by_op_formula(shape, axis, batch_axis, weight, label_kind):
    ax = axis % len(shape)
    lshape = shape[:ax] + shape[ax + 1:]
    lab = R.integers(0, shape[ax], size=lshape)
    if label_kind == "column":
        lab = onp.expand_dims(lab, ax)
    label = np.array(lab.astype(onp.int32 if label_kind == "int" else onp.float32))
    pred = _f32(*shape, scale=3.0)
    n = shape[batch_axis]
    head = _f32(n)
    kw = {"axis": axis, "batch_axis": batch_axis, "weight": weight}
    fused = gloss.SoftmaxCrossEntropyLoss(**kw)
    p = pred.copy()
    p.attach_grad()
    with autograd.record():
        y = fused(p, label)
    assert "SoftmaxCrossEntropyLoss" in _ops_of(y) and "log_softmax" not in _ops_of(y)
    got = _run(fused, pred, label, head)
    want = _run(_Unfused(**kw), pred, label, head)
    assert got[0].shape == want[0].shape == (n,)
    assert got[0].dtype == want[0].dtype == onp.float32
    onp.testing.assert_array_equal(got[0], want[0])
    onp.testing.assert_array_equal(got[1], want[1])


def test_softmax_ce_falls_back_where_it_does_not_fuse():
    pred = _f32(4, 3)
    sw = _f32(4, 1)
    lab = np.array(onp.array([0, 2, 1, 1], dtype=onp.float32))
    for loss, args in ((gloss.SoftmaxCrossEntropyLoss(), (pred, lab, sw)),
                       (gloss.SoftmaxCrossEntropyLoss(from_logits=True), (pred, lab)),
                       (gloss.SoftmaxCrossEntropyLoss(sparse_label=False),
                        (pred, np.array(onp.eye(3, dtype=onp.float32)[[0, 2, 1, 1]])))):
        p = args[0].copy()
        p.attach_grad()
        with autograd.record():
            y = loss(p, *args[1:])
        assert "SoftmaxCrossEntropyLoss" not in _ops_of(y)


def test_softmax_ce_bad_label_names_the_loss():
    pred = _f32(3, 4)
    loss = gloss.SoftmaxCrossEntropyLoss()
    with pytest.raises(IndexError, match="SoftmaxCrossEntropyLoss: label 4.0 is not a class"):
        loss(pred, np.array(onp.array([0, 4, 1], dtype=onp.float32))).asnumpy()
    with pytest.raises(IndexError, match="SoftmaxCrossEntropyLoss: label -1"):
        loss(pred, np.array(onp.array([0, -1, 1], dtype=onp.int64))).asnumpy()


def _second_order(loss_fn, x):
    """d/dx of sum(dL/dx * c), through create_graph."""
    x = x.copy()
    x.attach_grad()
    c = np.array(onp.linspace(-1, 1, x.size).reshape(x.shape).astype(x.dtype))
    with autograd.record():
        (gx,) = autograd.grad(loss_fn(x), [x], create_graph=True)
        z = (gx * c).sum()
    z.backward()
    return x.grad.asnumpy()


def test_softmax_ce_second_order_matches_the_op_by_op_formula():
    pred = np.array(R.standard_normal((4, 5)))
    lab = np.array(onp.array([1, 0, 4, 2], dtype=onp.float64))
    got = _second_order(lambda x: gloss.SoftmaxCrossEntropyLoss(weight=0.7)(x, lab), pred)
    want = _second_order(lambda x: _Unfused(weight=0.7)(x, lab), pred)
    onp.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert onp.abs(got).max() > 1e-3


@pytest.mark.parametrize("xs,ws,relu,flatten", [
    ((64, 512), (256, 512), True, True), ((64, 256), (2, 256), False, True),
    ((8, 3, 4), (5, 12), True, True), ((8, 3, 4), (5, 4), False, False)])
def test_fc_backward_equals_the_op_by_op_gradient(xs, ws, relu, flatten):
    x, w, b = _f32(*xs), _f32(*ws), _f32(ws[0])

    def fwd(x, w, b):
        if relu:
            return _ops.fully_connected(x, w, b, act_type="relu")
        return npx.fully_connected(x, w, b, num_hidden=ws[0], flatten=flatten)

    vs = [a.copy() for a in (x, w, b)]
    for a in vs:
        a.attach_grad()
    with autograd.record():
        y = fwd(*vs)
    head = np.array(onp.linspace(-1, 1, y.size).reshape(y.shape).astype(onp.float32))
    y.backward(head)
    fused = [a.grad.asnumpy() for a in vs]
    # create_graph takes the op-by-op gradient (differentiable ops)
    vs2 = [a.copy() for a in (x, w, b)]
    for a in vs2:
        a.attach_grad()
    with autograd.record():
        y2 = fwd(*vs2)
    unfused = [g.asnumpy() for g in autograd.grad(y2, vs2, head, create_graph=True)]
    for got, want in zip(fused, unfused):
        onp.testing.assert_array_equal(got, want)


def test_fc_backward_only_what_is_needed():
    """The data's gradient of a first layer is not computed (x needs none)."""
    x, w, b = _f32(6, 4), _f32(3, 4), _f32(3)
    w.attach_grad()
    with autograd.record():
        y = npx.fully_connected(x, w, b, num_hidden=3)
    y.backward()
    onp.testing.assert_allclose(w.grad.asnumpy(), onp.ones((6, 3), onp.float32).T @
                                x.asnumpy(), rtol=1e-6)
    assert b.grad is None and x.grad is None


def test_fc_second_order_through_dense():
    """A gradient penalty through a relu Dense layer: create_graph still works."""
    x = np.array(R.standard_normal((3, 4)))
    w = np.array(R.standard_normal((5, 4)))
    b = np.array(R.standard_normal(5))

    def f(xv):
        return (_ops.fully_connected(xv, w, b, act_type="relu") ** 2).sum()

    got = _second_order(f, x)
    # finite differences of the first-order gradient
    def g1(xn):
        xv = np.array(xn)
        xv.attach_grad()
        with autograd.record():
            y = f(xv)
        y.backward()
        return xv.grad.asnumpy()

    c = onp.linspace(-1, 1, 12).reshape(3, 4)
    x0 = x.asnumpy()
    want = onp.zeros_like(x0)
    eps = 1e-6
    for i in onp.ndindex(x0.shape):
        d = onp.zeros_like(x0)
        d[i] = eps
        want[i] = ((g1(x0 + d) * c).sum() - (g1(x0 - d) * c).sum()) / (2 * eps)
    onp.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_sigmoid_backward_equals_the_composed_formula():
    x = _f32(64, 6, 28, 28, scale=2.0)
    head = _f32(64, 6, 28, 28)
    a, b = x.copy(), x.copy()
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        ya = npx.sigmoid(a)
    ya.backward(head)
    with autograd.record():
        yb = npx.sigmoid(b)
    (gb,) = autograd.grad(yb, [b], head, create_graph=True)   # the composed ops
    onp.testing.assert_array_equal(a.grad.asnumpy(), gb.asnumpy())


def test_sigmoid_second_order():
    x = np.array(R.standard_normal((3, 4)))
    got = _second_order(lambda v: npx.sigmoid(v).sum(), x)
    s = 1 / (1 + onp.exp(-x.asnumpy()))
    c = onp.linspace(-1, 1, 12).reshape(3, 4)
    onp.testing.assert_allclose(got, c * s * (1 - s) * (1 - 2 * s), rtol=1e-12)


@pytest.mark.parametrize("shape,k", [((4, 3, 8, 8), (2, 2)), ((2, 2, 9, 7), (3, 2)),
                                     ((2, 3, 6), (1,)), ((2, 1, 4, 4, 6), (2, 1, 3))])
def test_avg_pool_backward_tiling_windows(shape, k):
    """Windows that tile the input (stride = kernel, no pad): each cell gets its
    window's gradient / count, past the last whole window 0 (against a loop)."""
    x = np.array(R.standard_normal(shape))
    x.attach_grad()
    with autograd.record():
        y = npx.pooling(x, kernel=k, stride=k, pool_type="avg")
    head = R.standard_normal(y.shape)
    y.backward(np.array(head))
    want = onp.zeros(shape)
    cnt = float(onp.prod(k))
    for idx in onp.ndindex(y.shape):
        sl = tuple(slice(i * s, i * s + s) for i, s in zip(idx[2:], k))
        want[idx[:2] + sl] += head[idx] / cnt
    onp.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-12)
