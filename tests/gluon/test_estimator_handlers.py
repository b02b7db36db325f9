"""gluon.contrib.estimator on ndengine alone: the order handlers run in, stopping by
batches, checkpoints (rotation, save_best with mode min/max, resuming by epochs and by
batches), the errors of bad arguments, and that fit pushes its work without waiting
when no metric asks for values.  (tests/legacy_api/test_estimator.py compares with
MXNet 1.9.1.)"""
from __future__ import annotations

import logging
import os
import re
import warnings

import numpy as onp
import pytest

import ndengine as mx
from ndengine import gluon
from ndengine import numpy as np
from ndengine.gluon.contrib import estimator as E
from ndengine.gluon.contrib.estimator import event_handler as eh

from gluon_helpers import blocked_input


def _loader(n=24, batch_size=6, seed=0):
    rs = onp.random.RandomState(seed)
    x = rs.uniform(-1, 1, (n, 4)).astype("float32")
    y = rs.randint(0, 3, n).astype("float32")
    return gluon.data.DataLoader(gluon.data.ArrayDataset(x, y), batch_size=batch_size)


def _net(seed=1):
    net = gluon.nn.Sequential()
    net.add(gluon.nn.Dense(8, activation="relu", in_units=4), gluon.nn.Dense(3, in_units=8))
    net.initialize(mx.init.Zero())
    rs = onp.random.RandomState(seed)
    for p in net.collect_params().values():
        p.set_data(np.array(rs.uniform(-0.6, 0.6, p.shape).astype("float32")))
    return net


def _est(net=None, lr=0.1, **kw):
    net = net or _net()
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr, "momentum": 0.5})
    est = E.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer=tr, **kw)
    est.logger.handlers = []
    return est


class _Lines(logging.Handler):
    def __init__(self, est):
        super().__init__()
        self.lines = []
        est.logger.handlers = [self]

    def emit(self, record):
        self.lines.append(record.getMessage())


def _params(net):
    return [p.data().asnumpy() for p in net.collect_params().values()]


# -- order -----------------------------------------------------------------------------
class _Probe(eh.BatchBegin, eh.BatchEnd):
    """At batch end, whether the parameters and the training accuracy were already
    updated for this batch."""

    def __init__(self, priority, est, log):
        self.priority = priority
        self.est, self.log = est, log

    def batch_begin(self, estimator, *args, **kwargs):
        self.w = estimator.net[0].weight.data().asnumpy()
        self.n = estimator.train_metrics[0].num_inst

    def batch_end(self, estimator, *args, **kwargs):
        stepped = not onp.array_equal(self.w, estimator.net[0].weight.data().asnumpy())
        counted = estimator.train_metrics[0].num_inst > self.n
        self.log.append((self.priority, stepped, counted))


def test_handlers_run_in_priority_order():
    est = _est()
    log = []
    probes = [_Probe(p, est, log) for p in (5, -2500, -1500)]
    est.fit(_loader(), batches=1, event_handlers=probes)
    # before the update (-2000), between it and the metrics (-1000), after both
    assert log == [(-2500, False, False), (-1500, True, False), (5, True, True)]
    order = [type(h).__name__ for h in est._prepare_default_handlers(_loader(), probes)]
    assert order == ["_Probe", "GradientUpdateHandler", "_Probe", "MetricHandler",
                     "ValidationHandler", "StoppingHandler", "_Probe", "LoggingHandler"]


def test_equal_priorities_keep_the_given_order():
    class Named(eh.TrainBegin):
        def __init__(self, name, seen):
            self.name, self.seen = name, seen

        def train_begin(self, estimator, *args, **kwargs):
            self.seen.append(self.name)

    seen = []
    est = _est()
    est.fit(_loader(), epochs=1, event_handlers=[Named("b", seen), Named("a", seen)])
    assert seen == ["b", "a"]


# -- stopping --------------------------------------------------------------------------
class _Counter(eh.GradientUpdateHandler, eh.EpochEnd):
    def __init__(self):
        super().__init__()
        self.steps, self.sizes, self.epochs = 0, [], 0

    def batch_end(self, estimator, *args, **kwargs):
        self.steps += 1
        self.sizes.append(kwargs["loss"][0].shape[0])
        super().batch_end(estimator, *args, **kwargs)

    def epoch_end(self, estimator, *args, **kwargs):
        self.epochs += 1


def test_stopping_by_batches_ends_in_the_middle_of_an_epoch():
    est = _est()
    lines = _Lines(est)
    c = _Counter()
    est.fit(_loader(26), batches=6, event_handlers=[c])   # 5 batches an epoch (6,6,6,6,2)
    assert (c.steps, c.epochs) == (6, 2)
    assert c.sizes == [6, 6, 6, 6, 2, 6]
    assert lines.lines[1] == "Train for 6 batches."
    assert re.match(r"Train finished using total \d+s with 2 epochs\. training accuracy",
                    lines.lines[-1])


def test_a_handler_returning_true_ends_the_epoch_only():
    class Stop(eh.BatchEnd):
        def batch_end(self, estimator, *args, **kwargs):
            return True

    est = _est()
    c = _Counter()
    est.fit(_loader(), epochs=3, event_handlers=[c, Stop()])
    assert (c.steps, c.epochs) == (3, 3)


def test_fit_returns_none_and_evaluate_resets_the_validation_metrics():
    est = _est()
    assert est.fit(_loader(), epochs=1) is None
    est.evaluate(_loader(12, seed=3))
    first = est.val_metrics[0].get()
    est.evaluate(_loader(12, seed=3))
    assert est.val_metrics[0].get() == first
    assert est.val_metrics[0].num_inst == 12


# -- checkpoints -----------------------------------------------------------------------
def test_max_checkpoints_keeps_the_newest(tmp_path):
    est = _est()
    est.fit(_loader(), epochs=5, event_handlers=[eh.CheckpointHandler(str(tmp_path),
                                                                      max_checkpoints=2)])
    assert sorted(os.listdir(tmp_path)) == [
        "model-epoch3batch16.params", "model-epoch3batch16.states",
        "model-epoch4batch20.params", "model-epoch4batch20.states"]


@pytest.mark.parametrize("mode", ["min", "max"])
def test_save_best_by_mode(tmp_path, mode):
    est = _est(lr=0.3)
    lines = _Lines(est)
    loss_metric = est.train_metrics[1]
    ck = eh.CheckpointHandler(str(tmp_path), monitor=loss_metric, save_best=True, mode=mode,
                              verbose=1, max_checkpoints=10)
    values = []

    class Watch(eh.EpochEnd):
        def epoch_end(self, estimator, *args, **kwargs):
            values.append(loss_metric.get()[1])

    est.fit(_loader(), epochs=4, event_handlers=[Watch(), ck])
    better = (lambda a, b: a < b) if mode == "min" else (lambda a, b: a > b)
    best, best_epoch, improved = None, None, []
    for i, v in enumerate(values):
        if best is None or better(v, best):
            improved.append(i)
            best, best_epoch = v, i
    assert ck.best == best
    got = [int(m.group(1)) for m in (re.match(r"\[Epoch (\d+)\] CheckpointHandler: "
                                               r"training softmaxcrossentropyloss improved",
                                               line) for line in lines.lines) if m]
    assert got == improved
    # the first improvement is reported from -inf / inf, the later ones from the last best
    first = [line for line in lines.lines if "improved from" in line][0]
    assert ("improved from inf to" if mode == "min" else "improved from -inf to") in first
    best_file = mx.nd.load(str(tmp_path / "model-best.params"))
    epoch_file = mx.nd.load(str(tmp_path / ("model-epoch%dbatch%d.params"
                                            % (best_epoch, 4 * (best_epoch + 1)))))
    for k in best_file:
        onp.testing.assert_array_equal(best_file[k].asnumpy(), epoch_file[k].asnumpy())


def test_an_unknown_mode_warns_and_falls_back_to_auto(tmp_path):
    est = _est()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        ck = eh.CheckpointHandler(str(tmp_path), monitor=est.train_metrics[0],
                                  save_best=True, mode="middle")
    assert [(w.category, str(w.message)[:45]) for w in rec] == [
        (RuntimeWarning, "CheckpointHandler mode middle is unknown, fal"),
        (UserWarning, "`greater` operator will be used to determine ")]
    assert ck.monitor_op(2, 1)          # accuracy: greater is better
    with pytest.warns(UserWarning, match="`less` operator will be used"):
        es = eh.EarlyStoppingHandler(monitor=est.train_metrics[1])
    assert es.monitor_op(1, 2)


def test_resume_by_epochs_continues_a_run(tmp_path):
    def run(epochs, resume, d):
        est = _est(net=_net(seed=4))
        lines = _Lines(est)
        est.fit(_loader(), epochs=epochs, event_handlers=[
            eh.CheckpointHandler(str(d), resume_from_checkpoint=resume)])
        return est, lines.lines

    run(2, False, tmp_path / "a")
    est, lines = run(5, True, tmp_path / "a")
    assert lines[0] == ("CheckpointHandler: Checkpoint resumed from epoch 1 batch 8, "
                        "continue to train for 3 epochs ")
    assert est.max_epoch == 3
    straight, _ = run(5, False, tmp_path / "b")
    for a, b in zip(_params(est.net), _params(straight.net)):
        onp.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert sorted(os.listdir(tmp_path / "a")) == sorted(os.listdir(tmp_path / "b"))


def test_resume_by_batches(tmp_path):
    """A resumed run starts the DataLoader over (as MXNet's): with 5 batches an epoch,
    5 + 4 batches are the batches of a straight 9-batch run."""
    def run(batches, resume, d):
        est = _est(net=_net(seed=5))
        lines = _Lines(est)
        est.fit(_loader(30), batches=batches, event_handlers=[
            eh.CheckpointHandler(str(d), epoch_period=None, batch_period=1,
                                 max_checkpoints=20, resume_from_checkpoint=resume)])
        return est, lines.lines

    run(5, False, tmp_path / "a")
    assert "model-epoch0batch4.params" in os.listdir(tmp_path / "a")
    est, lines = run(9, True, tmp_path / "a")
    assert lines[0] == ("CheckpointHandler: Checkpoint resumed from epoch 0 batch 4, "
                        "continue to train for 4 batches ")
    straight, _ = run(9, False, tmp_path / "b")
    for a, b in zip(_params(est.net), _params(straight.net)):
        onp.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_resume_errors(tmp_path):
    est = _est()
    est.fit(_loader(), epochs=2, event_handlers=[eh.CheckpointHandler(str(tmp_path))])
    with pytest.raises(ValueError, match="maximum number of epoch 2 reached"):
        est.fit(_loader(), epochs=2, event_handlers=[
            eh.CheckpointHandler(str(tmp_path), resume_from_checkpoint=True)])
    with pytest.raises(AssertionError, match="same type of period"):
        est.fit(_loader(), epochs=3, event_handlers=[
            eh.CheckpointHandler(str(tmp_path), batch_period=2,
                                 resume_from_checkpoint=True)])
    os.remove(tmp_path / "model-epoch1batch8.states")
    with pytest.raises(AssertionError, match=r"model-epoch1batch8\.states does not exist"):
        est.fit(_loader(), epochs=3, event_handlers=[
            eh.CheckpointHandler(str(tmp_path), resume_from_checkpoint=True)])


def test_a_hybridized_net_gets_its_symbol_file(tmp_path):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(3, in_units=4))
    net.initialize()
    net.hybridize()
    est = _est(net=net)
    est.fit(_loader(), batches=1, event_handlers=[
        eh.CheckpointHandler(str(tmp_path), epoch_period=None, batch_period=1)])
    sym = mx.sym.load(str(tmp_path / "model-symbol.json"))
    assert sym.list_arguments()[0] == "data"
    assert sorted(os.listdir(tmp_path)) == ["model-epoch0batch0.params",
                                            "model-epoch0batch0.states", "model-symbol.json"]


# -- early stopping --------------------------------------------------------------------
def test_early_stopping_with_patience_and_min_delta():
    est = _est(lr=0.0)                  # nothing learns: the loss stays where it is
    c = _Counter()
    es = eh.EarlyStoppingHandler(monitor=est.train_metrics[1], mode="min", patience=2)
    est.fit(_loader(), epochs=10, event_handlers=[c, es])
    assert (c.epochs, es.stopped_epoch, es.stop_training) == (3, 2, True)
    est2 = _est(lr=0.3)
    es2 = eh.EarlyStoppingHandler(monitor=est2.train_metrics[1], mode="min", patience=0,
                                  min_delta=10.0)
    c2 = _Counter()
    est2.fit(_loader(), epochs=10, event_handlers=[c2, es2])
    assert c2.epochs == 2               # the first epoch beats inf, the second not by 10


# -- errors ----------------------------------------------------------------------------
def test_bad_arguments():
    est = _est()
    for kw, what in (({"epochs": -1}, "epochs"), ({"epochs": 1.5}, "epochs"),
                     ({"batches": "3"}, "batches")):
        with pytest.raises(ValueError, match=f"{what} must be a positive int"):
            est.fit(_loader(), **kw)
    with pytest.raises(ValueError, match="exactly one type of iteration"):
        est.fit(_loader(), epochs=0, batches=0)
    empty = gluon.data.DataLoader(gluon.data.ArrayDataset(onp.zeros((0, 4), "float32"),
                                                          onp.zeros((0,), "float32")),
                                  batch_size=2)
    with pytest.raises(ValueError, match="gave no batch.*never end"):
        est.fit(empty, batches=3)
    with pytest.raises(ValueError, match="positive integer or 'epoch', got 0"):
        eh.LoggingHandler(log_interval=0)
    with pytest.raises(ValueError, match="max_checkpoints must be a positive int"):
        eh.CheckpointHandler("unused_dir_never_made", max_checkpoints=0)
    with pytest.raises(ValueError, match="eval_fn must be callable"):
        eh.ValidationHandler(_loader(), eval_fn=None)
    with pytest.raises(AssertionError, match=r"gpu\(7\) is not available"):
        _est(context=mx.gpu(7))
    with pytest.raises(ValueError, match="a batch must be a \\(data, label\\) pair"):
        E.BatchProcessor().fit_batch(est, [np.ones((2, 4))])


def test_a_scalar_loss_has_no_batch_size():
    class Mean(E.BatchProcessor):
        def fit_batch(self, estimator, train_batch, batch_axis=0):
            data, label, pred, loss = super().fit_batch(estimator, train_batch, batch_axis)
            return data, label, pred, [l.mean() for l in loss]

    est = _est(batch_processor=Mean(), train_metrics=mx.metric.Accuracy())
    with pytest.raises(ValueError, match="a loss of shape \\(\\) has no batch dimension"):
        est.fit(_loader(), epochs=1)


def test_initializer_and_default_trainer_warnings():
    net = _net()
    with pytest.warns(UserWarning) as rec:
        est = E.Estimator(net, gluon.loss.L2Loss(), initializer=mx.init.One())
    msgs = [str(w.message) for w in rec]
    assert any("Network already fully initialized" in m for m in msgs)
    assert any("No trainer specified, default SGD" in m for m in msgs)
    assert est.trainer.learning_rate == 0.001
    fresh = gluon.nn.Dense(2, in_units=3)
    with pytest.warns(UserWarning, match="No trainer"):
        E.Estimator(fresh, gluon.loss.L2Loss(), initializer=mx.init.One())
    onp.testing.assert_array_equal(fresh.weight.data().asnumpy(), onp.ones((2, 3)))


# -- async -----------------------------------------------------------------------------
def test_fit_without_metrics_never_blocks():
    """With no metric to read, fit (forward, loss, backward, trainer.step, the logging and
    stopping handlers) pushes every batch's work and returns before the first input
    exists."""
    gate, x = blocked_input((12, 4))
    y = onp.zeros((12,), "float32")
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(x, y), batch_size=4)
    est = _est()
    est.fit(loader, epochs=2, event_handlers=[eh.MetricHandler(metrics=[]),
                                              eh.LoggingHandler(metrics=[])])
    assert not gate.is_set(), "Estimator.fit blocked on a pending value"
    gate.set()
    assert all(onp.isfinite(p).all() for p in _params(est.net))
    assert not gate.timed_out


def test_interval_sampler():
    S = gluon.contrib.data.IntervalSampler
    assert list(S(7, 2)) == [0, 2, 4, 6, 1, 3, 5] and len(S(7, 2)) == 7
    assert list(S(7, 2, rollover=False)) == [0, 2, 4, 6] and len(S(7, 2, False)) == 4
    with pytest.raises(AssertionError, match="Interval 8 must be smaller than or equal"):
        S(7, 8)
    with pytest.raises(ValueError, match="interval must be at least 1"):
        S(7, 0)
    with pytest.raises(ValueError, match="length must be an int"):
        S(7.0, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(gluon.data.DataLoader(gluon.data.ArrayDataset(onp.arange(7)),
                                         batch_size=3, sampler=S(7, 2, False))) == 2


def test_two_devices_split_each_batch():
    net = gluon.nn.Dense(3, in_units=4)
    with pytest.warns(UserWarning, match="No trainer"):
        est = E.Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(),
                          initializer=mx.init.Xavier(), context=[mx.cpu(0), mx.cpu(1)])
    est.logger.handlers = []
    sizes = []

    class Sizes(eh.BatchEnd):
        def batch_end(self, estimator, *args, **kwargs):
            sizes.append([l.shape[0] for l in kwargs["loss"]])

    est.fit(_loader(), epochs=1, event_handlers=[Sizes()])
    assert sizes == [[3, 3]] * 4
    w0, w1 = (w.asnumpy() for w in net.weight.list_data())
    onp.testing.assert_array_equal(w0, w1)
    assert est.train_metrics[0].num_inst == 24
