"""SGD with momentum and weight decay (``mxnet.optimizer.SGD``)."""
from __future__ import annotations

from typing import Any

from ..ndarray import optim_ops
from .optimizer import Optimizer, register

__all__ = ["SGD"]


@register
class SGD(Optimizer):
    """SGD with momentum and weight decay, as MXNet 1.9.1 computes it::

        rescaled_grad = lr * (rescale_grad * clip(grad, clip_gradient) + wd * weight)
        state = momentum * state + rescaled_grad      (MXNet stores -state)
        weight = weight - state

    (clip applies to ``rescale_grad * grad``; without momentum no state is kept.)
    Each update is one fused engine op (``sgd_update`` / ``sgd_mom_update``)."""

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update

    def create_state(self, index: Any, weight: Any) -> Any:
        if self.momentum != 0.0:
            return self._zeros_like(weight)
        return None

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update(i, w, g, s)
            return
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        if state is not None:
            optim_ops.sgd_mom_update(weight, grad, state, lr=lr, momentum=self.momentum, wd=wd,
                                     rescale_grad=self.rescale_grad,
                                     clip_gradient=self._clip)
        else:
            optim_ops.sgd_update(weight, grad, lr=lr, wd=wd, rescale_grad=self.rescale_grad,
                                 clip_gradient=self._clip)
