"""Trainer: rescaling by batch size, per-parameter multipliers, learning rate,
multi-device data parallelism, states."""
from __future__ import annotations

import numpy as onp
import pytest

import ndengine as mx
from ndengine import autograd, gluon, init
from ndengine import numpy as np
from ndengine.gluon import nn

from gluon_helpers import seed_all

RNG = onp.random.default_rng(3)


def _grads_of(net, x, y):
    with autograd.record():
        l = gluon.loss.L2Loss()(net(x), y)
    l.backward()
    return l


def test_step_rescales_by_batch_size():
    net = nn.Dense(2, in_units=3)
    net.initialize(init.Normal(0.5))
    w0 = net.weight.data().asnumpy()
    b0 = net.bias.data().asnumpy()
    x = RNG.standard_normal((8, 3)).astype(onp.float32)
    y = RNG.standard_normal((8, 2)).astype(onp.float32)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "wd": 0.01})
    assert trainer.learning_rate == 0.1
    _grads_of(net, np.array(x), np.array(y))
    trainer.step(8)
    # L2Loss per sample: 0.5 * mean_j (y - out)^2 ; d/d out = (out - y) / 2
    g_out = (x @ w0.T + b0 - y) / 2
    gw, gb = g_out.T @ x, g_out.sum(0)
    onp.testing.assert_allclose(net.weight.data().asnumpy(),
                                (1 - 0.1 * 0.01) * w0 - 0.1 * gw / 8, rtol=1e-5, atol=1e-6)
    onp.testing.assert_allclose(net.bias.data().asnumpy(),
                                (1 - 0.1 * 0.01) * b0 - 0.1 * gb / 8, rtol=1e-5, atol=1e-6)


def test_lr_and_wd_mult_and_set_learning_rate():
    net = nn.Dense(1, in_units=2, weight_initializer=init.One(), bias_initializer=init.One())
    net.initialize()
    net.weight.lr_mult = 0.0              # frozen
    net.bias.wd_mult = 0.0
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 1.0, "wd": 0.5})
    trainer.set_learning_rate(0.5)
    assert trainer.learning_rate == 0.5
    x = np.zeros((1, 2))
    _grads_of(net, x, np.zeros((1, 1)))        # d/d bias = 0.5 * (1 - 0) * 2 / 2 = 1 * 0.5...
    gb = net.bias.grad().asnumpy()
    trainer.step(1)
    onp.testing.assert_array_equal(net.weight.data().asnumpy(), 1.0)
    onp.testing.assert_allclose(net.bias.data().asnumpy(), 1 - 0.5 * gb, rtol=1e-6)


def test_trainer_inputs_and_errors():
    a = nn.Dense(1, in_units=1)
    a.initialize()
    gluon.Trainer(list(a.collect_params().values()), optimizer=mx.optimizer.Adam())
    with pytest.raises(ValueError, match="list or dict of Parameters"):
        gluon.Trainer([1, 2], "sgd")
    with pytest.raises(ValueError, match="optimizer_params must be None"):
        gluon.Trainer(a.collect_params(), mx.optimizer.SGD(), {"learning_rate": 1})
    b = nn.Dense(1, in_units=1)
    b.initialize(ctx=mx.cpu(1))
    with pytest.raises(ValueError, match="same set of contexts"):
        gluon.Trainer(list(a.collect_params().values()) + list(b.collect_params().values()),
                      "sgd")
    c = nn.Dense(1)
    c.initialize()
    t = gluon.Trainer(c.collect_params(), "sgd")
    with pytest.raises(RuntimeError, match="has not been initialized"):
        t.step(1)
    with pytest.raises(ValueError, match="batch_size"):
        t.step(0)


def _mlp():
    net = nn.Sequential()
    net.add(nn.Dense(6, activation="tanh", in_units=4), nn.Dense(2, in_units=6))
    return net


@pytest.mark.parametrize("opt,params", [("sgd", {"learning_rate": 0.1, "momentum": 0.9}),
                                        ("adam", {"learning_rate": 0.01, "wd": 0.001})])
def test_data_parallel_equals_single_device(opt, params):
    ctxs = [mx.cpu(0), mx.cpu(1)]
    seed_all(5)
    single = _mlp()
    single.initialize(init.Xavier())
    seed_all(5)
    multi = _mlp()
    multi.initialize(init.Xavier(), ctx=ctxs)
    t1 = gluon.Trainer(single.collect_params(), opt, params)
    t2 = gluon.Trainer(multi.collect_params(), opt, params)
    loss = gluon.loss.L2Loss()
    for step in range(3):
        x = RNG.standard_normal((10, 4)).astype(onp.float32)
        y = RNG.standard_normal((10, 2)).astype(onp.float32)
        with autograd.record():
            l1 = loss(single(np.array(x)), np.array(y))
        l1.backward()
        t1.step(10)
        parts = [(np.array(x[:5], device=ctxs[0]), np.array(y[:5], device=ctxs[0])),
                 (np.array(x[5:], device=ctxs[1]), np.array(y[5:], device=ctxs[1]))]
        with autograd.record():
            ls = [loss(multi(xp), yp) for xp, yp in parts]
        autograd.backward(ls)
        t2.step(10)
    for p1, p2 in zip(single.collect_params().values(), multi.collect_params().values()):
        d0, d1 = (d.asnumpy() for d in p2.list_data())
        onp.testing.assert_array_equal(d0, d1)            # the copies stay equal
        onp.testing.assert_allclose(d0, p1.data().asnumpy(), rtol=1e-5, atol=1e-6)


def test_no_kvstore_keeps_devices_apart():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = nn.Dense(1, in_units=1, weight_initializer=init.Zero())
    net.initialize(ctx=ctxs)
    t = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 1.0}, kvstore=None)
    with autograd.record():
        ls = [net(np.ones((1, 1), device=c) * (i + 1)).sum() for i, c in enumerate(ctxs)]
    autograd.backward(ls)
    t.allreduce_grads()                                   # no kvstore: nothing summed
    t.update(1)
    w0, w1 = (d.asnumpy().item() for d in net.weight.list_data())
    assert (w0, w1) == (-1.0, -2.0)


def test_save_and_load_states(tmp_path):
    net = nn.Dense(2, in_units=2)
    net.initialize()
    t = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.5})
    _grads_of(net, np.ones((2, 2)), np.zeros((2, 2)))
    t.step(2)
    f = str(tmp_path / "t.states")
    t.save_states(f)
    t2 = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.7})
    t2.load_states(f)
    assert t2.learning_rate == 0.1 and t2.optimizer.momentum == 0.5
    mom = t._updaters[0].states[0].asnumpy()
    onp.testing.assert_allclose(t2._updaters[0].states[0].asnumpy(), mom)
