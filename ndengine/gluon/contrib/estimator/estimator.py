"""``mxnet.gluon.contrib.estimator.estimator``: :class:`Estimator`, MXNet 1.9.1's
high-level training loop (``fit`` / ``evaluate`` driven by event handlers)."""
from __future__ import annotations

import copy
import logging
import sys
import warnings
from typing import Any

from ....device import Device, cpu, gpu, num_gpus
from ....metric import Loss as _LossMetric
from ...data import DataLoader
from ...loss import Loss as _GluonLoss
from ...trainer import Trainer
from .batch_processor import BatchProcessor
from .event_handler import (BatchBegin, BatchEnd, EpochBegin, EpochEnd,
                            GradientUpdateHandler, LoggingHandler, MetricHandler,
                            StoppingHandler, TrainBegin, TrainEnd, ValidationHandler,
                            _check_event_handlers)
from .utils import (EstimatorAssertionError, _check_handler_metric_ref, _check_metrics,
                    _suggest_metric_for_loss)

__all__ = ["Estimator"]


def _count(value: Any, what: str) -> Any:
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"Estimator.fit: {what} must be a positive int, got {value!r}")
    return value


class Estimator:
    """Trains *net* with *loss* and *trainer* (``fit``) and evaluates it (``evaluate``)
    on Gluon DataLoaders, the work of each event being done by event handlers.

    * *train_metrics* / *val_metrics*: a metric or a list; they are renamed
      ``training <name>`` / ``validation <name>``.  Without train metrics the estimator
      uses ``Accuracy`` (for ``SoftmaxCrossEntropyLoss`` only) and a ``metric.Loss``
      named after the loss (``training softmaxcrossentropyloss``); without validation
      metrics, copies of the training ones.
    * *initializer*: used when *net* is not fully initialized yet (on *context*).
    * *trainer*: a ``gluon.Trainer``; without one, SGD with learning rate 0.001 (with a
      warning).
    * *context*: a device or a list of them (default ``cpu()``, or ``gpu(0)`` when
      there is a GPU); each batch is split over them.
    * *val_net* / *val_loss*: what ``evaluate`` uses (default *net* / *loss*).
    * *batch_processor*: an object with ``fit_batch`` and ``evaluate_batch``
      (default :class:`BatchProcessor`).

    ``logger`` is a ``logging.Logger`` of its own, writing INFO and above to stdout."""

    logger = None

    def __init__(self, net: Any, loss: Any, train_metrics: Any = None, val_metrics: Any = None,
                 initializer: Any = None, trainer: Any = None, context: Any = None,
                 val_net: Any = None, val_loss: Any = None, batch_processor: Any = None) -> None:
        self.net = net
        self.loss = self._check_loss(loss)
        self._train_metrics = _check_metrics(train_metrics)
        self._val_metrics = _check_metrics(val_metrics)
        self._add_default_training_metrics()
        self._add_validation_metrics()
        self.val_loss = self.loss if val_loss is None else self._check_loss(val_loss)
        self.val_net = self.net if val_net is None else val_net
        self.logger = logging.Logger(name="Estimator", level=logging.INFO)
        self.logger.addHandler(logging.StreamHandler(sys.stdout))
        self.context = self._check_context(context)
        self._initialize(initializer)
        self.trainer = self._check_trainer(trainer)
        self.batch_processor = self._check_batch_processor(batch_processor)
        self.max_epoch = self.max_batch = None
        self.batch_axis = 0

    # -- argument checks ---------------------------------------------------------------
    @staticmethod
    def _check_loss(loss: Any) -> Any:
        if not isinstance(loss, _GluonLoss):
            raise ValueError(f"loss must be a Loss, refer to gluon.loss.Loss:{loss!r}")
        return loss

    @staticmethod
    def _check_context(context: Any) -> list:
        gpus = num_gpus()
        if context:
            if isinstance(context, Device):
                context = [context]
            elif not (isinstance(context, (list, tuple)) and context
                      and all(isinstance(c, Device) for c in context)):
                raise ValueError(f"context must be a Context or a list of Context, for "
                                 f"example mx.cpu() or [mx.gpu(0), mx.gpu(1)], refer to "
                                 f"mxnet.Context:{context!r}")
            context = list(context)
            for ctx in context:
                if ctx.device_type.startswith("cpu"):
                    continue
                if not (ctx.device_type == "gpu" and ctx.device_id < gpus):
                    avail = ", ".join(str(gpu(i)) for i in range(gpus))
                    raise EstimatorAssertionError(f"{ctx} is not available, please make sure "
                                                  f"your context is in one of: mx.cpu(), "
                                                  f"{avail}")
            return context
        if gpus > 0:
            if gpus > 1:
                warnings.warn("You have multiple GPUs, gpu(0) will be used by default. To "
                              "utilize all your GPUs, specify context as a list of gpus, "
                              "e.g. context=[mx.gpu(0), mx.gpu(1)] ", stacklevel=3)
            return [gpu(0)]
        return [cpu()]

    @staticmethod
    def _check_batch_processor(batch_processor: Any) -> Any:
        if batch_processor is None:
            return BatchProcessor()
        if not callable(getattr(batch_processor, "fit_batch", None)) or \
                not callable(getattr(batch_processor, "evaluate_batch", None)):
            raise ValueError("Customized Batch Processor must contain fit_batch() and "
                             "evaluate_batch() methods")
        return batch_processor

    def _is_initialized(self) -> bool:
        params = self.net.collect_params()
        for name in params:
            try:
                params[name].list_ctx()
            except RuntimeError:
                return False
        return True

    def _initialize(self, initializer: Any) -> None:
        if not self._is_initialized():
            # parameters already initialized keep their values (initialize warns about
            # them and skips them)
            if initializer:
                self.net.initialize(init=initializer, ctx=self.context)
            else:
                self.net.initialize(ctx=self.context)
        elif initializer:
            warnings.warn("Network already fully initialized, skipping initialization. You "
                          "don't need to pass initializer if you already initialized your "
                          "net. You can use net.initialize(init=your_initializer, "
                          "force_reinit=True)to force re-initialize.", stacklevel=3)

    def _check_trainer(self, trainer: Any) -> Any:
        if trainer is None:
            warnings.warn("No trainer specified, default SGD optimizer with learning rate "
                          "0.001 is used.", stacklevel=3)
            return Trainer(self.net.collect_params(), "sgd", {"learning_rate": 0.001})
        if not isinstance(trainer, Trainer):
            raise ValueError(f"Trainer must be a Gluon Trainer instance, refer to "
                             f"gluon.Trainer:{trainer!r}")
        return trainer

    # -- metrics -----------------------------------------------------------------------
    def _add_default_training_metrics(self) -> None:
        if not self._train_metrics:
            suggested = _suggest_metric_for_loss(self.loss)
            if suggested is not None:
                self._train_metrics = [suggested]
            self._train_metrics.append(_LossMetric(self.loss.name.rstrip("0123456789")))
        for metric in self._train_metrics:
            metric.name = "training " + metric.name

    def _add_validation_metrics(self) -> None:
        if not self._val_metrics:
            self._val_metrics = [copy.deepcopy(m) for m in self._train_metrics]
        for metric in self._val_metrics:
            if "training" in metric.name:
                metric.name = metric.name.replace("training", "validation")
            else:
                metric.name = "validation " + metric.name

    @property
    def train_metrics(self) -> list:
        return self._train_metrics

    @property
    def val_metrics(self) -> list:
        return self._val_metrics

    # -- the loops ---------------------------------------------------------------------
    def evaluate(self, val_data: Any, batch_axis: int = 0, event_handlers: Any = None) -> None:
        """Run ``batch_processor.evaluate_batch`` on every batch of *val_data* (a
        DataLoader) with the validation metrics reset first; a MetricHandler and a
        LoggingHandler of ``val_metrics`` are added unless *event_handlers* has one."""
        if not isinstance(val_data, DataLoader):
            raise ValueError("Estimator only support input as Gluon DataLoader. "
                             "Alternatively, you can transform your DataIter or any NDArray "
                             "into Gluon DataLoader. Refer to gluon.data.DataLoader")
        for metric in self.val_metrics:
            metric.reset()
        handlers = self._prepare_default_validation_handlers(event_handlers)
        _, epoch_begin, batch_begin, batch_end, epoch_end, _ = \
            self._categorize_handlers(handlers)
        for handler in epoch_begin:
            handler.epoch_begin(self)
        for batch in val_data:
            for handler in batch_begin:
                handler.batch_begin(self, batch=batch)
            _, label, pred, loss = self.batch_processor.evaluate_batch(self, batch,
                                                                       batch_axis)
            for handler in batch_end:
                handler.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
        for handler in epoch_end:
            handler.epoch_end(self)

    def fit(self, train_data: Any, val_data: Any = None, epochs: int | None = None,
            event_handlers: Any = None, batches: int | None = None,
            batch_axis: int = 0) -> None:
        """Train on *train_data* (a DataLoader) for *epochs* epochs or *batches* batches
        (exactly one of them).  Each batch goes through ``batch_processor.fit_batch``
        and the batch-end handlers (GradientUpdateHandler's ``trainer.step`` among
        them).  A StoppingHandler, GradientUpdateHandler, MetricHandler (of
        ``train_metrics``), LoggingHandler and, with *val_data*, ValidationHandler are
        added unless *event_handlers* has one of the kind.  Returns None."""
        if not isinstance(train_data, DataLoader):
            raise ValueError("Estimator only support input as Gluon DataLoader. "
                             "Alternatively, you can transform your DataIter or any NDArray "
                             "into Gluon DataLoader. Refer to gluon.data.dataloader")
        if (not epochs) == (not batches):
            raise ValueError("Fit only support exactly one type of iteration, train by "
                             "number of epochs or number of batches.Please specify one and "
                             "only one of: epochs or batches.")
        self.max_epoch = _count(epochs, "epochs")
        self.max_batch = _count(batches, "batches")
        self.batch_axis = batch_axis

        handlers = self._prepare_default_handlers(val_data, event_handlers)
        train_begin, epoch_begin, batch_begin, batch_end, epoch_end, train_end = \
            self._categorize_handlers(handlers)
        for handler in train_begin:
            handler.train_begin(self)
        while True:
            for handler in epoch_begin:
                handler.epoch_begin(self)
            n = 0
            for batch in train_data:
                n += 1
                for handler in batch_begin:
                    handler.batch_begin(self, batch=batch)
                _, label, pred, loss = self.batch_processor.fit_batch(self, batch,
                                                                      batch_axis)
                stop = [handler.batch_end(self, batch=batch, pred=pred, label=label,
                                          loss=loss) for handler in batch_end]
                if any(stop):
                    break
            if n == 0 and self.max_batch:
                raise ValueError("Estimator.fit: train_data gave no batch in an epoch; "
                                 f"training by batches (batches={self.max_batch}) would "
                                 "never end")
            stop = [handler.epoch_end(self) for handler in epoch_end]
            if any(stop):
                break
        for handler in train_end:
            handler.train_end(self)

    # -- handlers ----------------------------------------------------------------------
    def _prepare_default_handlers(self, val_data: Any, event_handlers: Any) -> list:
        handlers = _check_event_handlers(event_handlers)
        added = [StoppingHandler(self.max_epoch, self.max_batch)]
        if not any(isinstance(h, GradientUpdateHandler) for h in handlers):
            added.append(GradientUpdateHandler())
        if not any(isinstance(h, MetricHandler) for h in handlers):
            added.append(MetricHandler(metrics=self.train_metrics))
        if not any(isinstance(h, ValidationHandler) for h in handlers) and val_data:
            added.append(ValidationHandler(val_data=val_data, eval_fn=self.evaluate))
        if not any(isinstance(h, LoggingHandler) for h in handlers):
            added.append(LoggingHandler(metrics=self.train_metrics))
        mixing = bool(handlers)
        handlers.extend(added)
        if mixing:
            known = self.train_metrics + self.val_metrics
            for handler in handlers:
                _check_handler_metric_ref(handler, known)
        handlers.sort(key=lambda h: getattr(h, "priority", 0))
        return handlers

    def _prepare_default_validation_handlers(self, event_handlers: Any) -> list:
        handlers = _check_event_handlers(event_handlers)
        added = []
        if not any(isinstance(h, MetricHandler) for h in handlers):
            added.append(MetricHandler(metrics=self.val_metrics))
        if not any(isinstance(h, LoggingHandler) for h in handlers):
            added.append(LoggingHandler(metrics=self.val_metrics))
        mixing = bool(handlers) and bool(added)
        handlers.extend(added)
        if mixing:
            for handler in handlers:
                _check_handler_metric_ref(handler, self.val_metrics)
        handlers.sort(key=lambda h: getattr(h, "priority", 0))
        return handlers

    @staticmethod
    def _categorize_handlers(handlers: list) -> tuple:
        """The handlers of each event, in order: train_begin, epoch_begin, batch_begin,
        batch_end, epoch_end, train_end."""
        kinds = (TrainBegin, EpochBegin, BatchBegin, BatchEnd, EpochEnd, TrainEnd)
        return tuple([h for h in handlers if isinstance(h, kind)] for kind in kinds)
