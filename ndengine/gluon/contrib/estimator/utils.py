"""Argument checks shared by the estimator and its event handlers."""
from __future__ import annotations

from typing import Any

from ....base import MXNetError
from ....metric import Accuracy, CompositeEvalMetric, EvalMetric
from ...loss import SoftmaxCrossEntropyLoss


class EstimatorAssertionError(MXNetError, ValueError, AssertionError):
    """A bad argument or state that MXNet 1.9.1's estimator asserts on (hence
    AssertionError too; ValueError as ndengine's other argument errors)."""


def _check_metrics(metrics: Any) -> list:
    """*metrics* (None, one metric, a composite or a list of metrics) as a flat list."""
    if isinstance(metrics, CompositeEvalMetric):
        return [m for inner in metrics.metrics for m in _check_metrics(inner)]
    if isinstance(metrics, EvalMetric):
        return [metrics]
    if metrics is None:
        return []
    if isinstance(metrics, (list, tuple)) and all(isinstance(m, EvalMetric) for m in metrics):
        return list(metrics)
    raise ValueError(f"metrics must be a Metric or a list of Metric, refer to "
                     f"mxnet.metric.EvalMetric: {metrics!r}")


def _metric_refs(handler: Any) -> list:
    """The metric objects a handler holds in attributes named ``*metric*``."""
    refs = []
    for attr in dir(handler):
        if "metric" not in attr or attr.startswith("__"):
            continue
        try:
            value = getattr(handler, attr)
        except Exception:       # a property that cannot be read yet
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        refs.extend(v for v in values if isinstance(v, EvalMetric))
    return refs


def _check_handler_metric_ref(handler: Any, known_metrics: list) -> None:
    """Raise when *handler* refers to a metric object the estimator does not update."""
    known = {id(m) for m in known_metrics}
    for metric in _metric_refs(handler):
        if id(metric) not in known:
            raise ValueError(f"Event handler {type(handler).__name__} refers to a metric "
                             f"instance {metric} outside of the known training and "
                             f"validation metrics. Please use the metrics from "
                             f"estimator.train_metrics and estimator.val_metrics instead.")


def _suggest_metric_for_loss(loss: Any) -> Any:
    """The metric that goes with *loss* by default (accuracy for softmax cross-entropy)."""
    if isinstance(loss, SoftmaxCrossEntropyLoss):
        return Accuracy()
    return None
