"""The op table's neural-network and special-function ops (what ``ndengine.npx`` and
gluon's layers call): each once, with its shape/dtype rule, its kernel against ``xp``
and its gradient (see :mod:`.ops` for the conventions).

Ops with MXNet semantics worth knowing:

* ``batch_norm`` has three outputs (the result, the mean and the inverse standard
  deviation it normalized with).  In training mode (batch statistics) the running
  mean and variance are updated, as in MXNet 1.9.1 on CPU, when the gradient is
  computed (``backward``), from the batch's mean and biased variance:
  ``running = running * momentum + batch * (1 - momentum)``.  ``fix_gamma`` uses a
  gamma of ones (MXNet also overwrites the gamma array with ones; ndengine leaves it).
* ``embedding`` clips indices to ``[0, input_dim - 1]`` (MXNet's rule without
  sparse_grad), ``one_hot`` gives all-off rows for out-of-range indices.
* ``topk`` orders ties by their index (stable), as MXNet does.
* ``erf`` / ``erfinv`` / ``gamma`` / ``gammaln`` are computed in float64 from NumPy's
  elementary functions (a series and a continued fraction for erf, Giles' start
  plus Newton steps for erfinv, Lanczos for the gamma functions) and cast back.
"""
from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as _onp

from .ops import (OPS, DTypeError, ShapeError, _blas, _F, float32, int64, norm_axis,
                  register, result_dtype)
from .tape import needs as _needs

__all__: list[str] = []

float64 = _onp.dtype(_onp.float64)
_SQRT_PI = math.sqrt(math.pi)


def _quiet(xp: Any) -> Any:
    """No floating-point warnings inside (inf and nan are the results wanted)."""
    errstate = getattr(xp, "errstate", None)
    return errstate(all="ignore") if errstate is not None else contextlib.nullcontext()


def _add_at(xp: Any, out: Any, index: Any, values: Any) -> None:
    """``out[index] += values`` with repeated indices summed (CuPy: cupyx.scatter_add
    where its ufuncs have no ``at``)."""
    at = getattr(xp.add, "at", None)
    if at is not None:
        at(out, index, values)
        return
    import cupyx  # type: ignore[import-not-found]

    cupyx.scatter_add(out, index, values)


def _float_dt(dt: Any) -> Any:
    return dt if dt.kind == "f" else float32


def _chan_shape(ndim: int, axis: int, c: int) -> tuple[int, ...]:
    return tuple(c if i == axis else 1 for i, _ in enumerate(range(ndim)))


def _check_vec(name: str, what: str, a: Any, c: int) -> None:
    if a is not None and tuple(a.shape) != (c,):
        raise ShapeError(f"{name}: {what} has shape {tuple(a.shape)}, expected ({c},) (the "
                         f"size of the normalized axis)")


def _check_float(name: str, *arrays: Any) -> None:
    for a in arrays:
        if a is not None and a.dtype.kind != "f":
            raise DTypeError(f"{name}: expected floating-point arrays, got {a.dtype}")


# ----------------------------------------------------------------------------- fully connected
def _fc_kernel(xp: Any, x: Any, w: Any, b: Any = None, flatten: bool = True,
               act: str | None = None) -> Any:
    x2 = x.reshape(x.shape[0], -1) if flatten else x.reshape(-1, x.shape[-1])
    out = xp.matmul(x2, w.T)
    if b is not None:
        out += b
    if act == "relu":
        xp.maximum(out, 0, out=out)
    if not flatten:
        out = out.reshape(x.shape[:-1] + (w.shape[0],))
    return out


def _fc_infer(x: Any, w: Any, b: Any = None, flatten: bool = True, act: str | None = None):
    sx, sw = tuple(x.shape), tuple(w.shape)
    if len(sw) != 2:
        raise ShapeError(f"fully_connected: weight must be 2-D (units, in_units), got {sw}")
    if not sx:
        raise ShapeError("fully_connected: input must have at least 1 dimension")
    n_in = int(_onp.prod(sx[1:])) if flatten else sx[-1]
    if n_in != sw[1]:
        raise ShapeError(f"fully_connected: input {sx} has {n_in} features"
                         f"{' (flattened)' if flatten and len(sx) != 2 else ''}, the weight "
                         f"{sw} expects {sw[1]}")
    if b is not None and tuple(b.shape) != (sw[0],):
        raise ShapeError(f"fully_connected: bias has shape {tuple(b.shape)}, expected "
                         f"({sw[0]},)")
    dt = result_dtype("fully_connected", x.dtype, w.dtype)
    shape = (sx[0], sw[0]) if flatten else sx[:-1] + (sw[0],)
    return shape, dt


def _fc_backward_kernel(xp: Any, g: Any, w: Any, x: Any, out: Any = None,
                        flatten: bool = True, act: str | None = None,
                        need: tuple = (True, True, True)) -> Any:
    """fully_connected's gradients in one op: those of *need* among (dx, dW, db), from
    the head gradient *g* (and the output *out*, for the fused relu) — the products the
    op-by-op gradient pushes one at a time, computed the same way."""
    units, n_in = w.shape
    if act == "relu":
        g = xp.multiply(g, out > 0)
    g2 = g if g.ndim == 2 else g.reshape(-1, units)
    res = []
    if need[0]:
        res.append(xp.dot(g2, w).reshape(x.shape))
    if need[1]:
        x2 = x.reshape(x.shape[0], -1) if flatten else x.reshape(-1, n_in)
        if x2.ndim != 2:
            x2 = x2.reshape(-1, n_in)
        res.append(xp.dot(g2.T, x2))
    if need[2]:
        res.append(xp.sum(g2, axis=0))
    return res[0] if len(res) == 1 else res


def _fc_backward_infer(g: Any, w: Any, x: Any, out: Any = None, flatten: bool = True,
                       act: str | None = None, need: tuple = (True, True, True)) -> list:
    shapes = [(tuple(x.shape), x.dtype), (tuple(w.shape), w.dtype),
              ((w.shape[0],), g.dtype)]
    return [sd for sd, n in zip(shapes, need) if n]


# no gradient of its own: under create_graph (recording), _fc_grad composes
# differentiable ops instead
def fc_flops(args: Any, params: dict) -> float:
    """fully_connected's product: x (rows, in_units) by the weight (units, in_units)."""
    x, w = args[0], args[1]
    return 2.0 * x.size * w.shape[0] if len(w.shape) == 2 else 0.0


def fc_backward_flops(args: Any, params: dict) -> float:
    """_fc_backward's products: dx = g w and dW = g^T x, each 2 * g.size * in_units."""
    g, w = args[0], args[1]
    if len(w.shape) != 2:
        return 0.0
    need = params.get("need", (True, True, True))
    return 2.0 * g.size * w.shape[1] if (need[0] or need[1]) else float(g.size)


_FC_BACKWARD = register("_fc_backward", _blas(_fc_backward_kernel, fc_backward_flops),
                        _fc_backward_infer, nout=3)


def _fc_grad(g: Any, out: Any, x: Any, w: Any, b: Any = None, flatten: bool = True,
             act: str | None = None):
    from .ndarray import apply_op
    from .tape import STATE

    if not STATE.recording:
        # one op for the gradients wanted (an op each for the products, the reshapes,
        # the transpose, the bias's sum and relu's mask otherwise)
        need = (_needs(0), _needs(1), b is not None and _needs(2))
        if not any(need):
            return None, None, None
        args = (g, w, x, out) if act == "relu" else (g, w, x)
        res = apply_op(_FC_BACKWARD, args, {"flatten": flatten, "act": act, "need": need})
        it = iter(res)
        return tuple(next(it) if n else None for n in need)
    F = _F()
    units, n_in = w.shape
    if act == "relu":
        g = apply_op(_RELU_BACKWARD, (g, out))
    g2 = g if g.ndim == 2 else _F().reshape(g, (-1, units))
    gx = gw = gb = None
    if _needs(0):
        gx = _F().reshape(F.dot(g2, w), x.shape)
    if _needs(1):
        x2 = _F().reshape(x, (x.shape[0], -1)) if flatten else _F().reshape(x, (-1, n_in))
        if x2.ndim != 2:
            x2 = _F().reshape(x2, (-1, n_in))
        gw = F.dot(F.transpose(g2), x2)
    if b is not None and _needs(2):
        gb = _F().sum(g2, axis=0)
    return gx, gw, gb


register("fully_connected", _blas(_fc_kernel, fc_flops), _fc_infer, _fc_grad)


def _relu_backward_grad(gg: Any, out: Any, g: Any, y: Any):
    from .ndarray import apply_op

    return apply_op(_RELU_BACKWARD, (gg, y)), None


_RELU_BACKWARD = register("_relu_backward", lambda xp, g, y: xp.multiply(g, y > 0),
                          lambda g, y: (tuple(g.shape), g.dtype), _relu_backward_grad)


# ----------------------------------------------------------------------------- softmax CE
# gluon.loss.SoftmaxCrossEntropyLoss with class-index labels, as one op forward (named
# after the loss) and one
# backward (unfused it is log_softmax, the label check, pick, negative, a weight and the
# mean over the non-batch axes: 5-6 ops, and about 14 in backward).  The kernels compute
# what the unfused chain computes, in its order, so float32 results are the same bit for
# bit (tests/gluon/test_loss_fused.py).  Attributes: *axis* (the classes) and
# *batch_axis* normalized, *weight* a number or None, *where* the device (for errors).
def class_indices(xp: Any, label: Any, classes: int, where: str) -> Any:
    """*label* truncated (as ``pick`` does), or an IndexError, named after
    SoftmaxCrossEntropyLoss, for a label outside [0, classes) (only the values tell,
    so at the sync point).  The fused op and gluon.loss's op-by-op check share it."""
    idx = label if label.dtype.kind in "iub" else xp.trunc(label)
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if not (lo >= 0 and hi < classes):          # NaN fails too
            bad = lo if not lo >= 0 else hi
            raise IndexError(
                f"SoftmaxCrossEntropyLoss: label {bad.item()!r} is not a class index: pred "
                f"has {classes} classes (0 to {classes - 1}) along its axis (label "
                f"{tuple(label.shape)} {label.dtype}; on {where})")
    return idx


def _sce_index(xp: Any, pred: Any, label: Any, axis: int, where: str) -> Any:
    """The labels as int64 class indices with pred's ndim (a 1 at *axis*)."""
    idx = class_indices(xp, label, pred.shape[axis], where)
    return xp.expand_dims(idx.astype(xp.int64), axis)


def _sce_axes(ndim: int, batch_axis: int) -> tuple[int, ...]:
    return tuple(i for i in range(ndim) if i != batch_axis)


def _sce_kernel(xp: Any, pred: Any, label: Any, axis: int, batch_axis: int,
                weight: Any, where: str) -> Any:
    from .ops import _log_softmax_k

    idx = _sce_index(xp, pred, label, axis, where)
    loss = -xp.take_along_axis(_log_softmax_k(xp, pred, axis=axis), idx, axis=axis)
    if weight is not None:
        loss = loss * weight
    return xp.mean(loss, axis=_sce_axes(pred.ndim, batch_axis))


def _sce_infer(pred: Any, label: Any, axis: int, batch_axis: int, weight: Any, where: str):
    sp, sl = tuple(pred.shape), tuple(label.shape)
    if len(sp) < 2 or not (0 <= axis < len(sp)) or not (0 <= batch_axis < len(sp)) or \
            axis == batch_axis:
        raise ShapeError(f"SoftmaxCrossEntropyLoss: pred {sp} needs a class axis ({axis}) "
                         f"apart from the batch axis ({batch_axis}) (on {where})")
    if sl != sp[:axis] + sp[axis + 1:]:
        raise ShapeError(f"SoftmaxCrossEntropyLoss: label of shape {sl} does not fit pred of "
                         f"shape {sp} without its class axis {axis} (on {where})")
    if pred.dtype.kind != "f":
        raise DTypeError(f"SoftmaxCrossEntropyLoss: pred must be floating-point, got "
                         f"{pred.dtype} (on {where})")
    return (sp[batch_axis],), pred.dtype


def _sce_grad(g: Any, out: Any, pred: Any, label: Any, axis: int, batch_axis: int,
              weight: Any, where: str):
    from .ndarray import apply_op
    from .tape import STATE

    attrs = {"axis": axis, "batch_axis": batch_axis, "weight": weight, "where": where}
    if STATE.recording:
        # a gradient of the gradient wanted (create_graph): the chain of differentiable
        # ops the fused backward computes at once
        F = _F()
        lsm = apply_op(OPS["log_softmax"], (pred,), {"axis": axis})
        shape = tuple(s if i == batch_axis else 1 for i, s in enumerate(pred.shape))
        count = pred.size // (pred.shape[axis] * pred.shape[batch_axis])
        gm = _F().reshape(g, shape) / count
        if weight is not None:
            gm = gm * weight
        idx = apply_op(_SCE_LABEL, (pred, label), attrs)
        oh = F.moveaxis(F.one_hot(idx, pred.shape[axis], dtype=pred.dtype), -1, axis)
        return F.exp(lsm) * gm - oh * gm, None
    return apply_op(_SCE_BACKWARD, (g, pred, label), attrs), None


def _sce_backward_kernel(xp: Any, g: Any, pred: Any, label: Any, axis: int, batch_axis: int,
                         weight: Any, where: str) -> Any:
    from .ops import _log_softmax_k

    idx = _sce_index(xp, pred, label, axis, where)
    shape = tuple(s if i == batch_axis else 1 for i, s in enumerate(pred.shape))
    count = pred.size // (pred.shape[axis] * pred.shape[batch_axis])
    gm = g.reshape(shape) / count            # the mean's gradient, then the weight's
    if weight is not None:
        gm = gm * weight
    gm = xp.broadcast_to(gm, idx.shape)
    r = xp.exp(_log_softmax_k(xp, pred, axis=axis))
    r *= gm                                  # softmax * g, then g off at the label
    at = xp.take_along_axis(r, idx, axis=axis)
    xp.put_along_axis(r, idx, at - gm, axis=axis)
    return r


_SCE_BACKWARD = register("_softmax_ce_backward", _sce_backward_kernel,
                         lambda g, pred, label, **_: (tuple(pred.shape), pred.dtype))
# the labels as class indices (int64, pred's ndim but the class axis dropped), checked:
# the create_graph path's one-hot
_SCE_LABEL = register("_softmax_ce_label",
                      lambda xp, pred, label, axis, where, **_: xp.squeeze(
                          _sce_index(xp, pred, label, axis, where), axis),
                      lambda pred, label, **_: (tuple(label.shape), _onp.dtype(_onp.int64)))
# named after the loss, as its errors are (op 'SoftmaxCrossEntropyLoss' ... failed: ...)
register("SoftmaxCrossEntropyLoss", _sce_kernel, _sce_infer, _sce_grad)


# ----------------------------------------------------------------------------- batch norm
def _bn_infer(x: Any, gamma: Any, beta: Any, mean: Any, var: Any, eps: float = 1e-3,
              fix_gamma: bool = True, training: bool = False, axis: int = 1,
              momentum: float = 0.9):
    if len(x.shape) < 1:
        raise ShapeError("batch_norm: the input must have at least 1 dimension")
    ax = norm_axis(axis, len(x.shape), "batch_norm")
    c = x.shape[ax]
    for what, a in (("gamma", gamma), ("beta", beta), ("moving_mean", mean),
                    ("moving_var", var)):
        _check_vec("batch_norm", what, a, c)
    _check_float("batch_norm", x, gamma, beta, mean, var)
    return [(tuple(x.shape), x.dtype), ((c,), mean.dtype), ((c,), mean.dtype)]


def _bn_rows(x: Any, ax: int) -> Any:
    """*x* seen as (outer, C, inner) around the normalized axis (a view: no copy)."""
    return x.reshape(_prod_of(x.shape[:ax]), x.shape[ax], _prod_of(x.shape[ax + 1:]))


# The elementwise passes of batch norm run a block of rows at a time (about 1 MB of
# float32), so each block's passes after the first find it in cache.
_BN_BLOCK = 1 << 18


def _row_blocks(a3: Any):
    """Slices of the first axis of an (outer, C, inner) array, ~_BN_BLOCK elements each."""
    per = max(1, a3.shape[1] * a3.shape[2])
    step = max(1, _BN_BLOCK // per)
    for i in range(0, a3.shape[0], step):
        yield slice(i, i + step)


def _prod_of(shape: Any) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _chan_sums(xp: Any, a3: Any, b3: Any = None) -> Any:
    """Per channel of (outer, C, inner) arrays: sum(a), or sum(a * b) without the
    product's temporary (an einsum over the contiguous inner axis); each row summed in
    the data's dtype, the rows in float64 (so a long batch loses no precision)."""
    rows = a3.sum(axis=2) if b3 is None else xp.einsum("ocs,ocs->oc", a3, b3)
    return rows.sum(axis=0, dtype=xp.float64)


# Channels whose |mean| exceeds this many standard deviations get their second moment
# (and the gradient's sum(g (x - mean))) in two passes: the one-pass formulas lose
# about (mean / std)^2 ulps to cancellation.
_BN_ONE_PASS = 10.0


def _bn_stats(xp: Any, x: Any, mean: Any, var: Any, eps: float, training: bool, ax: int,
              acc: Any) -> tuple[Any, Any]:
    """Batch mean and 1/sqrt(var + eps) per channel.  Training: one pass for sum(x) and
    sum(x^2) (no temporaries); a channel whose variance that formula would lose to
    cancellation is computed again in two passes."""
    if not training:
        m, v = mean.astype(acc, copy=False), var.astype(acc, copy=False)
        return m, 1 / xp.sqrt(v + eps)
    x3 = _bn_rows(x.astype(acc, copy=False), ax)
    n = x3.shape[0] * x3.shape[2]
    m = _chan_sums(xp, x3) / n
    v = xp.maximum(_chan_sums(xp, x3, x3) / n - m * m, 0)
    bad = v * _BN_ONE_PASS ** 2 < m * m
    if bool(bad.any()):
        # the mean again too: its rows were summed in the data's dtype, which loses
        # |mean| ulps; x - hi is exact (x and the mean's float32 value are close) and
        # small, so its mean corrects the first one
        hi = m[bad].astype(acc)
        d = x3[:, bad, :] - hi[None, :, None]
        corr = _chan_sums(xp, d) / n
        m[bad] = hi + corr
        d -= corr.astype(acc)[None, :, None]
        v[bad] = _chan_sums(xp, d, d) / n
    return m, (1 / xp.sqrt(v + eps)).astype(acc)         # (the mean kept in float64)


def _bn_kernel(xp: Any, x: Any, gamma: Any, beta: Any, mean: Any, var: Any, eps: float = 1e-3,
               fix_gamma: bool = True, training: bool = False, axis: int = 1,
               momentum: float = 0.9) -> Any:
    ax = axis % x.ndim
    acc = xp.result_type(x.dtype, xp.float32)
    m, inv = _bn_stats(xp, x, mean, var, eps, training, ax, acc)
    scale = inv if fix_gamma else inv * gamma.astype(acc, copy=False)
    x3 = _bn_rows(x.astype(acc, copy=False), ax)
    out = xp.empty(x3.shape, dtype=acc)
    # out = (x - m) * scale + beta with the mean taken off first, in two parts: x - hi
    # is exact (x and the mean's float32 value hi are close) and the low part m - hi
    # goes into the bias; x * scale + (beta - m * scale) lost |m * scale| ulps to
    # cancellation (float32 data near 1000 with a small spread: 3.4e-3 off, found by
    # Hypothesis)
    hi = m.astype(acc)
    lo = (m - hi).astype(acc)
    mc, sc = hi[None, :, None], scale[None, :, None]
    bc = (beta.astype(acc) - lo * scale)[None, :, None]
    for sl in _row_blocks(x3):
        o = out[sl]
        xp.subtract(x3[sl], mc, out=o)
        o *= sc
        o += bc
    return (out.reshape(x.shape).astype(x.dtype, copy=False), m.astype(mean.dtype),
            inv.astype(mean.dtype))


def _bn_backward_kernel(xp: Any, g: Any, x: Any, gamma: Any, m: Any, inv: Any,
                        fix_gamma: bool = True, training: bool = False, axis: int = 1) -> Any:
    # With xhat = (x - m) * inv, per channel: dbeta = sum(g), dgamma = sum(g * xhat) =
    # (sum(g x) - m sum(g)) inv, and (training) dx = k (g - dbeta/n - xhat dgamma/n)
    # with k = gamma inv: an affine map a g + b x + c per channel, two passes over the
    # data for the sums and three for dx.
    ax = axis % x.ndim
    acc = xp.result_type(x.dtype, xp.float32)
    g3 = _bn_rows(g.astype(acc, copy=False), ax)
    x3 = _bn_rows(x.astype(acc, copy=False), ax)
    n = g3.shape[0] * g3.shape[2]
    ma, inva = m.astype(acc), inv.astype(acc)
    dbeta = _chan_sums(xp, g3)
    sgx = _chan_sums(xp, g3, x3) - ma * dbeta                 # sum(g (x - m))
    bad = (ma * inva) ** 2 > _BN_ONE_PASS ** 2
    if bool(bad.any()):
        d = x3[:, bad, :] - ma[bad][None, :, None]
        sgx[bad] = _chan_sums(xp, g3[:, bad, :], d)
    dbeta, dgamma = dbeta.astype(acc), sgx.astype(acc) * inva
    gam = xp.ones_like(inva) if fix_gamma else gamma.astype(acc)
    k = gam * inva
    dx = xp.empty(g3.shape, dtype=acc)
    kk = k[None, :, None]
    if training:
        b = (-k * inva * dgamma / n)[None, :, None]
        c = (-k * dbeta / n)[None, :, None] - b * ma[None, :, None]
    tmp = None
    for sl in _row_blocks(g3):
        d = dx[sl]
        xp.multiply(g3[sl], kk, out=d)
        if training:
            if tmp is None or tmp.shape != d.shape:
                tmp = xp.empty(d.shape, dtype=acc)
            xp.multiply(x3[sl], b, out=tmp)
            d += tmp
            d += c
    if fix_gamma:
        dgamma = xp.zeros_like(dgamma)
    return (dx.reshape(x.shape).astype(x.dtype, copy=False), dgamma.astype(gamma.dtype),
            dbeta.astype(gamma.dtype))


def _bn_backward_infer(g: Any, x: Any, gamma: Any, m: Any, inv: Any, fix_gamma: bool = True,
                       training: bool = False, axis: int = 1):
    c = tuple(gamma.shape)
    return [(tuple(x.shape), x.dtype), (c, gamma.dtype), (c, gamma.dtype)]


_BN_BACKWARD = register("_batch_norm_backward", _bn_backward_kernel, _bn_backward_infer,
                        nout=3)


def _bn_running_kernel(xp: Any, mean: Any, var: Any, m: Any, inv: Any, momentum: float,
                       eps: float) -> Any:
    batch_var = 1 / (inv.astype(xp.float64) ** 2) - eps
    new_m = mean * momentum + m.astype(mean.dtype) * (1 - momentum)
    new_v = var * momentum + batch_var.astype(var.dtype) * (1 - momentum)
    return new_m.astype(mean.dtype, copy=False), new_v.astype(var.dtype, copy=False)


_BN_RUNNING = register("_batch_norm_running", _bn_running_kernel,
                       lambda mean, var, m, inv, momentum, eps:
                       [(tuple(mean.shape), mean.dtype), (tuple(var.shape), var.dtype)],
                       nout=2)


def _bn_grad(g: Any, out: Any, x: Any, gamma: Any, beta: Any, mean: Any, var: Any,
             eps: float = 1e-3, fix_gamma: bool = True, training: bool = False,
             axis: int = 1, momentum: float = 0.9):
    from .ndarray import apply_op, copy_into

    gy = g[0]
    m, inv = out[1], out[2]
    if training:
        # MXNet 1.9.1 (CPU) updates the moving statistics in the backward pass
        new_m, new_v = apply_op(_BN_RUNNING, (mean, var, m, inv),
                                {"momentum": momentum, "eps": eps})
        copy_into(new_m, mean)
        copy_into(new_v, var)
    if gy is None:
        return None, None, None, None, None
    dx, dgamma, dbeta = apply_op(_BN_BACKWARD, (gy, x, gamma, m, inv),
                                 {"fix_gamma": fix_gamma, "training": training, "axis": axis})
    return dx, dgamma, dbeta, None, None


register("batch_norm", _bn_kernel, _bn_infer, _bn_grad, nout=3, grad_needs_outputs=True)


# ----------------------------------------------------------------------------- layer norm
def _ln_infer(x: Any, gamma: Any, beta: Any, axis: int = -1, eps: float = 1e-5):
    if len(x.shape) < 1:
        raise ShapeError("layer_norm: the input must have at least 1 dimension")
    ax = norm_axis(axis, len(x.shape), "layer_norm")
    c = x.shape[ax]
    _check_vec("layer_norm", "gamma", gamma, c)
    _check_vec("layer_norm", "beta", beta, c)
    _check_float("layer_norm", x, gamma, beta)
    stat = tuple(1 if i == ax else s for i, s in enumerate(x.shape))
    return [(tuple(x.shape), x.dtype), (stat, x.dtype), (stat, x.dtype)]


def _ln_kernel(xp: Any, x: Any, gamma: Any, beta: Any, axis: int = -1, eps: float = 1e-5):
    ax = axis % x.ndim
    acc = xp.result_type(x.dtype, xp.float32)
    xa = x.astype(acc, copy=False)
    m = xa.mean(axis=ax, keepdims=True)
    d = xa - m
    std = xp.sqrt((d * d).mean(axis=ax, keepdims=True) + eps)
    shape = _chan_shape(x.ndim, ax, x.shape[ax])
    out = d / std * gamma.astype(acc).reshape(shape) + beta.astype(acc).reshape(shape)
    return out.astype(x.dtype, copy=False), m.astype(x.dtype), std.astype(x.dtype)


def _ln_backward_kernel(xp: Any, g: Any, x: Any, gamma: Any, m: Any, std: Any,
                        axis: int = -1) -> Any:
    ax = axis % x.ndim
    red = tuple(i for i in range(x.ndim) if i != ax)
    acc = xp.result_type(x.dtype, xp.float32)
    shape = _chan_shape(x.ndim, ax, x.shape[ax])
    ga = g.astype(acc, copy=False)
    inv = 1 / std.astype(acc)
    xhat = (x.astype(acc, copy=False) - m.astype(acc)) * inv
    dgamma = (ga * xhat).sum(axis=red)
    dbeta = ga.sum(axis=red)
    dxhat = ga * gamma.astype(acc).reshape(shape)
    dx = inv * (dxhat - dxhat.mean(axis=ax, keepdims=True)
                - xhat * (dxhat * xhat).mean(axis=ax, keepdims=True))
    return dx.astype(x.dtype, copy=False), dgamma.astype(gamma.dtype), dbeta.astype(gamma.dtype)


_LN_BACKWARD = register("_layer_norm_backward", _ln_backward_kernel,
                        lambda g, x, gamma, m, std, axis=-1:
                        [(tuple(x.shape), x.dtype), (tuple(gamma.shape), gamma.dtype),
                         (tuple(gamma.shape), gamma.dtype)], nout=3)


def _ln_grad(g: Any, out: Any, x: Any, gamma: Any, beta: Any, axis: int = -1,
             eps: float = 1e-5):
    from .ndarray import apply_op

    if g[0] is None:
        return None, None, None
    return tuple(apply_op(_LN_BACKWARD, (g[0], x, gamma, out[1], out[2]), {"axis": axis}))


register("layer_norm", _ln_kernel, _ln_infer, _ln_grad, nout=3, grad_needs_outputs=True)


# ----------------------------------------------------------------------------- group norm
# (N, C, *sp) seen as (N, G, C/G * prod(sp)): each sample's group of channels is
# normalized over the group and the spatial axes, then scaled and shifted per channel
# (gamma, beta of shape (C,)) or per group (shape (G,): MXNet 1.9.1's GroupNorm).
# instance_norm is this op with one group per channel.
def _gn_infer(x: Any, gamma: Any, beta: Any, num_groups: int = 1, eps: float = 1e-5):
    sx = tuple(x.shape)
    if len(sx) < 2:
        raise ShapeError(f"group_norm: data {sx} must have at least 2 axes (N, C, ...)")
    c, g = sx[1], int(num_groups)
    if g < 1 or c % g:
        raise ShapeError(f"group_norm: num_groups={num_groups} must divide the {c} channels "
                         f"of data {sx}")
    for what, a in (("gamma", gamma), ("beta", beta)):
        if tuple(a.shape) not in ((c,), (g,)):
            raise ShapeError(f"group_norm: {what} has shape {tuple(a.shape)}, expected ({c},) "
                             f"(per channel) or ({g},) (per group) for data {sx}")
    if tuple(gamma.shape) != tuple(beta.shape):
        raise ShapeError(f"group_norm: gamma {tuple(gamma.shape)} and beta "
                         f"{tuple(beta.shape)} must have one shape")
    _check_float("group_norm", x, gamma, beta)
    stat = (sx[0], g)
    return [(sx, x.dtype), (stat, x.dtype), (stat, x.dtype)]


def _per_channel(xp: Any, v: Any, c: int, ndim: int, acc: Any) -> Any:
    v = v.astype(acc, copy=False)
    if v.shape[0] != c:
        v = xp.repeat(v, c // v.shape[0])
    return v.reshape((1, c) + (1,) * (ndim - 2))


def _gn_kernel(xp: Any, x: Any, gamma: Any, beta: Any, num_groups: int = 1,
               eps: float = 1e-5):
    n, c = x.shape[:2]
    acc = xp.result_type(x.dtype, xp.float32)
    xg = x.astype(acc, copy=False).reshape(n, num_groups, -1)
    m = xg.mean(axis=2, keepdims=True)
    d = xg - m
    std = xp.sqrt((d * d).mean(axis=2, keepdims=True) + eps)
    y = (d / std).reshape(x.shape)
    y = y * _per_channel(xp, gamma, c, x.ndim, acc) + _per_channel(xp, beta, c, x.ndim, acc)
    return (y.astype(x.dtype, copy=False), m.reshape(n, num_groups).astype(x.dtype),
            std.reshape(n, num_groups).astype(x.dtype))


def _gn_backward_kernel(xp: Any, g: Any, x: Any, gamma: Any, m: Any, std: Any,
                        num_groups: int = 1) -> Any:
    n, c = x.shape[:2]
    acc = xp.result_type(x.dtype, xp.float32)
    ga = g.astype(acc, copy=False)
    inv = 1 / std.astype(acc).reshape(n, num_groups, 1)
    xhat = (x.astype(acc, copy=False).reshape(n, num_groups, -1)
            - m.astype(acc).reshape(n, num_groups, 1)) * inv
    xhat_c = xhat.reshape(x.shape)
    red = (0,) + tuple(range(2, x.ndim))
    dgamma = (ga * xhat_c).sum(axis=red)                       # per channel
    dbeta = ga.sum(axis=red)
    if gamma.shape[0] != c:                                    # per group
        dgamma = dgamma.reshape(num_groups, -1).sum(axis=1)
        dbeta = dbeta.reshape(num_groups, -1).sum(axis=1)
    dxhat = (ga * _per_channel(xp, gamma, c, x.ndim, acc)).reshape(n, num_groups, -1)
    dx = inv * (dxhat - dxhat.mean(axis=2, keepdims=True)
                - xhat * (dxhat * xhat).mean(axis=2, keepdims=True))
    return (dx.reshape(x.shape).astype(x.dtype, copy=False), dgamma.astype(gamma.dtype),
            dbeta.astype(gamma.dtype))


_GN_BACKWARD = register("_group_norm_backward", _gn_backward_kernel,
                        lambda g, x, gamma, m, std, num_groups=1:
                        [(tuple(x.shape), x.dtype), (tuple(gamma.shape), gamma.dtype),
                         (tuple(gamma.shape), gamma.dtype)], nout=3)


def _gn_grad(g: Any, out: Any, x: Any, gamma: Any, beta: Any, num_groups: int = 1,
             eps: float = 1e-5):
    from .ndarray import apply_op

    if g[0] is None:
        return None, None, None
    return tuple(apply_op(_GN_BACKWARD, (g[0], x, gamma, out[1], out[2]),
                          {"num_groups": num_groups}))


register("group_norm", _gn_kernel, _gn_infer, _gn_grad, nout=3, grad_needs_outputs=True)


# ----------------------------------------------------------------------------- masked softmax
# softmax / log_softmax along *axis* over the entries where *mask* (broadcast to the
# data) is true; the others are 0 (softmax) or -inf (log_softmax), as MXNet 2's
# npx.masked_softmax / masked_log_softmax.  A row with nothing kept: all 0 / all -inf.
def _masked_infer(name: str) -> Any:
    def infer(a: Any, mask: Any, axis: int = -1, temperature: float = 1.0):
        sa, sm = tuple(a.shape), tuple(mask.shape)
        if len(sa) < 1:
            raise ShapeError(f"{name}: data must have at least 1 axis, got shape {sa}")
        norm_axis(axis, len(sa), name)
        try:
            bs = _onp.broadcast_shapes(sa, sm)
        except ValueError:
            bs = None
        if bs != sa:
            raise ShapeError(f"{name}: mask {sm} does not broadcast to the data's shape {sa}")
        if a.dtype.kind != "f":
            raise DTypeError(f"{name}: data must be floating-point, got {a.dtype}")
        if mask.dtype.kind not in "biuf":
            raise DTypeError(f"{name}: mask must be bool or numbers, got {mask.dtype}")
        return sa, a.dtype
    return infer


def _masked_parts(xp: Any, a: Any, mask: Any, axis: int, temperature: float):
    acc = xp.result_type(a.dtype, xp.float32)
    a = a.astype(acc, copy=False)
    if temperature != 1.0:
        a = a / temperature
    keep = xp.broadcast_to(mask.astype(bool, copy=False), a.shape)
    am = xp.where(keep, a, -xp.inf)
    mx = am.max(axis=axis, keepdims=True)
    mx = xp.where(xp.isfinite(mx), mx, 0)
    e = xp.where(keep, xp.exp(am - mx), 0)
    return keep, am, mx, e, e.sum(axis=axis, keepdims=True)


def _masked_softmax_kernel(xp: Any, a: Any, mask: Any, axis: int = -1,
                           temperature: float = 1.0) -> Any:
    _, _, _, e, s = _masked_parts(xp, a, mask, axis, temperature)
    return (e / xp.where(s == 0, 1, s)).astype(a.dtype, copy=False)


def _masked_log_softmax_kernel(xp: Any, a: Any, mask: Any, axis: int = -1,
                               temperature: float = 1.0) -> Any:
    keep, am, mx, _, s = _masked_parts(xp, a, mask, axis, temperature)
    with _quiet(xp):
        r = xp.where(keep, am - mx - xp.log(s), -xp.inf)
    return r.astype(a.dtype, copy=False)


def _masked_softmax_grad(g: Any, out: Any, a: Any, mask: Any, axis: int = -1,
                         temperature: float = 1.0):
    r = out * (g - _F().sum((g * out), axis=axis, keepdims=True))
    return (r / temperature if temperature != 1.0 else r), None


def _masked_log_softmax_grad(g: Any, out: Any, a: Any, mask: Any, axis: int = -1,
                             temperature: float = 1.0):
    from .ndarray import apply_op

    keep = mask if mask.dtype.kind == "b" else apply_op(OPS["not_equal"], (mask, 0))
    gm = g * _F().astype(keep, g.dtype)
    p = apply_op(OPS["exp"], (out,))                 # the softmax; 0 where masked
    r = gm - p * _F().sum(gm, axis=axis, keepdims=True)
    return (r / temperature if temperature != 1.0 else r), None


register("masked_softmax", _masked_softmax_kernel, _masked_infer("masked_softmax"),
         _masked_softmax_grad)
register("masked_log_softmax", _masked_log_softmax_kernel,
         _masked_infer("masked_log_softmax"), _masked_log_softmax_grad)


# ----------------------------------------------------------------------------- embedding
def _emb_infer(data: Any, weight: Any):
    if len(weight.shape) != 2:
        raise ShapeError(f"embedding: weight must be 2-D (input_dim, output_dim), got "
                         f"{tuple(weight.shape)}")
    if data.dtype.kind not in "biuf":
        raise DTypeError(f"embedding: indices must be numbers, got {data.dtype}")
    return tuple(data.shape) + (weight.shape[1],), weight.dtype


def _emb_index(xp: Any, data: Any, n: int) -> Any:
    return xp.clip(data.astype(xp.int64), 0, n - 1)


def _emb_kernel(xp: Any, data: Any, weight: Any) -> Any:
    return xp.take(weight, _emb_index(xp, data, weight.shape[0]), axis=0)


def _emb_backward_kernel(xp: Any, g: Any, data: Any, rows: int) -> Any:
    """The weight gradient: each index's rows of *g* summed into its row.  When the
    table has at most _EMB_BINCOUNT_ROWS rows per index, one ``bincount`` over the flat
    (row, column) cells (summed in float64, rounded once) instead of ``add.at``, whose
    per-element path is slow: the LSTM benchmark's 1,120 indices into (1000, 256),
    float32, 3.0 -> 0.9 ms; 20,000 into (50, 32) 7.1 -> 1.8 ms; but 64 into (10000,
    100) 0.14 ms against 0.43 (the float64 table it fills), so add.at there."""
    d = g.shape[-1]
    idx = _emb_index(xp, data, rows).reshape(-1)
    g2 = g.reshape(-1, d)
    if g.dtype.kind == "f" and rows <= _EMB_BINCOUNT_ROWS * max(idx.shape[0], 1):
        flat = (idx[:, None] * d + xp.arange(d)).reshape(-1)
        out = xp.bincount(flat, weights=g2.reshape(-1), minlength=rows * d)
        return out.astype(g.dtype, copy=False).reshape(rows, d)
    out = xp.zeros((rows, d), dtype=g.dtype)
    _add_at(xp, out, idx, g2)
    return out


_EMB_BINCOUNT_ROWS = 4


_EMB_BACKWARD = register("_embedding_backward", _emb_backward_kernel,
                         lambda g, data, rows: ((rows, g.shape[-1]), g.dtype))


def _emb_grad(g: Any, out: Any, data: Any, weight: Any):
    from .ndarray import apply_op

    return None, apply_op(_EMB_BACKWARD, (g, data), {"rows": weight.shape[0]})


register("embedding", _emb_kernel, _emb_infer, _emb_grad)


# ----------------------------------------------------------------------------- sequence mask
def _seq_mask_infer(data: Any, length: Any, value: float = 0.0, axis: int = 0):
    if axis not in (0, 1):
        raise ShapeError(f"sequence_mask: axis must be 0 or 1, got {axis}")
    if len(data.shape) < 2:
        raise ShapeError(f"sequence_mask: data must have at least 2 dimensions "
                         f"(sequence, batch, ...), got {tuple(data.shape)}")
    b = data.shape[1 - axis]
    if tuple(length.shape) != (b,):
        raise ShapeError(f"sequence_mask: sequence_length has shape {tuple(length.shape)}, "
                         f"expected ({b},) for data {tuple(data.shape)} with axis={axis}")
    return tuple(data.shape), data.dtype


def _seq_mask_kernel(xp: Any, data: Any, length: Any, value: float = 0.0, axis: int = 0):
    t = data.shape[axis]
    steps = xp.arange(t)
    lens = length.astype(xp.int64)
    keep = steps[:, None] < lens[None, :] if axis == 0 else steps[None, :] < lens[:, None]
    keep = keep.reshape(keep.shape + (1,) * (data.ndim - 2))
    return xp.where(keep, data, xp.asarray(value, dtype=data.dtype))


def _seq_mask_grad(g: Any, out: Any, data: Any, length: Any, value: float = 0.0,
                   axis: int = 0):
    from .ndarray import apply_op

    return apply_op(_SEQ_MASK, (g, length), {"value": 0.0, "axis": axis}), None


_SEQ_MASK = register("sequence_mask", _seq_mask_kernel, _seq_mask_infer, _seq_mask_grad)


# ----------------------------------------------------------------------------- softmax + length
def _length_mask(xp: Any, a: Any, length: Any, axis: int) -> Any:
    ax = axis % a.ndim
    n = a.shape[ax]
    steps = xp.arange(n).reshape(_chan_shape(a.ndim, ax, n))
    return steps < xp.expand_dims(length.astype(xp.int64), ax)


def _sml_infer(name: str):
    def infer(a: Any, length: Any, axis: int = -1, temperature: Any = None):
        ax = norm_axis(axis, len(a.shape), name)
        want = tuple(s for i, s in enumerate(a.shape) if i != ax)
        if tuple(length.shape) != want:
            raise ShapeError(f"{name}: length has shape {tuple(length.shape)}, expected "
                             f"{want} (the data's shape {tuple(a.shape)} without axis {ax})")
        if length.dtype.kind not in "biuf":
            raise DTypeError(f"{name}: length must be numbers, got {length.dtype}")
        return tuple(a.shape), _float_dt(a.dtype)
    return infer


def _sml_parts(xp: Any, a: Any, length: Any, axis: int, temperature: Any):
    if a.dtype.kind not in "f":
        a = a.astype(xp.float32)
    if temperature is not None and temperature != 1.0:
        a = a / temperature
    keep = _length_mask(xp, a, length, axis)
    neg = xp.asarray(-xp.inf, dtype=a.dtype)
    am = xp.where(keep, a, neg)
    mx = am.max(axis=axis, keepdims=True)
    mx = xp.where(xp.isfinite(mx), mx, 0)
    e = xp.where(keep, xp.exp(am - mx), 0)
    s = e.sum(axis=axis, keepdims=True)
    return keep, am, mx, e, s


def _softmax_length_kernel(xp: Any, a: Any, length: Any, axis: int = -1,
                           temperature: Any = None) -> Any:
    keep, am, mx, e, s = _sml_parts(xp, a, length, axis, temperature)
    return e / xp.where(s == 0, 1, s)


def _log_softmax_length_kernel(xp: Any, a: Any, length: Any, axis: int = -1,
                               temperature: Any = None) -> Any:
    keep, am, mx, e, s = _sml_parts(xp, a, length, axis, temperature)
    return xp.where(keep, am - mx - xp.log(xp.where(s == 0, 1, s)), 0)


def _softmax_length_grad(g: Any, out: Any, a: Any, length: Any, axis: int = -1,
                         temperature: Any = None):
    r = out * (g - _F().sum((g * out), axis=axis, keepdims=True))
    return (r / temperature if temperature not in (None, 1.0) else r), None


def _log_softmax_length_grad(g: Any, out: Any, a: Any, length: Any, axis: int = -1,
                             temperature: Any = None):
    from .ndarray import apply_op

    gm = apply_op(_MASK_LIKE, (g, length), {"axis": axis})
    p = apply_op(_SOFTMAX_LENGTH, (a, length), {"axis": axis, "temperature": temperature})
    r = gm - p * _F().sum(gm, axis=axis, keepdims=True)
    return (r / temperature if temperature not in (None, 1.0) else r), None


_MASK_LIKE = register("_length_mask_mul",
                      lambda xp, g, length, axis=-1:
                      xp.where(_length_mask(xp, g, length, axis), g, 0),
                      lambda g, length, axis=-1: (tuple(g.shape), g.dtype))
_SOFTMAX_LENGTH = register("softmax_length", _softmax_length_kernel,
                           _sml_infer("softmax"), _softmax_length_grad)
register("log_softmax_length", _log_softmax_length_kernel, _sml_infer("log_softmax"),
         _log_softmax_length_grad)


# ----------------------------------------------------------------------------- activations
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _same_float(a: Any, **_: Any):
    if a.dtype.kind not in "f":
        raise DTypeError(f"expected a floating-point array, got {a.dtype}")
    return tuple(a.shape), a.dtype


def _elu_k(xp: Any, a: Any, slope: float = 0.25) -> Any:
    return xp.where(a > 0, a, slope * xp.expm1(xp.minimum(a, 0)))


register("elu", _elu_k, _same_float,
         lambda g, out, a, slope=0.25: (_F().where(a > 0, g, g * (out + slope)),))


def _selu_k(xp: Any, a: Any) -> Any:
    return _SELU_SCALE * xp.where(a > 0, a, _SELU_ALPHA * xp.expm1(xp.minimum(a, 0)))


register("selu", _selu_k, _same_float,
         lambda g, out, a: (_F().where(a > 0, g * _SELU_SCALE,
                                        g * (out + _SELU_SCALE * _SELU_ALPHA)),))


def _gelu_k(xp: Any, a: Any) -> Any:
    return (0.5 * a * (1 + _erf(xp, a / math.sqrt(2)))).astype(a.dtype, copy=False)


def _gelu_grad(g: Any, out: Any, a: Any):
    from .ndarray import apply_op

    F = _F()
    cdf = 0.5 * (1 + apply_op(_ERF, (a / math.sqrt(2),)))
    pdf = F.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    return (g * (cdf + a * pdf),)


register("gelu", _gelu_k, _same_float, _gelu_grad)


def _prelu_infer(x: Any, gamma: Any):
    _same_float(x)
    n = 1
    for s in gamma.shape:
        n *= s
    if len(gamma.shape) != 1 or not (n == 1 or (len(x.shape) >= 2 and x.shape[1] == n)):
        ch = x.shape[1] if len(x.shape) >= 2 else None
        raise ShapeError(f"leaky_relu: prelu gamma has shape {tuple(gamma.shape)}, expected "
                         f"(1,) or ({ch},) (the channels, axis 1 of {tuple(x.shape)})")
    return tuple(x.shape), x.dtype


def _prelu_k(xp: Any, x: Any, gamma: Any) -> Any:
    gb = gamma.reshape(-1)[0] if gamma.size == 1 else \
        gamma.reshape((1, -1) + (1,) * (x.ndim - 2))
    return xp.where(x > 0, x, x * gb).astype(x.dtype, copy=False)


def _prelu_grad(g: Any, out: Any, x: Any, gamma: Any):
    F = _F()
    if gamma.size == 1:
        gb = _F().reshape(gamma, ())
        gg = _F().reshape(_F().sum(F.where(x > 0, 0, x * g)), gamma.shape) if _needs(1) else None
    else:
        gb = _F().reshape(gamma, (1, -1) + (1,) * (x.ndim - 2))
        red = tuple(i for i in range(x.ndim) if i != 1)
        gg = _F().sum(F.where(x > 0, 0, x * g), axis=red) if _needs(1) else None
    gx = F.where(x > 0, g, g * gb) if _needs(0) else None
    return gx, gg


register("prelu", _prelu_k, _prelu_infer, _prelu_grad)


# ----------------------------------------------------------------------------- special functions
def _erf(xp: Any, x: Any) -> Any:
    """erf in float64: its Taylor series below 2.5, 1 - erfc by a continued fraction above."""
    z = x.astype(xp.float64)
    a = xp.abs(z)
    s = xp.minimum(a, 2.5)
    s2 = s * s
    term = s.copy()
    total = s.copy()
    for n in range(1, 42):
        term = term * (-s2 / n)
        total = total + term / (2 * n + 1)
    small = total * (2 / _SQRT_PI)
    b = xp.maximum(a, 2.5)
    f = b.copy()
    for k in range(50, 0, -1):
        f = b + (k / 2) / f
    big = 1 - xp.exp(-b * b) / (_SQRT_PI * f)
    return xp.sign(z) * xp.where(a < 2.5, small, big)


_GILES_LOW = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
              -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_HIGH = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
               0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _erfinv(xp: Any, y: Any) -> Any:
    """erfinv in float64: Giles' single-precision start, then Newton steps on erf."""
    y = y.astype(xp.float64)
    inside = xp.abs(y) < 1
    yc = xp.where(inside, y, 0.0)
    w = -xp.log((1 - yc) * (1 + yc))
    wl = w - 2.5
    wh = xp.sqrt(w) - 3
    pl = xp.full_like(w, _GILES_LOW[0])
    ph = xp.full_like(w, _GILES_HIGH[0])
    for cl, ch in zip(_GILES_LOW[1:], _GILES_HIGH[1:]):
        pl = cl + pl * wl
        ph = ch + ph * wh
    x = xp.where(w < 5, pl, ph) * yc
    for _ in range(2):
        x = x - (_erf(xp, x) - yc) / ((2 / _SQRT_PI) * xp.exp(-x * x))
    edge = xp.where(xp.abs(y) == 1, xp.sign(y) * xp.inf, xp.nan)
    return xp.where(inside, x, edge)


_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)


def _lgamma_pos(xp: Any, x: Any) -> Any:
    """log(gamma(x)) for x >= 0.5 (Lanczos, g=7)."""
    z = x - 1
    a = xp.full_like(z, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], start=1):
        a = a + c / (z + i)
    t = z + _LANCZOS_G + 0.5
    return 0.5 * math.log(2 * math.pi) + (z + 0.5) * xp.log(t) - t + xp.log(a)


def _nonpos_int(xp: Any, x: Any) -> Any:
    return (x <= 0) & (x == xp.floor(x))


def _gammaln(xp: Any, x: Any) -> Any:
    x = x.astype(xp.float64)
    pos = x >= 0.5
    xp_ = xp.where(pos, x, 1.0)
    xn = xp.where(pos, 0.25, x)
    refl = xp.log(math.pi / xp.abs(xp.sin(math.pi * xn))) - _lgamma_pos(xp, 1 - xn)
    r = xp.where(pos, _lgamma_pos(xp, xp_), refl)
    return xp.where(_nonpos_int(xp, x), xp.inf, r)


def _gamma(xp: Any, x: Any) -> Any:
    x = x.astype(xp.float64)
    pos = x >= 0.5
    xp_ = xp.where(pos, x, 1.0)
    xn = xp.where(pos, 0.25, x)
    with _quiet(xp):
        g_pos = xp.exp(_lgamma_pos(xp, xp_))
        refl = math.pi / (xp.sin(math.pi * xn) * xp.exp(_lgamma_pos(xp, 1 - xn)))
    r = xp.where(pos, g_pos, refl)
    r = xp.where(_nonpos_int(xp, x), xp.nan, r)
    return xp.where(x == 0, xp.inf, r)


def _digamma(xp: Any, x: Any) -> Any:
    x = x.astype(xp.float64)
    pos = x >= 0.5
    xr = xp.where(pos, x, 1 - x)
    acc = xp.zeros_like(xr)
    for i in range(6):
        acc = acc - 1 / (xr + i)
    y = xr + 6
    y2 = 1 / (y * y)
    series = xp.log(y) - 0.5 / y - y2 * (1 / 12 - y2 * (1 / 120 - y2 * (1 / 252 - y2 * (
        1 / 240 - y2 / 132))))
    psi = acc + series
    with _quiet(xp):
        refl = psi - math.pi / xp.tan(math.pi * xp.where(pos, 0.25, x))
    r = xp.where(pos, psi, refl)
    return xp.where(_nonpos_int(xp, x), xp.nan, r)


def _special(fn: Any) -> Any:
    def kernel(xp: Any, a: Any) -> Any:
        dt = a.dtype if a.dtype.kind == "f" else xp.float32
        with _quiet(xp):
            return fn(xp, a).astype(dt)
    return kernel


def _float_infer(a: Any, **_: Any):
    if a.dtype.kind not in "biuf":
        raise DTypeError(f"expected a real array, got {a.dtype}")
    return tuple(a.shape), _float_dt(a.dtype)


def _erf_grad(g: Any, out: Any, a: Any):
    F = _F()
    return (g * (2 / _SQRT_PI) * F.exp(-(a * a)),)


def _erfinv_grad(g: Any, out: Any, a: Any):
    F = _F()
    return (g * (_SQRT_PI / 2) * F.exp(out * out),)


def _gamma_grad(g: Any, out: Any, a: Any):
    from .ndarray import apply_op

    return (g * out * apply_op(_DIGAMMA, (a,)),)


def _gammaln_grad(g: Any, out: Any, a: Any):
    from .ndarray import apply_op

    return (g * apply_op(_DIGAMMA, (a,)),)


_ERF = register("erf", _special(_erf), _float_infer, _erf_grad)
register("erfinv", _special(_erfinv), _float_infer, _erfinv_grad)
register("gamma", _special(_gamma), _float_infer, _gamma_grad)
register("gammaln", _special(_gammaln), _float_infer, _gammaln_grad)
_DIGAMMA = register("digamma", _special(_digamma), _float_infer)


def _smooth_l1_k(xp: Any, a: Any, scalar: float = 1.0) -> Any:
    s2 = scalar * scalar
    ab = xp.abs(a)
    return xp.where(ab < 1 / s2, 0.5 * s2 * a * a, ab - 0.5 / s2).astype(a.dtype, copy=False)


def _smooth_l1_grad(g: Any, out: Any, a: Any, scalar: float = 1.0):
    F = _F()
    s2 = scalar * scalar
    return (g * F.where(F.abs(a) < 1 / s2, s2 * a, F.sign(a)),)


register("smooth_l1", _smooth_l1_k, _float_infer, _smooth_l1_grad)


# ----------------------------------------------------------------------------- gather / topk
def _gather_infer(data: Any, indices: Any):
    si = tuple(indices.shape)
    if not si:
        raise ShapeError("gather_nd: indices must have at least 1 dimension (M, ...)")
    m = si[0]
    if m > len(data.shape):
        raise ShapeError(f"gather_nd: indices {si} index {m} axes of data "
                         f"{tuple(data.shape)}, which has only {len(data.shape)}")
    if indices.dtype.kind not in "biuf":
        raise DTypeError(f"gather_nd: indices must be numbers, got {indices.dtype}")
    return si[1:] + tuple(data.shape[m:]), data.dtype


def _gather_kernel(xp: Any, data: Any, indices: Any) -> Any:
    return data[tuple(indices.astype(xp.int64))]


def _scatter_add_kernel(xp: Any, g: Any, indices: Any, shape: tuple) -> Any:
    out = xp.zeros(shape, dtype=g.dtype)
    _add_at(xp, out, tuple(indices.astype(xp.int64)), g)
    return out


_SCATTER_ADD = register("_scatter_nd_add", _scatter_add_kernel,
                        lambda g, indices, shape: (tuple(shape), g.dtype))


def _gather_grad(g: Any, out: Any, data: Any, indices: Any):
    from .ndarray import apply_op

    return apply_op(_SCATTER_ADD, (g, indices), {"shape": tuple(data.shape)}), None


register("gather_nd", _gather_kernel, _gather_infer, _gather_grad)


def _topk_infer(data: Any, axis: int = -1, k: int = 1, is_ascend: bool = False,
                dtype: Any = float32):
    if len(data.shape) == 0:
        raise ShapeError("topk: the input must have at least 1 dimension")
    ax = norm_axis(axis, len(data.shape), "topk")
    n = data.shape[ax]
    if not isinstance(k, (int, _onp.integer)) or isinstance(k, bool) or not 0 <= k <= n:
        raise ShapeError(f"topk: k must be an int in [0, {n}] (0: all), got {k!r}")
    kk = k if k >= 1 else n
    shape = tuple(kk if i == ax else s for i, s in enumerate(data.shape))
    return [(shape, data.dtype), (shape, _onp.dtype(dtype))]


def _topk_order(xp: Any, data: Any, ax: int, is_ascend: bool) -> Any:
    """Indices sorting *data* along *ax*, ties by increasing index in both orders."""
    if is_ascend:
        return xp.argsort(data, axis=ax, kind="stable")
    n = data.shape[ax]
    rev = xp.argsort(xp.flip(data, axis=ax), axis=ax, kind="stable")
    return (n - 1) - xp.flip(rev, axis=ax)


def _topk_kernel(xp: Any, data: Any, axis: int = -1, k: int = 1, is_ascend: bool = False,
                 dtype: Any = float32) -> Any:
    ax = axis % data.ndim
    n = data.shape[ax]
    kk = k if k >= 1 else n
    order = _topk_order(xp, data, ax, is_ascend)
    idx = xp.take(order, xp.arange(kk), axis=ax)
    return xp.take_along_axis(data, idx, axis=ax), idx.astype(dtype)


def _topk_scatter_kernel(xp: Any, g: Any, idx: Any, shape: tuple, axis: int) -> Any:
    out = xp.zeros(shape, dtype=g.dtype)
    xp.put_along_axis(out, idx.astype(xp.int64), g, axis=axis)
    return out


_TOPK_SCATTER = register("_topk_backward", _topk_scatter_kernel,
                         lambda g, idx, shape, axis: (tuple(shape), g.dtype))


def _topk_grad(g: Any, out: Any, data: Any, axis: int = -1, k: int = 1,
               is_ascend: bool = False, dtype: Any = float32):
    from .ndarray import apply_op

    if g[0] is None:
        return (None,)
    return (apply_op(_TOPK_SCATTER, (g[0], out[1]),
                     {"shape": tuple(data.shape), "axis": axis % data.ndim}),)


register("topk", _topk_kernel, _topk_infer, _topk_grad, nout=2, grad_needs_outputs=True)


def _topk_mask_kernel(xp: Any, data: Any, axis: int = -1, k: int = 1,
                      is_ascend: bool = False) -> Any:
    ax = axis % data.ndim
    _, idx = _topk_kernel(xp, data, axis, k, is_ascend, xp.int64)
    out = xp.zeros(data.shape, dtype=data.dtype)
    xp.put_along_axis(out, idx, xp.asarray(1, dtype=data.dtype), axis=ax)
    return out


def _topk_mask_infer(data: Any, axis: int = -1, k: int = 1, is_ascend: bool = False):
    _topk_infer(data, axis, k, is_ascend)
    return tuple(data.shape), data.dtype


register("topk_mask", _topk_mask_kernel, _topk_mask_infer)


# ----------------------------------------------------------------------------- misc
def _arange_like_kernel(xp: Any, shape: tuple, start: float, step: float, repeat: int,
                        dtype: Any) -> Any:
    n = 1
    for s in shape:
        n *= s
    vals = start + step * (xp.arange(n, dtype=xp.float64) // repeat)
    return vals.astype(dtype).reshape(shape)


register("arange_like", _arange_like_kernel,
         lambda shape, start, step, repeat, dtype: (tuple(shape), _onp.dtype(dtype)),
         kind="creation")


def _constraint_kernel(xp: Any, x: Any, msg: str) -> Any:
    if not bool(xp.all(x)):
        raise ValueError(msg)
    return xp.asarray(True)


def _constraint_infer(x: Any, msg: str):
    if x.dtype != _onp.dtype(bool):
        raise DTypeError(f"constraint_check: the input must be a boolean array, got "
                         f"{x.dtype}")
    return (), _onp.dtype(bool)


register("constraint_check", _constraint_kernel, _constraint_infer)

del int64
