"""End to end: a small regression and a small classifier train to a low loss under
both engines, and a fixed seed gives the same parameters under both."""
from __future__ import annotations

import numpy as onp

from ndengine import autograd, engine, gluon, init
from ndengine import numpy as np
from ndengine.gluon import nn

from gluon_helpers import seed_all


def _regression_data():
    rng = onp.random.default_rng(0)
    X = rng.standard_normal((256, 5)).astype(onp.float32)
    w = onp.array([[2.0, -3.4, 1.0, 0.5, -1.0]], dtype=onp.float32)
    y = (X @ w.T + 4.2 + 0.01 * rng.standard_normal((256, 1))).astype(onp.float32)
    return X, y


def _classifier_data():
    rng = onp.random.default_rng(1)
    centers = onp.array([[2, 2], [-2, 2], [0, -2.5]], dtype=onp.float32)
    labels = rng.integers(0, 3, 300)
    X = (centers[labels] + 1.0 * rng.standard_normal((300, 2))).astype(onp.float32)
    return X, labels.astype(onp.float32)


def train_regression(epochs=8):
    seed_all(0)
    X, y = _regression_data()
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize(init.Normal(0.01))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1,
                                                           "momentum": 0.5})
    loss = gluon.loss.L2Loss()
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(X, y), batch_size=16, shuffle=True)
    for _ in range(epochs):
        for xb, yb in loader:
            with autograd.record():
                l = loss(net(xb), yb)
            l.backward()
            trainer.step(xb.shape[0])
    final = loss(net(np.array(X)), np.array(y)).mean().item()
    return final, [p.data().asnumpy() for p in net.collect_params().values()]


def train_classifier(epochs=10):
    seed_all(1)
    X, labels = _classifier_data()
    net = nn.HybridSequential()
    net.add(nn.Dense(16, activation="relu"), nn.Dropout(0.1), nn.Dense(3))
    net.initialize(init.Xavier())
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.05})
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(X, labels), batch_size=30,
                                   shuffle=True, last_batch="discard")
    for _ in range(epochs):
        for xb, yb in loader:
            with autograd.record():
                l = loss(net(xb), yb)
            l.backward()
            trainer.step(xb.shape[0])
    out = net(np.array(X))
    final = loss(out, np.array(labels)).mean().item()
    acc = float((out.argmax(axis=1).asnumpy() == labels).mean())
    return final, acc, [p.data().asnumpy() for p in net.collect_params().values()]


def test_regression_trains(engine_kind):
    final, _ = train_regression()
    assert final < 1e-3


def test_classifier_trains(engine_kind):
    final, acc, _ = train_classifier()
    assert final < 0.15 and acc > 0.95


def test_same_parameters_under_both_engines():
    results = {}
    try:
        for kind in ("threaded", "naive"):
            engine.set_engine(kind)
            results[kind] = (train_regression(3)[1], train_classifier(3)[2])
    finally:
        engine.set_engine("threaded")
    for a, b in zip(results["threaded"][0] + results["threaded"][1],
                    results["naive"][0] + results["naive"][1]):
        onp.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
