"""The adaptive optimizers of ``mxnet.optimizer``: Adam, AdaGrad, RMSProp, AdaDelta,
Adamax, Nadam, Ftrl, FTML, LAMB, with MXNet 1.9.1's formulas.

Each update is one fused engine op (:mod:`ndengine.ndarray.optim_ops`); the scalars
that depend on the update count (bias corrections, Nadam's momentum schedule) are
Python numbers worked out here, as in MXNet.  ``clip_gradient`` clips the rescaled
gradient (for Adam, RMSProp, Adamax, Nadam and FTML after adding ``wd * weight``, as
MXNet).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as _onp

from ..ndarray import ops_sparse, optim_ops
from .optimizer import Optimizer, _cast_into, dense_grad, register, sparse_rows
from .sgd import _aggregation_size

__all__ = ["Adam", "AdaGrad", "RMSProp", "AdaDelta", "Adamax", "Nadam", "Ftrl", "FTML",
           "LAMB"]


def _single(update: Any) -> Any:
    """Let update() take lists of indices/weights/grads/states too."""
    def wrapper(self: Any, index: Any, weight: Any, grad: Any, state: Any) -> None:
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                update(self, i, w, g, s)
        else:
            update(self, index, weight, grad, state)
    wrapper.__doc__ = update.__doc__
    return wrapper


@register
class Adam(Optimizer):
    """Adam: at step t, with g = clip(rescale_grad*grad + wd*weight)::

        m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g**2
        weight -= lr * sqrt(1-beta2**t)/(1-beta1**t) * m / (sqrt(v) + epsilon)

    A row-sparse gradient with ``lazy_update`` (the default) updates only its rows of
    the weight, m and v (MXNet's lazy sparse ``adam_update``); without, the dense update.
    """

    _row_sparse = "lazy"

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, lazy_update: bool = True, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index: Any, weight: Any) -> Any:
        return (self._zeros_like(weight), self._zeros_like(weight))

    @_single
    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        lr *= math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)
        mean, var = state
        rows = sparse_rows(grad, self.lazy_update)
        if rows is not None:
            ops_sparse.lazy_update("adam_update", weight, *rows, (mean, var), lr=lr,
                                   beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon,
                                   wd=wd, rescale_grad=self.rescale_grad,
                                   clip_gradient=self._clip)
            return
        grad = dense_grad(grad)
        optim_ops.adam_update(weight, grad, mean, var, lr=lr, beta1=self.beta1,
                              beta2=self.beta2, epsilon=self.epsilon, wd=wd,
                              rescale_grad=self.rescale_grad, clip_gradient=self._clip)


@register
class AdaGrad(Optimizer):
    """AdaGrad, with g = clip(rescale_grad*grad)::

        history += g**2;  weight -= lr * (g / sqrt(history + eps) + wd * weight)

    A row-sparse gradient updates only its rows of the weight and history (MXNet's
    sparse ``adagrad_update``), which MXNet 1.9.1 has only without weight decay: with
    ``wd != 0`` it is an error, as there.
    """

    _row_sparse = "lazy"

    def __init__(self, eps: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index: Any, weight: Any) -> Any:
        return self._zeros_like(weight)

    @_single
    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        rows = sparse_rows(grad, True)
        if rows is not None:
            if wd != 0:
                from ..base import MXNetError

                raise MXNetError(
                    f"AdaGrad: no update for a row_sparse gradient with weight decay "
                    f"(wd={wd}) of a dense weight {tuple(weight.shape)} (on "
                    f"{weight.device}): MXNet 1.9.1's _sparse_adagrad_update has none "
                    f"either (storage types [default, row_sparse, default] are not "
                    f"implemented there); use wd=0, SGD or Adam, or a dense gradient")
            ops_sparse.lazy_update("adagrad_update", weight, *rows, (state,), lr=lr,
                                   epsilon=self.float_stable_eps, wd=0.0,
                                   rescale_grad=self.rescale_grad,
                                   clip_gradient=self._clip_nn)
            return
        optim_ops.adagrad_update(weight, grad, state, lr=lr, epsilon=self.float_stable_eps,
                                 wd=wd, rescale_grad=self.rescale_grad,
                                 clip_gradient=self._clip_nn)


@register
class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton), or Graves' centered version with ``centered=True``;
    g = clip(rescale_grad*grad + wd*weight)::

        n = (1-gamma1)*g**2 + gamma1*n
        plain:    weight -= lr * g / sqrt(n + epsilon)
        centered: s = (1-gamma1)*g + gamma1*s
                  delta = gamma2*delta - lr * g / sqrt(n - s**2 + epsilon); weight += delta
    then weights are clipped to [-clip_weights, clip_weights] when clip_weights is set.
    """

    def __init__(self, learning_rate: float = 0.001, gamma1: float = 0.9, gamma2: float = 0.9,
                 epsilon: float = 1e-8, centered: bool = False, clip_weights: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index: Any, weight: Any) -> Any:
        if self.centered:
            return (self._zeros_like(weight), self._zeros_like(weight), self._zeros_like(weight))
        return (self._zeros_like(weight),)

    @_single
    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        cw = -1.0 if not self.clip_weights else float(self.clip_weights)
        kw = dict(lr=lr, gamma1=self.gamma1, epsilon=self.epsilon, wd=wd,
                  rescale_grad=self.rescale_grad, clip_gradient=self._clip, clip_weights=cw)
        if self.centered:
            n, g, delta = state
            optim_ops.rmspropalex_update(weight, grad, n, g, delta, gamma2=self.gamma2, **kw)
        else:
            optim_ops.rmsprop_update(weight, grad, state[0], **kw)


@register
class AdaDelta(Optimizer):
    """AdaDelta (no learning rate), with g = clip(grad * rescale_grad)::

        acc_g = rho*acc_g + (1-rho)*g**2
        delta = sqrt(acc_delta + epsilon) / sqrt(acc_g + epsilon) * g
        acc_delta = rho*acc_delta + (1-rho)*delta**2
        weight -= delta + wd*weight

    As MXNet, the gradient array itself is multiplied by rescale_grad in place."""

    def __init__(self, rho: float = 0.9, epsilon: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index: Any, weight: Any) -> Any:
        return (self._zeros_like(weight), self._zeros_like(weight))

    @_single
    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        wd = self._get_wd(index)
        self._update_count(index)
        acc_g, acc_delta = state
        optim_ops.apply_update("adadelta_update", weight, grad, (grad, acc_g, acc_delta),
                               rho=self.rho, epsilon=self.epsilon, wd=wd,
                               rescale_grad=self.rescale_grad, clip_gradient=self._clip_nn)


@register
class Adamax(Optimizer):
    """Adamax (Adam with the infinity norm), g = clip(rescale_grad*grad + wd*weight)::

        m = beta1*m + (1-beta1)*g;  u = max(beta2*u, |g|)
        weight -= lr / (1 - beta1**t) * m / u
    """

    def __init__(self, learning_rate: float = 0.002, beta1: float = 0.9, beta2: float = 0.999,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index: Any, weight: Any) -> Any:
        return (self._zeros_like(weight), self._zeros_like(weight))

    @_single
    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        lr /= 1.0 - self.beta1 ** t
        m, u = state
        optim_ops.apply_update("adamax_update", weight, grad, (m, u), lr=lr, beta1=self.beta1,
                               beta2=self.beta2, wd=wd, rescale_grad=self.rescale_grad,
                               clip_gradient=self._clip_nn)


@register
class Nadam(Optimizer):
    """Nesterov Adam with Dozat's momentum schedule, g = clip(rescale_grad*grad +
    wd*weight)::

        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * schedule_decay))
        m_schedule *= mu_t   (one running product on the optimizer, as in MXNet)
        m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g**2
        m_bar = (1-mu_t) * g / (1-m_schedule) + mu_{t+1} * m / (1 - m_schedule*mu_{t+1})
        weight -= lr * m_bar / (sqrt(v / (1-beta2**t)) + epsilon)
    """

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, schedule_decay: float = 0.004, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.0

    def create_state(self, index: Any, weight: Any) -> Any:
        return (self._zeros_like(weight), self._zeros_like(weight))

    @_single
    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        momentum_t = self.beta1 * (1.0 - 0.5 * pow(0.96, t * self.schedule_decay))
        momentum_t_1 = self.beta1 * (1.0 - 0.5 * pow(0.96, (t + 1) * self.schedule_decay))
        self.m_schedule = self.m_schedule * momentum_t
        m_schedule_next = self.m_schedule * momentum_t_1
        m, v = state
        optim_ops.apply_update("nadam_update", weight, grad, (m, v), lr=lr,
                               momentum_t=momentum_t, momentum_t_1=momentum_t_1,
                               m_schedule=self.m_schedule, m_schedule_next=m_schedule_next,
                               beta2_t=pow(self.beta2, t), beta1=self.beta1,
                               beta2=self.beta2, epsilon=self.epsilon, wd=wd,
                               rescale_grad=self.rescale_grad, clip_gradient=self._clip_nn)


@register
class Ftrl(Optimizer):
    """FTRL-proximal (McMahan et al.), g = clip(rescale_grad*grad); state (z, n)::

        z += g - (sqrt(n + g**2) - sqrt(n)) * weight / lr;  n += g**2
        weight = (sign(z)*lamda1 - z) / ((beta + sqrt(n)) / lr + wd) * (|z| > lamda1)
    """

    def __init__(self, lamda1: float = 0.01, learning_rate: float = 0.1, beta: float = 1,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        self.lr = learning_rate

    def create_state(self, index: Any, weight: Any) -> Any:
        return (self._zeros_like(weight), self._zeros_like(weight))

    @_single
    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._update_count(index)
        wd = self._get_wd(index)
        lr = self._get_lr(index)
        z, n = state
        optim_ops.apply_update("ftrl_update", weight, grad, (z, n), lr=lr, lamda1=self.lamda1,
                               beta=self.beta, wd=wd, rescale_grad=self.rescale_grad,
                               clip_gradient=self._clip)


@register
class FTML(Optimizer):
    """Follow the moving leader, g = clip(rescale_grad*grad + wd*weight); state
    (d, v, z)::

        v = beta2*v + (1-beta2)*g**2
        d_t = (1 - beta1**t) / lr * (sqrt(v / (1 - beta2**t)) + epsilon)
        z = beta1*z + (1-beta1)*g - (d_t - beta1*d)*weight;  d = d_t
        weight = -z / d_t
    """

    def __init__(self, beta1: float = 0.6, beta2: float = 0.999, epsilon: float = 1e-8,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index: Any, weight: Any) -> Any:
        return (self._zeros_like(weight), self._zeros_like(weight), self._zeros_like(weight))

    @_single
    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        d, v, z = state
        optim_ops.apply_update("ftml_update", weight, grad, (d, v, z), lr=lr, t=t,
                               beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon,
                               wd=wd, rescale_grad=self.rescale_grad, clip_gradient=self._clip)


@register
class LAMB(Optimizer):
    """LAMB (layer-wise adaptive moments), g = clip(rescale_grad*grad)::

        mean = beta1*mean + (1-beta1)*g;  var = beta2*var + (1-beta2)*g**2
        u = mean_hat / (sqrt(var_hat) + epsilon) + wd*weight   (hats: bias-corrected
            when bias_correction)
        r1 = |weight| (bounded by lower_bound/upper_bound), r2 = |u|
        weight -= lr * (r1/r2 if r1 and r2 else 1) * u

    The norms are computed inside the one update op.  With multi_precision, float16
    weights keep a float32 master copy: state ``(master, (mean, var))``."""

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-6, lower_bound: float | None = None,
                 upper_bound: float | None = None, bias_correction: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction
        self.aggregate_num = max(1, min(45, _aggregation_size("45")))

    def create_state(self, index: Any, weight: Any) -> Any:
        return (self._zeros_like(weight), self._zeros_like(weight))

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        for i, w, g, s in zip(*self._as_lists(index, weight, grad, state)):
            self._update_count(i)
            self._push(i, w, g, s)

    def update_multi_precision(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        indices, weights, grads, states = self._as_lists(index, weight, grad, state)
        for i, w, g, s in zip(indices, weights, grads, states):
            self._update_count(i)
        for i, w, g, s in zip(indices, weights, grads, states):
            if self.multi_precision and w.dtype == _onp.float16:
                master, inner = s
                self._push(i, master, g, inner, w)
                _cast_into(w, master)
            else:
                self._push(i, w, g, s)

    def _push(self, index: Any, weight: Any, grad: Any, state: Any,
              weight16: Any = None) -> None:
        mean, var = state
        optim_ops.apply_update(
            "lamb_update" if weight16 is None else "mp_lamb_update", weight, grad,
            (mean, var), () if weight16 is None else (weight16,), lr=self._get_lr(index),
            t=self._index_update_count[index], beta1=self.beta1, beta2=self.beta2,
            epsilon=self.epsilon, wd=self._get_wd(index),
            bias_correction=bool(self.bias_correction), rescale_grad=self.rescale_grad,
            clip_gradient=self._clip,
            lower_bound=float(self.lower_bound) if self.lower_bound else -1.0,
            upper_bound=float(self.upper_bound) if self.upper_bound else -1.0)
