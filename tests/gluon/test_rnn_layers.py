"""npx.rnn, npx.sequence_last / sequence_reverse and gluon.rnn (layers and cells).

Oracles: a direct NumPy implementation of one LSTM / GRU / vanilla step (the formulas of
MXNet's documentation, gates in its order), naive loops for the sequence ops, finite
differences in float64 for every gradient, and the cells unrolled for the fused layers.
"""
from __future__ import annotations

import numpy as onp
import pytest

from ndengine import autograd, npx
from ndengine import numpy as np
from ndengine.gluon import rnn

_G = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _sig(z):
    return 1 / (1 + onp.exp(-z))


def ref_step(mode, x, h, c, wx, wh, bx, bh):
    """One step of MXNet's recurrent cells in NumPy: (h, c)."""
    H = h.shape[1]
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
