"""Initializers: shapes, dtypes and the moments of their distributions."""
from __future__ import annotations

import math

import numpy as onp
import pytest

import ndengine as mx
from ndengine import init
from ndengine import numpy as np
from ndengine.gluon import nn

from gluon_helpers import blocked_input, seed_all


def _fill(initializer, shape, name="x_weight", dtype="float32"):
    arr = np.zeros(shape, dtype=dtype)
    initializer(init.InitDesc(name), arr)
    return arr.asnumpy()


def test_constant_zero_one():
    assert (_fill(init.Zero(), (3, 4)) == 0).all()
    assert (_fill(init.One(), (3, 4)) == 1).all()
    assert (_fill(init.Constant(2.5), (2, 2)) == 2.5).all()
    v = onp.arange(6, dtype=onp.float32).reshape(2, 3)
    onp.testing.assert_array_equal(_fill(init.Constant(v), (2, 3)), v)


@pytest.mark.parametrize("scale", [0.07, 1.0])
def test_uniform_moments(scale):
    seed_all(1)
    x = _fill(init.Uniform(scale), (200, 500))
    assert x.dtype == onp.float32 and x.shape == (200, 500)
    assert x.min() >= -scale and x.max() <= scale
    assert abs(x.mean()) < 0.01 * scale
    assert x.std() == pytest.approx(scale / math.sqrt(3), rel=0.02)


@pytest.mark.parametrize("sigma", [0.01, 2.0])
def test_normal_moments(sigma):
    seed_all(2)
    x = _fill(init.Normal(sigma), (300, 400), dtype="float64")
    assert x.dtype == onp.float64
    assert abs(x.mean()) < 0.01 * sigma
    assert x.std() == pytest.approx(sigma, rel=0.02)


@pytest.mark.parametrize("rnd_type", ["uniform", "gaussian"])
@pytest.mark.parametrize("factor_type,magnitude", [("avg", 3), ("in", 2), ("out", 1)])
def test_xavier_scale(rnd_type, factor_type, magnitude):
    seed_all(3)
    shape = (300, 100, 2)                     # fan_in = 200, fan_out = 600
    x = _fill(init.Xavier(rnd_type, factor_type, magnitude), shape)
    factor = {"avg": 400.0, "in": 200.0, "out": 600.0}[factor_type]
    scale = math.sqrt(magnitude / factor)
    std = scale / math.sqrt(3) if rnd_type == "uniform" else scale
    assert x.std() == pytest.approx(std, rel=0.03)
    if rnd_type == "uniform":
        assert abs(x).max() <= scale


def test_xavier_rejects_vectors():
    with pytest.raises(ValueError, match="at least 2"):
        _fill(init.Xavier(), (5,))


def test_name_dispatch_of_the_global_initializer():
    u = init.Uniform(0.5)
    assert (_fill(u, (3,), name="d_bias") == 0).all()
    assert (_fill(u, (3,), name="bn_gamma") == 1).all()
    assert (_fill(u, (3,), name="bn_beta") == 0).all()
    with pytest.raises(ValueError, match="Unknown initialization pattern"):
        _fill(u, (3,), name="mystery")
    # an explicit __init__ wins over the name
    arr = np.zeros((2,))
    u(init.InitDesc("d_bias", {"__init__": "ones"}), arr)
    assert (arr.asnumpy() == 1).all()


def test_create_and_dumps():
    assert isinstance(init.create("zeros"), init.Zero)
    assert isinstance(init.create("xavier", magnitude=2), init.Xavier)
    n = init.Normal(0.5)
    again = init.create(n.dumps())
    assert isinstance(again, init.Normal) and again.sigma == 0.5 and again == n
    with pytest.raises(AssertionError, match="nope is not registered"):   # as MXNet
        init.create("nope")

    @init.register
    class Halves(init.Initializer):
        def _init_weight(self, _, arr):
            arr[:] = 0.5
    assert (_fill(init.create("halves"), (2, 2)) == 0.5).all()


def test_dense_defaults_match_mxnet():
    """MXNet 1.x: block.initialize() -> weights Uniform(0.07), biases zero."""
    seed_all(4)
    d = nn.Dense(300, in_units=400)
    d.initialize()
    w = d.weight.data().asnumpy()
    assert w.shape == (300, 400) and abs(w).max() <= 0.07
    assert w.std() == pytest.approx(0.07 / math.sqrt(3), rel=0.02)
    assert (d.bias.data().asnumpy() == 0).all()
    # initialize(init) is the default: the bias keeps its own 'zeros' initializer
    d.initialize(init.One(), force_reinit=True)
    assert (d.weight.data().asnumpy() == 1).all()
    assert (d.bias.data().asnumpy() == 0).all()
    d2 = nn.Dense(3, in_units=2, weight_initializer=init.Constant(3.0),
                  bias_initializer=init.Constant(-1.0))
    d2.initialize(init.Normal())
    assert (d2.weight.data().asnumpy() == 3).all()
    assert (d2.bias.data().asnumpy() == -1).all()


def test_same_seed_same_values():
    seed_all(7)
    a = _fill(init.Xavier(), (20, 30))
    seed_all(7)
    b = _fill(init.Xavier(), (20, 30))
    onp.testing.assert_array_equal(a, b)


def test_initialization_is_asynchronous():
    """Filling pushes ops and returns: nothing is computed until a value is read."""
    gate, x = blocked_input((4, 4))
    arr = x * 0
    init.Uniform()(init.InitDesc("w_weight"), arr)
    assert not gate.is_set()
    gate.set()
    assert abs(arr.asnumpy()).max() <= 0.07
    mx.waitall()


def _bilinear_reference(shape):
    """MXNet's element-by-element definition."""
    f = onp.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    w = onp.zeros(int(onp.prod(shape)), dtype="float32")
    for i in range(w.size):
        x, y = i % shape[3], i // shape[3] % shape[2]
        w[i] = (1 - abs(x / f - c)) * (1 - abs(y / f - c))
    return w.reshape(shape)


@pytest.mark.parametrize("shape", [(2, 1, 4, 4), (1, 3, 3, 5), (2, 2, 1, 2)])
def test_bilinear_equals_its_definition(shape):
    onp.testing.assert_array_equal(_fill(init.Bilinear(), shape), _bilinear_reference(shape))
    with pytest.raises(ValueError, match="4-d"):
        _fill(init.Bilinear(), (4, 4))


def test_lstm_bias_and_legacy_name_dispatch():
    got = np.ones((8,))     # as a parameter's own init (a bias name alone gives zeros)
    init.Uniform()(init.InitDesc("lstm_i2h_bias", {"__init__": init.LSTMBias(0.7)}), got)
    onp.testing.assert_allclose(got.asnumpy(), [0, 0, 0.7, 0.7, 0, 0, 0, 0], rtol=1e-6)
    arr = np.zeros((1, 1, 4, 4))
    with pytest.warns(DeprecationWarning):
        init.Uniform()("upsampling0_weight", arr)          # a str, not an InitDesc
    onp.testing.assert_allclose(arr.asnumpy(), _bilinear_reference((1, 1, 4, 4)))
    arr = np.zeros((3,))
    with pytest.warns(DeprecationWarning):
        init.Uniform()("bn_moving_var", arr)
    assert (arr.asnumpy() == 1).all()


def test_load_from_a_saved_file_and_module_names(tmp_path):
    from ndengine import npx

    fname = str(tmp_path / "p.params")
    npx.save(fname, {"arg:fc_weight": np.array([[1.0, 2.0]])})
    ld = init.Load(fname, default_init=init.Zero())
    a, b = np.zeros((1, 2)), np.ones((2,))
    ld(init.InitDesc("fc_weight"), a)
    ld(init.InitDesc("fc_bias"), b)
    onp.testing.assert_array_equal(a.asnumpy(), [[1.0, 2.0]])
    onp.testing.assert_array_equal(b.asnumpy(), [0.0, 0.0])
    assert init.random.__name__ == "ndengine.random" and init.registry.__name__ == \
        "ndengine.registry" and sorted(init.load(fname)) == ["arg:fc_weight"]
