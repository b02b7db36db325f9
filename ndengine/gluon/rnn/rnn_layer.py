"""The fused recurrent layers (``mxnet.gluon.rnn.RNN`` / ``LSTM`` / ``GRU``).

Each layer holds, per layer ``i`` and direction (``l`` forward, ``r`` reverse), the
Parameters ``{d}{i}_i2h_weight`` (G*H, in), ``{d}{i}_h2h_weight`` (G*H, H),
``{d}{i}_i2h_bias`` and ``{d}{i}_h2h_bias`` (G*H,), named under the block's prefix as in
MXNet (``lstm0_l0_i2h_weight``); the input size of the first layer may be left 0 and is
taken from the first input.  The computation is ``npx.rnn``'s (the same function, given
the Parameters as they are instead of concatenated into its flat vector).

Called as ``layer(inputs)`` it returns the output only; ``layer(inputs, states)``
returns ``(output, new_states)``.  ``save_parameters`` writes MXNet 1.9.1's structural
names (``_unfused.0.i2h_weight``; ``_unfused.0.l_cell.i2h_weight`` when bidirectional),
so the files load in MXNet and back.
"""
from __future__ import annotations

import re
from typing import Any

from ... import _npx_seq
from ... import ndarray as _nd_pkg
from ... import npx as _npx
from ... import numpy as _np
from ..block import HybridBlock

__all__ = ["RNN", "LSTM", "GRU"]

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}
_KEY = re.compile(r"(l|r)(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z")


def default_zeros(shape: Any = None, ctx: Any = None, dtype: Any = None, name: Any = None,
                  device: Any = None, **kwargs: Any) -> Any:
    """The default ``func`` of ``begin_state``: zeros of *shape* on *ctx* (the keys of a
    state_info, such as ``__layout__``, are ignored)."""
    return _np.zeros(shape, dtype=dtype or "float32", device=device or ctx)


def _device_of(x: Any) -> Any:
    return getattr(x, "device", None) or getattr(x, "context", None)


class _RNNLayer(HybridBlock):
    """What the three layers share (``mode``: 'rnn_tanh', 'rnn_relu', 'lstm', 'gru')."""

    def __init__(self, hidden_size: int, num_layers: int, layout: str, dropout: float,
                 bidirectional: bool, input_size: int, i2h_weight_initializer: Any,
                 h2h_weight_initializer: Any, i2h_bias_initializer: Any,
                 h2h_bias_initializer: Any, mode: str, projection_size: Any,
                 h2r_weight_initializer: Any, lstm_state_clip_min: Any,
                 lstm_state_clip_max: Any, lstm_state_clip_nan: bool, dtype: Any,
                 use_sequence_length: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        if layout not in ("TNC", "NTC"):
            raise ValueError(f"{name}: invalid layout {layout!r}; must be one of ['TNC' or "
                             f"'NTC']")
        if projection_size and mode != "lstm":
            raise ValueError(f"{name}: projection_size is only for LSTM")
        for what, v in (("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"{name}: {what} must be a positive int, got {v!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"{name}: dropout must be in [0, 1), got {dropout}")
        self._hidden_size = hidden_size
        self._projection_size = int(projection_size) if projection_size else None
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._lstm_state_clip_min = lstm_state_clip_min
        self._lstm_state_clip_max = lstm_state_clip_max
        self._lstm_state_clip_nan = lstm_state_clip_nan
        self._dtype = dtype
        self._use_sequence_length = use_sequence_length
        self.skip_states: bool | None = None
        self._gates = _GATES[mode]
        ng, ni, nh = self._gates, input_size, hidden_size
        npj = self._projection_size or nh
        for i in range(num_layers):
            for d in ["l", "r"][:self._dir]:
                self._register_param(f"{d}{i}_i2h_weight", (ng * nh, ni),
                                     i2h_weight_initializer, dtype)
                self._register_param(f"{d}{i}_h2h_weight", (ng * nh, npj),
                                     h2h_weight_initializer, dtype)
                self._register_param(f"{d}{i}_i2h_bias", (ng * nh,), i2h_bias_initializer,
                                     dtype)
                self._register_param(f"{d}{i}_h2h_bias", (ng * nh,), h2h_bias_initializer,
                                     dtype)
                if self._projection_size:
                    self._register_param(f"{d}{i}_h2r_weight", (npj, nh),
                                         h2r_weight_initializer, dtype)
            ni = npj * self._dir

    def _register_param(self, name: str, shape: tuple, init: Any, dtype: Any) -> Any:
        p = self.params.get(name, shape=shape, init=init, allow_deferred_init=True,
                            dtype=dtype)
        setattr(self, name, p)
        return p

    def __repr__(self) -> str:
        s = f"{type(self).__name__}({{mapping}}, {self._layout}"
        if self._num_layers != 1:
            s += f", num_layers={self._num_layers}"
        if self._dropout != 0:
            s += f", dropout={self._dropout}"
        if self._dir == 2:
            s += ", bidirectional"
        shape = self.l0_i2h_weight.shape
        mapping = f"{shape[1] if shape[1] else None} -> {shape[0] // self._gates}"
        return s.format(mapping=mapping) + ")"

    def _collect_params_with_prefix(self, prefix: str = "") -> dict:
        """MXNet 1.9.1's structural names (those of the unfused cells it once used)."""
        if prefix:
            prefix += "."
        bi = self._dir == 2
        ret = {}
        for key, val in self._reg_params.items():
            d, layer, g, t = _KEY.match(key).groups()
            ret[prefix + (f"_unfused.{layer}.{d}_cell.{g}_{t}" if bi else
                          f"_unfused.{layer}.{g}_{t}")] = val
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def state_info(self, batch_size: int = 0) -> list:
        ld = self._num_layers * self._dir
        shapes = [(ld, batch_size, self._projection_size or self._hidden_size)]
        if self._mode == "lstm":
            shapes.append((ld, batch_size, self._hidden_size))
        return [{"shape": s, "__layout__": "LNC", "dtype": self._dtype} for s in shapes]

    def cast(self, dtype: Any) -> None:
        super().cast(dtype)
        self._dtype = dtype

    def begin_state(self, batch_size: int = 0, func: Any = None, **kwargs: Any) -> list:
        """The initial states for a batch of *batch_size*: ``func(name=..., shape=...,
        dtype=..., **kwargs)`` per state (zeros by default; ``ctx=`` picks the
        device)."""
        func = default_zeros if func is None else func
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            info.update(kwargs)
            state = func(name=f"{self.prefix}h0_{i}", **info)
            if state.__class__ is _nd_pkg._legacy_class and _npx.is_np_array():
                state = state.as_np_ndarray()       # as MXNet in np mode
            states.append(state)
        return states

    def infer_shape(self, inputs: Any, *args: Any) -> None:
        ni = inputs.shape[-1]
        for d in ["l", "r"][:self._dir]:
            getattr(self, f"{d}0_i2h_weight").shape = (self._gates * self._hidden_size, ni)

    def __call__(self, inputs: Any, states: Any = None, sequence_length: Any = None,
                 **kwargs: Any) -> Any:
        if inputs.__class__ is _nd_pkg._legacy_class:     # mx.nd arrays in, mx.nd out
            from ...legacy.ndarray import unwrap, wrap_all

            return wrap_all(self(unwrap(inputs), unwrap(states), unwrap(sequence_length),
                                 **kwargs))
        self.skip_states = states is None
        if states is None:
            batch_size = inputs.shape[self._layout.find("N")]
            states = self.begin_state(batch_size, ctx=_device_of(inputs),
                                      dtype=inputs.dtype)
        if not isinstance(states, (list, tuple)):
            states = [states]
        states = list(states)
        if self._use_sequence_length:
            if sequence_length is None:
                raise ValueError(f"{type(self).__name__}: use_sequence_length=True needs "
                                 f"sequence_length")
            return super().__call__(inputs, states, sequence_length, **kwargs)
        return super().__call__(inputs, states, **kwargs)

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, sequence_length: Any = None,
                       **params: Any) -> Any:
        batch_size = inputs.shape[self._layout.find("N")]
        if inputs.ndim != 3:
            raise ValueError(f"{type(self).__name__}: inputs must be 3-D ({self._layout}), "
                             f"got shape {inputs.shape}")
        infos = self.state_info(batch_size)
        if len(states) != len(infos):
            raise ValueError(f"{type(self).__name__}: expected {len(infos)} state(s), got "
                             f"{len(states)}")
        for state, info in zip(states, infos):
            if state.shape != info["shape"]:
                raise ValueError(f"Invalid recurrent state shape. Expecting "
                                 f"{info['shape']}, got {state.shape}.")
        x = _np.swapaxes(inputs, 0, 1) if self._layout == "NTC" else inputs
        names = [("weight", "i2h"), ("weight", "h2h"), ("bias", "i2h"), ("bias", "h2h")]
        if self._projection_size:
            names.append(("weight", "h2r"))
        weights = [tuple(params[f"{d}{layer}_{g}_{t}"] for t, g in names)
                   for layer in range(self._num_layers) for d in ["l", "r"][:self._dir]]
        clip = {}
        if self._lstm_state_clip_min is not None or self._lstm_state_clip_max is not None:
            clip = {"clip_min": self._lstm_state_clip_min,
                    "clip_max": self._lstm_state_clip_max,
                    "clip_nan": bool(self._lstm_state_clip_nan)}
        out = _npx_seq.rnn_layers(
            x, weights, states[0], states[1] if self._mode == "lstm" else None,
            sequence_length, mode=self._mode, state_size=self._hidden_size,
            num_layers=self._num_layers, bidirectional=self._dir == 2, p=self._dropout,
            state_outputs=True, clip=clip)
        outputs, new_states = out[0], list(out[1:])
        if self._layout == "NTC":
            outputs = _np.swapaxes(outputs, 0, 1)
        return outputs if self.skip_states else (outputs, new_states)


class RNN(_RNNLayer):
    """A multi-layer Elman RNN, ``h_t = act(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)``
    with *activation* 'relu' (default, as MXNet) or 'tanh'.  One state (layers *
    directions, batch, hidden_size)."""

    def __init__(self, hidden_size: int, num_layers: int = 1, activation: str = "relu",
                 layout: str = "TNC", dropout: float = 0, bidirectional: bool = False,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 input_size: int = 0, dtype: Any = "float32", use_sequence_length: bool = False,
                 **kwargs: Any) -> None:
        if activation not in ("relu", "tanh"):
            raise ValueError(f"RNN: activation must be 'relu' or 'tanh', got {activation!r}")
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, "rnn_" + activation,
                         None, None, None, None, False, dtype, use_sequence_length, **kwargs)


class LSTM(_RNNLayer):
    """A multi-layer LSTM (gates i, f, g, o as MXNet); two states, h and c (layers *
    directions, batch, hidden_size).  *state_clip_min* / *state_clip_max* clip the cell
    state (*state_clip_nan*: NaN becomes the bound).  *projection_size*: LSTMP (the
    ``{d}{i}_h2r_weight`` (projection_size, hidden_size) projects each step's state; h
    and the output then have projection_size features)."""

    def __init__(self, hidden_size: int, num_layers: int = 1, layout: str = "TNC",
                 dropout: float = 0, bidirectional: bool = False, input_size: int = 0,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 projection_size: Any = None, h2r_weight_initializer: Any = None,
                 state_clip_min: Any = None, state_clip_max: Any = None,
                 state_clip_nan: bool = False, dtype: Any = "float32",
                 use_sequence_length: bool = False, **kwargs: Any) -> None:
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, "lstm", projection_size,
                         h2r_weight_initializer, state_clip_min, state_clip_max,
                         state_clip_nan, dtype, use_sequence_length, **kwargs)


class GRU(_RNNLayer):
    """A multi-layer GRU (cuDNN's variant: the reset gate applied after the recurrent
    product; gates r, z, n as MXNet); one state (layers * directions, batch,
    hidden_size)."""

    def __init__(self, hidden_size: int, num_layers: int = 1, layout: str = "TNC",
                 dropout: float = 0, bidirectional: bool = False, input_size: int = 0,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 dtype: Any = "float32", use_sequence_length: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, "gru", None, None, None,
                         None, False, dtype, use_sequence_length, **kwargs)
