"""``mxnet.gluon.contrib.estimator.event_handler``: what runs around the estimator's
training loop.

A handler subclasses one or more of the mixins :class:`TrainBegin`, :class:`EpochBegin`,
:class:`BatchBegin`, :class:`BatchEnd`, :class:`EpochEnd`, :class:`TrainEnd` and
defines their methods (``train_begin(estimator)``, ..., ``batch_end(estimator, batch=,
pred=, label=, loss=)``); ``batch_end`` and ``epoch_end`` stop the training when they
return something true.  Handlers run in ascending ``priority`` (a missing one counts as
0; ties keep the order given, the user's handlers before the default ones):
GradientUpdateHandler -2000, MetricHandler and ValidationHandler -1000,
LoggingHandler +inf.

Only the metrics read values back from the devices (each ``update``, as MXNet's); the
handlers themselves push work and return, except where they write files
(``CheckpointHandler``: ``save_parameters`` / ``save_states``)."""
from __future__ import annotations

import math
import os
import re
import time
import warnings
from typing import Any

from ....metric import CompositeEvalMetric, EvalMetric
from ....metric import Loss as _LossMetric
from .utils import EstimatorAssertionError, _check_metrics

__all__ = ["TrainBegin", "TrainEnd", "EpochBegin", "EpochEnd", "BatchBegin", "BatchEnd",
           "StoppingHandler", "MetricHandler", "ValidationHandler", "LoggingHandler",
           "CheckpointHandler", "EarlyStoppingHandler", "GradientUpdateHandler"]

_INF = float("inf")


class EventHandler:
    """The base of every event handler."""


def _check_event_handlers(handlers: Any) -> list:
    """*handlers* (None, one handler or a list) as a new list."""
    if isinstance(handlers, EventHandler):
        return [handlers]
    if handlers is None:
        return []
    if isinstance(handlers, (list, tuple)) and all(isinstance(h, EventHandler)
                                                   for h in handlers):
        return list(handlers)
    raise ValueError(f"handlers must be an EventHandler or a list of EventHandler, "
                     f"got: {handlers!r}")


class TrainBegin(EventHandler):
    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        pass


class TrainEnd(EventHandler):
    def train_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        pass


class EpochBegin(EventHandler):
    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        pass


class EpochEnd(EventHandler):
    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        return False


class BatchBegin(EventHandler):
    def batch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        pass


class BatchEnd(EventHandler):
    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        return False


def _reached(count: int, limit: Any) -> bool:
    return bool(limit) and count >= limit


class StoppingHandler(TrainBegin, BatchEnd, EpochEnd):
    """Stops the training after ``estimator.max_epoch`` epochs or ``max_batch`` batches
    (read at ``train_begin``; ``fit`` sets them from its *epochs* / *batches*)."""

    def __init__(self, max_epoch: int | None = None, max_batch: int | None = None) -> None:
        self.max_epoch = max_epoch
        self.max_batch = max_batch
        self.current_batch = 0
        self.current_epoch = 0
        self.stop_training = False

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.max_epoch = estimator.max_epoch
        self.max_batch = estimator.max_batch
        self.current_batch = 0
        self.current_epoch = 0
        self.stop_training = False

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        self.current_batch += 1
        if _reached(self.current_batch, self.max_batch):
            self.stop_training = True
        return self.stop_training

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        self.current_epoch += 1
        if _reached(self.current_epoch, self.max_epoch):
            self.stop_training = True
        return self.stop_training


class MetricHandler(EpochBegin, BatchEnd):
    """Resets *metrics* at each epoch's begin and updates them at each batch's end: a
    ``metric.Loss`` with the batch's losses, the others with ``(label, pred)``."""

    def __init__(self, metrics: Any, priority: float = -1000) -> None:
        self.metrics = _check_metrics(metrics)
        self.priority = priority

    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        for metric in self.metrics:
            metric.reset()

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        pred, label, loss = kwargs["pred"], kwargs["label"], kwargs["loss"]
        for metric in self.metrics:
            if isinstance(metric, _LossMetric):
                metric.update(0, loss)
            else:
                metric.update(label, pred)


class ValidationHandler(TrainBegin, BatchEnd, EpochEnd):
    """Runs ``eval_fn(val_data=, batch_axis=, event_handlers=)`` (usually
    ``estimator.evaluate``) every *epoch_period* epochs and, with *batch_period*, every
    that many batches."""

    def __init__(self, val_data: Any, eval_fn: Any, epoch_period: int | None = 1,
                 batch_period: int | None = None, priority: float = -1000,
                 event_handlers: Any = None) -> None:
        if not callable(eval_fn):
            raise ValueError(f"ValidationHandler: eval_fn must be callable (e.g. "
                             f"estimator.evaluate), got {type(eval_fn).__name__}")
        self.val_data = val_data
        self.eval_fn = eval_fn
        self.epoch_period = epoch_period
        self.batch_period = batch_period
        self.current_batch = 0
        self.current_epoch = 0
        self.priority = priority
        self.event_handlers = event_handlers

    def _evaluate(self, estimator: Any) -> None:
        self.eval_fn(val_data=self.val_data, batch_axis=estimator.batch_axis,
                     event_handlers=self.event_handlers)

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.current_batch = 0
        self.current_epoch = 0

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.current_batch += 1
        if self.batch_period and self.current_batch % self.batch_period == 0:
            self._evaluate(estimator)

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.current_epoch += 1
        if self.epoch_period and self.current_epoch % self.epoch_period == 0:
            self._evaluate(estimator)


def _metric_text(metrics: list) -> str:
    return "".join("%s: %.4f, " % metric.get() for metric in metrics)


class LoggingHandler(TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin, BatchEnd):
    """Logs to ``estimator.logger`` (MXNet 1.9.1's lines): the optimizer and learning
    rate at train begin, each epoch's begin and end with *metrics*' values, with an int
    *log_interval* every that many batches too, and a summary at train end.  With
    metrics not named ``training ...`` (the validation ones) an epoch is a
    ``Validation Begin``."""

    def __init__(self, log_interval: Any = "epoch", metrics: Any = None,
                 priority: float = _INF) -> None:
        if log_interval != "epoch" and (isinstance(log_interval, bool)
                                        or not isinstance(log_interval, int)):
            raise ValueError("log_interval must be either an integer or string 'epoch'")
        if isinstance(log_interval, int) and log_interval < 1:
            raise ValueError(f"log_interval must be a positive integer or 'epoch', got "
                             f"{log_interval}")
        self.metrics = _check_metrics(metrics)
        self.batch_index = 0
        self.current_epoch = 0
        self.processed_samples = 0
        self.priority = priority
        self.log_interval = log_interval
        self.log_interval_time = 0.0
        self.train_start = self.epoch_start = self.batch_start = time.time()

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.train_start = time.time()
        trainer = estimator.trainer
        estimator.logger.info("Training begin: using optimizer %s with current learning "
                              "rate %.4f ", type(trainer.optimizer).__name__,
                              trainer.learning_rate)
        if estimator.max_epoch:
            estimator.logger.info("Train for %d epochs.", estimator.max_epoch)
        else:
            estimator.logger.info("Train for %d batches.", estimator.max_batch)
        self.current_epoch = 0
        self.batch_index = 0
        self.processed_samples = 0
        self.log_interval_time = 0.0

    def train_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        took = time.time() - self.train_start
        msg = "Train finished using total %ds with %d epochs. " % (took, self.current_epoch)
        estimator.logger.info((msg + _metric_text(self.metrics)).rstrip(", "))

    def batch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(self.log_interval, int):
            self.batch_start = time.time()

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(self.log_interval, int):
            self.log_interval_time += time.time() - self.batch_start
            self.processed_samples += kwargs["batch"][0].shape[0]
            if self.batch_index % self.log_interval == 0:
                msg = "[Epoch %d][Batch %d][Samples %s] time/interval: %.3fs " % (
                    self.current_epoch, self.batch_index, self.processed_samples,
                    self.log_interval_time)
                self.log_interval_time = 0.0
                estimator.logger.info((msg + _metric_text(self.metrics)).rstrip(", "))
        self.batch_index += 1

    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.epoch_start = time.time()
        if any("training" in metric.name for metric in self.metrics):
            estimator.logger.info("[Epoch %d] Begin, current learning rate: %.4f",
                                  self.current_epoch, estimator.trainer.learning_rate)
        else:
            estimator.logger.info("Validation Begin")

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        msg = "[Epoch %d] Finished in %.3fs, " % (self.current_epoch,
                                                   time.time() - self.epoch_start)
        estimator.logger.info((msg + _metric_text(self.metrics)).rstrip(", "))
        self.current_epoch += 1
        self.batch_index = 0


def _monitor_op(who: str, monitor: Any, mode: str) -> tuple:
    """(is_better(a, b), start value) for *mode*: 'min', 'max', or 'auto' (max for a
    metric named like an accuracy or F1, min otherwise, with a warning saying which)."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{who} mode {mode} is unknown, fallback to auto mode. {who} will use "
                      f"max mode for f1 and accuracy metric comparison and use min mode "
                      f"otherwise", RuntimeWarning, stacklevel=3)
        mode = "auto"
    if mode == "auto":
        name = monitor.get()[0]
        if "acc" in name.lower() or "f1" in name.lower():
            warnings.warn(f"`greater` operator will be used to determine if {name} has "
                          f"improved. Please specify `mode='min'` to use the `less` "
                          f"operator. Specify `mode='max' to disable this warning.`",
                          stacklevel=3)
            mode = "max"
        else:
            warnings.warn(f"`less` operator will be used to determine if {name} has "
                          f"improved. Please specify `mode='max'` to use the `greater` "
                          f"operator. Specify `mode='min' to disable this warning.`",
                          stacklevel=3)
            mode = "min"
    if mode == "min":
        return (lambda a, b: a < b), _INF
    return (lambda a, b: a > b), -_INF


class CheckpointHandler(TrainBegin, BatchEnd, EpochEnd):
    """Saves the net's parameters and the trainer's states in *model_dir* as
    ``{model_prefix}-epoch{E}batch{B}.params`` / ``.states`` every *epoch_period* epochs
    (``E`` the 0-based epoch, ``B`` the batches trained so far) and, with
    *batch_period*, every that many batches (``B`` the 0-based batch index); with
    *save_best*, also ``{model_prefix}-best.*`` whenever *monitor* improved (*mode*
    'min', 'max' or 'auto').  It keeps the *max_checkpoints* newest numbered
    checkpoints (the best one aside).  A hybridized net's graph goes to
    ``{model_prefix}-symbol.json`` after the first batch.

    *resume_from_checkpoint*: at train begin, load the newest checkpoint of *model_dir*
    and train only the epochs (or batches) left; the period must be of the same kind as
    the training's (epochs: *epoch_period* only; batches: *batch_period* only)."""

    def __init__(self, model_dir: str, model_prefix: str = "model", monitor: Any = None,
                 verbose: int = 0, save_best: bool = False, mode: str = "auto",
                 epoch_period: int | None = 1, batch_period: int | None = None,
                 max_checkpoints: int = 5, resume_from_checkpoint: bool = False) -> None:
        if save_best and not isinstance(monitor, EvalMetric):
            raise ValueError("To save best model only, please provide one of the metric "
                             "objects from estimator.train_metrics and estimator.val_metrics "
                             "as monitor.")
        if isinstance(max_checkpoints, bool) or not isinstance(max_checkpoints, int) or \
                max_checkpoints < 1:
            raise ValueError(f"CheckpointHandler: max_checkpoints must be a positive int, "
                             f"got {max_checkpoints!r}")
        self.monitor = monitor
        self.verbose = verbose
        os.makedirs(model_dir, exist_ok=True)
        self.model_dir = model_dir
        self.model_prefix = model_prefix
        self.save_best = save_best
        self.epoch_period = epoch_period
        self.batch_period = batch_period
        self.current_batch = 0
        self.current_epoch = 0
        self.max_checkpoints = max_checkpoints
        self.resume_from_checkpoint = resume_from_checkpoint
        self.saved_checkpoints: list[str] = []
        self.trained_epoch = self.trained_batch = -1
        if save_best:
            self.monitor_op, self.best = _monitor_op("CheckpointHandler", monitor, mode)

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.current_epoch = 0
        self.current_batch = 0
        if self.save_best:
            self.best = _INF if self.monitor_op(0, 1) else -_INF
        if self.resume_from_checkpoint:
            msg = ("To use resume from checkpoint, you must only specify the same type of "
                   "period you used for training.For example, if you are training based "
                   "on number of epochs, you must save only based on epochs, and set "
                   "batch_period to None.")
            if estimator.max_batch and (not self.batch_period or self.epoch_period):
                raise EstimatorAssertionError(msg)
            if estimator.max_epoch and (not self.epoch_period or self.batch_period):
                raise EstimatorAssertionError(msg)
            self._resume_from_checkpoint(estimator)

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        if self.current_batch == 0:
            self._save_symbol(estimator)
        if self.batch_period and (self.current_batch + 1) % self.batch_period == 0:
            self._save_checkpoint(estimator)
        self.current_batch += 1

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        if self.epoch_period and (self.current_epoch + 1) % self.epoch_period == 0:
            self._save_checkpoint(estimator)
        self.current_epoch += 1

    # -- saving ------------------------------------------------------------------------
    def _save_checkpoint(self, estimator: Any) -> None:
        if self.resume_from_checkpoint and self.trained_epoch >= 0:
            epoch = self.current_epoch + self.trained_epoch + 1
            # at an epoch's end current_batch already counts the epoch's last batch
            batch = self.current_batch + self.trained_batch + (0 if estimator.max_epoch
                                                               else 1)
        else:
            epoch, batch = self.current_epoch, self.current_batch
        prefix = "%s-epoch%dbatch%d" % (self.model_prefix, epoch, batch)
        self._save_params_and_trainer(estimator, prefix)
        if self.verbose > 0:
            estimator.logger.info("[Epoch %d] CheckpointHandler: trained total %d batches, "
                                  "saving model at %s with prefix: %s", self.current_epoch,
                                  self.current_batch + 1, self.model_dir, prefix)
        if not self.save_best:
            return
        name, value = self.monitor.get()
        if isinstance(value, float) and math.isnan(value):
            warnings.warn(f"Skipping save best because {name} is not updated, make sure you "
                          f"pass one of the metric objects estimator.train_metrics and "
                          f"estimator.val_metrics as monitor", RuntimeWarning, stacklevel=2)
        elif self.monitor_op(value, self.best):
            best_prefix = self.model_prefix + "-best"
            self._save_params_and_trainer(estimator, best_prefix)
            if self.verbose > 0:
                estimator.logger.info("[Epoch %d] CheckpointHandler: %s improved from %0.5f "
                                      "to %0.5f, updating best model at %s with prefix: %s",
                                      self.current_epoch, name, self.best, value,
                                      self.model_dir, best_prefix)
            self.best = value
        elif self.verbose > 0:
            estimator.logger.info("[Epoch %d] CheckpointHandler: %s did not improve from "
                                  "%0.5f, skipping updating best model", self.current_epoch,
                                  name, self.best)

    def _save_symbol(self, estimator: Any) -> None:
        import shutil
        import tempfile

        symbol_file = os.path.join(self.model_dir, self.model_prefix + "-symbol.json")
        net = estimator.net
        if getattr(net, "_active", False) and getattr(net, "_last_call", None) is not None \
                and hasattr(net, "export"):
            with tempfile.TemporaryDirectory() as tmp:
                sym_file, _ = net.export(os.path.join(tmp, "net"))
                shutil.move(sym_file, symbol_file)
        else:
            estimator.logger.info("Model architecture(symbol file) is not saved, please use "
                                  "HybridBlock to construct your model, and call "
                                  "net.hybridize() before passing to Estimator in order to "
                                  "save model architecture as %s.", symbol_file)

    def _save_params_and_trainer(self, estimator: Any, prefix: str) -> None:
        estimator.net.save_parameters(os.path.join(self.model_dir, prefix + ".params"))
        estimator.trainer.save_states(os.path.join(self.model_dir, prefix + ".states"))
        if prefix == self.model_prefix + "-best":
            return
        if prefix in self.saved_checkpoints:
            self.saved_checkpoints.remove(prefix)
        self.saved_checkpoints.append(prefix)
        while len(self.saved_checkpoints) > self.max_checkpoints:
            old = self.saved_checkpoints.pop(0)
            for ext in (".params", ".states"):
                path = os.path.join(self.model_dir, old + ext)
                if os.path.exists(path):
                    os.remove(path)

    # -- resuming ----------------------------------------------------------------------
    def _checkpoints_on_disk(self) -> list:
        """The (epoch, batch) of every ``{prefix}-epoch{E}batch{B}.params`` in model_dir,
        sorted."""
        pat = re.compile(re.escape(self.model_prefix) + r"-epoch(\d+)batch(\d+)\.params$")
        found = []
        for fname in os.listdir(self.model_dir):
            m = pat.match(fname)
            if m:
                found.append((int(m.group(1)), int(m.group(2))))
        return sorted(found)

    def _resume_from_checkpoint(self, estimator: Any) -> None:
        found = self._checkpoints_on_disk()
        self.saved_checkpoints = ["%s-epoch%dbatch%d" % (self.model_prefix, e, b)
                                  for e, b in found]
        if not found:
            self.trained_epoch = self.trained_batch = -1
            what = ("%d batches" % estimator.max_batch if estimator.max_batch
                    else "%d epochs" % estimator.max_epoch)
            estimator.logger.info("CheckpointHandler: No checkpoint found, training from "
                                  "scratch for " + what)
            return
        self.trained_epoch, self.trained_batch = found[-1]
        msg = ("CheckpointHandler: Checkpoint resumed from epoch %d batch %d, continue to "
               "train for " % (self.trained_epoch, self.trained_batch))
        if estimator.max_epoch:
            if self.trained_epoch >= estimator.max_epoch - 1:
                raise ValueError("Found checkpoint with maximum number of epoch %d reached, "
                                 "please specify resume_from_checkpoint=False (default "
                                 "value) if you want to train from scratch."
                                 % estimator.max_epoch)
            estimator.max_epoch -= self.trained_epoch + 1
            msg += "%d epochs " % estimator.max_epoch
        if estimator.max_batch:
            if self.trained_batch >= estimator.max_batch - 1:
                raise ValueError("Found checkpoint with maximum number of batch %d reached, "
                                 "please specify resume_from_checkpoint=False (default "
                                 "value) if you want to train from scratch."
                                 % self.trained_batch)
            estimator.max_batch -= self.trained_batch + 1
            msg += "%d batches " % estimator.max_batch
        base = os.path.join(self.model_dir, "%s-epoch%dbatch%d" % (
            self.model_prefix, self.trained_epoch, self.trained_batch))
        for ext in (".params", ".states"):
            if not os.path.exists(base + ext):
                raise EstimatorAssertionError(f"Failed to load checkpoint, {base + ext} "
                                              f"does not exist")
        estimator.net.load_parameters(base + ".params", ctx=estimator.context)
        estimator.trainer.load_states(base + ".states")
        estimator.logger.warning(msg)


class EarlyStoppingHandler(TrainBegin, EpochEnd, TrainEnd):
    """Stops the training when *monitor* has not improved by more than *min_delta* for
    *patience* epochs (*mode* 'min', 'max' or 'auto'; *baseline*: the value to beat at
    first)."""

    def __init__(self, monitor: Any, min_delta: float = 0, patience: int = 0,
                 mode: str = "auto", baseline: float | None = None) -> None:
        if not isinstance(monitor, EvalMetric):
            raise ValueError("Please provide one of the metric objects from "
                             "estimator.train_metrics and estimator.val_metrics as monitor.")
        if isinstance(monitor, CompositeEvalMetric):
            raise ValueError("CompositeEvalMetric is not supported for EarlyStoppingHandler, "
                             "please specify a simple metric instead.")
        self.monitor = monitor
        self.baseline = baseline
        self.patience = patience
        self.wait = 0
        self.stopped_epoch = 0
        self.current_epoch = 0
        self.stop_training = False
        self.monitor_op, self.best = _monitor_op("EarlyStoppingHandler", monitor, mode)
        # the value must beat the best by min_delta in the direction of improvement
        self.min_delta = abs(min_delta) if self.monitor_op(1, 0) else -abs(min_delta)

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.current_epoch = 0
        self.stop_training = False
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = -_INF if self.monitor_op(1, 0) else _INF

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        name, value = self.monitor.get()
        if isinstance(value, float) and math.isnan(value):
            warnings.warn(f"{name} is not updated, make sure you pass one of the metric "
                          f"objects from estimator.train_metrics and estimator.val_metrics "
                          f"as monitor.", RuntimeWarning, stacklevel=2)
        elif self.monitor_op(value - self.min_delta, self.best):
            self.best = value
            self.wait = 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = self.current_epoch
                self.stop_training = True
        self.current_epoch += 1
        return self.stop_training

    def train_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        if self.stop_training:
            estimator.logger.info("[Epoch %d] EarlyStoppingHandler: early stopping due to %s "
                                  "not improving", self.stopped_epoch, self.monitor.get()[0])


class GradientUpdateHandler(BatchEnd):
    """``estimator.trainer.step(n)`` at each batch's end, *n* the number of samples of
    the batch's losses (the sum of their first dimensions)."""

    def __init__(self, priority: float = -2000) -> None:
        self.priority = priority

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        loss = kwargs["loss"]
        losses = loss if isinstance(loss, (list, tuple)) else [loss]
        batch_size = 0
        for l in losses:
            if not l.shape:
                raise ValueError("GradientUpdateHandler: a loss of shape () has no batch "
                                 "dimension; return one loss per sample (shape (batch, ...)) "
                                 "or override batch_end to give trainer.step a batch size")
            batch_size += l.shape[0]
        estimator.trainer.step(batch_size)
