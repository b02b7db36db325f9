"""Statistics (see NumPy's "Statistics"), the NaN-ignoring reductions, cumulative
products, histograms and binning.

Order statistics (``percentile``, ``quantile``, ``median`` and their ``nan`` forms) are
composites of ``sort`` and ``take_along_axis``: asynchronous and differentiable (the
gradient goes to the elements interpolated between).  Integer inputs give float32
(MXNet's default float type).  ``bincount`` blocks to read the largest value (its output
length), as MXNet's does; ``histogram2d``/``histogramdd``, and ``histogram`` with a
string bin rule, run on the host as MXNet's NumPy fallbacks do (they block) and return
ndengine arrays on the input's device.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as _onp

from ..ndarray import ops_np as _ops_np  # noqa: F401  (registers the ops)
from ..ndarray.ndarray import NDArray, apply_op
from ..ndarray.ops import OPS, DTypeError, ShapeError, norm_axes
from . import reduction as _R
from ._host import host_fallback
from ._util import as_nd

__all__ = ["nanmax", "nanmin", "nanprod", "nancumsum", "nancumprod", "cumprod", "ptp",
           "percentile", "quantile", "median", "nanpercentile", "nanquantile", "nanmedian",
           "histogram", "histogram_bin_edges", "histogram2d", "histogramdd", "bincount",
           "digitize", "cov", "corrcoef", "correlate", "nanvar", "nanstd"]

_F32 = _onp.dtype(_onp.float32)


def _m():
    from . import math as MA

    return MA


def _out(r: NDArray, out: Any) -> NDArray:
    if out is None:
        return r
    out[...] = r
    return out


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


# ----------------------------------------------------------------------------- nan*
def _nanfill(a: NDArray, fill: float) -> NDArray:
    MA = _m()
    return MA.where(MA.isnan(a), fill, a)


def nanmax(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> NDArray:
    """See numpy.nanmax: the maximum ignoring NaNs (NaN for an all-NaN slice, without
    NumPy's warning).  Differentiable."""
    a = as_nd(a)
    if a.dtype.kind not in "fc":
        return _out(_R.max(a, axis=_axis(axis), keepdims=keepdims), out)
    MA = _m()
    r = _R.max(_nanfill(a, -_onp.inf), axis=_axis(axis), keepdims=keepdims)
    allnan = _R.all(MA.isnan(a), axis=_axis(axis), keepdims=keepdims)
    return _out(MA.where(allnan, _onp.nan, r), out)


def nanmin(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> NDArray:
    """See numpy.nanmin (NaN for an all-NaN slice).  Differentiable."""
    a = as_nd(a)
    if a.dtype.kind not in "fc":
        return _out(_R.min(a, axis=_axis(axis), keepdims=keepdims), out)
    MA = _m()
    r = _R.min(_nanfill(a, _onp.inf), axis=_axis(axis), keepdims=keepdims)
    allnan = _R.all(MA.isnan(a), axis=_axis(axis), keepdims=keepdims)
    return _out(MA.where(allnan, _onp.nan, r), out)


def nanprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
            keepdims: bool = False) -> NDArray:
    """See numpy.nanprod (NaNs count as one)."""
    a = as_nd(a)
    if a.dtype.kind in "fc":
        a = _nanfill(a, 1.0)
    return _out(_R.prod(a, axis=_axis(axis), dtype=dtype, keepdims=keepdims), out)


def cumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> NDArray:
    """See numpy.cumprod (differentiable for inputs without zeros)."""
    return _out(apply_op(OPS["cumprod"], (as_nd(a),), {"axis": axis, "dtype": dtype}), out)


def nancumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> NDArray:
    """See numpy.nancumsum (NaNs count as zero)."""
    a = as_nd(a)
    if a.dtype.kind in "fc":
        a = _nanfill(a, 0.0)
    return _out(_R.cumsum(a, axis=axis, dtype=dtype), out)


def nancumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> NDArray:
    """See numpy.nancumprod (NaNs count as one)."""
    a = as_nd(a)
    if a.dtype.kind in "fc":
        a = _nanfill(a, 1.0)
    return cumprod(a, axis=axis, dtype=dtype, out=out)


def nanvar(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
           keepdims: bool = False) -> NDArray:
    """See numpy.nanvar (composite)."""
    a = as_nd(a)
    MA = _m()
    if a.dtype.kind not in "fc":
        return _out(_R.var(a, axis=_axis(axis), dtype=dtype, ddof=ddof, keepdims=keepdims), out)
    ok = MA.logical_not(MA.isnan(a))
    n = _R.sum(ok, axis=_axis(axis), keepdims=True)
    m = _R.sum(_nanfill(a, 0.0), axis=_axis(axis), keepdims=True) / n
    d = MA.where(ok, a - m, 0.0)
    r = _R.sum(d * d, axis=_axis(axis), keepdims=keepdims) / \
        (_R.sum(ok, axis=_axis(axis), keepdims=keepdims) - ddof)
    return _out(r.astype(dtype) if dtype is not None else r, out)


def nanstd(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
           keepdims: bool = False) -> NDArray:
    """See numpy.nanstd (composite)."""
    return _out(_m().sqrt(nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)),
                out)


def ptp(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> NDArray:
    """See numpy.ptp: max - min (a 0-d array for axis=None; MXNet's NumPy fallback
    gives a NumPy scalar there)."""
    a = as_nd(a)
    r = _R.max(a, axis=_axis(axis), keepdims=keepdims) - \
        _R.min(a, axis=_axis(axis), keepdims=keepdims)
    return _out(r, out)


# ----------------------------------------------------------------------------- quantiles
_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _q_host(name: str, q: Any, scale: float) -> Any:
    """q as a host float64 array (checked), or None when it is an ndengine array."""
    if isinstance(q, NDArray):
        return None
    qa = _onp.asarray(q, dtype=_onp.float64) / scale
    if qa.size and not ((qa >= 0) & (qa <= 1)).all():
        what = "Percentiles must be in the range [0, 100]" if scale == 100 else \
            "Quantiles must be in the range [0, 1]"
        raise ShapeError(f"{name}: {what}, got {q!r}")
    return qa


def _move_to_last(a: NDArray, axis: Any) -> tuple[NDArray, tuple[int, ...], tuple[int, ...]]:
    """*a* with the reduced axes merged into one last axis; the remaining shape and the
    keepdims shape."""
    from .manipulation import transpose

    axes = norm_axes(_axis(axis), a.ndim, "quantile") if axis is not None else \
        tuple(range(a.ndim))
    rest = [d for d in range(a.ndim) if d not in axes]
    kshape = tuple(1 if d in axes else s for d, s in enumerate(a.shape))
    rshape = tuple(a.shape[d] for d in rest)
    if list(axes) != list(range(a.ndim - len(axes), a.ndim)):
        a = transpose(a, tuple(rest) + tuple(axes))
    return a.reshape(rshape + (-1,)), rshape, kshape


def _quantile(name: str, a: Any, q: Any, axis: Any, method: str, keepdims: bool,
              scale: float, ignore_nan: bool) -> NDArray:
    from . import sorting as S
    from .indexing_routines import take_along_axis
    from .manipulation import moveaxis

    MA = _m()
    a = as_nd(a)
    if method not in _METHODS:
        raise ValueError(f"{name}: interpolation/method must be one of {_METHODS}, got "
                         f"{method!r}")
    if a.dtype.kind == "c":
        raise DTypeError(f"{name}: complex arrays are not supported")
    if a.dtype.kind != "f":
        a = a.astype(_F32)
    dt = a.dtype
    qh = _q_host(name, q, scale)
    x, rshape, kshape = _move_to_last(a, axis)
    n = x.shape[-1]
    if n == 0:
        raise ShapeError(f"{name}: cannot take a quantile of an empty slice (shape {a.shape}, "
                         f"axis {axis!r}; on {a.device})")
    s = S.sort(x, axis=-1)                     # NaNs sort last
    nr = len(rshape)
    if qh is not None:
        qshape = qh.shape
        qv = as_nd(qh.reshape(-1).astype(dt), a.device)
    else:
        qshape = q.shape
        qv = as_nd(q, a.device).reshape((-1,)).astype(dt) / scale
    nq = qv.shape[0]
    if ignore_nan:
        nanm = MA.isnan(x)
        cnt = _R.sum(MA.logical_not(nanm), axis=-1, keepdims=True).astype(dt)  # R + (1,)
        last = MA.maximum(cnt - 1, 0)
        pos = qv.reshape((1,) * nr + (nq,)) * last
    else:
        last = float(n - 1)
        pos = qv.reshape((1,) * nr + (nq,)) * last
    lo = MA.floor(pos)
    if method == "lower":
        idx = [lo]
    elif method == "higher":
        idx = [MA.ceil(pos)]
    elif method == "nearest":
        idx = [MA.rint(pos)]
    elif method == "midpoint":
        idx = [lo, MA.ceil(pos)]
    else:
        idx = [lo, MA.minimum(lo + 1, last)]
    # non-nan: indices (1, ..., 1, nq), broadcast over the rest; nan: R + (nq,)
    vals = [take_along_axis(s, i.astype("int64"), axis=-1) for i in idx]
    if method == "linear":
        t = pos - lo
        a0, a1 = vals
        r = MA.where(t >= 0.5, a1 - (a1 - a0) * (1 - t), a0 + (a1 - a0) * t)
    elif method == "midpoint":
        r = (vals[0] + vals[1]) * 0.5
    else:
        r = vals[0]
    if ignore_nan:
        r = MA.where(cnt == 0, _onp.nan, r)
    else:
        anynan = _R.any(MA.isnan(x), axis=-1, keepdims=True)
        r = MA.where(anynan, _onp.nan, r)
    if r.dtype != dt:
        r = r.astype(dt)
    # R + (nq,) -> Q + R (or Q + keepdims shape)
    r = moveaxis(r, -1, 0) if nr else r
    out_rest = kshape if keepdims else rshape
    return r.reshape(tuple(qshape) + tuple(out_rest))


def _method(interpolation: Any, method: Any) -> str:
    return method if method is not None else (interpolation or "linear")


def percentile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: Any = None,
               interpolation: Any = None, keepdims: bool = False, method: Any = None) -> NDArray:
    """See numpy.percentile (q in [0, 100]; MXNet's ``interpolation=`` and NumPy's
    ``method=`` both name the rule).  Differentiable."""
    return _out(_quantile("percentile", a, q, axis, _method(interpolation, method), keepdims,
                          100.0, False), out)


def quantile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: Any = None,
             interpolation: Any = None, keepdims: bool = False, method: Any = None) -> NDArray:
    """See numpy.quantile (q in [0, 1]).  Differentiable."""
    return _out(_quantile("quantile", a, q, axis, _method(interpolation, method), keepdims,
                          1.0, False), out)


def median(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
           keepdims: bool = False) -> NDArray:
    """See numpy.median (not in MXNet 1.9.1's np; NumPy's)."""
    return _out(_quantile("median", a, 0.5, axis, "linear", keepdims, 1.0, False), out)


def nanpercentile(a: Any, q: Any, axis: Any = None, out: Any = None,
                  overwrite_input: Any = None, interpolation: Any = None,
                  keepdims: bool = False, method: Any = None) -> NDArray:
    """See numpy.nanpercentile (NaNs ignored; NaN for an all-NaN slice)."""
    return _out(_quantile("nanpercentile", a, q, axis, _method(interpolation, method),
                          keepdims, 100.0, True), out)


def nanquantile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: Any = None,
                interpolation: Any = None, keepdims: bool = False, method: Any = None) -> NDArray:
    """See numpy.nanquantile."""
    return _out(_quantile("nanquantile", a, q, axis, _method(interpolation, method), keepdims,
                          1.0, True), out)


def nanmedian(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
              keepdims: bool = False) -> NDArray:
    """See numpy.nanmedian."""
    return _out(_quantile("nanmedian", a, 0.5, axis, "linear", keepdims, 1.0, True), out)


# ----------------------------------------------------------------------------- binning
def digitize(x: Any, bins: Any, right: bool = False) -> NDArray:
    """See numpy.digitize (int64 bin indices)."""
    x = as_nd(x)
    b = as_nd(bins, x.device)
    return apply_op(OPS["digitize"], (x, b), {"right": bool(right)})


def bincount(x: Any, weights: Any = None, minlength: int = 0) -> NDArray:
    """See numpy.bincount.  Blocks to read the largest value (the output's length), as
    MXNet's does; the counts themselves are computed asynchronously.  The counts keep
    the input's integer dtype, weighted sums the weights' (MXNet's rules)."""
    x = as_nd(x)
    if x.dtype.kind not in "iub":
        raise DTypeError(f"bincount: the input must be of integer type, got {x.dtype} "
                         f"(on {x.device})")
    if minlength is None or minlength < 0:
        raise ShapeError(f"bincount: minlength must be non-negative, got {minlength!r}")
    w = as_nd(weights, x.device) if weights is not None else None
    if x.ndim != 1:
        raise ShapeError(f"bincount: the input must be 1-d, got shape {x.shape}")
    length = int(minlength)
    if x.size:
        lo = int(_R.min(x).item())     # blocks: the length depends on the values
        if lo < 0:
            raise ShapeError(f"bincount: the input must be non-negative, got {lo}")
        length = builtins.max(length, int(_R.max(x).item()) + 1)
    return apply_op(OPS["bincount"], (x, w), {"length": length})


def _host_range(range: Any) -> Any:
    if range is None:
        return None
    lo, hi = range
    return (float(lo), float(hi))


def histogram(a: Any, bins: Any = 10, range: Any = None, normed: Any = None, weights: Any = None,
              density: Any = None) -> list[NDArray]:
    """See numpy.histogram: ``[hist, bin_edges]`` (a list, as MXNet returns).  Int or
    array bins are asynchronous (int64 counts; float64 with density); a string rule
    ('auto', 'fd'...) needs the data to choose the edges and blocks."""
    a = as_nd(a)
    if normed:
        raise ValueError("histogram: normed is removed (NumPy); use density")
    w = as_nd(weights, a.device) if weights is not None else None
    if isinstance(bins, str):
        edges = _onp.histogram_bin_edges(a.asnumpy(), bins, _host_range(range),
                                         None if w is None else w.asnumpy())
        bins = as_nd(edges, a.device)
    elif not isinstance(bins, (int, _onp.integer)):
        bins = as_nd(bins, a.device)
    else:
        bins = int(bins)
    r = apply_op(OPS["histogram"], (a, bins, w),
                 {"range": _host_range(range), "density": bool(density)})
    return list(r)


def histogram_bin_edges(a: Any, bins: Any = 10, range: Any = None, weights: Any = None) -> NDArray:
    """See numpy.histogram_bin_edges."""
    return histogram(a, bins=bins, range=range, weights=weights)[1]


def histogram2d(x: Any, y: Any, bins: Any = 10, range: Any = None, density: Any = None,
                weights: Any = None) -> tuple[NDArray, NDArray, NDArray]:
    """See numpy.histogram2d.  Runs on the host (blocks), like MXNet's fallback; the
    results are ndengine arrays on x's device."""
    x = as_nd(x)
    return host_fallback(_onp.histogram2d, x.device, x, y, bins=bins,
                          range=range, density=density, weights=weights)


def histogramdd(sample: Any, bins: Any = 10, range: Any = None, density: Any = None,
                weights: Any = None) -> tuple[NDArray, list[NDArray]]:
    """See numpy.histogramdd.  Runs on the host (blocks), like MXNet's fallback."""
    dev = sample.device if isinstance(sample, NDArray) else None
    s = as_nd(sample) if isinstance(sample, NDArray) else sample
    dev = dev or as_nd(_onp.zeros(1)).device
    return host_fallback(_onp.histogramdd, dev, s, bins=bins, range=range,
                          density=density, weights=weights)


# ----------------------------------------------------------------------------- cov/corr
def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False, ddof: Any = None,
        fweights: Any = None, aweights: Any = None, dtype: Any = None) -> NDArray:
    """See numpy.cov (float64 unless *dtype* says otherwise, as NumPy and MXNet's
    fallback give).  Composite: asynchronous and differentiable."""
    from .linalg import matmul
    from .manipulation import concatenate, squeeze, transpose

    if ddof is not None and ddof != int(ddof):
        raise ValueError("cov: ddof must be integer")
    m = as_nd(m)
    if m.ndim > 2:
        raise ShapeError(f"cov: m has more than 2 dimensions (shape {m.shape})")
    dt = _onp.dtype(dtype) if dtype is not None else _onp.result_type(m.dtype, _onp.float64)
    X = m.astype(dt).reshape((1, -1)) if m.ndim < 2 else m.astype(dt)
    if not rowvar and X.shape[0] != 1:
        X = transpose(X)
    if y is not None:
        yy = as_nd(y, m.device)
        if yy.ndim > 2:
            raise ShapeError(f"cov: y has more than 2 dimensions (shape {yy.shape})")
        Y = yy.astype(dt).reshape((1, -1)) if yy.ndim < 2 else yy.astype(dt)
        if not rowvar and Y.shape[0] != 1:
            Y = transpose(Y)
        X = concatenate([X, Y], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    n = X.shape[1]
    w = None
    if fweights is not None:
        w = as_nd(fweights, m.device).astype(dt)
    if aweights is not None:
        aw = as_nd(aweights, m.device).astype(dt)
        w = aw if w is None else w * aw
    if w is None:
        avg = _R.mean(X, axis=1, keepdims=True)
        fact = float(n - ddof)
        Xc = X - avg
        c = matmul(Xc, transpose(Xc)) / fact
    else:
        wsum = _R.sum(w)
        avg = _R.sum(X * w, axis=1, keepdims=True) / wsum
        if ddof == 0:
            fact = wsum
        elif aweights is None:
            fact = wsum - ddof
        else:
            fact = wsum - ddof * _R.sum(w * aw) / wsum
        Xc = X - avg
        c = matmul(Xc * w, transpose(Xc)) / fact
    return squeeze(c)


def corrcoef(x: Any, y: Any = None, rowvar: bool = True, bias: Any = None, ddof: Any = None,
             dtype: Any = None) -> NDArray:
    """See numpy.corrcoef (float64, as NumPy; composite)."""
    from .indexing_routines import diagonal

    MA = _m()
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return c / c
    d = MA.sqrt(diagonal(c))
    c = c / d.reshape((-1, 1)) / d.reshape((1, -1))
    return MA.clip(c, -1, 1)


def correlate(a: Any, v: Any, mode: str = "valid") -> NDArray:
    """See numpy.correlate (1-d; 'valid', 'same' or 'full'; no gradient, as in MXNet)."""
    a = as_nd(a)
    return apply_op(OPS["correlate"], (a, as_nd(v, a.device)), {"mode": mode})
