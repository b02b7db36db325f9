"""Products, einsum, norms and np.linalg against NumPy."""
from __future__ import annotations

import operator

import numpy as onp
import pytest

import ndengine
from ndengine import np as mnp

from np_oracle import data, oracle, with_inputs

PAIRS = [((3, 4), (4, 5)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((2, 3, 4), (4, 5)),
         ((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (5, 4, 2)), ((), (3,)), ((3, 4), ())]


@pytest.mark.parametrize("fn,sa,sb", [(f, a, b) for f in ["dot", "matmul", "operator"]
                                       for a, b in PAIRS
                                       if f == "dot" or (a != () and b != ())], ids=str)
@oracle(rtol=1e-4, atol=1e-4)
def test_products(fn, sa, sb, xp):
    if fn == "dot" and len(sb) == 3 and len(sa) == 3:
        sb = sb[1:]
    a, b = xp.asarray(data(sa)), xp.asarray(data(sb))
    if fn == "operator":
        return a @ b
    return getattr(xp, fn)(a, b)


@pytest.mark.parametrize("da,db", [("int32", "int32"), ("float32", "int32"),
                                   ("float64", "float32")])
@oracle()
def test_product_dtypes(da, db, xp):
    a, b = data((2, 3), da), data((3, 2), db)
    return with_inputs((xp.dot(xp.asarray(a), xp.asarray(b)),
                        xp.matmul(xp.asarray(a), xp.asarray(b))), a, b)


@pytest.mark.parametrize("axes", [2, 1, 0, ([1, 0], [0, 1]), ([2], [0]), (1, 0)], ids=str)
@oracle(rtol=1e-4, atol=1e-4)
def test_tensordot(axes, xp):
    a = xp.asarray(data((3, 4, 5)))
    b = xp.asarray(data((4, 3, 2)) if axes == ([1, 0], [0, 1]) else
                   data((5, 2)) if axes == ([2], [0]) else
                   data((4, 5, 2)) if axes == 2 else
                   data((5, 2)) if axes == 1 else
                   data((4, 2)) if axes == (1, 0) else data((2,)))
    return xp.tensordot(a, b, axes=axes)


@pytest.mark.parametrize("spec,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]),
    ("ij->ji", [(2, 3)]), ("i,i->", [(4,), (4,)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("i,j->ij", [(3,), (2,)]), ("ij->", [(3, 2)]), ("ijk,k->ij", [(2, 3, 4), (4,)]),
    # ellipses: broadcast batch axes, implicit outputs, none under '...', trailing '...'
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]), ("...ij,...jk", [(2, 1, 3, 4), (3, 4, 2)]),
    ("...i->...", [(2, 3, 4)]), ("i...->...", [(3, 2, 4)]), ("...,...", [(2, 3), (3,)]),
    ("ij...,jk...->ik...", [(2, 3), (3, 4)]), ("...ii->...i", [(2, 3, 3)]),
    ("ii", [(3, 3)]), ("iij->j", [(3, 3, 2)]), ("a...,Ba...->B...", [(2, 3), (4, 2, 3)]),
    ("i...->i", [(3,)]),
], ids=lambda v: str(v))
@oracle(rtol=1e-4, atol=1e-4)
def test_einsum(spec, shapes, xp):
    return xp.einsum(spec, *[xp.asarray(data(s)) for s in shapes])


@oracle(rtol=1e-5)
def test_kron_of_any_dimensions(xp):
    return [xp.kron(xp.asarray(data(sa)), xp.asarray(data(sb))) for sa, sb in
            [((3,), (2,)), ((2, 1, 2), (3, 2)), ((), (2,)), ((2, 2, 2), (2,)), ((1, 3), (2, 2, 1))]]


def _fd_grad(f, x, eps=1e-6):
    g = onp.zeros_like(x)
    for i in onp.ndindex(x.shape):
        xp_, xm = x.copy(), x.copy()
        xp_[i] += eps
        xm[i] -= eps
        g[i] = (f(xp_) - f(xm)) / (2 * eps)
    return g


@pytest.mark.parametrize("sa,sb", [((2, 3), (2, 2)), ((2, 1, 2), (3, 2)), ((3,), (2, 2))])
def test_kron_gradient_by_finite_differences(sa, sb):
    """kron is a composite (a broadcast product, reshaped): its gradients, both operands,
    against central differences in float64."""
    from ndengine import autograd

    r = onp.random.RandomState(3)
    a0, b0 = r.uniform(-1, 1, sa), r.uniform(-1, 1, sb)
    w = r.uniform(-1, 1, onp.kron(a0, b0).shape)
    a, b = mnp.array(a0), mnp.array(b0)
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = (mnp.kron(a, b) * mnp.array(w)).sum()
    y.backward()
    onp.testing.assert_allclose(a.grad.asnumpy(),
                                _fd_grad(lambda v: (onp.kron(v, b0) * w).sum(), a0), rtol=1e-6)
    onp.testing.assert_allclose(b.grad.asnumpy(),
                                _fd_grad(lambda v: (onp.kron(a0, v) * w).sum(), b0), rtol=1e-6)


def test_reshape_in_fortran_order_has_the_gradient_of_its_permutation():
    from ndengine import autograd

    x0 = onp.random.RandomState(4).uniform(-1, 1, (2, 3, 4))
    w = onp.arange(24.0).reshape(4, 6)
    x = mnp.array(x0)
    x.attach_grad()
    with autograd.record():
        y = (mnp.reshape(x, (4, 6), order="F") * mnp.array(w)).sum()
    y.backward()
    onp.testing.assert_array_equal(x.grad.asnumpy(), w.reshape((2, 3, 4), order="F"))


@oracle(rtol=1e-5)
def test_outer_inner_vdot_kron_trace(xp):
    a, b = xp.asarray(data((3,))), xp.asarray(data((4,)))
    m = xp.asarray(data((3, 3)))
    return (xp.outer(a, b), xp.inner(a, a), xp.vdot(m, m), xp.kron(m, m[:2]), xp.trace(m),
            xp.trace(m, offset=1), xp.trace(xp.asarray(data((2, 3, 3))), axis1=1, axis2=2))


@pytest.mark.parametrize("ord,axis", [(None, None), (None, 0), (2, 1), (1, None), (1, 0),
                                      (onp.inf, 1), ("fro", None), ("fro", (0, 1)),
                                      ("nuc", None), (-onp.inf, None), (None, (0, 1)),
                                      (2, None), (0, 1), (3, 0)], ids=str)
@oracle(rtol=1e-4, atol=1e-4)
def test_norm(ord, axis, xp):
    return xp.linalg.norm(xp.asarray(data((3, 4))), ord=ord, axis=axis)


@oracle(rtol=1e-5)
def test_norm_keepdims_and_vectors(xp):
    x = xp.asarray(data((2, 3, 4)))
    return (xp.linalg.norm(x, axis=2, keepdims=True), xp.linalg.norm(x[0, 0]),
            xp.linalg.norm(x), xp.linalg.norm(xp.asarray(data((5,), "int32"))))


def spd(n, batch=()):
    a = data(batch + (n, n))
    return (a @ onp.swapaxes(a, -1, -2) + n * onp.eye(n, dtype="float32")).astype("float32")


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "pinv", "eigvalsh",
                                  "matrix_rank"])
@pytest.mark.parametrize("batch", [(), (2,)], ids=str)
@oracle(rtol=2e-3, atol=2e-3)
def test_linalg_functions(name, batch, xp):
    return getattr(xp.linalg, name)(xp.asarray(spd(3, batch)))


@oracle(rtol=2e-3, atol=2e-3)
def test_linalg_solve(xp):
    a = xp.asarray(spd(3))
    return (xp.linalg.solve(a, xp.asarray(data((3,)))),
            xp.linalg.solve(a, xp.asarray(data((3, 2)))),
            xp.linalg.solve(xp.asarray(spd(3, (2,))), xp.asarray(data((2, 3, 1)))))


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)], ids=str)
def test_decompositions_reconstruct(shape):
    x = data(shape)
    a = mnp.array(x)
    u, s, vh = mnp.linalg.svd(a, full_matrices=False)
    k = s.shape[-1]
    rec = (u * mnp.expand_dims(s, -2)) @ vh
    onp.testing.assert_allclose(rec.asnumpy(), x, rtol=1e-4, atol=1e-4)
    assert mnp.linalg.svd(a)[0].shape == shape[:-2] + (shape[-2], shape[-2])
    onp.testing.assert_allclose(mnp.linalg.svd(a, compute_uv=False).asnumpy(),
                                onp.linalg.svd(x, compute_uv=False), rtol=1e-4)
    q, r = mnp.linalg.qr(a)
    assert r.shape[-2] == k
    onp.testing.assert_allclose((q @ r).asnumpy(), x, rtol=1e-4, atol=1e-4)
    if shape[-1] == shape[-2]:
        m = spd(shape[-1], shape[:-2])
        w, v = mnp.linalg.eigh(mnp.array(m))
        onp.testing.assert_allclose(w.asnumpy(), onp.linalg.eigvalsh(m), rtol=1e-4)
        rec = (v * mnp.expand_dims(w, -2)) @ mnp.swapaxes(v, -1, -2)
        onp.testing.assert_allclose(rec.asnumpy(), m, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("call,match", [
    (lambda: mnp.dot(mnp.ones((2, 3)), mnp.ones((2, 3))),
     r"dot: shapes \(2, 3\) and \(2, 3\) not aligned: 3 \(dim 1\) != 2 \(dim 0\).*cpu\(0\)"),
    (lambda: mnp.matmul(mnp.ones((2, 3)), mnp.ones((4,))), r"matmul: shapes \(2, 3\) and \(4,\)"),
    (lambda: mnp.ones((2, 3)) @ mnp.ones((2, 3)), r"matmul.*not aligned.*float32.*cpu\(0\)"),
    (lambda: mnp.matmul(mnp.ones(3), mnp.array(2.0)), r"matmul.*not have enough dimensions"),
    (lambda: mnp.matmul(mnp.ones((2, 2, 3)), mnp.ones((3, 3, 1))), r"matmul.*broadcast"),
    (lambda: mnp.tensordot(mnp.ones((2, 3)), mnp.ones((2, 3)), axes=1),
     r"tensordot: shape-mismatch"),
    (lambda: mnp.einsum("ij,jk->ik", mnp.ones((2, 3)), mnp.ones((4, 2))), r"einsum: size of label"),
    (lambda: mnp.einsum("ij->k", mnp.ones((2, 3))), r"einsum: output label"),
    (lambda: mnp.einsum("...ijk", mnp.ones((2, 3))), r"einsum: operand subscripts '...ijk' "
                                                      r"have more labels than shape \(2, 3\)"),
    (lambda: mnp.einsum("i..j", mnp.ones((2, 3))), r"einsum: invalid ellipsis in 'i..j'"),
    (lambda: mnp.einsum("...i->i", mnp.ones((2, 3))), r"einsum: the output of '...i->i' "
                                                       r"needs '...'"),
    (lambda: mnp.linalg.inv(mnp.ones((2, 3))), r"linalg.inv: last 2 dimensions.*square"),
    (lambda: mnp.linalg.inv(mnp.ones(3)), r"linalg.inv: 1-dimensional"),
    (lambda: mnp.linalg.solve(mnp.ones((3, 3)), mnp.ones(4)), r"linalg.solve: shapes"),
    (lambda: mnp.linalg.norm(mnp.ones((2, 2, 2)), ord=2), r"norm: improper number"),
    (lambda: mnp.linalg.norm(mnp.ones(3), ord="fro"), r"norm: invalid norm order"),
])
def test_linalg_errors_at_call(call, match):
    with pytest.raises(ndengine.base.MXNetError, match=match) as ei:
        call()
    assert "cpu(0)" in str(ei.value)


def test_singular_inverse_fails_at_the_next_sync_point():
    a = mnp.zeros((3, 3))
    b = mnp.linalg.inv(a)          # returns at once
    c = b + 1                      # depends on the failure
    d = a + 1                      # does not
    assert d.tolist() == [[1.0] * 3] * 3
    with pytest.raises(ndengine.base.MXNetError, match=r"op 'inv'.*Singular matrix") as ei:
        c.asnumpy()
    assert isinstance(ei.value.__cause__, onp.linalg.LinAlgError)
    with pytest.raises(ndengine.base.MXNetError, match="Singular"):
        b.wait_to_read()
