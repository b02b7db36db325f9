"""Statistics, nan-reductions, quantiles, histograms against NumPy; gradients by finite
differences."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as onp
import pytest

from ndengine import np as mnp

from np_oracle import assert_same, data, mx_dtype, oracle, with_inputs

sys.path.insert(0, str(Path(__file__).parents[1] / "autograd"))
from ag_helpers import check_grad  # noqa: E402

RNG = onp.random.default_rng(7)


def with_nans(shape, dtype="float32", allnan_row=False):
    x = data(shape, dtype)
    x[data(shape, "float32") > 1.2] = onp.nan       # reproducible: the oracle reseeds
    if allnan_row:
        x[0] = onp.nan
    return x


def keep_int(np_dtype, inputs):
    return mx_dtype(np_dtype, inputs, keep_int=True)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", ["nanmax", "nanmin", "nanprod", "nancumsum", "nancumprod",
                                  "nanvar", "nanstd", "nanmean", "nansum"])
@pytest.mark.parametrize("axis", [None, 0, 1])
@oracle(rtol=1e-4, atol=1e-5)
def test_nan_functions(name, axis, xp):
    x = with_nans((4, 5), allnan_row=name in ("nanmax", "nanmin"))
    return getattr(xp, name)(xp.asarray(x), axis=axis)


@pytest.mark.parametrize("name", ["nanmax", "nanmin", "nanprod", "nancumsum", "cumprod"])
@oracle(dtype_rule=keep_int)
def test_nan_functions_int(name, xp):
    x = data((3, 4), "int32", lo=1, hi=3)
    return with_inputs(getattr(xp, name)(xp.asarray(x), axis=0), x)


@oracle()
def test_nan_keepdims(xp):
    x = xp.asarray(with_nans((3, 4)))
    return xp.nanmax(x, axis=1, keepdims=True), xp.nanprod(x, axis=0, keepdims=True)


@pytest.mark.parametrize("axis", [None, 1, (0, 1)])
@oracle(dtype_rule=keep_int)
def test_ptp_cumprod(axis, xp):
    x = data((3, 4), "int32")
    a = xp.asarray(x)
    return with_inputs((xp.ptp(a, axis=axis), xp.cumprod(a, axis=1), a.cumprod()), x)


METHODS = ["linear", "lower", "higher", "midpoint", "nearest"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("q", [0.3, [0.0, 0.5, 1.0], [[0.25], [0.75]]])
@oracle(rtol=1e-5)
def test_quantile(method, axis, q, xp):
    x = xp.asarray(data((3, 4, 5)))
    kw = {"method": method}
    return (xp.quantile(x, q, axis=axis, **kw),
            xp.percentile(x, onp.asarray(q) * 100, axis=axis, **kw),
            xp.quantile(x, q, axis=axis, keepdims=True, **kw))


def test_quantile_mxnet_interpolation_keyword():
    x = data((4, 5))
    assert_same(mnp.percentile(mnp.array(x), 30, axis=1, interpolation="lower"),
                onp.percentile(x, 30, axis=1, method="lower"))
    q = mnp.array(onp.array([0.1, 0.9], dtype="float32"))
    assert_same(mnp.quantile(mnp.array(x), q, axis=0), onp.quantile(x, [0.1, 0.9], axis=0),
                rtol=1e-5, dtype="float32")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("axis", [None, 0, 1])
@oracle(rtol=1e-5)
def test_median_and_nan_quantiles(axis, xp):
    x = xp.asarray(with_nans((4, 6), allnan_row=axis == 1))
    y = xp.asarray(data((4, 6)))
    return (xp.median(y, axis=axis), xp.median(x, axis=axis),
            xp.nanmedian(x, axis=axis), xp.nanquantile(x, [0.2, 0.7], axis=axis),
            xp.nanpercentile(x, 40, axis=axis, method="nearest"),
            xp.quantile(x, 0.5, axis=axis))


def test_quantile_int_is_float32_and_errors():
    r = mnp.percentile(mnp.array(onp.array([1, 2, 3, 4], dtype="int32")), 30)
    assert r.dtype == onp.float32 and abs(r.item() - 1.9) < 1e-6
    with pytest.raises(ValueError, match="range"):
        mnp.quantile(mnp.ones(3), 1.5)
    with pytest.raises(ValueError, match="method"):
        mnp.quantile(mnp.ones(3), 0.5, interpolation="cubic")


@oracle(dtype_rule=None)          # NumPy's dtypes: int64 counts, float64 densities
def test_histogram(xp):
    a = xp.asarray(data((20,)))
    w = xp.asarray(data((20,), positive=True))
    return (xp.histogram(a, bins=4, range=(-3.0, 3.0)), xp.histogram(a),
            xp.histogram(a, bins=xp.asarray(onp.array([-3.0, 0.0, 0.5, 3.0], dtype="float32"))),
            xp.histogram(a, bins=3, weights=w), xp.histogram(a, bins=3, density=True),
            xp.histogram(a, bins="auto"), xp.histogram_bin_edges(a, bins=5))


@oracle(dtype_rule=None)
def test_histogram_nd(xp):
    x, y = xp.asarray(data((10,))), xp.asarray(data((10,)))
    h, ex, ey = xp.histogram2d(x, y, bins=3)
    hd, edges = xp.histogramdd(xp.asarray(data((10, 2))), bins=(2, 3))
    return h, ex, ey, hd, tuple(edges)


@oracle(dtype_rule=keep_int)
def test_bincount_digitize(xp):
    x = onp.array([0, 1, 1, 3, 1], dtype="int32")
    w = data((5,))
    return with_inputs((xp.bincount(xp.asarray(x)), xp.bincount(xp.asarray(x), minlength=6),
                        xp.bincount(xp.asarray(x), weights=xp.asarray(w))), x, w)


@oracle()
def test_digitize(xp):
    bins = xp.asarray(onp.array([-1.0, 0.0, 1.0], dtype="float32"))
    v = xp.asarray(data((2, 3)))
    return xp.digitize(v, bins), xp.digitize(v, bins, right=True)


def test_bincount_errors():
    with pytest.raises(TypeError, match="integer"):
        mnp.bincount(mnp.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        mnp.bincount(mnp.array(onp.array([1, -1])))


@pytest.mark.parametrize("kw", [{}, {"rowvar": False}, {"bias": True}, {"ddof": 0},
                                {"fweights": onp.array([1, 2, 1, 1, 3])},
                                {"aweights": onp.array([0.5, 1., 2., 1., 1.])}],
                         ids=["plain", "cols", "bias", "ddof", "fw", "aw"])
@oracle(rtol=1e-5, dtype_rule=None)      # float64, as NumPy (and MXNet's fallback)
def test_cov(kw, xp):
    x = xp.asarray(data((3, 5)))
    kw = {k: (xp.asarray(v) if isinstance(v, onp.ndarray) else v) for k, v in kw.items()}
    if "rowvar" in kw:
        return xp.cov(xp.asarray(data((5, 3))), **kw)
    return xp.cov(x, **kw), xp.cov(x[0], x[1], **kw)


@oracle(rtol=1e-5, dtype_rule=None)
def test_corrcoef_correlate(xp):
    x = xp.asarray(data((3, 5)))
    v = xp.asarray(data((5,)))
    k = xp.asarray(data((3,)))
    return (xp.corrcoef(x), xp.corrcoef(x[0], x[1]), xp.correlate(v, k),
            xp.correlate(v, k, mode="same"), xp.correlate(v, k, mode="full"))


@pytest.mark.parametrize("name,fn", [
    ("max", lambda a: mnp.nanmax(mnp.where(a > 1.0, mnp.nan, a), axis=1)),
    ("prod", lambda a: mnp.nanprod(a, axis=0)),
    ("cumprod", lambda a: mnp.cumprod(a, axis=1)),
    ("cumprod", lambda a: mnp.nancumprod(a)),
    ("take_along_axis", lambda a: mnp.quantile(a, 0.3, axis=1)),
    ("take_along_axis", lambda a: mnp.percentile(a, [20, 70], axis=0, keepdims=True)),
    ("take_along_axis", lambda a: mnp.median(a)),
    ("take_along_axis", lambda a: mnp.nanquantile(a, 0.4, axis=1)),
    ("matmul", lambda a: mnp.cov(a)),
    ("max", lambda a: mnp.ptp(a, axis=0)),
])
def test_statistics_grads(name, fn):
    check_grad(name, fn, [RNG.standard_normal((3, 4)) + 0.1])
