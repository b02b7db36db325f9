"""npx.rnn, npx.sequence_last / sequence_reverse and gluon.rnn (layers and cells).

Oracles: a direct NumPy implementation of one LSTM / GRU / vanilla step (the formulas of
MXNet's documentation, gates in its order), naive loops for the sequence ops, finite
differences in float64 for every gradient, and the cells unrolled for the fused layers.
"""
from __future__ import annotations

import numpy as onp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ndengine import autograd, npx
from ndengine import numpy as np
from ndengine.gluon import rnn

_G = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _sig(z):
    return 1 / (1 + onp.exp(-z))


def ref_step(mode, x, h, c, wx, wh, bx, bh):
    """One step of MXNet's recurrent cells in NumPy: (h, c)."""
    H = wx.shape[0] // _G[mode]
    a, b = x @ wx.T + bx, h @ wh.T + bh
    if mode == "lstm":
        z = a + b
        i, f, g, o = (_sig(z[:, :H]), _sig(z[:, H:2 * H]), onp.tanh(z[:, 2 * H:3 * H]),
                      _sig(z[:, 3 * H:]))
        c = f * c + i * g
        return o * onp.tanh(c), c
    if mode == "gru":
        r = _sig(a[:, :H] + b[:, :H])
        u = _sig(a[:, H:2 * H] + b[:, H:2 * H])
        n = onp.tanh(a[:, 2 * H:] + r * b[:, 2 * H:])
        return (1 - u) * n + u * h, c
    z = a + b
    return (onp.tanh(z) if mode == "rnn_tanh" else onp.maximum(z, 0)), c


def ref_rnn(mode, x, weights, h0, c0, L, D, lengths=None):
    """The fused layer in NumPy from ref_step: (out, h, c); weights[k] = (wx, wh, bx, bh)."""
    T, N, _ = x.shape
    lengths = onp.full(N, T) if lengths is None else onp.asarray(lengths)
    seq, hs, cs = x, [], []
    for layer in range(L):
        outs = []
        for d in range(D):
            k = layer * D + d
            out = onp.zeros((T, N, h0.shape[2]))
            hf, cf = h0[k].copy(), (c0[k].copy() if c0 is not None else None)
            for b in range(N):
                h, c = h0[k][b:b + 1], (c0[k][b:b + 1] if c0 is not None else None)
                steps = range(lengths[b] - 1, -1, -1) if d else range(lengths[b])
                for t in steps:
                    h, c = ref_step(mode, seq[t, b:b + 1], h, c, *weights[k])
                    out[t, b] = h[0]
                hf[b] = h[0]
                if c is not None:
                    cf[b] = c[0]
            outs.append(out)
            hs.append(hf)
            cs.append(cf)
        seq = onp.concatenate(outs, axis=2)
    return seq, onp.stack(hs), (onp.stack(cs) if c0 is not None else None)


def _weights(rng, mode, L, D, I, H):
    G = _G[mode]
    ws = []
    for layer in range(L):
        i = I if layer == 0 else H * D
        for _ in range(D):
            ws.append((rng.uniform(-.5, .5, (G * H, i)), rng.uniform(-.5, .5, (G * H, H)),
                       rng.uniform(-.5, .5, G * H), rng.uniform(-.5, .5, G * H)))
    return ws


def _flat(ws):
    return onp.concatenate([a.ravel() for w in ws for a in w[:2]] +
                           [a for w in ws for a in w[2:]])


# ----------------------------------------------------------------------------- npx.rnn
@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("L,bi", [(1, False), (2, True)])
def test_rnn_matches_numpy_reference(mode, L, bi):
    rng = onp.random.default_rng(0)
    D, T, N, I, H = 2 if bi else 1, 4, 3, 2, 3
    ws = _weights(rng, mode, L, D, I, H)
    x = rng.normal(size=(T, N, I))
    h0 = rng.normal(size=(L * D, N, H))
    c0 = rng.normal(size=(L * D, N, H)) if mode == "lstm" else None
    want = ref_rnn(mode, x, ws, h0, c0, L, D)
    args = [np.array(x), np.array(_flat(ws)), np.array(h0)] + \
        ([np.array(c0)] if c0 is not None else [])
    got = npx.rnn(*args, state_size=H, num_layers=L, bidirectional=bi, mode=mode,
                  state_outputs=True)
    assert len(got) == (3 if mode == "lstm" else 2)
    for g, w in zip(got, want):
        assert g.dtype == onp.float64
        onp.testing.assert_allclose(g.asnumpy(), w, rtol=1e-10, atol=1e-12)
    only = npx.rnn(*args, state_size=H, num_layers=L, bidirectional=bi, mode=mode)
    onp.testing.assert_allclose(only.asnumpy(), want[0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_rnn_sequence_length_stops_each_sequence(mode):
    rng = onp.random.default_rng(1)
    T, N, I, H, L, D = 4, 3, 2, 3, 2, 2
    ws = _weights(rng, mode, L, D, I, H)
    x = rng.normal(size=(T, N, I))
    h0 = rng.normal(size=(L * D, N, H))
    c0 = rng.normal(size=(L * D, N, H)) if mode == "lstm" else None
    lengths = [2, 4, 1]
    want = ref_rnn(mode, x, ws, h0, c0, L, D, lengths)
    states = [np.array(h0)] + ([np.array(c0)] if c0 is not None else [])
    # MXNet's gluon passes the lengths after the states (for GRU: where state_cell is)
    got = npx.rnn(np.array(x), np.array(_flat(ws)), *states, np.array(lengths, "float32"),
                  state_size=H, num_layers=L, bidirectional=True, mode=mode,
                  state_outputs=True, use_sequence_length=True)
    for g, w in zip(got, want):
        onp.testing.assert_allclose(g.asnumpy(), w, rtol=1e-10, atol=1e-12)


@settings(max_examples=12, deadline=None)
@given(mode=st.sampled_from(sorted(_G)), T=st.integers(1, 4), N=st.integers(1, 3),
       I=st.integers(1, 3), H=st.integers(1, 3), L=st.integers(1, 2), bi=st.booleans(),
       use_len=st.booleans(), seed=st.integers(0, 2**16))
def test_rnn_random_shapes_match_the_reference(mode, T, N, I, H, L, bi, use_len, seed):
    rng = onp.random.default_rng(seed)
    D = 2 if bi else 1
    ws = _weights(rng, mode, L, D, I, H)
    x = rng.normal(size=(T, N, I))
    h0 = rng.normal(size=(L * D, N, H))
    c0 = rng.normal(size=(L * D, N, H)) if mode == "lstm" else None
    lengths = rng.integers(1, T + 1, size=N) if use_len else None
    want = ref_rnn(mode, x, ws, h0, c0, L, D, lengths)
    args = [np.array(x), np.array(_flat(ws)), np.array(h0)] + \
        ([np.array(c0)] if c0 is not None else [])
    if use_len:
        args.append(np.array(lengths))
    got = npx.rnn(*args, state_size=H, num_layers=L, bidirectional=bi, mode=mode,
                  state_outputs=True, use_sequence_length=use_len)
    for g, w in zip(got, want):
        onp.testing.assert_allclose(g.asnumpy(), w, rtol=1e-9, atol=1e-11)


def _fd_check(f, arrays, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Gradients of sum(f(*arrays) * weights) against central differences."""
    xs = [np.array(a) for a in arrays]
    for a in xs:
        a.attach_grad()
    with autograd.record():
        out = f(*xs)
        outs = out if isinstance(out, list) else [out]
        rng = onp.random.default_rng(7)
        ws = [rng.normal(size=o.shape) for o in outs]
        loss = sum((o * np.array(w)).sum() for o, w in zip(outs, ws))
    loss.backward()

    def value(vals):
        o = f(*[np.array(v) for v in vals])
        o = o if isinstance(o, list) else [o]
        return sum(float((a.asnumpy() * w).sum()) for a, w in zip(o, ws))

    for k, a in enumerate(arrays):
        num = onp.zeros_like(a)
        for idx in onp.ndindex(a.shape):
            vals = [v.copy() for v in arrays]
            vals[k][idx] += eps
            up = value(vals)
            vals[k][idx] -= 2 * eps
            num[idx] = (up - value(vals)) / (2 * eps)
        onp.testing.assert_allclose(xs[k].grad.asnumpy(), num, rtol=rtol, atol=atol,
                                    err_msg=f"argument {k}")


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
def test_rnn_gradients_match_finite_differences(mode):
    rng = onp.random.default_rng(2)
    T, N, I, H = 3, 2, 2, 2
    D = 2
    ws = _weights(rng, mode, 1, D, I, H)
    arrays = [rng.normal(size=(T, N, I)), _flat(ws), rng.normal(size=(D, N, H))]
    if mode == "lstm":
        arrays.append(rng.normal(size=(D, N, H)))

    def f(*a):
        return npx.rnn(*a, state_size=H, num_layers=1, bidirectional=True, mode=mode,
                       state_outputs=True)
    _fd_check(f, arrays)


def test_rnn_gradients_with_sequence_length_and_state_clip():
    rng = onp.random.default_rng(3)
    T, N, I, H = 3, 3, 2, 2
    ws = _weights(rng, "lstm", 1, 2, I, H)
    arrays = [rng.normal(size=(T, N, I)), _flat(ws), rng.normal(size=(2, N, H)),
              rng.normal(size=(2, N, H))]
    lengths = np.array([3, 1, 2])

    def f(x, w, h, c):
        return npx.rnn(x, w, h, c, lengths, state_size=H, num_layers=1, bidirectional=True,
                       mode="lstm", state_outputs=True, use_sequence_length=True,
                       lstm_state_clip_min=-0.4, lstm_state_clip_max=0.5)
    _fd_check(f, arrays)


def test_rnn_errors_name_the_op_and_shapes():
    x, h = np.ones((3, 2, 4)), np.ones((1, 2, 5))
    with pytest.raises(ValueError, match=r"rnn: parameters has shape \(10,\).*needs \(165,\)"):
        npx.rnn(x, np.ones(10), h, state_size=5, num_layers=1, mode="gru")
    with pytest.raises(ValueError, match=r"state has shape \(1, 3, 5\)"):
        npx.rnn(x, np.ones(165), np.ones((1, 3, 5)), state_size=5, num_layers=1, mode="gru")
    with pytest.raises(ValueError, match="mode must be one of"):
        npx.rnn(x, np.ones(165), h, state_size=5, num_layers=1, mode="elman")
    with pytest.raises(ValueError, match="needs state_cell"):
        npx.rnn(x, np.ones(220), h, state_size=5, num_layers=1, mode="lstm")
    with pytest.raises(ValueError, match="state_size is required"):
        npx.rnn(x, np.ones(165), h, num_layers=1, mode="gru")


# ----------------------------------------------------------------------------- sequence ops
def test_sequence_last_and_reverse_against_loops():
    rng = onp.random.default_rng(4)
    x = rng.normal(size=(5, 3, 2))
    n = onp.array([2, 5, 1])
    last = npx.sequence_last(np.array(x), np.array(n), use_sequence_length=True)
    onp.testing.assert_array_equal(last.asnumpy(), onp.stack([x[n[b] - 1, b] for b in range(3)]))
    onp.testing.assert_array_equal(npx.sequence_last(np.array(x)).asnumpy(), x[-1])
    xt = onp.swapaxes(x, 0, 1).copy()
    last1 = npx.sequence_last(np.array(xt), np.array(n), use_sequence_length=True, axis=1)
    onp.testing.assert_array_equal(last1.asnumpy(), last.asnumpy())
    rev = npx.sequence_reverse(np.array(x), np.array(n), use_sequence_length=True).asnumpy()
    want = x.copy()
    for b in range(3):
        want[:n[b], b] = x[:n[b], b][::-1]
    onp.testing.assert_array_equal(rev, want)
    onp.testing.assert_array_equal(npx.sequence_reverse(np.array(x)).asnumpy(), x[::-1])
    onp.testing.assert_array_equal(npx.sequence_mask(np.array(x)).asnumpy(), x)


def test_sequence_ops_gradients():
    rng = onp.random.default_rng(5)
    n = np.array([2.0, 4.0, 1.0])
    for axis in (0, 1):
        shape = (4, 3, 2) if axis == 0 else (3, 4, 2)
        _fd_check(lambda a: npx.sequence_last(a, n, use_sequence_length=True, axis=axis),
                  [rng.normal(size=shape)])
    _fd_check(lambda a: npx.sequence_reverse(a, n, use_sequence_length=True),
              [rng.normal(size=(4, 3, 2))])
    _fd_check(lambda a: npx.sequence_last(a), [rng.normal(size=(4, 3))])


def test_sequence_ops_errors():
    x = np.ones((4, 3, 2))
    with pytest.raises(ValueError, match=r"sequence_last: sequence_length has shape \(2,\)"):
        npx.sequence_last(x, np.ones(2), use_sequence_length=True)
    with pytest.raises(ValueError, match="only axis=0"):
        npx.sequence_reverse(x, axis=1)
    with pytest.raises(ValueError, match="needs sequence_length"):
        npx.sequence_reverse(x, use_sequence_length=True)


# ----------------------------------------------------------------------------- gluon layers
def _set(layer, rng, scale=0.5):
    for p in layer.collect_params().values():
        p.set_data(np.array(rng.uniform(-scale, scale, p.shape).astype(p.dtype)))


_LAYERS = {"lstm": lambda h, **k: rnn.LSTM(h, **k), "gru": lambda h, **k: rnn.GRU(h, **k),
           "rnn_tanh": lambda h, **k: rnn.RNN(h, activation="tanh", **k),
           "rnn_relu": lambda h, **k: rnn.RNN(h, **k)}
_CELLS = {"lstm": lambda h, **k: rnn.LSTMCell(h, **k), "gru": lambda h, **k: rnn.GRUCell(h, **k),
          "rnn_tanh": lambda h, **k: rnn.RNNCell(h, activation="tanh", **k),
          "rnn_relu": lambda h, **k: rnn.RNNCell(h, activation="relu", **k)}


def test_layer_parameter_names_and_shapes():
    layer = rnn.LSTM(5, num_layers=2, bidirectional=True)
    p = layer.prefix
    assert p.startswith("lstm") and p.endswith("_")
    shapes = {k[len(p):]: v.shape for k, v in layer.collect_params().items()}
    assert list(shapes)[:4] == ["l0_i2h_weight", "l0_h2h_weight", "l0_i2h_bias", "l0_h2h_bias"]
    assert shapes["l0_i2h_weight"] == (20, -1) and shapes["r0_h2h_weight"] == (20, 5)
    assert shapes["l1_i2h_weight"] == (20, 10) and shapes["r1_i2h_bias"] == (20,)
    assert len(shapes) == 16
    assert repr(layer) == "LSTM(-1 -> 5, TNC, num_layers=2, bidirectional)"
    layer.initialize()
    layer(np.ones((3, 2, 7)))
    assert layer.l0_i2h_weight.shape == (20, 7) and layer.r0_i2h_weight.shape == (20, 7)
    gru = rnn.GRU(4, input_size=3, prefix="enc_")
    assert sorted(gru.collect_params()) == ["enc_l0_h2h_bias", "enc_l0_h2h_weight",
                                            "enc_l0_i2h_bias", "enc_l0_i2h_weight"]
    assert gru.l0_i2h_weight.shape == (12, 3)
    assert list(gru._collect_params_with_prefix()) == [
        "_unfused.0.i2h_weight", "_unfused.0.h2h_weight", "_unfused.0.i2h_bias",
        "_unfused.0.h2h_bias"]


def test_layer_states_begin_state_and_errors():
    layer = rnn.GRU(4, num_layers=2, input_size=3)
    layer.initialize()
    x = np.ones((5, 2, 3))
    out = layer(x)
    assert out.shape == (5, 2, 4)
    states = layer.begin_state(2)
    assert len(states) == 1 and states[0].shape == (2, 2, 4) and states[0].dtype == onp.float32
    out2, new = layer(x, states)
    onp.testing.assert_array_equal(out2.asnumpy(), out.asnumpy())
    assert isinstance(new, list) and new[0].shape == (2, 2, 4)
    out3, _ = layer(x, states[0])          # a single array is accepted for one state
    onp.testing.assert_array_equal(out3.asnumpy(), out.asnumpy())
    with pytest.raises(ValueError, match=r"Invalid recurrent state shape. Expecting "
                                         r"\(2, 2, 4\), got \(1, 2, 4\)"):
        layer(x, [np.zeros((1, 2, 4))])
    lstm = rnn.LSTM(3, layout="NTC", input_size=2)
    lstm.initialize()
    h, c = lstm.begin_state(batch_size=4)
    y, (h1, c1) = lstm(np.ones((4, 6, 2)), [h, c])
    assert y.shape == (4, 6, 3) and h1.shape == c1.shape == (1, 4, 3)
    with pytest.raises(ValueError, match="layout"):
        rnn.LSTM(3, layout="CNT")


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
def test_layer_equals_cells_unrolled(mode):
    rng = onp.random.default_rng(8)
    T, N, I, H = 4, 3, 2, 3
    layer = _LAYERS[mode](H, num_layers=2, bidirectional=True, input_size=I, layout="NTC")
    layer.initialize()
    _set(layer, rng)
    stack = rnn.SequentialRNNCell()
    for layer_i in range(2):
        ni = I if layer_i == 0 else 2 * H
        stack.add(rnn.BidirectionalCell(_CELLS[mode](H, input_size=ni, prefix=f"l{layer_i}_"),
                                        _CELLS[mode](H, input_size=ni, prefix=f"r{layer_i}_")))
    stack.initialize()
    lp = {k[len(layer.prefix):]: v for k, v in layer.collect_params().items()}
    for k, v in stack.collect_params().items():
        v.set_data(lp[k].data())
    x = np.array(rng.normal(size=(N, T, I)).astype("float32"))
    states = layer.begin_state(N)
    states = [np.array(rng.normal(size=s.shape).astype("float32")) for s in states]
    got, got_states = layer(x, states)
    # the cells' states: per layer, l then r; LSTM cells hold (h, c) each
    cell_states = []
    for k in range(4):
        cell_states.append(states[0][k])
        if mode == "lstm":
            cell_states.append(states[1][k])
    want, want_states = stack.unroll(T, x, cell_states, layout="NTC", merge_outputs=True)
    onp.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-5, atol=1e-6)
    n = 2 if mode == "lstm" else 1
    for j in range(n):
        onp.testing.assert_allclose(got_states[j].asnumpy(),
                                    onp.stack([s.asnumpy() for s in want_states[j::n]]),
                                    rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
def test_cell_step_matches_numpy(mode):
    rng = onp.random.default_rng(9)
    N, I, H = 3, 4, 2
    cell = _CELLS[mode](H)
    cell.initialize()
    x = rng.normal(size=(N, I)).astype("float32")
    cell(np.array(x), cell.begin_state(batch_size=N))      # the deferred input size
    _set(cell, rng)
    h, c = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    states = [np.array(h.astype("float32"))] + \
        ([np.array(c.astype("float32"))] if mode == "lstm" else [])
    out, new = cell(np.array(x), states)
    w = [cell.collect_params()[cell.prefix + n].data().asnumpy().astype("float64")
         for n in ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias")]
    wh, wc = ref_step(mode, x.astype("float64"), h, c, *w)
    onp.testing.assert_allclose(out.asnumpy(), wh, rtol=1e-5, atol=1e-6)
    onp.testing.assert_allclose(new[0].asnumpy(), wh, rtol=1e-5, atol=1e-6)
    if mode == "lstm":
        onp.testing.assert_allclose(new[1].asnumpy(), wc, rtol=1e-5, atol=1e-6)


def test_lstm_cell_other_activations_are_composed():
    rng = onp.random.default_rng(10)
    cell = rnn.LSTMCell(2, input_size=3, activation="softsign", recurrent_activation="tanh")
    cell.initialize()
    _set(cell, rng)
    x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    out, (h1, c1) = cell(np.array(x, "float32"), [np.array(h, "float32"),
                                                  np.array(c, "float32")])
    wx, wh, bx, bh = [p.data().asnumpy() for p in cell.collect_params().values()]
    z = x @ wx.T + bx + h @ wh.T + bh
    i, f, g, o = onp.tanh(z[:, :2]), onp.tanh(z[:, 2:4]), z[:, 4:6], onp.tanh(z[:, 6:])
    soft = lambda v: v / (1 + onp.abs(v))  # noqa: E731
    cw = f * c + i * soft(g)
    onp.testing.assert_allclose(c1.asnumpy(), cw, rtol=1e-5, atol=1e-6)
    onp.testing.assert_allclose(out.asnumpy(), o * soft(cw), rtol=1e-5, atol=1e-6)


def test_layer_gradient_matches_finite_differences():
    rng = onp.random.default_rng(11)
    layer = rnn.LSTM(2, num_layers=2, input_size=2, dtype="float64")
    layer.initialize()
    _set(layer, rng)
    x0 = rng.normal(size=(3, 2, 2))
    xs = np.array(x0)
    xs.attach_grad()
    wts = rng.normal(size=(3, 2, 2))
    with autograd.record():
        loss = (layer(xs) * np.array(wts)).sum()
    loss.backward()
    p = layer.l0_h2h_weight
    gp = p.grad().asnumpy().copy()
    gx = xs.grad.asnumpy()

    def value(x, w=None):
        if w is not None:
            p.set_data(np.array(w))
        return float((layer(np.array(x)).asnumpy() * wts).sum())

    w0 = p.data().asnumpy().copy()
    eps = 1e-6
    for idx in [(0, 0), (3, 1), (7, 0)]:
        w = w0.copy()
        w[idx] += eps
        up = value(x0, w)
        w[idx] -= 2 * eps
        num = (up - value(x0, w)) / (2 * eps)
        assert abs(gp[idx] - num) < 1e-6 * max(1, abs(num))
    p.set_data(np.array(w0))
    for idx in [(0, 0, 0), (2, 1, 1)]:
        x = x0.copy()
        x[idx] += eps
        up = value(x)
        x[idx] -= 2 * eps
        num = (up - value(x)) / (2 * eps)
        assert abs(gx[idx] - num) < 1e-6 * max(1, abs(num))


def test_unroll_forms_and_valid_length():
    rng = onp.random.default_rng(12)
    cell = rnn.GRUCell(3, input_size=2)
    cell.initialize()
    _set(cell, rng)
    x = np.array(rng.normal(size=(2, 4, 2)).astype("float32"))   # NTC
    merged, s1 = cell.unroll(4, x, merge_outputs=True)
    assert merged.shape == (2, 4, 3)
    steps, s2 = cell.unroll(4, x, merge_outputs=False)
    assert isinstance(steps, list) and len(steps) == 4 and steps[0].shape == (2, 3)
    default, _ = cell.unroll(4, x)
    assert isinstance(default, list)
    as_list = [x[:, t] for t in range(4)]
    from_list, _ = cell.unroll(4, as_list, merge_outputs=True)
    onp.testing.assert_allclose(from_list.asnumpy(), merged.asnumpy(), rtol=1e-6)
    tnc, _ = cell.unroll(4, np.swapaxes(x, 0, 1), layout="TNC", merge_outputs=True)
    onp.testing.assert_allclose(np.swapaxes(tnc, 0, 1).asnumpy(), merged.asnumpy(), rtol=1e-6)
    onp.testing.assert_allclose(s1[0].asnumpy(), merged[:, -1].asnumpy(), rtol=1e-6)
    vl = np.array([2, 4])
    masked, sv = cell.unroll(4, x, merge_outputs=True, valid_length=vl)
    m = masked.asnumpy()
    onp.testing.assert_allclose(m[0, :2], merged.asnumpy()[0, :2], rtol=1e-6)
    assert (m[0, 2:] == 0).all()
    onp.testing.assert_allclose(sv[0].asnumpy()[0], merged.asnumpy()[0, 1], rtol=1e-6)
    onp.testing.assert_allclose(sv[0].asnumpy()[1], merged.asnumpy()[1, 3], rtol=1e-6)
    with pytest.raises(ValueError, match="length is 3 but the inputs have 4 steps"):
        cell.unroll(3, x)


def test_bidirectional_cell_with_valid_length_matches_the_fused_layer():
    rng = onp.random.default_rng(13)
    layer = rnn.LSTM(3, bidirectional=True, input_size=2, use_sequence_length=True)
    layer.initialize()
    _set(layer, rng)
    bi = rnn.BidirectionalCell(rnn.LSTMCell(3, input_size=2, prefix="l0_"),
                               rnn.LSTMCell(3, input_size=2, prefix="r0_"))
    bi.initialize()
    lp = {k[len(layer.prefix):]: v for k, v in layer.collect_params().items()}
    for k, v in bi.collect_params().items():
        v.set_data(lp[k].data())
    x = np.array(rng.normal(size=(5, 3, 2)).astype("float32"))
    vl = np.array([5, 2, 3], dtype="float32")
    got, (h, c) = layer(x, layer.begin_state(3), sequence_length=vl)
    want, ws = bi.unroll(5, x, layout="TNC", merge_outputs=True, valid_length=vl)
    onp.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-5, atol=1e-6)
    onp.testing.assert_allclose(h.asnumpy(), onp.stack([ws[0].asnumpy(), ws[2].asnumpy()]),
                                rtol=1e-5, atol=1e-6)
    onp.testing.assert_allclose(c.asnumpy(), onp.stack([ws[1].asnumpy(), ws[3].asnumpy()]),
                                rtol=1e-5, atol=1e-6)


def test_modifier_and_dropout_cells():
    np.random.seed(14)          # zoneout's masks: not all-kept / all-dropped by chance
    rng = onp.random.default_rng(14)
    base = rnn.RNNCell(2, input_size=2)
    res = rnn.ResidualCell(base)
    assert res.prefix == base.prefix + "residualcell"
    res.initialize()
    _set(base, rng)
    x = np.array(rng.normal(size=(3, 4, 2)).astype("float32"))
    with pytest.raises(RuntimeError, match="modifier"):
        base.begin_state(batch_size=3)
    out, _ = res.unroll(4, x, merge_outputs=True)
    base._modified = False
    plain, _ = base.unroll(4, x, merge_outputs=True)
    onp.testing.assert_allclose(out.asnumpy(), (plain + x).asnumpy(), rtol=1e-6)
    zone = rnn.ZoneoutCell(rnn.GRUCell(2, input_size=2), 0.5, 0.5)
    zone.initialize()
    # outside training zoneout keeps every new value: the base cell's result
    zo, _ = zone.unroll(4, x, merge_outputs=True)
    zone.base_cell._modified = False
    bo, _ = zone.base_cell.unroll(4, x, merge_outputs=True)
    onp.testing.assert_allclose(zo.asnumpy(), bo.asnumpy(), rtol=1e-6)
    zone.base_cell._modified = True
    with autograd.record():
        zt, _ = zone.unroll(4, x, merge_outputs=False)
    kept = [onp.isclose(a.asnumpy(), b.asnumpy()) for a, b in zip(zt, _split(bo))]
    assert 0 < onp.mean(kept[0]) < 1 or 0 < onp.mean(kept[-1]) < 1
    drop = rnn.DropoutCell(0.5)
    d_out, d_states = drop.unroll(4, x, merge_outputs=True)
    onp.testing.assert_array_equal(d_out.asnumpy(), x.asnumpy())
    assert d_states == []
    with autograd.record():
        d_train, _ = drop.unroll(4, x, merge_outputs=True)
    assert (d_train.asnumpy() == 0).any()
    with pytest.raises(NotImplementedError, match="unroll"):
        rnn.BidirectionalCell(rnn.RNNCell(2), rnn.RNNCell(2))(x[:, 0], [])


def _split(merged):
    return [merged[:, t] for t in range(merged.shape[1])]


def test_layer_dropout_only_in_training_and_parameter_files(tmp_path):
    layer = rnn.GRU(4, num_layers=2, dropout=0.5, input_size=3)
    layer.initialize()
    x = np.ones((5, 2, 3))
    a, b = layer(x).asnumpy(), layer(x).asnumpy()
    onp.testing.assert_array_equal(a, b)
    with autograd.record():
        c = layer(x).asnumpy()
    assert not onp.allclose(a, c)
    f = str(tmp_path / "gru.params")
    layer.save_parameters(f)
    other = rnn.GRU(4, num_layers=2, input_size=3)
    other.load_parameters(f)
    onp.testing.assert_array_equal(other(x).asnumpy(), a)


def test_legacy_arrays_in_and_out():
    from ndengine import ndarray as nd

    cell = rnn.LSTMCell(3, input_size=2)
    cell.initialize()
    x = nd.ones((2, 4, 2))
    out, states = cell.unroll(4, x, merge_outputs=True)
    assert isinstance(out, nd.NDArray) and out.shape == (2, 4, 3)
    assert all(isinstance(s, nd.NDArray) for s in states)
    layer = rnn.LSTM(3, input_size=2)
    layer.initialize()
    y = layer(nd.ones((4, 2, 2)))
    assert isinstance(y, nd.NDArray) and y.shape == (4, 2, 3)


# ----------------------------------------------------------------------------- training
def _train_lstm_lm(steps=40):
    """A two-layer LSTM language model on a periodic synthetic corpus (the next token
    is determined by the current one): (losses, final parameters)."""
    from ndengine import gluon
    from ndengine.gluon import nn

    V, T, N = 8, 6, 4
    corpus = onp.array([(3 * i) % V for i in range(T * N + 1)])
    X = np.array(corpus[:-1].reshape(N, T).T)          # (T, N)
    Y = np.array(corpus[1:].reshape(N, T).T)
    np.random.seed(0)
    emb, lstm, out = nn.Embedding(V, 8), rnn.LSTM(16, num_layers=2), nn.Dense(V, flatten=False)
    for b in (emb, lstm, out):
        b.initialize()
    params = {**emb.collect_params(), **lstm.collect_params(), **out.collect_params()}
    params = {k[k.index("_") + 1:]: v for k, v in params.items()}   # names without counters
    trainer = gluon.Trainer(params, "adam", {"learning_rate": 0.1})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    losses = []
    for _ in range(steps):
        with autograd.record():
            loss = loss_fn(out(lstm(emb(X))), Y).mean()
        loss.backward()
        trainer.step(1)
        losses.append(float(loss))
    return losses, {k: v.data().asnumpy() for k, v in params.items()}


def test_two_layer_lstm_language_model_trains_the_same_under_both_engines():
    from ndengine import engine

    results = {}
    try:
        for kind in ("threaded", "naive"):
            engine.set_engine(kind)
            results[kind] = _train_lstm_lm()
    finally:
        engine.set_engine("threaded")
    losses, params = results["threaded"]
    assert losses[0] > 1.9 and losses[-1] < 0.1, losses
    assert results["naive"][0] == losses
    for k, v in params.items():
        onp.testing.assert_array_equal(results["naive"][1][k], v, err_msg=k)


def test_lstm_state_clip_and_nan():
    x = np.ones((2, 1, 1))
    w = np.ones(4 * 1 + 4 * 1 + 8) * 3          # large gates: c grows past the bounds
    h0, c0 = np.zeros((1, 1, 1)), np.zeros((1, 1, 1))
    _, _, c = npx.rnn(x, w, h0, c0, state_size=1, num_layers=1, mode="lstm",
                      state_outputs=True, lstm_state_clip_min=-0.5, lstm_state_clip_max=0.5)
    assert float(c) == pytest.approx(0.5)
    nan_c0 = np.array(onp.full((1, 1, 1), onp.nan, dtype="float32"))
    _, _, c = npx.rnn(x, w, h0, nan_c0, state_size=1, num_layers=1, mode="lstm",
                      state_outputs=True, lstm_state_clip_min=-0.5, lstm_state_clip_max=0.5,
                      lstm_state_clip_nan=True)
    assert not onp.isnan(c.asnumpy()).any()
    _, _, c = npx.rnn(x, w, h0, nan_c0, state_size=1, num_layers=1, mode="lstm",
                      state_outputs=True, lstm_state_clip_min=-0.5, lstm_state_clip_max=0.5)
    assert onp.isnan(c.asnumpy()).all()


def test_lstm_projection_against_numpy_and_finite_differences():
    rng = onp.random.default_rng(15)
    T, N, I, H, P = 3, 2, 2, 3, 2
    layer = rnn.LSTM(H, num_layers=2, bidirectional=True, projection_size=P, input_size=I,
                     dtype="float64")
    names = [k[len(layer.prefix):] for k in layer.collect_params()]
    assert names[:5] == ["l0_i2h_weight", "l0_h2h_weight", "l0_i2h_bias", "l0_h2h_bias",
                         "l0_h2r_weight"]
    layer.initialize()
    _set(layer, rng)
    shapes = {k[len(layer.prefix):]: v.shape for k, v in layer.collect_params().items()}
    assert shapes["l0_h2h_weight"] == (4 * H, P) and shapes["r1_h2r_weight"] == (P, H)
    assert shapes["l1_i2h_weight"] == (4 * H, 2 * P)
    h0, c0 = layer.begin_state(N)
    assert h0.shape == (4, N, P) and c0.shape == (4, N, H)
    x = rng.normal(size=(T, N, I))
    h0 = rng.normal(size=(4, N, P))
    c0 = rng.normal(size=(4, N, H))
    out, (h, c) = layer(np.array(x), [np.array(h0), np.array(c0)])
    p = {k[len(layer.prefix):]: v.data().asnumpy() for k, v in layer.collect_params().items()}

    # NumPy: the LSTM step, then the projection; layer by layer, both directions
    seq, hs, cs = x, [], []
    for li in range(2):
        outs = []
        for di, d in enumerate("lr"):
            k = 2 * li + di
            wx, wh, bx, bh, wr = (p[f"{d}{li}_{n}"] for n in ("i2h_weight", "h2h_weight",
                                                              "i2h_bias", "h2h_bias",
                                                              "h2r_weight"))
            hh, cc = h0[k], c0[k]
            o = onp.zeros((T, N, P))
            for t in (range(T - 1, -1, -1) if di else range(T)):
                raw, cc = ref_step("lstm", seq[t], hh, cc, wx, wh, bx, bh)
                hh = raw @ wr.T
                o[t] = hh
            outs.append(o)
            hs.append(hh)
            cs.append(cc)
        seq = onp.concatenate(outs, axis=2)
    onp.testing.assert_allclose(out.asnumpy(), seq, rtol=1e-10, atol=1e-12)
    onp.testing.assert_allclose(h.asnumpy(), onp.stack(hs), rtol=1e-10, atol=1e-12)
    onp.testing.assert_allclose(c.asnumpy(), onp.stack(cs), rtol=1e-10, atol=1e-12)

    ws = _weights(rng, "lstm", 1, 2, I, H)
    wr = [rng.uniform(-.5, .5, (P, H)) for _ in range(2)]
    flat = onp.concatenate([a.ravel() for k in range(2) for a in
                            (ws[k][0], ws[k][1][:, :P], wr[k])] +
                           [a for w in ws for a in w[2:]])
    arrays = [x, flat, rng.normal(size=(2, N, P)), rng.normal(size=(2, N, H))]

    def f(*a):
        return npx.rnn(*a, np.array([3, 1]), state_size=H, num_layers=1, bidirectional=True,
                       mode="lstm", projection_size=P, state_outputs=True,
                       use_sequence_length=True)
    _fd_check(f, arrays)
