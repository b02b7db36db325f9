"""``mxnet.metric``: online evaluation metrics (MXNet 1.9.1's).

A metric accumulates ``sum_metric`` and ``num_inst`` over calls of
``update(labels, preds)`` (lists of arrays, or single arrays) and reports
``get() -> (name, sum_metric / num_inst)``.  Metrics with global stats keep a second
pair (``global_sum_metric``, ``global_num_inst``) that ``reset_local()`` leaves alone.

Metrics read values: every ``update`` is a sync point, as in MXNet.  Each update reads
the arrays it needs once (after the reductions that shrink what is read, e.g. the
``argmax`` of ``Accuracy`` and the sum of ``Loss``, which run as engine ops on the
array's device first) and does the rest with NumPy on the host: one read per array and update, never
one per element.  The numbers have MXNet's types: NumPy scalars where MXNet's are
(float32 results widened to float64 as MXNet's NumPy 1.x does when it adds them to a
Python float).
"""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any, Callable

import numpy as _onp

from . import registry

__all__ = ["EvalMetric", "CompositeEvalMetric", "Accuracy", "TopKAccuracy", "F1", "MCC",
           "Perplexity", "MAE", "MSE", "RMSE", "CrossEntropy", "NegativeLogLikelihood",
           "PearsonCorrelation", "PCC", "Loss", "Torch", "Caffe", "CustomMetric", "np",
           "create", "register", "alias", "check_label_shapes"]

_numeric = (int, float, _onp.generic)


def _is_array(x: Any) -> bool:
    """An ndengine array (np or legacy ``mx.nd``), which MXNet wraps in a list."""
    from .ndarray import NDArray

    return isinstance(x, NDArray) or _legacy_core(x) is not None


def _legacy_core(x: Any) -> Any:
    """The np array behind a legacy ``mx.nd.NDArray``, else None."""
    cls = x.__class__
    if cls.__name__ == "NDArray" and cls.__module__ == "ndengine.legacy.ndarray":
        return x._arr
    return None


def _core(x: Any) -> Any:
    """x as an ndengine np array when it is a legacy one (for device-side reductions)."""
    c = _legacy_core(x)
    return x if c is None else c


def _host(x: Any) -> _onp.ndarray:
    """x's values as a NumPy array (the sync point of an update)."""
    if hasattr(x, "asnumpy"):
        return x.asnumpy()
    return _onp.asarray(x)


def _wide(v: Any) -> Any:
    """A float32/float16 NumPy scalar as float64, as NumPy 1.x makes it when MXNet adds it
    to a Python number (NumPy 2 would keep float32)."""
    if isinstance(v, _onp.floating) and v.dtype.itemsize < 8:
        return _onp.float64(v)
    return v


def check_label_shapes(labels: Any, preds: Any, wrap: bool = False,
                       shape: bool = False) -> tuple[Any, Any]:
    """Check that labels and predictions agree in length (or, with ``shape=True``, in
    shape); with ``wrap=True`` single arrays come back wrapped in lists."""
    if not shape:
        label_shape, pred_shape = len(labels), len(preds)
    else:
        label_shape, pred_shape = labels.shape, preds.shape
    if label_shape != pred_shape:
        raise ValueError(f"Shape of labels {label_shape} does not match shape of "
                         f"predictions {pred_shape}")
    if wrap:
        if _is_array(labels):
            labels = [labels]
        if _is_array(preds):
            preds = [preds]
    return labels, preds


class EvalMetric:
    """Base class of the metrics.  *output_names* / *label_names* choose the entries of
    the dicts given to ``update_dict``."""

    def __init__(self, name: str, output_names: list | None = None,
                 label_names: list | None = None, **kwargs: Any) -> None:
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self) -> str:
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self) -> dict:
        """The arguments that ``metric.create(**config)`` rebuilds this metric from."""
        config = self._kwargs.copy()
        config.update({"metric": self.__class__.__name__, "name": self.name,
                       "output_names": self.output_names, "label_names": self.label_names})
        return config

    def update_dict(self, label: dict, pred: dict) -> None:
        """Update from name -> array dicts (by output_names / label_names when set)."""
        pred = [pred[n] for n in self.output_names] if self.output_names is not None \
            else list(pred.values())
        label = [label[n] for n in self.label_names] if self.label_names is not None \
            else list(label.values())
        self.update(label, pred)

    def update(self, labels: Any, preds: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__}.update")

    def reset(self) -> None:
        """Reset the local and the global statistics."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self) -> None:
        """Reset the local statistics (the global ones go on)."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def _add(self, value: Any, count: Any) -> None:
        value = _wide(value)
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count

    def get(self) -> tuple:
        """``(name, value)``; value is nan before any update."""
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, self.sum_metric / self.num_inst)

    def get_global(self) -> tuple:
        """As get, over every update since the last ``reset()``."""
        if self._has_global_stats:
            if self.global_num_inst == 0:
                return (self.name, float("nan"))
            return (self.name, self.global_sum_metric / self.global_num_inst)
        return self.get()

    @staticmethod
    def _pairs(name: Any, value: Any) -> list:
        names = name if isinstance(name, list) else [name]
        values = value if isinstance(value, list) else [value]
        return list(zip(names, values))

    def get_name_value(self) -> list:
        """``[(name, value), ...]``."""
        return self._pairs(*self.get())

    def get_global_name_value(self) -> list:
        """``[(name, global value), ...]``."""
        if self._has_global_stats:
            return self._pairs(*self.get_global())
        return self.get_name_value()


register = registry.get_register_func(EvalMetric, "metric")
alias = registry.get_alias_func(EvalMetric, "metric")
_create = registry.get_create_func(EvalMetric, "metric")


def create(metric: Any, *args: Any, **kwargs: Any) -> EvalMetric:
    """A metric from a name (``'acc'``), an instance, a list of those (a
    CompositeEvalMetric), or a function ``feval(label, pred)`` (a CustomMetric)."""
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    return _create(metric, *args, **kwargs)


@register
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get()`` gives lists of names and values."""

    def __init__(self, metrics: list | None = None, name: str = "composite",
                 output_names: list | None = None, label_names: list | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.metrics = [create(m) for m in (metrics or [])]

    def add(self, metric: Any) -> None:
        """Add a child metric (an instance or anything ``create`` takes)."""
        self.metrics.append(create(metric))

    def get_metric(self, index: int) -> Any:
        """The child metric at *index* (MXNet returns, not raises, the ValueError of a bad
        index)."""
        try:
            return self.metrics[index]
        except IndexError:
            return ValueError(f"Metric index {index} is out of range 0 and {len(self.metrics)}")

    def update_dict(self, labels: dict, preds: dict) -> None:
        if self.label_names is not None:
            labels = OrderedDict([i for i in labels.items() if i[0] in self.label_names])
        if self.output_names is not None:
            preds = OrderedDict([i for i in preds.items() if i[0] in self.output_names])
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self) -> None:
        for metric in getattr(self, "metrics", []):
            metric.reset()

    def reset_local(self) -> None:
        for metric in getattr(self, "metrics", []):
            metric.reset_local()

    def _collect(self, method: str) -> tuple:
        names: list = []
        values: list = []
        for metric in self.metrics:
            name, value = getattr(metric, method)()
            names.extend([name] if isinstance(name, str) else name)
            values.extend([value] if isinstance(value, _numeric) else value)
        return (names, values)

    def get(self) -> tuple:
        return self._collect("get")

    def get_global(self) -> tuple:
        return self._collect("get_global")

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"metrics": [m.get_config() for m in self.metrics]})
        return config


@register
@alias("acc")
class Accuracy(EvalMetric):
    """Fraction of predictions equal to the labels; predictions of another shape than
    the labels are class scores, reduced by ``argmax(axis)`` (on the device)."""

    def __init__(self, axis: int = 1, name: str = "accuracy", output_names: list | None = None,
                 label_names: list | None = None) -> None:
        super().__init__(name, axis=axis, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        from . import numpy as np

        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            if pred.shape != label.shape:
                pred = np.argmax(_core(pred), axis=self.axis) if _is_array(pred) \
                    else _onp.argmax(pred, axis=self.axis)
            pred_label = _host(pred).astype("int32").flat
            label = _host(label).astype("int32").flat
            check_label_shapes(label, pred_label)
            self._add((pred_label == label).sum(), len(pred_label))


@register
@alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(EvalMetric):
    """Fraction of labels among the *top_k* highest scores (top_k > 1)."""

    def __init__(self, top_k: int = 1, name: str = "top_k_accuracy",
                 output_names: list | None = None, label_names: list | None = None) -> None:
        super().__init__(name, top_k=top_k, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.top_k = top_k
        if not self.top_k > 1:
            raise AssertionError("Please use Accuracy if top_k is no more than 1")
        self.name += f"_{self.top_k}"

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            if len(pred.shape) > 2:
                raise AssertionError("Predictions should be no more than 2 dims")
            pred_label = _onp.argpartition(_host(pred).astype("float32"), -self.top_k)
            label = _host(label).astype("int32")
            check_label_shapes(label, pred_label)
            n = pred_label.shape[0]
            if pred_label.ndim == 1:
                # as MXNet: a 1-d prediction counts towards the local stats only
                self.sum_metric += (pred_label.flat == label.flat).sum()
            else:
                classes = pred_label.shape[1]
                k = min(classes, self.top_k)
                top = pred_label[:, classes - k:]
                hits = (top == label.reshape(-1, 1)).sum()
                self.sum_metric += hits
                self.global_sum_metric += hits
            self.num_inst += n
            self.global_num_inst += n


class _BinaryClassificationMetrics:
    """Confusion counts of a binary classifier (local and global), for F1 and MCC."""

    def __init__(self) -> None:
        self.reset_stats()

    def update_binary_stats(self, label: Any, pred: Any) -> None:
        pred = _host(pred)
        label = _host(label).astype("int32")
        pred_label = _onp.argmax(pred, axis=1)
        check_label_shapes(label, pred)
        if len(_onp.unique(label)) > 2:
            raise ValueError(f"{self.__class__.__name__} currently only supports binary "
                             f"classification.")
        pred_true = pred_label == 1
        pred_false = 1 - pred_true
        label_true = label == 1
        label_false = 1 - label_true
        tp = (pred_true * label_true).sum()
        fp = (pred_true * label_false).sum()
        fn = (pred_false * label_true).sum()
        tn = (pred_false * label_false).sum()
        self.true_positives += tp
        self.global_true_positives += tp
        self.false_positives += fp
        self.global_false_positives += fp
        self.false_negatives += fn
        self.global_false_negatives += fn
        self.true_negatives += tn
        self.global_true_negatives += tn

    @staticmethod
    def _ratio(a: Any, b: Any) -> float:
        return float(a) / (a + b) if a + b > 0 else 0.0

    @staticmethod
    def _f(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    @property
    def precision(self) -> float:
        return self._ratio(self.true_positives, self.false_positives)

    @property
    def global_precision(self) -> float:
        return self._ratio(self.global_true_positives, self.global_false_positives)

    @property
    def recall(self) -> float:
        return self._ratio(self.true_positives, self.false_negatives)

    @property
    def global_recall(self) -> float:
        return self._ratio(self.global_true_positives, self.global_false_negatives)

    @property
    def fscore(self) -> float:
        return self._f(self.precision, self.recall)

    @property
    def global_fscore(self) -> float:
        return self._f(self.global_precision, self.global_recall)

    def matthewscc(self, use_global: bool = False) -> float:
        """Matthews correlation coefficient of the (local or global) counts."""
        pre = "global_" if use_global else ""
        if not getattr(self, pre + "total_examples"):
            return 0.0
        tp = float(getattr(self, pre + "true_positives"))
        fp = float(getattr(self, pre + "false_positives"))
        fn = float(getattr(self, pre + "false_negatives"))
        tn = float(getattr(self, pre + "true_negatives"))
        denom = 1.0
        for t in (tp + fp, tp + fn, tn + fp, tn + fn):
            if t != 0.0:
                denom *= t
        return (tp * tn - fp * fn) / math.sqrt(denom)

    @property
    def total_examples(self) -> Any:
        return self.false_negatives + self.false_positives + self.true_negatives + \
            self.true_positives

    @property
    def global_total_examples(self) -> Any:
        return self.global_false_negatives + self.global_false_positives + \
            self.global_true_negatives + self.global_true_positives

    def local_reset_stats(self) -> None:
        self.false_positives = 0
        self.false_negatives = 0
        self.true_positives = 0
        self.true_negatives = 0

    def reset_stats(self) -> None:
        self.local_reset_stats()
        self.global_false_positives = 0
        self.global_false_negatives = 0
        self.global_true_positives = 0
        self.global_true_negatives = 0


class _BinaryMetric(EvalMetric):
    """F1 and MCC: a score of the confusion counts, averaged over updates ('macro') or
    of the counts of every update ('micro')."""

    def __init__(self, name: str, output_names: list | None, label_names: list | None,
                 average: str) -> None:
        self._average = average
        self._metrics = _BinaryClassificationMetrics()
        super().__init__(name=name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def _score(self, use_global: bool) -> float:
        raise NotImplementedError

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self._metrics.update_binary_stats(label, pred)
        m = self._metrics
        if self._average == "macro":
            self.sum_metric += self._score(False)
            self.global_sum_metric += self._score(True)
            self.num_inst += 1
            self.global_num_inst += 1
            m.reset_stats()
        else:
            self.sum_metric = self._score(False) * m.total_examples
            self.global_sum_metric = self._score(True) * m.global_total_examples
            self.num_inst = m.total_examples
            self.global_num_inst = m.global_total_examples


@register
class F1(_BinaryMetric):
    """F1 score of a binary classifier (predictions: scores of shape (n, 2)).
    ``average='macro'`` averages the score of each update, 'micro' scores the counts of
    all updates."""

    def __init__(self, name: str = "f1", output_names: list | None = None,
                 label_names: list | None = None, average: str = "macro") -> None:
        self.average = average
        super().__init__(name, output_names, label_names, average)

    @property
    def metrics(self) -> _BinaryClassificationMetrics:
        return self._metrics

    def _score(self, use_global: bool) -> float:
        return self._metrics.global_fscore if use_global else self._metrics.fscore

    def reset(self) -> None:
        self.sum_metric = 0.0
        self.num_inst = 0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0
        self._metrics.reset_stats()

    def reset_local(self) -> None:
        self.sum_metric = 0.0
        self.num_inst = 0
        self._metrics.local_reset_stats()


@register
class MCC(_BinaryMetric):
    """Matthews correlation coefficient of a binary classifier (see F1 for
    ``average``)."""

    def __init__(self, name: str = "mcc", output_names: list | None = None,
                 label_names: list | None = None, average: str = "macro") -> None:
        super().__init__(name, output_names, label_names, average)

    def _score(self, use_global: bool) -> float:
        return self._metrics.matthewscc(use_global=use_global)

    def reset(self) -> None:
        self.sum_metric = 0.0
        self.num_inst = 0.0
        self.global_sum_metric = 0.0
        self.global_num_inst = 0.0
        self._metrics.reset_stats()

    def reset_local(self) -> None:
        self.sum_metric = 0.0
        self.num_inst = 0.0
        self._metrics.local_reset_stats()


@register
class Perplexity(EvalMetric):
    """exp of the mean negative log-probability of the labels; labels equal to
    *ignore_label* are left out (labels index along *axis*, clipped to the classes)."""

    def __init__(self, ignore_label: Any, axis: int = -1, name: str = "perplexity",
                 output_names: list | None = None, label_names: list | None = None) -> None:
        super().__init__(name, ignore_label=ignore_label, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        if len(labels) != len(preds):
            raise AssertionError(f"Perplexity: {len(labels)} labels and {len(preds)} "
                                 f"predictions")
        loss = 0.0
        num = 0
        for label, pred in zip(labels, preds):
            if label.size != pred.size / pred.shape[-1]:
                raise AssertionError(f"shape mismatch: {label.shape} vs. {pred.shape}")
            lab = _host(label).reshape((label.size,))
            p = _host(pred)
            p = _onp.moveaxis(p, self.axis, -1).reshape(-1, p.shape[self.axis])
            idx = _onp.clip(lab.astype("int32"), 0, p.shape[1] - 1)
            picked = _onp.take_along_axis(p, idx[:, None].astype(_onp.intp), axis=1)[:, 0]
            if self.ignore_label is not None:
                ignore = (lab == self.ignore_label).astype(picked.dtype)
                num -= _wide(ignore.sum(dtype=picked.dtype))
                picked = picked * (1 - ignore) + ignore
            loss -= _wide(_onp.log(_onp.maximum(picked.dtype.type(1e-10), picked))
                          .sum(dtype=picked.dtype))
            num += picked.size
        self._add(loss, num)

    def get(self) -> tuple:
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self) -> tuple:
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))


def _as_columns(x: _onp.ndarray) -> _onp.ndarray:
    return x.reshape(x.shape[0], 1) if x.ndim == 1 else x


class _Regression(EvalMetric):
    """MAE, MSE, RMSE: one value per update (a mean over its elements)."""

    def __init__(self, name: str, output_names: list | None = None,
                 label_names: list | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    @staticmethod
    def _value(label: _onp.ndarray, pred: _onp.ndarray) -> Any:
        raise NotImplementedError

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self._add(self._value(_as_columns(_host(label)), _as_columns(_host(pred))), 1)


@register
class MAE(_Regression):
    """Mean absolute error, averaged over updates."""

    def __init__(self, name: str = "mae", output_names: list | None = None,
                 label_names: list | None = None) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _value(label: _onp.ndarray, pred: _onp.ndarray) -> Any:
        return _onp.abs(label - pred).mean()


@register
class MSE(_Regression):
    """Mean squared error, averaged over updates."""

    def __init__(self, name: str = "mse", output_names: list | None = None,
                 label_names: list | None = None) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _value(label: _onp.ndarray, pred: _onp.ndarray) -> Any:
        return ((label - pred) ** 2.0).mean()


@register
class RMSE(_Regression):
    """Root mean squared error of each update, averaged over updates."""

    def __init__(self, name: str = "rmse", output_names: list | None = None,
                 label_names: list | None = None) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _value(label: _onp.ndarray, pred: _onp.ndarray) -> Any:
        return _onp.sqrt(((label - pred) ** 2.0).mean())


class _LogLoss(EvalMetric):
    """CrossEntropy and NegativeLogLikelihood: -log(p[label] + eps) per sample."""

    def __init__(self, eps: float, name: str, output_names: list | None,
                 label_names: list | None) -> None:
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.eps = eps

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _host(label).ravel()
            pred = _host(pred)
            n = pred.shape[0]
            if label.shape[0] != n:
                raise AssertionError((label.shape[0], n))
            prob = pred[_onp.arange(n, dtype=_onp.int64), _onp.int64(label)]
            self._add((-_onp.log(prob + self.eps)).sum(), n)


@register
@alias("ce")
class CrossEntropy(_LogLoss):
    """Mean cross-entropy of the predicted class probabilities (rows) and the labels."""

    def __init__(self, eps: float = 1e-12, name: str = "cross-entropy",
                 output_names: list | None = None, label_names: list | None = None) -> None:
        super().__init__(eps, name, output_names, label_names)


@register
@alias("nll_loss")
class NegativeLogLikelihood(_LogLoss):
    """Mean negative log-likelihood of the labels under the predicted probabilities."""

    def __init__(self, eps: float = 1e-12, name: str = "nll-loss",
                 output_names: list | None = None, label_names: list | None = None) -> None:
        super().__init__(eps, name, output_names, label_names)


@register
@alias("pearsonr")
class PearsonCorrelation(EvalMetric):
    """Pearson correlation of labels and predictions: averaged over updates ('macro')
    or of all values seen ('micro', by running means and sums of squares)."""

    def __init__(self, name: str = "pearsonr", output_names: list | None = None,
                 label_names: list | None = None, average: str = "macro") -> None:
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        if self.average == "micro":
            self.reset_micro()

    def reset_micro(self) -> None:
        self._sse_p = 0
        self._mean_p = 0
        self._sse_l = 0
        self._mean_l = 0
        self._pred_nums = 0
        self._label_nums = 0
        self._conv = 0

    def reset(self) -> None:
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0
        if self.average == "micro":
            self.reset_micro()

    def update_variance(self, new_values: _onp.ndarray, *aggregate: Any) -> tuple:
        """Welford's update of (count, mean, sum of squared deviations)."""
        count, mean, m_2 = aggregate
        count += len(new_values)
        delta = new_values - mean
        mean += _onp.sum(delta / count)
        m_2 += _onp.sum(delta * (new_values - mean))
        return count, mean, m_2

    def update_cov(self, label: _onp.ndarray, pred: _onp.ndarray) -> None:
        self._conv = self._conv + _onp.sum((label - self._mean_l) * (pred - self._mean_p))

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            check_label_shapes(label, pred, False, True)
            label = _host(label).ravel().astype(_onp.float64)
            pred = _host(pred).ravel().astype(_onp.float64)
            if self.average == "macro":
                self._add(_onp.corrcoef(pred, label)[0, 1], 1)
            else:
                self.global_num_inst += 1
                self.num_inst += 1
                self._label_nums, self._mean_l, self._sse_l = self.update_variance(
                    label, self._label_nums, self._mean_l, self._sse_l)
                self.update_cov(label, pred)
                self._pred_nums, self._mean_p, self._sse_p = self.update_variance(
                    pred, self._pred_nums, self._mean_p, self._sse_p)

    def get(self) -> tuple:
        if self.num_inst == 0:
            return (self.name, float("nan"))
        if self.average == "macro":
            return (self.name, self.sum_metric / self.num_inst)
        n = self._label_nums
        r = self._conv / ((n - 1) * _onp.sqrt(self._sse_p / (n - 1)) *
                          _onp.sqrt(self._sse_l / (n - 1)))
        return (self.name, r)


@register
class PCC(EvalMetric):
    """Multiclass Pearson correlation (MCC's generalisation) of the confusion matrix of
    every update since the reset; it grows with the largest class seen."""

    def __init__(self, name: str = "pcc", output_names: list | None = None,
                 label_names: list | None = None, has_global_stats: bool = True) -> None:
        self.k = 2
        super().__init__(name=name, output_names=output_names, label_names=label_names,
                         has_global_stats=has_global_stats)

    def _grow(self, inc: int) -> None:
        self.lcm = _onp.pad(self.lcm, ((0, inc), (0, inc)), "constant", constant_values=0)
        self.gcm = _onp.pad(self.gcm, ((0, inc), (0, inc)), "constant", constant_values=0)
        self.k += inc

    @staticmethod
    def _calc_mcc(cmat: _onp.ndarray) -> Any:
        n = cmat.sum()
        x = cmat.sum(axis=1)
        y = cmat.sum(axis=0)
        cov_xx = _onp.sum(x * (n - x))
        cov_yy = _onp.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float("nan")
        cov_xy = _onp.sum(cmat.diagonal() * n - x * y)
        return cov_xy / (cov_xx * cov_yy) ** 0.5

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _host(label).astype("int32", copy=False)
            pred = _host(pred)
            if pred.shape != label.shape:
                pred = pred.argmax(axis=1)
            else:
                pred = pred.astype("int32", copy=False)
            n = max(pred.max(), label.max())
            if n >= self.k:
                self._grow(_onp.int64(n) + 1 - self.k)     # int64 as NumPy 1.x gives
            bcm = _onp.zeros((self.k, self.k))
            _onp.add.at(bcm, (pred, label), 1)
            self.lcm += bcm
            self.gcm += bcm
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self) -> Any:
        return self._calc_mcc(self.lcm) * self.num_inst

    @property
    def global_sum_metric(self) -> Any:
        return self._calc_mcc(self.gcm) * self.global_num_inst

    def reset(self) -> None:
        self.global_num_inst = 0.0
        self.gcm = _onp.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self) -> None:
        self.num_inst = 0.0
        self.lcm = _onp.zeros((self.k, self.k))


@register
class Loss(EvalMetric):
    """Mean of the given loss values (``update(_, losses)``; labels are ignored)."""

    def __init__(self, name: str = "loss", output_names: list | None = None,
                 label_names: list | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, _: Any, preds: Any) -> None:
        if _is_array(preds):
            preds = [preds]
        for pred in preds:
            value = _core(pred).sum() if _is_array(pred) else _onp.asarray(pred).sum()
            self._add(_host(value)[()], pred.size)


@register
class Torch(Loss):
    """Loss under the name 'torch' (MXNet's dummy metric for Torch criterions)."""

    def __init__(self, name: str = "torch", output_names: list | None = None,
                 label_names: list | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """Loss under the name 'caffe' (MXNet's dummy metric for Caffe criterions)."""

    def __init__(self, name: str = "caffe", output_names: list | None = None,
                 label_names: list | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class CustomMetric(EvalMetric):
    """A metric from ``feval(label, pred)`` on NumPy arrays, returning a value (one
    instance) or ``(sum_metric, num_inst)``.  With *allow_extra_outputs* there may be
    more predictions than labels (the extra ones are ignored)."""

    def __init__(self, feval: Callable, name: str | None = None,
                 allow_extra_outputs: bool = False, output_names: list | None = None,
                 label_names: list | None = None) -> None:
        if name is None:
            name = feval.__name__
            if "<" in name:
                name = f"custom({name})"
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels: Any, preds: Any) -> None:
        if not self._allow_extra_outputs:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(preds, labels):
            reval = self._feval(_host(label), _host(pred))
            if isinstance(reval, tuple):
                self._add(*reval)
            else:
                self._add(reval, 1)

    def get_config(self) -> dict:
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(numpy_feval: Callable, name: str | None = None,
       allow_extra_outputs: bool = False) -> CustomMetric:
    """A CustomMetric from a function of NumPy arrays (``mx.metric.np(f)``)."""
    def feval(label: Any, pred: Any) -> Any:
        return numpy_feval(label, pred)
    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)


from .base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals())
