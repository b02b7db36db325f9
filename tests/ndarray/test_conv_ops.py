"""npx.convolution / deconvolution / pooling (ops in ndarray/ops_conv.py) against direct
NumPy references written with loops, on random shapes, strides, pads, dilations and
groups (Hypothesis); layouts, dtypes and the call-time errors."""
from __future__ import annotations

import contextlib

import itertools

import numpy as onp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ndengine import autograd, np, npx
from ndengine.base import MXNetError

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ----------------------------------------------------------------------------- references
def conv_ref(x, w, b, stride, dilate, pad, groups):
    nd = w.ndim - 2
    xp = onp.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in pad))
    n, c = x.shape[:2]
    f = w.shape[0]
    k = w.shape[2:]
    out = tuple((xp.shape[2 + i] - dilate[i] * (k[i] - 1) - 1) // stride[i] + 1
                for i in range(nd))
    y = onp.zeros((n, f) + out)
    cg, fg = c // groups, f // groups
    for o in itertools.product(*[range(v) for v in out]):
        for kk in itertools.product(*[range(v) for v in k]):
            idx = tuple(o[i] * stride[i] + kk[i] * dilate[i] for i in range(nd))
            v = xp[(slice(None), slice(None)) + idx]                 # (n, c)
            for g in range(groups):
                wg = w[(slice(g * fg, (g + 1) * fg), slice(None)) + kk]   # (fg, cg)
                y[(slice(None), slice(g * fg, (g + 1) * fg)) + o] += v[:, g * cg:(g + 1) * cg] @ wg.T
    if b is not None:
        y += b.reshape((1, f) + (1,) * nd)
    return y


def deconv_ref(x, w, b, stride, dilate, pad, adj, groups):
    """Scatter every input cell through the kernel: out[i*s + k*d - p] += x[i] w[k]."""
    nd = w.ndim - 2
    n, c = x.shape[:2]
    fg = w.shape[1]
    f = fg * groups
    cg = c // groups
    k = w.shape[2:]
    insp = x.shape[2:]
    out = tuple(stride[i] * (insp[i] - 1) + dilate[i] * (k[i] - 1) + 1 - 2 * pad[i] + adj[i]
                for i in range(nd))
    full = tuple(out[i] + 2 * pad[i] + stride[i] for i in range(nd))
    y = onp.zeros((n, f) + full)
    for i in itertools.product(*[range(v) for v in insp]):
        for kk in itertools.product(*[range(v) for v in k]):
            o = tuple(i[a] * stride[a] + kk[a] * dilate[a] for a in range(nd))
            for g in range(groups):
                xv = x[(slice(None), slice(g * cg, (g + 1) * cg)) + i]         # (n, cg)
                wg = w[(slice(g * cg, (g + 1) * cg), slice(None)) + kk]       # (cg, fg)
                y[(slice(None), slice(g * fg, (g + 1) * fg)) + o] += xv @ wg
    y = y[(slice(None), slice(None)) + tuple(slice(pad[a], pad[a] + out[a]) for a in range(nd))]
    if b is not None:
        y = y + b.reshape((1, f) + (1,) * nd)
    return y


def pool_ref(x, kernel, stride, pad, kind, full=False, include_pad=True, p=2):
    nd = len(kernel)
    sp = x.shape[2:]
    out = []
    for n_, k, s, pd in zip(sp, kernel, stride, pad):
        m = n_ + 2 * pd - k
        out.append((-(-m // s) if full else m // s) + 1)
    y = onp.zeros(x.shape[:2] + tuple(out))
    for o in itertools.product(*[range(v) for v in out]):
        start = [o[i] * stride[i] - pad[i] for i in range(nd)]
        end = [start[i] + kernel[i] for i in range(nd)]
        sl = tuple(slice(max(start[i], 0), min(end[i], sp[i])) for i in range(nd))
        win = x[(slice(None), slice(None)) + sl].reshape(x.shape[:2] + (-1,))
        if kind == "max":
            v = win.max(axis=-1) if win.shape[-1] else \
                onp.full(x.shape[:2], onp.finfo(x.dtype).min)
        elif kind == "sum":
            v = win.sum(axis=-1)
        elif kind == "lp":
            v = (win ** p).sum(axis=-1) ** (1.0 / p)
        else:
            if include_pad:
                cnt = onp.prod([min(end[i], sp[i] + pad[i]) - max(start[i], -pad[i])
                                for i in range(nd)])
            else:
                cnt = onp.prod([min(end[i], sp[i]) - max(start[i], 0) for i in range(nd)])
            v = win.sum(axis=-1) / max(cnt, 1)
        y[(slice(None), slice(None)) + o] = v
    return y


# ----------------------------------------------------------------------------- strategies
@st.composite
def conv_geometry(draw, transposed=False):
    nd = draw(st.sampled_from([1, 1, 2, 2, 2, 3]))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cg = draw(st.integers(1, 3))
    fg = draw(st.integers(1, 3))
    n = draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.sampled_from([1, 1, 2, 3])) for _ in range(nd))
    dilate = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    pad = tuple(draw(st.integers(0, 2)) for _ in range(nd))
    hi = 7 if nd < 3 else 5
    if transposed:
        sp = tuple(draw(st.integers(1, 4)) for _ in range(nd))
        adj = tuple(draw(st.integers(0, s - 1)) for s in stride)
        out = [stride[i] * (sp[i] - 1) + dilate[i] * (kernel[i] - 1) + 1 - 2 * pad[i] + adj[i]
               for i in range(nd)]
        if min(out) < 1:
            pad = (0,) * nd
        return nd, groups, cg, fg, n, kernel, stride, dilate, pad, sp, adj
    sp = []
    for i in range(nd):
        span = dilate[i] * (kernel[i] - 1) + 1
        sp.append(draw(st.integers(max(1, span - 2 * pad[i]), max(span - 2 * pad[i], 1) + hi)))
    return nd, groups, cg, fg, n, kernel, stride, dilate, pad, tuple(sp), None


@contextlib.contextmanager
def flat_layout(on):
    """Stride-1 convolutions on the flat layout always (*on* true) or never, whatever the
    cells it crops (ops_conv._FLAT_WASTE); *on* 'windows': never, and 2-D convolutions
    off the row-major layout too (ops_conv._ROWS), on the window view."""
    from ndengine.ndarray import ops_conv
    from ndengine.ndarray.ops import OPS

    old, old_rows = ops_conv._FLAT_WASTE, ops_conv._ROWS
    ops_conv._FLAT_WASTE = 1e9 if on is True else -1.0
    ops_conv._ROWS = on != "windows"
    OPS["convolution"].cache.clear()          # (shape rules are memoized)
    try:
        yield
    finally:
        ops_conv._FLAT_WASTE, ops_conv._ROWS = old, old_rows
        OPS["convolution"].cache.clear()


LAYOUTS = st.sampled_from([True, False, "windows"])


@SETTINGS
@given(conv_geometry(), st.booleans(), LAYOUTS, st.integers(0, 2 ** 16))
def test_convolution_matches_reference(geo, use_bias, flat, seed):
    nd, groups, cg, fg, n, kernel, stride, dilate, pad, sp, _ = geo
    rng = onp.random.default_rng(seed)
    x = rng.standard_normal((n, cg * groups) + sp)
    w = rng.standard_normal((fg * groups, cg) + kernel)
    b = rng.standard_normal(fg * groups) if use_bias else None
    with flat_layout(flat):
        y = npx.convolution(np.array(x), np.array(w), None if b is None else np.array(b),
                            kernel=kernel, stride=stride, dilate=dilate, pad=pad,
                            num_filter=fg * groups, num_group=groups, no_bias=b is None)
        y = y.asnumpy()
    onp.testing.assert_allclose(y, conv_ref(x, w, b, stride, dilate, pad, groups),
                                rtol=1e-10, atol=1e-10)


@SETTINGS
@given(conv_geometry(transposed=True), st.booleans(), LAYOUTS, st.integers(0, 2 ** 16))
def test_deconvolution_matches_reference(geo, use_bias, flat, seed):
    nd, groups, cg, fg, n, kernel, stride, dilate, pad, sp, adj = geo
    rng = onp.random.default_rng(seed)
    x = rng.standard_normal((n, cg * groups) + sp)
    w = rng.standard_normal((cg * groups, fg) + kernel)
    b = rng.standard_normal(fg * groups) if use_bias else None
    with flat_layout(flat):
        y = npx.deconvolution(np.array(x), np.array(w), None if b is None else np.array(b),
                              kernel=kernel, stride=stride, dilate=dilate, pad=pad, adj=adj,
                              num_filter=fg * groups, num_group=groups, no_bias=b is None)
        y = y.asnumpy()
    onp.testing.assert_allclose(y,
                                deconv_ref(x, w, b, stride, dilate, pad, adj, groups),
                                rtol=1e-10, atol=1e-10)


@SETTINGS
@given(conv_geometry(), LAYOUTS, st.integers(0, 2 ** 16))
def test_convolution_gradients_are_the_transposes(geo, flat, seed):
    """<g, conv(x, w)> = <deconv(g, w), x> = <wgrad(g, x), w>: the gradients are exact
    adjoints of the forward map (checked on random shapes; finite differences of a few
    cases are in tests/autograd)."""
    nd, groups, cg, fg, n, kernel, stride, dilate, pad, sp, _ = geo
    rng = onp.random.default_rng(seed)
    x = np.array(rng.standard_normal((n, cg * groups) + sp))
    w = np.array(rng.standard_normal((fg * groups, cg) + kernel))
    x.attach_grad()
    w.attach_grad()
    with flat_layout(flat):
        with autograd.record():
            y = npx.convolution(x, w, kernel=kernel, stride=stride, dilate=dilate, pad=pad,
                                num_group=groups, no_bias=True)
        g = rng.standard_normal(y.shape)
        y.backward(np.array(g))
        y.wait_to_read()
        x.grad.wait_to_read()
        w.grad.wait_to_read()
    lhs = float((y.asnumpy() * g).sum())
    onp.testing.assert_allclose(float((x.grad.asnumpy() * x.asnumpy()).sum()), lhs,
                                rtol=1e-9, atol=1e-9)
    onp.testing.assert_allclose(float((w.grad.asnumpy() * w.asnumpy()).sum()), lhs,
                                rtol=1e-9, atol=1e-9)


@st.composite
def pool_geometry(draw):
    nd = draw(st.sampled_from([1, 2, 2, 3]))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.sampled_from([1, 1, 2, 3])) for _ in range(nd))
    pad = tuple(draw(st.integers(0, k - 1)) for k in kernel)
    if draw(st.booleans()):              # windows that tile the input (stride = kernel)
        stride, pad = kernel, (0,) * nd
    sp = tuple(draw(st.integers(max(1, kernel[i] - 2 * pad[i]), 6)) for i in range(nd))
    return nd, kernel, stride, pad, sp


@SETTINGS
@given(pool_geometry(), st.sampled_from(["max", "avg", "sum", "lp"]), st.booleans(),
       st.booleans(), st.integers(1, 3), st.integers(0, 2 ** 16))
def test_pooling_matches_reference(geo, kind, full, include_pad, p, seed):
    nd, kernel, stride, pad, sp = geo
    rng = onp.random.default_rng(seed)
    x = rng.standard_normal((2, 3) + sp)
    if kind == "lp":
        x = onp.abs(x) + 0.1
    y = npx.pooling(np.array(x), kernel=kernel, stride=stride, pad=pad, pool_type=kind,
                    pooling_convention="full" if full else "valid",
                    count_include_pad=include_pad, p_value=p)
    want = pool_ref(x, kernel, stride, pad, kind, full, include_pad, p)
    onp.testing.assert_allclose(y.asnumpy(), want, rtol=1e-10, atol=1e-12)


@SETTINGS
@given(pool_geometry(), st.sampled_from(["max", "avg", "sum"]), st.booleans(),
       st.integers(0, 2 ** 16))
def test_pooling_gradient_is_the_transpose(geo, kind, full, seed):
    nd, kernel, stride, pad, sp = geo
    rng = onp.random.default_rng(seed)
    x = np.array(rng.permutation(2 * 3 * int(onp.prod(sp))).reshape((2, 3) + sp) * 1.0)
    x.attach_grad()
    with autograd.record():
        y = npx.pooling(x, kernel=kernel, stride=stride, pad=pad, pool_type=kind,
                        pooling_convention="full" if full else "valid")
    g = rng.standard_normal(y.shape)
    y.backward(np.array(g))
    gx = x.grad.asnumpy()
    if kind == "max":       # each output's gradient lands on its window's maximum
        xs = x.asnumpy()
        # (a window of only the 'full' convention's extra cells has no maximum: MXNet's
        # lowest float, and no gradient)
        real = y.asnumpy() > onp.finfo(onp.float64).min
        assert onp.isclose(gx.sum(), g[real].sum())
        assert set(onp.flatnonzero(gx)) <= set(onp.flatnonzero(onp.isin(xs, y.asnumpy())))
    else:                   # linear: <g, pool(x)> = <grad, x>
        onp.testing.assert_allclose((gx * x.asnumpy()).sum(), (g * y.asnumpy()).sum(),
                                    rtol=1e-9)


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = np.array(onp.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 3.0, 3.0]]]]))
    x.attach_grad()
    with autograd.record():
        y = npx.pooling(x, kernel=(2, 2), stride=(2, 2))
    y.backward()
    onp.testing.assert_array_equal(x.grad.asnumpy(), [[[[0, 1, 1, 0], [0, 0, 0, 0]]]])


@pytest.mark.parametrize("kind", ["max", "avg", "sum", "lp"])
def test_global_pooling(kind):
    rng = onp.random.default_rng(3)
    for shape in [(2, 3, 5), (2, 3, 4, 5), (1, 2, 2, 3, 4)]:
        x = onp.abs(rng.standard_normal(shape)) + 0.1
        y = npx.pooling(np.array(x), kernel=(1,) * (len(shape) - 2), pool_type=kind,
                        global_pool=True, p_value=3).asnumpy()
        axes = tuple(range(2, len(shape)))
        want = {"max": x.max(axes, keepdims=True), "avg": x.mean(axes, keepdims=True),
                "sum": x.sum(axes, keepdims=True),
                "lp": (x ** 3).sum(axes, keepdims=True) ** (1 / 3)}[kind]
        onp.testing.assert_allclose(y, want, rtol=1e-12)


# ----------------------------------------------------------------------------- layouts, dtypes
def test_channels_last_layouts_transpose():
    rng = onp.random.default_rng(0)
    x = rng.standard_normal((2, 4, 6, 5))
    w = rng.standard_normal((3, 4, 3, 3))
    first = npx.convolution(np.array(x), np.array(w), kernel=(3, 3), pad=(1, 1), no_bias=True)
    last = npx.convolution(np.array(x.transpose(0, 2, 3, 1)), np.array(w.transpose(0, 2, 3, 1)),
                           kernel=(3, 3), pad=(1, 1), no_bias=True, layout="NHWC")
    onp.testing.assert_allclose(last.asnumpy(), first.asnumpy().transpose(0, 2, 3, 1),
                                rtol=1e-12)
    p1 = npx.pooling(np.array(x), kernel=(2, 2), stride=(2, 2))
    p2 = npx.pooling(np.array(x.transpose(0, 2, 3, 1)), kernel=(2, 2), stride=(2, 2),
                     layout="NHWC")
    onp.testing.assert_array_equal(p2.asnumpy(), p1.asnumpy().transpose(0, 2, 3, 1))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_dtypes(dtype):
    rng = onp.random.default_rng(1)
    x = rng.standard_normal((2, 3, 5, 5)).astype(dtype)
    w = rng.standard_normal((4, 3, 3, 3)).astype(dtype)
    y = npx.convolution(np.array(x), np.array(w), kernel=(3, 3), no_bias=True)
    assert y.dtype == onp.dtype(dtype)
    ref = conv_ref(x.astype("float64"), w.astype("float64"), None, (1, 1), (1, 1), (0, 0), 1)
    tol = {"float16": 2e-2, "float32": 1e-5, "float64": 1e-12}[dtype]
    onp.testing.assert_allclose(y.asnumpy().astype("float64"), ref, rtol=tol, atol=tol * 10)
    p = npx.pooling(np.array(x), kernel=(2, 2), pool_type="avg")
    assert p.dtype == onp.dtype(dtype)


def test_deconvolution_target_shape():
    x = np.ones((1, 2, 4, 4))
    w = np.ones((2, 3, 3, 3))
    y = npx.deconvolution(x, w, kernel=(3, 3), stride=(2, 2), target_shape=(8, 8),
                          num_filter=3)
    assert y.shape == (1, 3, 8, 8)
    # the pad and adj it stands for: total = 2*3 + 3 - 8 = 1 -> pad 1, adj 1
    z = npx.deconvolution(x, w, kernel=(3, 3), stride=(2, 2), pad=(1, 1), adj=(1, 1))
    onp.testing.assert_array_equal(y.asnumpy(), z.asnumpy())


def test_ops_return_before_their_values():
    from ndengine import engine

    x = np.ones((2, 3, 8, 8))
    w = np.ones((4, 3, 3, 3))
    gate_done = []

    def hold():
        gate_done.append(True)

    y = npx.convolution(x, w, kernel=(3, 3), no_bias=True)
    assert y.shape == (2, 4, 6, 6)       # shape known at once
    engine.push(hold, (y._var,), (), name="after")
    npx.waitall()
    assert gate_done


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, match", [
    (lambda: npx.convolution(np.ones((1, 3, 5, 5)), np.ones((4, 2, 3, 3)), np.ones(4),
                             kernel=(3, 3)), r"convolution: weight \(4, 2, 3, 3\) does not fit data \(1, 3, 5, 5\)"),
    (lambda: npx.convolution(np.ones((1, 3, 5, 5)), np.ones((4, 3, 3, 3)), kernel=(3, 3)),
     r"convolution: a bias array is required unless no_bias=True"),
    (lambda: npx.convolution(np.ones((1, 3, 5, 5)), np.ones((4, 3, 3, 3)), np.ones(4),
                             kernel=(3, 3), num_filter=5), r"num_filter is 5 .* 4 filters"),
    (lambda: npx.convolution(np.ones((1, 3, 2, 2)), np.ones((4, 3, 3, 3)), np.ones(4),
                             kernel=(3, 3)), r"larger than the padded input \(2, 2\)"),
    (lambda: npx.convolution(np.ones((1, 3, 5, 5)), np.ones((4, 3, 3, 3)), np.ones(4),
                             kernel=(3, 3), stride=(1, 1, 1)), r"stride \(1, 1, 1\) must have 2 values"),
    (lambda: npx.convolution(np.ones((1, 3, 5, 5)), np.ones((4, 3, 3, 3)), np.ones(4),
                             kernel=(3, 3), layout="NCW"), r"layout 'NCW' does not fit a 2-D kernel"),
    (lambda: npx.convolution(np.ones((1, 3, 5, 5), dtype="int32"),
                             np.ones((4, 3, 3, 3), dtype="int32"), kernel=(3, 3), no_bias=True),
     r"convolution: data must be floating-point, got int32"),
    (lambda: npx.convolution(np.ones((1, 3, 5, 5)), np.ones((4, 3, 3, 3), dtype="float64"),
                             kernel=(3, 3), no_bias=True), r"must have one dtype"),
    (lambda: npx.convolution(np.ones((1, 3, 5, 5)), np.ones((4, 3, 3, 3)), no_bias=True),
     r"kernel is required"),
    (lambda: npx.deconvolution(np.ones((1, 3, 5, 5)), np.ones((4, 3, 3, 3)), kernel=(3, 3)),
     r"deconvolution: weight \(4, 3, 3, 3\) does not fit data \(1, 3, 5, 5\)"),
    (lambda: npx.deconvolution(np.ones((1, 3, 5, 5)), np.ones((3, 2, 3, 3)), kernel=(3, 3),
                               stride=(2, 2), adj=(2, 0)), r"adj \(2, 0\) must be smaller than stride"),
    (lambda: npx.pooling(np.ones((1, 3, 5, 5)), kernel=(2, 2), pool_type="median"),
     r"invalid pool_type 'median'"),
    (lambda: npx.pooling(np.ones((1, 3, 5, 5)), kernel=(2, 2), pooling_convention="same"),
     r"pooling_convention must be 'valid' or 'full'"),
    (lambda: npx.pooling(np.ones((1, 3, 5)), kernel=(2, 2)), r"pooling: data \(1, 3, 5\) must have 4 axes"),
    (lambda: npx.pooling(np.ones((1, 3, 1, 1)), kernel=(2, 2)), r"larger than the padded input"),
])
def test_errors_at_call_time(call, match):
    with pytest.raises(MXNetError, match=match) as info:
        call()
    assert "cpu(0)" in str(info.value) or "npx" not in match


def test_weight_gradient_with_kept_or_rebuilt_columns(monkeypatch):
    """Under autograd the forward pass keeps small column matrices for the weight
    gradient; larger ones are built again in batch blocks: the same gradient."""
    from ndengine.ndarray import ops_conv
    from ndengine.ndarray.ops import OPS

    rng = onp.random.default_rng(4)
    x = np.array(rng.standard_normal((5, 4, 7, 6)))
    w = np.array(rng.standard_normal((6, 2, 3, 2)))
    grads = []
    for keep, block in ((1 << 23, 1 << 22), (0, 300)):     # kept; rebuilt in 5 blocks
        monkeypatch.setattr(ops_conv, "_KEEP_ELEMS", keep)
        monkeypatch.setattr(ops_conv, "_BLOCK_ELEMS", block)
        OPS["convolution"].cache.clear()      # (shape rules are memoized)
        w.attach_grad()
        with autograd.record():
            y = npx.convolution(x, w, kernel=(3, 2), stride=(2, 1), pad=(1, 0), num_group=2,
                                no_bias=True)
        y.backward(np.array(onp.arange(y.size).reshape(y.shape) % 3 - 1.0))
        grads.append(w.grad.asnumpy())
    onp.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
    want = onp.zeros(w.shape)
    xs, ws = x.asnumpy(), w.asnumpy()
    g = onp.arange(y.size).reshape(y.shape) % 3 - 1.0
    eps = 1e-6
    for idx in [(0, 0, 0, 0), (5, 1, 2, 1), (3, 0, 1, 0)]:
        wp, wm = ws.copy(), ws.copy()
        wp[idx] += eps
        wm[idx] -= eps
        fp = (conv_ref(xs, wp, None, (2, 1), (1, 1), (1, 0), 2) * g).sum()
        fm = (conv_ref(xs, wm, None, (2, 1), (1, 1), (1, 0), 2) * g).sum()
        onp.testing.assert_allclose(grads[0][idx], (fp - fm) / (2 * eps), rtol=1e-6)
    OPS["convolution"].cache.clear()


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_flat_layout_weight_gradient_kept_or_rebuilt(monkeypatch, nd):
    """Stride-1 convolutions on the flat layout (kernel taps as shifted runs of the
    flattened padded input): the weight gradient from kept columns and from columns
    rebuilt in batch blocks agree, and match finite differences; data gradient too."""
    from ndengine.ndarray import ops_conv
    from ndengine.ndarray.ops import OPS

    rng = onp.random.default_rng(5 + nd)
    sp, kernel, dilate, pad = [((9,), (3,), (2,), (1,)), ((7, 6), (3, 2), (1, 2), (1, 0)),
                               ((4, 5, 4), (2, 3, 2), (1, 1, 2), (0, 1, 1))][nd - 1]
    stride = (1,) * nd
    xs = rng.standard_normal((3, 4) + sp)
    ws = rng.standard_normal((6, 2) + kernel)
    monkeypatch.setattr(ops_conv, "_FLAT_WASTE", 1e9)
    grads = []
    for keep, block in ((1 << 23, 1 << 20), (0, 50)):     # kept; rebuilt item by item
        monkeypatch.setattr(ops_conv, "_KEEP_ELEMS", keep)
        monkeypatch.setattr(ops_conv, "_FLAT_BLOCK", block)
        OPS["convolution"].cache.clear()
        x, w = np.array(xs), np.array(ws)
        x.attach_grad()
        w.attach_grad()
        with autograd.record():
            y = npx.convolution(x, w, kernel=kernel, dilate=dilate, pad=pad, num_group=2,
                                no_bias=True)
        g = onp.arange(y.size).reshape(y.shape) % 3 - 1.0
        y.backward(np.array(g))
        grads.append((w.grad.asnumpy(), x.grad.asnumpy()))
    onp.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-12)
    onp.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-12)
    eps = 1e-6
    for arr, grad, idx in ((ws, grads[0][0], (5, 1) + (0,) * nd),
                           (ws, grads[0][0], (2, 0) + tuple(k - 1 for k in kernel)),
                           (xs, grads[0][1], (1, 3) + tuple(s // 2 for s in sp))):
        p, m = arr.copy(), arr.copy()
        p[idx] += eps
        m[idx] -= eps
        args_p = (p, ws) if arr is xs else (xs, p)
        args_m = (m, ws) if arr is xs else (xs, m)
        fp = (conv_ref(*args_p, None, stride, dilate, pad, 2) * g).sum()
        fm = (conv_ref(*args_m, None, stride, dilate, pad, 2) * g).sum()
        onp.testing.assert_allclose(grad[idx], (fp - fm) / (2 * eps), rtol=1e-6)
    OPS["convolution"].cache.clear()


def test_row_major_layout_kept_or_rebuilt_in_blocks(monkeypatch):
    """2-D convolutions off the flat layout gather their windows in the row-major layout
    (width taps, then whole row blocks): forward, weight gradient from kept columns and
    from columns rebuilt in row blocks (both sides of _ROWS_KEEP_ELEMS), data gradient
    by its col2im and, above _KEEP_ELEMS, by the flat col2im: one answer, matching the
    loop reference and finite differences (stride 1 and 2, dilation, groups)."""
    from ndengine.ndarray import ops_conv
    from ndengine.ndarray.ops import OPS

    rng = onp.random.default_rng(11)
    monkeypatch.setattr(ops_conv, "_FLAT_WASTE", -1.0)
    for stride, dilate, pad in (((1, 1), (1, 2), (1, 0)), ((2, 1), (1, 1), (0, 2)),
                                ((1, 2), (2, 1), (2, 1))):
        xs = rng.standard_normal((3, 4, 8, 7))
        ws = rng.standard_normal((6, 2, 3, 2))
        results = []
        for keep, block, dkeep in ((1 << 21, 1 << 19, 1 << 23), (0, 20, 0), (1 << 21, 20, 1 << 23)):
            monkeypatch.setattr(ops_conv, "_ROWS_KEEP_ELEMS", keep)
            monkeypatch.setattr(ops_conv, "_ROWS_BLOCK", block)
            monkeypatch.setattr(ops_conv, "_KEEP_ELEMS", dkeep)
            OPS["convolution"].cache.clear()
            x, w = np.array(xs), np.array(ws)
            x.attach_grad()
            w.attach_grad()
            with autograd.record():
                y = npx.convolution(x, w, kernel=(3, 2), stride=stride, dilate=dilate,
                                    pad=pad, num_group=2, no_bias=True)
            g = onp.arange(y.size).reshape(y.shape) % 5 - 2.0
            y.backward(np.array(g))
            results.append((y.asnumpy(), w.grad.asnumpy(), x.grad.asnumpy()))
        want = conv_ref(xs, ws, None, stride, dilate, pad, 2)
        for r in results:
            onp.testing.assert_allclose(r[0], want, rtol=1e-10, atol=1e-10)
            for a, b in zip(r[1:], results[0][1:]):
                onp.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        eps = 1e-6
        for arr, grad, idx in ((ws, results[0][1], (5, 1, 2, 1)),
                               (ws, results[0][1], (0, 0, 1, 0)),
                               (xs, results[0][2], (1, 3, 4, 3))):
            p, m = arr.copy(), arr.copy()
            p[idx] += eps
            m[idx] -= eps
            fp = (conv_ref(*((p, ws) if arr is xs else (xs, p)), None, stride, dilate, pad, 2)
                  * g).sum()
            fm = (conv_ref(*((m, ws) if arr is xs else (xs, m)), None, stride, dilate, pad, 2)
                  * g).sum()
            onp.testing.assert_allclose(grad[idx], (fp - fm) / (2 * eps), rtol=1e-6)
    OPS["convolution"].cache.clear()


def test_row_major_columns_kept_only_below_their_limit():
    """The forward keeps row-major columns up to _ROWS_KEEP_ELEMS (LeNet's second layer:
    kept at batch 64, rebuilt at batch 256) and flat ones up to _KEEP_ELEMS."""
    from ndengine.ndarray import ops_conv

    args = ((14, 14), (5, 5), (1, 1), (1, 1), (0, 0), 1)
    assert ops_conv._rows_geom(*args) is not None
    assert ops_conv._keeps_cols(64, 6, (5, 5), 100, True, False, True)
    assert not ops_conv._keeps_cols(256, 6, (5, 5), 100, True, False, True)
    assert ops_conv._keeps_cols(256, 6, (5, 5), 100, True, False, False)
    flat = ((28, 28), (5, 5), (1, 1), (1, 1), (2, 2), 1)        # LeNet's first layer
    assert ops_conv._rows_geom(*flat) is None and ops_conv._flat_geom(*flat) is not None


def test_long_contraction_in_pieces():
    """The weight gradient's product over a long batch * positions axis is summed in
    pieces when both its other sides are small: the same product."""
    from ndengine.ndarray import ops_conv

    rng = onp.random.default_rng(9)
    a, b = rng.standard_normal((2, 5, 70001)), rng.standard_normal((2, 7, 70001))
    got = ops_conv._sum_products(onp, a, b)
    onp.testing.assert_allclose(got, onp.matmul(a, b.transpose(0, 2, 1)), rtol=1e-10)
    a, b = rng.standard_normal((1, 64, 3000)), rng.standard_normal((1, 3, 3000))
    onp.testing.assert_allclose(ops_conv._sum_products(onp, a, b),
                                onp.matmul(a, b.transpose(0, 2, 1)), rtol=1e-10)


def test_wide_flat_product_in_column_pieces(monkeypatch):
    """A kept flat column matrix's product is taken in _SPLIT_COLS-column pieces only
    when it runs on one BLAS thread and has more than _SPLIT_COLS and at most
    _SPLIT_MAX_COLS columns (LeNet's first layer at batch 64: 57344, split; batch 256:
    229376, whole): the same product either way; and through the op under autograd."""
    from ndengine.device.blas import BLAS
    from ndengine.ndarray import ops_conv
    from ndengine.ndarray.ops import OPS

    calls = []
    real = onp.matmul

    def spy(*a, **k):
        calls.append(a[1].shape[-1])
        return real(*a, **k)

    monkeypatch.setattr(onp, "matmul", spy)
    rng = onp.random.default_rng(11)
    wm = rng.standard_normal((2, 3, 7)).astype(onp.float32)
    step, top = ops_conv._SPLIT_COLS, ops_conv._SPLIT_MAX_COLS
    assert step == 4096 and top == 1 << 17
    for n, threads, pieces in ((step, 1, 1), (step + 1, 1, 2), (3 * step + 5, 1, 4),
                               (top, 1, top // step), (top + 1, 1, 1), (3 * step + 5, 2, 1)):
        cols = rng.standard_normal((2, 7, n)).astype(onp.float32)
        monkeypatch.setattr(BLAS, "last", threads)
        calls.clear()
        got = ops_conv._wide_product(onp, wm, cols)
        assert len(calls) == pieces, (n, threads)
        assert got.shape == (2, 3, n) and got.dtype == onp.float32
        onp.testing.assert_allclose(got, real(wm, cols), rtol=1e-5, atol=1e-5)
    monkeypatch.setattr(onp, "matmul", real)
    # through the op: LeNet's first layer geometry, batch 7 (6272 columns: two pieces),
    # on one BLAS thread against the split switched off
    monkeypatch.setattr(BLAS, "fixed", 1)
    xs = rng.standard_normal((7, 1, 28, 28))
    ws = rng.standard_normal((6, 1, 5, 5))
    grads = []
    for split in (step, top + 1):
        monkeypatch.setattr(ops_conv, "_SPLIT_COLS", split)
        OPS["convolution"].cache.clear()
        x, w = np.array(xs), np.array(ws)
        x.attach_grad()
        w.attach_grad()
        with autograd.record():
            y = npx.convolution(x, w, kernel=(5, 5), pad=(2, 2), num_filter=6, no_bias=True)
        y.backward(np.array(onp.cos(onp.arange(y.size)).reshape(y.shape)))
        grads.append((y.asnumpy(), w.grad.asnumpy(), x.grad.asnumpy()))
    onp.testing.assert_allclose(grads[0][0], conv_ref(xs, ws, None, (1, 1), (1, 1), (2, 2), 1),
                                rtol=1e-10, atol=1e-10)
    for a, b in zip(grads[0], grads[1]):
        onp.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    OPS["convolution"].cache.clear()


# ----------------------------------------------------------------------------- Winograd
@contextlib.contextmanager
def winograd(min_channels, min_tiles=1):
    """3x3 stride-1 2-D convolutions by Winograd F(2x2, 3x3) from *min_channels*
    channels per group and *min_tiles* output tiles per item (ops_conv._WINO_MIN,
    _WINO_MIN_TILES); counts the calls of its kernels."""
    from ndengine.ndarray import ops_conv
    from ndengine.ndarray.ops import OPS

    calls = {"fwd": 0, "wgrad": 0}
    old = ops_conv._WINO_MIN, ops_conv._wino_fwd, ops_conv._wino_wgrad
    old_tiles = ops_conv._WINO_MIN_TILES

    def fwd(*a, **k):
        calls["fwd"] += 1
        return old[1](*a, **k)

    def wgrad(*a, **k):
        calls["wgrad"] += 1
        return old[2](*a, **k)

    ops_conv._WINO_MIN, ops_conv._wino_fwd, ops_conv._wino_wgrad = min_channels, fwd, wgrad
    ops_conv._WINO_MIN_TILES = min_tiles
    OPS["convolution"].cache.clear()
    try:
        yield calls
    finally:
        ops_conv._WINO_MIN, ops_conv._wino_fwd, ops_conv._wino_wgrad = old
        ops_conv._WINO_MIN_TILES = old_tiles
        OPS["convolution"].cache.clear()


@st.composite
def winograd_geometry(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cg, fg, n = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    pad = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    sp = tuple(draw(st.integers(max(1, 3 - 2 * p), 9)) for p in pad)   # odd and even outputs
    return groups, cg, fg, n, pad, sp


@SETTINGS
@given(winograd_geometry(), st.booleans(), st.integers(0, 2 ** 16))
def test_winograd_matches_the_direct_reference(geo, use_bias, seed):
    """Forward against the loop reference; data and weight gradients (the stride-1 data
    gradient is itself a Winograd convolution) as exact adjoints, float64."""
    groups, cg, fg, n, pad, sp = geo
    rng = onp.random.default_rng(seed)
    xs = rng.standard_normal((n, cg * groups) + sp)
    ws = rng.standard_normal((fg * groups, cg, 3, 3))
    b = rng.standard_normal(fg * groups) if use_bias else None
    with winograd(1) as calls:
        x, w = np.array(xs), np.array(ws)
        x.attach_grad()
        w.attach_grad()
        with autograd.record():
            y = npx.convolution(x, w, None if b is None else np.array(b), kernel=(3, 3),
                                pad=pad, num_group=groups, no_bias=b is None)
        g = rng.standard_normal(y.shape)
        y.backward(np.array(g))
        got, gx, gw = y.asnumpy(), x.grad.asnumpy(), w.grad.asnumpy()
    assert calls["fwd"] >= 1 and calls["wgrad"] == 1
    ref = conv_ref(xs, ws, b, (1, 1), (1, 1), pad, groups)
    onp.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)
    lhs = float(((ref - (0 if b is None else b.reshape(1, -1, 1, 1))) * g).sum())
    onp.testing.assert_allclose(float((gx * xs).sum()), lhs, rtol=1e-9, atol=1e-9)
    onp.testing.assert_allclose(float((gw * ws).sum()), lhs, rtol=1e-9, atol=1e-9)


def test_winograd_gradients_match_finite_differences():
    """16 channels, float64: a few entries of both gradients against central
    differences of the loop reference."""
    rng = onp.random.default_rng(21)
    xs = rng.standard_normal((2, 16, 5, 6))
    ws = rng.standard_normal((16, 16, 3, 3)) * 0.1
    g = rng.standard_normal((2, 16, 5, 6))
    with winograd(16) as calls:
        x, w = np.array(xs), np.array(ws)
        x.attach_grad()
        w.attach_grad()
        with autograd.record():
            y = npx.convolution(x, w, kernel=(3, 3), pad=(1, 1), no_bias=True)
        y.backward(np.array(g))
        gx, gw = x.grad.asnumpy(), w.grad.asnumpy()
        # neither gradient reads y, so the forward itself may still be pending: wait for
        # it inside the patch (it ran after the restore, uncounted, in 1 run of 3)
        y.wait_to_read()
    assert calls == {"fwd": 2, "wgrad": 1}       # forward, data gradient; weight gradient
    eps = 1e-6
    for arr, grad, idx in ((ws, gw, (3, 5, 0, 2)), (ws, gw, (15, 0, 1, 1)),
                           (xs, gx, (1, 7, 4, 0)), (xs, gx, (0, 0, 2, 3))):
        p, m = arr.copy(), arr.copy()
        p[idx] += eps
        m[idx] -= eps
        ap, am = ((p, ws), (m, ws)) if arr is xs else ((xs, p), (xs, m))
        fp = (conv_ref(*ap, None, (1, 1), (1, 1), (1, 1), 1) * g).sum()
        fm = (conv_ref(*am, None, (1, 1), (1, 1), (1, 1), 1) * g).sum()
        onp.testing.assert_allclose(grad[idx], (fp - fm) / (2 * eps), rtol=1e-6)


def test_winograd_float32_error_is_of_the_direct_products_order():
    """The documented float32 tolerance: against float64, max |error| <= 1e-5 * max |y|
    for the forward and both gradients (a 32-channel layer, the im2col path beside it
    for scale)."""
    rng = onp.random.default_rng(22)
    xs = rng.standard_normal((2, 32, 14, 14))
    ws = rng.standard_normal((32, 32, 3, 3)) * 0.05
    g = rng.standard_normal((2, 32, 14, 14))
    outs = {}
    for name, dtype, thresh in (("wino32", "float32", 32), ("direct32", "float32", 10 ** 9),
                                ("ref64", "float64", 10 ** 9)):
        with winograd(thresh):
            x, w = np.array(xs.astype(dtype)), np.array(ws.astype(dtype))
            x.attach_grad()
            w.attach_grad()
            with autograd.record():
                y = npx.convolution(x, w, kernel=(3, 3), pad=(1, 1), no_bias=True)
            y.backward(np.array(g.astype(dtype)))
            outs[name] = [a.asnumpy().astype("float64") for a in (y, x.grad, w.grad)]
    for wino, direct, ref in zip(outs["wino32"], outs["direct32"], outs["ref64"]):
        scale = abs(ref).max()
        assert abs(wino - ref).max() <= 1e-5 * scale
        assert abs(direct - ref).max() <= 1e-5 * scale
