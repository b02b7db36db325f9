"""Adam, AdaGrad and RMSProp (``mxnet.optimizer``), with MXNet 1.9.1's formulas.

See :mod:`ndengine.ndarray.optim_ops` for the fused kernels; ``clip_gradient`` clips
the rescaled gradient (for Adam and RMSProp after adding ``wd * weight``, as MXNet).
"""
from __future__ import annotations

import math
from typing import Any

from ..ndarray import optim_ops
from .optimizer import Optimizer, register

__all__ = ["Adam", "AdaGrad", "RMSProp"]


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
    """

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
        optim_ops.adam_update(weight, grad, mean, var, lr=lr, beta1=self.beta1,
                              beta2=self.beta2, epsilon=self.epsilon, wd=wd,
                              rescale_grad=self.rescale_grad, clip_gradient=self._clip)


@register
class AdaGrad(Optimizer):
    """AdaGrad, with g = clip(rescale_grad*grad)::

        history += g**2;  weight -= lr * (g / sqrt(history + eps) + wd * weight)
    """

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
        optim_ops.adagrad_update(weight, grad, state, lr=lr, epsilon=self.float_stable_eps,
                                 wd=wd, rescale_grad=self.rescale_grad,
                                 clip_gradient=self._clip)


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
