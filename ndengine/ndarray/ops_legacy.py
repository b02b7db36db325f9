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

from .ops import OPS, OpDef, _F, _zero_grad
from .ops import register as _register

__all__ = ["keep_dtype", "LEGACY_OPS"]

# These ops are the legacy namespace's own: kept here, not in the np op table (OPS),
# whose every entry np-mode code may call and the gradient tests enumerate.
LEGACY_OPS: dict[str, OpDef] = {}


def register(name: str, kernel: Any, infer: Any, grad: Any = None) -> OpDef:
    return _register(name, kernel, infer, grad, table=LEGACY_OPS)


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


_SO_GRAD = register("_backward_SoftmaxOutput", _so_grad_k, lambda p, label, **_: (p.shape, p.dtype))
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
    back = register(f"_backward_{name}", _reg_grad_k(kind), lambda o, l, **_: (o.shape, o.dtype))

    def grad(g: Any, out: Any, a: Any, label: Any, grad_scale: float = 1.0):
        from .ndarray import apply_op

        return apply_op(back, (out, label), {"grad_scale": grad_scale}), None
    register(name, _reg_k(kind), _reg_infer, grad)


_def_regression("LinearRegressionOutput", "linear")
_def_regression("LogisticRegressionOutput", "logistic")
_def_regression("MAERegressionOutput", "mae")


# (nd.Convolution, nd.Pooling, nd.Deconvolution, im2col and col2im are the np op table's
# convolution / pooling / deconvolution ops: ndengine/ndarray/ops_conv.py)


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
            return bgrad(_F().reshape(g, ()), _F().reshape(out, ()), a, **p)
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


_SVM_BACK = register("_backward_SVMOutput", _svm_grad_k, lambda x, l, **_: (x.shape, x.dtype))


def _svm_grad(g: Any, out: Any, a: Any, label: Any, **p: Any):
    from .ndarray import apply_op

    return apply_op(_SVM_BACK, (a, label), p), None


register("SVMOutput", lambda xp, a, label, **_: a.copy(), _svm_infer, _svm_grad)


# MakeLoss: forward is the data itself; backward ignores the head gradient (a loss head)
# and gives grad_scale everywhere, divided by the batch size (normalization 'batch') or
# by the count of elements above valid_thresh ('valid', at least 1).
def _make_loss_grad_k(xp: Any, a: Any, grad_scale: float = 1.0, valid_thresh: float = 0.0,
                      normalization: str = "null") -> Any:
    g = xp.full(a.shape, grad_scale, dtype=a.dtype)
    if normalization == "batch" and a.ndim:
        g = g / a.shape[0]
    elif normalization == "valid":
        g = g / max(int((a > valid_thresh).sum()), 1)
    return g


_MAKE_LOSS_BACK = register("_backward_MakeLoss", _make_loss_grad_k,
                           lambda a, **_: (a.shape, a.dtype))


def _make_loss_grad(g: Any, out: Any, a: Any, **p: Any):
    from .ndarray import apply_op

    return (apply_op(_MAKE_LOSS_BACK, (a,), p),)


register("MakeLoss", lambda xp, a, **_: a.copy(), lambda a, **_: (a.shape, a.dtype),
         _make_loss_grad)
