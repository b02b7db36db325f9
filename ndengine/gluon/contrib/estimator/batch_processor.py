"""``mxnet.gluon.contrib.estimator.batch_processor``: :class:`BatchProcessor`, what the
estimator does with one batch (override ``fit_batch`` / ``evaluate_batch`` to change
it)."""
from __future__ import annotations

from typing import Any

from .... import autograd
from ...utils import split_and_load

__all__ = ["BatchProcessor"]


class BatchProcessor:
    """Runs one batch of training (``fit_batch``: forward under ``autograd.record``, the
    loss, ``backward``) or of validation (``evaluate_batch``: forward and loss).  Both
    take the estimator and a batch ``(data, label, ...)`` from its DataLoader, split the
    data and labels over ``estimator.context`` along *batch_axis*, and return the lists
    ``(data, label, pred, loss)``, one entry per device.  Nothing here waits for the
    engine: the work is pushed and the arrays come back at once."""

    def __init__(self) -> None:
        pass

    def _get_data_and_label(self, batch: Any, ctx: list, batch_axis: int = 0) -> tuple:
        if not isinstance(batch, (list, tuple)) or len(batch) < 2:
            raise ValueError(f"BatchProcessor: a batch must be a (data, label) pair from "
                             f"the DataLoader, got {type(batch).__name__}"
                             + (f" of length {len(batch)}" if isinstance(batch, (list, tuple))
                                else ""))
        data = split_and_load(batch[0], ctx_list=ctx, batch_axis=batch_axis)
        label = split_and_load(batch[1], ctx_list=ctx, batch_axis=batch_axis)
        return data, label

    def evaluate_batch(self, estimator: Any, val_batch: Any, batch_axis: int = 0) -> tuple:
        """Forward *val_batch* through ``estimator.val_net`` and ``estimator.val_loss``."""
        data, label = self._get_data_and_label(val_batch, estimator.context, batch_axis)
        pred = [estimator.val_net(x) for x in data]
        loss = [estimator.val_loss(p, y) for p, y in zip(pred, label)]
        return data, label, pred, loss

    def fit_batch(self, estimator: Any, train_batch: Any, batch_axis: int = 0) -> tuple:
        """Forward *train_batch* through ``estimator.net`` and ``estimator.loss`` under
        ``autograd.record()`` and run the backward pass (the update itself is
        :class:`GradientUpdateHandler`'s)."""
        data, label = self._get_data_and_label(train_batch, estimator.context, batch_axis)
        with autograd.record():
            pred = [estimator.net(x) for x in data]
            loss = [estimator.loss(p, y) for p, y in zip(pred, label)]
        for l in loss:
            l.backward()
        return data, label, pred, loss
