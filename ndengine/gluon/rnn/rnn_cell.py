"""Recurrent cells (``mxnet.gluon.rnn.RNNCell`` ... ``BidirectionalCell``): one time step
per call, ``cell(inputs, states) -> (output, new_states)``, and ``unroll`` over a
sequence.

A cell's Parameters are ``i2h_weight`` (G*H, in), ``h2h_weight`` (G*H, H), ``i2h_bias``,
``h2h_bias`` under its prefix (``lstm0_i2h_weight``), gates in MXNet's order (LSTM i, f,
g, o; GRU r, z, n); ``input_size=0`` is taken from the first input.  With the default
activations a step is two fully-connected ops and one fused step op (the op table's
``_lstm_cell`` / ``_gru_cell`` / ``_rnn_cell``, those of ``npx.rnn``); other activations
are composed from np/npx ops.

``unroll(length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
valid_length=None)``: *inputs* is one array (time on ``layout``'s T axis) or a list of
``length`` arrays (batch, ...); *merge_outputs* None gives the outputs in the form the
inputs came in, True one array, False a list.  With *valid_length* (batch,) the outputs
past each sequence's length are 0 and the states returned are those at its last valid
step.  Legacy ``mx.nd`` inputs give legacy outputs.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ... import npx as _npx
from ... import numpy as _np
from ...ndarray.ndarray import NDArray, apply_op
from ...ndarray.ops import OPS
from ..block import Block, HybridBlock, _indent
from .rnn_layer import _device_of, default_zeros

__all__ = ["RecurrentCell", "HybridRecurrentCell", "RNNCell", "LSTMCell", "GRUCell",
           "SequentialRNNCell", "HybridSequentialRNNCell", "DropoutCell", "ModifierCell",
           "ZoneoutCell", "ResidualCell", "BidirectionalCell"]


# ----------------------------------------------------------------------------- helpers
def _is_tensor(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, (list, tuple))


def _legacy_class() -> Any:
    from ... import ndarray as _nd_pkg

    return _nd_pkg._legacy_class


def _unroll_legacy_aware(fn: Any) -> Any:
    """unroll on legacy (mx.nd) arrays: run on the np arrays behind them, give legacy
    arrays back."""
    def unroll(self: Any, length: Any, inputs: Any, begin_state: Any = None,
               layout: str = "NTC", merge_outputs: Any = None, valid_length: Any = None):
        first = inputs[0] if isinstance(inputs, (list, tuple)) and inputs else inputs
        if first.__class__ is not _legacy_class():
            return fn(self, length, inputs, begin_state, layout, merge_outputs, valid_length)
        from ...legacy.ndarray import unwrap, wrap_all

        out, states = fn(self, length, unwrap(inputs), unwrap(begin_state), layout,
                         merge_outputs, unwrap(valid_length))
        return wrap_all(out), wrap_all(list(states))
    unroll.__doc__ = fn.__doc__
    unroll.__name__ = fn.__name__
    return unroll


def _split_steps(x: NDArray, axis: int) -> list:
    """The steps of *x* along *axis*, that axis dropped (one split op)."""
    n = x.shape[axis]
    parts = _np.split(x, n, axis=axis) if n > 1 else [x]
    return [_np.squeeze(p, axis=axis) for p in parts]


def _format_sequence(length: Any, inputs: Any, layout: str, merge: Any,
                     in_layout: str | None = None) -> tuple:
    """(inputs as a list of steps or one array (per *merge*), the time axis, batch size)."""
    if inputs is None:
        raise ValueError("unroll(inputs=None) is not supported: give the input arrays")
    if layout not in ("NTC", "TNC"):
        raise ValueError(f"unroll: layout must be 'NTC' or 'TNC', got {layout!r}")
    axis = layout.find("T")
    in_axis = in_layout.find("T") if in_layout is not None else axis
    if _is_tensor(inputs):
        batch_size = inputs.shape[layout.find("N")]
        if length is not None and length != inputs.shape[in_axis]:
            raise ValueError(f"unroll: length is {length} but the inputs have "
                             f"{inputs.shape[in_axis]} steps (shape {inputs.shape}, layout "
                             f"{layout})")
        if merge is False:
            inputs = _split_steps(inputs, in_axis)
    else:
        inputs = list(inputs)
        if length is not None and len(inputs) != length:
            raise ValueError(f"unroll: length is {length} but {len(inputs)} inputs were given")
        batch_size = inputs[0].shape[0]
        if merge is True:
            inputs = _np.stack(inputs, axis=axis)
            in_axis = axis
    if _is_tensor(inputs) and axis != in_axis:
        inputs = _np.swapaxes(inputs, axis, in_axis)
    return inputs, axis, batch_size


def _get_begin_state(cell: Any, begin_state: Any, inputs: Any, batch_size: int) -> list:
    if begin_state is not None:
        return list(begin_state)
    x = inputs if _is_tensor(inputs) else inputs[0]
    return cell.begin_state(batch_size=batch_size, ctx=_device_of(x), dtype=x.dtype)


def _mask_steps(data: Any, length: int, valid_length: Any, axis: int, merge: bool) -> Any:
    if not _is_tensor(data):
        data = _np.stack(data, axis=axis)
    out = _npx.sequence_mask(data, valid_length, use_sequence_length=True, axis=axis)
    return out if merge else _split_steps(out, axis)


def _reverse_steps(steps: list, valid_length: Any) -> list:
    if valid_length is None:
        return list(reversed(steps))
    rev = _npx.sequence_reverse(_np.stack(steps, axis=0), valid_length,
                                use_sequence_length=True)
    return _split_steps(rev, 0)


def _cells_state_info(cells: Any, batch_size: int) -> list:
    return sum([c.state_info(batch_size) for c in cells], [])


def _cells_begin_state(cells: Any, **kwargs: Any) -> list:
    return sum([c.begin_state(**kwargs) for c in cells], [])


def _activate(x: Any, activation: Any) -> Any:
    """MXNet's ``_get_activation``: a name (tanh, relu, sigmoid, softsign, or any
    ``Activation`` act_type) or a callable such as an ``nn.LeakyReLU`` block."""
    if activation == "tanh":
        return _np.tanh(x)
    if activation == "relu":
        return _npx.relu(x)
    if activation == "sigmoid":
        return _npx.sigmoid(x)
    if isinstance(activation, str):
        return _npx.activation(x, act_type=activation)
    return activation(x)


def _in_units(x: Any) -> int:
    return int(_onp.prod(x.shape[1:])) if x.ndim > 1 else 1


def _unroll_steps(cell: Any, length: Any, inputs: Any, begin_state: Any, layout: str,
                  merge_outputs: Any, valid_length: Any) -> tuple:
    """A cell stepped over the sequence (what RecurrentCell.unroll does)."""
    cell.reset()
    steps, axis, batch_size = _format_sequence(length, inputs, layout, False)
    states = _get_begin_state(cell, begin_state, steps, batch_size)
    outputs, all_states = [], []
    for x in steps:
        out, states = cell(x, states)
        outputs.append(out)
        if valid_length is not None:
            all_states.append(states)
    if valid_length is not None:
        states = [_npx.sequence_last(_np.stack(list(s), axis=0), valid_length,
                                     use_sequence_length=True, axis=0)
                  for s in zip(*all_states)]
        outputs = _mask_steps(outputs, len(steps), valid_length, axis, True)
    outputs, _, _ = _format_sequence(len(steps), outputs, layout, merge_outputs)
    return outputs, states


# ----------------------------------------------------------------------------- base cells
class RecurrentCell(Block):
    """Abstract base class of the cells: ``state_info``, ``begin_state``, ``unroll``;
    a call is one step, ``cell(inputs, states) -> (output, new_states)``."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self) -> None:
        """Reset the step counters (and a zoneout cell's previous output) before
        another sequence."""
        self._init_counter = -1
        self._counter = -1
        for cell in self._children.values():
            if isinstance(cell, RecurrentCell):
                cell.reset()

    def state_info(self, batch_size: int = 0) -> list:
        """The shape and layout of each state."""
        raise NotImplementedError(f"{type(self).__name__}.state_info")

    def begin_state(self, batch_size: int = 0, func: Any = None, **kwargs: Any) -> list:
        """The initial states for a batch of *batch_size*: ``func(name=..., shape=...,
        **kwargs)`` per state (zeros by default; ``ctx=`` picks the device)."""
        if self._modified:
            raise RuntimeError("After applying modifier cells (e.g. ZoneoutCell) the base "
                               "cell cannot be called directly. Call the modifier cell "
                               "instead.")
        func = default_zeros if func is None else func
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            info = dict(info or {})
            info.update(kwargs)
            states.append(func(name=f"{self._prefix}begin_state_{self._init_counter}", **info))
        return states

    @_unroll_legacy_aware
    def unroll(self, length: Any, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Any = None, valid_length: Any = None) -> tuple:
        """Run the cell over *length* steps of *inputs* (see the module notes): returns
        (outputs, final states)."""
        return _unroll_steps(self, length, inputs, begin_state, layout, merge_outputs,
                             valid_length)

    def forward(self, inputs: Any, states: Any) -> Any:
        """One step: (output, new_states)."""
        self._counter += 1
        return super().forward(inputs, states)


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A cell whose step is ``hybrid_forward(F, inputs, states, **params)``."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.hybrid_forward")


class _GatedCell(HybridRecurrentCell):
    """RNNCell / LSTMCell / GRUCell: the four Parameters and their deferred shape."""

    _gates = 1

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any,
                 h2h_weight_initializer: Any, i2h_bias_initializer: Any,
                 h2h_bias_initializer: Any, input_size: int, prefix: Any, params: Any) -> None:
        super().__init__(prefix=prefix, params=params)
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool) or hidden_size <= 0:
            raise ValueError(f"{type(self).__name__}: hidden_size must be a positive int, got "
                             f"{hidden_size!r}")
        self._hidden_size = hidden_size
        self._input_size = input_size
        n = self._gates * hidden_size
        self.i2h_weight = self.params.get("i2h_weight", shape=(n, input_size),
                                          init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = self.params.get("h2h_weight", shape=(n, hidden_size),
                                          init=h2h_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = self.params.get("i2h_bias", shape=(n,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get("h2h_bias", shape=(n,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def infer_shape(self, inputs: Any, *args: Any) -> None:
        self.i2h_weight.shape = (self._gates * self._hidden_size, _in_units(inputs))

    def state_info(self, batch_size: int = 0) -> list:
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def __repr__(self) -> str:
        shape = self.i2h_weight.shape
        extra = f", {self._activation}" if type(self) is RNNCell else ""
        return (f"{type(self).__name__}({shape[1] if shape[1] else None} -> {shape[0]}"
                f"{extra})")

    def _projections(self, inputs: Any, h: Any, i2h_weight: Any, h2h_weight: Any,
                     i2h_bias: Any, h2h_bias: Any) -> tuple:
        n = self._gates * self._hidden_size
        return (_npx.fully_connected(inputs, i2h_weight, i2h_bias, num_hidden=n),
                _npx.fully_connected(h, h2h_weight, h2h_bias, num_hidden=n))


class RNNCell(_GatedCell):
    """Elman cell: ``h_t = activation(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)``
    (*activation* 'tanh' by default, any npx activation name, or a callable)."""

    def __init__(self, hidden_size: int, activation: Any = "tanh",
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 input_size: int = 0, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation

    def _alias(self) -> str:
        return "rnn"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, i2h_weight: Any,
                       h2h_weight: Any, i2h_bias: Any, h2h_bias: Any) -> tuple:
        i2h, h2h = self._projections(inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                     h2h_bias)
        if self._activation in ("tanh", "relu"):
            out = apply_op(OPS["_rnn_cell"], (i2h, h2h), {"act": self._activation})
        else:
            out = _activate(i2h + h2h, self._activation)
        return out, [out]


class LSTMCell(_GatedCell):
    """LSTM cell (gates i, f, g, o): ``c = f*c + i*g``, ``h = o*activation(c)``;
    *recurrent_activation* (sigmoid) for i, f, o and *activation* (tanh) for g and c.
    Two states, h and c."""

    _gates = 4

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: str | None = None, params: Any = None, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid") -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation
        self._recurrent_activation = recurrent_activation

    def _alias(self) -> str:
        return "lstm"

    def state_info(self, batch_size: int = 0) -> list:
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"},
                {"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, i2h_weight: Any,
                       h2h_weight: Any, i2h_bias: Any, h2h_bias: Any) -> tuple:
        i2h, h2h = self._projections(inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                     h2h_bias)
        if self._activation == "tanh" and self._recurrent_activation == "sigmoid":
            h, c = apply_op(OPS["_lstm_cell"], (i2h, h2h, states[1]))
            return h, [h, c]
        gates = i2h + h2h
        i, f, g, o = _np.split(gates, 4, axis=1)
        ra, a = self._recurrent_activation, self._activation
        c = _activate(f, ra) * states[1] + _activate(i, ra) * _activate(g, a)
        h = _activate(o, ra) * _activate(c, a)
        return h, [h, c]


class GRUCell(_GatedCell):
    """GRU cell, cuDNN's variant (gates r, z, n; the reset gate applied after the
    recurrent product): ``h = (1 - z) * n + z * h_prev``.  One state."""

    _gates = 3

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: str | None = None, params: Any = None) -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)

    def _alias(self) -> str:
        return "gru"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, i2h_weight: Any,
                       h2h_weight: Any, i2h_bias: Any, h2h_bias: Any) -> tuple:
        i2h, h2h = self._projections(inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                     h2h_bias)
        h = apply_op(OPS["_gru_cell"], (i2h, h2h, states[0]))
        return h, [h]


# ----------------------------------------------------------------------------- containers
class _SequentialCells:
    """add / state_info / begin_state / step / unroll of the two sequential cells."""

    def __repr__(self) -> str:
        mods = "\n".join(f"({i}): {_indent(repr(m), 2)}" for i, m in self._children.items())
        return f"{type(self).__name__}(\n{mods}\n)"

    def add(self, cell: Any) -> None:
        """Append *cell* to the stack."""
        self.register_child(cell)

    def state_info(self, batch_size: int = 0) -> list:
        return _cells_state_info(self._children.values(), batch_size)

    def begin_state(self, **kwargs: Any) -> list:
        if self._modified:
            raise RuntimeError("After applying modifier cells (e.g. ZoneoutCell) the base "
                               "cell cannot be called directly. Call the modifier cell "
                               "instead.")
        return _cells_begin_state(self._children.values(), **kwargs)

    def __call__(self, inputs: Any, states: Any) -> tuple:
        self._counter += 1
        next_states = []
        p = 0
        for cell in self._children.values():
            if isinstance(cell, BidirectionalCell):
                raise TypeError(f"{type(self).__name__}: a BidirectionalCell cannot be "
                                f"stepped; use unroll")
            n = len(cell.state_info())
            inputs, state = cell(inputs, list(states[p:p + n]))
            p += n
            next_states.extend(state)
        return inputs, next_states

    @_unroll_legacy_aware
    def unroll(self, length: Any, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Any = None, valid_length: Any = None) -> tuple:
        self.reset()
        inputs, _, batch_size = _format_sequence(length, inputs, layout, None)
        begin_state = _get_begin_state(self, begin_state, inputs, batch_size)
        cells = list(self._children.values())
        p = 0
        next_states = []
        for i, cell in enumerate(cells):
            n = len(cell.state_info())
            inputs, states = cell.unroll(length, inputs, begin_state[p:p + n], layout,
                                         None if i < len(cells) - 1 else merge_outputs,
                                         valid_length)
            p += n
            next_states.extend(states)
        return inputs, next_states

    def __getitem__(self, i: int) -> Any:
        return self._children[str(i)]

    def __len__(self) -> int:
        return len(self._children)


class SequentialRNNCell(_SequentialCells, RecurrentCell):
    """A stack of cells, each step running them in order (the states of all, in
    order)."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        RecurrentCell.__init__(self, prefix=prefix, params=params)


class HybridSequentialRNNCell(_SequentialCells, HybridRecurrentCell):
    """A stack of hybrid cells (``hybridize()`` records nothing)."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        HybridRecurrentCell.__init__(self, prefix=prefix, params=params)

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> tuple:
        return self.__call__(inputs, states)


class DropoutCell(HybridRecurrentCell):
    """Dropout on the inputs (training mode only); no states.  *axes*: the mask is
    shared along them."""

    def __init__(self, rate: float, axes: tuple = (), prefix: str | None = None,
                 params: Any = None) -> None:
        super().__init__(prefix, params)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)):
            raise TypeError(f"DropoutCell: rate must be a number, got {rate!r}")
        self._rate = rate
        self._axes = axes

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rate={self._rate}, axes={self._axes})"

    def state_info(self, batch_size: int = 0) -> list:
        return []

    def _alias(self) -> str:
        return "dropout"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> tuple:
        if self._rate > 0:
            inputs = _npx.dropout(inputs, p=self._rate, axes=self._axes or None)
        return inputs, states

    @_unroll_legacy_aware
    def unroll(self, length: Any, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Any = None, valid_length: Any = None) -> tuple:
        self.reset()
        inputs, _, _ = _format_sequence(length, inputs, layout, merge_outputs)
        if _is_tensor(inputs):
            return self.hybrid_forward(None, inputs, list(begin_state) if begin_state else [])
        return _unroll_steps(self, length, inputs, begin_state, layout, merge_outputs, None)


class ModifierCell(HybridRecurrentCell):
    """A cell that modifies another (*base_cell*, whose Parameters it uses); the base
    cell is then used only through it."""

    def __init__(self, base_cell: Any) -> None:
        if base_cell._modified:
            raise ValueError(f"Cell {base_cell.name} is already modified. One cell cannot be "
                             f"modified twice")
        base_cell._modified = True
        super().__init__(prefix=base_cell.prefix + self._alias(), params=None)
        self.base_cell = base_cell

    @property
    def params(self) -> Any:
        return self.base_cell.params

    def state_info(self, batch_size: int = 0) -> list:
        return self.base_cell.state_info(batch_size)

    def begin_state(self, func: Any = None, **kwargs: Any) -> list:
        if self._modified:
            raise RuntimeError("After applying modifier cells (e.g. DropoutCell) the base "
                               "cell cannot be called directly. Call the modifier cell "
                               "instead.")
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(func=func, **kwargs)
        finally:
            self.base_cell._modified = True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_cell!r})"


class ZoneoutCell(ModifierCell):
    """Zoneout on *base_cell* (training mode): each output / state element keeps its
    previous value with probability *zoneout_outputs* / *zoneout_states*."""

    def __init__(self, base_cell: Any, zoneout_outputs: float = 0.0,
                 zoneout_states: float = 0.0) -> None:
        if isinstance(base_cell, BidirectionalCell):
            raise TypeError("BidirectionalCell doesn't support zoneout since it doesn't "
                            "support step. Please add ZoneoutCell to the cells underneath "
                            "instead.")
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self._prev_output = None

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(p_out={self.zoneout_outputs}, "
                f"p_state={self.zoneout_states}, {self.base_cell!r})")

    def _alias(self) -> str:
        return "zoneout"

    def reset(self) -> None:
        super().reset()
        self._prev_output = None

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> tuple:
        next_output, next_states = self.base_cell(inputs, states)

        def keep_new(p: float, like: Any) -> Any:
            return _npx.dropout(_np.ones_like(like), p=p) != 0

        prev = self._prev_output
        if prev is None:
            prev = _np.zeros_like(next_output)
        output = next_output
        if self.zoneout_outputs != 0.0:
            output = _np.where(keep_new(self.zoneout_outputs, next_output), next_output, prev)
        new_states = list(next_states)
        if self.zoneout_states != 0.0:
            new_states = [_np.where(keep_new(self.zoneout_states, n), n, o)
                          for n, o in zip(next_states, states)]
        self._prev_output = output
        return output, new_states


class ResidualCell(ModifierCell):
    """*base_cell* with its input added to its output (Wu et al., 2016)."""

    def __init__(self, base_cell: Any) -> None:
        super().__init__(base_cell)

    def _alias(self) -> str:
        return "residualcell"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> tuple:
        output, states = self.base_cell(inputs, states)
        return output + inputs, states

    @_unroll_legacy_aware
    def unroll(self, length: Any, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Any = None, valid_length: Any = None) -> tuple:
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(length, inputs, begin_state, layout,
                                                    merge_outputs, valid_length)
        finally:
            self.base_cell._modified = True
        merge = _is_tensor(outputs) if merge_outputs is None else merge_outputs
        inputs, axis, _ = _format_sequence(length, inputs, layout, merge)
        if valid_length is not None:
            inputs = _mask_steps(inputs, length, valid_length, axis, merge)
        if merge:
            return outputs + inputs, states
        return [o + i for o, i in zip(outputs, inputs)], states


class BidirectionalCell(HybridRecurrentCell):
    """*l_cell* over the sequence and *r_cell* over it reversed, outputs concatenated
    on the feature axis; unroll only (a bidirectional step has no meaning)."""

    def __init__(self, l_cell: Any, r_cell: Any, output_prefix: str = "bi_") -> None:
        super().__init__(prefix="", params=None)
        self.register_child(l_cell, "l_cell")
        self.register_child(r_cell, "r_cell")
        self._output_prefix = output_prefix

    def __call__(self, inputs: Any, states: Any) -> Any:
        raise NotImplementedError("Bidirectional cannot be stepped. Please use unroll")

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(forward={self._children['l_cell']!r}, "
                f"backward={self._children['r_cell']!r})")

    def state_info(self, batch_size: int = 0) -> list:
        return _cells_state_info(self._children.values(), batch_size)

    def begin_state(self, **kwargs: Any) -> list:
        if self._modified:
            raise RuntimeError("After applying modifier cells (e.g. DropoutCell) the base "
                               "cell cannot be called directly. Call the modifier cell "
                               "instead.")
        return _cells_begin_state(self._children.values(), **kwargs)

    @_unroll_legacy_aware
    def unroll(self, length: Any, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Any = None, valid_length: Any = None) -> tuple:
        self.reset()
        steps, axis, batch_size = _format_sequence(length, inputs, layout, False)
        reversed_steps = _reverse_steps(steps, valid_length)
        states = _get_begin_state(self, begin_state, steps, batch_size)
        l_cell, r_cell = self._children.values()
        nl = len(l_cell.state_info(batch_size))
        l_out, l_states = l_cell.unroll(length, steps, states[:nl], layout, merge_outputs,
                                        valid_length)
        r_out, r_states = r_cell.unroll(length, reversed_steps, states[nl:], layout, False,
                                        valid_length)
        r_out = _reverse_steps(r_out, valid_length)
        if merge_outputs is None:
            merge_outputs = _is_tensor(l_out)
            l_out, _, _ = _format_sequence(None, l_out, layout, merge_outputs)
            r_out, _, _ = _format_sequence(None, r_out, layout, merge_outputs)
        if merge_outputs:
            if not _is_tensor(r_out):
                r_out = _np.stack(r_out, axis=axis)
            outputs = _np.concatenate([l_out, r_out], axis=2)
        else:
            outputs = [_np.concatenate([lo, ro], axis=1) for lo, ro in zip(l_out, r_out)]
        if valid_length is not None:
            outputs = _mask_steps(outputs, length, valid_length, axis, merge_outputs)
        return outputs, list(l_states) + list(r_states)
