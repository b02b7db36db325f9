"""MXNet client code of mx.gluon.contrib.estimator (Estimator, its event handlers, the
BatchProcessor) and mx.gluon.contrib.data.IntervalSampler, run unchanged on real MXNet
1.9.1 (by tests/fixtures/mxnet_estimator/make_estimator_fixtures.py, which saves what
each case returns) and on ndengine (tests/legacy_api/test_estimator.py compares).
Parameters and data come from seeded NumPy generators, so both run the same numbers;
log lines have their timings masked."""
import logging
import os
import re
import shutil
import tempfile
import warnings

import mxnet as mx
import numpy as np
from mxnet import gluon
from mxnet.gluon.contrib import estimator as est_mod
from mxnet.gluon.contrib.estimator import event_handler as eh

logging.getLogger().setLevel(logging.WARNING)


def _data(n, seed):
    rs = np.random.RandomState(seed)
    x = rs.uniform(-1, 1, (n, 4)).astype("float32")
    y = rs.randint(0, 3, n).astype("float32")
    return x, y


def _loader(n=24, seed=0, batch_size=6):
    x, y = _data(n, seed)
    return gluon.data.DataLoader(gluon.data.ArrayDataset(x, y), batch_size=batch_size,
                                 shuffle=False)


def _net(seed=1, hybrid=False):
    net = gluon.nn.HybridSequential() if hybrid else gluon.nn.Sequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(8, activation="relu", in_units=4))
        net.add(gluon.nn.Dense(3, in_units=8))
    net.initialize(mx.init.Zero())
    rs = np.random.RandomState(seed)
    for p in net.collect_params().values():
        p.set_data(mx.nd.array(rs.uniform(-0.6, 0.6, p.shape).astype("float32")))
    if hybrid:
        net.hybridize()
    return net


def _params(net):
    return [p.data().asnumpy() for p in net.collect_params().values()]


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        msg = record.getMessage()
        msg = re.sub(r"\d+\.\d+s", "Ts", msg)
        msg = re.sub(r"total \d+s", "total Ts", msg)
        msg = re.sub(re.escape(tempfile.gettempdir()) + r"/tmp\w+", "<dir>", msg)
        self.lines.append([record.levelname, msg])


def _capture(est):
    lines = _Lines()
    est.logger.handlers = [lines]
    return lines


def _values(metrics):
    return [[m.get()[0], float(m.get()[1])] for m in metrics]


class Recorder(eh.TrainBegin, eh.TrainEnd, eh.EpochBegin, eh.EpochEnd, eh.BatchBegin,
               eh.BatchEnd):
    """Writes down each event with the metric values it sees."""

    def __init__(self, watched, stop_after=None):
        self.watched = watched
        self.events = []
        self.stop_after = stop_after
        self.n = 0

    def train_begin(self, estimator, *args, **kwargs):
        self.events.append(["train_begin", estimator.max_epoch, estimator.max_batch])

    def train_end(self, estimator, *args, **kwargs):
        self.events.append(["train_end", _values(self.watched)])

    def epoch_begin(self, estimator, *args, **kwargs):
        self.events.append(["epoch_begin"])

    def epoch_end(self, estimator, *args, **kwargs):
        self.events.append(["epoch_end", _values(self.watched)])
        return False

    def batch_begin(self, estimator, *args, **kwargs):
        self.events.append(["batch_begin", int(kwargs["batch"][0].shape[0])])

    def batch_end(self, estimator, *args, **kwargs):
        self.n += 1
        self.events.append(["batch_end", len(kwargs["pred"]), len(kwargs["loss"]),
                            _values(self.watched)])
        return self.stop_after is not None and self.n >= self.stop_after


def _messages(caught):
    return sorted(str(w.message) for w in caught)


def fit_with_handlers():
    """An MLP trained 4 epochs with SGD+momentum, Accuracy and Loss metrics, validation,
    checkpoints (save_best on validation accuracy, 2 kept), early stopping on the
    validation loss, and a recorder of every event."""
    net = _net()
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": 0.2, "momentum": 0.9})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = est_mod.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(),
                                train_metrics=[mx.metric.Accuracy(), mx.metric.Loss()],
                                trainer=trainer, context=mx.cpu())
        lines = _capture(est)
        tmp = tempfile.mkdtemp()
        try:
            ckpt = eh.CheckpointHandler(tmp, model_prefix="mlp", monitor=est.val_metrics[0],
                                        save_best=True, mode="auto", max_checkpoints=2,
                                        verbose=1)
            early = eh.EarlyStoppingHandler(monitor=est.val_metrics[1], mode="min",
                                            patience=1, min_delta=0.01)
            rec = Recorder(est.train_metrics + est.val_metrics)
            out = est.fit(_loader(), val_data=_loader(12, seed=5), epochs=4,
                          event_handlers=[rec, ckpt, early])
            files = sorted(os.listdir(tmp))
        finally:
            shutil.rmtree(tmp)
    for w in list(caught):      # ndengine's own (not MXNet's) deprecation notes aside
        if issubclass(w.category, DeprecationWarning):
            caught.remove(w)
    return {"returned": repr(out), "params": _params(net), "events": rec.events,
            "files": files, "log": lines.lines, "warnings": _messages(caught),
            "train_names": [m.name for m in est.train_metrics],
            "val_names": [m.name for m in est.val_metrics],
            "early": [early.stopped_epoch, early.wait, early.stop_training]}


def defaults_and_batches():
    """No trainer, no metrics: the default SGD, the default metrics and their names,
    the default handlers in priority order; trained 6 batches (1.5 epochs)."""
    net = _net(seed=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = est_mod.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss())
    logger = [est.logger.name, est.logger.level,
              [type(h).__name__ for h in est.logger.handlers]]
    lines = _capture(est)
    est.max_epoch, est.max_batch = None, 6
    order = [type(h).__name__ for h in
             est._prepare_default_handlers(_loader(12, seed=5), [Recorder([])])]
    order_no_val = [type(h).__name__ for h in est._prepare_default_handlers(None, None)]
    rec = Recorder(est.train_metrics)
    est.fit(_loader(), batches=6, event_handlers=[rec])
    return {"warnings": _messages(caught), "logger": logger,
            "optimizer": [type(est.trainer.optimizer).__name__, est.trainer.learning_rate],
            "train_names": [m.name for m in est.train_metrics],
            "val_names": [m.name for m in est.val_metrics],
            "context": [str(c) for c in est.context],
            "order": order, "order_no_val": order_no_val,
            "events": rec.events, "params": _params(net), "log": lines.lines}


def evaluate_and_l2_defaults():
    """evaluate() alone (its default handlers and log), and the default metrics of a loss
    without a suggested metric (L2Loss: only the loss)."""
    net = _net(seed=3)
    est = est_mod.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(),
                            val_metrics=mx.metric.Accuracy(),
                            trainer=gluon.Trainer(net.collect_params(), "sgd"))
    lines = _capture(est)
    rec = Recorder(est.val_metrics)
    est.evaluate(_loader(12, seed=5), event_handlers=[rec])
    est.evaluate(_loader(12, seed=5))
    est2 = est_mod.Estimator(_net(seed=3), gluon.loss.L2Loss(),
                             trainer=gluon.Trainer(net.collect_params(), "sgd"))
    return {"events": rec.events, "log": lines.lines,
            "val": _values(est.val_metrics), "val_names": [m.name for m in est.val_metrics],
            "l2_train": [m.name for m in est2.train_metrics],
            "l2_val": [m.name for m in est2.val_metrics]}


def log_interval_and_stop_from_handler():
    """LoggingHandler(log_interval=3) over 2 epochs, a handler that stops the training at
    a batch end, and a custom BatchProcessor."""
    class Proc(est_mod.BatchProcessor):
        calls = 0

        def fit_batch(self, estimator, train_batch, batch_axis=0):
            Proc.calls += 1
            return super().fit_batch(estimator, train_batch, batch_axis)

    net = _net(seed=4)
    est = est_mod.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(),
                            train_metrics=mx.metric.Accuracy(),
                            trainer=gluon.Trainer(net.collect_params(), "sgd",
                                                  {"learning_rate": 0.05, "wd": 0.01}),
                            batch_processor=Proc())
    lines = _capture(est)
    rec = Recorder(est.train_metrics, stop_after=7)
    est.fit(_loader(), epochs=3,
            event_handlers=[rec, eh.LoggingHandler(log_interval=3,
                                                   metrics=est.train_metrics)])
    return {"events": rec.events, "log": lines.lines, "calls": Proc.calls,
            "params": _params(net)}


def checkpoints_by_batches_and_resume():
    """Checkpoints every 2 batches (2 kept) over 7 batches; then checkpoints per epoch over
    2 epochs, and a new estimator resuming from them to train 4 epochs in all."""
    tmp = tempfile.mkdtemp()
    try:
        net = _net(seed=6, hybrid=True)
        est = est_mod.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(),
                                trainer=gluon.Trainer(net.collect_params(), "sgd",
                                                      {"learning_rate": 0.1,
                                                       "momentum": 0.5}))
        lines = _capture(est)
        ck = eh.CheckpointHandler(os.path.join(tmp, "b"), epoch_period=None, batch_period=2,
                                  max_checkpoints=2)
        est.fit(_loader(), batches=7, event_handlers=[ck])
        by_batches = sorted(os.listdir(os.path.join(tmp, "b")))
        log1 = lines.lines

        def run(epochs, resume):
            net = _net(seed=7)
            est = est_mod.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(),
                                    trainer=gluon.Trainer(net.collect_params(), "sgd",
                                                          {"learning_rate": 0.1,
                                                           "momentum": 0.5}))
            lines = _capture(est)
            ck = eh.CheckpointHandler(os.path.join(tmp, "e"), model_prefix="m",
                                      resume_from_checkpoint=resume)
            rec = Recorder([])
            est.fit(_loader(), epochs=epochs, event_handlers=[ck, rec])
            return net, lines.lines, rec.events

        _, log2, _ = run(2, False)
        first = sorted(os.listdir(os.path.join(tmp, "e")))
        net3, log3, ev3 = run(4, True)
        resumed = sorted(os.listdir(os.path.join(tmp, "e")))
        straight, _, _ = run(4, False)     # over the same directory: a plain 4-epoch run
        return {"by_batches": by_batches, "log1": log1, "first": first, "log2": log2,
                "resumed": resumed, "log3": log3, "events3": ev3,
                "params_resumed": _params(net3), "params_straight": _params(straight)}
    finally:
        shutil.rmtree(tmp)


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        kind = next(k.__name__ for k in (AssertionError, ValueError, TypeError, KeyError,
                                         Exception) if isinstance(e, k))
        return [kind, str(e).split(":")[0][:120]]
    return ["no error", ""]


def errors():
    """The errors of bad arguments (their kind and the message up to its first colon)."""
    net = _net(seed=8)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    tr = gluon.Trainer(net.collect_params(), "sgd")
    est = est_mod.Estimator(net, loss, trainer=tr)
    _capture(est)
    outsider = mx.metric.Accuracy()
    tmp = tempfile.mkdtemp()
    try:
        out = {
            "both": _err(lambda: est.fit(_loader(), epochs=1, batches=2)),
            "neither": _err(lambda: est.fit(_loader())),
            "not_loader": _err(lambda: est.fit([(mx.nd.ones((2, 4)), mx.nd.ones((2,)))],
                                               epochs=1)),
            "eval_not_loader": _err(lambda: est.evaluate([1, 2])),
            "loss": _err(lambda: est_mod.Estimator(net, "l2", trainer=tr)),
            "val_loss": _err(lambda: est_mod.Estimator(net, loss, trainer=tr, val_loss=3)),
            "trainer": _err(lambda: est_mod.Estimator(net, loss, trainer="sgd")),
            "metrics": _err(lambda: est_mod.Estimator(net, loss, trainer=tr,
                                                      train_metrics=["acc"])),
            "context": _err(lambda: est_mod.Estimator(net, loss, trainer=tr, context="cpu")),
            "processor": _err(lambda: est_mod.Estimator(net, loss, trainer=tr,
                                                        batch_processor=object())),
            "handlers": _err(lambda: est.fit(_loader(), epochs=1, event_handlers=[3])),
            "log_interval": _err(lambda: eh.LoggingHandler(log_interval="batch")),
            "save_best": _err(lambda: eh.CheckpointHandler(tmp, save_best=True)),
            "early_monitor": _err(lambda: eh.EarlyStoppingHandler(monitor="acc")),
            "early_composite": _err(lambda: eh.EarlyStoppingHandler(
                monitor=mx.metric.CompositeEvalMetric([mx.metric.Accuracy()]))),
            "outsider": _err(lambda: est.fit(_loader(), epochs=1, event_handlers=[
                eh.MetricHandler(metrics=[outsider]), eh.LoggingHandler(metrics=[outsider])]
                + [eh.ValidationHandler(_loader(6), est.evaluate)])),
            "resume_kind": _err(lambda: est.fit(_loader(), batches=2, event_handlers=[
                eh.CheckpointHandler(tmp, resume_from_checkpoint=True)])),
        }
        # a finished run cannot be resumed for the same number of epochs
        est.fit(_loader(), epochs=1, event_handlers=[eh.CheckpointHandler(tmp)])
        out["resume_done"] = _err(lambda: est.fit(_loader(), epochs=1, event_handlers=[
            eh.CheckpointHandler(tmp, resume_from_checkpoint=True)]))
    finally:
        shutil.rmtree(tmp)
    return out


def interval_sampler():
    """contrib.data.IntervalSampler with and without rollover, and in a DataLoader."""
    S = gluon.contrib.data.IntervalSampler
    x = np.arange(10, dtype="float32")
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(x), batch_size=4,
                                   sampler=S(10, 3))
    return {"roll": list(S(13, 3)), "noroll": list(S(13, 3, rollover=False)),
            "equal": list(S(4, 4)), "len": len(S(13, 3)),
            "batches": [b.asnumpy().tolist() for b in loader],
            "too_big": _err(lambda: S(3, 4))}


CASES = {f.__name__: f for f in (fit_with_handlers, defaults_and_batches,
                                  evaluate_and_l2_defaults,
                                  log_interval_and_stop_from_handler,
                                  checkpoints_by_batches_and_resume, errors,
                                  interval_sampler)}


def documented_differences():
    """What ndengine does differently on purpose (docs/mxnet-differences.md, "Gluon
    estimator"); test_estimator.py checks that each really differs from MXNet."""
    out = {}
    net = _net(seed=9)
    est = est_mod.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(),
                            trainer=gluon.Trainer(net.collect_params(), "sgd",
                                                  {"learning_rate": 0.1}))
    _capture(est)
    loss_metric = est.train_metrics[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tmp = tempfile.mkdtemp()
        try:
            # mode='auto' on a loss: is a smaller value an improvement?
            ck = eh.CheckpointHandler(tmp, monitor=loss_metric, save_best=True)
            es = eh.EarlyStoppingHandler(monitor=loss_metric)
            out["auto_loss_less_is_better"] = [bool(ck.monitor_op(1.0, 2.0)),
                                               bool(es.monitor_op(1.0, 2.0))]
        finally:
            shutil.rmtree(tmp)
    # a custom handler keeping plain numbers in an attribute named *metric*
    class History(eh.EpochEnd):
        def __init__(self):
            self.metric_history = [0.5]
    out["plain_numbers_in_metric_attribute"] = _err(
        lambda: est.fit(_loader(), epochs=1, event_handlers=[History()]))
    # resuming: the checkpoints found on disk count towards max_checkpoints
    tmp = tempfile.mkdtemp()
    try:
        est.fit(_loader(), epochs=3, event_handlers=[eh.CheckpointHandler(tmp)])
        est.fit(_loader(), epochs=5, event_handlers=[
            eh.CheckpointHandler(tmp, max_checkpoints=3, resume_from_checkpoint=True)])
        out["resume_rotation"] = sorted(os.listdir(tmp))
    finally:
        shutil.rmtree(tmp)
    # resume_from_checkpoint with no checkpoint yet: the file names of a plain run
    tmp = tempfile.mkdtemp()
    try:
        est.fit(_loader(), epochs=1, event_handlers=[
            eh.CheckpointHandler(tmp, resume_from_checkpoint=True)])
        out["resume_from_nothing"] = sorted(os.listdir(tmp))
    finally:
        shutil.rmtree(tmp)
    # rotation removes exactly the old checkpoint (not model-epoch0batch1* = batch10..19)
    tmp = tempfile.mkdtemp()
    try:
        est.fit(_loader(32, batch_size=1), batches=32, event_handlers=[
            eh.CheckpointHandler(tmp, epoch_period=None, batch_period=1,
                                 max_checkpoints=30)])
        out["rotation_by_prefix"] = sorted(f for f in os.listdir(tmp)
                                           if f.endswith(".params"))
    finally:
        shutil.rmtree(tmp)
    # early stopping in the first epoch is logged too
    lines = _capture(est)
    est.fit(_loader(), epochs=3, event_handlers=[
        eh.EarlyStoppingHandler(monitor=loss_metric, mode="min", baseline=0.0)])
    out["early_stop_epoch0_log"] = [m for _, m in lines.lines if "early stopping" in m]
    out["interval_len_no_rollover"] = len(gluon.contrib.data.IntervalSampler(13, 3, False))
    return out


DIFFERENCES = {"documented_differences": documented_differences}
