"""The legacy mx.nd API against NumPy: the handle design (shared buffer and var, no
copies, np hot paths untouched), MXNet 1.x's rules, the ops of ops_legacy.py and their
gradients, errors at the call.  (What MXNet itself gives is checked by the
differential cases tests/mxnet_diff/cases/cases_nd_*.py.)"""
from __future__ import annotations

import numpy as onp
import pytest

import ndengine
from ndengine import autograd
from ndengine import nd
from ndengine import np as mnp
from ndengine.base import MXNetError
from ndengine.legacy import ndarray as lmod
from ndengine.legacy.tensor import legacy_shape
from ndengine.ndarray.ndarray import NDArray as NPArray


@pytest.fixture
def no_host_copies(monkeypatch):
    """Fail if a legacy array is turned into a NumPy array behind the user's back (an
    np function given a legacy array would copy it through __array__, blocking)."""
    def boom(self, *a, **k):
        raise AssertionError("a legacy NDArray reached NumPy conversion")
    monkeypatch.setattr(lmod.NDArray, "__array__", boom)


# ------------------------------------------------------------------ the handle
def test_lazy_namespace_and_names():
    assert nd.NDArray is lmod.NDArray
    assert ndengine.ndarray.array is nd.array
    assert "array" in dir(ndengine.ndarray) and "zeros" in dir(nd)
    with pytest.raises(AttributeError, match="no attribute 'no_such_fn'"):
        nd.no_such_fn
    # the core's own names stay where they were
    from ndengine.ndarray import OPS, apply_op, from_buffer, invoke  # noqa: F401
    assert nd.random.__name__ == "ndengine.legacy.random"


def test_conversions_share_buffer_and_var():
    a = nd.arange(4)
    b = a.as_np_ndarray()
    assert b.__class__ is NPArray and b._var is a._arr._var
    c = b.as_nd_ndarray()
    assert c._arr is b
    b += 1
    c *= 2
    onp.testing.assert_array_equal(a.asnumpy(), [2, 4, 6, 8])
    assert isinstance(b, nd.NDArray) and type(b) is not nd.NDArray
    assert nd.NDArray(b)._arr is b


def test_ops_never_convert_through_numpy(no_host_copies):
    x = nd.arange(12).reshape((3, 4))
    y = nd.ones((3, 4))
    r = [x + y, x * 2, 1 - x, x / y, x ** 2, x > y, x == 2, -x, abs(x), nd.dot(x, y.T),
         nd.softsign(x), nd.norm(x, ord=1), nd.sum(x, axis=1), x[1], x[1:2], x.T,
         nd.concat(x, y, dim=0), nd.where(x > 2, x, y), nd.FullyConnected(
             x, nd.ones((2, 4)), nd.zeros(2), num_hidden=2), nd.softmax(x), nd.topk(x, k=2),
         nd.random.uniform(x, x + 1), nd.broadcast_add(x, y), nd.relu(x), x.reshape((-1,))]
    x += 1
    x[0] = y[0]
    for v in r:
        v.wait_to_read()


def test_results_are_legacy_arrays():
    x = nd.ones((64, 64))
    y = nd.dot(x, x) + 1
    assert type(y) is nd.NDArray and y.shape == (64, 64)
    onp.testing.assert_allclose(y.asnumpy(), onp.full((64, 64), 65.0))


def test_np_hot_path_untouched():
    """np arrays never go through the legacy layer: their class and dispatch are as
    before (the legacy module adds only as_nd_ndarray / as_np_ndarray)."""
    a = mnp.ones(3)
    assert (a + a).__class__ is NPArray and (a * 2).__class__ is NPArray
    assert a.as_np_ndarray() is a


def test_dtype_is_the_scalar_type_and_repr():
    x = nd.array([1, 2, 3])
    assert x.dtype is onp.float32 and x.astype("int32").dtype is onp.int32
    assert repr(x) == "\n[1. 2. 3.]\n<NDArray 3 @cpu(0)>"
    assert repr(nd.zeros((2, 3), ctx=ndengine.cpu(1))).endswith("<NDArray 2x3 @cpu(1)>")
    assert x.wait_to_read() is None
    assert f"{nd.ones(1) * 2:.2f}" == "2.00"


def test_arithmetic_dtype_rules():
    i = nd.array([3, -3, 5], dtype="int32")
    onp.testing.assert_array_equal((i * 1.5).asnumpy(), [3, -3, 5])
    onp.testing.assert_array_equal((i / 2).asnumpy(), [1, -1, 2])     # C truncation
    assert (i == 3).dtype is onp.int32 and (nd.ones(2) > 0).dtype is onp.float32
    with pytest.raises(MXNetError, match=r"different dtypes.*int32.*float32"):
        i + nd.ones(3)
    with pytest.raises(TypeError, match="not supported"):
        nd.ones(3) + onp.ones(3)
    j = nd.array([5, 7], dtype="int32")
    j /= 2
    j += 1.9
    onp.testing.assert_array_equal(j.asnumpy(), [3, 4])


def test_indexing_gives_no_0d_arrays():
    v = nd.arange(5)
    assert v[2].shape == (1,) and v[-1].asscalar() == 4
    m = nd.arange(12).reshape((3, 4))
    assert m[1, 2].shape == (1,) and m[1, 2].asscalar() == 6
    assert m[nd.array([0, 2])].shape == (2, 4)
    with pytest.raises(IndexError, match="out of bounds for axis 0 with size 5"):
        v[5]


@pytest.mark.parametrize("src, spec, reverse, want", [
    ((2, 3, 4), (0, -1), False, (2, 12)),
    ((2, 3, 4), (-3, -2), False, (6, 4)),
    ((2, 3, 4), (-2,), False, (2, 3, 4)),
    ((2, 3, 4), (-4, 1, 2, -2), False, (1, 2, 3, 4)),
    ((2, 3, 4), (0, -4, -1, 1, 0), False, (2, 3, 1, 4)),
    ((2, 3, 4), (-1, 0), True, (6, 4)),
    ((10, 5, 4), (-1, 0), False, (40, 5)),
    ((10, 5, 4), (-1, 0), True, (50, 4)),
    ((2, 3, 4), (4, 0, -1), False, (4, 3, 2)),
    ((6,), (-4, 2, -1), False, (2, 3)),
])
def test_legacy_shape_codes(src, spec, reverse, want):
    assert legacy_shape(src, spec, reverse) == want


@pytest.mark.parametrize("src, spec, msg", [
    ((6,), (4, 2), "cannot reshape 6 elements"),
    ((6,), (-1, -1), "one and only one"),
    ((6,), (-4, -1, -1), "cannot both be -1"),
    ((6,), (-4, 4, 2), "do not divide"),
    ((6,), (-3,), "merges two"),
    ((6,), (-5,), "invalid dimension"),
])
def test_legacy_shape_errors(src, spec, msg):
    with pytest.raises(MXNetError, match=msg):
        legacy_shape(src, spec)


def test_reductions_shapes_and_exclude():
    x = onp.arange(24, dtype="float32").reshape(2, 3, 4)
    a = nd.array(x)
    onp.testing.assert_allclose(nd.sum(a, axis=1, exclude=True).asnumpy(), x.sum(axis=(0, 2)))
    assert a.sum().shape == (1,) and nd.max(a, axis=(0, 1, 2)).shape == (1,)
    onp.testing.assert_allclose(nd.norm(a, axis=2).asnumpy(), onp.linalg.norm(x, axis=2),
                                rtol=1e-6)
    assert nd.argmax(a, axis=2).dtype is onp.float32


def test_round_and_rint_ops():
    v = onp.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.7, 3.2], dtype="float32")
    x = nd.array(v)
    onp.testing.assert_array_equal(nd.round(x).asnumpy(), onp.sign(v) * onp.floor(abs(v) + .5))
    f = onp.floor(v)
    onp.testing.assert_array_equal(nd.rint(x).asnumpy(), onp.where(v - f <= .5, f, f + 1))
    i = nd.array([1, 2], dtype="int32")
    assert nd.round(i).dtype is onp.int32


def _softmax(z, axis):
    e = onp.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("opts", [{}, {"grad_scale": 2.0}, {"normalization": "batch"},
                                  {"use_ignore": True, "ignore_label": 1.0},
                                  {"normalization": "valid", "use_ignore": True},
                                  {"smooth_alpha": 0.1}])
def test_softmax_output_gradient(opts):
    rng = onp.random.default_rng(0)
    z = rng.standard_normal((4, 3)).astype("float32")
    lab = onp.array([0, 2, 1, 1], dtype="float32")
    x = nd.array(z)
    x.attach_grad()
    with autograd.record():
        y = nd.SoftmaxOutput(x, nd.array(lab), **opts)
    y.backward(nd.ones_like(y) * 7)                 # ignored, as in MXNet
    p = _softmax(z, 1)
    onp.testing.assert_allclose(y.asnumpy(), p, rtol=1e-6)
    oh = onp.eye(3, dtype="float32")[lab.astype(int)]
    a = opts.get("smooth_alpha", 0)
    if a:
        oh = oh * (1 - a) + (1 - oh) * a / 2
    g = (p - oh) * opts.get("grad_scale", 1.0)
    valid = onp.ones(4, bool)
    if opts.get("use_ignore"):
        valid = lab != opts.get("ignore_label", -1.0)
        g = g * valid[:, None]
    if opts.get("normalization") == "batch":
        g = g / 4
    elif opts.get("normalization") == "valid":
        g = g / valid.sum()
    onp.testing.assert_allclose(x.grad.asnumpy(), g, rtol=1e-5, atol=1e-7)


def test_softmax_output_multi_output_and_flatten():
    rng = onp.random.default_rng(1)
    z = rng.standard_normal((2, 3, 4)).astype("float32")
    y = nd.SoftmaxOutput(nd.array(z), nd.zeros((2, 4)), multi_output=True)
    onp.testing.assert_allclose(y.asnumpy(), _softmax(z, 1), rtol=1e-6)
    y = nd.SoftmaxOutput(nd.array(z), nd.zeros((2,)))
    onp.testing.assert_allclose(y.asnumpy(), _softmax(z.reshape(2, 12), 1).reshape(z.shape),
                                rtol=1e-6)


def test_autograd_grad_handle_is_stable():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    assert x.grad is x.grad
    with autograd.record():
        y = nd.sum(x * x)
    y.backward()
    onp.testing.assert_allclose(x.grad.asnumpy(), [2, 4])
    x.grad[:] = 0
    assert x.grad.asnumpy().sum() == 0


def test_errors_name_the_op():
    with pytest.raises(TypeError, match="sqrt: data must be an NDArray"):
        nd.sqrt(4.0)
    with pytest.raises(MXNetError, match=r"elemwise_add: shapes \(2, 3\) and \(3,\) differ"):
        nd.elemwise_add(nd.ones((2, 3)), nd.ones(3))
    with pytest.raises(MXNetError, match="split: axis 1 of shape"):
        nd.split(nd.ones((2, 3)), num_outputs=2)
    with pytest.raises(MXNetError, match="FullyConnected: weight"):
        nd.FullyConnected(nd.ones((2, 3)), nd.ones((4, 3, 1)), nd.ones(4), num_hidden=4)
    with pytest.raises(ValueError, match="Activation: act_type"):
        nd.Activation(nd.ones(2), act_type="swish")
    with pytest.raises(ValueError, match="not a scalar"):
        nd.ones(2).asscalar()


def test_out_argument_writes_into_it():
    o = nd.zeros(3)
    r = nd.exp(nd.zeros(3), out=o)
    assert r is o
    onp.testing.assert_array_equal(o.asnumpy(), [1, 1, 1])
    with pytest.raises(MXNetError, match="out="):
        nd.exp(nd.zeros(2), out=o)


def test_save_load_roundtrip(tmp_path):
    a = nd.arange(6).reshape((2, 3))
    f = tmp_path / "x.params"
    nd.save(str(f), {"a": a, "b": a.astype("int32")})
    d = nd.load(str(f))
    assert type(d["a"]) is nd.NDArray and d["b"].dtype is onp.int32
    onp.testing.assert_array_equal(d["a"].asnumpy(), a.asnumpy())


def test_random_parameters_as_arrays_and_seed():
    nd.random.seed(3)
    a = nd.random.uniform(nd.zeros(2), nd.ones(2) * 10, shape=(5,)).asnumpy()
    nd.random.seed(3)
    b = nd.random.uniform(nd.zeros(2), nd.ones(2) * 10, shape=(5,)).asnumpy()
    assert a.shape == (2, 5) and (a == b).all() and a.max() <= 10
    p = nd.array([[0.0, 1.0], [1.0, 0.0]])
    onp.testing.assert_array_equal(nd.random.multinomial(p, shape=3).asnumpy(),
                                   [[1, 1, 1], [0, 0, 0]])


def test_gluon_block_on_legacy_arrays():
    from ndengine.gluon import nn

    net = nn.Dense(2, in_units=3)
    net.initialize()
    x = nd.ones((4, 3))
    y = net(x)
    assert type(y) is nd.NDArray
    onp.testing.assert_allclose(y.asnumpy(), net(x.as_np_ndarray()).asnumpy())


@pytest.mark.parametrize("fname", ["sum", "mean", "max", "min", "prod", "nansum"])
def test_full_reductions_are_one_op_with_gradients(fname):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "autograd"))
    from ag_helpers import check_grad

    from ndengine.legacy.ndarray import wrap

    x = onp.random.default_rng(0).permutation(12).reshape(3, 4) / 5.0 + 0.5
    fn = getattr(nd, fname)
    r = fn(nd.array(x))
    assert r.shape == (1,) and r.dtype is onp.float32
    onp.testing.assert_allclose(r.asnumpy(), [getattr(onp, fname)(x)], rtol=1e-5)
    check_grad(f"_nd_full_{fname}", lambda a: fn(wrap(a))._arr, [x], rtol=1e-5)
    assert fn(nd.array([1, 2], dtype="int32")).dtype is onp.int32


def test_amp_casts():
    a = nd.ones(2, dtype="float64")
    b = nd.ones(2, dtype="float16")
    i = nd.ones(2, dtype="int32")
    assert nd.amp_cast(a, dtype="float16").dtype is onp.float16
    r = nd.amp_multicast(a, b, i, num_outputs=3)
    assert [x.dtype for x in r] == [onp.float64, onp.float64, onp.int32]
    r = nd.amp_multicast(a, b, num_outputs=2, cast_narrow=True)
    assert [x.dtype for x in r] == [onp.float16, onp.float16]
    with pytest.raises(MXNetError, match="num_outputs=1 but 2"):
        nd.amp_multicast(a, b, num_outputs=1)
    with pytest.raises(ValueError, match="should be 2 Dimensional"):
        nd.cast_storage(a, stype="csr")          # CSR is 2-D (tests/legacy/test_sparse.py)


def test_autograd_functions_take_legacy_arrays():
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
    autograd.backward([y], [nd.ones(3) * 2])
    onp.testing.assert_allclose(x.grad.asnumpy(), [4, 8, 12])
    with autograd.record():
        y = (x ** 3).sum()
    (g,) = autograd.grad(y, [x])
    assert type(g) is nd.NDArray
    onp.testing.assert_allclose(g.asnumpy(), 3 * onp.array([1, 4, 9]))
    with autograd.record():
        y = x * 2
    g = autograd.grad(y, x)
    assert type(g[0]) is nd.NDArray
