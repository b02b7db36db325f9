"""Parameter and ParameterDict: initialization (deferred too), data/grad access,
set_data, zero_grad, grad_req, devices, naming and collect_params(select)."""
from __future__ import annotations

import warnings

import numpy as onp
import pytest

import ndengine as mx
from ndengine import autograd, gluon, init
from ndengine import numpy as np
from ndengine.gluon import nn
from ndengine.gluon.parameter import DeferredInitializationError


def test_initialize_data_grad():
    p = gluon.Parameter("w", shape=(2, 3), init=init.One())
    assert p.shape == (2, 3) and p.dtype == onp.float32 and p.grad_req == "write"
    p.initialize()
    assert (p.data().asnumpy() == 1).all()
    assert (p.grad().asnumpy() == 0).all()
    assert p.list_ctx() == [mx.cpu(0)]
    assert len(p.list_data()) == 1 and len(p.list_grad()) == 1
    with pytest.warns(UserWarning, match="already initialized"):
        p.initialize()
    p.initialize(init.Constant(5), force_reinit=True)
    assert (p.data().asnumpy() == 5).all()


def test_uninitialized_errors():
    p = gluon.Parameter("w", shape=(2,))
    with pytest.raises(RuntimeError, match="has not been initialized"):
        p.data()
    q = gluon.Parameter("q", shape=(2, 0))
    with pytest.raises(ValueError, match="invalid shape"):
        q.initialize()
    with pytest.raises(ValueError, match="grad_req"):
        gluon.Parameter("r", grad_req="sometimes")


def test_deferred_initialization():
    d = nn.Dense(4)
    d.initialize(init.One())
    assert d.weight.shape == (4, -1)
    with pytest.raises(DeferredInitializationError, match="deferred"):
        d.weight.data()
    x = np.ones((2, 7))
    out = d(x)                                   # first forward: in_units = 7
    assert d.weight.shape == (4, 7)
    onp.testing.assert_allclose(out.asnumpy(), onp.full((2, 4), 7.0))
    d2 = nn.Dense(3, flatten=True)
    d2.initialize()
    d2(np.ones((2, 3, 5)))
    assert d2.weight.shape == (3, 15)
    d3 = nn.Dense(3, flatten=False)
    d3.initialize()
    assert d3(np.ones((2, 3, 5))).shape == (2, 3, 3)
    assert d3.weight.shape == (3, 5)


def test_deferred_init_inside_record():
    """The first forward may happen inside autograd.record(): initialization is not
    recorded and the gradients land in the parameters."""
    d = nn.Dense(2, weight_initializer=init.One())
    d.initialize()
    x = np.ones((3, 4))
    with autograd.record():
        y = d(x).sum()
    y.backward()
    onp.testing.assert_allclose(d.weight.grad().asnumpy(), onp.full((2, 4), 3.0))
    onp.testing.assert_allclose(d.bias.grad().asnumpy(), onp.full((2,), 3.0))


def test_set_data_zero_grad_and_grad_req():
    p = gluon.Parameter("w", shape=(3,), init=init.Zero())
    p.initialize()
    p.set_data(np.array([1.0, 2.0, 3.0]))
    onp.testing.assert_array_equal(p.data().asnumpy(), [1, 2, 3])
    x = p.data()
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    onp.testing.assert_allclose(p.grad().asnumpy(), [2, 4, 6])
    p.zero_grad()
    assert (p.grad().asnumpy() == 0).all()
    p.grad_req = "null"
    with pytest.raises(RuntimeError, match="grad_req='null'"):
        p.grad()
    p.grad_req = "add"
    for _ in range(2):
        with autograd.record():
            y = (p.data() * 2).sum()
        y.backward()
    onp.testing.assert_allclose(p.grad().asnumpy(), [4, 4, 4])


def test_set_data_before_deferred_init():
    d = nn.Dense(2)
    d.initialize()
    d.weight.set_data(np.ones((2, 3)))
    assert d.weight.shape == (2, 3)
    onp.testing.assert_allclose(d(np.ones((1, 3))).asnumpy(), [[3.0, 3.0]])


def test_several_devices_hold_equal_copies():
    ctx = [mx.cpu(0), mx.cpu(1)]
    p = gluon.Parameter("w", shape=(4, 5))
    p.initialize(ctx=ctx)
    a, b = p.list_data()
    assert a.device == mx.cpu(0) and b.device == mx.cpu(1)
    onp.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    assert p.data(mx.cpu(1)) is b
    assert p.grad(mx.cpu(1)).device == mx.cpu(1)
    with pytest.raises(RuntimeError, match="was not initialized on context"):
        p.data(mx.cpu(2))
    p.reset_ctx(mx.cpu(2))
    assert p.list_ctx() == [mx.cpu(2)]
    onp.testing.assert_allclose(p.data().asnumpy(), a.asnumpy())


def test_cast():
    d = nn.Dense(2, in_units=3)
    d.initialize()
    d.cast("float64")
    assert d.weight.dtype == onp.float64 and d.weight.data().dtype == onp.float64
    assert d.weight.grad().dtype == onp.float64
    assert d(np.ones((1, 3), dtype="float64")).dtype == onp.float64


def test_lr_wd_mult_and_constant():
    p = gluon.Parameter("w", shape=(1,), lr_mult=2.0, wd_mult=0.5)
    assert (p.lr_mult, p.wd_mult) == (2.0, 0.5)
    c = gluon.Constant("c", np.array([1.0, 2.0]))
    c.initialize()
    assert c.grad_req == "null"
    onp.testing.assert_array_equal(c.data().asnumpy(), [1, 2])


def test_names_follow_mxnet_1x():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = nn.Dense(2)
        b = nn.Dense(2)
    ia, ib = int(a.name[5:]), int(b.name[5:])
    assert a.name.startswith("dense") and ib == ia + 1
    assert a.weight.name == a.prefix + "weight" and a.bias.name == a.prefix + "bias"
    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(3), nn.Dense(4, activation="relu"))
    names = list(net.collect_params().keys())
    assert names == [net.prefix + "dense0_weight", net.prefix + "dense0_bias",
                     net.prefix + "dense1_weight", net.prefix + "dense1_bias"]
    custom = nn.Dense(2, prefix="fc_")
    assert custom.weight.name == "fc_weight"


def test_collect_params_select_and_parameterdict():
    net = nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(nn.Dense(3, in_units=2), nn.Dense(1, in_units=3))
    params = net.collect_params()
    assert len(params) == 4
    assert list(net.collect_params(".*bias").keys()) == ["net_dense0_bias", "net_dense1_bias"]
    assert list(net.collect_params("net_dense1_.*").keys()) == ["net_dense1_weight",
                                                               "net_dense1_bias"]
    assert "net_dense0_weight" in params and params["net_dense0_weight"] is net[0].weight
    params.initialize(init.One())
    params.setattr("grad_req", "null")
    assert all(p.grad_req == "null" for p in params.values())
    params.setattr("grad_req", "write")
    params.zero_grad()
    assert params.list_ctx() == [mx.cpu(0)]
    with pytest.raises(ValueError, match="desired attribute does not match"):
        net[0].params.get("weight", dtype="float16")


def test_shared_parameters():
    a = nn.Dense(3, in_units=2, prefix="shared_")
    b = nn.Dense(3, in_units=2, params=a.params)
    assert b.weight is a.weight
    a.initialize()
    x = np.ones((1, 2))
    onp.testing.assert_allclose(a(x).asnumpy(), b(x).asnumpy())


def test_parameterdict_loads_an_mxnet_written_file():
    """collect_params().save written by real MXNet 1.9.1 (legacy mode, prefix stripped)
    loads with restore_prefix, in MXNet's binary format."""
    from pathlib import Path

    from ndengine.gluon import nn

    f = Path(__file__).parents[1] / "fixtures" / "mxnet_files" / "from_mxnet" / \
        "gluon_paramdict.params"
    net = nn.Sequential(prefix="model_")
    with net.name_scope():
        net.add(nn.Dense(5, in_units=3, activation="relu"), nn.BatchNorm(in_channels=5),
                nn.Dense(2, in_units=5))
    params = net.collect_params()
    params.load(str(f), restore_prefix="model_")
    assert params["model_dense0_weight"].data().shape == (5, 3)
    assert params["model_batchnorm0_running_var"].data().asnumpy().min() >= 1.0
    with pytest.raises(AssertionError, match="missing in file"):
        other = nn.Dense(3, in_units=2, prefix="other_")
        other.collect_params().load(str(f), restore_prefix="other_")
