"""``mxnet.optimizer.contrib``: GroupAdaGrad."""
from __future__ import annotations

from typing import Any

from ..ndarray import ops_sparse, optim_ops
from .optimizer import Optimizer, register, sparse_rows

__all__ = ["GroupAdaGrad"]


@register
class GroupAdaGrad(Optimizer):
    """AdaGrad with one accumulator per row of a 2-d weight (embeddings), g =
    clip(rescale_grad*grad)::

        history += mean(g**2, axis=1, keepdims=True)    (history: (rows, 1))
        weight -= lr * g / sqrt(history + eps)

    Weight decay is not supported (as in MXNet).  A row-sparse gradient updates only
    its rows of the weight and history (MXNet's sparse group_adagrad_update)."""

    _row_sparse = "lazy"

    def __init__(self, eps: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index: Any, weight: Any) -> Any:
        if len(weight.shape) != 2:
            raise AssertionError(f"GroupAdaGrad: weights must be 2-d, got shape "
                                 f"{weight.shape}")
        from .. import numpy as np

        return np.zeros((weight.shape[0], 1), dtype=weight.dtype, device=weight.device)

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        for i, w, g, s in zip(*self._as_lists(index, weight, grad, state)):
            self._update_count(i)
            lr = self._get_lr(i)
            wd = self._get_wd(i)
            if wd != 0:
                raise AssertionError("Weight decay is not supported for GroupAdaGrad")
            kw = dict(lr=lr, epsilon=self.float_stable_eps, rescale_grad=self.rescale_grad,
                      clip_gradient=self._clip_nn)
            rows = sparse_rows(g, True)
            if rows is not None:
                ops_sparse.lazy_update("group_adagrad_update", w, *rows, (s,), **kw)
            else:
                optim_ops.apply_update("group_adagrad_update", w, g, (s,), **kw)
