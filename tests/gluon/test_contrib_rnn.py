"""gluon.contrib.rnn (convolutional RNN / LSTM / GRU cells, LSTMPCell,
VariationalDropoutCell, dynamic_unroll) and gluon.contrib.nn's SparseEmbedding and
SyncBatchNorm.

Oracles: one step computed in NumPy (a direct loop convolution with padding and
dilation, the gate formulas of MXNet 1.9.1's documentation, gates in its order), unroll
against the cell stepped by hand, finite differences in float64 for the gradients, and
nn.Embedding(sparse_grad=True) / nn.BatchNorm for the contrib.nn layers.  Values against
real MXNet 1.9.1 are in tests/mxnet_diff/cases/cases_contrib_rnn.py.
"""
from __future__ import annotations

import itertools

import numpy as onp
import pytest

import ndengine as mx
from ndengine import autograd, npx
from ndengine import numpy as np
from ndengine.gluon import nn, rnn
from ndengine.gluon.contrib import nn as cnn
from ndengine.gluon.contrib import rnn as crnn
from ndengine.gluon.contrib.rnn.rnn_cell import dynamic_unroll


def _sig(z):
    return 1 / (1 + onp.exp(-z))


def ref_conv(x, w, b, pad, dilate):
    """Cross-correlation of x (N, C, *sp) with w (F, C, *k), stride 1: a direct loop."""
    d = x.ndim - 2
    x = onp.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    k = w.shape[2:]
    out_sp = [x.shape[2 + i] - dilate[i] * (k[i] - 1) for i in range(d)]
    out = onp.zeros((x.shape[0], w.shape[0]) + tuple(out_sp))
    for pos in itertools.product(*[range(s) for s in out_sp]):
        for kk in itertools.product(*[range(s) for s in k]):
            idx = tuple(p + dilate[i] * kk[i] for i, p in enumerate(pos))
            patch = x[(slice(None), slice(None)) + idx]               # (N, C)
            out[(slice(None), slice(None)) + pos] += patch @ w[(slice(None), slice(None))
                                                               + kk].T
    return out + b.reshape((1, -1) + (1,) * d)


def _act(name, z):
    return {"tanh": onp.tanh, "relu": lambda v: onp.maximum(v, 0),
            "softsign": lambda v: v / (1 + onp.abs(v)), "sigmoid": _sig}[name](z)


def ref_conv_step(kind, x, states, p, cfg):
    """One step of a channels-first conv cell in NumPy: (output, states)."""
    d = x.ndim - 2
    hk = cfg["h2h_kernel"]
    hpad = [cfg["h2h_dilate"][i] * (hk[i] - 1) // 2 for i in range(d)]
    a = ref_conv(x, p["i2h_weight"], p["i2h_bias"], cfg["i2h_pad"], cfg["i2h_dilate"])
    b = ref_conv(states[0], p["h2h_weight"], p["h2h_bias"], hpad, cfg["h2h_dilate"])
    act = cfg["activation"]
    if kind == "RNN":
        h = _act(act, a + b)
        return h, [h]
    if kind == "LSTM":
        i, f, g, o = onp.split(a + b, 4, axis=1)
        c = _sig(f) * states[1] + _sig(i) * _act(act, g)
        h = _sig(o) * _act(act, c)
        return h, [h, c]
    ar, az, ao = onp.split(a, 3, axis=1)
    br, bz, bo = onp.split(b, 3, axis=1)
    r, z = _sig(ar + br), _sig(az + bz)
    n = _act(act, ao + r * bo)
    h = (1 - z) * n + z * states[0]
    return h, [h]


def _fill64(cell, seed=0, scale=0.4):
    """float64 Parameters from a seeded generator; returns them by short name."""
    cell.cast("float64")
    rs = onp.random.RandomState(seed)
    out = {}
    for name, prm in sorted(cell.collect_params().items()):
        v = rs.randn(*prm.shape) * scale
        prm.set_data(np.array(v, dtype="float64"))
        out[name[len(cell.prefix):]] = v
    return out


def _last(layout):
    return layout.find("C") != 1


def _to_first(a, layout):
    """channels-last array (N, *sp, C) -> (N, C, *sp)."""
    return onp.moveaxis(a, -1, 1) if _last(layout) else a


CONV_CASES = [
    # kind, dims, input_shape (channels-first), kwargs
    ("RNN", 1, (2, 7), dict(i2h_kernel=3, h2h_kernel=3)),
    ("RNN", 2, (2, 5, 4), dict(i2h_kernel=3, h2h_kernel=3, i2h_pad=(1, 0),
                               i2h_dilate=(2, 1), h2h_dilate=2, activation="relu")),
    ("RNN", 3, (2, 3, 4, 3), dict(i2h_kernel=(1, 3, 3), h2h_kernel=(3, 1, 3), i2h_pad=1)),
    ("LSTM", 1, (2, 6), dict(i2h_kernel=5, h2h_kernel=5, i2h_pad=2)),
    ("LSTM", 2, (3, 4, 4), dict(i2h_kernel=3, h2h_kernel=3, i2h_pad=1, h2h_dilate=(2, 1))),
    ("LSTM", 3, (2, 3, 3, 3), dict(i2h_kernel=(2, 1, 3), h2h_kernel=1,
                                   activation="softsign")),
    ("GRU", 1, (2, 8), dict(i2h_kernel=3, h2h_kernel=3, i2h_dilate=2)),
    ("GRU", 2, (2, 5, 4), dict(i2h_kernel=(3, 1), h2h_kernel=(1, 3), i2h_pad=(1, 0))),
    ("GRU", 3, (1, 3, 4, 3), dict(i2h_kernel=3, h2h_kernel=3, i2h_pad=1)),
]
_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def _make_conv(kind, dims, in_shape, kw, layout=None):
    cls = getattr(crnn, f"Conv{dims}D{kind}Cell")
    if layout is not None:
        kw = dict(kw, conv_layout=layout)
        if _last(layout):
            in_shape = tuple(in_shape[1:]) + (in_shape[0],)
    cell = cls(in_shape, 3, **kw)
    cell.initialize()
    return cell


def _cfg(dims, kw):
    def t(v, default):
        v = default if v is None else v
        return (v,) * dims if isinstance(v, int) else tuple(v)
    return {"i2h_pad": t(kw.get("i2h_pad"), 0), "i2h_dilate": t(kw.get("i2h_dilate"), 1),
            "h2h_kernel": t(kw["h2h_kernel"], 1), "h2h_dilate": t(kw.get("h2h_dilate"), 1),
            "activation": kw.get("activation", "tanh")}


def _weights_first(p, layout):
    """channels-last weights (F, *k, C) -> (F, C, *k) for the reference."""
    if not _last(layout):
        return p
    return {k: (onp.moveaxis(v, -1, 1) if v.ndim > 1 else v) for k, v in p.items()}


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("kind,dims,in_shape,kw", CONV_CASES,
                         ids=[f"{k}{d}d" for k, d, _, _ in CONV_CASES])
def test_conv_cell_step_matches_numpy(kind, dims, in_shape, kw, channels_last):
    layout = _LAST[dims] if channels_last else None
    cell = _make_conv(kind, dims, in_shape, kw, layout)
    layout = cell._conv_layout
    p = _fill64(cell, seed=dims)
    rs = onp.random.RandomState(7)
    info = cell.state_info(2)
    assert len(info) == (2 if kind == "LSTM" else 1)
    x = rs.randn(2, *cell._input_shape)
    states = [rs.randn(*s["shape"]) * 0.5 for s in info]
    out, new = cell(np.array(x), [np.array(s) for s in states])
    want, want_states = ref_conv_step(kind, _to_first(x, layout),
                                      [_to_first(s, layout) for s in states],
                                      _weights_first(p, layout), _cfg(dims, kw))
    assert out.dtype == onp.float64 and out.shape == info[0]["shape"]
    onp.testing.assert_allclose(_to_first(out.asnumpy(), layout), want, rtol=1e-10,
                                atol=1e-12)
    for got, ref in zip(new, want_states):
        onp.testing.assert_allclose(_to_first(got.asnumpy(), layout), ref, rtol=1e-10,
                                    atol=1e-12)


@pytest.mark.parametrize("kind,dims,in_shape,kw", CONV_CASES,
                         ids=[f"{k}{d}d" for k, d, _, _ in CONV_CASES])
def test_conv_cell_unroll_equals_steps(kind, dims, in_shape, kw):
    cell = _make_conv(kind, dims, in_shape, kw)
    _fill64(cell, seed=3)
    rs = onp.random.RandomState(1)
    x = np.array(rs.randn(2, 4, *in_shape))                 # NTC...
    states = [np.array(rs.randn(*s["shape"])) for s in cell.state_info(2)]
    merged, final = cell.unroll(4, x, begin_state=states, merge_outputs=True)
    h = states
    for t in range(4):
        o, h = cell(x[:, t], h)
        onp.testing.assert_allclose(merged[:, t].asnumpy(), o.asnumpy(), rtol=1e-12)
    for a, b in zip(final, h):
        onp.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-12)
    tnc, final2 = cell.unroll(4, np.swapaxes(x, 0, 1), begin_state=states, layout="TNC",
                              merge_outputs=False)
    assert isinstance(tnc, list) and len(tnc) == 4
    onp.testing.assert_allclose(tnc[2].asnumpy(), merged[:, 2].asnumpy(), rtol=1e-12)
    # valid_length: outputs past each length are 0, the states those of its last step
    vl = np.array([2.0, 4.0])
    masked, vstates = cell.unroll(4, x, begin_state=states, merge_outputs=True,
                                  valid_length=vl)
    m = masked.asnumpy()
    assert (m[0, 2:] == 0).all()
    onp.testing.assert_allclose(m[0, :2], merged[0, :2].asnumpy(), rtol=1e-12)
    h = [s[:1] for s in states]
    for t in range(2):
        _, h = cell(x[:1, t], h)
    onp.testing.assert_allclose(vstates[0][:1].asnumpy(), h[0].asnumpy(), rtol=1e-12)
    # default begin_state: zeros of state_info's shape
    zero_out, _ = cell.unroll(4, x, merge_outputs=True)
    z = [np.zeros(s["shape"], dtype="float64") for s in cell.state_info(2)]
    ref, _ = cell.unroll(4, x, begin_state=z, merge_outputs=True)
    onp.testing.assert_array_equal(zero_out.asnumpy(), ref.asnumpy())


def _fd_check(cell, x, states, seed=5, eps=1e-6, n_checks=6):
    """Autograd gradients of a weighted sum of the unrolled outputs and last states
    against central differences, for the input and every Parameter (float64)."""
    rs = onp.random.RandomState(seed)

    def loss_of(xv):
        out, fin = cell.unroll(x.shape[1], xv, begin_state=states, merge_outputs=True)
        return out, fin

    out, fin = loss_of(x)
    wo = np.array(rs.randn(*out.shape))
    wf = [np.array(rs.randn(*f.shape)) for f in fin]

    def scalar(xv):
        o, f = loss_of(xv)
        tot = (o * wo).sum()
        for a, b in zip(f, wf):
            tot = tot + (a * b).sum()
        return tot

    params = [p for _, p in sorted(cell.collect_params().items())]
    xg = x.copy()
    xg.attach_grad()
    with autograd.record():
        loss = scalar(xg)
    loss.backward()
    targets = [("x", xg, xg.grad.asnumpy())] + [(p.name, p.data(), p.grad().asnumpy())
                                               for p in params]
    for name, arr, grad in targets:
        base = arr.asnumpy().copy()
        for flat in rs.choice(base.size, size=min(n_checks, base.size), replace=False):
            idx = onp.unravel_index(flat, base.shape)
            vals = []
            for sgn in (1, -1):
                pert = base.copy()
                pert[idx] += sgn * eps
                arr[...] = np.array(pert)
                vals.append(float(scalar(xg if name == "x" else x)))
            arr[...] = np.array(base)
            num = (vals[0] - vals[1]) / (2 * eps)
            assert abs(num - grad[idx]) <= 1e-6 * max(1.0, abs(num)), (name, idx, num,
                                                                        grad[idx])


@pytest.mark.parametrize("kind,dims", [("RNN", 1), ("LSTM", 2), ("GRU", 1), ("GRU", 3)])
def test_conv_cell_gradients_by_finite_differences(kind, dims):
    case = next(c for c in CONV_CASES if c[0] == kind and c[1] == dims)
    cell = _make_conv(*case)
    _fill64(cell, seed=11)
    rs = onp.random.RandomState(2)
    x = np.array(rs.randn(2, 3, *case[2]))
    states = [np.array(rs.randn(*s["shape"]) * 0.5) for s in cell.state_info(2)]
    _fd_check(cell, x, states)


def test_conv_cell_channels_last_gradients():
    cell = crnn.Conv2DLSTMCell((4, 3, 2), 2, 3, 3, i2h_pad=1, conv_layout="NHWC")
    cell.initialize()
    _fill64(cell, seed=4)
    rs = onp.random.RandomState(3)
    x = np.array(rs.randn(2, 2, 4, 3, 2))
    states = [np.array(rs.randn(*s["shape"]) * 0.5) for s in cell.state_info(2)]
    _fd_check(cell, x, states)


def test_conv_cell_parameters_state_info_and_names():
    cell = crnn.Conv2DGRUCell((2, 5, 6), 4, (3, 1), 3, i2h_pad=(1, 0), prefix="g_")
    assert [(k, p.shape) for k, p in cell.collect_params().items()] == [
        ("g_i2h_weight", (12, 2, 3, 1)), ("g_h2h_weight", (12, 4, 3, 3)),
        ("g_i2h_bias", (12,)), ("g_h2h_bias", (12,))]
    assert cell.state_info(7) == [{"shape": (7, 4, 5, 6), "__layout__": "NCHW"}]
    last = crnn.Conv3DLSTMCell((4, 5, 6, 2), 3, 3, 3, i2h_pad=1, conv_layout="NDHWC")
    assert last.i2h_weight.shape == (12, 3, 3, 3, 2)
    assert last.h2h_weight.shape == (12, 3, 3, 3, 3)
    assert last.state_info(1)[1]["shape"] == (1, 4, 5, 6, 3)
    assert repr(last) == "Conv3DLSTMCell(2 -> 12, tanh, NDHWC)"
    assert crnn.Conv1DRNNCell((2, 5), 3, 3, 3).prefix.startswith("conv_rnn")
    assert last.prefix.startswith("conv_lstm") and cell.prefix == "g_"


def test_conv_cell_bad_settings_and_inputs():
    with pytest.raises(AssertionError, match="odd"):
        crnn.Conv2DRNNCell((2, 5, 5), 3, 3, (3, 2))
    with pytest.raises(ValueError, match="list/tuple of length 2"):
        crnn.Conv2DGRUCell((2, 5, 5), 3, (3, 3, 3), 3)
    with pytest.raises(ValueError, match="conv_layout"):
        crnn.Conv1DLSTMCell((2, 5), 3, 3, 3, conv_layout="NCHW")
    with pytest.raises(ValueError, match="input_shape must have 3 entries"):
        crnn.Conv2DLSTMCell((5, 5), 3, 3, 3)
    with pytest.raises(ValueError, match="does not fit"):
        crnn.Conv1DRNNCell((2, 2), 3, 3, 3)
    cell = crnn.Conv2DRNNCell((2, 5, 5), 3, 3, 3)
    cell.initialize()
    with pytest.raises(ValueError, match=r"input_shape \(2, 5, 5\)"):
        cell(np.ones((1, 2, 6, 6)), [np.zeros((1, 3, 3, 3))])


def test_conv_cell_block_activation_and_legacy_arrays():
    cell = crnn.Conv1DGRUCell((2, 6), 3, 3, 3, i2h_pad=1, activation=nn.LeakyReLU(0.1))
    cell.initialize()
    p = _fill64(cell, seed=9)
    cell.cast("float32")
    x = onp.random.RandomState(0).randn(2, 3, 2, 6).astype("float32")
    out, states = cell.unroll(3, mx.nd.array(x), merge_outputs=True)
    assert type(out) is mx.nd.NDArray and out.shape == (2, 3, 3, 6)
    h = [onp.zeros((2, 3, 6))]
    for t in range(3):
        a = ref_conv(x[:, t].astype("float64"), p["i2h_weight"], p["i2h_bias"], (1,), (1,))
        b = ref_conv(h[0], p["h2h_weight"], p["h2h_bias"], (1,), (1,))
        ar, az, ao = onp.split(a, 3, axis=1)
        br, bz, bo = onp.split(b, 3, axis=1)
        r, z = _sig(ar + br), _sig(az + bz)
        v = ao + r * bo
        h = [(1 - z) * onp.where(v > 0, v, 0.1 * v) + z * h[0]]      # leaky relu
        onp.testing.assert_allclose(out.asnumpy()[:, t], h[0], rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- LSTMP
def ref_lstmp_step(x, r, c, p):
    z = x @ p["i2h_weight"].T + p["i2h_bias"] + r @ p["h2h_weight"].T + p["h2h_bias"]
    i, f, g, o = onp.split(z, 4, axis=1)
    c = _sig(f) * c + _sig(i) * onp.tanh(g)
    h = _sig(o) * onp.tanh(c)
    r = h @ p["h2r_weight"].T
    return r, [r, c]


def test_lstmp_step_unroll_and_gradients():
    cell = crnn.LSTMPCell(5, 3, prefix="p_")
    cell.initialize()
    rs = onp.random.RandomState(0)
    x = rs.randn(2, 4, 6)
    cell.unroll(4, np.array(x))                      # deferred input size
    assert cell.i2h_weight.shape == (20, 6) and cell.h2r_weight.shape == (3, 5)
    assert [k for k in cell.collect_params()] == ["p_i2h_weight", "p_h2h_weight",
                                                 "p_h2r_weight", "p_i2h_bias", "p_h2h_bias"]
    p = _fill64(cell, seed=1)
    states = [rs.randn(2, 3), rs.randn(2, 5)]
    assert [s["shape"] for s in cell.state_info(2)] == [(2, 3), (2, 5)]
    out, new = cell(np.array(x[:, 0]), [np.array(s) for s in states])
    want, want_states = ref_lstmp_step(x[:, 0], states[0], states[1], p)
    onp.testing.assert_allclose(out.asnumpy(), want, rtol=1e-10)
    onp.testing.assert_allclose(new[1].asnumpy(), want_states[1], rtol=1e-10)
    merged, final = cell.unroll(4, np.array(x), [np.array(s) for s in states],
                                merge_outputs=True)
    r, c = states
    for t in range(4):
        r, (r, c) = ref_lstmp_step(x[:, t], r, c, p)
        onp.testing.assert_allclose(merged[:, t].asnumpy(), r, rtol=1e-10)
    onp.testing.assert_allclose(final[1].asnumpy(), c, rtol=1e-10)
    _fd_check(cell, np.array(x[:, :3]), [np.array(s) for s in states])


# ----------------------------------------------------------------------------- vardrop
def _vardrop(**rates):
    cell = crnn.VariationalDropoutCell(rnn.RNNCell(4, activation="relu", input_size=6,
                                                   prefix="b_"), **rates)
    cell.initialize()
    _fill64(cell.base_cell, seed=2)
    return cell


def test_variational_dropout_reuses_one_mask_until_reset():
    cell = _vardrop(drop_inputs=0.5, drop_states=0.5, drop_outputs=0.5)
    x = np.ones((8, 6), dtype="float64")
    h = [np.ones((8, 4), dtype="float64")]
    masks = []
    for seq in range(2):
        cell.reset()
        with autograd.record():
            for _ in range(4):
                _, h = cell(x, h)
                masks.append((cell.drop_inputs_mask.asnumpy(),
                              cell.drop_states_mask.asnumpy(),
                              cell.drop_outputs_mask.asnumpy()))
    for k in range(3):
        first, second = masks[0][k], masks[4][k]
        assert set(onp.unique(first)) <= {0.0, 2.0} and (first == 0).any()
        for t in range(1, 4):
            onp.testing.assert_array_equal(masks[t][k], first)
            onp.testing.assert_array_equal(masks[4 + t][k], second)
        assert not onp.array_equal(first, second)        # a new mask after reset


def test_variational_dropout_masks_are_applied():
    """Stepping by hand equals the base cell on masked inputs / state with the output
    masked, the same masks every step."""
    cell = _vardrop(drop_inputs=0.4, drop_states=0.3, drop_outputs=0.6)
    rs = onp.random.RandomState(0)
    xs = [np.array(rs.randn(5, 6)) for _ in range(3)]
    h = [np.array(rs.randn(5, 4))]
    with autograd.record():
        outs, hh = [], h
        for x in xs:
            o, hh = cell(x, hh)
            outs.append(o)
    mi, ms, mo = cell.drop_inputs_mask, cell.drop_states_mask, cell.drop_outputs_mask
    base, ref_h = cell.base_cell, h
    for x, o in zip(xs, outs):
        base._modified = False
        try:
            ref_o, ref_h = base(x * mi, [ref_h[0] * ms])
        finally:
            base._modified = True
        onp.testing.assert_allclose(o.asnumpy(), (ref_o * mo).asnumpy(), rtol=1e-12)


def test_variational_dropout_unroll_shares_masks_across_time():
    rs = onp.random.RandomState(1)
    x = np.array(onp.abs(rs.randn(16, 5, 6)) + 0.5)     # NTC, positive
    for rates in (dict(drop_inputs=0.5, drop_outputs=0.5),
                  dict(drop_inputs=0.5, drop_states=0.5, drop_outputs=0.5)):
        cell = _vardrop(**rates)
        with autograd.record():
            out, _ = cell.unroll(5, x, merge_outputs=True)
        zeros = out.asnumpy() == 0                      # (N, T, H): output mask zeros
        # the output mask hits the same (sample, unit) at every step (relu outputs can
        # also be 0 on their own: the dropped units are 0 at all steps)
        always = zeros.all(axis=1)
        assert always.any()
        assert out.shape == (16, 5, 4)
        # new sequence, new masks
        with autograd.record():
            out2, _ = cell.unroll(5, x, merge_outputs=True)
        assert not onp.array_equal(always, (out2.asnumpy() == 0).all(axis=1))


def test_variational_dropout_outside_training_and_shapes():
    cell = _vardrop(drop_inputs=0.5, drop_states=0.5, drop_outputs=0.5)
    rs = onp.random.RandomState(2)
    x = np.array(rs.randn(3, 4, 6))
    # with state dropout the cell is stepped: a list of outputs, as MXNet
    listed, _ = cell.unroll(4, x)
    assert isinstance(listed, list) and len(listed) == 4
    out, states = cell.unroll(4, x, merge_outputs=True)
    base = cell.base_cell
    base._modified = False
    ref, ref_states = base.unroll(4, x, merge_outputs=True)
    base._modified = True
    onp.testing.assert_array_equal(out.asnumpy(), ref.asnumpy())
    # without it the masks apply to the whole sequence: merged unless asked otherwise
    merged, _ = _vardrop(drop_inputs=0.3).unroll(4, [x[:, t] for t in range(4)])
    assert _is_arr(merged) and merged.shape == (3, 4, 4)
    onp.testing.assert_array_equal(merged.asnumpy(), ref.asnumpy())
    listed, _ = _vardrop(drop_inputs=0.3).unroll(4, x, merge_outputs=False)
    assert isinstance(listed, list) and len(listed) == 4
    assert cell.prefix == "b_vardrop" and repr(cell).startswith(
        "VariationalDropoutCell(p_out = 0.5, p_state = 0.5)")
    with pytest.raises(AssertionError, match="BidirectionalCell"):
        crnn.VariationalDropoutCell(rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2)),
                                    drop_states=0.5)
    with pytest.raises(ValueError, match="drop_inputs"):
        crnn.VariationalDropoutCell(rnn.GRUCell(2), drop_inputs=1.5)


def _is_arr(x):
    return hasattr(x, "shape") and not isinstance(x, list)


def test_dynamic_unroll_matches_unroll():
    cell = rnn.GRUCell(3, input_size=2)
    cell.initialize()
    _fill64(cell, seed=3)
    rs = onp.random.RandomState(4)
    x = np.array(rs.randn(5, 2, 2))                     # TNC
    h = [np.array(rs.randn(2, 3))]
    out, states = dynamic_unroll(cell, x, h, layout="TNC")
    ref, ref_states = cell.unroll(5, x, h, layout="TNC", merge_outputs=True)
    onp.testing.assert_allclose(out.asnumpy(), ref.asnumpy(), rtol=1e-12)
    vl = np.array([3.0, 5.0])
    out, states = dynamic_unroll(cell, np.swapaxes(x, 0, 1), h, layout="NTC",
                                 valid_length=vl)
    ref, ref_states = cell.unroll(5, np.swapaxes(x, 0, 1), h, merge_outputs=True,
                                  valid_length=vl)
    onp.testing.assert_allclose(out.asnumpy(), ref.asnumpy(), rtol=1e-12)
    onp.testing.assert_allclose(states[0].asnumpy(), ref_states[0].asnumpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- contrib.nn
def test_sparse_embedding_is_embedding_with_sparse_grad():
    npx.reset_np()                # sparse gradients are legacy-mode arrays, as MXNet
    w = onp.random.RandomState(0).rand(7, 3).astype("float32")
    se = cnn.SparseEmbedding(7, 3)
    ref = nn.Embedding(7, 3, sparse_grad=True)
    for b in (se, ref):
        b.initialize()
        b.weight.set_data(mx.nd.array(w))
    assert not isinstance(se, mx.gluon.HybridBlock)
    assert repr(se) == "SparseEmbedding(7 -> 3, float32)"
    assert se.prefix.startswith("sparseembedding") and se.weight.name.endswith("weight")
    x = mx.nd.array([[1, 4], [4, 6]])
    ys = []
    for b in (se, ref):
        with autograd.record():
            y = b(x)
            (y * y).sum().backward()
        ys.append(y)
    onp.testing.assert_array_equal(ys[0].asnumpy(), ys[1].asnumpy())
    g, gr = se.weight.grad(), ref.weight.grad()
    assert g.stype == "row_sparse" and type(g).__name__ == "RowSparseNDArray"
    onp.testing.assert_array_equal(g.indices.asnumpy(), [1, 4, 6])
    onp.testing.assert_array_equal(g.asnumpy(), gr.asnumpy())
    tr = mx.gluon.Trainer(se.collect_params(), "sgd", {"learning_rate": 1.0})
    tr.step(1)
    want = w.copy()
    want[[1, 4, 6]] -= gr.asnumpy()[[1, 4, 6]]
    onp.testing.assert_allclose(se.weight.data().asnumpy(), want, rtol=1e-6)


def test_sparse_embedding_refused_in_np_mode():
    se = cnn.SparseEmbedding(4, 2)
    with pytest.raises(ValueError, match="row_sparse"):
        se.initialize()


def test_sync_batch_norm_is_batch_norm_per_device():
    rs = onp.random.RandomState(0)
    x = rs.randn(4, 3, 2, 2).astype("float32")
    with pytest.warns(UserWarning, match="num_devices"):
        cnn.SyncBatchNorm()
    sbn = cnn.SyncBatchNorm(in_channels=3, num_devices=2)
    bn = nn.BatchNorm(in_channels=3)
    assert repr(sbn).startswith("SyncBatchNorm(eps=1e-05, momentum=0.9, fix_gamma=False, "
                                "use_global_stats=False, ndev=2, key='syncbatchnorm")
    devices = [mx.cpu(0), mx.cpu(1)]
    for b in (sbn, bn):
        b.initialize(ctx=devices)
    outs = {}
    for name, b in (("sync", sbn), ("bn", bn)):
        parts = [np.array(x[:2], device=devices[0]), np.array(x[2:], device=devices[1])]
        with autograd.record():
            ys = [b(p) for p in parts]
        for y in ys:
            y.backward()
        outs[name] = ([y.asnumpy() for y in ys],
                      [b.running_mean.data(d).asnumpy() for d in devices])
    for a, b in zip(outs["sync"][0] + outs["sync"][1], outs["bn"][0] + outs["bn"][1]):
        onp.testing.assert_array_equal(a, b)
    # each device normalizes by its own part of the batch (see docs/mxnet-differences.md)
    part = x[:2]
    m, v = part.mean(axis=(0, 2, 3), keepdims=True), part.var(axis=(0, 2, 3), keepdims=True)
    onp.testing.assert_allclose(outs["sync"][0][0], (part - m) / onp.sqrt(v + 1e-5),
                                rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="num_devices"):
        cnn.SyncBatchNorm(num_devices=0)
