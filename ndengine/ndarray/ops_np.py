"""More ops of the np namespace: triangles and diagonals, padding, cumulative
products, binning and interpolation, and a few elementwise functions NumPy has beyond
the basic ufuncs.

Same table as :mod:`.ops` (``register(name, kernel(xp, ...), infer, grad)``); kernels
are vectorised on ``xp``.  Shapes follow from the inputs' shapes (``bincount`` is given
its length by the caller, which reads it from the data: see ndengine.numpy).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as _onp

from .ops import (OPS, DTypeError, ShapeError, _F, _sd, _zero_grad, bool_, broadcast, float32,
                  float64, int64, norm_axis, register, result_dtype, unbroadcast)

int32 = _onp.dtype(_onp.int32)


def _apply(name: str, args: tuple, params: dict | None = None) -> Any:
    from .ndarray import apply_op

    return apply_op(OPS[name], args, params or {})


def _int(v: Any, what: str, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, _onp.integer)):
        raise DTypeError(f"{name}: {what} must be an int, got {v!r}")
    return int(v)


# ----------------------------------------------------------------------------- checks
def _k_index_check(xp: Any, a: Any, size: int, name: str, negative: bool = True) -> Any:
    """*a* unchanged, or IndexError (at the next sync point: the check needs values)
    when an index is outside ``[0, size)`` (``[-size, size)`` with *negative*)."""
    lo = -size if negative else 0
    if a.size and (bool((a < lo).any()) or bool((a >= size).any())):
        bad = a[(a < lo) | (a >= size)].reshape(-1)[0]
        raise IndexError(f"{name}: index {int(bad)} is out of bounds for size {size}")
    return a


register("_index_check", _k_index_check,
         lambda a, size, name, negative=True: (tuple(a.shape), a.dtype))


# ----------------------------------------------------------------------------- triangles
def _tri_infer(name: str) -> Any:
    def infer(a: Any, k: int = 0) -> Any:
        _int(k, "k", name)
        s = tuple(a.shape)
        if not s:
            raise ShapeError(f"{name}: input must be at least 1-d (got a 0-d array)")
        if len(s) == 1:
            return (s[0], s[0]), a.dtype    # NumPy: a 1-d input is broadcast to a square
        return s, a.dtype
    return infer


def _tri_grad(name: str) -> Any:
    def grad(g: Any, out: Any, a: Any, k: int = 0):
        r = _apply(name, (g,), {"k": k})
        if len(a.shape) == 1:
            r = _F().sum(r, axis=0)
        return (r,)
    return grad


register("tril", lambda xp, a, k=0: xp.tril(a, k), _tri_infer("tril"), _tri_grad("tril"))
register("triu", lambda xp, a, k=0: xp.triu(a, k), _tri_infer("triu"), _tri_grad("triu"))


# ----------------------------------------------------------------------------- diagonals
def _diag_len(n: int, m: int, offset: int) -> int:
    if offset >= 0:
        return max(0, min(n, m - offset))
    return max(0, min(n + offset, m))


def _diagonal_infer(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    offset = _int(offset, "offset", "diagonal")
    s = tuple(a.shape)
    if len(s) < 2:
        raise ShapeError(f"diagonal: the array must be at least 2-d, got shape {s}")
    i = norm_axis(axis1, len(s), "diagonal")
    j = norm_axis(axis2, len(s), "diagonal")
    if i == j:
        raise ShapeError(f"diagonal: axis1 and axis2 cannot be the same (both {i})")
    rest = tuple(x for d, x in enumerate(s) if d not in (i, j))
    return rest + (_diag_len(s[i], s[j], offset),), a.dtype


def _k_diagonal(xp: Any, a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    return xp.diagonal(a, offset, axis1, axis2).copy()


def _diagonal_grad(g: Any, out: Any, a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1):
    return (_apply("_diagonal_backward", (g,), {"offset": offset, "axis1": axis1,
                                                "axis2": axis2, "shape": tuple(a.shape)}),)


def _k_diagonal_backward(xp: Any, g: Any, offset: int, axis1: int, axis2: int,
                         shape: tuple[int, ...]) -> Any:
    """Zeros of *shape* with *g* on the diagonal (the gradient of ``diagonal``)."""
    z = xp.zeros(shape, dtype=g.dtype)
    nd = len(shape)
    zm = xp.moveaxis(z, (axis1 % nd, axis2 % nd), (-2, -1))    # a view: writes reach z
    i = xp.arange(g.shape[-1])
    zm[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return z


register("diagonal", _k_diagonal, _diagonal_infer, _diagonal_grad)
register("_diagonal_backward", _k_diagonal_backward,
         lambda g, offset, axis1, axis2, shape: (tuple(shape), g.dtype),
         lambda gg, out, g, offset, axis1, axis2, shape:
         (_apply("diagonal", (gg,), {"offset": offset, "axis1": axis1, "axis2": axis2}),))


def _diag_build_infer(v: Any, k: int = 0) -> Any:
    k = _int(k, "k", "diag")
    if len(v.shape) != 1:
        raise ShapeError(f"diag: building a matrix needs a 1-d input, got shape "
                         f"{tuple(v.shape)}")
    n = v.shape[0] + abs(k)
    return (n, n), v.dtype


register("_diag_build", lambda xp, v, k=0: xp.diag(v, k), _diag_build_infer,
         lambda g, out, v, k=0: (_apply("diagonal", (g,), {"offset": k}),))


# ----------------------------------------------------------------------------- padding
PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap", "maximum", "minimum",
             "mean", "median", "linear_ramp", "empty")


def pad_widths(pad_width: Any, ndim: int, name: str = "pad") -> tuple[tuple[int, int], ...]:
    """NumPy's pad_width forms (int, (n,), (before, after), ((b, a), ...)) as one pair
    per axis."""
    try:
        arr = _onp.asarray(pad_width)
    except (TypeError, ValueError):
        raise DTypeError(f"{name}: pad_width must be ints, got {pad_width!r}") from None
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and
                                          _onp.all(arr == _onp.round(arr))):
        raise DTypeError(f"{name}: pad_width must be of integral type, got {pad_width!r}")
    arr = arr.astype(_onp.int64)
    try:
        pw = _onp.broadcast_to(arr, (ndim, 2)) if arr.ndim < 2 or arr.shape[0] == 1 \
            else arr
        pw = _onp.broadcast_to(pw, (ndim, 2))
    except ValueError:
        raise ShapeError(f"{name}: pad_width {pad_width!r} does not fit an array of "
                         f"{ndim} dimensions") from None
    if (pw < 0).any():
        raise ShapeError(f"{name}: index can't contain negative values ({pad_width!r})")
    return tuple((int(b), int(a)) for b, a in pw)


def _pad_infer(a: Any, pad_width: Any, mode: str = "constant", **kw: Any) -> Any:
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode {mode!r} is not supported (one of {PAD_MODES})")
    s = tuple(a.shape)
    for (b, e), n in zip(pad_width, s):
        if n == 0 and (b or e) and mode not in ("constant", "empty"):
            raise ShapeError(f"pad: can't extend an empty axis with mode {mode!r} "
                             f"(shape {s})")
    return tuple(n + b + e for (b, e), n in zip(pad_width, s)), a.dtype


def _k_pad(xp: Any, a: Any, pad_width: Any, mode: str = "constant", **kw: Any) -> Any:
    return xp.pad(a, pad_width, mode=mode, **kw)


_PAD_COPY_MODES = ("edge", "reflect", "symmetric", "wrap")      # pads are copies
_PAD_STAT_MODES = ("maximum", "minimum", "mean", "median", "linear_ramp")


def _pad_grad(g: Any, out: Any, a: Any, pad_width: Any, mode: str = "constant", **kw: Any):
    if mode in ("constant", "empty"):          # the pads do not depend on the input
        key = tuple(slice(b, b + n) for (b, _), n in zip(pad_width, a.shape))
        return (g[key],)
    if mode in _PAD_COPY_MODES:
        return (_apply("_pad_backward", (g,), {"pad_width": pad_width, "mode": mode,
                                               "shape": tuple(a.shape), **kw}),)
    return (_apply("_pad_stat_backward", (g, a), {"pad_width": pad_width, "mode": mode,
                                                  **kw}),)


def _k_pad_backward(xp: Any, g: Any, pad_width: Any, mode: str, shape: tuple[int, ...],
                    **kw: Any) -> Any:
    """Each input element's gradient is the sum of the output elements it was copied
    to: pad the input's flat positions with the same mode, then scatter-add."""
    n = 1
    for s in shape:
        n *= s
    pos = xp.pad(xp.arange(n, dtype=xp.int64).reshape(shape), pad_width, mode=mode, **kw)
    z = xp.zeros(n, dtype=g.dtype)
    xp.add.at(z, pos.reshape(-1), g.reshape(-1))
    return z.reshape(shape)


def _stat_pairs(stat_length: Any, shape: tuple[int, ...]) -> list[tuple[int, int]]:
    """NumPy's stat_length per axis and side, clipped to the axis (None: all of it)."""
    if stat_length is None:
        return [(n, n) for n in shape]
    pairs = _onp.broadcast_to(_onp.asarray(stat_length, dtype=_onp.int64), (len(shape), 2))
    return [(min(int(b), n), min(int(e), n)) for (b, e), n in zip(pairs, shape)]


def _k_pad_stat_backward(xp: Any, g: Any, a: Any, pad_width: Any, mode: str,
                         stat_length: Any = None, **kw: Any) -> Any:
    """The gradient of pad for the modes whose pads are computed from the input.
    NumPy pads one axis after another, each axis's pads from the array padded on the
    axes before it (so corners come from pads), so the gradient goes back axis by axis,
    last first: along each axis the centre takes its own gradient, and each side's
    pads send theirs to what they were computed from — the stat region's mean
    (shared evenly), its maximum / minimum / median element(s) (ties share), or for
    linear_ramp the edge element (weight j / width: the ramp runs from end_values to
    the edge)."""
    nd = a.ndim
    pads = tuple(pad_width)
    grad = g
    for k in range(nd - 1, -1, -1):
        b, e = pads[k]
        if b == 0 and e == 0:
            continue
        prev = a if k == 0 else xp.pad(a, pads[:k] + ((0, 0),) * (nd - k), mode=mode,
                                       stat_length=stat_length, **kw) \
            if mode != "linear_ramp" else None
        n = a.shape[k]
        mv = xp.moveaxis(grad, k, -1)
        gin = mv[..., b:b + n].copy()
        gb, ge = mv[..., :b], mv[..., b + n:]
        if mode == "linear_ramp":
            if b:
                gin[..., 0] += (gb * (xp.arange(b, dtype=gin.dtype) / b)).sum(-1)
            if e:
                gin[..., -1] += (ge * (1 - xp.arange(1, e + 1, dtype=gin.dtype) / e)).sum(-1)
        else:
            sb, se = _stat_pairs(stat_length, tuple(prev.shape))[k]
            pv = xp.moveaxis(prev, k, -1)
            for side, width, length in ((gb, b, sb), (ge, e, se)):
                if not width:
                    continue
                region = slice(0, length) if side is gb else slice(n - length, n)
                total = side.sum(-1, keepdims=True)
                gin[..., region] += total * _pad_stat_share(xp, pv[..., region], mode)
        grad = xp.moveaxis(gin, -1, k)
    return grad


def _pad_stat_share(xp: Any, r: Any, mode: str) -> Any:
    """How one pad value's gradient splits over its stat region *r* (last axis)."""
    m = r.shape[-1]
    if mode == "mean":
        return xp.full(r.shape, 1.0 / m, dtype=r.dtype if r.dtype.kind == "f" else "f8")
    if mode in ("maximum", "minimum"):
        v = (r.max if mode == "maximum" else r.min)(-1, keepdims=True)
        mask = (r == v).astype(r.dtype)
        return mask / mask.sum(-1, keepdims=True)
    srt = xp.sort(r, axis=-1)            # median: the middle element, or the two middle
    lo, hi = srt[..., (m - 1) // 2:(m - 1) // 2 + 1], srt[..., m // 2:m // 2 + 1]
    mlo, mhi = (r == lo).astype(r.dtype), (r == hi).astype(r.dtype)
    return 0.5 * mlo / mlo.sum(-1, keepdims=True) + 0.5 * mhi / mhi.sum(-1, keepdims=True)


register("pad", _k_pad, _pad_infer, _pad_grad)
register("_pad_stat_backward", _k_pad_stat_backward,
         lambda g, a, pad_width, mode, **kw: (tuple(a.shape), g.dtype))
register("_pad_backward", _k_pad_backward,
         lambda g, pad_width, mode, shape, **kw: (tuple(shape), g.dtype))


# ----------------------------------------------------------------------------- cumprod
def _cumprod_infer(a: Any, axis: Any = None, dtype: Any = None) -> Any:
    dt = _onp.dtype(dtype) if dtype is not None else (int64 if a.dtype.kind == "b" else a.dtype)
    if axis is None:
        n = 1
        for s in a.shape:
            n *= s
        return (n,), dt
    norm_axis(axis, len(a.shape), "cumprod")
    return tuple(a.shape), dt


def _cumprod_grad(g: Any, out: Any, a: Any, axis: Any = None, dtype: Any = None):
    """sum_{j >= i} g_j out_j / a_i (inputs without zeros)."""
    F = _F()
    src = _F().reshape(a, (-1,)) if axis is None else a
    ax = 0 if axis is None else axis
    r = F.flip(F.cumsum(F.flip(g * out, ax), axis=ax), ax) / src
    return (_F().reshape(r, a.shape),)


register("cumprod", lambda xp, a, axis=None, dtype=None: xp.cumprod(a, axis=axis, dtype=dtype),
         _cumprod_infer, _cumprod_grad)


# ----------------------------------------------------------------------------- binning
def _digitize_infer(x: Any, bins: Any, right: bool = False) -> Any:
    if len(bins.shape) != 1:
        raise ShapeError(f"digitize: bins must be 1-d, got shape {tuple(bins.shape)}")
    if x.dtype.kind == "c" or bins.dtype.kind == "c":
        raise DTypeError("digitize: complex values are not supported")
    return tuple(x.shape), int64


def _k_digitize(xp: Any, x: Any, bins: Any, right: bool = False) -> Any:
    return xp.digitize(x, bins, right=right).astype(xp.int64)


register("digitize", _k_digitize, _digitize_infer)


def _histogram_infer(a: Any, bins: Any, weights: Any = None, range: Any = None,
                     density: bool = False) -> Any:
    if isinstance(bins, int):
        if bins < 1:
            raise ValueError(f"histogram: bins must be positive, got {bins}")
        nb = bins
    else:
        if len(bins.shape) != 1 or bins.shape[0] < 1:
            raise ShapeError(f"histogram: bins must be an int or a 1-d array of edges, got "
                             f"shape {tuple(bins.shape)}")
        nb = bins.shape[0] - 1
    if range is not None and range[0] > range[1]:
        raise ValueError(f"histogram: max must be larger than min in range parameter "
                         f"({range!r})")
    if weights is not None and tuple(weights.shape) != tuple(a.shape):
        raise ShapeError(f"histogram: weights of shape {tuple(weights.shape)} differ from the "
                         f"array's {tuple(a.shape)}")
    if density:
        hdt = float64
    elif weights is not None:
        hdt = weights.dtype
    else:
        hdt = int64
    if isinstance(bins, int):
        edt = a.dtype if a.dtype.kind == "f" else float64
    else:
        edt = bins.dtype
    return [((nb,), hdt), ((nb + 1,), edt)]


def _k_histogram(xp: Any, a: Any, bins: Any, weights: Any = None, range: Any = None,
                 density: bool = False) -> Any:
    h, e = xp.histogram(a, bins=bins, range=range, density=density, weights=weights)
    return h, e


register("histogram", _k_histogram, _histogram_infer, nout=2)


def _bincount_infer(x: Any, weights: Any = None, length: int = 0) -> Any:
    if len(x.shape) != 1:
        raise ShapeError(f"bincount: the input must be 1-d, got shape {tuple(x.shape)}")
    if x.dtype.kind not in "iub":
        raise DTypeError(f"bincount: the input must be of integer type, got {x.dtype}")
    if weights is not None and tuple(weights.shape) != tuple(x.shape):
        raise ShapeError(f"bincount: weights of shape {tuple(weights.shape)} differ from the "
                         f"input's {tuple(x.shape)}")
    dt = x.dtype if weights is None else weights.dtype
    if dt.kind == "b":
        dt = int64
    return (int(length),), dt


def _k_bincount(xp: Any, x: Any, weights: Any = None, length: int = 0) -> Any:
    if weights is None:
        return xp.bincount(x, minlength=length)
    return xp.bincount(x, weights=weights, minlength=length)


def _bincount_grad(g: Any, out: Any, x: Any, weights: Any = None, length: int = 0):
    if weights is None:
        return None, None
    return None, g[x]


register("bincount", _k_bincount, _bincount_infer, _bincount_grad)


# ----------------------------------------------------------------------------- interp
def _interp_infer(x: Any, xp_: Any, fp: Any, left: Any = None, right: Any = None,
                  period: Any = None) -> Any:
    sx, dx = _sd(x)
    if len(xp_.shape) != 1 or len(fp.shape) != 1:
        raise ShapeError(f"interp: xp and fp must be 1-d, got shapes {tuple(xp_.shape)} and "
                         f"{tuple(fp.shape)}")
    if xp_.shape[0] != fp.shape[0]:
        raise ShapeError(f"interp: fp and xp are not of the same length "
                         f"({fp.shape[0]} and {xp_.shape[0]})")
    if xp_.shape[0] == 0:
        raise ShapeError("interp: array of sample points is empty")
    if period is not None and period == 0:
        raise ValueError("interp: period must be a non-zero value")
    return tuple(sx), (fp.dtype if fp.dtype.kind == "c" else float64)


def _k_interp(xp: Any, x: Any, xp_: Any, fp: Any, left: Any = None, right: Any = None,
              period: Any = None) -> Any:
    return xp.interp(x, xp_, fp, left=left, right=right, period=period)


register("interp", _k_interp, _interp_infer)


# ----------------------------------------------------------------------------- elementwise
def _float_of(dt: Any) -> Any:
    return dt if dt.kind == "f" else float32


def _k_i0(xp: Any, a: Any) -> Any:
    return xp.i0(a)


register("i0", _k_i0, lambda a: (tuple(a.shape), a.dtype if a.dtype.kind == "f" else float64),
         lambda g, out, a: (g * _apply("_i1", (a,)),))
# the derivative of I0 is I1; a series good to float64 precision for |x| < ~30, and an
# asymptotic form beyond (what the gradient of i0 needs, nothing more)
register("_i1", lambda xp, a: _i1(xp, a), lambda a: (tuple(a.shape), a.dtype))


def _i1(xp: Any, a: Any) -> Any:
    x = xp.abs(a).astype(xp.float64)
    small = x < 30
    xs = xp.where(small, x, 0.0)
    term = xs / 2
    total = term.copy()
    for k in range(1, 60):       # series terms (not a loop over elements)
        term = term * (xs * xs / 4) / (k * (k + 1))
        total = total + term
    big = xp.where(small, 1.0, x)
    asym = xp.exp(big) / xp.sqrt(2 * math.pi * big) * (1 - 3 / (8 * big) - 15 / (128 * big * big))
    r = xp.where(small, total, asym)
    return (xp.sign(a) * r).astype(a.dtype)


register("spacing", lambda xp, a: xp.spacing(a.astype(xp.float32) if a.dtype.kind in "biu" else a),
         lambda a: (tuple(a.shape), _float_of(a.dtype)), _zero_grad)


def _heaviside_infer(x1: Any, x2: Any) -> Any:
    s1, d1 = _sd(x1)
    s2, d2 = _sd(x2)
    shape = broadcast("heaviside", s1, s2)
    dt = result_dtype("heaviside", d1, d2)
    if dt.kind in "biu":
        dt = float64 if isinstance(d1, _onp.dtype) and d1.kind in "iu" and d1.itemsize >= 4 \
            else float32
    return shape, dt


register("heaviside", lambda xp, a, b: xp.heaviside(a, b), _heaviside_infer,
         lambda g, out, a, b: (_F().zeros(a.shape, dtype=g.dtype, device=g.device)
                               if hasattr(a, "_var") else None,
                               unbroadcast(g * (a == 0), b.shape) if hasattr(b, "_var") else None))


def _modf_infer(a: Any) -> Any:
    dt = a.dtype if a.dtype.kind == "f" else float64 if a.dtype.itemsize >= 4 else float32
    return [(tuple(a.shape), dt), (tuple(a.shape), dt)]


def _modf_grad(g: Any, out: Any, a: Any):
    gf = g[0]
    if gf is None:
        return (_F().zeros(a.shape, dtype=out[0].dtype, device=a.device),)
    return (gf,)


register("modf", lambda xp, a: tuple(xp.modf(a)), _modf_infer, _modf_grad, nout=2)


def _frexp_infer(a: Any) -> Any:
    if a.dtype.kind not in "f":
        raise DTypeError(f"frexp: only float arrays are supported, got {a.dtype}")
    return [(tuple(a.shape), a.dtype), (tuple(a.shape), int32)]


register("frexp", lambda xp, a: tuple(xp.frexp(a)), _frexp_infer, nout=2)


def _divmod_infer(a: Any, b: Any) -> Any:
    sa, da = _sd(a)
    sb, db = _sd(b)
    shape = broadcast("divmod", sa, sb)
    dt = result_dtype("divmod", da, db)
    if dt == bool_:
        dt = _onp.dtype(_onp.int8)
    return [(shape, dt), (shape, dt)]


def _divmod_grad(g: Any, out: Any, a: Any, b: Any):
    F = _F()
    gm = g[1]
    if gm is None:
        return (F.zeros(a.shape, dtype=out[0].dtype, device=out[0].device)
                if hasattr(a, "_var") else None,
                F.zeros(b.shape, dtype=out[0].dtype, device=out[0].device)
                if hasattr(b, "_var") else None)
    ga = unbroadcast(gm, a.shape) if hasattr(a, "_var") else None
    gb = unbroadcast(-gm * out[0], b.shape) if hasattr(b, "_var") else None
    return ga, gb


register("divmod", lambda xp, a, b: tuple(xp.divmod(a, b)), _divmod_infer, _divmod_grad, nout=2,
         grad_needs_outputs=True)    # the gradient of the remainder reads the quotient


def _correlate_infer(a: Any, v: Any, mode: str = "valid") -> Any:
    if len(a.shape) != 1 or len(v.shape) != 1:
        raise ShapeError(f"correlate: inputs must be 1-d, got shapes {tuple(a.shape)} and "
                         f"{tuple(v.shape)}")
    n, m = a.shape[0], v.shape[0]
    if n == 0 or m == 0:
        raise ShapeError("correlate: inputs cannot be empty")
    if mode == "valid":
        ln = max(n, m) - min(n, m) + 1
    elif mode == "same":
        ln = max(n, m)
    elif mode == "full":
        ln = n + m - 1
    else:
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full', got {mode!r}")
    return (ln,), result_dtype("correlate", a.dtype, v.dtype)


register("correlate", lambda xp, a, v, mode="valid": xp.correlate(a, v, mode=mode),
         _correlate_infer)
register("convolve", lambda xp, a, v, mode="full": xp.convolve(a, v, mode=mode),
         lambda a, v, mode="full": _correlate_infer(a, v, mode))


# ----------------------------------------------------------------------------- eig
def _eig_host(xp: Any, a: Any) -> Any:
    """General eigen-decomposition (NumPy's on the host for a GPU buffer: CuPy has
    none); real eigenvalues only, as MXNet's np.linalg.eig."""
    if xp is _onp:
        w, v = _onp.linalg.eig(a)
    else:
        w, v = _onp.linalg.eig(xp.asnumpy(a))
    if _onp.iscomplexobj(w):
        if _onp.abs(w.imag).max(initial=0.0) > 0:
            raise ValueError("linalg.eig: complex eigenvalues are not supported (the "
                             "result dtype must follow from the input's)")
        w, v = w.real, v.real
    if xp is not _onp:
        w, v = xp.asarray(w), xp.asarray(v)
    return w, v


def _eig_infer(a: Any) -> Any:
    s = tuple(a.shape)
    if len(s) < 2 or s[-1] != s[-2]:
        raise ShapeError(f"linalg.eig: last 2 dimensions of the array must be square, got "
                         f"shape {s}")
    dt = a.dtype if a.dtype.kind == "f" else float32
    return [(s[:-1], dt), (s, dt)]


register("eig", lambda xp, a: _eig_host(xp, a), _eig_infer, nout=2)
register("eigvals", lambda xp, a: _eig_host(xp, a)[0], lambda a: _eig_infer(a)[0])


# ----------------------------------------------------------------------------- sets, bits
def _isin_infer(element: Any, test: Any, invert: bool = False) -> Any:
    return tuple(element.shape), bool_


register("isin", lambda xp, e, t, invert=False: xp.isin(e, t, invert=invert), _isin_infer)


def _packbits_infer(a: Any, axis: Any = None, bitorder: str = "big") -> Any:
    if a.dtype.kind not in "biu":
        raise DTypeError(f"packbits: expected an input array of integer or boolean data "
                         f"type, got {a.dtype}")
    if bitorder not in ("big", "little"):
        raise ValueError(f"packbits: bitorder must be 'big' or 'little', got {bitorder!r}")
    if axis is None:
        n = 1
        for s in a.shape:
            n *= s
        return ((n + 7) // 8,), _onp.dtype(_onp.uint8)
    ax = norm_axis(axis, len(a.shape), "packbits")
    s = list(a.shape)
    s[ax] = (s[ax] + 7) // 8
    return tuple(s), _onp.dtype(_onp.uint8)


def _unpackbits_infer(a: Any, axis: Any = None, count: Any = None,
                      bitorder: str = "big") -> Any:
    if a.dtype != _onp.uint8:
        raise DTypeError(f"unpackbits: expected an input array of unsigned byte data type, "
                         f"got {a.dtype}")
    if axis is None:
        n = 1
        for s in a.shape:
            n *= s
        n *= 8
        shape = [n]
        ax = 0
    else:
        ax = norm_axis(axis, len(a.shape), "unpackbits")
        shape = list(a.shape)
        shape[ax] *= 8
    if count is not None:
        c = int(count)
        shape[ax] = c if c >= 0 else max(shape[ax] + c, 0)
    return tuple(shape), _onp.dtype(_onp.uint8)


register("packbits", lambda xp, a, axis=None, bitorder="big":
         xp.packbits(a, axis=axis, bitorder=bitorder), _packbits_infer)
register("unpackbits", lambda xp, a, axis=None, count=None, bitorder="big":
         xp.unpackbits(a, axis=axis, count=count, bitorder=bitorder), _unpackbits_infer)
