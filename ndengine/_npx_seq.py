"""``npx``'s recurrent and sequence functions (``npx.rnn`` and the ``sequence_*`` ops other
than ``sequence_mask``), kept in their own module so that they can grow beside ``npx.py``;
``npx`` re-exports every name in ``__all__``.

``npx.rnn`` is MXNet's fused recurrent layer (vanilla RNN with tanh/relu, LSTM, GRU;
stacked, bidirectional): the one implementation behind ``mx.nd.RNN`` and gluon's
``rnn.RNN`` / ``LSTM`` / ``GRU`` layers.  It is composed from ops of the op table
(``ndarray/ops_seq.py``, ``fully_connected``), so autograd differentiates it: per layer
and direction, one matrix product projects the whole input sequence, then one
``_rnn_direction`` op runs the time steps (which depend on each other) in a loop inside
its kernel: per step one matrix product of the recurrent weights and the gates,
vectorised over batch and hidden units.

*parameters* is MXNet's flat vector: the weights of every layer and direction (input
weights (G*H, in) then recurrent weights (G*H, H)), then their biases (input, then
recurrent), gates in MXNet's (cuDNN's) order: LSTM i, f, g, o; GRU r, z, n.

``use_sequence_length`` follows cuDNN's semantics (what MXNet gives on a GPU): each
sequence stops at its length (the reverse direction starts at its last valid step),
the outputs past it are 0 and the final states are those of its last valid step.
MXNet 1.9.1's CPU operator accepts the flag and ignores the lengths (see
docs/mxnet-differences.md).
"""
from __future__ import annotations

from typing import Any

from . import numpy as _np
from .base import MXNetError
from .ndarray import ops_seq as _ops_seq  # noqa: F401  (registers the sequence/step ops)
from .ndarray import tape as _tape
from .ndarray.ndarray import NDArray, apply_op
from .ndarray.ops import OPS, DTypeError, ShapeError
from .numpy._util import as_nd

__all__ = ["rnn", "sequence_last", "sequence_reverse"]

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


class RNNParamError(MXNetError, ValueError):
    """A parameter of ``npx.rnn`` has a value it does not accept."""


def _length(name: str, sequence_length: Any, use: bool, dev: Any) -> Any:
    if not use:
        return None
    if sequence_length is None:
        raise RNNParamError(f"{name}: use_sequence_length=True needs sequence_length")
    return as_nd(sequence_length, dev)


def sequence_last(data: Any, sequence_length: Any = None, use_sequence_length: bool = False,
                  axis: int = 0, name: Any = None) -> NDArray:
    """The last valid step of each sequence: *data* is (sequence, batch, ...) for axis=0
    or (batch, sequence, ...) for axis=1; with *use_sequence_length* the step
    ``sequence_length[b] - 1`` of batch item b, else the last step."""
    x = as_nd(data)
    n = _length("sequence_last", sequence_length, use_sequence_length, x.device)
    return apply_op(OPS["sequence_last"], (x, n), {"axis": axis})


def sequence_reverse(data: Any, sequence_length: Any = None,
                     use_sequence_length: bool = False, axis: int = 0,
                     name: Any = None) -> NDArray:
    """*data* (sequence, batch, ...) with the time axis reversed; with
    *use_sequence_length* only each sequence's first ``sequence_length[b]`` steps are
    reversed and the padding after them stays in place.  Only axis=0 (as MXNet)."""
    x = as_nd(data)
    n = _length("sequence_reverse", sequence_length, use_sequence_length, x.device)
    return apply_op(OPS["sequence_reverse"], (x, n), {"axis": axis})


# ----------------------------------------------------------------------------- rnn
def param_count(mode: str, num_layers: int, dirs: int, input_size: int, state_size: int,
                projection_size: int | None = None) -> int:
    """The length of the flat parameter vector of ``npx.rnn``."""
    g, h = _GATES[mode], state_size
    p = projection_size or h
    n = 0
    for layer in range(num_layers):
        i = input_size if layer == 0 else p * dirs
        n += dirs * (g * h * i + g * h * p + 2 * g * h + (p * h if projection_size else 0))
    return n


def _split_params(w: NDArray, mode: str, layers: int, dirs: int, inp: int, h: int,
                  proj: int | None = None) -> list:
    """[(Wx, Wh, bx, bh[, Whr])] per (layer, direction) from the flat vector (one split
    op): every weight (input, recurrent, then the projection's with *proj*), then every
    bias pair."""
    g = _GATES[mode]
    p = proj or h
    nw = 3 if proj else 2
    sizes, shapes = [], []
    for layer in range(layers):
        i = inp if layer == 0 else p * dirs
        for _ in range(dirs):
            sizes += [g * h * i, g * h * p]
            shapes += [(g * h, i), (g * h, p)]
            if proj:
                sizes.append(p * h)
                shapes.append((p, h))
    for _ in range(layers * dirs):
        sizes += [g * h, g * h]
        shapes += [(g * h,), (g * h,)]
    cuts, pos = [], 0
    for s in sizes[:-1]:
        pos += s
        cuts.append(pos)
    parts = [q.reshape(s) for q, s in zip(_np.split(w, cuts), shapes)]
    nb = nw * layers * dirs
    res = []
    for k in range(layers * dirs):
        ws = parts[nw * k:nw * k + nw]
        res.append((ws[0], ws[1], parts[nb + 2 * k], parts[nb + 2 * k + 1]) + tuple(ws[2:]))
    return res


def _direction(mode: str, seq: NDArray, wx: Any, wh: Any, bx: Any, bh: Any, h: NDArray,
               c: Any, reverse: bool, keep: Any, clip: dict, whr: Any = None) -> tuple:
    """One layer in one direction: (outputs (T, N, H), final h, final c): one product
    projects every step's input, then one op runs the steps (``_rnn_direction``)."""
    xw = apply_op(OPS["fully_connected"], (seq, wx, bx), {"flatten": False})
    out, hT, cT, _ = apply_op(OPS["_rnn_direction"], (xw, wh, bh, h, c, keep, whr),
                              {"mode": mode, "reverse": bool(reverse), **clip})
    return out, hT, (cT if mode == "lstm" else None)


def rnn_layers(data: Any, weights: list, state: Any, state_cell: Any = None,
               sequence_length: Any = None, mode: str = "lstm", state_size: int = 0,
               num_layers: int = 1, bidirectional: bool = False, p: float = 0.0,
               state_outputs: bool = False, clip: dict | None = None) -> Any:
    """``npx.rnn`` with the parameters already split: *weights* is [(Wx, Wh, bx, bh)]
    (and the projection's Whr for LSTMP) per (layer, direction), in MXNet's order (what
    gluon's layers hold as Parameters, so they need not be concatenated to be split
    again).  Arguments are checked by the caller."""
    x = data
    T, N = x.shape[0], x.shape[1]
    H, L, D = int(state_size), int(num_layers), 2 if bidirectional else 1
    keep = None
    if sequence_length is not None:
        n = sequence_length.astype("int64").reshape((1, N))
        steps = _np.arange(T, dtype="int64", ctx=x.device).reshape((T, 1))
        keep = (steps < n).astype(x.dtype)
    clip = clip or {}
    seq = x
    hs, cs = [], []
    for layer in range(L):
        outs = []
        for d in range(D):
            k = layer * D + d
            wx, wh, bx, bh = weights[k][:4]
            whr = weights[k][4] if len(weights[k]) > 4 else None
            c0 = state_cell[k] if mode == "lstm" else None
            inp = seq
            if d == 1 and keep is not None:   # each sequence reversed within its length
                inp = sequence_reverse(seq, sequence_length, use_sequence_length=True)
            out, h, c = _direction(mode, inp, wx, wh, bx, bh, state[k], c0,
                                   d == 1 and keep is None, keep, clip, whr)
            if keep is not None:
                out = apply_op(OPS["sequence_mask"], (out, sequence_length),
                               {"value": 0.0, "axis": 0})
                if d == 1:
                    out = sequence_reverse(out, sequence_length, use_sequence_length=True)
            outs.append(out)
            hs.append(h)
            if c is not None:
                cs.append(c)
        seq = outs[0] if D == 1 else _np.concatenate(outs, axis=2)
        if p and layer < L - 1 and _tape.STATE.training:
            from . import npx as _npx

            seq = _npx.dropout(seq, p=p)
    if not state_outputs:
        return seq
    res = [seq, _np.stack(hs)]
    if mode == "lstm":
        res.append(_np.stack(cs))
    return res


def rnn(data: Any = None, parameters: Any = None, state: Any = None, state_cell: Any = None,
        sequence_length: Any = None, state_size: Any = None, num_layers: Any = None,
        bidirectional: bool = False, mode: Any = None, p: float = 0.0,
        state_outputs: bool = False, projection_size: Any = None,
        lstm_state_clip_min: Any = None, lstm_state_clip_max: Any = None,
        lstm_state_clip_nan: bool = False, use_sequence_length: bool = False,
        out: Any = None, name: Any = None, **kwargs: Any) -> Any:
    """Recurrent layers over *data* (sequence, batch, input_size) from the initial
    *state* (layers*directions, batch, state_size) (and *state_cell* for LSTM), with
    the weights in the flat vector *parameters*: the output (sequence, batch,
    directions*state_size), and with *state_outputs* ``[output, h, c]`` (LSTM) or
    ``[output, h]``.  *p*: dropout between layers in training mode.  With
    *use_sequence_length* each sequence stops at ``sequence_length[b]`` (for modes
    other than LSTM MXNet takes the lengths in the place of state_cell; so does this).
    *projection_size* (LSTM only): LSTMP, each step's state ``(o * tanh(c)) @ Whr.T``,
    so the states h and the output have projection_size features."""
    if kwargs:
        raise TypeError(f"rnn: unexpected arguments {sorted(kwargs)}")
    if out is not None:
        raise RNNParamError("rnn: out= is not supported (the result is a new array)")
    for what, v in (("state_size", state_size), ("num_layers", num_layers), ("mode", mode)):
        if v is None:
            raise RNNParamError(f"rnn: the parameter {what} is required")
    if mode not in _GATES:
        raise RNNParamError(f"rnn: mode must be one of {sorted(_GATES)}, got {mode!r}")
    P = int(projection_size) if projection_size else None
    if P is not None and (mode != "lstm" or P <= 0):
        raise RNNParamError(f"rnn: projection_size ({projection_size}) needs mode 'lstm' and a "
                            f"positive size")
    if not 0 <= float(p) < 1:
        raise RNNParamError(f"rnn: p (dropout) must be in [0, 1), got {p}")
    if mode != "lstm" and use_sequence_length and sequence_length is None:
        sequence_length, state_cell = state_cell, None
    if data is None or parameters is None or state is None:
        raise RNNParamError("rnn: data, parameters and state are required")
    x = as_nd(data)
    w = as_nd(parameters, x.device)
    h0 = as_nd(state, x.device)
    H, L = int(state_size), int(num_layers)
    D = 2 if bidirectional else 1
    if H <= 0 or L <= 0:
        raise RNNParamError(f"rnn: state_size and num_layers must be positive, got "
                            f"{state_size} and {num_layers}")
    if x.ndim != 3:
        raise ShapeError(f"rnn: data must be (seq_len, batch, input_size), got {x.shape} on "
                         f"{x.device}")
    T, N, inp = x.shape
    want = param_count(mode, L, D, inp, H, P)
    if w.shape != (want,):
        raise ShapeError(f"rnn: parameters has shape {w.shape}; mode {mode!r} with {L} "
                         f"layer(s), {D} direction(s), input {inp}, state_size {H}"
                         f"{f' and projection_size {P}' if P else ''} needs ({want},)")
    if h0.shape != (L * D, N, P or H):
        raise ShapeError(f"rnn: state has shape {h0.shape}, expected {(L * D, N, P or H)}")
    c0 = None
    if mode == "lstm":
        if state_cell is None:
            raise RNNParamError("rnn: mode 'lstm' needs state_cell")
        c0 = as_nd(state_cell, x.device)
        if c0.shape != (L * D, N, H):
            raise ShapeError(f"rnn: state_cell has shape {c0.shape}, expected "
                             f"{(L * D, N, H)}")
    for a, what in ((w, "parameters"), (h0, "state"), (c0, "state_cell")):
        if a is not None and a.dtype != x.dtype:
            raise DTypeError(f"rnn: {what} is {a.dtype}, data is {x.dtype} (one dtype)")
    n = None
    if use_sequence_length:
        n = _length("rnn", sequence_length, True, x.device)
        if n.shape != (N,):
            raise ShapeError(f"rnn: sequence_length has shape {n.shape}, expected ({N},)")
    clip = {}
    if mode == "lstm" and (lstm_state_clip_min is not None or lstm_state_clip_max is not None):
        clip = {"clip_min": None if lstm_state_clip_min is None else float(lstm_state_clip_min),
                "clip_max": None if lstm_state_clip_max is None else float(lstm_state_clip_max),
                "clip_nan": bool(lstm_state_clip_nan)}
    weights = _split_params(w, mode, L, D, inp, H, P)
    return rnn_layers(x, weights, h0, c0, n, mode=mode, state_size=H, num_layers=L,
                      bidirectional=bool(bidirectional), p=float(p),
                      state_outputs=bool(state_outputs), clip=clip)
