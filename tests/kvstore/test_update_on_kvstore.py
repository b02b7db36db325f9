"""Trainer(update_on_kvstore=True) on one machine: the kvstore runs the optimizer on its
copy of each weight and the devices pull it; the same parameters as updating on the
devices (no MPI needed)."""
from __future__ import annotations

import numpy as onp
import pytest

from ndengine import autograd, np, npx
from ndengine.device import cpu
from ndengine.gluon import Trainer, loss as gloss, nn
from ndengine.gluon.utils import split_and_load

DEVS = [cpu(0), cpu(1)]


def _train(uok, tmp_path=None):
    npx.set_np()
    npx.random.seed(3)
    net = nn.Sequential()
    net.add(nn.Dense(6, activation="relu"), nn.Dense(3))
    net.initialize(ctx=DEVS)
    rng = onp.random.default_rng(0)
    X = rng.normal(size=(8, 5)).astype(onp.float32)
    Y = rng.integers(0, 3, size=8)
    net(np.array(X[:2], device=DEVS[0]))
    tr = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.2, "momentum": 0.9},
                 kvstore="device", update_on_kvstore=uok)
    L = gloss.SoftmaxCrossEntropyLoss()
    for _ in range(3):
        xs, ys = split_and_load(X, DEVS), split_and_load(Y, DEVS)
        with autograd.record():
            ls = [L(net(a), b) for a, b in zip(xs, ys)]
        autograd.backward(ls)
        tr.step(8)
    if tmp_path is not None:
        f = str(tmp_path / "states")
        tr.save_states(f)
        tr.load_states(f)
        assert tr.optimizer.momentum == 0.9
    return tr, [[p.data(d).asnumpy() for d in DEVS] for p in net.collect_params().values()]


def test_update_on_kvstore_gives_the_parameters_of_updating_on_the_devices(tmp_path):
    tr, on_store = _train(True, tmp_path)
    assert tr._update_on_kvstore
    _, on_devices = _train(False)
    for a, b in zip(on_store, on_devices):
        for x, y in zip(a, b):
            onp.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
        onp.testing.assert_array_equal(a[0], a[1])      # every device holds the same
    with pytest.raises(AssertionError, match="update_on_kvstore"):
        tr.allreduce_grads()
    with pytest.raises(AssertionError, match="update_on_kvstore"):
        tr.update(8)
