"""The op table's sequence and recurrent-step ops (what ``npx.rnn``, ``npx.sequence_last``
and ``npx.sequence_reverse`` are written from): each once, with its shape/dtype rule, its
kernel against ``xp`` and its gradient (see :mod:`.ops` for the conventions).

* ``sequence_last``: the last valid step of each sequence (time on axis 0 or 1, batch on
  the other); its gradient scatters into zeros (``_sequence_last_backward``).
* ``sequence_reverse``: each sequence's first ``length`` steps reversed, padding left in
  place (time on axis 0, as MXNet); the permutation is its own inverse, so the gradient
  is the same op on the incoming gradient.
* ``_lstm_cell`` / ``_gru_cell`` / ``_rnn_cell``: one recurrent step from the input
  projection of this step ``xw`` (``x @ Wx.T + bx``; shape (N, G*H), or (1, N, G*H) as
  one piece of the whole sequence's projection) and the recurrent projection ``hw``
  (``h @ Wh.T + bh``, (N, G*H)): every gate's nonlinearity and the state update in one
  kernel, vectorised over batch and hidden units, gates in MXNet's (cuDNN's) order
  (LSTM i, f, g, o; GRU r, z, n).  Their backward kernels recompute the gates from the
  saved pre-activations rather than keeping them.
"""
from __future__ import annotations

from typing import Any

from .ops import DTypeError, ShapeError, register

__all__: list[str] = []


def _sig(xp: Any, z: Any) -> Any:
    # 1 / (1 + exp(-z)) without overflow warnings for very negative z
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _check_len(name: str, length: Any, batch: int, data_shape: tuple) -> None:
    if length is None:
        return
    if tuple(length.shape) != (batch,):
        raise ShapeError(f"{name}: sequence_length has shape {tuple(length.shape)}, expected "
                         f"({batch},) for data {data_shape}")
    if length.dtype.kind not in "iuf":
        raise DTypeError(f"{name}: sequence_length must be numeric, got {length.dtype}")


# ----------------------------------------------------------------------------- sequence_last
def _last_infer(data: Any, length: Any, axis: int = 0):
    s = tuple(data.shape)
    if axis not in (0, 1):
        raise ShapeError(f"sequence_last: axis must be 0 or 1, got {axis}")
    if len(s) < 2:
        raise ShapeError(f"sequence_last: data must have at least 2 dimensions (sequence, "
                         f"batch, ...), got {s}")
    _check_len("sequence_last", length, s[1 - axis], s)
    return s[:axis] + s[axis + 1:], data.dtype


def _last_index(xp: Any, length: Any, t: int, b: int) -> Any:
    if length is None:
        return xp.full((b,), t - 1, dtype=xp.int64)
    return xp.clip(length.astype(xp.int64) - 1, 0, max(t - 1, 0))


def _last_kernel(xp: Any, data: Any, length: Any, axis: int = 0) -> Any:
    d = xp.moveaxis(data, axis, 0) if axis else data
    idx = _last_index(xp, length, d.shape[0], d.shape[1])
    return d[idx, xp.arange(d.shape[1])]


def _last_backward_kernel(xp: Any, g: Any, length: Any, steps: int = 1, axis: int = 0) -> Any:
    b = g.shape[0]
    out = xp.zeros((steps,) + tuple(g.shape), dtype=g.dtype)
    out[_last_index(xp, length, steps, b), xp.arange(b)] = g
    return xp.moveaxis(out, 0, axis) if axis else out


def _last_backward_infer(g: Any, length: Any, steps: int = 1, axis: int = 0):
    s = tuple(g.shape)
    return s[:axis] + (steps,) + s[axis:], g.dtype


_LAST_BACKWARD = register("_sequence_last_backward", _last_backward_kernel,
                          _last_backward_infer)


def _last_grad(g: Any, out: Any, data: Any, length: Any, axis: int = 0):
    from .ndarray import apply_op

    gd = apply_op(_LAST_BACKWARD, (g, length), {"steps": data.shape[axis], "axis": axis})
    return gd, None


register("sequence_last", _last_kernel, _last_infer, _last_grad)


# ----------------------------------------------------------------------------- sequence_reverse
def _rev_infer(data: Any, length: Any, axis: int = 0):
    s = tuple(data.shape)
    if axis != 0:
        raise ShapeError(f"sequence_reverse: only axis=0 is supported (as in MXNet), got "
                         f"axis={axis}")
    if len(s) < 2:
        raise ShapeError(f"sequence_reverse: data must have at least 2 dimensions "
                         f"(sequence, batch, ...), got {s}")
    _check_len("sequence_reverse", length, s[1], s)
    return s, data.dtype


def _rev_kernel(xp: Any, data: Any, length: Any, axis: int = 0) -> Any:
    if length is None:
        return xp.ascontiguousarray(data[::-1])
    t, b = data.shape[0], data.shape[1]
    n = xp.clip(length.astype(xp.int64), 0, t)[None, :]
    steps = xp.arange(t)[:, None]
    src = xp.where(steps < n, n - 1 - steps, steps)
    return data[src, xp.arange(b)[None, :]]


def _rev_grad(g: Any, out: Any, data: Any, length: Any, axis: int = 0):
    from .ndarray import apply_op

    return apply_op(_REVERSE, (g, length), {"axis": axis}), None


_REVERSE = register("sequence_reverse", _rev_kernel, _rev_infer, _rev_grad)


# ----------------------------------------------------------------------------- cell steps
def _cell_shapes(name: str, gates: int, xw: Any, hw: Any, state: Any) -> tuple:
    sh, sx = tuple(hw.shape), tuple(xw.shape)
    if len(sh) != 2 or sh[1] % gates:
        raise ShapeError(f"{name}: recurrent projection must be (batch, {gates}*hidden), "
                         f"got {sh}")
    if sx != sh and sx != (1,) + sh:
        raise ShapeError(f"{name}: input projection has shape {sx}, expected {sh}")
    want = (sh[0], sh[1] // gates)
    if state is not None and tuple(state.shape) != want:
        raise ShapeError(f"{name}: state has shape {tuple(state.shape)}, expected {want}")
    for a in (xw, hw, state):
        if a is not None and a.dtype.kind != "f":
            raise DTypeError(f"{name}: expected floating-point arrays, got {a.dtype}")
    return want, hw.dtype


def _clip_c(xp: Any, c: Any, lo: Any, hi: Any, nan: bool) -> tuple[Any, Any]:
    """(clipped c, mask of the elements the clip left alone) or (c, None)."""
    if lo is None and hi is None:
        return c, None
    lo = -xp.inf if lo is None else lo
    hi = xp.inf if hi is None else hi
    keep = (c >= lo) & (c <= hi)
    c2 = xp.clip(c, lo, hi)
    if nan:
        c2 = xp.where(xp.isnan(c), xp.asarray(hi, dtype=c.dtype), c2)
    return c2, keep


def _lstm_gates(xp: Any, xw: Any, hw: Any) -> tuple:
    z = xw.reshape(hw.shape) + hw
    h = hw.shape[1] // 4
    i = _sig(xp, z[:, :h])
    f = _sig(xp, z[:, h:2 * h])
    g = xp.tanh(z[:, 2 * h:3 * h])
    o = _sig(xp, z[:, 3 * h:])
    return i, f, g, o


def _lstm_kernel(xp: Any, xw: Any, hw: Any, c_prev: Any, clip_min: Any = None,
                 clip_max: Any = None, clip_nan: bool = False) -> tuple:
    i, f, g, o = _lstm_gates(xp, xw, hw)
    c, _ = _clip_c(xp, f * c_prev + i * g, clip_min, clip_max, clip_nan)
    return o * xp.tanh(c), c.astype(c_prev.dtype, copy=False)


def _lstm_infer(xw: Any, hw: Any, c_prev: Any, clip_min: Any = None, clip_max: Any = None,
                clip_nan: bool = False):
    s, dt = _cell_shapes("lstm step", 4, xw, hw, c_prev)
    return [(s, dt), (s, dt)]


def _lstm_backward_kernel(xp: Any, gh: Any, gc: Any, xw: Any, hw: Any, c_prev: Any,
                          clip_min: Any = None, clip_max: Any = None,
                          clip_nan: bool = False) -> tuple:
    i, f, g, o = _lstm_gates(xp, xw, hw)
    c, keep = _clip_c(xp, f * c_prev + i * g, clip_min, clip_max, clip_nan)
    tc = xp.tanh(c)
    dc = xp.zeros_like(c) if gc is None else gc.astype(c.dtype, copy=True)
    if gh is not None:
        dc += gh * o * (1 - tc * tc)
        do = gh * tc
    else:
        do = xp.zeros_like(c)
    if keep is not None:
        dc = dc * keep
    dz = xp.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                         dc * i * (1 - g * g), do * o * (1 - o)], axis=1)
    return dz.reshape(xw.shape), dz, dc * f


_LSTM_BACKWARD = register(
    "_lstm_cell_backward", _lstm_backward_kernel,
    lambda gh, gc, xw, hw, c_prev, **k: [(tuple(xw.shape), xw.dtype),
                                         (tuple(hw.shape), hw.dtype),
                                         (tuple(c_prev.shape), c_prev.dtype)], nout=3)


def _lstm_grad(g: Any, out: Any, xw: Any, hw: Any, c_prev: Any, **params: Any):
    from .ndarray import apply_op

    if g[0] is None and g[1] is None:
        return None, None, None
    dxw, dhw, dc = apply_op(_LSTM_BACKWARD, (g[0], g[1], xw, hw, c_prev), params)
    return dxw, dhw, dc


register("_lstm_cell", _lstm_kernel, _lstm_infer, _lstm_grad, nout=2)


def _gru_gates(xp: Any, xw: Any, hw: Any) -> tuple:
    h = hw.shape[1] // 3
    xw = xw.reshape(hw.shape)
    r = _sig(xp, xw[:, :h] + hw[:, :h])
    u = _sig(xp, xw[:, h:2 * h] + hw[:, h:2 * h])
    n = xp.tanh(xw[:, 2 * h:] + r * hw[:, 2 * h:])
    return r, u, n


def _gru_kernel(xp: Any, xw: Any, hw: Any, h_prev: Any) -> Any:
    r, u, n = _gru_gates(xp, xw, hw)
    return ((1 - u) * n + u * h_prev).astype(h_prev.dtype, copy=False)


def _gru_backward_kernel(xp: Any, gh: Any, xw: Any, hw: Any, h_prev: Any) -> tuple:
    r, u, n = _gru_gates(xp, xw, hw)
    hh = hw.shape[1] // 3
    dn = gh * (1 - u) * (1 - n * n)
    dr = dn * hw[:, 2 * hh:] * r * (1 - r)
    du = gh * (h_prev - n) * u * (1 - u)
    dxw = xp.concatenate([dr, du, dn], axis=1)
    dhw = xp.concatenate([dr, du, dn * r], axis=1)
    return dxw.reshape(xw.shape), dhw, gh * u


_GRU_BACKWARD = register(
    "_gru_cell_backward", _gru_backward_kernel,
    lambda gh, xw, hw, h_prev: [(tuple(xw.shape), xw.dtype), (tuple(hw.shape), hw.dtype),
                                (tuple(h_prev.shape), h_prev.dtype)], nout=3)


def _gru_grad(g: Any, out: Any, xw: Any, hw: Any, h_prev: Any):
    from .ndarray import apply_op

    return tuple(apply_op(_GRU_BACKWARD, (g, xw, hw, h_prev)))


register("_gru_cell", _gru_kernel,
         lambda xw, hw, h_prev: _cell_shapes("gru step", 3, xw, hw, h_prev), _gru_grad)


def _rnn_kernel(xp: Any, xw: Any, hw: Any, act: str = "tanh") -> Any:
    z = xw.reshape(hw.shape) + hw
    return xp.tanh(z) if act == "tanh" else xp.maximum(z, 0)


def _rnn_backward_kernel(xp: Any, g: Any, y: Any, shape: tuple = (), act: str = "tanh") -> tuple:
    d = g * (1 - y * y) if act == "tanh" else g * (y > 0)
    return d.reshape(shape), d


_RNN_BACKWARD = register(
    "_rnn_cell_backward", _rnn_backward_kernel,
    lambda g, y, shape=(), act="tanh": [(tuple(shape), g.dtype), (tuple(g.shape), g.dtype)],
    nout=2)


def _rnn_grad(g: Any, out: Any, xw: Any, hw: Any, act: str = "tanh"):
    from .ndarray import apply_op

    return tuple(apply_op(_RNN_BACKWARD, (g, out), {"shape": tuple(xw.shape), "act": act}))


def _rnn_infer(xw: Any, hw: Any, act: str = "tanh"):
    if act not in ("tanh", "relu"):
        raise ShapeError(f"rnn step: activation must be 'tanh' or 'relu', got {act!r}")
    return _cell_shapes("rnn step", 1, xw, hw, None)


register("_rnn_cell", _rnn_kernel, _rnn_infer, _rnn_grad)
