"""Convolutional recurrent cells (``mxnet.gluon.contrib.rnn.Conv{1,2,3}D{RNN,LSTM,GRU}Cell``):
the cells of :mod:`ndengine.gluon.rnn` with the two fully-connected products replaced by
convolutions (``npx.convolution``), so that the states keep the input's spatial layout.

Each step computes ``i2h = conv(x, i2h_weight) + i2h_bias`` (kernel *i2h_kernel*, padding
*i2h_pad*, dilation *i2h_dilate*, stride 1) and ``h2h = conv(h, h2h_weight) + h2h_bias``
(kernel *h2h_kernel*, which must be odd, dilation *h2h_dilate*, padded so the state keeps
its size), then the gates as in the fully-connected cells, along the channel axis:

* RNN:  ``h = activation(i2h + h2h)``;
* LSTM: gates i, f, c, o; ``c' = sigmoid(f) * c + sigmoid(i) * activation(c~)``,
  ``h' = sigmoid(o) * activation(c')``;
* GRU:  gates r, z, o; ``n = activation(i2h_o + sigmoid(r) * h2h_o)``,
  ``h' = (1 - sigmoid(z)) * n + sigmoid(z) * h``.

*input_shape* is one sample's step (no batch, no time axis) in *conv_layout*
('NCW'/'NWC', 'NCHW'/'NHWC', 'NCDHW'/'NDHWC'); it fixes the Parameters' shapes
(``i2h_weight`` (G*hidden, C, *kernel) or (G*hidden, *kernel, C) channels-last) and the
state shape (hidden, *conv output size*), as MXNet 1.9.1.
"""
from __future__ import annotations

from typing import Any

from .... import npx as _npx
from .... import numpy as _np
from ...rnn.rnn_cell import HybridRecurrentCell, _activate

__all__ = ["Conv1DRNNCell", "Conv2DRNNCell", "Conv3DRNNCell",
           "Conv1DLSTMCell", "Conv2DLSTMCell", "Conv3DLSTMCell",
           "Conv1DGRUCell", "Conv2DGRUCell", "Conv3DGRUCell"]

_LAYOUTS = {1: ("NCW", "NWC"), 2: ("NCHW", "NHWC"), 3: ("NCDHW", "NDHWC")}


class ConvCellConfigError(ValueError, AssertionError):
    """A convolutional cell built with inconsistent settings: a ValueError, and an
    AssertionError as MXNet 1.9.1's checks are asserts."""


def _conv_out_size(dims: tuple, kernels: tuple, pads: tuple, dilates: tuple) -> tuple:
    return tuple((x + 2 * p - d * (k - 1) - 1) + 1 if x else 0
                 for x, k, p, d in zip(dims, kernels, pads, dilates))


class _BaseConvRNNCell(HybridRecurrentCell):
    """What the nine cells share: the settings, the Parameters and the two convolutions."""

    _gate_names: tuple = ()
    _dims = 0

    def __init__(self, input_shape: Any, hidden_channels: int, i2h_kernel: Any,
                 h2h_kernel: Any, i2h_pad: Any, i2h_dilate: Any, h2h_dilate: Any,
                 i2h_weight_initializer: Any, h2h_weight_initializer: Any,
                 i2h_bias_initializer: Any, h2h_bias_initializer: Any, conv_layout: str,
                 activation: Any, prefix: Any = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        who, dims = type(self).__name__, self._dims
        if not isinstance(hidden_channels, int) or isinstance(hidden_channels, bool) \
                or hidden_channels <= 0:
            raise ConvCellConfigError(f"{who}: hidden_channels must be a positive int, got "
                                      f"{hidden_channels!r}")
        if conv_layout not in _LAYOUTS[dims]:
            raise ConvCellConfigError(f"{who}: conv_layout must be one of "
                                      f"{_LAYOUTS[dims]}, got {conv_layout!r}")
        try:
            input_shape = tuple(int(s) for s in input_shape)
        except TypeError:
            raise ConvCellConfigError(f"{who}: input_shape must be a tuple of {dims + 1} "
                                      f"ints (one step of one sample, {conv_layout[1:]}), "
                                      f"got {input_shape!r}") from None
        if len(input_shape) != dims + 1:
            raise ConvCellConfigError(f"{who}: input_shape must have {dims + 1} entries "
                                      f"({conv_layout[1:]}: no batch axis), got "
                                      f"{input_shape}")
        specs = {}
        for name, spec in (("i2h_kernel", i2h_kernel), ("i2h_pad", i2h_pad),
                           ("i2h_dilate", i2h_dilate), ("h2h_kernel", h2h_kernel),
                           ("h2h_dilate", h2h_dilate)):
            if isinstance(spec, int) and not isinstance(spec, bool):
                spec = (spec,) * dims
            elif not isinstance(spec, (list, tuple)) or len(spec) != dims \
                    or not all(isinstance(v, int) and not isinstance(v, bool) for v in spec):
                raise ConvCellConfigError(
                    f"{who}: for {dims}D convolution, the convolution settings can only be "
                    f"either int or list/tuple of length {dims}; {name} is {spec!r}")
            specs[name] = tuple(spec)
        if not all(k % 2 == 1 for k in specs["h2h_kernel"]):
            raise ConvCellConfigError(f"{who}: only odd h2h_kernel sizes are supported (the "
                                      f"state keeps its size), got h2h_kernel={h2h_kernel!r}")
        self._hidden_channels = hidden_channels
        self._input_shape = input_shape
        self._conv_layout = conv_layout
        self._activation = activation
        self._i2h_kernel = specs["i2h_kernel"]
        self._i2h_pad = specs["i2h_pad"]
        self._i2h_dilate = specs["i2h_dilate"]
        self._h2h_kernel = specs["h2h_kernel"]
        self._h2h_dilate = specs["h2h_dilate"]
        self._stride = (1,) * dims
        self._h2h_pad = tuple(d * (k - 1) // 2 for d, k in zip(self._h2h_dilate,
                                                               self._h2h_kernel))
        self._channel_axis = conv_layout.find("C")
        first = self._channel_axis == 1
        self._in_channels = input_shape[0] if first else input_shape[-1]
        spatial = input_shape[1:] if first else input_shape[:-1]
        out = _conv_out_size(spatial, self._i2h_kernel, self._i2h_pad, self._i2h_dilate)
        if any(s <= 0 for s in out):
            raise ConvCellConfigError(f"{who}: the input convolution (kernel "
                                      f"{self._i2h_kernel}, pad {self._i2h_pad}, dilate "
                                      f"{self._i2h_dilate}) does not fit the input's spatial "
                                      f"size {spatial} (input_shape {input_shape}, "
                                      f"{conv_layout})")
        n = hidden_channels * len(self._gate_names)
        if first:
            i2h_shape = (n, self._in_channels) + self._i2h_kernel
            h2h_shape = (n, hidden_channels) + self._h2h_kernel
            self._state_shape = (hidden_channels,) + out
        else:
            i2h_shape = (n,) + self._i2h_kernel + (self._in_channels,)
            h2h_shape = (n,) + self._h2h_kernel + (hidden_channels,)
            self._state_shape = out + (hidden_channels,)
        self.i2h_weight = self.params.get("i2h_weight", shape=i2h_shape,
                                          init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = self.params.get("h2h_weight", shape=h2h_shape,
                                          init=h2h_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = self.params.get("i2h_bias", shape=(n,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get("h2h_bias", shape=(n,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def __repr__(self) -> str:
        shape = self.i2h_weight.shape
        c = shape[1 if self._channel_axis == 1 else -1]
        act = self._activation
        return f"{type(self).__name__}({c if c else None} -> {shape[0]}, {act}, " \
               f"{self._conv_layout})"

    def state_info(self, batch_size: int = 0) -> list:
        info = {"shape": (batch_size,) + self._state_shape, "__layout__": self._conv_layout}
        return [dict(info) for _ in range(self._num_states)]

    _num_states = 1

    def _convolutions(self, inputs: Any, h: Any, i2h_weight: Any, h2h_weight: Any,
                      i2h_bias: Any, h2h_bias: Any) -> tuple:
        n = self._hidden_channels * len(self._gate_names)
        i2h = _npx.convolution(inputs, i2h_weight, i2h_bias, kernel=self._i2h_kernel,
                               stride=self._stride, pad=self._i2h_pad,
                               dilate=self._i2h_dilate, num_filter=n,
                               layout=self._conv_layout)
        h2h = _npx.convolution(h, h2h_weight, h2h_bias, kernel=self._h2h_kernel,
                               stride=self._stride, pad=self._h2h_pad,
                               dilate=self._h2h_dilate, num_filter=n,
                               layout=self._conv_layout)
        if i2h.shape != h2h.shape:
            raise ValueError(f"{type(self).__name__}: the input convolution gives "
                             f"{i2h.shape} but the state convolution {h2h.shape} (input "
                             f"{inputs.shape}, state {h.shape}; the cell was built for "
                             f"input_shape {self._input_shape}, state shape "
                             f"{self._state_shape}, {self._conv_layout}) on {inputs.device}")
        return i2h, h2h

    def _split(self, x: Any) -> list:
        return _np.split(x, len(self._gate_names), axis=self._channel_axis)


class _ConvRNNCell(_BaseConvRNNCell):
    _gate_names = ("",)

    def _alias(self) -> str:
        return "conv_rnn"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, i2h_weight: Any,
                       h2h_weight: Any, i2h_bias: Any, h2h_bias: Any) -> tuple:
        i2h, h2h = self._convolutions(inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                      h2h_bias)
        out = _activate(i2h + h2h, self._activation)
        return out, [out]


class _ConvLSTMCell(_BaseConvRNNCell):
    _gate_names = ("_i", "_f", "_c", "_o")
    _num_states = 2

    def _alias(self) -> str:
        return "conv_lstm"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, i2h_weight: Any,
                       h2h_weight: Any, i2h_bias: Any, h2h_bias: Any) -> tuple:
        i2h, h2h = self._convolutions(inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                      h2h_bias)
        i, f, g, o = self._split(i2h + h2h)
        c = _npx.sigmoid(f) * states[1] + _npx.sigmoid(i) * _activate(g, self._activation)
        h = _npx.sigmoid(o) * _activate(c, self._activation)
        return h, [h, c]


class _ConvGRUCell(_BaseConvRNNCell):
    _gate_names = ("_r", "_z", "_o")

    def _alias(self) -> str:
        return "conv_gru"

    def hybrid_forward(self, F: Any, inputs: Any, states: Any, i2h_weight: Any,
                       h2h_weight: Any, i2h_bias: Any, h2h_bias: Any) -> tuple:
        i2h, h2h = self._convolutions(inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                      h2h_bias)
        i_r, i_z, i_o = self._split(i2h)
        h_r, h_z, h_o = self._split(h2h)
        r = _npx.sigmoid(i_r + h_r)
        z = _npx.sigmoid(i_z + h_z)
        n = _activate(i_o + r * h_o, self._activation)
        h = (1.0 - z) * n + z * states[0]
        return h, [h]


def _make(kind: type, dims: int, doc: str) -> type:
    default_layout = _LAYOUTS[dims][0]
    zeros, ones = (0,) * dims, (1,) * dims

    def __init__(self: Any, input_shape: Any, hidden_channels: int, i2h_kernel: Any,
                 h2h_kernel: Any, i2h_pad: Any = zeros, i2h_dilate: Any = ones,
                 h2h_dilate: Any = ones, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", conv_layout: str = default_layout,
                 activation: Any = "tanh", prefix: str | None = None,
                 params: Any = None) -> None:
        kind.__init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad,
                      i2h_dilate, h2h_dilate, i2h_weight_initializer, h2h_weight_initializer,
                      i2h_bias_initializer, h2h_bias_initializer, conv_layout, activation,
                      prefix, params)

    name = f"Conv{dims}D{kind.__name__[5:]}"
    __init__.__qualname__ = f"{name}.__init__"
    cls = type(name, (kind,), {"__init__": __init__, "_dims": dims, "__module__": __name__,
                               "__doc__": doc.format(dims=dims, layout=default_layout,
                                                     alt=_LAYOUTS[dims][1])})
    return cls


_RNN_DOC = """{dims}-D convolutional RNN cell: ``h = activation(W * x + b_i + R * h + b_h)``
(``*`` a convolution).  *input_shape* (C, spatial...) in *conv_layout* ('{layout}' by
default, or '{alt}'); one state of shape (batch, hidden_channels, out...)."""
_LSTM_DOC = """{dims}-D convolutional LSTM cell (Shi et al., 2015): gates i, f, c, o
from convolutions of the input and of h; two states (h, c), each (batch, hidden_channels,
out...) in *conv_layout* ('{layout}' by default, or '{alt}')."""
_GRU_DOC = """{dims}-D convolutional GRU cell: gates r, z, o from convolutions of the
input and of h, ``h' = (1 - z) * tanh(Wx_o + r * Rh_o) + z * h``; one state in
*conv_layout* ('{layout}' by default, or '{alt}')."""

Conv1DRNNCell = _make(_ConvRNNCell, 1, _RNN_DOC)
Conv2DRNNCell = _make(_ConvRNNCell, 2, _RNN_DOC)
Conv3DRNNCell = _make(_ConvRNNCell, 3, _RNN_DOC)
Conv1DLSTMCell = _make(_ConvLSTMCell, 1, _LSTM_DOC)
Conv2DLSTMCell = _make(_ConvLSTMCell, 2, _LSTM_DOC)
Conv3DLSTMCell = _make(_ConvLSTMCell, 3, _LSTM_DOC)
Conv1DGRUCell = _make(_ConvGRUCell, 1, _GRU_DOC)
Conv2DGRUCell = _make(_ConvGRUCell, 2, _GRU_DOC)
Conv3DGRUCell = _make(_ConvGRUCell, 3, _GRU_DOC)
