"""Blocks and layers against NumPy formulas; containers; parameter files."""
from __future__ import annotations

import numpy as onp
import pytest

import ndengine as mx
from ndengine import autograd, gluon, init
from ndengine import npx
from ndengine import numpy as np
from ndengine.gluon import nn

from gluon_helpers import seed_all

RNG = onp.random.default_rng(0)


def _x(*shape, dtype=onp.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _np_act(name, v):
    return {"relu": lambda a: onp.maximum(a, 0), "sigmoid": lambda a: 1 / (1 + onp.exp(-a)),
            "tanh": onp.tanh, "softrelu": lambda a: onp.log1p(onp.exp(a)),
            "softsign": lambda a: a / (1 + onp.abs(a)), None: lambda a: a}[name](v)


@pytest.mark.parametrize("act", [None, "relu", "sigmoid", "tanh", "softrelu", "softsign"])
def test_dense_matches_numpy(act):
    d = nn.Dense(5, activation=act, in_units=4)
    d.initialize(init.Normal(0.5))
    x = _x(3, 4)
    w, b = d.weight.data().asnumpy(), d.bias.data().asnumpy()
    onp.testing.assert_allclose(d(np.array(x)).asnumpy(), _np_act(act, x @ w.T + b),
                                rtol=1e-5, atol=1e-6)


def test_dense_flatten_and_no_bias():
    d = nn.Dense(3, use_bias=False)
    d.initialize(init.Normal(0.5))
    x = _x(2, 3, 4)
    out = d(np.array(x)).asnumpy()
    w = d.weight.data().asnumpy()
    assert d.bias is None and len(d.collect_params()) == 1
    onp.testing.assert_allclose(out, x.reshape(2, 12) @ w.T, rtol=1e-5, atol=1e-6)
    e = nn.Dense(3, flatten=False, in_units=4)
    e.initialize(init.Normal(0.5))
    we, be = e.weight.data().asnumpy(), e.bias.data().asnumpy()
    onp.testing.assert_allclose(e(np.array(x)).asnumpy(), x @ we.T + be, rtol=1e-5, atol=1e-6)


def test_dense_gradients_match_numpy():
    d = nn.Dense(3, activation="relu", in_units=4)
    d.initialize(init.Normal(0.5))
    x = _x(6, 4)
    w, b = d.weight.data().asnumpy(), d.bias.data().asnumpy()
    with autograd.record():
        y = d(np.array(x)).sum()
    y.backward()
    mask = (x @ w.T + b > 0).astype(onp.float32)
    onp.testing.assert_allclose(d.weight.grad().asnumpy(), mask.T @ x, rtol=1e-5, atol=1e-5)
    onp.testing.assert_allclose(d.bias.grad().asnumpy(), mask.sum(0), rtol=1e-5)


@pytest.mark.parametrize("flatten,act,use_bias", [(True, "relu", True), (False, None, True),
                                                  (True, "tanh", False), (False, "relu", False)])
def test_fully_connected_gradients(flatten, act, use_bias):
    """Gradients of the fused fully-connected op (input, weight, bias) against NumPy."""
    d = nn.Dense(3, activation=act, use_bias=use_bias, flatten=flatten, in_units=4 if not
                 flatten else 8, dtype="float64")
    d.initialize(init.Normal(0.5))
    x_np = _x(5, 2, 4, dtype=onp.float64)
    x = np.array(x_np)
    x.attach_grad()
    g_np = _x(*((5, 3) if flatten else (5, 2, 3)), dtype=onp.float64)
    with autograd.record():
        y = d(x)
    y.backward(np.array(g_np))
    w = d.weight.data().asnumpy()
    b = d.bias.data().asnumpy() if use_bias else 0.0
    x2 = x_np.reshape(5, 8) if flatten else x_np.reshape(10, 4)
    pre = x2 @ w.T + b
    g2 = g_np.reshape(pre.shape)
    if act == "relu":
        g2 = g2 * (pre > 0)
    elif act == "tanh":
        g2 = g2 * (1 - onp.tanh(pre) ** 2)
    onp.testing.assert_allclose(y.asnumpy().reshape(pre.shape), _np_act(act, pre), rtol=1e-10)
    onp.testing.assert_allclose(x.grad.asnumpy(), (g2 @ w).reshape(x_np.shape), rtol=1e-10)
    onp.testing.assert_allclose(d.weight.grad().asnumpy(), g2.T @ x2, rtol=1e-10)
    assert d.weight.grad().asnumpy().flags.c_contiguous
    if use_bias:
        onp.testing.assert_allclose(d.bias.grad().asnumpy(), g2.sum(0), rtol=1e-10)


def test_dense_errors():
    with pytest.raises(ValueError, match="units"):
        nn.Dense(0)
    d = nn.Dense(2, in_units=3)
    d.initialize()
    with pytest.raises(ValueError, match="3"):
        d(np.ones((2, 4)))
    with pytest.raises(ValueError, match="unknown activation"):
        nn.Activation("swoosh")


def test_activation_flatten_lambda():
    x = _x(2, 3, 2)
    for act in ("relu", "sigmoid", "tanh", "softrelu", "softsign"):
        onp.testing.assert_allclose(nn.Activation(act)(np.array(x)).asnumpy(), _np_act(act, x),
                                    rtol=1e-5, atol=1e-6)
    assert nn.Flatten()(np.array(x)).shape == (2, 6)
    onp.testing.assert_allclose(nn.Lambda(lambda a: a * 2)(np.array(x)).asnumpy(), 2 * x)
    onp.testing.assert_allclose(nn.Lambda("relu")(np.array(x)).asnumpy(), onp.maximum(x, 0))
    onp.testing.assert_allclose(nn.HybridLambda(lambda F, a: F.np.exp(a))(np.array(x)).asnumpy(),
                                onp.exp(x), rtol=1e-6)
    onp.testing.assert_allclose(nn.LeakyReLU(0.1)(np.array(x)).asnumpy(),
                                onp.where(x > 0, x, 0.1 * x), rtol=1e-6)


def test_dropout_train_and_predict():
    seed_all(0)
    drop = nn.Dropout(0.4)
    x = np.ones((200, 100))
    onp.testing.assert_array_equal(drop(x).asnumpy(), 1.0)       # predict mode: identity
    with autograd.record():
        y = drop(x).asnumpy()
    kept = y != 0
    assert abs(kept.mean() - 0.6) < 0.02
    onp.testing.assert_allclose(y[kept], 1 / 0.6, rtol=1e-6)
    with autograd.train_mode():
        assert (drop(x).asnumpy() == 0).any()


def test_batchnorm_and_layernorm_match_numpy():
    x = _x(8, 3, 2)
    bn = nn.BatchNorm()
    bn.initialize()
    xx = np.array(x)
    xx.attach_grad()
    with autograd.record():
        out = bn(xx)
    y = out.asnumpy()
    # as in MXNet 1.9.1, the running statistics move with the backward pass
    onp.testing.assert_array_equal(bn.running_mean.data().asnumpy(), 0)
    out.backward()
    mean = x.mean(axis=(0, 2), keepdims=True)
    var = x.var(axis=(0, 2), keepdims=True)
    onp.testing.assert_allclose(y, (x - mean) / onp.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)
    onp.testing.assert_allclose(bn.running_mean.data().asnumpy(), 0.1 * mean.ravel(),
                                rtol=1e-4, atol=1e-6)
    ln = nn.LayerNorm()
    ln.initialize()
    m = x.mean(-1, keepdims=True)
    v = x.var(-1, keepdims=True)
    onp.testing.assert_allclose(ln(np.array(x)).asnumpy(), (x - m) / onp.sqrt(v + 1e-5),
                                rtol=1e-4, atol=1e-5)


def test_sequential_container():
    net = nn.Sequential()
    net.add(nn.Dense(4, in_units=3), nn.Activation("relu"))
    net.add(nn.Dense(2, in_units=4))
    assert len(net) == 3 and isinstance(net[0], nn.Dense) and isinstance(net[-1], nn.Dense)
    sub = net[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[1] is net[2]
    net.initialize(init.Normal(0.3))
    x = _x(5, 3)
    w0, b0 = net[0].weight.data().asnumpy(), net[0].bias.data().asnumpy()
    w2, b2 = net[2].weight.data().asnumpy(), net[2].bias.data().asnumpy()
    want = onp.maximum(x @ w0.T + b0, 0) @ w2.T + b2
    onp.testing.assert_allclose(net(np.array(x)).asnumpy(), want, rtol=1e-5, atol=1e-6)
    hnet = nn.HybridSequential()
    hnet.add(nn.Dense(2, in_units=3))
    hnet.hybridize(static_alloc=True)
    hnet.initialize()
    assert hnet(np.ones((1, 3))).shape == (1, 2)
    with pytest.raises(TypeError, match="Blocks"):
        net.add("not a block")
    assert "Dense(3 -> 4, linear)" in repr(net)


class _TwoLayer(gluon.Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.hidden = nn.Dense(4, activation="tanh")
            self.out = nn.Dense(2)
            self.scale = self.params.get("scale", shape=(2,), init=init.Constant(2.0))

    def forward(self, x):
        return self.out(self.hidden(x)) * self.scale.data()


class _Affine(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.a = self.params.get("a", shape=(3,), init=init.One())
            self.b = self.params.get("b", shape=(3,), init=init.Zero())

    def hybrid_forward(self, F, x, a, b):
        return F.np.tanh(x * a + b)


def test_custom_blocks_register_children_and_params():
    m = _TwoLayer()
    m.initialize()
    names = list(m.collect_params().keys())
    assert names == [m.prefix + "scale", m.prefix + "dense0_weight", m.prefix + "dense0_bias",
                     m.prefix + "dense1_weight", m.prefix + "dense1_bias"]
    assert m(np.ones((3, 5))).shape == (3, 2)
    h = _Affine()
    h.initialize()
    h.hybridize()
    x = _x(2, 3)
    onp.testing.assert_allclose(h(np.array(x)).asnumpy(), onp.tanh(x), rtol=1e-6)
    with autograd.record():
        y = h(np.array(x)).sum()
    y.backward()
    onp.testing.assert_allclose(h.a.grad().asnumpy(), (x * (1 - onp.tanh(x) ** 2)).sum(0),
                                rtol=1e-5)


def test_forward_hooks():
    d = nn.Dense(2, in_units=2)
    d.initialize()
    seen = []
    h1 = d.register_forward_pre_hook(lambda blk, inp: seen.append(("pre", len(inp))))
    h2 = d.register_forward_hook(lambda blk, inp, out: seen.append(("post", out.shape)))
    d(np.ones((1, 2)))
    h1.detach()
    h2.detach()
    d(np.ones((1, 2)))
    assert seen == [("pre", 1), ("post", (1, 2))]


def test_apply_and_summary(capsys):
    net = nn.Sequential()
    net.add(nn.Dense(3, in_units=2), nn.Dense(1, in_units=3))
    net.initialize()
    visited = []
    net.apply(lambda b: visited.append(type(b).__name__))
    assert visited == ["Dense", "Dense", "Sequential"]
    net.summary(np.ones((4, 2)))
    assert "Parameters in forward computation graph: 13" in capsys.readouterr().out


def _make_net():
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dense(3))
    return net


def test_save_load_round_trip(tmp_path):
    seed_all(1)
    net = _make_net()
    net.initialize(init.Xavier())
    x = np.array(_x(4, 5))
    want = net(x).asnumpy()
    f = str(tmp_path / "net.params")
    net.save_parameters(f)
    assert (tmp_path / "net.params").exists()
    # MXNet's .params format, with MXNet 1.9.1's structural names
    assert list(npx.load(f)) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    net2 = _make_net()                          # different prefixes, deferred shapes
    net2.load_parameters(f)
    onp.testing.assert_array_equal(net2(x).asnumpy(), want)
    net3 = _make_net()
    net3.initialize()
    net3(x)
    net3.load_parameters(f, ctx=mx.cpu(0))      # already initialized: set_data
    onp.testing.assert_array_equal(net3(x).asnumpy(), want)
    net4 = _make_net()
    net4.load_parameters(f, ctx=[mx.cpu(0), mx.cpu(1)])
    onp.testing.assert_array_equal(net4(x.copyto(mx.cpu(1))).asnumpy(), want)


def test_load_errors_and_options(tmp_path):
    net = _make_net()
    net.initialize()
    net(np.ones((1, 5)))
    f = str(tmp_path / "a.params")
    net.save_parameters(f)
    bigger = nn.HybridSequential()
    bigger.add(nn.Dense(8, activation="relu"), nn.Dense(3), nn.Dense(2))
    with pytest.raises(ValueError, match="missing"):
        bigger.load_parameters(f)
    bigger.load_parameters(f, allow_missing=True)
    smaller = nn.HybridSequential()
    smaller.add(nn.Dense(8, activation="relu"))
    with pytest.raises(ValueError, match="not present"):
        smaller.load_parameters(f)
    smaller.load_parameters(f, ignore_extra=True)
    wrong = nn.HybridSequential()
    wrong.add(nn.Dense(7, activation="relu"), nn.Dense(3))
    wrong.initialize()
    wrong(np.ones((1, 5)))
    with pytest.raises(ValueError, match="shape incompatible"):
        wrong.load_parameters(f)
    with pytest.raises(ValueError, match="dtype incompatible"):
        half = _make_net()
        half.cast("float16")
        half.load_parameters(f)
    (tmp_path / "junk").write_text("not an archive")
    with pytest.raises(ValueError, match="not a parameter file"):
        net.load_parameters(str(tmp_path / "junk"))


def _scoped_net():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(8, activation="relu"), nn.Dense(3))
    return net


def test_parameterdict_save_load_with_prefix(tmp_path):
    net = _scoped_net()
    net.initialize()
    x = np.ones((2, 5))
    want = net(x).asnumpy()
    f = str(tmp_path / "pd.params")
    net.collect_params().save(f, strip_prefix=net.prefix)
    other = _scoped_net()
    other.load_parameters(f)                     # names relative to the prefix
    onp.testing.assert_array_equal(other(x).asnumpy(), want)
    with pytest.raises(ValueError, match="does not start with"):
        _make_net().collect_params().save(f, strip_prefix="nope_")


def test_old_npz_parameter_files_still_load(tmp_path):
    """ndengine wrote .npz archives before it wrote MXNet's format: they still load."""
    net = _make_net()
    net.initialize()
    x = np.ones((2, 5))
    want = net(x).asnumpy()
    f = str(tmp_path / "old.params")
    with open(f, "wb") as fh:
        onp.savez(fh, **{k: v.data().asnumpy()
                         for k, v in net._collect_params_with_prefix().items()})
    other = _make_net()
    other.load_parameters(f)
    onp.testing.assert_array_equal(other(x).asnumpy(), want)


def test_save_parameters_writes_mxnet_format_in_either_mode(tmp_path):
    from ndengine.ndarray import serialization as ser

    net = _make_net()
    net.initialize()
    net(np.ones((1, 5)))
    f = tmp_path / "m.params"
    was_np = npx._np_semantics()
    try:
        npx.reset_np()
        net.save_parameters(str(f))             # legacy mode: mx.nd.save's arrays (V2)
        assert int.from_bytes(f.read_bytes()[24:28], "little") == ser.V2_MAGIC
        npx.set_np()
        net.save_parameters(str(f))             # np mode: npx.save's arrays (V3)
        assert int.from_bytes(f.read_bytes()[24:28], "little") == ser.V3_MAGIC
    finally:
        (npx.set_np if was_np else npx.reset_np)()
    other = _make_net()
    other.load_parameters(str(f))
    assert other[0].weight.shape == (8, 5)


def test_load_parameters_bad_files(tmp_path):
    net = _make_net()
    with pytest.raises(FileNotFoundError, match="no such file"):
        net.load_parameters(str(tmp_path / "missing.params"))
    with pytest.raises(IsADirectoryError, match="is a directory"):
        net.load_parameters(str(tmp_path))
    f = str(tmp_path / "list.params")
    npx.save(f, [np.ones(2)])
    with pytest.raises(ValueError, match="without names"):
        net.load_parameters(f)
    npx.save(f, {"0.weight": np.ones((8, 5))})
    with open(f, "r+b") as fh:
        fh.truncate(60)
    with pytest.raises(ValueError, match="truncated"):
        net.load_parameters(f)
    with pytest.raises(ValueError, match="dtype_source"):
        net.load_parameters(f, cast_dtype=True, dtype_source="file")


def test_load_parameters_missing_is_an_assertion_error_as_in_mxnet(tmp_path):
    net = _make_net()
    net.initialize()
    net(np.ones((1, 5)))
    f = str(tmp_path / "a.params")
    net.save_parameters(f)
    bigger = nn.HybridSequential()
    bigger.add(nn.Dense(8, activation="relu"), nn.Dense(3), nn.Dense(2))
    with pytest.raises(AssertionError, match="missing in file"):
        bigger.load_parameters(f)


def test_cast_dtype_on_load(tmp_path):
    net = _make_net()
    net.initialize()
    net(np.ones((1, 5)))
    f = str(tmp_path / "a.params")
    net.save_parameters(f)
    half = _make_net()
    half.cast("float16")
    half.load_parameters(f, cast_dtype=True)                 # to the block's dtype
    assert half[0].weight.data().dtype == onp.float16
    saved = _make_net()
    saved.cast("float16")
    saved.load_parameters(f, cast_dtype=True, dtype_source="saved")
    assert saved[0].weight.data().dtype == onp.float32
