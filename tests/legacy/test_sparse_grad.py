"""Row-sparse gradients (``nn.Embedding(sparse_grad=True)``, ``Parameter(grad_stype=
'row_sparse')``, ``attach_grad(stype='row_sparse')``) and the optimizers' lazy updates,
against dense NumPy references over random, repeated indices (Hypothesis).  The values
against real MXNet 1.9.1 are in tests/mxnet_diff/cases/cases_sparse_grad.py."""
from __future__ import annotations

import numpy as onp
import pytest
from hypothesis import given, settings, strategies as st

import ndengine as mx
from ndengine import autograd, engine, gluon, nd, npx
from ndengine.legacy.sparse import RowSparseNDArray


@pytest.fixture(autouse=True)
def _legacy_mode():
    npx.reset_np()
    yield


batches = st.lists(st.lists(st.integers(-2, 9), min_size=0, max_size=12), min_size=1,
                   max_size=3)


def _dense_reference_grad(rows, dim, uses):
    """d(sum_u sum(emb_u * c_u))/dW with clipped indices: np.add.at per use."""
    g = onp.zeros((rows, dim))
    for idx, c in uses:
        onp.add.at(g, onp.clip(idx, 0, rows - 1), c)
    return g


@settings(max_examples=40, deadline=None)
@given(batches, st.integers(0, 2 ** 16), st.sampled_from(["float32", "float64"]))
def test_embedding_gradient_rows_are_the_unique_indices_and_their_sums(batch, seed, dtype):
    rows, dim = 8, 3
    rng = onp.random.default_rng(seed)
    emb = gluon.nn.Embedding(rows, dim, sparse_grad=True, dtype=dtype)
    emb.initialize()
    uses = [(onp.array(b, dtype=onp.int64), rng.standard_normal((len(b), dim)))
            for b in batch]
    with autograd.record():
        loss = None
        for idx, c in uses:
            t = (emb(nd.array(idx)) * nd.array(c, dtype=dtype)).sum()
            loss = t if loss is None else loss + t
    loss.backward()
    g = emb.weight.grad()
    assert isinstance(g, RowSparseNDArray) and g.stype == "row_sparse"
    want_rows = onp.unique(onp.clip(onp.concatenate([u[0] for u in uses]), 0, rows - 1))
    assert g.indices.asnumpy().tolist() == want_rows.tolist()
    assert g.indices.dtype == onp.int64 and g.data.dtype == onp.dtype(dtype)
    ref = _dense_reference_grad(rows, dim, uses)
    tol = 1e-5 if dtype == "float32" else 1e-12
    onp.testing.assert_allclose(g.data.asnumpy(), ref[want_rows], rtol=tol, atol=tol)
    onp.testing.assert_allclose(g.asnumpy(), ref, rtol=tol, atol=tol)
    g.check_format()


def _sgd_reference(w, mom, rows, g, lr, wd, momentum, rescale):
    """MXNet's lazy sparse sgd(_mom)_update on *rows* only, in float64."""
    w, mom = w.copy(), None if mom is None else mom.copy()
    gr = g * rescale
    if mom is None:
        w[rows] = (1 - lr * wd) * w[rows] - lr * gr
    else:
        mom[rows] = momentum * mom[rows] - lr * wd * w[rows] - lr * gr
        w[rows] += mom[rows]
    return w, mom


def _f32(x):
    return float(onp.float32(x))


def _adam_reference(w, m, v, rows, g, lr, wd, b1, b2, eps, rescale):
    w, m, v = w.copy(), m.copy(), v.copy()
    gr = g * rescale + wd * w[rows]
    m[rows] = b1 * m[rows] + (1 - b1) * gr
    v[rows] = b2 * v[rows] + (1 - b2) * gr * gr
    w[rows] -= lr * m[rows] / (onp.sqrt(v[rows]) + eps)
    return w, m, v


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.integers(0, 7), min_size=1, max_size=10), min_size=1,
                max_size=4),
       st.sampled_from(["sgd", "sgd_mom", "adam"]), st.integers(0, 2 ** 16))
def test_lazy_updates_touch_only_the_rows_of_the_gradient(steps, which, seed):
    rows, dim, lr, wd = 8, 4, 0.05, 0.1
    rng = onp.random.default_rng(seed)
    w0 = rng.standard_normal((rows, dim))
    emb = gluon.nn.Embedding(rows, dim, sparse_grad=True, dtype="float64")
    emb.initialize()
    emb.weight.set_data(nd.array(w0, dtype="float64"))
    if which == "adam":
        tr = gluon.Trainer(emb.collect_params(), "adam", {"learning_rate": lr, "wd": wd})
    else:
        tr = gluon.Trainer(emb.collect_params(), "sgd", {
            "learning_rate": lr, "wd": wd, "momentum": 0.9 if which == "sgd_mom" else 0.0})
    w = w0.copy()
    m = onp.zeros_like(w)
    v = onp.zeros_like(w)
    mom = onp.zeros_like(w) if which == "sgd_mom" else None
    for t, idx in enumerate(steps, 1):
        c = rng.standard_normal((len(idx), dim))
        with autograd.record():
            loss = (emb(nd.array(idx)) * nd.array(c, dtype="float64")).sum()
        loss.backward()
        tr.step(2)
        g = _dense_reference_grad(rows, dim, [(onp.array(idx), c)])
        r = onp.unique(idx)
        # the fused updates take their hyperparameters as float32 fields (as MXNet's)
        if which == "adam":
            lr_t = lr * onp.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
            w, m, v = _adam_reference(w, m, v, r, g[r], *map(_f32, (lr_t, wd, 0.9, 0.999,
                                                                    1e-8, 0.5)))
        else:
            w, mom = _sgd_reference(w, mom, r, g[r], *map(_f32, (lr, wd, 0.9, 0.5)))
    got = emb.weight.data().asnumpy()
    onp.testing.assert_allclose(got, w, rtol=1e-10, atol=1e-12)
    untouched = sorted(set(range(rows)) - {i for s in steps for i in s})
    assert (got[untouched] == w0[untouched]).all()


def test_lazy_sgd_small_case_by_hand():
    """lr 1, no momentum: rows 1 (looked up twice) and 3 move, the others do not."""
    emb = gluon.nn.Embedding(5, 2, sparse_grad=True)
    emb.initialize(mx.init.Constant(1.0))
    tr = gluon.Trainer(emb.collect_params(), "sgd", {"learning_rate": 1.0})
    with autograd.record():
        loss = emb(nd.array([1, 1, 3])).sum()
    loss.backward()
    tr.step(1)
    w = emb.weight.data().asnumpy()
    assert w[1].tolist() == [-1.0, -1.0] and w[3].tolist() == [0.0, 0.0]
    assert w[[0, 2, 4]].tolist() == [[1.0, 1.0]] * 3


def test_attach_grad_row_sparse_and_dense_uses():
    w = nd.ones((6, 2))
    w.attach_grad(stype="row_sparse")
    assert isinstance(w.grad, RowSparseNDArray) and w.grad.indices.shape == (0,)
    with autograd.record():
        y = nd.Embedding(nd.array([5, 0, 5]), w, input_dim=6, output_dim=2,
                         sparse_grad=True)
        loss = (y * 2).sum() + (w[2] * 3).sum()
    loss.backward()
    assert w.grad.indices.asnumpy().tolist() == [0, 2, 5]
    assert w.grad.data.asnumpy().tolist() == [[2, 2], [3, 3], [4, 4]]
    # without a row-sparse buffer, sparse_grad gives the same values dense
    d = nd.ones((6, 2))
    d.attach_grad()
    with autograd.record():
        y = nd.Embedding(nd.array([5, 0, 5]), d, input_dim=6, output_dim=2,
                         sparse_grad=True)
    y.backward()
    assert type(d.grad) is nd.NDArray
    assert d.grad.asnumpy()[:, 0].tolist() == [1, 0, 0, 0, 0, 2]
    with pytest.raises(ValueError, match="csr"):
        d.attach_grad(stype="csr")


def test_autograd_grad_of_a_sparse_embedding_is_dense():
    w = nd.ones((4, 2))
    w.attach_grad(stype="row_sparse")
    with autograd.record():
        y = nd.Embedding(nd.array([3, 3]), w, input_dim=4, output_dim=2, sparse_grad=True)
    (g,) = autograd.grad(y, [w], head_grads=nd.ones((2, 2)))
    assert g.asnumpy()[:, 0].tolist() == [0, 0, 0, 2]


def test_zero_grad_and_refusals():
    emb = gluon.nn.Embedding(5, 2, sparse_grad=True)
    emb.initialize()
    with autograd.record():
        emb(nd.array([1])).sum().backward()
    assert emb.weight.grad().indices.asnumpy().tolist() == [1]
    emb.weight.zero_grad()
    assert emb.weight.grad().indices.shape == (0,)
    emb.weight.grad_req = "add"
    with autograd.record():
        y = emb(nd.array([1]))
    with pytest.raises(mx.base.MXNetError, match="grad_req='write'"):
        y.backward()
    with pytest.raises(ValueError, match="stype='row_sparse'.*not supported"):
        gluon.Parameter("w", shape=(2, 2), stype="row_sparse")
    with pytest.raises(AssertionError, match="must be one of"):
        gluon.Parameter("w", shape=(2, 2), grad_stype="dense")
    npx.set_np()
    e = gluon.nn.Embedding(5, 2, sparse_grad=True)
    with pytest.raises(ValueError, match="does not support stype = row_sparse"):
        e.initialize()


def test_trainer_refuses_sparse_gradients_on_kvstore_updates():
    emb = gluon.nn.Embedding(5, 2, sparse_grad=True)
    emb.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    tr = gluon.Trainer(emb.collect_params(), "sgd", {"learning_rate": 0.1},
                       update_on_kvstore=True)
    with autograd.record():
        ls = [emb(nd.array([1], ctx=c)).sum() for c in (mx.cpu(0), mx.cpu(1))]
    autograd.backward(ls)
    with pytest.raises(ValueError, match="row_sparse gradients"):
        tr.step(1)
