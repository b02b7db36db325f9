"""Losses (``mxnet.gluon.loss``), with MXNet 1.9.1's formulas.

Most losses return one value per sample: the mean over all axes but ``batch_axis``
(KLDivLoss and TripletLoss sum there instead; CosineEmbeddingLoss keeps a (N, 1)
column; PoissonNLLLoss is the mean over everything).  ``weight`` is a global scalar
factor, ``sample_weight`` a per-element factor broadcastable to the loss.  The label is
reshaped to the prediction's shape where the formula needs equal sizes (MXNet's
``reshape_like``), so ``L2Loss()(y, net(X))`` works with y of shape (N,) and net(X) of
shape (N, 1).

Where MXNet 1.9.1 differs between its modes, this module follows its documentation and
legacy (``mx.nd``) mode: ``batch_axis`` is honoured by every loss (MXNet's np mode
ignores it in L1/L2/SigmoidBCE/SoftmaxCE and averages over axes 1..), and the losses
that MXNet's np mode cannot run (Huber, Hinge, Logistic, KLDiv, CTC, Triplet, Poisson,
CosineEmbedding, SDML call legacy operators there and raise) compute what its legacy
mode computes.  See docs/mxnet-differences.md.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as _onp

from ..ndarray import ops_loss as _ops_loss
from ..ndarray.ndarray import NDArray as _NDArray
from ..ndarray.ndarray import apply_op as _apply_op
from ..ndarray.ops import OPS as _OPS
from ..ndarray.ops import register as _register
from ..ndarray import ops_nn as _ops_nn  # (defines the fused op; the label check)
from ..ndarray.ops import ShapeError
from .block import HybridBlock

__all__ = ["Loss", "L2Loss", "L1Loss", "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
           "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "KLDivLoss", "CTCLoss", "HuberLoss",
           "HingeLoss", "SquaredHingeLoss", "LogisticLoss", "TripletLoss", "PoissonNLLLoss",
           "CosineEmbeddingLoss", "SDMLLoss"]

_NUMBER = (int, float, _onp.number)


def _check_weight(who: str, weight: Any) -> None:
    if weight is not None and (not isinstance(weight, _NUMBER) or isinstance(weight, bool)):
        raise TypeError(f"{who}: weight must be a number or None, got "
                        f"{type(weight).__name__} {weight!r}")


def _apply_weighting(loss: Any, weight: Any = None, sample_weight: Any = None) -> Any:
    if sample_weight is not None:
        loss = loss * _as_array(sample_weight, loss)
    if weight is not None:
        loss = loss * weight
    return loss


def _reshape_like(x: Any, y: Any, who: str, what: str = "label") -> Any:
    if tuple(x.shape) == tuple(y.shape):
        return x
    if x.size != y.size:
        raise ShapeError(f"{who}: {what} of shape {tuple(x.shape)} cannot be reshaped to the "
                         f"prediction's shape {tuple(y.shape)} (sizes {x.size} and {y.size}; "
                         f"on {y.device})")
    return x.reshape(y.shape)


def _as_array(x: Any, like: Any) -> Any:
    if hasattr(x, "asnumpy"):
        return x
    from .. import numpy as np

    return np.array(x, dtype=like.dtype if _onp.asarray(x).dtype.kind == "f" else None,
                    device=like.device)


class Loss(HybridBlock):
    """Base class of losses: ``loss(pred, label, *args)`` -> per-sample losses.

    weight : float or None, a global scalar factor.  batch_axis : int, the axis that
    ranges over the samples."""

    def __init__(self, weight: Any, batch_axis: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_weight(type(self).__name__, weight)
        if not isinstance(batch_axis, (int, _onp.integer)) or isinstance(batch_axis, bool):
            raise TypeError(f"{type(self).__name__}: batch_axis must be an int, got "
                            f"{batch_axis!r}")
        self._weight = weight
        self._batch_axis = int(batch_axis)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_axis={self._batch_axis}, w={self._weight})"

    def _batch_axis_of(self, loss: Any) -> int:
        nd = loss.ndim
        if not -nd <= self._batch_axis < nd:
            raise ShapeError(f"{type(self).__name__}: batch_axis {self._batch_axis} is out of "
                             f"range for a loss of shape {tuple(loss.shape)} (on {loss.device})")
        return self._batch_axis % nd

    def _reduce(self, loss: Any, how: str = "mean") -> Any:
        """Mean (or sum) over every axis but the batch axis."""
        if loss.ndim == 0:
            return loss
        b = self._batch_axis_of(loss)
        axes = tuple(i for i in range(loss.ndim) if i != b)
        if not axes:
            return loss
        return loss.mean(axis=axes) if how == "mean" else loss.sum(axis=axes)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.hybrid_forward")


class L2Loss(Loss):
    """``weight/2 * (label - pred)**2``, averaged over non-batch axes (weight 1)."""

    def __init__(self, weight: float = 1.0, batch_axis: int = 0, **kwargs: Any) -> None:
        if weight is None:
            raise TypeError("L2Loss: weight must be a number (it is halved), got None")
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(_as_array(label, pred), pred, "L2Loss")
        loss = F.np.square(label - pred)
        loss = _apply_weighting(loss, self._weight / 2, sample_weight)
        return self._reduce(loss)


class L1Loss(Loss):
    """``weight * |label - pred|``, averaged over non-batch axes."""

    def __init__(self, weight: float | None = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(_as_array(label, pred), pred, "L1Loss")
        loss = _apply_weighting(F.np.abs(label - pred), self._weight, sample_weight)
        return self._reduce(loss)


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross-entropy.  From logits (default), computed stably as
    ``relu(pred) - pred*label + softrelu(-|pred|)``; with ``from_sigmoid=True``,
    ``-(log(pred + 1e-12)*label + log(1 - pred + 1e-12)*(1 - label))``.  ``pos_weight``
    (broadcastable to pred, e.g. (1, classes)) scales the positive term."""

    def __init__(self, from_sigmoid: bool = False, weight: float | None = None,
                 batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None,
                       pos_weight: Any = None) -> Any:
        label = _reshape_like(_as_array(label, pred), pred, "SigmoidBinaryCrossEntropyLoss")
        np, npx = F.np, F.npx
        if pos_weight is not None:
            pos_weight = _as_array(pos_weight, pred)
        if not self._from_sigmoid:
            soft = npx.activation(-np.abs(pred), act_type="softrelu")
            if pos_weight is None:
                loss = npx.relu(pred) - pred * label + soft
            else:
                log_weight = 1 + (pos_weight - 1) * label
                loss = pred - pred * label + log_weight * (soft + npx.relu(-pred))
        else:
            eps = 1e-12
            pos = np.log(pred + eps) * label
            if pos_weight is not None:
                pos = pos * pos_weight
            loss = -(pos + np.log(1.0 - pred + eps) * (1.0 - label))
        loss = _apply_weighting(loss, self._weight, sample_weight)
        return self._reduce(loss)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


def _class_labels_k(xp: Any, label: Any, classes: int, where: str) -> Any:
    """The labels as they are when each is a class index (``ops_nn.class_indices``)."""
    _ops_nn.class_indices(xp, label, classes, where)
    return label.view()


# the label check of the op-by-op path (the fused op, SoftmaxCrossEntropyLoss, checks its
# own); no gradient: labels are data
_CLASS_LABELS = _register("SoftmaxCrossEntropyLoss_labels", _class_labels_k,
                          lambda label, classes, where: (label.shape, label.dtype))


class SoftmaxCrossEntropyLoss(Loss):
    """Softmax cross-entropy along *axis*.  ``sparse_label``: labels are class indices
    (pred's shape without *axis*, or with it as 1; float indices are truncated, as MXNet's
    ``pick``); a label outside the classes fails at the next sync point, under this loss's
    name (MXNet clips it silently), loss ``-log_softmax(pred)[label]``; else
    labels are distributions of pred's size, loss ``-sum(label * log_softmax(pred))``.
    ``from_logits``: pred already holds log-probabilities."""

    def __init__(self, axis: int = -1, sparse_label: bool = True, from_logits: bool = False,
                 weight: float | None = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _as_array(label, pred)
        fused = self._fused(pred, label, sample_weight)
        if fused is not None:
            return fused
        if not self._from_logits:
            pred = F.npx.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            ax = self._axis % pred.ndim if -pred.ndim <= self._axis < pred.ndim else self._axis
            if label.ndim == pred.ndim and label.ndim and label.shape[ax] == 1:
                label = label.reshape(label.shape[:ax] + label.shape[ax + 1:])
            if isinstance(ax, int) and pred.ndim and isinstance(label, _NDArray):
                label = _apply_op(_CLASS_LABELS, (label,),
                                  {"classes": int(pred.shape[ax]), "where": str(pred.device)})
            loss = -F.npx.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = _reshape_like(label, pred, "SoftmaxCrossEntropyLoss")
            loss = -(pred * label).sum(axis=self._axis, keepdims=True)
        loss = _apply_weighting(loss, self._weight, sample_weight)
        return self._reduce(loss)


    def _fused(self, pred: Any, label: Any, sample_weight: Any) -> Any:
        """The common case (class-index labels from logits, no sample weights) as one
        op of the table named after the loss (one op backward too), else None.  Same values
        as the op-by-op formula (the op computes it in the same order)."""
        if not (self._sparse_label and not self._from_logits and sample_weight is None
                and isinstance(pred, _NDArray) and isinstance(label, _NDArray)):
            return None
        nd = pred.ndim
        if nd < 2 or pred.dtype.kind != "f" or not -nd <= self._axis < nd or \
                not -nd <= self._batch_axis < nd:
            return None
        ax, b = self._axis % nd, self._batch_axis % nd
        if ax == b:
            return None
        want = tuple(pred.shape[:ax] + pred.shape[ax + 1:])
        if label.ndim == nd and label.shape[ax] == 1:
            label = label.reshape(want)
        if tuple(label.shape) != want:
            return None         # the op-by-op path raises pick's error
        return _apply_op(_SOFTMAX_CE, (pred, label),
                         {"axis": ax, "batch_axis": b, "weight": self._weight,
                          "where": str(pred.device)})


_SOFTMAX_CE = _OPS["SoftmaxCrossEntropyLoss"]
SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    """``label * (log(label + 1e-12) - pred)`` **summed** over non-batch axes (as
    MXNet 1.9.1 does); pred holds log-probabilities when ``from_logits`` (default),
    else ``log_softmax(pred, axis)`` is taken first."""

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
        return self._reduce(loss, "sum")


class CTCLoss(Loss):
    """Connectionist Temporal Classification loss, one value per sample.

    layout 'NTC' | 'TNC' (pred: batch, time, alphabet), label_layout 'NT' | 'TN'.  pred
    holds activations before softmax, the last class (alphabet_size - 1) being the
    blank; labels are 0-based and padded with -1 unless ``label_lengths`` is given.
    ``loss(pred, label, pred_lengths=None, label_lengths=None, sample_weight=None)``.
    See :mod:`ndengine.ndarray.ops_loss` for the algorithm and edge cases."""

    def __init__(self, layout: str = "NTC", label_layout: str = "NT",
                 weight: float | None = None, **kwargs: Any) -> None:
        if layout not in ("NTC", "TNC"):
            raise ValueError(f"CTCLoss: only 'NTC' and 'TNC' layouts for pred are supported, "
                             f"got {layout!r}")
        if label_layout not in ("NT", "TN"):
            raise ValueError(f"CTCLoss: only 'NT' and 'TN' layouts for label are supported, "
                             f"got {label_layout!r}")
        self._layout = layout
        self._label_layout = label_layout
        super().__init__(weight, label_layout.find("N"), **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, pred_lengths: Any = None,
                       label_lengths: Any = None, sample_weight: Any = None) -> Any:
        label = _as_array(label, pred)
        if self._layout == "NTC":
            pred = F.np.swapaxes(pred, 0, 1)
        if self._batch_axis == 1:
            label = F.np.swapaxes(label, 0, 1)
        if pred_lengths is not None:
            pred_lengths = _as_array(pred_lengths, pred)
        if label_lengths is not None:
            label_lengths = _as_array(label_lengths, pred)
        loss = _ops_loss.ctc_loss(pred, label, pred_lengths, label_lengths,
                                  use_data_lengths=pred_lengths is not None,
                                  use_label_lengths=label_lengths is not None,
                                  blank_label="last")
        return _apply_weighting(loss, self._weight, sample_weight)


class HuberLoss(Loss):
    """``0.5/rho * d**2`` where ``|d| <= rho``, else ``|d| - 0.5*rho`` (d = label - pred)."""

    def __init__(self, rho: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(_as_array(label, pred), pred, "HuberLoss")
        d = F.np.abs(label - pred)
        loss = F.np.where(d > self._rho, d - 0.5 * self._rho, (0.5 / self._rho) * F.np.square(d))
        loss = _apply_weighting(loss, self._weight, sample_weight)
        return self._reduce(loss)


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
        return self._reduce(loss)


class SquaredHingeLoss(Loss):
    """``max(0, margin - pred * label)**2`` (labels -1 / 1)."""

    def __init__(self, margin: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(_as_array(label, pred), pred, "SquaredHingeLoss")
        loss = F.np.square(F.npx.relu(self._margin - pred * label))
        loss = _apply_weighting(loss, self._weight, sample_weight)
        return self._reduce(loss)


class LogisticLoss(Loss):
    """``log(1 + exp(-pred * label))`` for labels -1/1 ('signed') or 0/1 ('binary'),
    computed as MXNet does: the binary cross-entropy from logits with the label mapped
    to 0/1 (``(label + 1) / 2`` when signed)."""

    def __init__(self, weight: float | None = None, batch_axis: int = 0,
                 label_format: str = "signed", **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ("signed", "binary"):
            raise ValueError(f"LogisticLoss: label_format can only be signed or binary, got "
                             f"{label_format!r}")
        self._label_format = label_format

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _reshape_like(_as_array(label, pred), pred, "LogisticLoss")
        if self._label_format == "signed":
            label = (label + 1.0) / 2.0
        loss = F.npx.relu(pred) - pred * label + \
            F.npx.activation(-F.np.abs(pred), act_type="softrelu")
        loss = _apply_weighting(loss, self._weight, sample_weight)
        return self._reduce(loss)


class TripletLoss(Loss):
    """``max(sum(|positive - pred|**2 - |negative - pred|**2) + margin, 0)``, the sum over
    non-batch axes.  ``loss(pred, positive, negative)`` (no sample_weight, as in MXNet)."""

    def __init__(self, margin: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: Any, positive: Any, negative: Any) -> Any:
        positive = _reshape_like(_as_array(positive, pred), pred, "TripletLoss", "positive")
        negative = _reshape_like(_as_array(negative, pred), pred, "TripletLoss", "negative")
        sq = F.np.square
        d = self._reduce(sq(positive - pred) - sq(negative - pred), "sum")
        return _apply_weighting(F.npx.relu(d + self._margin), self._weight)


class PoissonNLLLoss(Loss):
    """Negative log-likelihood of *target* under Poisson(pred): ``exp(pred) - target*pred``
    with ``from_logits`` (default: pred is the log-rate), else
    ``pred - target*log(pred + epsilon)``; ``compute_full`` adds Stirling's
    approximation of ``log(target!)`` for targets > 1.  Returns the mean over all
    elements, a 0-d array (MXNet's legacy mode, which has no 0-d arrays, gives shape (1,)).
    ``loss(pred, target, sample_weight=None, epsilon=1e-08)``."""

    def __init__(self, weight: float | None = None, from_logits: bool = True,
                 batch_axis: int = 0, compute_full: bool = False, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F: Any, pred: Any, target: Any, sample_weight: Any = None,
                       epsilon: float = 1e-08) -> Any:
        np = F.np
        target = _reshape_like(_as_array(target, pred), pred, "PoissonNLLLoss", "target")
        if self._from_logits:
            loss = np.exp(pred) - target * pred
        else:
            loss = pred - target * np.log(pred + epsilon)
        if self._compute_full:
            # only where target > 1 (elsewhere log(target!) is 0): the masked-out
            # elements never reach log, so a target of 0 adds 0, not 0 * nan
            big = target > 1
            t = np.where(big, target, 2.0)
            stirling = t * np.log(t) - t + 0.5 * np.log(2 * math.pi * t)
            loss = loss + np.where(big, stirling, 0.0)
        loss = _apply_weighting(loss, self._weight, sample_weight)
        return loss.mean()


class CosineEmbeddingLoss(Loss):
    """``1 - cos(input1, input2)`` for label 1, ``max(0, cos - margin)`` for label -1
    (cosine along the last axis), as a (N, 1) column.
    ``loss(input1, input2, label, sample_weight=None)``."""

    def __init__(self, weight: float | None = None, batch_axis: int = 0, margin: float = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, input1: Any, input2: Any, label: Any,
                       sample_weight: Any = None) -> Any:
        np = F.np
        input2 = _as_array(input2, input1)
        input1 = _reshape_like(input1, input2, "CosineEmbeddingLoss", "input1")
        label = _as_array(label, input1).reshape((-1, 1))
        x_norm = np.linalg.norm(input1, axis=-1).reshape((-1, 1))
        y_norm = np.linalg.norm(input2, axis=-1).reshape((-1, 1))
        dot = (input1 * input2).sum(axis=-1).reshape((-1, 1))
        cos = dot / np.maximum(x_norm * y_norm, 1e-12)
        pos = (label == 1).astype(cos.dtype)
        neg = (label == -1).astype(cos.dtype)
        loss = (1 - cos) * pos + np.maximum(neg * (cos - self._margin), 0)
        return _apply_weighting(loss, self._weight, sample_weight)


class SDMLLoss(Loss):
    """Batchwise Smoothed Deep Metric Learning loss of two aligned (N, D) batches:
    the KL divergence (summed per row, as KLDivLoss) between
    ``log_softmax(-squared_distances)`` and the identity matrix smoothed by
    ``smoothing_parameter`` (spread over the N - 1 other rows).  ``loss(x1, x2)``."""

    def __init__(self, smoothing_parameter: float = 0.3, weight: float = 1.0,
                 batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def hybrid_forward(self, F: Any, x1: Any, x2: Any) -> Any:
        np = F.np
        x2 = _as_array(x2, x1)
        if x1.ndim != 2 or tuple(x1.shape) != tuple(x2.shape):
            raise ShapeError(f"SDMLLoss: x1 and x2 must be (batch_size, dim) batches of one "
                             f"shape, got {tuple(x1.shape)} and {tuple(x2.shape)} (on "
                             f"{x1.device})")
        n = x1.shape[0]
        if n < 2:
            raise ShapeError(f"SDMLLoss: needs a batch of at least 2 (the other rows are the "
                             f"negatives), got {tuple(x1.shape)} (on {x1.device})")
        dist = np.square(np.expand_dims(x1, 1) - np.expand_dims(x2, 0)).sum(axis=2)
        logp = F.npx.log_softmax(-dist, axis=1)
        gold = np.eye(n, dtype=x1.dtype, device=x1.device)
        s = self.smoothing_parameter
        labels = gold * (1 - s) + (1 - gold) * (s / (n - 1))
        return _apply_weighting(self.kl_loss(logp, labels), self._weight)


from ..base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals(), hide=('ShapeError',))
