"""nd.Convolution and nd.Pooling (ops in ndengine/ndarray/ops_legacy.py) against NumPy
references written with loops, and their gradients against finite differences."""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as onp
import pytest

from ndengine import nd
from ndengine.base import MXNetError
from ndengine.legacy.ndarray import wrap

sys.path.insert(0, str(Path(__file__).parents[1] / "autograd"))
from ag_helpers import check_grad  # noqa: E402


def _conv_ref(x, w, b, stride, dilate, pad, groups):
    nd_ = w.ndim - 2
    xp = onp.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in pad))
    n, c = x.shape[:2]
    f = w.shape[0]
    k = w.shape[2:]
    out = tuple((xp.shape[2 + i] - dilate[i] * (k[i] - 1) - 1) // stride[i] + 1
                for i in range(nd_))
    y = onp.zeros((n, f) + out)
    cg, fg = c // groups, f // groups
    for o in itertools.product(*[range(v) for v in out]):
        for kk in itertools.product(*[range(v) for v in k]):
            idx = tuple(o[i] * stride[i] + kk[i] * dilate[i] for i in range(nd_))
            v = xp[(slice(None), slice(None)) + idx]                 # (n, c)
            for g in range(groups):
                y[(slice(None), slice(g * fg, (g + 1) * fg)) + o] += \
                    v[:, g * cg:(g + 1) * cg] @ w[(slice(g * fg, (g + 1) * fg), slice(None))
                                                  + kk].T
    if b is not None:
        y += b.reshape((1, f) + (1,) * nd_)
    return y


CONV_CASES = [
    ((2, 3, 7), (4, 3, 3), (1,), (1,), (0,), 1),
    ((2, 3, 6, 5), (4, 3, 3, 2), (2, 1), (1, 1), (1, 0), 1),
    ((1, 4, 7, 7), (6, 2, 3, 3), (2, 2), (2, 1), (1, 2), 2),
    ((1, 2, 4, 4, 4), (2, 2, 2, 2, 2), (1, 2, 1), (1, 1, 1), (0, 1, 0), 1),
]


@pytest.mark.parametrize("xs, ws, stride, dilate, pad, groups", CONV_CASES)
def test_convolution_values(xs, ws, stride, dilate, pad, groups):
    rng = onp.random.default_rng(0)
    x = rng.standard_normal(xs).astype("float32")
    w = rng.standard_normal(ws).astype("float32")
    b = rng.standard_normal(ws[0]).astype("float32")
    y = nd.Convolution(nd.array(x), nd.array(w), nd.array(b), kernel=ws[2:], stride=stride,
                       dilate=dilate, pad=pad, num_filter=ws[0], num_group=groups)
    onp.testing.assert_allclose(y.asnumpy(), _conv_ref(x, w, b, stride, dilate, pad, groups),
                                rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("xs, ws, stride, dilate, pad, groups", CONV_CASES[:3])
def test_convolution_gradient(xs, ws, stride, dilate, pad, groups):
    rng = onp.random.default_rng(1)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])

    def fn(x, w, b):
        return nd.Convolution(wrap(x), wrap(w), wrap(b), kernel=ws[2:], stride=stride,
                              dilate=dilate, pad=pad, num_group=groups)._arr
    check_grad("convolution", fn, [x, w, b], rtol=1e-4, atol=1e-6)


def _pool_ref(x, k, stride, pad, kind, full, include_pad):
    nd_ = len(k)
    sp = x.shape[2:]
    out = []
    for n, kk, s, p in zip(sp, k, stride, pad):
        m = n + 2 * p - kk
        out.append((-(-m // s) if full else m // s) + 1)
    y = onp.zeros(x.shape[:2] + tuple(out))
    for o in itertools.product(*[range(v) for v in out]):
        lo = [o[i] * stride[i] - pad[i] for i in range(nd_)]
        hi = [lo[i] + k[i] for i in range(nd_)]
        clo = [max(0, v) for v in lo]
        chi = [min(sp[i], hi[i]) for i in range(nd_)]
        win = x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in zip(clo, chi))]
        axes = tuple(range(2, 2 + nd_))
        if kind == "max":
            v = win.max(axis=axes)
            if any(lo[i] < 0 or hi[i] > sp[i] for i in range(nd_)) and pad and any(pad):
                v = v                                 # padding is -inf: never the max
        elif kind == "sum":
            v = win.sum(axis=axes)
        else:
            if include_pad:
                cnt = onp.prod([min(hi[i], sp[i] + pad[i]) - lo[i] for i in range(nd_)])
            else:
                cnt = win[0, 0].size
            v = win.sum(axis=axes) / cnt
        y[(slice(None), slice(None)) + o] = v
    return y


POOL_CASES = [
    ((2, 3, 4, 4), (2, 2), (2, 2), (0, 0), "max", False, True),
    ((1, 2, 5, 5), (3, 3), (2, 2), (1, 1), "max", False, True),
    ((1, 2, 5, 5), (3, 3), (2, 2), (1, 1), "avg", False, True),
    ((1, 2, 5, 5), (3, 3), (2, 2), (1, 1), "avg", False, False),
    ((1, 1, 4, 4), (3, 3), (2, 2), (0, 0), "avg", True, True),
    ((1, 1, 4, 4), (3, 3), (2, 2), (0, 0), "max", True, True),
    ((2, 2, 7), (3,), (2,), (1,), "sum", False, True),
    ((1, 2, 4, 4, 4), (2, 2, 2), (2, 2, 2), (0, 0, 0), "avg", False, True),
]


@pytest.mark.parametrize("xs, k, stride, pad, kind, full, include_pad", POOL_CASES)
def test_pooling_values(xs, k, stride, pad, kind, full, include_pad):
    x = onp.random.default_rng(2).standard_normal(xs).astype("float32")
    y = nd.Pooling(nd.array(x), kernel=k, stride=stride, pad=pad, pool_type=kind,
                   pooling_convention="full" if full else "valid",
                   count_include_pad=include_pad)
    onp.testing.assert_allclose(y.asnumpy(), _pool_ref(x, k, stride, pad, kind, full,
                                                       include_pad), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("xs, k, stride, pad, kind, full, include_pad", POOL_CASES[1:7])
def test_pooling_gradient(xs, k, stride, pad, kind, full, include_pad):
    x = onp.random.default_rng(3).permutation(onp.prod(xs)).reshape(xs) / 7.0   # no ties

    def fn(x):
        return nd.Pooling(wrap(x), kernel=k, stride=stride, pad=pad, pool_type=kind,
                          pooling_convention="full" if full else "valid",
                          count_include_pad=include_pad)._arr
    check_grad("pooling", fn, [x], rtol=1e-4, atol=1e-6)


def test_lp_and_global_pooling():
    x = onp.random.default_rng(4).standard_normal((2, 3, 4, 4))
    y = nd.Pooling(nd.array(x, dtype="float64"), kernel=(2, 2), stride=(2, 2), pool_type="lp",
                   p_value=2)
    want = onp.sqrt((x.reshape(2, 3, 2, 2, 2, 2) ** 2).sum(axis=(3, 5)))
    onp.testing.assert_allclose(y.asnumpy(), want, rtol=1e-6)
    g = nd.Pooling(nd.array(x), global_pool=True, pool_type="avg")
    onp.testing.assert_allclose(g.asnumpy()[..., 0, 0], x.mean(axis=(2, 3)), rtol=1e-5)
    check_grad("pooling", lambda a: nd.Pooling(wrap(a), kernel=(2, 2), pool_type="lp",
                                               p_value=3)._arr, [x + 5], rtol=1e-4)


def test_max_pool_ties_go_to_the_first():
    x = nd.ones((1, 1, 2, 2))
    x.attach_grad()
    from ndengine import autograd
    with autograd.record():
        y = nd.Pooling(x, kernel=(2, 2))
    y.backward()
    onp.testing.assert_array_equal(x.grad.asnumpy()[0, 0], [[1, 0], [0, 0]])


def test_conv_pool_errors():
    x = nd.ones((1, 3, 5, 5))
    with pytest.raises(MXNetError, match=r"Convolution: weight \(4, 2, 3, 3\) does not fit"):
        nd.Convolution(x, nd.ones((4, 2, 3, 3)), nd.ones(4), kernel=(3, 3), num_filter=4)
    with pytest.raises(MXNetError, match="kernel is required"):
        nd.Convolution(x, nd.ones((4, 3, 3, 3)), no_bias=True)
    with pytest.raises(MXNetError, match="larger than the padded input"):
        nd.Convolution(x, nd.ones((4, 3, 7, 7)), no_bias=True, kernel=(7, 7))
    with pytest.raises(MXNetError, match="stride"):
        nd.Pooling(x, kernel=(2, 2), stride=(2, 2, 2))
    with pytest.raises(MXNetError, match="pool_type"):
        nd.Pooling(x, kernel=(2, 2), pool_type="median")
    with pytest.raises(MXNetError, match="layout"):
        nd.Pooling(x, kernel=(2, 2), layout="NHWC")


@pytest.mark.parametrize("xs, ws, stride, pad, adj, groups", [
    ((2, 3, 4, 4), (3, 2, 3, 3), (1, 1), (0, 0), (0, 0), 1),
    ((1, 4, 3, 3), (4, 2, 3, 3), (2, 2), (1, 1), (1, 1), 2),
    ((2, 2, 5), (2, 3, 4), (3,), (1,), (2,), 1),
])
def test_deconvolution_is_the_conv_data_gradient(xs, ws, stride, pad, adj, groups):
    """Deconvolution(x, w) is the transpose of Convolution(., w): <conv(y), x> =
    <y, deconv(x)> for any y; and its gradients match finite differences."""
    rng = onp.random.default_rng(5)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    k = ws[2:]
    d = nd.Deconvolution(nd.array(x, dtype="float64"), nd.array(w, dtype="float64"), kernel=k,
                         stride=stride, pad=pad, adj=adj, num_group=groups)
    y = rng.standard_normal(d.shape)
    c = nd.Convolution(nd.array(y, dtype="float64"), nd.array(w, dtype="float64"), kernel=k,
                       stride=stride, pad=pad, num_group=groups, no_bias=True)
    onp.testing.assert_allclose((c.asnumpy() * x).sum(), (y * d.asnumpy()).sum(), rtol=1e-10)
    b = rng.standard_normal(d.shape[1])

    def fn(x, w, b):
        return nd.Deconvolution(wrap(x), wrap(w), wrap(b), kernel=k, stride=stride, pad=pad,
                                adj=adj, num_group=groups, no_bias=False)._arr
    check_grad("deconvolution", fn, [x, w, b], rtol=1e-4, atol=1e-6)


def test_deconvolution_target_shape_sets_pad_and_adj():
    x = nd.ones((1, 2, 3, 3))
    w = nd.ones((2, 3, 3, 3))
    for t in (5, 6, 7):
        y = nd.Deconvolution(x, w, kernel=(3, 3), stride=(2, 2), target_shape=(t, t))
        assert y.shape == (1, 3, t, t)
