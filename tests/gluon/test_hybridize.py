"""hybridize(): trace once, replay as one engine op.

The differential check throughout: the same model, hybridized and not, from the same
seed, gives identical outputs, gradients, moving statistics and training steps (the
replay runs the very kernels the imperative run pushes, in the same order, drawing
the same random numbers)."""
from __future__ import annotations

import numpy as onp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ndengine as mx
from ndengine import autograd, engine, gluon, np, npx
from ndengine.gluon import nn
from ndengine.gluon.block import TracingError

_ACTS = [None, "relu", "tanh", "sigmoid"]


def _build(layers, seed, hybrid, static_alloc=False):
    mx.random.seed(seed)
    net = nn.HybridSequential()
    for kind, arg in layers:
        if kind == "dense":
            net.add(nn.Dense(arg[0], activation=arg[1]))
        elif kind == "dropout":
            net.add(nn.Dropout(arg))
        elif kind == "bn":
            net.add(nn.BatchNorm())
        elif kind == "act":
            net.add(nn.Activation(arg))
    net.initialize(mx.init.Xavier())
    if hybrid:
        net.hybridize(static_alloc=static_alloc)
    return net


def _run(layers, seed, hybrid, x, steps=3, static_alloc=False):
    """Predict-mode outputs, recorded outputs, gradients and parameters after a few
    SGD steps; everything as NumPy arrays."""
    net = _build(layers, seed, hybrid, static_alloc)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    loss = gluon.loss.L2Loss()
    out = []
    for _ in range(steps):
        out.append(net(x).asnumpy())
        with autograd.record():
            y = net(x)
            l = loss(y, np.zeros(y.shape))
        l.backward()
        trainer.step(x.shape[0])
        out.append(y.asnumpy())
        for p in net.collect_params().values():
            out.append(p.data().asnumpy())
            if p.grad_req != "null":
                out.append(p.grad().asnumpy())
    return out


_LAYER = st.one_of(
    st.tuples(st.just("dense"), st.tuples(st.integers(1, 6), st.sampled_from(_ACTS))),
    st.tuples(st.just("dropout"), st.sampled_from([0.3, 0.5])),
    st.tuples(st.just("bn"), st.none()),
    st.tuples(st.just("act"), st.sampled_from(["relu", "tanh", "softrelu"])))


@settings(max_examples=8, deadline=None)
@given(layers=st.lists(_LAYER, min_size=1, max_size=4), seed=st.integers(0, 100),
       batch=st.integers(2, 4))
def test_hybridized_equals_imperative(layers, seed, batch):
    layers = layers + [("dense", (2, None))]
    x = np.array(onp.random.RandomState(seed).randn(batch, 3).astype("float32"))
    a = _run(layers, seed, False, x)
    b = _run(layers, seed, True, x)
    assert len(a) == len(b)
    for u, v in zip(a, b):
        onp.testing.assert_array_equal(u, v)


def test_both_engines_and_static_alloc(engine_kind):
    layers = [("dense", (5, "relu")), ("dropout", 0.5), ("bn", None), ("dense", (2, None))]
    x = np.array(onp.random.RandomState(3).randn(4, 3).astype("float32"))
    a = _run(layers, 7, False, x)
    for static in (False, True):
        b = _run(layers, 7, True, x, static_alloc=static)
        for u, v in zip(a, b):
            onp.testing.assert_array_equal(u, v)


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
    finally:
        engine.HOOKS.unsubscribe(c)
    return c.names


def test_replay_is_one_engine_op_forward_and_backward():
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dense(8, activation="tanh"), nn.Dense(2))
    net.initialize()
    net.hybridize()
    x = np.ones((3, 4))
    net(x)
    net(x)
    npx.waitall()
    names = _pushes(lambda: net(x))
    assert names == [f"hybridized[{net.name}]"]
    with autograd.record():
        net(x).sum().backward()         # first backward: traces the backward graph
    npx.waitall()

    def step():
        with autograd.record():
            y = net(x).sum()
        y.backward()
    names = _pushes(step)
    assert names.count(f"hybridized[{net.name}]") == 1
    assert names.count(f"hybridized[{net.name}].backward") == 1
    graph_ops = [n for n in names if n.startswith("hybridized")]
    assert len(graph_ops) == 2


def test_dropout_draws_anew_each_call_and_predict_is_identity():
    net = nn.HybridSequential()
    net.add(nn.Dropout(0.5))
    net.hybridize()
    x = np.ones((50, 40))
    with autograd.train_mode():
        masks = [net(x).asnumpy() for _ in range(3)]
    assert not onp.array_equal(masks[1], masks[2])
    for m in masks:
        assert set(onp.unique(m)) <= {0.0, 2.0} and 0.35 < (m == 0).mean() < 0.65
    onp.testing.assert_array_equal(net(x).asnumpy(), onp.ones((50, 40)))


def test_signatures_trace_again_and_are_cached():
    net = nn.HybridSequential()
    net.add(nn.Dense(3))
    net.initialize()
    net.hybridize()
    net(np.ones((2, 4)))           # deferred init runs op by op
    net(np.ones((2, 4)))
    net(np.ones((5, 4)))
    net(np.ones((2, 4), dtype="float64"))
    with autograd.record():
        net(np.ones((2, 4)))
    with autograd.train_mode():
        net(np.ones((2, 4)))
    assert len(net._cached) == 5
    net(np.ones((5, 4)))
    assert len(net._cached) == 5
    x = np.ones((2, 4))
    assert _pushes(lambda: net(x)) == [f"hybridized[{net.name}]"]
    net.hybridize(active=False)
    assert _pushes(lambda: net(x)) == ["fully_connected"]


class _Flagged(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.double = True

    def forward(self, x):
        if self.double:              # traced as the value it had
            return x * 2
        return x + 100


def test_python_control_flow_is_traced_as_its_values():
    b = _Flagged()
    b.hybridize()
    x = np.ones((2,))
    onp.testing.assert_array_equal(b(x).asnumpy(), [2, 2])
    b.double = False
    onp.testing.assert_array_equal(b(x).asnumpy(), [2, 2])          # the trace's branch
    onp.testing.assert_array_equal(b(np.ones((3,))).asnumpy(), [101] * 3)   # new trace
    b.hybridize()                                                     # clears the traces
    onp.testing.assert_array_equal(b(x).asnumpy(), [101, 101])


class _ReadsValue(nn.HybridBlock):
    def __init__(self, how):
        super().__init__()
        self.how = how

    def forward(self, x):
        y = x * 2
        if self.how == "asnumpy":
            v = y.asnumpy()[0]
        elif self.how == "float":
            v = float(y.sum())
        else:
            v = bool((y > 0).all())
        return y + v


@pytest.mark.parametrize("how", ["asnumpy", "float", "bool"])
def test_reading_a_value_while_tracing_names_the_line(how):
    b = _ReadsValue(how)
    b.hybridize()
    with pytest.raises(TracingError, match=r"test_hybridize\.py:\d+: .*(asnumpy|float|bool)"):
        b(np.ones((2,)))
    b.hybridize(active=False)
    assert b(np.ones((2,))).shape == (2,)        # imperative: fine


class _TwoInOut(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        with self.name_scope():
            self.d = nn.Dense(3, in_units=2)

    def hybrid_forward(self, F, x, y, scale=1.0):
        h = self.d(x)
        return [h * scale, (h + y, F.np.tanh(y))]


def test_several_inputs_outputs_and_constants():
    a = _TwoInOut()
    a.initialize()
    b = _TwoInOut()
    b.initialize()
    b.d.weight.set_data(a.d.weight.data())
    b.hybridize()
    x, y = np.ones((4, 2)), np.full((4, 3), 0.5)
    for scale in (1.0, 3.0, 3.0):
        ra, rb = a(x, y, scale), b(x, y, scale)
        assert isinstance(rb, list) and isinstance(rb[1], tuple)
        onp.testing.assert_array_equal(ra[0].asnumpy(), rb[0].asnumpy())
        onp.testing.assert_array_equal(ra[1][0].asnumpy(), rb[1][0].asnumpy())
        onp.testing.assert_array_equal(ra[1][1].asnumpy(), rb[1][1].asnumpy())
    x.attach_grad()
    y.attach_grad()
    with autograd.record():
        out = b(x, y, 2.0)
        total = out[0].sum() + (out[1][0] * out[1][1]).sum()
    total.backward()
    gx, gy = x.grad.asnumpy(), y.grad.asnumpy()
    with autograd.record():
        out = a(x, y, 2.0)
        total = out[0].sum() + (out[1][0] * out[1][1]).sum()
    total.backward()
    onp.testing.assert_allclose(x.grad.asnumpy(), gx, rtol=1e-6)
    onp.testing.assert_allclose(y.grad.asnumpy(), gy, rtol=1e-6)


def test_outputs_of_earlier_calls_keep_their_values():
    net = nn.HybridSequential()
    net.add(nn.Dense(2, in_units=2))
    net.initialize()
    net.hybridize()
    ys = [net(np.full((1, 2), float(i))) for i in range(4)]
    vals = [y.asnumpy() for y in ys]
    for i in range(4):
        onp.testing.assert_array_equal(vals[i], net(np.full((1, 2), float(i))).asnumpy())
    assert len({v.tobytes() for v in vals}) == 4


def test_legacy_arrays_in_and_out():
    npx.reset_np()
    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=2, activation="relu"))
    net.initialize()
    x = mx.nd.ones((2, 2))
    want = net(x).asnumpy()
    net.hybridize()
    for _ in range(2):
        y = net(x)
        assert isinstance(y, mx.nd.NDArray)
        onp.testing.assert_array_equal(y.asnumpy(), want)


def test_cast_and_reinitialize_retrace():
    net = nn.HybridSequential()
    net.add(nn.Dense(2, in_units=2))
    net.initialize()
    net.hybridize()
    x = np.ones((1, 2))
    net(x)
    net.collect_params().initialize(mx.init.One(), force_reinit=True)
    onp.testing.assert_array_equal(net(x).asnumpy(), [[2.0, 2.0]])
    net.cast("float64")
    assert net(np.ones((1, 2), dtype="float64")).dtype == onp.float64


@pytest.mark.parametrize("legacy", [False, True])
def test_a_hybridized_rnn_cell_takes_its_states_as_a_list(legacy):
    """cell(x, [h, c]) hybridized (MXNet 1.x code does this with every cell): the list's
    arrays are graph inputs, the outputs keep their nesting, a call after the trace
    replays the graph, and values and gradients equal the imperative cell's."""
    import ndengine as mx
    from ndengine.gluon import rnn

    def run(hybrid):
        (npx.reset_np if legacy else npx.set_np)()
        cell = rnn.HybridSequentialRNNCell()
        cell.add(rnn.LSTMCell(4, input_size=3))
        cell.add(rnn.GRUCell(2, input_size=4))
        cell.initialize(mx.init.Xavier(rnd_type="uniform", magnitude=1.0))
        for p in cell.collect_params().values():       # the same values both ways
            d = p.data()
            p.set_data((mx.nd if legacy else np).array(
                onp.linspace(-0.5, 0.5, d.size).reshape(d.shape)))
        if hybrid:
            cell.hybridize()
        arr = mx.nd.array if legacy else np.array
        x = arr(onp.linspace(-1, 1, 6).reshape(2, 3))
        states = cell.begin_state(batch_size=2)
        outs = []
        for _ in range(3):
            out, states = cell(x, states)
            assert isinstance(states, list) and len(states) == 3
            outs.append(out.asnumpy())
        x.attach_grad()
        with autograd.record():
            out, st = cell(x, states)
            loss = (out * out).sum() + (st[0] * st[1]).sum()
        loss.backward()
        outs += [x.grad.asnumpy()] + [p.grad().asnumpy()
                                      for p in cell.collect_params().values()]
        if hybrid:                          # (the container steps its hybridized cells)
            assert [len(c._cached) for c in cell._children.values()] == [2, 2]
        npx.set_np()
        return outs

    for u, v in zip(run(False), run(True)):
        onp.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)
