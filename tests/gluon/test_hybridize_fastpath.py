"""The fast paths of hybridize()'s replay, the multi-tensor update and the gradient
writes: each gives the values the plain path gives (imperative runs, one op per
weight), and is the one engine op it claims to be."""
from __future__ import annotations

import numpy as onp
import pytest

import ndengine as mx
from ndengine import autograd, engine, gluon, np, npx
from ndengine.base import MXNetError
from ndengine.gluon import _trace, nn


class _Counter:
    def __init__(self):
        self.names = []

    def on_push(self, op):
        self.names.append(op.name)


def _pushes(fn):
    c = _Counter()
    engine.HOOKS.subscribe(c)
    try:
        fn()
        npx.waitall()
    finally:
        engine.HOOKS.unsubscribe(c)
    return c.names


def _mlp(seed, hybrid, dtype="float32", bn=False, grad_req="write", ctx=None, **hyb):
    mx.random.seed(seed)
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu", in_units=4))
    if bn:
        net.add(nn.BatchNorm(in_channels=8))
    net.add(nn.Dense(5, activation="tanh", in_units=8), nn.Dense(2, in_units=5))
    net.initialize(mx.init.Xavier(), ctx=ctx)
    if dtype != "float32":
        net.cast(dtype)
    if grad_req != "write":
        for p in net.collect_params().values():
            p.grad_req = grad_req
    if hybrid:
        net.hybridize(**hyb)
    return net


def test_the_program_is_a_flat_list_of_raw_kernels():
    net = _mlp(0, True)
    x = np.ones((3, 4))
    net(x)
    net(x)
    npx.waitall()
    (cop,) = net._cached.values()
    prog = cop.prog
    # the trace's bulk op was unpacked: one callable per traced op (3 Dense layers, a
    # tanh), the products called without the per-kernel BLAS wrapper, under one grant
    assert [getattr(s, "name", None) for s in prog.subops] == \
        ["fully_connected", "fully_connected", "tanh", "fully_connected"]
    assert prog.blas and prog.flops > 0

    def kernel_of(f):
        if hasattr(f, "func"):
            return f.args[0]
        return f.__closure__[f.__code__.co_freevars.index("kernel")].cell_contents

    assert not any(getattr(kernel_of(f), "blas", False) for f in prog.fns)
    assert not any(_trace._bulk_calls(f) for f in prog.fns)


class _FailsOnNegative(nn.HybridBlock):
    def forward(self, x):
        return np.linalg.cholesky(x * 1.0) + 1


def test_a_failing_kernel_of_a_replay_is_named():
    b = _FailsOnNegative()
    b.hybridize()
    good = np.array([[4.0, 0.0], [0.0, 9.0]])
    b(good).asnumpy()
    b(good).asnumpy()
    bad = np.array([[-1.0, 0.0], [0.0, 1.0]])
    y = b(bad)
    with pytest.raises(MXNetError, match="cholesky"):
        y.asnumpy()
    onp.testing.assert_allclose(b(good).asnumpy(), [[3.0, 1.0], [1.0, 4.0]])


def _train(net, x, steps, mode_switch=False, loss=None):
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    loss = loss or gluon.loss.L2Loss()
    out = []
    for i in range(steps):
        if mode_switch:
            with autograd.predict_mode():
                out.append(net(x).asnumpy())
            with autograd.train_mode():
                out.append(net(x).asnumpy())
        with autograd.record():
            y = net(x)
            l = loss(y, np.zeros(y.shape))
        l.backward()
        trainer.step(x.shape[0])
        out.append(y.asnumpy())
        out.append(net(x).asnumpy())
        for p in net.collect_params().values():
            out.append(p.data().asnumpy())
            if p.grad_req != "null":
                out.append(p.grad().asnumpy())
    return out


def _same(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        onp.testing.assert_array_equal(u, v)


def test_train_and_predict_mode_switching(engine_kind):
    x = np.array(onp.random.RandomState(1).randn(6, 4).astype("float32"))
    want = _train(_mlp(3, False, bn=True), x, 3, mode_switch=True)
    for static in (False, True):
        net = _mlp(3, True, bn=True, static_alloc=static)
        _same(want, _train(net, x, 3, mode_switch=True))
        # predict, train (not recorded) and recorded train: three graphs
        assert len(net._cached) == 3


def test_changing_shapes_trace_anew_with_the_same_values():
    net_i, net_h = _mlp(5, False), _mlp(5, True)
    for n in (2, 7, 2, 3, 7):
        x = np.array(onp.random.RandomState(n).randn(n, 4).astype("float32"))
        _same(_train(net_i, x, 1), _train(net_h, x, 1))
    assert len({k[0] for k in net_h._cached}) == 3        # batch 2, 7, 3


def test_grad_req_add_accumulates_as_imperative():
    x = np.array(onp.random.RandomState(2).randn(4, 4).astype("float32"))

    def run(hybrid):
        net = _mlp(9, hybrid, grad_req="add")
        grads = []
        for _ in range(3):
            with autograd.record():
                l = (net(x) ** 2).sum()
            l.backward()
            grads.append([p.grad().asnumpy() for p in net.collect_params().values()])
        net.collect_params().zero_grad()
        with autograd.record():
            l = net(x).sum()
        l.backward()
        grads.append([p.grad().asnumpy() for p in net.collect_params().values()])
        return grads

    a, b = run(False), run(True)
    for ga, gb in zip(a, b):
        for u, v in zip(ga, gb):
            onp.testing.assert_array_equal(u, v)
    assert not onp.array_equal(a[0][0], a[1][0])         # it did accumulate


def test_gradient_writes_are_one_op():
    net = _mlp(0, True)
    x = np.ones((3, 4))
    for _ in range(2):
        with autograd.record():
            l = net(x).sum()
        l.backward()
    npx.waitall()

    def step():
        with autograd.record():
            l = net(x).sum()
        l.backward()
    names = _pushes(step)
    writes = [n for n in names if "_backward_write_grad" in n]
    assert len(writes) == 1 and writes[0].startswith("bulk[6]")
    # op by op, each gradient is written by an op of its own (what reads it, an
    # allreduce, can start while backward goes on)
    net.hybridize(active=False)
    names = _pushes(step)
    assert names.count("_backward_write_grad") == 6


@pytest.mark.parametrize("opt,kw", [("sgd", {}), ("sgd", {"momentum": 0.9, "wd": 0.01}),
                                    ("adam", {}), ("nag", {"momentum": 0.5})])
def test_the_update_of_all_weights_is_one_op_with_the_same_values(opt, kw):
    x = np.array(onp.random.RandomState(4).randn(5, 4).astype("float32"))

    def run(fused):
        net = _mlp(11, True)
        trainer = gluon.Trainer(net.collect_params(), opt, dict(learning_rate=0.05, **kw))
        names = []
        for _ in range(3):
            with autograd.record():
                l = (net(x) ** 2).sum()
            l.backward()
            if fused:
                names.append(_pushes(lambda: trainer.step(5)))
            else:
                # the same updates, one call (so one op) per weight
                trainer._optimizer.rescale_grad = trainer._scale / 5
                trainer._prepare()
                upd = trainer._updaters[0]
                for i, p in enumerate(trainer._params):
                    upd(i, p.grad(), p.data())
        return [p.data().asnumpy() for p in net.collect_params().values()], names

    (a, _), (b, names) = run(False), run(True)
    for u, v in zip(a, b):
        onp.testing.assert_array_equal(u, v)
    for n in names[1:]:                # (the first step also creates the states)
        assert len(n) == 1 and n[0].startswith("bulk[6]")


def test_trainer_with_several_dtypes_and_devices():
    devs = [mx.cpu(0), mx.cpu(1)]
    x = np.array(onp.random.RandomState(6).randn(8, 4).astype("float32"))

    def run(hybrid):
        mx.random.seed(13)
        net = nn.HybridSequential()
        net.add(nn.Dense(6, activation="relu"), nn.Dense(3, dtype="float64"))
        net.initialize(mx.init.Xavier(), ctx=devs)
        if hybrid:
            net.hybridize()
        trainer = gluon.Trainer(net.collect_params(), "sgd",
                                {"learning_rate": 0.1, "momentum": 0.5})
        for _ in range(3):
            with autograd.record():
                ls = []
                for i, d in enumerate(devs):
                    xs = x[4 * i:4 * i + 4].as_in_context(d)
                    ls.append((net(xs) ** 2).sum())
            for l in ls:
                l.backward()
            trainer.step(8)
        return [a.asnumpy() for p in net.collect_params().values() for a in p.list_data()]

    a, b = run(False), run(True)
    assert {v.dtype for v in a} == {onp.dtype("float32"), onp.dtype("float64")}
    _same(a, b)


def test_replay_checks_its_inputs():
    """An input that is also an array the graph reads or writes takes the checked
    push (the hot path's precondition fails); the values stay right."""
    class UsesParam(nn.HybridBlock):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.w = self.params.get("w", shape=(2,), init=mx.init.One())

        def forward(self, x):
            return x * self.w.data()

    b = UsesParam()
    b.initialize()
    b.hybridize()
    x = np.array([2.0, 3.0])
    b(x)
    onp.testing.assert_array_equal(b(x).asnumpy(), [2.0, 3.0])
    w = b.w.data()
    onp.testing.assert_array_equal(b(w).asnumpy(), [1.0, 1.0])    # input == read var
    (cop,) = [c for k, c in b._cached.items()]
    assert id(w._var) in cop.prog.excl_ids
    assert _trace.replay is not None


def test_a_program_mixing_small_and_large_products_keeps_their_own_blas_policy():
    from ndengine.device.blas import BLAS

    if not BLAS.small_flops:
        pytest.skip("the small-kernel rule is off (NDENGINE_BLAS_SMALL_FLOPS=0)")
    net = nn.HybridSequential()
    # the products' flops, 2 * rows * in_units * units: 1.3e8 (above the rule's 2e7
    # default), then 5.2e5 and 8192
    net.add(nn.Dense(512, in_units=512), nn.Dense(2, in_units=512), nn.Dense(8, in_units=2))
    net.initialize()
    net.hybridize()
    x = np.ones((256, 512))
    want = net(x).asnumpy()
    # not bit-equal: the large product's thread count follows the machine's load (the
    # busy-machine rule), and OpenBLAS's float32 sums differ by an ulp between counts
    # (seen in CI: 2.2e-8 absolute, 1.4e-6 relative)
    onp.testing.assert_allclose(net(x).asnumpy(), want, rtol=1e-5, atol=1e-6)
    (cop,) = net._cached.values()
    assert not cop.prog.blas
    assert all(getattr(f.args[0] if hasattr(f, "func") else
                       f.__closure__[f.__code__.co_freevars.index("kernel")].cell_contents,
                       "blas", False) for f in cop.prog.fns)


def test_dense_programs_size_their_blas_grant_by_units_not_in_units():
    # the book's MLP at batch 64: its largest product, 64x512 by 256 units (16.8 Mflop,
    # forward; dW = g^T x backward), is below the small-kernel size, so each program
    # takes one grant; sized by the weight's in_units (33.6 Mflop) the forward mixed
    # sizes and kept a request per product (a thread-count change each call)
    net = nn.HybridSequential()
    net.add(nn.Dense(256, activation="relu", in_units=512),
            nn.Dense(128, activation="relu", in_units=256), nn.Dense(2, in_units=128))
    net.initialize()
    net.hybridize()
    x = np.ones((64, 512))
    for _ in range(2):
        with autograd.record():
            y = net(x)
        y.backward()
    npx.waitall()
    (cop,) = net._cached.values()
    assert cop.prog.blas and cop.prog.flops == 2.0 * 64 * 512 * 256
    ((bwd, _),) = cop.backward.values()
    assert bwd.blas and bwd.flops == 2.0 * 64 * 256 * 512
