"""``mxnet.gluon.contrib.rnn``'s other cells: :class:`VariationalDropoutCell` (one dropout
mask for every time step) and :class:`LSTMPCell` (LSTM with a projected recurrent
state), and :func:`dynamic_unroll`, built on :mod:`ndengine.gluon.rnn`'s cells."""
from __future__ import annotations

from typing import Any

from .... import npx as _npx
from .... import numpy as _np
from ....ndarray.ndarray import apply_op
from ....ndarray.ops import OPS
from ...rnn.rnn_cell import (BidirectionalCell, HybridRecurrentCell, ModifierCell,
                             _format_sequence, _get_begin_state, _in_units, _is_tensor,
                             _mask_steps, _unroll_legacy_aware, _unroll_steps)

__all__ = ["VariationalDropoutCell", "LSTMPCell"]


class VariationalDropoutCell(ModifierCell):
    """Variational dropout (Gal & Ghahramani, 2016) on *base_cell*: the inputs, the first
    state (h) and the outputs are each multiplied by one dropout mask, drawn at the first
    step after :meth:`reset` and kept for every step until the next reset (``unroll``
    resets first).  Rates of 0 apply nothing; outside training the masks are ones.

    ``unroll`` without state dropout applies the input and output masks to the whole
    sequence at once (dropout shared along the time axis) and returns merged outputs
    unless ``merge_outputs=False``, as MXNet 1.9.1."""

    def __init__(self, base_cell: Any, drop_inputs: float = 0., drop_states: float = 0.,
                 drop_outputs: float = 0.) -> None:
        if drop_states and isinstance(base_cell, BidirectionalCell):
            raise _VarDropConfigError(
                "BidirectionalCell doesn't support variational state dropout. Please add "
                "VariationalDropoutCell to the cells underneath instead.")
        for name, rate in (("drop_inputs", drop_inputs), ("drop_states", drop_states),
                           ("drop_outputs", drop_outputs)):
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) \
                    or not 0 <= rate < 1:
                raise _VarDropConfigError(f"VariationalDropoutCell: {name} must be a rate "
                                          f"in [0, 1), got {rate!r}")
        super().__init__(base_cell)
        self.drop_inputs = drop_inputs
        self.drop_states = drop_states
        self.drop_outputs = drop_outputs
        self.drop_inputs_mask = None
        self.drop_states_mask = None
        self.drop_outputs_mask = None

    def _alias(self) -> str:
        return "vardrop"

    def reset(self) -> None:
        super().reset()
        self.drop_inputs_mask = None
        self.drop_states_mask = None
        self.drop_outputs_mask = None

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(p_out = {self.drop_outputs}, "
                f"p_state = {self.drop_states})")

    @staticmethod
    def _mask(like: Any, p: float) -> Any:
        return _npx.dropout(_np.ones_like(like), p=p)

    def hybrid_forward(self, F: Any, inputs: Any, states: Any) -> tuple:
        if self.drop_states and self.drop_states_mask is None:
            self.drop_states_mask = self._mask(states[0], self.drop_states)
        if self.drop_inputs and self.drop_inputs_mask is None:
            self.drop_inputs_mask = self._mask(inputs, self.drop_inputs)
        if self.drop_states:
            # only h, the first state, is dropped
            states = [states[0] * self.drop_states_mask] + list(states[1:])
        if self.drop_inputs:
            inputs = inputs * self.drop_inputs_mask
        output, next_states = self.base_cell(inputs, states)
        if self.drop_outputs:
            if self.drop_outputs_mask is None:
                self.drop_outputs_mask = self._mask(output, self.drop_outputs)
            output = output * self.drop_outputs_mask
        return output, next_states

    @_unroll_legacy_aware
    def unroll(self, length: Any, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Any = None, valid_length: Any = None) -> tuple:
        """Run the cell over the sequence (see :mod:`ndengine.gluon.rnn.rnn_cell`)."""
        if self.drop_states:       # the state mask needs the steps one by one
            return _unroll_steps(self, length, inputs, begin_state, layout, merge_outputs,
                                 valid_length)
        self.reset()
        inputs, axis, batch_size = _format_sequence(length, inputs, layout, True)
        states = _get_begin_state(self, begin_state, inputs, batch_size)
        if self.drop_inputs:
            inputs = _npx.dropout(inputs, p=self.drop_inputs, axes=(axis,))
        outputs, states = self.base_cell.unroll(length, inputs, states, layout,
                                                merge_outputs=True, valid_length=valid_length)
        if self.drop_outputs:
            outputs = _npx.dropout(outputs, p=self.drop_outputs, axes=(axis,))
        merge = _is_tensor(outputs) if merge_outputs is None else merge_outputs
        outputs, _, _ = _format_sequence(length, outputs, layout, merge)
        if valid_length is not None:
            outputs = _mask_steps(outputs, length, valid_length, axis, merge)
        return outputs, states


class _VarDropConfigError(ValueError, AssertionError):
    """Bad VariationalDropoutCell settings: a ValueError, and an AssertionError as MXNet
    1.9.1's assert."""


class LSTMPCell(HybridRecurrentCell):
    """LSTM cell with a projection (Sak et al., 2014): the LSTM step on the projected
    recurrent state ``r`` (gates i, f, g, o), then ``r' = h2r_weight @ h'`` (no bias).
    States [r (batch, projection_size), c (batch, hidden_size)]; the output is r'.
    Parameters ``i2h_weight`` (4H, in), ``h2h_weight`` (4H, P), ``h2r_weight`` (P, H),
    ``i2h_bias``, ``h2h_bias`` (4H,)."""

    def __init__(self, hidden_size: int, projection_size: int,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 h2r_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        for name, v in (("hidden_size", hidden_size), ("projection_size", projection_size)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"LSTMPCell: {name} must be a positive int, got {v!r}")
        self._hidden_size = hidden_size
        self._projection_size = projection_size
        self._input_size = input_size
        g = 4 * hidden_size
        self.i2h_weight = self.params.get("i2h_weight", shape=(g, input_size),
                                          init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = self.params.get("h2h_weight", shape=(g, projection_size),
                                          init=h2h_weight_initializer, allow_deferred_init=True)
        self.h2r_weight = self.params.get("h2r_weight", shape=(projection_size, hidden_size),
                                          init=h2r_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = self.params.get("i2h_bias", shape=(g,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get("h2h_bias", shape=(g,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def _alias(self) -> str:
        return "lstmp"

    def infer_shape(self, inputs: Any, *args: Any) -> None:
        self.i2h_weight.shape = (4 * self._hidden_size, _in_units(inputs))

    def state_info(self, batch_size: int = 0) -> list:
        return [{"shape": (batch_size, self._projection_size), "__layout__": "NC"},
                {"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def __repr__(self) -> str:
        shape = self.i2h_weight.shape
        return (f"{type(self).__name__}({shape[1] if shape[1] else None} -> {shape[0]} -> "
                f"{self.h2r_weight.shape[0]})")

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, i2h_weight: Any,
                       h2h_weight: Any, h2r_weight: Any, i2h_bias: Any,
                       h2h_bias: Any) -> tuple:
        g = 4 * self._hidden_size
        i2h = _npx.fully_connected(inputs, i2h_weight, i2h_bias, num_hidden=g)
        h2h = _npx.fully_connected(states[0], h2h_weight, h2h_bias, num_hidden=g)
        # the fused LSTM step of gluon.rnn.LSTMCell / npx.rnn: (h, c) from the gates
        h, c = apply_op(OPS["_lstm_cell"], (i2h, h2h, states[1]))
        r = _npx.fully_connected(h, h2r_weight, None, num_hidden=self._projection_size,
                                 no_bias=True)
        return r, [r, c]


def dynamic_unroll(cell: Any, inputs: Any, begin_state: Any, drop_inputs: float = 0,
                   drop_outputs: float = 0, layout: str = "TNC",
                   valid_length: Any = None) -> tuple:
    """Step *cell* over *inputs* (one array, time on *layout*'s T axis) from
    *begin_state*: (outputs merged on the time axis, final states).  With *valid_length*
    the states stop changing after each sequence's last valid step and the outputs past
    it are 0.  *drop_inputs* / *drop_outputs*: dropout with one mask over the time axis
    (training mode only).  MXNet 1.9.1 runs this as ``contrib.foreach``; here it is a
    loop of the cell's steps."""
    from ....legacy.ndarray import unwrap, wrap_all
    from ...rnn.rnn_cell import _legacy_class

    if inputs.__class__ is _legacy_class():
        out, states = dynamic_unroll(cell, unwrap(inputs), unwrap(list(begin_state)),
                                     drop_inputs, drop_outputs, layout, unwrap(valid_length))
        return wrap_all(out), wrap_all(list(states))
    if not _is_tensor(inputs):
        raise TypeError(f"dynamic_unroll: inputs must be one array (time on the T axis of "
                        f"{layout!r}), got {type(inputs).__name__}")
    if layout not in ("NTC", "TNC"):
        raise ValueError(f"dynamic_unroll: layout must be 'NTC' or 'TNC', got {layout!r}")
    axis = layout.find("T")
    x = _np.swapaxes(inputs, 0, 1) if axis else inputs      # time first
    if drop_inputs:
        x = _npx.dropout(x, p=drop_inputs, axes=(0,))
    states = list(begin_state)
    outputs = []
    for t in range(x.shape[0]):
        out, new_states = cell(x[t], states)
        if valid_length is not None:
            alive = valid_length > t
            new_states = [_np.where(alive.reshape((-1,) + (1,) * (n.ndim - 1)), n, s)
                          for n, s in zip(new_states, states)]
        outputs.append(out)
        states = list(new_states)
    y = _np.stack(outputs, axis=0)
    if drop_outputs:
        y = _npx.dropout(y, p=drop_outputs, axes=(0,))
    if valid_length is not None:
        y = _npx.sequence_mask(y, valid_length, use_sequence_length=True, axis=0)
    if axis:
        y = _np.swapaxes(y, 0, 1)
    return y, states
