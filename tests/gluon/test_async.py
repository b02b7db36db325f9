"""Nothing in gluon blocks: forward, loss, backward, trainer.step, initialization and
the DataLoader push work and return while an op they depend on is still held back."""
from __future__ import annotations

import numpy as onp

import ndengine as mx
from ndengine import autograd, gluon
from ndengine import numpy as np
from ndengine.gluon import nn

from gluon_helpers import blocked_input


def test_training_step_never_blocks():
    net = nn.Sequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dropout(0.1), nn.Dense(1))
    net.initialize()                       # deferred: shapes come with the first batch
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"momentum": 0.9, "wd": 1e-3})
    loss = gluon.loss.L2Loss()
    gate, x = blocked_input((16, 4))
    y = np.ones((16,))
    for _ in range(3):
        with autograd.record():
            out = net(x)
            l = loss(out, y)
        l.backward()
        trainer.step(16)
    assert not gate.is_set(), "a gluon call blocked on a pending value"
    gate.set()
    assert onp.isfinite(l.asnumpy()).all()
    assert not gate.timed_out


def test_multi_device_step_never_blocks():
    net = nn.Dense(3, in_units=4)
    net.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    trainer = gluon.Trainer(net.collect_params(), "adam")
    gate, x = blocked_input((6, 4))
    x1 = x.copyto(mx.cpu(1))
    with autograd.record():
        ls = [net(x).sum(), net(x1).sum()]
    autograd.backward(ls)
    trainer.step(12)
    assert not gate.is_set()
    gate.set()
    w0, w1 = (w.asnumpy() for w in net.weight.list_data())
    onp.testing.assert_allclose(w0, w1)
    assert not gate.timed_out


def test_dataloader_never_blocks():
    gate, x = blocked_input((10, 3), 2.0)
    ds = gluon.data.ArrayDataset(x, onp.arange(10))
    loader = gluon.data.DataLoader(ds, batch_size=4, shuffle=True)
    batches = list(loader)
    assert not gate.is_set()
    gate.set()
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert all((b[0].asnumpy() == 2).all() for b in batches)
    labels = onp.concatenate([b[1].asnumpy() for b in batches])
    assert sorted(labels.tolist()) == list(range(10))
    assert not gate.timed_out
