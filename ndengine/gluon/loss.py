"""Losses (``mxnet.gluon.loss``), with MXNet 1.9.1's formulas.

Every loss returns one value per sample: the mean over all axes but ``batch_axis``.
``weight`` is a global scalar factor, ``sample_weight`` a per-element factor
broadcastable to the loss.  The label is reshaped to the prediction's shape where the
formula needs equal sizes (as MXNet's ``reshape_like``), so ``L2Loss()(y, net(X))``
works with y of shape (N,) and net(X) of shape (N, 1).
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from .block import HybridBlock

__all__ = ["Loss", "L2Loss", "L1Loss", "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
           "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "KLDivLoss", "HuberLoss", "HingeLoss",
           "SquaredHingeLoss", "LogisticLoss"]


def _apply_weighting(loss: Any, weight: Any = None, sample_weight: Any = None) -> Any:
    if sample_weight is not None:
        loss = loss * sample_weight
    if weight is not None:
        if not isinstance(weight, (int, float, _onp.number)):
            raise TypeError(f"loss weight must be a number, got {type(weight).__name__}")
        if weight != 1:
            loss = loss * weight
    return loss


def _reshape_like(x: Any, y: Any, who: str) -> Any:
    if tuple(x.shape) == tuple(y.shape):
        return x
    if x.size != y.size:
        raise ValueError(f"{who}: label of shape {tuple(x.shape)} cannot be reshaped to the "
                         f"prediction's shape {tuple(y.shape)} (sizes {x.size} and {y.size})")
    return x.reshape(y.shape)


def _as_array(x: Any, like: Any) -> Any:
    if hasattr(x, "asnumpy"):
        return x
    from .. import numpy as np

    return np.array(x, dtype=like.dtype, device=like.device)


class Loss(HybridBlock):
    """Base class of losses: ``loss(pred, label, *args)`` -> per-sample losses."""

    def __init__(self, weight: Any, batch_axis: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_axis={self._batch_axis}, w={self._weight})"

    def _batch_mean(self, loss: Any) -> Any:
        """Mean over every axis but the batch axis."""
        if loss.ndim <= 1:
            return loss
        b = self._batch_axis % loss.ndim
        axes = tuple(i for i in range(loss.ndim) if i != b)
        return loss.mean(axis=axes)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


class L2Loss(Loss):
    """``weight/2 * (label - pred)**2``, averaged over non-batch axes (weight 1)."""

    def __init__(self, weight: float = 1.0, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(_as_array(label, pred), pred, "L2Loss")
        d = label - pred
        loss = _apply_weighting(d * d, self._weight / 2, sample_weight)
        return self._batch_mean(loss)


class L1Loss(Loss):
    """``weight * |label - pred|``, averaged over non-batch axes."""

    def __init__(self, weight: float | None = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(_as_array(label, pred), pred, "L1Loss")
        loss = _apply_weighting(F.np.abs(label - pred), self._weight, sample_weight)
        return self._batch_mean(loss)


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross-entropy.  From logits (default), computed stably as
    ``relu(pred) - pred*label + softrelu(-|pred|)``; with ``from_sigmoid=True``,
    ``-(log(pred + 1e-12)*label + log(1 - pred + 1e-12)*(1 - label))``.  ``pos_weight``
    scales the positive term."""

    def __init__(self, from_sigmoid: bool = False, weight: float | None = None,
                 batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None,
                       pos_weight: Any = None) -> Any:
        label = _reshape_like(_as_array(label, pred), pred, "SigmoidBinaryCrossEntropyLoss")
        np, npx = F.np, F.npx
        if not self._from_sigmoid:
            if pos_weight is None:
                loss = npx.relu(pred) - pred * label + \
                    npx.activation(-np.abs(pred), act_type="softrelu")
            else:
                log_weight = 1 + (pos_weight - 1) * label
                loss = pred - pred * label + log_weight * (
                    npx.activation(-np.abs(pred), act_type="softrelu") + npx.relu(-pred))
        else:
            eps = 1e-12
            if pos_weight is None:
                loss = -(np.log(pred + eps) * label + np.log(1.0 - pred + eps) * (1.0 - label))
            else:
                loss = -(np.log(pred + eps) * label * pos_weight
                         + np.log(1.0 - pred + eps) * (1.0 - label))
        loss = _apply_weighting(loss, self._weight, sample_weight)
        return self._batch_mean(loss)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    """Softmax cross-entropy along *axis*.  ``sparse_label``: labels are class indices
    (pred's shape without *axis*), loss ``-log_softmax(pred)[label]``; else labels are
    distributions of pred's shape, loss ``-sum(label * log_softmax(pred))``.
    ``from_logits``: pred already holds log-probabilities."""

    def __init__(self, axis: int = -1, sparse_label: bool = True, from_logits: bool = False,
                 weight: float | None = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _as_array(label, pred)
        if not self._from_logits:
            pred = F.npx.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            ax = self._axis % pred.ndim
            want = pred.shape[:ax] + pred.shape[ax + 1:]
            if label.shape != want:
                if label.size != int(_onp.prod(want)):
                    raise ValueError(f"SoftmaxCrossEntropyLoss: sparse label of shape "
                                     f"{label.shape} does not fit prediction {pred.shape} "
                                     f"(expected {want})")
                label = label.reshape(want)
            loss = -F.npx.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = _reshape_like(label, pred, "SoftmaxCrossEntropyLoss")
            loss = -(pred * label).sum(axis=self._axis, keepdims=True)
        loss = _apply_weighting(loss, self._weight, sample_weight)
        return self._batch_mean(loss)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    """``label * (log(label) - pred)`` (pred holds log-probabilities when from_logits)."""

    def __init__(self, from_logits: bool = True, axis: int = -1, weight: float | None = None,
                 batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _as_array(label, pred)
        if not self._from_logits:
            pred = F.npx.log_softmax(pred, axis=self._axis)
        loss = label * (F.np.log(label + 1e-12) - pred)
        loss = _apply_weighting(loss, self._weight, sample_weight)
        return self._batch_mean(loss)


class HuberLoss(Loss):
    """``0.5/rho * d**2`` where ``|d| <= rho``, else ``|d| - 0.5*rho`` (d = label - pred)."""

    def __init__(self, rho: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(_as_array(label, pred), pred, "HuberLoss")
        d = F.np.abs(label - pred)
        loss = F.np.where(d > self._rho, d - 0.5 * self._rho, (0.5 / self._rho) * d * d)
        loss = _apply_weighting(loss, self._weight, sample_weight)
        return self._batch_mean(loss)


class HingeLoss(Loss):
    """``max(0, margin - pred * label)`` (labels -1 / 1)."""

    def __init__(self, margin: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(_as_array(label, pred), pred, "HingeLoss")
        loss = F.npx.relu(self._margin - pred * label)
        loss = _apply_weighting(loss, self._weight, sample_weight)
        return self._batch_mean(loss)


class SquaredHingeLoss(Loss):
    """``max(0, margin - pred * label)**2`` (labels -1 / 1)."""

    def __init__(self, margin: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(_as_array(label, pred), pred, "SquaredHingeLoss")
        h = F.npx.relu(self._margin - pred * label)
        loss = _apply_weighting(h * h, self._weight, sample_weight)
        return self._batch_mean(loss)


class LogisticLoss(Loss):
    """``log(1 + exp(-pred * label))`` for labels -1/1 ('signed') or 0/1 ('binary')."""

    def __init__(self, weight: float | None = None, batch_axis: int = 0,
                 label_format: str = "signed", **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ("signed", "binary"):
            raise ValueError(f"LogisticLoss: label_format can only be signed or binary, got "
                             f"{label_format!r}")
        self._label_format = label_format

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(_as_array(label, pred), pred, "LogisticLoss")
        if self._label_format == "binary":
            label = 2 * label - 1
        z = -pred * label
        loss = F.npx.relu(z) + F.npx.activation(-F.np.abs(z), act_type="softrelu")
        loss = _apply_weighting(loss, self._weight, sample_weight)
        return self._batch_mean(loss)
