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
  saved pre-activations rather than keeping them.  (What gluon's cells run.)
* ``_rnn_direction``: one layer of ``npx.rnn`` in one direction over the whole sequence,
  from the input projection of every step ``xw`` (T, N, G*H): a loop over the time steps
  inside the kernel (each step one matrix product of the recurrent weights and the
  gates, vectorised over batch and hidden units), so a layer is one op instead of a few
  per step.  It keeps what its gradient needs (the gates and cell states of every
  step) as a fourth output, the *workspace*; its backward kernel runs the steps in
  reverse, one product per step for the state's gradient, and the recurrent weights'
  gradient as one product over all steps.  ``keep`` (T, N) 0/1 marks the steps within
  each sequence's length: past it the state is carried unchanged.
"""
from __future__ import annotations

from typing import Any

from .ops import DTypeError, ShapeError, _blas, register
from .ops_nn import _quiet

__all__: list[str] = []


def _sig(xp: Any, z: Any, out: Any = None) -> Any:
    """1 / (1 + exp(-z)) (into *out*; exp overflows to inf for very negative z, which
    gives the exact 0)."""
    out = xp.empty_like(z) if out is None else out
    with _quiet(xp):
        xp.negative(z, out=out)
        xp.exp(out, out=out)
        out += 1
        xp.reciprocal(out, out=out)
    return out


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
    """(clipped c, mask of the elements the clip left alone) or (c, None).  With *nan*
    a NaN is clipped too (cuDNN's max-then-min without NaN propagation: it becomes the
    lower bound, or the upper one when only that is given)."""
    if lo is None and hi is None:
        return c, None
    lo = -xp.inf if lo is None else lo
    hi = xp.inf if hi is None else hi
    keep = (c >= lo) & (c <= hi)
    if nan:
        c2 = xp.fmin(xp.fmax(c, lo), hi) if lo != -xp.inf else xp.fmin(c, hi)
        return c2.astype(c.dtype, copy=False), keep
    return xp.clip(c, lo, hi), keep


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


# ----------------------------------------------------------------------------- whole direction
_WS = {"lstm": 5, "gru": 4, "rnn_tanh": 1, "rnn_relu": 1}    # workspace width, in H


def _ws_width(mode: str, keep: Any) -> int:
    """Per step: LSTM i, f, g, o, c (and the carried c with lengths); GRU r, z, n and the
    recurrent projection of n; RNN the new state."""
    return _WS[mode] + (mode == "lstm" and keep is not None)


def _dir_infer(xw: Any, wh: Any, bh: Any, h0: Any, c0: Any, keep: Any, whr: Any = None,
               mode: str = "lstm", reverse: bool = False, clip_min: Any = None,
               clip_max: Any = None, clip_nan: bool = False):
    g = {"lstm": 4, "gru": 3}.get(mode, 1)
    sx = tuple(xw.shape)
    if mode not in _WS:
        raise ShapeError(f"rnn: mode must be one of {sorted(_WS)}, got {mode!r}")
    if len(sx) != 3 or sx[2] % g:
        raise ShapeError(f"rnn: the input projection must be (seq, batch, {g}*hidden), got {sx}")
    t, n, h = sx[0], sx[1], sx[2] // g
    p = h
    if whr is not None:
        if mode != "lstm":
            raise ShapeError("rnn: a projection (h2r weight) is only for mode 'lstm'")
        p = whr.shape[0]
        if tuple(whr.shape) != (p, h):
            raise ShapeError(f"rnn: projection weight has shape {tuple(whr.shape)}, expected "
                             f"(projection_size, {h})")
    if tuple(wh.shape) != (g * h, p) or tuple(bh.shape) != (g * h,):
        raise ShapeError(f"rnn: recurrent weight {tuple(wh.shape)} / bias {tuple(bh.shape)}, "
                         f"expected {(g * h, p)} / {(g * h,)}")
    for what, a, want in (("state", h0, (n, p)), ("state_cell", c0, (n, h))):
        if a is not None and tuple(a.shape) != want:
            raise ShapeError(f"rnn: {what} has shape {tuple(a.shape)}, expected {want}")
    if keep is not None and tuple(keep.shape) != (t, n):
        raise ShapeError(f"rnn: the length mask has shape {tuple(keep.shape)}, expected {(t, n)}")
    dt = xw.dtype
    return [((t, n, p), dt), ((n, p), dt), ((n, h), dt), ((t, n, _ws_width(mode, keep) * h), dt)]


def _dir_kernel(xp: Any, xw: Any, wh: Any, bh: Any, h0: Any, c0: Any, keep: Any,
                whr: Any = None, mode: str = "lstm", reverse: bool = False,
                clip_min: Any = None, clip_max: Any = None, clip_nan: bool = False) -> tuple:
    T, N = xw.shape[0], xw.shape[1]
    H = wh.shape[0] // {"lstm": 4, "gru": 3}.get(mode, 1)
    P = h0.shape[1]
    out = xp.empty((T, N, P), dtype=xw.dtype)
    ws = xp.empty((T, N, _ws_width(mode, keep) * H), dtype=xw.dtype)
    h = h0
    c = c0 if c0 is not None else xp.zeros((N, H), dtype=xw.dtype)
    wht = xp.ascontiguousarray(wh.T)          # (P, G*H): a faster product per step
    whrt = None if whr is None else xp.ascontiguousarray(whr.T)
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        hw = xp.matmul(h, wht)
        hw += bh
        w = ws[t]
        if mode == "lstm":
            hw += xw[t]                        # the gates' pre-activations
            _sig(xp, hw, out=w[:, :4 * H])
            xp.tanh(hw[:, 2 * H:3 * H], out=w[:, 2 * H:3 * H])
            i, f, g, o = w[:, :H], w[:, H:2 * H], w[:, 2 * H:3 * H], w[:, 3 * H:4 * H]
            cn = w[:, 4 * H:5 * H]
            xp.multiply(f, c, out=cn)
            cn += i * g
            if clip_min is not None or clip_max is not None:
                cn[...] = _clip_c(xp, cn, clip_min, clip_max, clip_nan)[0]
            hn = xp.tanh(cn)
            hn *= o
            if whrt is not None:               # LSTMP: the state is the projection
                hn = xp.matmul(hn, whrt)
        elif mode == "gru":
            x = xw[t]
            r = _sig(xp, x[:, :H] + hw[:, :H])
            u = _sig(xp, x[:, H:2 * H] + hw[:, H:2 * H])
            nn = xp.tanh(x[:, 2 * H:] + r * hw[:, 2 * H:])
            hn = (1 - u) * nn + u * h
            w[:, :H], w[:, H:2 * H], w[:, 2 * H:3 * H], w[:, 3 * H:] = r, u, nn, hw[:, 2 * H:]
        else:
            hw += xw[t]
            hn = xp.tanh(hw) if mode == "rnn_tanh" else xp.maximum(hw, 0)
            w[:] = hn
        if keep is not None:
            k = keep[t][:, None] != 0
            hn = xp.where(k, hn, h)
            if mode == "lstm":
                cn = xp.where(k, cn, c)
        if mode == "lstm":
            if keep is not None:
                w[:, 5 * H:] = cn              # the carried cell state
            c = cn
        out[t] = hn
        h = out[t]
    return out, xp.array(h, copy=True), xp.array(c, copy=True), ws


def _dir_backward_kernel(xp: Any, gout: Any, gh: Any, gc: Any, xw: Any, wh: Any, h0: Any,
                         c0: Any, keep: Any, out: Any, ws: Any, whr: Any = None,
                         mode: str = "lstm", reverse: bool = False, clip_min: Any = None,
                         clip_max: Any = None, clip_nan: bool = False) -> tuple:
    T, N = xw.shape[0], xw.shape[1]
    H = wh.shape[0] // {"lstm": 4, "gru": 3}.get(mode, 1)
    P = h0.shape[1]
    dz = xp.empty_like(xw)                    # gradient of the gate pre-activations
    dhw = dz if mode != "gru" else xp.empty_like(xw)
    dh = xp.zeros_like(h0) if gh is None else gh.astype(h0.dtype, copy=True)
    dc = xp.zeros((N, H), dtype=xw.dtype) if gc is None or mode != "lstm" else \
        gc.astype(xw.dtype, copy=True)
    if whr is not None:
        d_r = xp.empty((T, N, P), dtype=xw.dtype)     # gradient of each step's projection
        h_raw = xp.empty((T, N, H), dtype=xw.dtype)   # and what was projected
    order = list(range(T - 1, -1, -1) if reverse else range(T))
    prev_of = {t: (order[j - 1] if j else None) for j, t in enumerate(order)}
    hprev = xp.empty_like(out)
    for t in reversed(order):
        p = prev_of[t]
        hp = h0 if p is None else out[p]
        hprev[t] = hp
        if gout is not None:
            dh = dh + gout[t]
        w = ws[t]
        if keep is not None:
            k = (keep[t] != 0)[:, None].astype(dh.dtype)
            dh_carry, dh = dh * (1 - k), dh * k
            if mode == "lstm":
                dc_carry, dc = dc * (1 - k), dc * k
        if mode == "lstm":
            if p is None:
                cp = c0 if c0 is not None else xp.zeros((N, H), dtype=xw.dtype)
            else:
                cp = ws[p][:, 5 * H:] if keep is not None else ws[p][:, 4 * H:5 * H]
            i, f, g, o, cn = (w[:, :H], w[:, H:2 * H], w[:, 2 * H:3 * H], w[:, 3 * H:4 * H],
                              w[:, 4 * H:5 * H])
            d = dz[t]
            tc = xp.tanh(cn)
            if whr is not None:
                d_r[t] = dh
                xp.multiply(o, tc, out=h_raw[t])
                dh = xp.matmul(dh, whr)        # back through the projection
            do = d[:, 3 * H:]
            xp.multiply(dh, tc, out=do)        # d(out gate) * o * (1 - o)
            do *= o
            do *= 1 - o
            tc *= tc                           # dc + dh * o * (1 - tanh(c)^2)
            xp.subtract(1, tc, out=tc)
            tc *= o
            tc *= dh
            tc += dc
            dcn = tc
            if clip_min is not None or clip_max is not None:
                _, kc = _clip_c(xp, f * cp + i * g, clip_min, clip_max, clip_nan)
                dcn *= kc
            di, df, dg = d[:, :H], d[:, H:2 * H], d[:, 2 * H:3 * H]
            xp.multiply(dcn, g, out=di)
            di *= i
            di *= 1 - i
            xp.multiply(dcn, cp, out=df)
            df *= f
            df *= 1 - f
            xp.multiply(dcn, i, out=dg)
            dg *= 1 - g * g
            dc = dcn * f
            dh = xp.matmul(d, wh)
        elif mode == "gru":
            r, u, nn, hwn = w[:, :H], w[:, H:2 * H], w[:, 2 * H:3 * H], w[:, 3 * H:]
            dn = dh * (1 - u) * (1 - nn * nn)
            dr = dn * hwn * r * (1 - r)
            du = dh * (hp - nn) * u * (1 - u)
            dz[t, :, :H], dz[t, :, H:2 * H], dz[t, :, 2 * H:] = dr, du, dn
            dhw[t, :, :H], dhw[t, :, H:2 * H], dhw[t, :, 2 * H:] = dr, du, dn * r
            dh = xp.matmul(dhw[t], wh) + dh * u
        else:
            y = w
            d = dh * (1 - y * y) if mode == "rnn_tanh" else dh * (y > 0)
            dz[t] = d
            dh = xp.matmul(d, wh)
        if keep is not None:
            dh = dh + dh_carry
            if mode == "lstm":
                dc = dc + dc_carry
    g2 = dhw.reshape(T * N, -1)
    dwh = xp.matmul(g2.T, hprev.reshape(T * N, P))
    dbh = g2.sum(axis=0)
    if whr is None:
        dwhr = xp.zeros((0, 0), dtype=wh.dtype)
    else:
        dwhr = xp.matmul(d_r.reshape(T * N, P).T, h_raw.reshape(T * N, H))
    return (dz, dwh.astype(wh.dtype, copy=False), dbh.astype(wh.dtype, copy=False), dh, dc,
            dwhr.astype(wh.dtype, copy=False))


def _dir_backward_infer(gout: Any, gh: Any, gc: Any, xw: Any, wh: Any, h0: Any, c0: Any,
                        keep: Any, out: Any, ws: Any, whr: Any = None, **k: Any):
    h = wh.shape[0] // {"lstm": 4, "gru": 3}.get(k.get("mode", "lstm"), 1)
    dt = xw.dtype
    return [(tuple(xw.shape), dt), (tuple(wh.shape), wh.dtype), ((wh.shape[0],), wh.dtype),
            (tuple(h0.shape), h0.dtype), ((h0.shape[0], h), dt),
            (tuple(whr.shape) if whr is not None else (0, 0), wh.dtype)]


_DIR_BACKWARD = register("_rnn_direction_backward", _blas(_dir_backward_kernel),
                         _dir_backward_infer, nout=6)


def _dir_grad(g: Any, out: Any, xw: Any, wh: Any, bh: Any, h0: Any, c0: Any, keep: Any,
              whr: Any = None, **params: Any):
    from .ndarray import apply_op

    if g[0] is None and g[1] is None and g[2] is None:
        return None, None, None, None, None, None, None
    dxw, dwh, dbh, dh0, dc0, dwhr = apply_op(
        _DIR_BACKWARD, (g[0], g[1], g[2], xw, wh, h0, c0, keep, out[0], out[3], whr), params)
    return (dxw, dwh, dbh, dh0, (dc0 if c0 is not None else None), None,
            (dwhr if whr is not None else None))


register("_rnn_direction", _blas(_dir_kernel), _dir_infer, _dir_grad, nout=4,
         grad_needs_outputs=True)
