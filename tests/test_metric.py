"""mx.metric beyond the differential cases (tests/mxnet_diff/cases/cases_metric.py):
the metrics MXNet 1.9.1 refuses np arrays for, checked against NumPy formulas, legacy
``mx.nd`` arrays, and the errors."""
from __future__ import annotations

import math

import numpy as onp
import pytest

from ndengine import metric
from ndengine import numpy as np

R = onp.random.default_rng(4)
SCORES = [R.uniform(0, 1, (7, 4)).astype("float32") for _ in range(3)]
LABELS = [R.integers(0, 4, 7).astype("float32") for _ in range(3)]


def test_accuracy_against_numpy_with_local_and_global_stats():
    m = metric.Accuracy()
    for lab, sc in zip(LABELS[:2], SCORES[:2]):
        m.update([np.array(lab)], [np.array(sc)])
    m.reset_local()
    m.update(np.array(LABELS[2]), np.array(SCORES[2]))
    hits = [(sc.argmax(1) == lab).sum() for lab, sc in zip(LABELS, SCORES)]
    assert m.get() == ("accuracy", hits[2] / 7)
    name, value = m.get_global()
    assert value == pytest.approx(sum(hits) / 21)
    assert isinstance(value, onp.float64) and m.global_num_inst == 21


def test_accuracy_errors_name_the_shapes():
    m = metric.Accuracy()
    with pytest.raises(ValueError, match="Shape of labels 4 does not match shape of "
                                         "predictions 7"):
        m.update([np.array(LABELS[0][:4])], [np.array(SCORES[0])])
    with pytest.raises(ValueError, match="Shape of labels 1 does not match shape of "
                                         "predictions 2"):
        m.update([np.array(LABELS[0])], [np.array(SCORES[0]), np.array(SCORES[1])])


def test_perplexity_against_numpy():
    m = metric.Perplexity(ignore_label=1)
    nll, n = 0.0, 0
    for lab, sc in zip(LABELS, SCORES):
        m.update([np.array(lab)], [np.array(sc)])
        p = sc[onp.arange(7), lab.astype(int)]
        keep = lab != 1
        nll -= onp.log(onp.maximum(1e-10, p[keep])).sum()
        n += keep.sum()
    assert m.get()[1] == pytest.approx(math.exp(nll / n), rel=1e-6)
    assert metric.Perplexity(None).get()[1] != metric.Perplexity(None).get()[1]   # nan


def test_loss_sums_on_the_device_and_counts_elements():
    m = metric.Loss()
    m.update(None, [np.array(SCORES[0]), np.array(SCORES[1])])
    assert m.num_inst == 56
    assert m.get()[1] == pytest.approx((SCORES[0].sum() + SCORES[1].sum()) / 56, rel=1e-6)
    assert isinstance(m.sum_metric, onp.float64)


def test_legacy_arrays_are_accepted():
    legacy = pytest.importorskip("ndengine.legacy.creation")
    a, b = metric.Accuracy(), metric.Accuracy()
    for lab, sc in zip(LABELS, SCORES):
        a.update(legacy.array(lab), legacy.array(sc))
        b.update([np.array(lab)], [np.array(sc)])
    assert a.get() == b.get() and a.num_inst == 21
    loss = metric.Loss()
    loss.update(None, legacy.array(SCORES[0]))
    assert loss.num_inst == 28


def test_metrics_on_a_second_device():
    from ndengine import npx

    dev = npx.cpu(1)
    m = metric.create(["acc", "ce", "mse"])
    m.update([np.array(LABELS[0], device=dev)], [np.array(SCORES[0], device=dev)])
    names, values = m.get()
    assert names == ["accuracy", "cross-entropy", "mse"] and len(values) == 3


def test_registry_errors():
    with pytest.raises(AssertionError, match="is not registered"):
        metric.create("nosuch")
    with pytest.raises(AssertionError, match="subclass of EvalMetric"):
        metric.register(int)
    with pytest.raises(AssertionError, match="top_k"):
        metric.TopKAccuracy(top_k=1)
