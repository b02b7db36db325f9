"""Fused optimizer updates (MXNet's ``sgd_update``, ``sgd_mom_update``, ``adam_update``,
``rmsprop_update``, ``rmspropalex_update`` and AdaGrad's dense update).

Each update is one engine op: it **reads** the gradient's var and **writes** the
weight's var and the vars of the optimizer states, so it runs after the backward ops
that produce the gradient and before any later read of the weight — and the caller
returns at once.

Weights are never mutated in place: the kernel computes the new weight into a fresh
buffer and swaps it in (still a write of the weight's var).  Views taken of the old
weight buffer earlier — e.g. ``W.T`` saved by autograd for a backward that has not run
yet — keep the values they were taken from, whatever the schedule.  States belong to the
optimizer alone and are updated in place (copied first if their buffer is shared).

Formulas (checked against MXNet 1.9.1's kernels; ``clip`` only when clip_gradient >= 0)::

    sgd:         w = (1 - lr*wd) * w - lr * clip(rescale*g)
    sgd_mom:     m = momentum*m - lr*wd*w - lr*clip(rescale*g);  w = w + m
    adam:        g' = clip(rescale*g + wd*w); m = b1*m + (1-b1)*g'; v = b2*v + (1-b2)*g'^2
                 w = w - lr * m / (sqrt(v) + eps)     (lr already bias-corrected by caller)
    adagrad:     g' = clip(rescale*g); h += g'^2;  w = w - lr * (g' / sqrt(h + eps) + wd*w)
    rmsprop:     g' = clip(rescale*g + wd*w); n = (1-g1)*g'^2 + g1*n
                 w = w - lr * g' / sqrt(n + eps);     w = clip(w, clip_weights)
    rmspropalex: g' as rmsprop; n as rmsprop; s = (1-g1)*g' + g1*s
                 d = g2*d - lr * g' / sqrt(n - s^2 + eps);  w = clip(w + d, clip_weights)
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as _np

from .. import engine as _engine
from ..base import MXNetError
from . import tape as _tape
from .ops import ShapeError

__all__ = ["UpdateOp", "UPDATE_OPS", "apply_update", "sgd_update", "sgd_mom_update",
           "adam_update", "adagrad_update", "rmsprop_update", "rmspropalex_update"]


class UpdateOp:
    """One fused update: its name, kernel and the names of its state arguments."""

    __slots__ = ("name", "kernel", "states", "inputs", "shapes", "f32")

    def __init__(self, name: str, kernel: Callable[..., Any], states: tuple[str, ...],
                 inputs: tuple[str, ...] = (), shapes: Any = None, f32: bool = False) -> None:
        self.name = name
        # kernel(xp, w, g, *state_buffers, *input_buffers, **params) -> new w
        self.kernel = kernel
        self.states = states      # written in place
        self.inputs = inputs      # read only (e.g. SGLD's noise)
        # shapes(weight_shape) -> the shape each state must have (default: weight's)
        self.shapes = shapes
        # float hyperparameters are float32 fields cast to the weight's dtype (MXNet's
        # C++ update ops), not Python floats (its Python-written updates)
        self.f32 = f32

    def __repr__(self) -> str:
        return f"<UpdateOp {self.name}>"


UPDATE_OPS: dict[str, UpdateOp] = {}


def _register(name: str, states: tuple[str, ...], inputs: tuple[str, ...] = (),
              shapes: Any = None,
              f32: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def deco(kernel: Callable[..., Any]) -> Callable[..., Any]:
        UPDATE_OPS[name] = UpdateOp(name, kernel, states, inputs, shapes, f32)
        return kernel
    return deco


# ------------------------------------------------------------------------------ kernels
def _rescaled(xp: Any, g: Any, rescale: float, clip: float, w: Any = None,
              wd: float = 0.0) -> Any:
    """A fresh buffer holding clip(rescale*g [+ wd*w])."""
    r = xp.multiply(g, rescale)
    if w is not None and wd:
        r += xp.multiply(w, wd)
    if clip is not None and clip >= 0:
        xp.clip(r, -clip, clip, out=r)
    return r


@_register("sgd_update", (), f32=True)
def _k_sgd(xp: Any, w: Any, g: Any, lr: float, wd: float = 0.0, rescale_grad: float = 1.0,
           clip_gradient: float = -1.0) -> Any:
    new = _rescaled(xp, g, rescale_grad, clip_gradient)
    new *= -lr
    if wd:
        new += xp.multiply(w, 1.0 - lr * wd)
    else:
        new += w
    return new


@_register("sgd_mom_update", ("mom",), f32=True)
def _k_sgd_mom(xp: Any, w: Any, g: Any, mom: Any, lr: float, momentum: float = 0.0,
               wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    t = _rescaled(xp, g, rescale_grad, clip_gradient)
    t *= lr
    mom *= momentum
    mom -= t
    if wd:
        xp.multiply(w, lr * wd, out=t)
        mom -= t
    return xp.add(w, mom)


@_register("adam_update", ("mean", "var"), f32=True)
def _k_adam(xp: Any, w: Any, g: Any, mean: Any, var: Any, lr: float, beta1: float = 0.9,
            beta2: float = 0.999, epsilon: float = 1e-8, wd: float = 0.0,
            rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    gr = _rescaled(xp, g, rescale_grad, clip_gradient, w, wd)
    mean *= beta1
    mean += xp.multiply(gr, 1.0 - beta1)
    var *= beta2
    gr *= gr
    gr *= 1.0 - beta2
    var += gr
    den = xp.sqrt(var)
    den += epsilon
    step = xp.divide(mean, den, out=den)
    step *= -lr
    step += w
    return step


@_register("adagrad_update", ("history",))
def _k_adagrad(xp: Any, w: Any, g: Any, history: Any, lr: float, epsilon: float = 1e-7,
               wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    gr = _rescaled(xp, g, rescale_grad, clip_gradient)
    history += xp.square(gr)
    den = xp.add(history, epsilon)
    xp.sqrt(den, out=den)
    gr /= den
    if wd:
        gr += xp.multiply(w, wd)
    gr *= -lr
    gr += w
    return gr


def _clip_weights(xp: Any, w: Any, clip_weights: float) -> Any:
    if clip_weights is not None and clip_weights >= 0:
        xp.clip(w, -clip_weights, clip_weights, out=w)
    return w


@_register("rmsprop_update", ("n",), f32=True)
def _k_rmsprop(xp: Any, w: Any, g: Any, n: Any, lr: float, gamma1: float = 0.95,
               epsilon: float = 1e-8, wd: float = 0.0, rescale_grad: float = 1.0,
               clip_gradient: float = -1.0, clip_weights: float = -1.0) -> Any:
    gr = _rescaled(xp, g, rescale_grad, clip_gradient, w, wd)
    n *= gamma1
    n += xp.multiply(xp.square(gr), 1.0 - gamma1)
    den = xp.add(n, epsilon)
    xp.sqrt(den, out=den)
    gr /= den
    gr *= -lr
    gr += w
    return _clip_weights(xp, gr, clip_weights)


@_register("rmspropalex_update", ("n", "g", "delta"), f32=True)
def _k_rmspropalex(xp: Any, w: Any, g: Any, n: Any, gavg: Any, delta: Any, lr: float,
                   gamma1: float = 0.95, gamma2: float = 0.9, epsilon: float = 1e-8,
                   wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                   clip_weights: float = -1.0) -> Any:
    gr = _rescaled(xp, g, rescale_grad, clip_gradient, w, wd)
    n *= gamma1
    n += xp.multiply(xp.square(gr), 1.0 - gamma1)
    gavg *= gamma1
    gavg += xp.multiply(gr, 1.0 - gamma1)
    den = xp.subtract(n, xp.square(gavg))
    den += epsilon
    xp.sqrt(den, out=den)
    gr /= den
    gr *= lr
    delta *= gamma2
    delta -= gr
    return _clip_weights(xp, xp.add(w, delta), clip_weights)


def _sign(xp: Any, x: Any) -> Any:
    return xp.sign(x)


def _clipped(xp: Any, x: Any, clip: float) -> Any:
    """clip x to [-clip, clip] in place when clip >= 0 (MXNet's kernels' convention)."""
    if clip is not None and clip >= 0:
        xp.clip(x, -clip, clip, out=x)
    return x


@_register("nag_mom_update", ("mom",), f32=True)
def _k_nag_mom(xp: Any, w: Any, g: Any, mom: Any, lr: float, momentum: float = 0.0,
               wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    gr = _rescaled(xp, g, rescale_grad, clip_gradient)
    step = xp.multiply(w, wd) if wd else xp.zeros_like(w)
    step += gr
    step *= lr
    mom *= momentum
    # new w = w - momentum*m + (1 + momentum) * (momentum*m - lr*(g + wd*w))
    new = xp.subtract(mom, step)
    new *= momentum
    new -= step
    new += w
    # MXNet's kernel writes the new weight in place before it updates the momentum, so
    # the momentum's decay term sees the new weight
    mom -= gr * lr
    if wd:
        mom -= xp.multiply(new, lr * wd)
    return new


@_register("signsgd_update", (), f32=True)
def _k_signsgd(xp: Any, w: Any, g: Any, lr: float, wd: float = 0.0, rescale_grad: float = 1.0,
               clip_gradient: float = -1.0) -> Any:
    # MXNet's kernel takes the sign of the raw gradient: rescale and clip have no effect
    new = xp.multiply(_sign(xp, g), -lr)
    new += xp.multiply(w, 1.0 - lr * wd) if wd else w
    return new.astype(w.dtype, copy=False)


@_register("signum_update", ("mom",), f32=True)
def _k_signum(xp: Any, w: Any, g: Any, mom: Any, lr: float, momentum: float = 0.0,
              wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
              wd_lh: float = 0.0) -> Any:
    gr = _rescaled(xp, g, rescale_grad, clip_gradient)
    if wd:
        gr += xp.multiply(w, wd)
    gr *= 1.0 - momentum
    mom *= momentum
    mom -= gr
    new = xp.multiply(_sign(xp, mom), lr)
    new += xp.multiply(w, 1.0 - lr * wd_lh) if wd_lh else w
    return new.astype(w.dtype, copy=False)


def _p(w: Any, x: float) -> Any:
    """A hyperparameter as MXNet's kernels hold it: a float32 field cast to the weight's
    dtype (so that ``1 - beta`` is worked out in that precision, as there)."""
    return w.dtype.type(_np.float32(x))


@_register("ftml_update", ("d", "v", "z"), f32=True)
def _k_ftml(xp: Any, w: Any, g: Any, d: Any, v: Any, z: Any, lr: float, t: int,
            beta1: float = 0.6, beta2: float = 0.999, epsilon: float = 1e-8, wd: float = 0.0,
            rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    b1, b2, one, tt = _p(w, beta1), _p(w, beta2), _p(w, 1.0), w.dtype.type(t)
    gr = _rescaled(xp, g, _p(w, rescale_grad), clip_gradient, w, _p(w, wd))
    v *= b2
    v += xp.multiply(xp.square(gr), one - b2)
    d_t = xp.divide(v, one - b2 ** tt)
    xp.sqrt(d_t, out=d_t)
    d_t += w.dtype.type(epsilon)
    d_t *= (one - b1 ** tt) / _p(w, lr)
    sigma = xp.multiply(d, -b1)
    sigma += d_t
    sigma *= w
    z *= b1
    z += xp.multiply(gr, one - b1)
    z -= sigma
    d[...] = d_t
    return xp.negative(xp.divide(z, d_t))


@_register("ftrl_update", ("z", "n"), f32=True)
def _k_ftrl(xp: Any, w: Any, g: Any, z: Any, n: Any, lr: float, lamda1: float = 0.01,
            beta: float = 1.0, wd: float = 0.0, rescale_grad: float = 1.0,
            clip_gradient: float = -1.0) -> Any:
    gr = _rescaled(xp, g, rescale_grad, clip_gradient)
    g2 = xp.square(gr)
    sq_old = xp.sqrt(n)
    n += g2
    sq_new = xp.sqrt(n)
    sigma = xp.subtract(sq_new, sq_old)
    sigma *= w
    sigma /= lr
    z += gr
    z -= sigma
    den = xp.add(sq_new, beta)
    den /= lr
    den += wd
    new = xp.multiply(_sign(xp, z), lamda1)
    new -= z
    new /= den
    new *= xp.abs(z) > lamda1
    return new


@_register("adamax_update", ("mean", "u"))
def _k_adamax(xp: Any, w: Any, g: Any, m: Any, u: Any, lr: float, beta1: float = 0.9,
              beta2: float = 0.999, wd: float = 0.0, rescale_grad: float = 1.0,
              clip_gradient: float = -1.0) -> Any:
    gr = _rescaled(xp, g, rescale_grad, clip_gradient, w, wd)
    m *= beta1
    m += xp.multiply(gr, 1.0 - beta1)
    u *= beta2
    xp.maximum(u, xp.abs(gr), out=u)
    step = xp.divide(m, u)
    step *= -lr
    step += w
    return step


@_register("nadam_update", ("mean", "var"))
def _k_nadam(xp: Any, w: Any, g: Any, m: Any, v: Any, lr: float, momentum_t: float,
             momentum_t_1: float, m_schedule: float, m_schedule_next: float, beta2_t: float,
             beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8, wd: float = 0.0,
             rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    gr = _rescaled(xp, g, rescale_grad, clip_gradient, w, wd)
    m *= beta1
    m += xp.multiply(gr, 1.0 - beta1)
    v *= beta2
    v += xp.multiply(xp.square(gr), 1.0 - beta2)
    bar = xp.multiply(gr, (1.0 - momentum_t) / (1.0 - m_schedule))
    bar += xp.multiply(m, momentum_t_1 / (1.0 - m_schedule_next))
    den = xp.divide(v, 1.0 - beta2_t)
    xp.sqrt(den, out=den)
    den += epsilon
    bar /= den
    bar *= -lr
    bar += w
    return bar


@_register("adadelta_update", ("grad", "acc_g", "acc_delta"))
def _k_adadelta(xp: Any, w: Any, g: Any, grad_buf: Any, acc_g: Any, acc_delta: Any,
                rho: float = 0.9, epsilon: float = 1e-5, wd: float = 0.0,
                rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    # MXNet rescales the gradient array itself (grad *= rescale_grad); clipping is not
    # written back
    grad_buf *= rescale_grad
    gr = _clipped(xp, grad_buf.copy(), clip_gradient)
    acc_g *= rho
    acc_g += xp.multiply(xp.square(gr), 1.0 - rho)
    delta = xp.add(acc_delta, epsilon)
    xp.sqrt(delta, out=delta)
    delta /= xp.sqrt(xp.add(acc_g, epsilon))
    delta *= gr
    acc_delta *= rho
    acc_delta += xp.multiply(xp.square(delta), 1.0 - rho)
    if wd:
        delta += xp.multiply(w, wd)
    return xp.subtract(w, delta)


def _norm(xp: Any, x: Any) -> Any:
    """The L2 norm of x as a 0-d array of x's float type (stays on the device)."""
    return xp.sqrt(xp.sum(xp.square(x)))


@_register("lamb_update", ("mean", "var"), f32=True)
def _k_lamb(xp: Any, w: Any, g: Any, mean: Any, var: Any, lr: float, t: int,
            beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-6, wd: float = 0.0,
            bias_correction: bool = True, rescale_grad: float = 1.0,
            clip_gradient: float = -1.0, lower_bound: float = -1.0,
            upper_bound: float = -1.0, norm_of: Any = None) -> Any:
    gr = _rescaled(xp, g.astype(mean.dtype, copy=False), rescale_grad, clip_gradient)
    mean *= beta1
    mean += xp.multiply(gr, 1.0 - beta1)
    var *= beta2
    var += xp.multiply(xp.square(gr), 1.0 - beta2)
    if bias_correction:
        dt = mean.dtype.type
        m_hat = xp.divide(mean, 1.0 - dt(beta1) ** dt(t))
        den = xp.divide(var, 1.0 - dt(beta2) ** dt(t))
    else:
        m_hat, den = mean, var.copy()
    xp.sqrt(den, out=den)
    den += epsilon
    step = xp.divide(m_hat, den, out=den)
    if wd:
        step += xp.multiply(w, wd)
    r1 = _norm(xp, (w if norm_of is None else norm_of).astype(_np.float32, copy=False))
    if lower_bound is not None and lower_bound >= 0:
        r1 = xp.maximum(r1, lower_bound)
    if upper_bound is not None and upper_bound >= 0:
        r1 = xp.minimum(r1, upper_bound)
    r2 = _norm(xp, step)
    ratio = xp.where((r1 == 0) | (r2 == 0), 1.0, r1 / xp.where(r2 == 0, 1.0, r2))
    step *= ratio.astype(step.dtype) * lr
    return xp.subtract(w, step)


@_register("mp_lamb_update", ("mean", "var"), ("weight16",), f32=True)
def _k_mp_lamb(xp: Any, w32: Any, g: Any, mean: Any, var: Any, w16: Any, **params: Any) -> Any:
    """LAMB on the float32 master copy; as MXNet's multi-tensor kernel, the weight norm
    is taken of the float16 weight."""
    return _k_lamb(xp, w32, g, mean, var, norm_of=w16, **params)


def _lars_lr(xp: Any, w: Any, g: Any, lr: float, wd: float, eta: float, eps: float,
             rescale_grad: float) -> Any:
    """LARS: lr * eta * |w| / (|g| * rescale + wd * |w| + eps), or lr when a norm is 0;
    norms in float32 as MXNet's multi_sum_sq."""
    wn = _norm(xp, w.astype(_np.float32, copy=False))
    gn = _norm(xp, g.astype(_np.float32, copy=False))
    ok = (wn > 0) & (gn > 0)
    den = gn * _np.float32(rescale_grad) + _np.float32(wd) * wn + _np.float32(eps)
    return xp.where(ok, _np.float32(lr) * _np.float32(eta) * wn / xp.where(ok, den, 1),
                    _np.float32(lr))


@_register("lars_sgd_update", (), f32=True)
def _k_lars_sgd(xp: Any, w: Any, g: Any, lr: float, eta: float = 0.001, eps: float = 0.0,
                wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    lr_t = _lars_lr(xp, w, g, lr, wd, eta, eps, rescale_grad).astype(w.dtype)
    step = _rescaled(xp, g, rescale_grad, clip_gradient)
    if wd:
        step += xp.multiply(w, wd)
    step *= lr_t
    return xp.subtract(w, step)


@_register("lars_sgd_mom_update", ("mom",), f32=True)
def _k_lars_sgd_mom(xp: Any, w: Any, g: Any, mom: Any, lr: float, momentum: float = 0.0,
                    eta: float = 0.001, eps: float = 0.0, wd: float = 0.0,
                    rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    lr_t = _lars_lr(xp, w, g, lr, wd, eta, eps, rescale_grad).astype(mom.dtype)
    step = _rescaled(xp, g, rescale_grad, clip_gradient)
    if wd:
        step += xp.multiply(w, wd)
    step *= lr_t
    mom *= momentum
    mom -= step
    return xp.add(w, mom)


@_register("sgld_update", (), ("noise",))
def _k_sgld(xp: Any, w: Any, g: Any, noise: Any, lr: float, wd: float = 0.0,
            rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    step = _rescaled(xp, g, rescale_grad, clip_gradient)
    if wd:
        step += xp.multiply(w, wd)
    step *= -lr / 2
    step += w
    step += noise
    return step


@_register("dcasgd_update", ("previous_weight",))
def _k_dcasgd(xp: Any, w: Any, g: Any, prev: Any, lr: float, lamda: float = 0.04,
              wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    step = _dcasgd_step(xp, w, g, prev, lr, lamda, wd, rescale_grad, clip_gradient)
    prev[...] = w
    return xp.add(w, step)


@_register("dcasgd_mom_update", ("mom", "previous_weight"))
def _k_dcasgd_mom(xp: Any, w: Any, g: Any, mom: Any, prev: Any, lr: float,
                  momentum: float = 0.0, lamda: float = 0.04, wd: float = 0.0,
                  rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    mom *= momentum
    mom += _dcasgd_step(xp, w, g, prev, lr, lamda, wd, rescale_grad, clip_gradient)
    prev[...] = w
    return xp.add(w, mom)


def _dcasgd_step(xp: Any, w: Any, g: Any, prev: Any, lr: float, lamda: float, wd: float,
                 rescale_grad: float, clip_gradient: float) -> Any:
    """-lr * (g + wd*w + lamda * g*g * (w - previous_weight)), g = clip(rescale*grad)."""
    gr = _rescaled(xp, g, rescale_grad, clip_gradient)
    comp = xp.subtract(w, prev)
    comp *= gr
    comp *= gr
    comp *= lamda
    comp += gr
    if wd:
        comp += xp.multiply(w, wd)
    comp *= -lr
    return comp


@_register("group_adagrad_update", ("history",),
           shapes=lambda shape: [(shape[0], 1) if len(shape) == 2 else None])
def _k_group_adagrad(xp: Any, w: Any, g: Any, history: Any, lr: float, epsilon: float = 1e-5,
                     rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    gr = _rescaled(xp, g, rescale_grad, clip_gradient)
    history += xp.mean(xp.square(gr), axis=1, keepdims=True)
    den = xp.add(history, epsilon)
    xp.sqrt(den, out=den)
    gr *= lr
    gr /= den
    return xp.subtract(w, gr)


@_register("test_update", ("state",))
def _k_test(xp: Any, w: Any, g: Any, state: Any, rescale_grad: float = 1.0) -> Any:
    new = xp.multiply(g, rescale_grad)
    new += w
    state[...] = new
    return new


# ------------------------------------------------------------------------------ pushing
def _own(a: Any) -> Any:
    """a's buffer, copied first when it may be shared (a view or read-only)."""
    buf = a._data
    if a._shared or buf.base is not None or not buf.flags.writeable:
        buf = buf.copy()
        a._data = buf
        a._shared = False
    return buf


def _run_update(op: UpdateOp, xp: Any, weight: Any, grad: Any, states: tuple, params: dict,
                inputs: tuple = ()) -> None:
    bufs = [_own(s) for s in states]
    if op.f32:
        cast = weight._dtype.type
        params = {k: cast(_np.float32(v)) if type(v) is float else v for k, v in params.items()}
    new = op.kernel(xp, weight._data, grad._data, *bufs, *[a._data for a in inputs], **params)
    if new.dtype != weight._dtype:
        new = new.astype(weight._dtype)
    weight._data = new
    weight._shared = False


def _check(op: UpdateOp, weight: Any, grad: Any, states: tuple, inputs: tuple = ()) -> None:
    from .ndarray import NDArray

    arrays = (weight, grad) + states + inputs
    names = ("weight", "grad") + op.states + op.inputs
    for nm, a in zip(names, arrays):
        if a.__class__ is not NDArray:
            raise TypeError(f"{op.name}: {nm} must be an ndengine array, got {type(a).__name__}")
    want = [weight._shape] * (len(names) - 1)
    if op.shapes is not None:
        want[1:1 + len(op.states)] = op.shapes(weight._shape)
    for nm, a, shape in zip(names[1:], arrays[1:], want):
        if a._shape != shape:
            raise ShapeError(f"{op.name}: {nm} has shape {a._shape}, expected {shape} for "
                             f"weight {weight._shape} (on {weight._device})")
        if a._device is not weight._device:
            raise ValueError(f"{op.name}: {nm} is on {a._device}, weight on {weight._device}; "
                             f"updates need every array on one device")
    if weight._dtype.kind != "f":
        raise TypeError(f"{op.name}: weight must be a float array, got {weight._dtype} "
                        f"(shape {weight._shape} on {weight._device})")
    if _tape.STATE.recording:
        raise MXNetError(f"{op.name}: optimizer updates cannot run inside autograd.record() "
                         f"(weight {weight._shape} on {weight._device}); call trainer.step() "
                         f"after the record() block")


def apply_update(name: str, weight: Any, grad: Any, states: tuple = (), inputs: tuple = (),
                 **params: Any) -> Any:
    """Push the fused update *name*: reads grad (and the extra *inputs*), writes weight
    and *states*.  Returns weight (its new value is computed asynchronously)."""
    op = UPDATE_OPS[name]
    states = tuple(states)
    inputs = tuple(inputs)
    if len(states) != len(op.states):
        raise TypeError(f"{name}: expected states {op.states}, got {len(states)} arrays")
    if len(inputs) != len(op.inputs):
        raise TypeError(f"{name}: expected inputs {op.inputs}, got {len(inputs)} arrays")
    _check(op, weight, grad, states, inputs)
    dev = weight._device
    xp = dev.xp if dev.is_gpu else _np
    writes = (weight._var,) + tuple(s._var for s in states)
    reads = tuple(v for v in (grad._var,) + tuple(a._var for a in inputs) if v not in writes)
    _engine.push(functools.partial(_run_update, op, xp, weight, grad, states, params, inputs),
                 reads, writes, dev, 0, name)
    return weight


def sgd_update(weight: Any, grad: Any, lr: float, wd: float = 0.0, rescale_grad: float = 1.0,
               clip_gradient: float = -1.0) -> Any:
    """See ``mxnet.nd.sgd_update`` (in place on *weight*)."""
    return apply_update("sgd_update", weight, grad, (), lr=lr, wd=wd,
                        rescale_grad=rescale_grad, clip_gradient=clip_gradient)


def sgd_mom_update(weight: Any, grad: Any, mom: Any, lr: float, momentum: float = 0.0,
                   wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    """See ``mxnet.nd.sgd_mom_update`` (in place on *weight* and *mom*)."""
    return apply_update("sgd_mom_update", weight, grad, (mom,), lr=lr, momentum=momentum,
                        wd=wd, rescale_grad=rescale_grad, clip_gradient=clip_gradient)


def adam_update(weight: Any, grad: Any, mean: Any, var: Any, lr: float, beta1: float = 0.9,
                beta2: float = 0.999, epsilon: float = 1e-8, wd: float = 0.0,
                rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    """See ``mxnet.nd.adam_update`` (*lr* already bias-corrected)."""
    return apply_update("adam_update", weight, grad, (mean, var), lr=lr, beta1=beta1,
                        beta2=beta2, epsilon=epsilon, wd=wd, rescale_grad=rescale_grad,
                        clip_gradient=clip_gradient)


def adagrad_update(weight: Any, grad: Any, history: Any, lr: float, epsilon: float = 1e-7,
                   wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    """MXNet's dense AdaGrad step, fused."""
    return apply_update("adagrad_update", weight, grad, (history,), lr=lr, epsilon=epsilon,
                        wd=wd, rescale_grad=rescale_grad, clip_gradient=clip_gradient)


def rmsprop_update(weight: Any, grad: Any, n: Any, lr: float, gamma1: float = 0.95,
                   epsilon: float = 1e-8, wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: float = -1.0, clip_weights: float = -1.0) -> Any:
    """See ``mxnet.nd.rmsprop_update``."""
    return apply_update("rmsprop_update", weight, grad, (n,), lr=lr, gamma1=gamma1,
                        epsilon=epsilon, wd=wd, rescale_grad=rescale_grad,
                        clip_gradient=clip_gradient, clip_weights=clip_weights)


def rmspropalex_update(weight: Any, grad: Any, n: Any, g: Any, delta: Any, lr: float,
                       gamma1: float = 0.95, gamma2: float = 0.9, epsilon: float = 1e-8,
                       wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                       clip_weights: float = -1.0) -> Any:
    """See ``mxnet.nd.rmspropalex_update`` (centered RMSProp)."""
    return apply_update("rmspropalex_update", weight, grad, (n, g, delta), lr=lr,
                        gamma1=gamma1, gamma2=gamma2, epsilon=epsilon, wd=wd,
                        rescale_grad=rescale_grad, clip_gradient=clip_gradient,
                        clip_weights=clip_weights)


def nag_mom_update(weight: Any, grad: Any, mom: Any, lr: float, momentum: float = 0.0,
                   wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    """See ``mxnet.nd.nag_mom_update`` (Nesterov momentum)."""
    return apply_update("nag_mom_update", weight, grad, (mom,), lr=lr, momentum=momentum,
                        wd=wd, rescale_grad=rescale_grad, clip_gradient=clip_gradient)


def signsgd_update(weight: Any, grad: Any, lr: float, wd: float = 0.0,
                   rescale_grad: float = 1.0, clip_gradient: float = -1.0) -> Any:
    """See ``mxnet.nd.signsgd_update``."""
    return apply_update("signsgd_update", weight, grad, (), lr=lr, wd=wd,
                        rescale_grad=rescale_grad, clip_gradient=clip_gradient)


def signum_update(weight: Any, grad: Any, mom: Any, lr: float, momentum: float = 0.0,
                  wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                  wd_lh: float = 0.0) -> Any:
    """See ``mxnet.nd.signum_update``."""
    return apply_update("signum_update", weight, grad, (mom,), lr=lr, momentum=momentum,
                        wd=wd, rescale_grad=rescale_grad, clip_gradient=clip_gradient,
                        wd_lh=wd_lh)
