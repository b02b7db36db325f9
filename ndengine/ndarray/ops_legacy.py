"""Ops of MXNet 1.x's legacy ``mx.nd`` API that the np op table has no form of.

Most legacy functions are np/npx ops under other names (see ndengine.legacy); the ones
here differ in what they compute or in their dtype rule:

* :func:`keep_dtype` — the variant of an elementwise op whose result keeps its
  operands' dtype (MXNet 1.x: ``int32 / int32`` truncates to int32, comparisons give
  0/1 in the inputs' dtype).  The kernel is the np op's; the runner casts its result
  to the inferred dtype.
* ``nd_round`` — rounding half away from zero (``nd.round(2.5) == 3``; np's rounds half
  to even); ``nd_rint`` — MXNet's rint, halves down (``rint(-0.5) == -1``).
"""
from __future__ import annotations

from typing import Any

from .ops import OPS, OpDef, _zero_grad

__all__ = ["keep_dtype", "LEGACY_OPS"]

# These ops are the legacy namespace's own: kept here, not in the np op table (OPS),
# whose every entry np-mode code may call and the gradient tests enumerate.
LEGACY_OPS: dict[str, OpDef] = {}


def register(name: str, kernel: Any, infer: Any, grad: Any = None) -> OpDef:
    op = OpDef(name, kernel, infer, grad)
    LEGACY_OPS[name] = op
    return op


_KEEP: dict[str, OpDef] = {}


def _first_dtype(args: tuple) -> Any:
    for a in args:
        if hasattr(a, "shape") and hasattr(a, "dtype"):
            return a.dtype
    raise TypeError("no array operand")


def keep_dtype(name: str) -> OpDef:
    """The op ``_nd_<name>``: np's elementwise op *name*, its result in the dtype of its
    first array operand.  Registered on first use."""
    op = _KEEP.get(name)
    if op is not None:
        return op
    base = OPS[name]
    base_infer = base.infer

    def infer(*args: Any, **params: Any) -> Any:
        shape, _ = base_infer(*args, **params)
        return shape, _first_dtype(args)

    op = register(f"_nd_{name}", base.kernel, infer, None)
    # np's CPU fast path calls this NumPy function on the buffers; its result is cast to
    # the inferred dtype (bool -> float32 for comparisons)
    op.np_fn = base.np_fn
    _KEEP[name] = op
    return op


def _round_k(xp: Any, a: Any) -> Any:
    if a.dtype.kind not in "fc":
        return a.copy()
    return xp.copysign(xp.floor(xp.abs(a) + 0.5), a)


register("nd_round", _round_k, lambda a: (a.shape, a.dtype), _zero_grad)


def _rint_k(xp: Any, a: Any) -> Any:
    if a.dtype.kind not in "fc":
        return a.copy()
    f = xp.floor(a)
    return xp.where(a - f <= 0.5, f, f + 1)


# MXNet's rint: the floor when the fraction is at most 1/2, else the ceiling
register("nd_rint", _rint_k, lambda a: (a.shape, a.dtype), _zero_grad)


# ------------------------------------------------------------------ SoftmaxOutput
# Forward: softmax over the class axis (1, or the last axis with preserve_shape).
# Backward ignores the head gradient, as MXNet's loss-layer ops do: the gradient of the
# cross-entropy of the softmax against the labels, (p - one_hot(label)) * grad_scale,
# zero where label == ignore_label (use_ignore), divided per `normalization`.
def _so_axis(ndim: int, multi_output: bool, preserve_shape: bool) -> int:
    if preserve_shape or ndim <= 1:
        return ndim - 1
    return 1


def _so_flat(p: Any, axis: int, multi_output: bool, preserve_shape: bool) -> bool:
    """MXNet flattens (N, d1, d2...) to (N, d1*d2...) unless multi_output/preserve_shape."""
    return p.ndim > 2 and axis == 1 and not multi_output and not preserve_shape


def _so_k(xp: Any, a: Any, label: Any, axis: int = 1, multi_output: bool = False,
          preserve_shape: bool = False, **_: Any) -> Any:
    shape = a.shape
    if _so_flat(a, axis, multi_output, preserve_shape):
        a = a.reshape(shape[0], -1)
    e = xp.exp(a - a.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).reshape(shape)


def _so_infer(a: Any, label: Any, axis: int = 1, **_: Any) -> Any:
    from .ops import ShapeError

    if len(a.shape) < 1:
        raise ShapeError(f"SoftmaxOutput: data must have at least one dimension, got {a.shape}")
    return a.shape, a.dtype


def _so_grad_k(xp: Any, p: Any, label: Any, axis: int = 1, grad_scale: float = 1.0,
               ignore_label: float = -1.0, use_ignore: bool = False,
               normalization: str = "null", multi_output: bool = False,
               preserve_shape: bool = False, smooth_alpha: float = 0.0) -> Any:
    q = p.reshape(p.shape[0], -1) if _so_flat(p, axis, multi_output, preserve_shape) else p
    ax = axis
    k = q.shape[ax]
    lab = label.reshape(xp.moveaxis(q, ax, -1).shape[:-1])
    idx = lab.astype(xp.int64)
    onehot = (xp.arange(k).reshape((1,) * idx.ndim + (k,)) == idx[..., None]).astype(p.dtype)
    if smooth_alpha:
        onehot = onehot * (1 - smooth_alpha) + (1 - onehot) * (smooth_alpha / (k - 1))
    g = xp.moveaxis(q, ax, -1) - onehot
    valid = None
    if use_ignore:
        valid = (lab != ignore_label)
        g = g * valid[..., None]
    g = xp.moveaxis(g, -1, ax) * grad_scale
    if normalization == "batch":
        g = g / p.shape[0]
    elif normalization == "valid":
        n = valid.sum() if valid is not None else lab.size
        g = g / max(int(n), 1)
    return g.reshape(p.shape)


def _so_grad(g: Any, out: Any, a: Any, label: Any, **params: Any) -> tuple[Any, None]:
    from .ndarray import apply_op

    return apply_op(_SO_GRAD, (out, label), params), None


_SO_GRAD = OpDef("_backward_SoftmaxOutput", _so_grad_k, lambda p, label, **_: (p.shape, p.dtype))
register("SoftmaxOutput", _so_k, _so_infer, _so_grad)


# ------------------------------------------------------------------ regression outputs
# Loss layers: forward is the prediction (identity, or sigmoid for the logistic one);
# backward ignores the head gradient and gives (out - label) (sign(out - label) for MAE)
# times grad_scale / num_output, num_output = label.size / batch.
def _reg_k(kind: str) -> Any:
    def k(xp: Any, a: Any, label: Any, grad_scale: float = 1.0) -> Any:
        if kind == "logistic":
            return 1 / (1 + xp.exp(-a))
        return a.copy()
    return k


def _reg_infer(a: Any, label: Any, grad_scale: float = 1.0) -> Any:
    from .ops import ShapeError

    n = 1
    for d in label.shape:
        n *= d
    m = 1
    for d in a.shape:
        m *= d
    if n != m:
        raise ShapeError(f"RegressionOutput: label {tuple(label.shape)} does not match data "
                         f"{tuple(a.shape)}")
    return a.shape, a.dtype


def _reg_grad_k(kind: str) -> Any:
    def k(xp: Any, out: Any, label: Any, grad_scale: float = 1.0) -> Any:
        d = out - label.reshape(out.shape)
        if kind == "mae":
            d = xp.sign(d)
        num_output = label.size // label.shape[0] if label.ndim else 1
        return d * (grad_scale / max(num_output, 1))
    return k


def _def_regression(name: str, kind: str) -> None:
    back = OpDef(f"_backward_{name}", _reg_grad_k(kind), lambda o, l, **_: (o.shape, o.dtype))

    def grad(g: Any, out: Any, a: Any, label: Any, grad_scale: float = 1.0):
        from .ndarray import apply_op

        return apply_op(back, (out, label), {"grad_scale": grad_scale}), None
    register(name, _reg_k(kind), _reg_infer, grad)


_def_regression("LinearRegressionOutput", "linear")
_def_regression("LogisticRegressionOutput", "logistic")
_def_regression("MAERegressionOutput", "mae")


# ------------------------------------------------------------------ convolution, pooling
# N-d (1 to 3 spatial axes, layout NC...) by windows: the zero-padded input seen through
# a strided view of shape (N, C, *out, *kernel) (no copy), then one batched matrix
# product per group (im2col).  Gradients are their own ops: the weight's is the product
# of the head gradient with the same windows, the data's scatters the columns back with
# one strided add per kernel offset (never a loop over elements or batch items).
def _prod(t: Any) -> int:
    n = 1
    for v in t:
        n *= int(v)
    return n


def _out_sizes(sp: tuple, kernel: tuple, stride: tuple, dilate: tuple, pad: tuple,
               full: bool = False) -> tuple:
    out = []
    for s, k, st, d, p in zip(sp, kernel, stride, dilate, pad):
        span = d * (k - 1) + 1
        n = s + 2 * p - span
        out.append((-(-n // st) if full else n // st) + 1)
    return tuple(out)


def _padded(xp: Any, x: Any, pad: tuple, value: float = 0.0, extra: tuple | None = None) -> Any:
    extra = extra or (0,) * len(pad)
    if not any(pad) and not any(extra):
        return xp.ascontiguousarray(x)
    widths = ((0, 0), (0, 0)) + tuple((p, p + e) for p, e in zip(pad, extra))
    return xp.pad(x, widths, mode="constant", constant_values=value)


def _windows(xp: Any, xpad: Any, out: tuple, kernel: tuple, stride: tuple,
             dilate: tuple) -> Any:
    st = xpad.strides
    nd = len(kernel)
    shape = xpad.shape[:2] + tuple(out) + tuple(kernel)
    strides = st[:2] + tuple(st[2 + i] * stride[i] for i in range(nd)) + \
        tuple(st[2 + i] * dilate[i] for i in range(nd))
    return xp.lib.stride_tricks.as_strided(xpad, shape=shape, strides=strides)


def _offsets(kernel: tuple, out: tuple, stride: tuple, dilate: tuple):
    """(flat index, slices of the padded input) of each kernel offset."""
    import itertools

    for j, ks in enumerate(itertools.product(*[range(k) for k in kernel])):
        sl = tuple(slice(k * d, k * d + (o - 1) * s + 1, s)
                   for k, d, o, s in zip(ks, dilate, out, stride))
        yield j, (slice(None), slice(None)) + sl


def _conv_cols(xp: Any, x: Any, kernel: tuple, stride: tuple, dilate: tuple, pad: tuple,
               groups: int) -> tuple:
    n, c = x.shape[:2]
    out = _out_sizes(x.shape[2:], kernel, stride, dilate, pad)
    win = _windows(xp, _padded(xp, x, pad), out, kernel, stride, dilate)
    ot, kt, cg = _prod(out), _prod(kernel), c // groups
    cols = win.reshape(n, groups, cg, ot, kt).transpose(1, 0, 3, 2, 4)
    return cols.reshape(groups, n * ot, cg * kt), out


def _conv_k(xp: Any, x: Any, w: Any, b: Any = None, kernel: tuple = (), stride: tuple = (),
            dilate: tuple = (), pad: tuple = (), num_group: int = 1) -> Any:
    n, f, g = x.shape[0], w.shape[0], num_group
    cols, out = _conv_cols(xp, x, kernel, stride, dilate, pad, g)
    wm = w.reshape(g, f // g, -1).transpose(0, 2, 1)
    r = xp.matmul(cols, wm)                                   # (G, N*O, F/G)
    r = r.reshape(g, n, _prod(out), f // g).transpose(1, 0, 3, 2).reshape((n, f) + out)
    if b is not None:
        r = r + b.reshape((1, f) + (1,) * len(out))
    return r


def _conv_infer(x: Any, w: Any, b: Any = None, kernel: tuple = (), stride: tuple = (),
                dilate: tuple = (), pad: tuple = (), num_group: int = 1) -> Any:
    from .ops import ShapeError, result_dtype

    sx, sw = tuple(x.shape), tuple(w.shape)
    nd = len(kernel)
    if len(sx) != nd + 2 or len(sw) != nd + 2:
        raise ShapeError(f"Convolution: data {sx} and weight {sw} must have {nd + 2} axes for "
                         f"a {nd}-D kernel {kernel} (layout NC{'DHW'[3 - nd:]})")
    f, c = sw[0], sx[1]
    if c % num_group or f % num_group or sw[1] * num_group != c or sw[2:] != tuple(kernel):
        raise ShapeError(f"Convolution: weight {sw} does not fit data {sx} (expected "
                         f"({f}, {c // max(num_group, 1)}, {', '.join(map(str, kernel))}) "
                         f"with num_group={num_group})")
    if b is not None and tuple(b.shape) != (f,):
        raise ShapeError(f"Convolution: bias {tuple(b.shape)} must be ({f},)")
    out = _out_sizes(sx[2:], kernel, stride, dilate, pad)
    if any(o < 1 for o in out):
        raise ShapeError(f"Convolution: kernel {kernel} (dilate {dilate}) is larger than the "
                         f"padded input {tuple(s + 2 * p for s, p in zip(sx[2:], pad))}")
    return (sx[0], f) + out, result_dtype("Convolution", x.dtype, w.dtype)


def _conv_bw_weight_k(xp: Any, g: Any, x: Any, wshape: tuple = (), kernel: tuple = (),
                      stride: tuple = (), dilate: tuple = (), pad: tuple = (),
                      num_group: int = 1) -> Any:
    n, f, grp = x.shape[0], wshape[0], num_group
    cols, out = _conv_cols(xp, x, kernel, stride, dilate, pad, grp)
    gm = g.reshape(n, grp, f // grp, _prod(out)).transpose(1, 2, 0, 3).reshape(grp, f // grp, -1)
    return xp.matmul(gm, cols).reshape(wshape)


def _conv_bw_data_k(xp: Any, g: Any, w: Any, xshape: tuple = (), kernel: tuple = (),
                    stride: tuple = (), dilate: tuple = (), pad: tuple = (),
                    num_group: int = 1) -> Any:
    n, c = xshape[:2]
    f, grp = w.shape[0], num_group
    out = tuple(g.shape[2:])
    ot, kt, cg = _prod(out), _prod(kernel), c // grp
    gm = g.reshape(n, grp, f // grp, ot).transpose(1, 0, 3, 2).reshape(grp, n * ot, f // grp)
    dcols = xp.matmul(gm, w.reshape(grp, f // grp, cg * kt))      # (G, N*O, Cg*K)
    dcols = dcols.reshape(grp, n, ot, cg, kt).transpose(1, 0, 3, 2, 4).reshape(
        (n, c) + out + (kt,))
    dx = xp.zeros((n, c) + tuple(s + 2 * p for s, p in zip(xshape[2:], pad)), dtype=g.dtype)
    for j, sl in _offsets(kernel, out, stride, dilate):
        dx[sl] += dcols[..., j]
    crop = (slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(pad, xshape[2:]))
    return dx[crop]


def _conv_grad(g: Any, out: Any, x: Any, w: Any, b: Any = None, **p: Any):
    from .ndarray import apply_op
    from .tape import needs

    gx = gw = gb = None
    if needs(0):
        gx = apply_op(_CONV_BW_DATA, (g, w), dict(p, xshape=tuple(x.shape)))
    if needs(1):
        gw = apply_op(_CONV_BW_WEIGHT, (g, x), dict(p, wshape=tuple(w.shape)))
    if b is not None and needs(2):
        gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
    return gx, gw, gb


_CONV_BW_DATA = OpDef("_backward_Convolution_data", _conv_bw_data_k,
                      lambda g, w, xshape=(), **_: (tuple(xshape), g.dtype))
_CONV_BW_WEIGHT = OpDef("_backward_Convolution_weight", _conv_bw_weight_k,
                        lambda g, x, wshape=(), **_: (tuple(wshape), g.dtype))
register("Convolution", _conv_k, _conv_infer, _conv_grad)


def _pool_geometry(shape: tuple, kernel: tuple, stride: tuple, pad: tuple,
                   full: bool) -> tuple:
    sp = shape[2:]
    out = _out_sizes(sp, kernel, stride, (1,) * len(kernel), pad, full)
    extra = tuple(max(0, (o - 1) * s + k - (n + 2 * p))
                  for o, s, k, n, p in zip(out, stride, kernel, sp, pad))
    return out, extra


def _pool_counts(xp: Any, shape: tuple, kernel: tuple, stride: tuple, pad: tuple,
                 extra: tuple, out: tuple, include_pad: bool, dtype: Any) -> Any:
    """How many elements each window averages: those of the input (and of its explicit
    padding with *include_pad*), never the extra cells of the 'full' convention."""
    sp = shape[2:]
    if include_pad:
        ones = xp.ones((1, 1) + tuple(n + 2 * p for n, p in zip(sp, pad)), dtype=dtype)
        padded = _padded(xp, ones, (0,) * len(sp), 0.0, extra)
    else:
        padded = _padded(xp, xp.ones((1, 1) + tuple(sp), dtype=dtype), pad, 0.0, extra)
    win = _windows(xp, padded, out, kernel, stride, (1,) * len(kernel))
    return win.sum(axis=tuple(range(-len(kernel), 0)))


def _pool_k(xp: Any, x: Any, kernel: tuple = (), stride: tuple = (), pad: tuple = (),
            pool_type: str = "max", full: bool = False, count_include_pad: bool = True,
            p_value: int = 2) -> Any:
    out, extra = _pool_geometry(x.shape, kernel, stride, pad, full)
    fill = -xp.inf if pool_type == "max" and x.dtype.kind == "f" else (
        xp.iinfo(x.dtype).min if pool_type == "max" else 0)
    xpad = _padded(xp, x, pad, fill, extra)
    axes = tuple(range(-len(kernel), 0))
    win = _windows(xp, xpad, out, kernel, stride, (1,) * len(kernel))
    if pool_type == "max":
        return win.max(axis=axes)
    if pool_type == "sum":
        return win.sum(axis=axes)
    if pool_type == "lp":
        return (xp.abs(win) ** p_value).sum(axis=axes) ** (1.0 / p_value)
    counts = _pool_counts(xp, x.shape, kernel, stride, pad, extra, out, count_include_pad,
                          x.dtype)
    return win.sum(axis=axes) / counts


def _pool_infer(x: Any, kernel: tuple = (), stride: tuple = (), pad: tuple = (),
                pool_type: str = "max", full: bool = False, count_include_pad: bool = True,
                p_value: int = 2) -> Any:
    from .ops import ShapeError

    sx = tuple(x.shape)
    if len(sx) != len(kernel) + 2:
        raise ShapeError(f"Pooling: data {sx} must have {len(kernel) + 2} axes for kernel "
                         f"{kernel}")
    out, _ = _pool_geometry(sx, kernel, stride, pad, full)
    if any(o < 1 for o in out):
        raise ShapeError(f"Pooling: kernel {kernel} is larger than the padded input "
                         f"{tuple(s + 2 * p for s, p in zip(sx[2:], pad))}")
    return sx[:2] + out, x.dtype


def _pool_bw_k(xp: Any, g: Any, x: Any, y: Any, kernel: tuple = (), stride: tuple = (),
               pad: tuple = (), pool_type: str = "max", full: bool = False,
               count_include_pad: bool = True, p_value: int = 2) -> Any:
    out, extra = _pool_geometry(x.shape, kernel, stride, pad, full)
    nd = len(kernel)
    ones = (1,) * nd
    fill = -xp.inf if x.dtype.kind == "f" else 0
    xpad = _padded(xp, x, pad, fill if pool_type == "max" else 0.0, extra)
    dx = xp.zeros(xpad.shape, dtype=g.dtype)
    if pool_type == "max":
        win = _windows(xp, xpad, out, kernel, stride, ones)
        first = win.reshape(x.shape[:2] + out + (-1,)).argmax(axis=-1)   # ties: the first
        for j, sl in _offsets(kernel, out, stride, ones):
            dx[sl] += g * (first == j)
    elif pool_type in ("avg", "sum"):
        gg = g
        if pool_type == "avg":
            gg = g / _pool_counts(xp, x.shape, kernel, stride, pad, extra, out,
                                  count_include_pad, g.dtype)
        for _, sl in _offsets(kernel, out, stride, ones):
            dx[sl] += gg
    else:
        yp = xp.where(y > 0, y, 1) ** (1 - p_value)
        for _, sl in _offsets(kernel, out, stride, ones):
            v = xpad[sl]
            dx[sl] += g * yp * xp.abs(v) ** (p_value - 1) * xp.sign(v)
    crop = (slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(pad, x.shape[2:]))
    return dx[crop]


def _pool_grad(g: Any, out: Any, x: Any, **p: Any):
    from .ndarray import apply_op

    return (apply_op(_POOL_BW, (g, x, out), p),)


_POOL_BW = OpDef("_backward_Pooling", _pool_bw_k, lambda g, x, y, **_: (tuple(x.shape), g.dtype))
register("Pooling", _pool_k, _pool_infer, _pool_grad)


# Deconvolution (transposed convolution): the data gradient of the convolution whose
# output it takes; its own gradients are that convolution's forward (data) and weight
# gradient with the roles of data and head gradient swapped.
def _deconv_k(xp: Any, x: Any, w: Any, b: Any = None, kernel: tuple = (), stride: tuple = (),
              dilate: tuple = (), pad: tuple = (), num_group: int = 1,
              oshape: tuple = ()) -> Any:
    r = _conv_bw_data_k(xp, x, w, xshape=oshape, kernel=kernel, stride=stride, dilate=dilate,
                        pad=pad, num_group=num_group)
    if b is not None:
        r = r + b.reshape((1, -1) + (1,) * len(kernel))
    return r


def _deconv_infer(x: Any, w: Any, b: Any = None, kernel: tuple = (), stride: tuple = (),
                  dilate: tuple = (), pad: tuple = (), num_group: int = 1,
                  oshape: tuple = ()) -> Any:
    from .ops import ShapeError, result_dtype

    sx, sw = tuple(x.shape), tuple(w.shape)
    nd = len(kernel)
    if len(sx) != nd + 2 or len(sw) != nd + 2 or sw[0] != sx[1] or sw[2:] != tuple(kernel):
        raise ShapeError(f"Deconvolution: weight {sw} does not fit data {sx} (expected "
                         f"({sx[1] if len(sx) > 1 else '?'}, num_filter / num_group, "
                         f"{', '.join(map(str, kernel))}))")
    if b is not None and tuple(b.shape) != (oshape[1],):
        raise ShapeError(f"Deconvolution: bias {tuple(b.shape)} must be ({oshape[1]},)")
    if _out_sizes(oshape[2:], kernel, stride, dilate, pad) != sx[2:] or \
            any(o < 1 for o in oshape[2:]):
        raise ShapeError(f"Deconvolution: output {oshape} does not fit input {sx}")
    return tuple(oshape), result_dtype("Deconvolution", x.dtype, w.dtype)


def _deconv_grad(g: Any, out: Any, x: Any, w: Any, b: Any = None, oshape: tuple = (), **p: Any):
    from .ndarray import apply_op
    from .tape import needs

    gx = gw = gb = None
    if needs(0):
        gx = apply_op(LEGACY_OPS["Convolution"], (g, w, None), p)
    if needs(1):
        gw = apply_op(_CONV_BW_WEIGHT, (x, g), dict(p, wshape=tuple(w.shape)))
    if b is not None and needs(2):
        gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
    return gx, gw, gb


register("Deconvolution", _deconv_k, _deconv_infer, _deconv_grad)


# ------------------------------------------------------------------ full reductions
_FULL: dict[str, OpDef] = {}


def full_reduce(name: str) -> OpDef:
    """The op ``_nd_full_<name>``: np's reduction *name* over every axis, with MXNet 1.x's
    result: shape (1,), the input's dtype (one op, where a reshape would add a second)."""
    op = _FULL.get(name)
    if op is not None:
        return op
    base = OPS[name]
    bkernel, binfer, bgrad = base.kernel, base.infer, base.grad

    def kernel(xp: Any, a: Any, **p: Any) -> Any:
        return xp.reshape(xp.asarray(bkernel(xp, a, **p)), (1,))

    def infer(a: Any, **p: Any) -> Any:
        binfer(a, **p)                       # its checks (empty max...)
        return (1,), a.dtype

    grad = None
    if bgrad is not None:
        def grad(g: Any, out: Any, a: Any, **p: Any) -> Any:
            return bgrad(g.reshape(()), out.reshape(()), a, **p)
    op = register(f"_nd_full_{name}", kernel, infer, grad)
    _FULL[name] = op
    return op


# SVMOutput: forward is the scores; backward (ignoring the head gradient) is the hinge
# loss's: squared (L2-SVM, default) 2*max(0, margin + x) for other classes and
# -2*max(0, margin - x) for the label's, or linear (L1-SVM) the indicators of those
# margins being violated; times regularization_coefficient.
def _svm_infer(a: Any, label: Any, **_: Any) -> Any:
    from .ops import ShapeError

    if len(a.shape) != 2 or tuple(label.shape) != (a.shape[0],):
        raise ShapeError(f"SVMOutput: data must be (batch, classes) and label (batch,), got "
                         f"{tuple(a.shape)} and {tuple(label.shape)}")
    return a.shape, a.dtype


def _svm_grad_k(xp: Any, x: Any, label: Any, margin: float = 1.0,
                regularization_coefficient: float = 1.0, use_linear: bool = False) -> Any:
    k = x.shape[1]
    is_label = xp.arange(k).reshape(1, k) == label.astype(xp.int64).reshape(-1, 1)
    if use_linear:
        g = xp.where(is_label, -(margin > x).astype(x.dtype), (margin > -x).astype(x.dtype))
    else:
        g = xp.where(is_label, -2 * xp.maximum(margin - x, 0), 2 * xp.maximum(margin + x, 0))
    return g * regularization_coefficient


_SVM_BACK = OpDef("_backward_SVMOutput", _svm_grad_k, lambda x, l, **_: (x.shape, x.dtype))


def _svm_grad(g: Any, out: Any, a: Any, label: Any, **p: Any):
    from .ndarray import apply_op

    return apply_op(_SVM_BACK, (a, label), p), None


register("SVMOutput", lambda xp, a, label, **_: a.copy(), _svm_infer, _svm_grad)
