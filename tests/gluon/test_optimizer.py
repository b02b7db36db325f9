"""Optimizer steps equal their formulas (MXNet 1.9.1's) over several steps."""
from __future__ import annotations

import math

import numpy as onp
import pytest

from ndengine import autograd, optimizer
from ndengine import numpy as np
from ndengine.base import MXNetError

RNG = onp.random.default_rng(11)
W0 = RNG.standard_normal((3, 4))
GRADS = [RNG.standard_normal((3, 4)) * 3 for _ in range(4)]


def _clip(g, c):
    return onp.clip(g, -c, c) if c else g


def ref_sgd(lr, wd, rescale, clip, momentum):
    w, m = W0.copy(), onp.zeros_like(W0)
    for g in GRADS:
        gr = _clip(rescale * g, clip)
        if momentum:
            m = momentum * m - lr * wd * w - lr * gr
            w = w + m
        else:
            w = (1 - lr * wd) * w - lr * gr
    return w


def ref_adam(lr, wd, rescale, clip, b1=0.9, b2=0.999, eps=1e-8):
    w, m, v = W0.copy(), onp.zeros_like(W0), onp.zeros_like(W0)
    for t, g in enumerate(GRADS, 1):
        gr = _clip(rescale * g + wd * w, clip)
        m = b1 * m + (1 - b1) * gr
        v = b2 * v + (1 - b2) * gr * gr
        w = w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (onp.sqrt(v) + eps)
    return w


def ref_adagrad(lr, wd, rescale, clip, eps=1e-7):
    w, h = W0.copy(), onp.zeros_like(W0)
    for g in GRADS:
        gr = _clip(rescale * g, clip)
        h = h + gr * gr
        w = w - lr * (gr / onp.sqrt(h + eps) + wd * w)
    return w


def ref_rmsprop(lr, wd, rescale, clip, g1=0.9, eps=1e-8):
    w, n = W0.copy(), onp.zeros_like(W0)
    for g in GRADS:
        gr = _clip(rescale * g + wd * w, clip)
        n = (1 - g1) * gr * gr + g1 * n
        w = w - lr * gr / onp.sqrt(n + eps)
    return w


def ref_rmsprop_centered(lr, wd, rescale, clip, g1=0.9, g2=0.9, eps=1e-8, cw=None):
    w, n, s, d = W0.copy(), onp.zeros_like(W0), onp.zeros_like(W0), onp.zeros_like(W0)
    for g in GRADS:
        gr = _clip(rescale * g + wd * w, clip)
        n = (1 - g1) * gr * gr + g1 * n
        s = (1 - g1) * gr + g1 * s
        d = g2 * d - lr * gr / onp.sqrt(n - s * s + eps)
        w = w + d
        if cw:
            w = onp.clip(w, -cw, cw)
    return w


def _run(opt, dtype="float64"):
    w = np.array(W0, dtype=dtype)
    state = opt.create_state(0, w)
    for g in GRADS:
        opt.update(0, w, np.array(g, dtype=dtype), state)
    return w.asnumpy()


HYPER = [dict(lr=0.1, wd=0.0, rescale=1.0, clip=None),
         dict(lr=0.05, wd=0.01, rescale=0.5, clip=None),
         dict(lr=0.1, wd=0.02, rescale=0.25, clip=0.3)]


def _kwargs(h):
    kw = dict(learning_rate=h["lr"], wd=h["wd"], rescale_grad=h["rescale"])
    if h["clip"]:
        kw["clip_gradient"] = h["clip"]
    return kw


@pytest.mark.parametrize("h", HYPER)
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd(h, momentum):
    got = _run(optimizer.SGD(momentum=momentum, **_kwargs(h)))
    onp.testing.assert_allclose(got, ref_sgd(momentum=momentum, **h), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("h", HYPER)
def test_adam(h):
    got = _run(optimizer.create("adam", **_kwargs(h)))
    # hyperparameters are float32 (as MXNet's op fields), the reference float64
    onp.testing.assert_allclose(got, ref_adam(**h), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("h", HYPER)
def test_adagrad(h):
    got = _run(optimizer.create("adagrad", **_kwargs(h)))
    onp.testing.assert_allclose(got, ref_adagrad(**h), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("h", HYPER)
def test_rmsprop(h):
    got = _run(optimizer.create("rmsprop", **_kwargs(h)))
    onp.testing.assert_allclose(got, ref_rmsprop(**h), rtol=1e-6, atol=1e-9)
    got = _run(optimizer.RMSProp(centered=True, clip_weights=1.5, **_kwargs(h)))
    onp.testing.assert_allclose(got, ref_rmsprop_centered(cw=1.5, **h), rtol=1e-6, atol=1e-9)


def test_float32_weights():
    h = HYPER[1]
    got = _run(optimizer.SGD(momentum=0.9, **_kwargs(h)), dtype="float32")
    assert got.dtype == onp.float32
    onp.testing.assert_allclose(got, ref_sgd(momentum=0.9, **h), rtol=1e-5, atol=1e-6)


def test_learning_rate_mults_and_scheduler():
    opt = optimizer.SGD(learning_rate=0.5)
    assert opt.learning_rate == 0.5
    opt.set_learning_rate(0.1)
    assert opt.learning_rate == 0.1
    opt.set_lr_mult({0: 2.0})
    opt.set_wd_mult({0: 0.0})
    assert opt._get_lr(0) == pytest.approx(0.2) and opt._get_wd(0) == 0.0
    sched = optimizer.SGD(lr_scheduler=lambda n: 1.0 / (1 + n))
    w = np.zeros((2,))
    for _ in range(3):
        sched.update(0, w, np.ones((2,)), None)
    # lrs 1/(1+1), 1/(1+2), 1/(1+3)
    onp.testing.assert_allclose(w.asnumpy(), -(1 / 2 + 1 / 3 + 1 / 4), rtol=1e-6)
    with pytest.raises(UserWarning):
        sched.set_learning_rate(0.1)
    named = optimizer.SGD(param_idx2name={0: "fc_weight", 1: "fc_bias"}, wd=0.1)
    assert named._get_wd(0) == 0.1 and named._get_wd(1) == 0.0


def test_registry_and_errors():
    assert isinstance(optimizer.create("SGD"), optimizer.SGD)
    with pytest.raises(ValueError, match="Cannot find optimizer"):
        optimizer.create("nadamax")

    @optimizer.register
    class HalfStep(optimizer.Optimizer):
        def update(self, index, weight, grad, state):
            weight[:] = weight - 0.5 * grad

    w = np.ones((2,))
    optimizer.create("halfstep").update(0, w, np.ones((2,)), None)
    onp.testing.assert_allclose(w.asnumpy(), 0.5)
    sgd = optimizer.SGD()
    with pytest.raises(ValueError, match="shape"):
        sgd.update(0, np.ones((2,)), np.ones((3,)), None)
    w = np.ones((2,))
    w.attach_grad()
    with autograd.record():
        with pytest.raises(MXNetError, match="record"):
            sgd.update(0, w, np.ones((2,)), None)


def test_updater_states_round_trip():
    opt = optimizer.SGD(momentum=0.9, learning_rate=0.1)
    upd = optimizer.get_updater(opt)
    w = np.array(W0)
    upd(0, np.array(GRADS[0]), w)
    blob = upd.get_states(dump_optimizer=True)
    upd2 = optimizer.get_updater(optimizer.SGD())
    upd2.set_states(blob)
    assert upd2.optimizer.momentum == 0.9
    onp.testing.assert_allclose(upd2.states[0].asnumpy(), upd.states[0].asnumpy())


# -- the optimizers beyond sgd/adam/adagrad/rmsprop (values: tests/mxnet_diff
#    cases_optimizer.py, against real MXNet); here what a fixture cannot show
ALL = ["sgd", "ccsgd", "nag", "signum", "lars", "lbsgd", "sgld", "dcasgd", "adam", "adagrad",
       "rmsprop", "adadelta", "adamax", "nadam", "ftrl", "ftml", "lamb", "test"]


@pytest.mark.parametrize("name", ALL)
def test_every_optimizer_updates_through_the_updater(name):
    opt = optimizer.create(name, learning_rate=0.1, **({"momentum": 0.9} if name in
                                                         ("sgd", "nag", "lars") else {}))
    upd = optimizer.get_updater(opt)
    ws = [np.array(W0, dtype="float32"), np.array(W0[0], dtype="float32")]
    for g in GRADS[:2]:
        upd([0, 1], [np.array(g, dtype="float32"), np.array(g[0], dtype="float32")], ws)
    got = ws[0].asnumpy()
    assert got.dtype == onp.float32 and got.shape == W0.shape
    assert onp.isfinite(got).all() and not onp.allclose(got, W0)
    if name != "test":      # MXNet's Test optimizer counts no updates
        assert opt.num_update == 2 and opt._index_update_count == {0: 2, 1: 2}


def test_sgld_noise_has_variance_lr():
    np.random.seed(3)
    opt = optimizer.SGLD(learning_rate=0.04)
    w = np.zeros((20000,), dtype="float32")
    opt.update(0, w, np.zeros((20000,), dtype="float32"), None)
    v = w.asnumpy()
    assert abs(v.mean()) < 0.01 and abs(v.std() - 0.2) < 0.01


def test_update_ops_are_ordered_without_waiting():
    opt = optimizer.create("lamb", learning_rate=0.01)
    w = np.array(W0)
    st = opt.create_state(0, w)
    for g in GRADS:         # pushed back to back; the engine orders them on w's var
        opt.update(0, w, np.array(g), st)
    ref = np.array(W0)
    st2 = optimizer.create("lamb", learning_rate=0.01).create_state(0, ref)
    opt2 = optimizer.create("lamb", learning_rate=0.01)
    for g in GRADS:
        opt2.update(0, ref, np.array(g), st2)
        ref.wait_to_read()
    onp.testing.assert_allclose(w.asnumpy(), ref.asnumpy(), rtol=1e-12)


def test_multi_precision_keeps_a_float32_master():
    opt = optimizer.SGD(learning_rate=0.1, momentum=0.9, multi_precision=True)
    w = np.array(W0, dtype="float16")
    mom, master = opt.create_state_multi_precision(0, w)
    assert master.dtype == onp.float32 and mom.dtype == onp.float32
    opt.update_multi_precision(0, w, np.array(GRADS[0], dtype="float16"), (mom, master))
    assert w.dtype == onp.float16
    onp.testing.assert_allclose(w.asnumpy(), master.asnumpy().astype("float16"))
    with pytest.warns(UserWarning, match="multi_precision"):
        optimizer.SGD(momentum=0.9).create_state_multi_precision(0, w)


def test_group_adagrad_and_errors():
    from ndengine.optimizer import contrib

    opt = contrib.GroupAdaGrad(learning_rate=0.1)
    w = np.array(W0)
    h = opt.create_state(0, w)
    assert h.shape == (3, 1)
    opt.update(0, w, np.array(GRADS[0]), h)
    g = GRADS[0]
    hist = (g * g).mean(axis=1, keepdims=True)
    onp.testing.assert_allclose(w.asnumpy(), W0 - 0.1 * g / onp.sqrt(hist + 1e-5), rtol=1e-6)
    with pytest.raises(AssertionError, match="2-d"):
        opt.create_state(0, np.zeros((3,)))
    with pytest.raises(ValueError, match=r"history has shape \(2, 1\), expected \(3, 1\)"):
        opt.update(0, w, np.array(GRADS[0]), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="shape"):
        optimizer.FTML().update(0, w, np.ones((4, 3)), optimizer.FTML().create_state(0, w))


def test_adadelta_scales_the_gradient_array_itself():
    opt = optimizer.AdaDelta(rescale_grad=0.5)
    w, g = np.array(W0), np.array(GRADS[0])
    opt.update(0, w, g, opt.create_state(0, w))
    onp.testing.assert_allclose(g.asnumpy(), GRADS[0] * 0.5)
