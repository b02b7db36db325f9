"""``mx.callback``: the batch-end and epoch-end callbacks of MXNet's training loops
(``Module.fit``, and any loop that calls them the same way).

A batch-end callback is called with a ``BatchEndParam`` (MXNet's namedtuple
``BatchEndParams(epoch, nbatch, eval_metric, locals)``); ``eval_metric`` is an
``mx.metric.EvalMetric`` (or None).  Everything is logged with :mod:`logging` at INFO
level on the root logger, in MXNet's words, so existing log parsers keep working.

Epoch-end callbacks are called as ``callback(epoch, symbol, arg_params, aux_params)``:
``do_checkpoint`` writes MXNet's checkpoint files (``prefix-symbol.json`` through
``mx.sym``, ``prefix-0001.params`` with ``arg:``/``aux:`` names in MXNet's NDArray
format), which MXNet and ``SymbolBlock.imports`` read.
"""
from __future__ import annotations

import logging
import math
import time
from collections import namedtuple
from typing import Any, Callable

__all__ = ["BatchEndParam", "Speedometer", "ProgressBar", "LogValidationMetricsCallback",
           "log_train_metric", "save_checkpoint", "do_checkpoint", "module_checkpoint"]

BatchEndParam = namedtuple("BatchEndParams", ["epoch", "nbatch", "eval_metric", "locals"])


def save_checkpoint(prefix: str, epoch: int, symbol: Any, arg_params: dict,
                    aux_params: dict, remove_amp_cast: bool = True) -> None:
    """Write ``prefix-symbol.json`` (unless *symbol* is None) and ``prefix-%04d.params``
    (epoch) holding *arg_params* as ``arg:name`` and *aux_params* as ``aux:name``, on
    the CPU, in MXNet's formats (a sync point)."""
    from .context import cpu
    from .legacy import save

    if symbol is not None:
        symbol.save(f"{prefix}-symbol.json", remove_amp_cast=remove_amp_cast)
    arrays = {f"arg:{k}": v.as_in_context(cpu()) for k, v in arg_params.items()}
    arrays.update({f"aux:{k}": v.as_in_context(cpu()) for k, v in aux_params.items()})
    name = f"{prefix}-{int(epoch):04d}.params"
    save(name, arrays)
    logging.info('Saved checkpoint to "%s"', name)


def do_checkpoint(prefix: str, period: int = 1) -> Callable[..., None]:
    """An epoch-end callback ``(iter_no, sym, arg, aux)`` saving a checkpoint (see
    :func:`save_checkpoint`) for epoch ``iter_no + 1`` every *period* epochs."""
    period = int(max(1, period))

    def _callback(iter_no: int, sym: Any, arg: dict, aux: dict) -> None:
        if (iter_no + 1) % period == 0:
            save_checkpoint(prefix, iter_no + 1, sym, arg, aux)
    return _callback


def module_checkpoint(mod: Any, prefix: str, period: int = 1,
                      save_optimizer_states: bool = False) -> Callable[..., None]:
    """An epoch-end callback calling ``mod.save_checkpoint(prefix, iter_no + 1,
    save_optimizer_states)`` every *period* epochs (*mod*: any object with MXNet
    Module's ``save_checkpoint``)."""
    period = int(max(1, period))

    def _callback(iter_no: int, sym: Any = None, arg: Any = None, aux: Any = None) -> None:
        if (iter_no + 1) % period == 0:
            mod.save_checkpoint(prefix, iter_no + 1, save_optimizer_states)
    return _callback


def log_train_metric(period: int, auto_reset: bool = False) -> Callable[[Any], None]:
    """A callback logging ``Iter[epoch] Batch[n] Train-name=value`` for each metric every
    *period* batches (then resetting the metric's local state if *auto_reset*)."""
    def _callback(param: Any) -> None:
        if param.nbatch % period == 0 and param.eval_metric is not None:
            for name, value in param.eval_metric.get_name_value():
                logging.info("Iter[%d] Batch[%d] Train-%s=%f", param.epoch, param.nbatch,
                             name, value)
            if auto_reset:
                param.eval_metric.reset_local()
    return _callback


class Speedometer:
    """Logs the training speed (samples/sec over the last *frequent* batches) and the
    metrics every *frequent* batches:
    ``Epoch[0] Batch [10-20]\\tSpeed: 1910.41 samples/sec\\taccuracy=0.400000``.
    With *auto_reset* the metrics' local state is reset after each log (the range then
    starts at the previous log; without it the range starts at 0)."""

    def __init__(self, batch_size: int, frequent: int = 50, auto_reset: bool = True):
        self.batch_size = batch_size
        self.frequent = frequent
        self.init = False
        self.tic = 0.0
        self.last_count = 0
        self.auto_reset = auto_reset

    def __call__(self, param: Any) -> None:
        count = param.nbatch
        if self.last_count > count:        # a new epoch started
            self.init = False
        self.last_count = count
        if not self.init:
            self.init = True
            self.tic = time.time()
            return
        if count % self.frequent:
            return
        elapsed = time.time() - self.tic
        speed = self.frequent * self.batch_size / elapsed if elapsed > 0 else float("inf")
        metric = param.eval_metric
        if metric is None:
            logging.info("Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec", param.epoch, count,
                         speed)
        else:
            name_value = metric.get_name_value()
            values = [x for pair in name_value for x in pair]
            tail = "\t%s=%f" * len(name_value)
            if self.auto_reset:
                metric.reset_local()
                logging.info("Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec" + tail,
                             param.epoch, count - self.frequent, count, speed, *values)
            else:
                logging.info("Epoch[%d] Batch [0-%d]\tSpeed: %.2f samples/sec" + tail,
                             param.epoch, count, speed, *values)
        self.tic = time.time()


class ProgressBar:
    """Logs a bar of *length* characters showing how far through the *total* batches of
    the epoch ``param.nbatch`` is: ``[========--------] 50%``."""

    def __init__(self, total: int, length: int = 80):
        self.bar_len = length
        self.total = total

    def __call__(self, param: Any) -> None:
        count = param.nbatch
        filled = int(round(self.bar_len * count / float(self.total)))
        percents = math.ceil(100.0 * count / float(self.total))
        bar = "=" * filled + "-" * (self.bar_len - filled)
        logging.info("[%s] %s%s\r", bar, percents, "%")


class LogValidationMetricsCallback:
    """Logs ``Epoch[n] Validation-name=value`` for each metric (an epoch-end callback
    for the evaluation metric)."""

    def __call__(self, param: Any) -> None:
        if not param.eval_metric:
            return
        for name, value in param.eval_metric.get_name_value():
            logging.info("Epoch[%d] Validation-%s=%f", param.epoch, name, value)
