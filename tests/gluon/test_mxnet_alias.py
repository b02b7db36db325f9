"""The seed's training loop, written against ``mxnet`` names (alias_as_mxnet)."""
from __future__ import annotations

import importlib

import ndengine


def test_seed_loop_under_mxnet_names():
    names = ndengine.alias_as_mxnet()
    for mod in ("mxnet.autograd", "mxnet.gluon", "mxnet.gluon.nn", "mxnet.gluon.loss",
                "mxnet.gluon.data", "mxnet.init", "mxnet.optimizer"):
        assert mod in names and importlib.import_module(mod).__name__.startswith("ndengine")
    from mxnet import autograd, gluon, init, np, npx  # noqa: I001 (the alias)
    from mxnet.gluon import nn

    npx.set_np()
    net = nn.Sequential()
    net.add(nn.Dense(32, activation="relu"), nn.Dense(16, activation="relu"), nn.Dense(1))
    net.initialize(init.Uniform())
    trainer = gluon.Trainer(net.collect_params(), "sgd")
    loss = gluon.loss.L2Loss()
    first = None
    for barrier in (True, False):
        for _ in range(5):
            X = np.random.normal(size=(64, 8))
            y = np.ones((64,))
            with autograd.record():
                l = loss(y, net(X))
            l.backward()
            trainer.step(X.shape[0])
            if barrier:
                l.wait_to_read()
            if first is None:
                first = float(l.mean())
        npx.waitall()
    assert float(l.mean()) < first


def test_gluon_tensor_types_are_what_a_1x_hybrid_forward_is_given():
    import mxnet as mx

    assert mx.gluon.tensor_types == (mx.sym.Symbol, mx.nd.NDArray)
    assert isinstance(mx.nd.ones(2), mx.gluon.tensor_types)
    assert isinstance(mx.sym.var("x"), mx.gluon.tensor_types)
    assert isinstance(mx.np.ones(2), mx.gluon.tensor_types)   # np.ndarray is an NDArray there too
    assert "tensor_types" in dir(mx.gluon)
