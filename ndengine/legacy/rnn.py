"""``mx.nd.RNN``: MXNet's fused recurrent layer (vanilla RNN with relu/tanh, LSTM, GRU;
stacked, bidirectional), composed step by step from np ops (so autograd differentiates
it; the loop is over time steps, which depend on each other).

*parameters* is MXNet's flat vector: the weights of every layer and direction (input
weights (G*H, in) then recurrent weights (G*H, H)), then their biases (input, then
recurrent), with the gates in MXNet's (cuDNN's) order: LSTM i, f, g, o; GRU r, z, n."""
from __future__ import annotations

from typing import Any

from .. import npx as _npx
from .. import numpy as _np
from ..ndarray import tape as _tape
from ..ndarray.ops import ShapeError
from ._util import OpParamError, arr, ret

__all__ = ["RNN"]

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def _param_count(mode: str, layers: int, dirs: int, inp: int, h: int) -> int:
    g = _GATES[mode]
    n = 0
    for layer in range(layers):
        i = inp if layer == 0 else h * dirs
        n += dirs * (g * h * i + g * h * h + 2 * g * h)
    return n


def _split_params(p: Any, mode: str, layers: int, dirs: int, inp: int, h: int) -> list:
    """[(Wx, Wh, bx, bh)] per (layer, direction), in that order."""
    g = _GATES[mode]
    pos = 0
    weights = []
    for layer in range(layers):
        i = inp if layer == 0 else h * dirs
        for _ in range(dirs):
            wx = p[pos:pos + g * h * i].reshape((g * h, i))
            pos += g * h * i
            wh = p[pos:pos + g * h * h].reshape((g * h, h))
            pos += g * h * h
            weights.append([wx, wh])
    for k in range(layers * dirs):
        bx = p[pos:pos + g * h]
        pos += g * h
        bh = p[pos:pos + g * h]
        pos += g * h
        weights[k] += [bx, bh]
    return weights


def _cell(mode: str, xw: Any, h: Any, c: Any, wh: Any, bh: Any, H: int) -> tuple:
    """One step: xw = x @ Wx.T + bx (precomputed for all steps); returns (h, c)."""
    hw = _np.dot(h, wh.T) + bh
    if mode == "lstm":
        z = xw + hw
        i = _npx.sigmoid(z[:, 0:H])
        f = _npx.sigmoid(z[:, H:2 * H])
        gg = _np.tanh(z[:, 2 * H:3 * H])
        o = _npx.sigmoid(z[:, 3 * H:4 * H])
        c = f * c + i * gg
        return o * _np.tanh(c), c
    if mode == "gru":
        r = _npx.sigmoid(xw[:, 0:H] + hw[:, 0:H])
        u = _npx.sigmoid(xw[:, H:2 * H] + hw[:, H:2 * H])
        n = _np.tanh(xw[:, 2 * H:3 * H] + r * hw[:, 2 * H:3 * H])
        return (1 - u) * n + u * h, c
    z = xw + hw
    return (_npx.relu(z) if mode == "rnn_relu" else _np.tanh(z)), c


def RNN(data: Any, parameters: Any, state: Any, state_cell: Any = None,
        sequence_length: Any = None, state_size: int = 0, num_layers: int = 1,
        bidirectional: bool = False, mode: str = "lstm", p: float = 0.0,
        state_outputs: bool = False, projection_size: Any = None,
        lstm_state_clip_min: Any = None, lstm_state_clip_max: Any = None,
        lstm_state_clip_nan: bool = False, use_sequence_length: bool = False,
        out: Any = None, name: Any = None) -> Any:
    """Recurrent layers over (T, N, input) *data* from initial *state* (L*D, N, H) (and
    *state_cell* for LSTM): the output (T, N, D*H), and with ``state_outputs`` the final
    states."""
    if mode not in _GATES:
        raise OpParamError(f"RNN: mode must be one of {sorted(_GATES)}, got {mode!r}")
    if projection_size is not None or use_sequence_length:
        raise OpParamError("RNN: projection_size and use_sequence_length are not supported")
    x = arr(data, "RNN")
    w = arr(parameters, "RNN", "parameters")
    h0 = arr(state, "RNN", "state")
    H, L, D = int(state_size), int(num_layers), 2 if bidirectional else 1
    if x.ndim != 3:
        raise ShapeError(f"RNN: data must be (seq_len, batch, input_size), got {x.shape}")
    T, N, inp = x.shape
    want = _param_count(mode, L, D, inp, H)
    if w.shape != (want,):
        raise ShapeError(f"RNN: parameters has shape {w.shape}; mode {mode!r} with "
                         f"{L} layer(s), {D} direction(s), input {inp} and state_size {H} "
                         f"needs ({want},)")
    if h0.shape != (L * D, N, H):
        raise ShapeError(f"RNN: state has shape {h0.shape}, expected {(L * D, N, H)}")
    c0 = None
    if mode == "lstm":
        if state_cell is None:
            raise TypeError("RNN: mode 'lstm' needs state_cell")
        c0 = arr(state_cell, "RNN", "state_cell")
        if c0.shape != (L * D, N, H):
            raise ShapeError(f"RNN: state_cell has shape {c0.shape}, expected {(L * D, N, H)}")
    params = _split_params(w, mode, L, D, inp, H)
    seq = x
    hs, cs = [], []
    for layer in range(L):
        outs = []
        for d in range(D):
            k = layer * D + d
            wx, wh, bx, bh = params[k]
            xw = (_np.dot(seq.reshape((T * N, -1)), wx.T) + bx).reshape((T, N, -1))
            h, c = h0[k], (c0[k] if c0 is not None else None)
            steps = []
            order = range(T - 1, -1, -1) if d == 1 else range(T)
            for t in order:
                h, c = _cell(mode, xw[t], h, c, wh, bh, H)
                if c is not None and lstm_state_clip_min is not None:
                    c = _np.clip(c, lstm_state_clip_min, lstm_state_clip_max)
                steps.append(h)
            if d == 1:
                steps.reverse()
            outs.append(_np.stack(steps))
            hs.append(h)
            if c is not None:
                cs.append(c)
        seq = outs[0] if D == 1 else _np.concatenate(outs, axis=2)
        if p and layer < L - 1 and _tape.STATE.training:
            seq = _npx.dropout(seq, p=p)
    if not state_outputs:
        return ret(seq, out)
    res = [seq, _np.stack(hs)]
    if mode == "lstm":
        res.append(_np.stack(cs))
    return ret(res, out)
