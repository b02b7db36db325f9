"""gluon.nn convolution, pooling, normalization and container layers: deferred input
channels, parameter names and shapes, layouts, reprs, errors, and a LeNet that learns.
(Values against MXNet: tests/mxnet_diff/cases/cases_conv.py.)"""
from __future__ import annotations

import numpy as onp
import pytest

from ndengine import autograd, gluon, init, np, npx
from ndengine.gluon import nn


def _data(*shape, seed=0):
    return np.array(onp.random.default_rng(seed).standard_normal(shape).astype("float32"))


@pytest.mark.parametrize("make, x_shape, w_shape, y_shape", [
    (lambda: nn.Conv1D(4, 3, padding=1), (2, 3, 7), (4, 3, 3), (2, 4, 7)),
    (lambda: nn.Conv2D(6, (3, 2), strides=2, groups=3), (2, 3, 7, 6), (6, 1, 3, 2), (2, 6, 3, 3)),
    (lambda: nn.Conv3D(2, 2, dilation=2), (1, 4, 5, 5, 5), (2, 4, 2, 2, 2), (1, 2, 3, 3, 3)),
    (lambda: nn.Conv2D(5, 3, layout="NHWC"), (2, 6, 6, 3), (5, 3, 3, 3), (2, 4, 4, 5)),
    (lambda: nn.Conv1DTranspose(4, 3, strides=2, output_padding=1), (2, 3, 5), (3, 4, 3),
     (2, 4, 12)),
    (lambda: nn.Conv2DTranspose(4, 2, strides=2, groups=2), (1, 6, 3, 3), (6, 2, 2, 2),
     (1, 4, 6, 6)),
    (lambda: nn.Conv3DTranspose(2, (1, 2, 3), padding=(0, 1, 1)), (1, 3, 2, 3, 3),
     (3, 2, 1, 2, 3), (1, 2, 2, 2, 3)),
])
def test_deferred_input_channels(make, x_shape, w_shape, y_shape):
    layer = make()
    assert any(s <= 0 for s in layer.weight.shape)        # unknown until the first call
    layer.initialize()
    y = layer(_data(*x_shape))
    assert y.shape == y_shape
    assert layer.weight.shape == w_shape
    assert layer.weight.data().shape == w_shape
    assert layer.bias.shape == (y_shape[-1] if "NHWC" in repr(layer._kwargs) else y_shape[1],)


def test_names_shapes_and_repr_follow_mxnet():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(6, 5, padding=2, activation="relu", in_channels=1),
                nn.MaxPool2D(), nn.Conv2D(16, 5, groups=2, use_bias=False, in_channels=6),
                nn.GlobalAvgPool2D())
    params = {k: p.shape for k, p in net.collect_params().items()}
    pre = net.prefix
    assert params == {f"{pre}conv0_weight": (6, 1, 5, 5), f"{pre}conv0_bias": (6,),
                      f"{pre}conv1_weight": (16, 3, 5, 5)}
    assert repr(net[0]) == ("Conv2D(1 -> 6, kernel_size=(5, 5), stride=(1, 1), "
                            "padding=(2, 2), Activation(relu))")
    assert repr(net[2]) == ("Conv2D(3 -> 16, kernel_size=(5, 5), stride=(1, 1), groups=2, "
                            "bias=False)")
    assert repr(net[1]) == ("MaxPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), "
                            "ceil_mode=False, global_pool=False, pool_type=max, layout=NCHW)")
    assert net[1].name == f"{pre}pool0"


def test_layouts_agree():
    x = _data(2, 3, 6, 5)
    first, last = nn.Conv2D(4, 3, padding=1), nn.Conv2D(4, 3, padding=1, layout="NHWC")
    first.initialize()
    last.initialize()
    first(x)
    last(np.moveaxis(x, 1, -1))
    w = _data(4, 3, 3, 3, seed=1)
    first.weight.set_data(w)
    last.weight.set_data(np.moveaxis(w, 1, -1))
    onp.testing.assert_allclose(np.moveaxis(last(np.moveaxis(x, 1, -1)), -1, 1).asnumpy(),
                                first(x).asnumpy(), rtol=1e-5, atol=1e-5)
    p1, p2 = nn.MaxPool2D(3, 2, 1), nn.MaxPool2D(3, 2, 1, layout="NHWC")
    onp.testing.assert_array_equal(np.moveaxis(p2(np.moveaxis(x, 1, -1)), -1, 1).asnumpy(),
                                   p1(x).asnumpy())


def test_pooling_layers_match_npx():
    x = _data(2, 3, 7, 6)
    cases = [(nn.MaxPool2D(3, 2, 1, ceil_mode=True),
              dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention="full")),
             (nn.AvgPool2D(3, 2, 1, count_include_pad=False),
              dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg",
                   count_include_pad=False)),
             (nn.GlobalMaxPool2D(), dict(kernel=(1, 1), global_pool=True))]
    for layer, kw in cases:
        onp.testing.assert_array_equal(layer(x).asnumpy(), npx.pooling(x, **kw).asnumpy())
    assert nn.GlobalAvgPool1D()(_data(2, 3, 5)).shape == (2, 3, 1)
    assert nn.AvgPool3D()(_data(1, 2, 4, 4, 5)).shape == (1, 2, 2, 2, 2)


def test_norm_layers():
    x = _data(2, 4, 3, 5)
    inorm = nn.InstanceNorm()
    inorm.initialize()
    y = inorm(x).asnumpy()
    assert inorm.gamma.shape == (4,) and inorm.gamma.grad_req == "null"   # scale=False
    onp.testing.assert_allclose(y.mean(axis=(2, 3)), 0, atol=1e-5)
    gnorm = nn.GroupNorm(2)
    gnorm.initialize()
    assert gnorm.gamma.shape == (2,)
    yg = gnorm(x).asnumpy().reshape(2, 2, -1)
    onp.testing.assert_allclose(yg.std(axis=2), 1, rtol=1e-3)
    assert nn.LayerNorm(in_channels=4).__repr__() == (
        "LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, in_channels=4)")
    bnr = nn.BatchNormReLU(in_channels=4)
    bnr.initialize()
    with autograd.record():
        assert (bnr(x).asnumpy() >= 0).all()


def test_containers_and_padding():
    cat = nn.HybridConcatenate(axis=1)
    cat.add(nn.Identity(), nn.Conv2D(3, 1), nn.Lambda(lambda v: v * 2))
    cat.initialize()
    x = _data(1, 2, 3, 3)
    y = cat(x)
    assert y.shape == (1, 7, 3, 3)
    onp.testing.assert_array_equal(y.asnumpy()[:, :2], x.asnumpy())
    seq = nn.Concatenate()
    seq.add(nn.Identity(), nn.Identity())
    assert seq(x).shape == (1, 2, 3, 6)
    pad = nn.ReflectionPad2D((0, 0, 0, 0, 1, 0, 0, 2))(x).asnumpy()
    onp.testing.assert_array_equal(pad, onp.pad(x.asnumpy(), ((0, 0), (0, 0), (1, 0), (0, 2)),
                                                mode="reflect"))


@pytest.mark.parametrize("make, match", [
    (lambda: nn.Conv2D(4, 3, layout="NCW"), r"Conv2D: only the 'NCHW' and 'NHWC' layouts"),
    (lambda: nn.Conv2D(4, (3, 3, 3)), r"kernel_size must be a number or a list of 2 ints"),
    (lambda: nn.Conv2D(0, 3), r"channels must be a positive int"),
    (lambda: nn.Conv2D(4, 3, groups=3, in_channels=4), r"in_channels=4 must be divisible"),
    (lambda: nn.MaxPool1D(layout="NCHW"), r"MaxPool1D: only the 'NCW' and 'NWC' layouts"),
    (lambda: nn.ReflectionPad2D((1, 1, 0, 0, 1, 1, 1, 1)), r"first four 0"),
    (lambda: nn.GroupNorm(0), r"num_groups must be a positive int"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs():
    c = nn.Conv2D(4, 3, groups=2)
    c.initialize()
    with pytest.raises(ValueError, match=r"channels \(input \(1, 3, 5, 5\)\) are not "
                                         r"divisible by groups=2"):
        c(_data(1, 3, 5, 5))
    d = nn.Conv2D(4, 3)
    d.initialize()
    with pytest.raises(ValueError, match=r"input \(2, 3, 5\) must have 4 axes"):
        d(_data(2, 3, 5))
    e = nn.Conv2D(4, 3, in_channels=2)
    e.initialize()
    with pytest.raises(Exception, match=r"convolution: weight \(4, 2, 3, 3\) does not fit"):
        e(_data(1, 3, 5, 5))


def _train_lenet(steps):
    """The book's LeNet (ReLU, Adam) on a small fixed random problem."""
    rng = onp.random.default_rng(0)
    np.random.seed(0)
    x = np.array(rng.standard_normal((32, 1, 28, 28)).astype("float32"))
    y = np.array(rng.integers(0, 10, 32))
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, kernel_size=5, padding=2, activation="relu"),
            nn.AvgPool2D(pool_size=2, strides=2),
            nn.Conv2D(16, kernel_size=5, activation="relu"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Dense(120, activation="relu"), nn.Dense(84, activation="relu"), nn.Dense(10))
    net.initialize(init.Xavier())
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
    losses = []
    for _ in range(steps):
        with autograd.record():
            lv = loss(net(x), y)
        lv.backward()
        trainer.step(32)
        losses.append(float(lv.mean().item()))
    return losses, [p.data().asnumpy() for p in net.collect_params().values()]


def test_lenet_learns_alike_under_both_engines():
    """The loss falls, and both engines give the same parameters for a fixed seed."""
    from ndengine import engine

    results = {}
    try:
        for kind in ("threaded", "naive"):
            engine.set_engine(kind)
            results[kind] = _train_lenet(12 if kind == "threaded" else 3)
    finally:
        engine.set_engine("threaded")
    losses = results["threaded"][0]
    assert losses[-1] < 0.75 * losses[0], losses          # chance: 2.30 throughout
    short = _train_lenet(3)[1]                 # the threaded engine again, 3 steps
    # (float32 sums in another order where the BLAS thread counts differ; Adam scales a
    # near-zero gradient's rounding up to a whole step's size)
    for a, b in zip(short, results["naive"][1]):
        onp.testing.assert_allclose(a, b, rtol=1e-4, atol=5e-5)
