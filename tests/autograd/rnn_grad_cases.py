"""Gradient cases of the recurrent ops of ndarray/ops_seq.py (merged into
test_op_gradients.py's ``CASES`` / ``NON_DIFFERENTIABLE``): float64 inputs are the
variables, checked against central finite differences."""
from __future__ import annotations

import numpy as onp

from ndengine import npx
from ndengine.ndarray.ndarray import apply_op
from ndengine.ndarray.ops import OPS

R = onp.random.default_rng(23)


def U(*shape, lo=-1.0, hi=1.0):
    return R.uniform(lo, hi, size=shape)


def C(fn, *inputs, **tol):
    return (fn, list(inputs), tol)


RNN_NON_DIFFERENTIABLE = {
    # the backward ops the recurrent gradients push
    "_gru_cell_backward", "_lstm_cell_backward", "_rnn_cell_backward",
    "_rnn_direction_backward", "_sequence_last_backward",
}

B, H, T, I = 2, 3, 4, 2
_LENGTHS = onp.array([3, 1])


def _lstm_cell(i2h, h2h, c):
    h, c2 = apply_op(OPS["_lstm_cell"], (i2h, h2h, c))
    return h * 2.0 + c2


def _cell(name, **attrs):
    return lambda i2h, h2h, *rest: apply_op(OPS[name], (i2h, h2h) + rest, attrs)


def _nparams(mode, layers=1, dirs=1):
    g = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}[mode]
    n = 0
    for layer in range(layers):
        inp = I if layer == 0 else H * dirs
        n += dirs * (g * H * (inp + H) + 2 * g * H)
    return n


def _rnn(mode, layers=1, bidirectional=False, lengths=None):
    def f(x, params, h0, *c0):
        kw = dict(state_size=H, num_layers=layers, bidirectional=bidirectional, mode=mode,
                  state_outputs=True)
        if lengths is not None:
            kw.update(sequence_length=npx_lengths(), use_sequence_length=True)
        out = npx.rnn(x, params, h0, c0[0] if c0 else None, **kw)
        y, hn = out[0], out[1]
        return y.sum() + (hn * hn).sum() + ((out[2] * 0.5).sum() if c0 else 0.0)
    return f


def npx_lengths():
    from ndengine import np
    return np.array(_LENGTHS, dtype="int32")


def _seq(fn, **kw):
    def f(x):
        return fn(x, npx_lengths(), use_sequence_length=True, **kw)
    return f


RNN_CASES = {
    "_lstm_cell": [C(_lstm_cell, U(B, 4 * H), U(B, 4 * H), U(B, H))],
    "_gru_cell": [C(_cell("_gru_cell"), U(B, 3 * H), U(B, 3 * H), U(B, H))],
    "_rnn_cell": [C(_cell("_rnn_cell", act="tanh"), U(B, H), U(B, H)),
                  C(_cell("_rnn_cell", act="relu"), U(B, H, lo=0.1), U(B, H, lo=0.1))],
    "_rnn_direction": [
        C(_rnn("lstm"), U(T, B, I), U(_nparams("lstm"), lo=-0.5, hi=0.5), U(1, B, H),
          U(1, B, H)),
        C(_rnn("gru", bidirectional=True), U(T, B, I),
          U(_nparams("gru", dirs=2), lo=-0.5, hi=0.5), U(2, B, H)),
        C(_rnn("rnn_tanh", layers=2), U(T, B, I),
          U(_nparams("rnn_tanh", layers=2), lo=-0.5, hi=0.5), U(2, B, H)),
        C(_rnn("lstm", lengths=True), U(T, B, I), U(_nparams("lstm"), lo=-0.5, hi=0.5),
          U(1, B, H), U(1, B, H)),
    ],
    "sequence_last": [C(_seq(npx.sequence_last), U(T, B, 2)),
                      C(lambda x: npx.sequence_last(x, axis=1), U(B, T, 2))],
    "sequence_reverse": [C(_seq(npx.sequence_reverse), U(T, B, 2)),
                         C(lambda x: npx.sequence_reverse(x), U(T, B))],
}
