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

    __slots__ = ("name", "kernel", "states")

    def __init__(self, name: str, kernel: Callable[..., Any], states: tuple[str, ...]) -> None:
        self.name = name
        self.kernel = kernel      # kernel(xp, w, g, *state_buffers, **params) -> new w
        self.states = states

    def __repr__(self) -> str:
        return f"<UpdateOp {self.name}>"


UPDATE_OPS: dict[str, UpdateOp] = {}


def _register(name: str, states: tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def deco(kernel: Callable[..., Any]) -> Callable[..., Any]:
        UPDATE_OPS[name] = UpdateOp(name, kernel, states)
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


@_register("sgd_update", ())
def _k_sgd(xp: Any, w: Any, g: Any, lr: float, wd: float = 0.0, rescale_grad: float = 1.0,
           clip_gradient: float = -1.0) -> Any:
    new = _rescaled(xp, g, rescale_grad, clip_gradient)
    new *= -lr
    if wd:
        new += xp.multiply(w, 1.0 - lr * wd)
    else:
        new += w
    return new


@_register("sgd_mom_update", ("mom",))
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


@_register("adam_update", ("mean", "var"))
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


@_register("rmsprop_update", ("n",))
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


@_register("rmspropalex_update", ("n", "g", "delta"))
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


# ------------------------------------------------------------------------------ pushing
def _own(a: Any) -> Any:
    """a's buffer, copied first when it may be shared (a view or read-only)."""
    buf = a._data
    if a._shared or buf.base is not None or not buf.flags.writeable:
        buf = buf.copy()
        a._data = buf
        a._shared = False
    return buf


def _run_update(op: UpdateOp, xp: Any, weight: Any, grad: Any, states: tuple, params: dict) -> None:
    bufs = [_own(s) for s in states]
    new = op.kernel(xp, weight._data, grad._data, *bufs, **params)
    if new.dtype != weight._dtype:
        new = new.astype(weight._dtype)
    weight._data = new
    weight._shared = False


def _check(op: UpdateOp, weight: Any, grad: Any, states: tuple) -> None:
    from .ndarray import NDArray

    arrays = (weight, grad) + states
    names = ("weight", "grad") + op.states
    for nm, a in zip(names, arrays):
        if a.__class__ is not NDArray:
            raise TypeError(f"{op.name}: {nm} must be an ndengine array, got {type(a).__name__}")
    for nm, a in zip(names[1:], arrays[1:]):
        if a._shape != weight._shape:
            raise ShapeError(f"{op.name}: {nm} has shape {a._shape}, weight {weight._shape} "
                             f"(on {weight._device})")
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


def apply_update(name: str, weight: Any, grad: Any, states: tuple = (), **params: Any) -> Any:
    """Push the fused update *name*: reads grad, writes weight and *states*.  Returns
    weight (its new value is computed asynchronously)."""
    op = UPDATE_OPS[name]
    states = tuple(states)
    if len(states) != len(op.states):
        raise TypeError(f"{name}: expected states {op.states}, got {len(states)} arrays")
    _check(op, weight, grad, states)
    dev = weight._device
    xp = dev.xp if dev.is_gpu else _np
    _engine.push(functools.partial(_run_update, op, xp, weight, grad, states, params),
                 (grad._var,), (weight._var,) + tuple(s._var for s in states), dev, 0, name)
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
