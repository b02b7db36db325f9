"""Data-parallel training over several CPU devices gives the parameters of one-device
training (within float tolerance): split_and_load + Trainer + kvstore, d2l style."""
from __future__ import annotations

from typing import Any

import numpy as onp
import pytest

import ndengine as mx
from ndengine import autograd, gluon, init, kvstore, np, npx
from ndengine.gluon import nn

RNG = onp.random.default_rng(11)


def make_net() -> Any:
    net = nn.Sequential()
    net.add(nn.Dense(16, activation="relu", in_units=8),
            nn.Dense(8, activation="tanh", in_units=16), nn.Dense(3, in_units=8))
    return net


def initialized(ctx: Any) -> Any:
    np.random.seed(7)
    onp.random.seed(7)
    net = make_net()
    net.initialize(init.Xavier(), ctx=ctx)
    return net


def batches(n: int, size: int) -> list[tuple[onp.ndarray, onp.ndarray]]:
    w = RNG.standard_normal((8, 3)).astype(onp.float32)
    out = []
    for _ in range(n):
        x = RNG.standard_normal((size, 8)).astype(onp.float32)
        out.append((x, (x @ w + 0.1 * RNG.standard_normal((size, 3))).astype(onp.float32)))
    return out


def train(net: Any, devices: list[Any], data: list, kv: Any, opt: str, params: dict) -> Any:
    trainer = gluon.Trainer(net.collect_params(), opt, params, kvstore=kv)
    loss = gluon.loss.L2Loss()
    for x, y in data:
        xs = gluon.utils.split_and_load(x, devices)
        ys = gluon.utils.split_and_load(np.array(y), devices)
        with autograd.record():
            ls = [loss(net(xp), yp) for xp, yp in zip(xs, ys)]
        for lo in ls:
            lo.backward()
        trainer.step(x.shape[0])
    npx.waitall()
    return trainer


@pytest.mark.parametrize("ndev,kv,opt,params", [
    (2, "device", "sgd", {"learning_rate": 0.05, "momentum": 0.9}),
    (2, "local", "adam", {"learning_rate": 0.01}),
    (3, "device", "sgd", {"learning_rate": 0.1, "wd": 1e-3}),
])
def test_data_parallel_training_equals_one_device(ndev: int, kv: str, opt: str,
                                                  params: dict) -> None:
    devices = [mx.cpu(i) for i in range(ndev)]
    data = batches(6, 12)
    single = initialized(mx.cpu(0))
    multi = initialized(devices)
    for p1, p2 in zip(single.collect_params().values(), multi.collect_params().values()):
        for d in p2.list_data():
            onp.testing.assert_array_equal(d.asnumpy(), p1.data().asnumpy())
    before = [p.data().asnumpy() for p in single.collect_params().values()]
    train(single, [mx.cpu(0)], data, kv, opt, params)
    trainer = train(multi, devices, data, kv, opt, params)
    assert isinstance(trainer._kvstore, kvstore.KVStore) and trainer._kvstore.type == kv
    for p1, p2 in zip(single.collect_params().values(), multi.collect_params().values()):
        copies = [d.asnumpy() for d in p2.list_data()]
        assert [d.device for d in p2.list_data()] == devices
        for c in copies[1:]:
            onp.testing.assert_array_equal(c, copies[0])    # the devices agree exactly
        onp.testing.assert_allclose(copies[0], p1.data().asnumpy(), rtol=2e-5, atol=2e-6)
    after = [p.data().asnumpy() for p in single.collect_params().values()]
    assert all(not onp.allclose(a, b) for a, b in zip(before, after))   # it did train


def test_a_kvstore_object_can_be_passed_to_the_trainer() -> None:
    devices = [mx.cpu(0), mx.cpu(1)]
    data = batches(3, 8)
    single = initialized(mx.cpu(0))
    multi = initialized(devices)
    store = mx.kv.create("device")
    train(single, [mx.cpu(0)], data, "device", "sgd", {"learning_rate": 0.1})
    trainer = train(multi, devices, data, store, "sgd", {"learning_rate": 0.1})
    assert trainer._kvstore is store and len(store._store) == len(multi.collect_params())
    for p1, p2 in zip(single.collect_params().values(), multi.collect_params().values()):
        onp.testing.assert_allclose(p2.list_data()[1].asnumpy(), p1.data().asnumpy(),
                                    rtol=2e-5, atol=2e-6)
