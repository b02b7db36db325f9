"""npx: neural-network ops against NumPy references; devices; waitall; set_np."""
from __future__ import annotations

import numpy as onp
import pytest

import ndengine
from ndengine import np as mnp
from ndengine import npx

from np_oracle import assert_same, data


def softmax_ref(x, axis=-1, t=1.0):
    e = onp.exp((x - x.max(axis=axis, keepdims=True)) / t)
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_relu_sigmoid(dtype):
    x = data((3, 4), dtype)
    assert_same(npx.relu(mnp.array(x)), onp.maximum(x, 0))
    want = 1 / (1 + onp.exp(-x.astype("float64")))
    assert_same(npx.sigmoid(mnp.array(x)), want.astype("float64" if dtype == "float64"
                                                       else "float32"), rtol=1e-5)


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("temperature", [None, 2.0])
def test_softmax_and_log_softmax(axis, temperature):
    x = data((3, 4, 5)) * 10
    t = 1.0 if temperature is None else temperature
    s = npx.softmax(mnp.array(x), axis=axis, temperature=temperature)
    assert_same(s, softmax_ref(x, axis, t), rtol=1e-5, atol=1e-6)
    ls = npx.log_softmax(mnp.array(x), axis=axis, temperature=temperature)
    assert_same(ls, onp.log(softmax_ref(x.astype("float64"), axis, t)).astype("float32"),
                rtol=1e-4, atol=1e-5)


def test_softmax_is_stable_for_large_inputs():
    x = mnp.array([[1000.0, 1001.0, 1002.0]])
    assert onp.isfinite(npx.softmax(x).asnumpy()).all()
    assert onp.isfinite(npx.log_softmax(x).asnumpy()).all()


@pytest.mark.parametrize("depth", [3, 5])
def test_one_hot(depth):
    idx = onp.array([[0, 2], [1, 4]], dtype="int32")
    r = npx.one_hot(mnp.array(idx), depth)
    want = (idx[..., None] == onp.arange(depth)).astype("float32")
    assert_same(r, want)
    r = npx.one_hot(mnp.array(idx), depth, on_value=5, off_value=-1, dtype="int32")
    assert_same(r, onp.where(want > 0, 5, -1).astype("int32"))
    assert_same(npx.one_hot(mnp.array([0.0, 2.0]), 3), onp.eye(3, dtype="float32")[[0, 2]])


@pytest.mark.parametrize("axis,keepdims", [(-1, False), (0, False), (1, True)])
def test_pick(axis, keepdims):
    x = data((3, 4))
    n = x.shape[axis]
    other = 4 if axis == 0 else 3
    idx = onp.arange(other) % n
    got = npx.pick(mnp.array(x), mnp.array(idx.astype("float32")), axis=axis, keepdims=keepdims)
    want = onp.take_along_axis(x, onp.expand_dims(idx, axis), axis=axis)
    assert_same(got, want if keepdims else want.squeeze(axis))


def test_pick_clips_or_wraps_out_of_range_indices():
    x = mnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert npx.pick(x, mnp.array([5, -1])).tolist() == [3.0, 4.0]
    assert npx.pick(x, mnp.array([4, -1]), mode="wrap").tolist() == [2.0, 6.0]


def test_batch_flatten_and_friends():
    x = data((2, 3, 4))
    assert_same(npx.batch_flatten(mnp.array(x)), x.reshape(2, 12))
    assert_same(npx.reshape_like(mnp.array(x), mnp.zeros((4, 6))), x.reshape(4, 6))
    a, b = data((2, 3, 4)), data((2, 4, 5))
    assert_same(npx.batch_dot(mnp.array(a), mnp.array(b)), a @ b, rtol=1e-5)
    assert_same(npx.batch_dot(mnp.array(a), mnp.array(b.transpose(0, 2, 1)), transpose_b=True),
                a @ b, rtol=1e-5)
    assert_same(npx.activation(mnp.array(a), "tanh"), onp.tanh(a), rtol=1e-5)
    assert_same(npx.activation(mnp.array(a), "softrelu"), onp.logaddexp(a, 0), rtol=1e-5)
    assert_same(npx.leaky_relu(mnp.array(a), slope=0.1), onp.where(a > 0, a, 0.1 * a))


def test_dropout_only_when_training_or_always():
    x = mnp.ones((1000,))
    assert npx.dropout(x, 0.5) is x                       # not training: identity
    y = npx.dropout(x, 0.5, mode="always").asnumpy()
    assert set(onp.unique(y)) <= {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6


@pytest.mark.parametrize("call,match", [
    (lambda: npx.softmax(mnp.ones((2, 3)), axis=2), r"softmax: axis 2 is out of bounds.*cpu\(0\)"),
    (lambda: npx.pick(mnp.ones((2, 3)), mnp.ones(3)), r"pick: index shape \(3,\)"),
    (lambda: npx.one_hot(mnp.ones(3), 0), r"one_hot: depth must be a positive int"),
    (lambda: npx.pick(mnp.ones((2, 3)), mnp.ones(2), mode="x"), r"pick: mode"),
])
def test_npx_errors_at_call(call, match):
    with pytest.raises((ndengine.base.MXNetError, ValueError), match=match):
        call()


def test_devices_and_modes():
    assert npx.cpu() is ndengine.cpu(0) and npx.cpu(1) is ndengine.cpu(1)
    assert npx.gpu(0) == ndengine.gpu(0) and str(npx.gpu(1)) == "gpu(1)"
    assert npx.num_gpus() == ndengine.num_gpus() >= 0
    assert npx.current_context() is ndengine.cpu(0)
    with ndengine.cpu(1):
        assert npx.current_context() is ndengine.cpu(1)
        assert mnp.ones(2).ctx is ndengine.cpu(1)
    npx.set_np()
    assert npx.is_np_array() and npx.is_np_shape()
    npx.reset_np()
    npx.set_np(shape=True, array=True)


def test_waitall_finishes_everything_and_raises_pending_errors():
    xs = [mnp.ones((50, 50)) * i for i in range(20)]
    npx.waitall()
    assert all(x._var.last_write is None for x in xs)
    bad = mnp.linalg.inv(mnp.zeros((2, 2)))
    with pytest.raises(ndengine.base.MXNetError, match="inv"):
        npx.waitall()
    npx.waitall()            # raised once; nothing pending now
    del bad


# ----------------------------------------------------------------------------- reshape codes
@pytest.mark.parametrize("shape,codes,reverse,want", [
    ((2, 3, 8), (-2, -2, 2, -1), False, (2, 3, 2, 4)),
    ((8, 3, 3, 3, 4, 4), (-6, 2, -1, -4), False, (2, 4, 3, 3, 3, 4, 4)),
    ((8, 3, 3, 3, 4, 4), (-5, -4), False, (24, 3, 3, 4, 4)),
    ((8, 1, 1, 1, 3), (-2, -3, -3, -3, -2), False, (8, 3)),
    ((8, 3, 3, 3, 3, 8), (-4, -5), True, (8, 3, 3, 3, 24)),
    ((8, 3, 2, 4, 8), (-4, -1, 2, -6), True, (8, 3, 2, 4, 4, 2)),
    ((2, 3, 4), (4, -1), False, (4, 6)),
    ((2, 3, 4), 24, False, (24,)),
    ((2, 0, 3), (-2, -1), False, (2, 0)),
    ((2, 0, 3), (0, 5), False, (0, 5)),
    ((6,), (-6, -1, 3), False, (2, 3)),
])
def test_reshape_special_codes(shape, codes, reverse, want):
    x = data(shape)
    y = npx.reshape(mnp.array(x), codes, reverse=reverse)
    assert y.shape == want
    assert_same(y, x.reshape(want))


@pytest.mark.parametrize("shape,codes,match", [
    ((2, 3), (4, 2), r"cannot reshape array of shape \(2, 3\)"),
    ((2, 3), (-1, -1), "specify one unknown dimension"),
    ((8, 3), (-6, 3, -1, -2), "do not divide original dim 8"),
    ((8, 3), (-3, -2), "-3 may only skip a dimension of size 1"),
    ((2, 3, 4), (0, -1), r"into shape \(0, -1\)"),
    ((2, 3), (-2, -2, -2), "more dimensions than the input"),
    ((2, 3), (-7,), "invalid shape code -7"),
])
def test_reshape_errors_name_the_shapes_and_device(shape, codes, match):
    with pytest.raises(ndengine.base.MXNetError, match=match) as e:
        npx.reshape(mnp.ones(shape), codes)
    assert "cpu(0)" in str(e.value) and isinstance(e.value, ValueError)


def test_reshape_is_a_copy_with_a_gradient():
    d = data((2, 3))
    x = mnp.array(d)
    y = npx.reshape(x, (-1,))
    y += 1
    assert_same(x, d)
    x.attach_grad()
    with ndengine.autograd.record():
        npx.reshape(x, (3, -1)).sum().backward()
    assert_same(x.grad, onp.ones((2, 3), "float32"))


# ----------------------------------------------------------------------------- batch norm
def _bn_data():
    x = data((4, 3, 2)).astype("float64")
    return x, onp.array([1.0, 2.0, 0.5]), onp.array([0.0, 1.0, -1.0])


def test_batch_norm_inference_uses_moving_statistics():
    x, g, b = _bn_data()
    mm, mv = onp.array([0.1, -0.2, 0.3]), onp.array([1.5, 0.5, 2.0])
    y = npx.batch_norm(mnp.array(x), mnp.array(g), mnp.array(b), mnp.array(mm), mnp.array(mv),
                       fix_gamma=False, eps=1e-3)
    s = (1, 3, 1)
    want = (x - mm.reshape(s)) / onp.sqrt(mv.reshape(s) + 1e-3) * g.reshape(s) + b.reshape(s)
    assert_same(y, want, rtol=1e-12)
    fixed = npx.batch_norm(mnp.array(x), mnp.array(g), mnp.array(b), mnp.array(mm),
                           mnp.array(mv))          # fix_gamma=True by default: gamma of 1
    assert_same(fixed, (x - mm.reshape(s)) / onp.sqrt(mv.reshape(s) + 1e-3) + b.reshape(s),
                rtol=1e-12)


def test_batch_norm_training_updates_moving_statistics_in_backward():
    x, g, b = _bn_data()
    mm, mv = mnp.zeros(3, dtype="float64"), mnp.ones(3, dtype="float64")
    xx = mnp.array(x)
    xx.attach_grad()
    with ndengine.autograd.record():
        y, mean, inv = npx.batch_norm(xx, mnp.array(g), mnp.array(b), mm, mv, momentum=0.8,
                                      fix_gamma=False, output_mean_var=True)
    m = x.mean(axis=(0, 2))
    v = x.var(axis=(0, 2))                       # biased, as MXNet
    assert_same(mean, m, rtol=1e-12)
    assert_same(inv, 1 / onp.sqrt(v + 1e-3), rtol=1e-12)
    assert_same(mm, onp.zeros(3))                # not before the backward pass
    y.backward()
    assert_same(mm, 0.2 * m, rtol=1e-12)
    assert_same(mv, 0.8 + 0.2 * v, rtol=1e-12)
    with ndengine.autograd.record():            # use_global_stats: no update
        npx.batch_norm(xx, mnp.array(g), mnp.array(b), mm, mv, use_global_stats=True,
                       fix_gamma=False).backward()
    assert_same(mm, 0.2 * m, rtol=1e-12)


def test_batch_norm_float16_input_and_errors():
    x = mnp.array(data((4, 3)), dtype="float16")
    g = mnp.ones(3)
    y = npx.batch_norm(x, g, mnp.zeros(3), mnp.zeros(3), mnp.ones(3))
    assert y.dtype == onp.float16 and y.shape == (4, 3)
    with pytest.raises(ValueError, match=r"batch_norm: gamma has shape \(3,\), expected \(4,\)"):
        npx.batch_norm(mnp.ones((2, 4)), g, mnp.zeros(3), mnp.zeros(3), mnp.ones(3))
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        npx.batch_norm(mnp.ones((2, 3)), g, g, g, g, axis=2)
    with pytest.raises(TypeError, match="floating-point"):
        npx.batch_norm(mnp.ones((2, 3), dtype="int32"), g, g, g, g)


def test_gluon_batchnorm_and_layernorm_use_the_npx_ops():
    from ndengine.gluon import nn

    bn = nn.BatchNorm(in_channels=3)
    bn.initialize()
    x = mnp.array(data((4, 3)))
    with ndengine.autograd.record():
        y = bn(x)
    assert y._node[0].op.name == "batch_norm"
    ln = nn.LayerNorm(in_channels=3)
    ln.initialize()
    with ndengine.autograd.record():
        z = ln(x)
    assert z._node[0].op.name == "layer_norm"


def test_layer_norm_matches_numpy():
    x = data((3, 4, 5)).astype("float64")
    g, b = onp.linspace(0.5, 1.5, 4), onp.linspace(-1, 1, 4)
    out, mean, std = npx.layer_norm(mnp.array(x), mnp.array(g), mnp.array(b), axis=1,
                                    eps=1e-2, output_mean_var=True)
    m = x.mean(1, keepdims=True)
    s = onp.sqrt(x.var(1, keepdims=True) + 1e-2)
    assert_same(out, (x - m) / s * g.reshape(1, 4, 1) + b.reshape(1, 4, 1), rtol=1e-12)
    assert_same(mean, m, rtol=1e-12)
    assert_same(std, s, rtol=1e-12)


# ----------------------------------------------------------------------------- others
def test_softmax_length_masks():
    x = data((2, 5)).astype("float64")
    length = mnp.array([2, 5], dtype="int32")
    got = npx.softmax(mnp.array(x), length, use_length=True).asnumpy()
    assert_same(mnp.array(got[0, :2]), softmax_ref(x[0, :2]), rtol=1e-12)
    assert (got[0, 2:] == 0).all()
    assert_same(mnp.array(got[1]), softmax_ref(x[1]), rtol=1e-12)
    ls = npx.log_softmax(mnp.array(x), length=length, use_length=True).asnumpy()
    assert_same(mnp.array(ls[0, :2]), onp.log(softmax_ref(x[0, :2])), rtol=1e-12)
    with pytest.raises(ValueError, match="use_length is False"):
        npx.softmax(mnp.array(x), length)
    with pytest.raises(ValueError, match="needs the length"):
        npx.softmax(mnp.array(x), use_length=True)
    with pytest.raises(ValueError, match=r"length has shape \(3,\), expected \(2,\)"):
        npx.softmax(mnp.array(x), mnp.ones(3), use_length=True)


def test_topk_orders_ties_by_index():
    x = onp.array([[1.0, 3.0, 3.0, 2.0, 1.0], [5.0, 5.0, 5.0, 0.0, 5.0]])
    idx = npx.topk(mnp.array(x), k=4, dtype="int64").asnumpy()
    assert idx.tolist() == [[1, 2, 3, 0], [0, 1, 2, 4]]
    up = npx.topk(mnp.array(x), k=3, is_ascend=True, dtype="int64").asnumpy()
    assert up.tolist() == [[0, 4, 3], [3, 0, 1]]
    v, i = npx.topk(mnp.array(x.astype("uint8")), k=2, ret_typ="both")
    assert v.dtype == onp.uint8 and i.dtype == onp.float32
    assert_same(npx.topk(mnp.array(x), k=2, ret_typ="mask"),
                onp.array([[0, 1, 1, 0, 0], [1, 1, 0, 0, 0]], "float64"))
    with pytest.raises(ValueError, match=r"topk: k must be an int in \[0, 5\]"):
        npx.topk(mnp.array(x), k=6)


def test_embedding_clips_and_sums_gradients():
    w = mnp.array(onp.arange(12.0).reshape(4, 3))
    w.attach_grad()
    idx = mnp.array([[1, 9], [-3, 1]], dtype="int64")
    with ndengine.autograd.record():
        y = npx.embedding(idx, w, input_dim=4, output_dim=3)
        y.backward()
    assert_same(y, onp.arange(12.0).reshape(4, 3)[[[1, 3], [0, 1]]])
    assert_same(w.grad, onp.array([[1.0] * 3, [2.0] * 3, [0.0] * 3, [1.0] * 3]))
    with pytest.raises(ValueError, match="input_dim is 5 but the weight has shape"):
        npx.embedding(idx, w, input_dim=5, output_dim=3)


def test_gather_nd_sequence_mask_arange_like_shape_array():
    d = onp.arange(24.0).reshape(2, 3, 4)
    i = onp.array([[1, 0], [2, 1]])
    assert_same(npx.gather_nd(mnp.array(d), mnp.array(i)), d[tuple(i)])
    with pytest.raises(ValueError, match="index 4 axes"):
        npx.gather_nd(mnp.array(d), mnp.zeros((4, 2), dtype="int32"))
    x = onp.ones((3, 2, 2))
    got = npx.sequence_mask(mnp.array(x), mnp.array([1, 3]), use_sequence_length=True,
                            value=-1).asnumpy()
    assert (got[1:, 0] == -1).all() and (got[:, 1] == 1).all() and (got[0] == 1).all()
    with pytest.raises(ValueError, match=r"sequence_length has shape \(3,\), expected \(2,\)"):
        npx.sequence_mask(mnp.array(x), mnp.ones(3), use_sequence_length=True)
    a = npx.arange_like(mnp.ones((2, 3), dtype="int32"), start=1, repeat=2)
    assert a.dtype == onp.int32 and a.asnumpy().tolist() == [[1, 1, 2], [2, 3, 3]]
    s = npx.shape_array(mnp.ones((2, 0, 5)))
    assert s.dtype == onp.int64 and s.asnumpy().tolist() == [2, 0, 5]


def test_special_functions_match_math():
    import math

    x = onp.array([-3.7, -1.5, -0.2, 0.1, 0.7, 1.6, 3.0, 9.5, 30.0])
    assert_same(npx.erf(mnp.array(x)), onp.array([math.erf(v) for v in x]), rtol=1e-13)
    assert_same(npx.gammaln(mnp.array(x)), onp.array([math.lgamma(v) for v in x]),
                rtol=1e-12, atol=1e-13)
    assert_same(npx.gamma(mnp.array(x)), onp.array([math.gamma(v) for v in x]), rtol=1e-12)
    y = onp.array([-0.999, -0.3, 0.0, 0.6, 0.9999])
    back = npx.erf(npx.erfinv(mnp.array(y)))
    assert_same(back, y, rtol=1e-13, atol=1e-15)
    f32 = npx.erf(mnp.array([0.5, 1.0], dtype="float32"))
    assert f32.dtype == onp.float32


def test_nonzero_slice_cast_constraint_check():
    x = onp.array([[3, 0, 0], [0, 4, 0], [5, 6, 0]])
    nz = npx.nonzero(mnp.array(x))
    assert nz.dtype == onp.int64 and nz.asnumpy().tolist() == onp.argwhere(x).tolist()
    d = data((3, 4))
    assert_same(npx.slice(mnp.array(d), (None, 0), (None, 3), (-1, 2)), d[::-1, 0:3:2])
    with pytest.raises(ValueError, match="slicing axis exceeds"):
        npx.slice(mnp.array(d), (0, 0, 0), (1, 1, 1))
    assert_same(npx.cast(mnp.array([0.9, -1.7]), "int32"), onp.array([0, -1], "int32"))
    ok = npx.constraint_check(mnp.array([True, True], dtype="bool"), "fine")
    assert ok.shape == () and bool(ok)
    bad = npx.constraint_check(mnp.array([True, False], dtype="bool"), "scale must be > 0")
    with pytest.raises(ndengine.base.MXNetError, match="scale must be > 0"):
        bad.wait_to_read()
    with pytest.raises(TypeError, match="must be a boolean array"):
        npx.constraint_check(mnp.ones(2), "x")


def test_leaky_relu_family_and_activation_errors():
    x = data((2, 4)).astype("float64")
    assert_same(npx.leaky_relu(mnp.array(x), act_type="elu", slope=0.5),
                onp.where(x > 0, x, 0.5 * onp.expm1(onp.minimum(x, 0))), rtol=1e-12)
    import math

    phi = onp.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.ravel()])
    assert_same(npx.leaky_relu(mnp.array(x), act_type="gelu"), x * phi.reshape(x.shape),
                rtol=1e-12)
    out, slopes = npx.leaky_relu(mnp.array(x), act_type="rrelu")
    assert_same(out, onp.where(x > 0, x, x * (0.125 + 0.334) / 2), rtol=1e-12)
    with ndengine.autograd.train_mode():
        out, slopes = npx.leaky_relu(mnp.array(x), act_type="rrelu")
    s = slopes.asnumpy()
    assert ((0.125 <= s) & (s <= 0.334)).all()
    with pytest.raises(ValueError, match="needs the gamma"):
        npx.leaky_relu(mnp.array(x), act_type="prelu")
    with pytest.raises(ValueError, match=r"prelu gamma has shape \(3,\)"):
        npx.leaky_relu(mnp.array(x), mnp.ones(3), act_type="prelu")
    for bad in (lambda: npx.leaky_relu(mnp.array(x), act_type="swish"),
                lambda: npx.activation(mnp.array(x), act_type="swish")):
        with pytest.raises(ndengine.base.MXNetError, match="invalid act_type 'swish'"):
            bad()


def test_fully_connected_and_batch_dot_errors():
    with pytest.raises(ValueError, match=r"fully_connected: input \(2, 5\) has 5 features"):
        npx.fully_connected(mnp.ones((2, 5)), mnp.ones((4, 6)), mnp.ones(4), num_hidden=4)
    with pytest.raises(ValueError, match="num_hidden is 3"):
        npx.fully_connected(mnp.ones((2, 6)), mnp.ones((4, 6)), num_hidden=3)
    with pytest.raises(ValueError, match=r"batch_dot: shape mismatch.*4 vs. 3"):
        npx.batch_dot(mnp.ones((2, 3, 4)), mnp.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="same batch dimensions"):
        npx.batch_dot(mnp.ones((3, 4)), mnp.ones((4, 3)))


def test_utils_image_context_and_the_mxnet_names():
    assert npx.Context is ndengine.Device
    assert npx.utils.save is npx.save and npx.utils.load is npx.load
    assert "image" in dir(npx)
    ndengine.alias_as_mxnet()
    import importlib

    assert importlib.import_module("mxnet.numpy_extension.utils") is npx.utils
    assert importlib.import_module("mxnet.numpy_extension").image is \
        importlib.import_module("ndengine.image")


def test_op_functions_accept_mxnet_name_argument():
    x = mnp.ones((2, 3))
    g = mnp.ones(3)
    assert npx.relu(x, name="fwd").shape == (2, 3)
    assert npx.leaky_relu(x, act_type="gelu", name="fwd").shape == (2, 3)
    assert npx.batch_norm(x, g, g, g, g, name="fwd").shape == (2, 3)
    assert npx.softmax(x, name="fwd").shape == (2, 3)
