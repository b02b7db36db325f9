"""Convolution and pooling layers (``mxnet.gluon.nn``): Conv1D/2D/3D, their
transposes, Max/Avg pooling 1D/2D/3D, global Max/Avg pooling, ReflectionPad2D.

The layers call ``npx.convolution`` / ``npx.deconvolution`` / ``npx.pooling`` (ops of
the op table: ndarray/ops_conv.py).  Parameters follow MXNet 1.9.1: ``<prefix>weight``
of shape (channels, in_channels / groups, *kernel) for a convolution and
(in_channels, channels / groups, *kernel) for a transposed one (channels-last layouts:
the channel axis last, e.g. (channels, kh, kw, in_channels / groups) for NHWC),
``<prefix>bias`` (channels,); prefixes ``conv0_``, ``pool0_``.  Without *in_channels*
the weight's input-channel dimension is 0 until the first forward infers it from the
input (deferred initialization)."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..block import HybridBlock
from .activations import Activation

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
           "Conv3DTranspose", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D",
           "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "ReflectionPad2D"]

_LAYOUTS = {1: ("NCW", "NWC"), 2: ("NCHW", "NHWC"), 3: ("NCDHW", "NDHWC")}


def _ntuple(name: str, what: str, v: Any, nd: int) -> tuple[int, ...]:
    """An int repeated on every spatial axis, or a sequence of *nd* ints."""
    if isinstance(v, (int, _onp.integer)) and not isinstance(v, bool):
        return (int(v),) * nd
    try:
        t = tuple(int(a) for a in v)
    except TypeError:
        raise ValueError(f"{name}: {what} must be an int or a tuple of {nd} ints, got "
                         f"{v!r}") from None
    if len(t) != nd:
        raise ValueError(f"{name}: {what} must be a number or a list of {nd} ints, got {v!r}")
    return t


def _check_layout(name: str, layout: str, nd: int, channels_last: bool = True) -> None:
    valid = _LAYOUTS[nd] if channels_last else _LAYOUTS[nd][:1]
    if layout not in valid:
        raise ValueError(f"{name}: only the {' and '.join(repr(v) for v in valid)} "
                         f"layout{'s are' if len(valid) > 1 else ' is'} supported, got "
                         f"{layout!r}")


# ----------------------------------------------------------------------------- convolution
class _Conv(HybridBlock):
    """An N-d convolution (or transposed convolution) layer: ``act(conv(x, weight) +
    bias)``."""

    _transposed = False

    def __init__(self, channels: int, kernel_size: Any, strides: Any, padding: Any,
                 dilation: Any, groups: int, layout: str, in_channels: int = 0,
                 activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 output_padding: Any = None, nd: int = 2, prefix: str | None = None,
                 params: Any = None) -> None:
        name = type(self).__name__
        super().__init__(prefix=prefix, params=params)
        if not isinstance(channels, (int, _onp.integer)) or channels <= 0:
            raise ValueError(f"{name}: channels must be a positive int, got {channels!r}")
        if not isinstance(groups, (int, _onp.integer)) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
        _check_layout(name, layout, nd, channels_last=True)
        kernel = _ntuple(name, "kernel_size", kernel_size, nd)
        self._kwargs: dict[str, Any] = {
            "kernel": kernel, "stride": _ntuple(name, "strides", strides, nd),
            "dilate": _ntuple(name, "dilation", dilation, nd),
            "pad": _ntuple(name, "padding", padding, nd), "num_filter": int(channels),
            "num_group": int(groups), "no_bias": not use_bias, "layout": layout}
        if self._transposed:
            self._kwargs["adj"] = _ntuple(name, "output_padding", output_padding or 0, nd)
            self.outpad = self._kwargs["adj"]
        self._channels = int(channels)
        self._in_channels = int(in_channels)
        self._last = layout[-1] == "C"
        with self.name_scope():
            self.weight = self.params.get("weight", shape=self._weight_shape(in_channels),
                                          init=weight_initializer, allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(channels,), init=bias_initializer,
                                            allow_deferred_init=True)
            else:
                self.bias = None
            self.act = Activation(activation, prefix=activation + "_") if activation else None

    def _weight_shape(self, in_channels: int) -> tuple[int, ...]:
        g = self._kwargs["num_group"]
        k = self._kwargs["kernel"]
        if self._transposed:
            lead, ch = (in_channels,), self._channels // g
        else:
            if in_channels and in_channels % g:
                raise ValueError(f"{type(self).__name__}: in_channels={in_channels} must be "
                                 f"divisible by groups={g}")
            lead, ch = (self._channels,), in_channels // g
        return lead + (k + (ch,) if self._last else (ch,) + k)

    def _alias(self) -> str:
        return "conv"

    def infer_shape(self, x: Any, *args: Any) -> None:
        nd = len(self._kwargs["kernel"])
        if x.ndim != nd + 2:
            raise ValueError(f"{type(self).__name__}: input {x.shape} must have {nd + 2} axes "
                             f"(layout {self._kwargs['layout']})")
        c = x.shape[-1] if self._last else x.shape[1]
        if not self._transposed and c % self._kwargs["num_group"]:
            raise ValueError(f"{type(self).__name__}: the input's {c} channels (input "
                             f"{x.shape}) are not divisible by groups="
                             f"{self._kwargs['num_group']}")
        self.weight.shape = self._weight_shape(c)

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        op = F.npx.deconvolution if self._transposed else F.npx.convolution
        out = op(x, weight, bias, **self._kwargs)
        return self.act(out) if self.act is not None else out

    def __repr__(self) -> str:
        kw = self._kwargs
        nd = len(kw["kernel"])
        s = f"{type(self).__name__}({{mapping}}, kernel_size={kw['kernel']}, " \
            f"stride={kw['stride']}"
        if kw["pad"] != (0,) * nd:
            s += f", padding={kw['pad']}"
        if kw["dilate"] != (1,) * nd:
            s += f", dilation={kw['dilate']}"
        if self._transposed and self.outpad != (0,) * nd:
            s += f", output_padding={self.outpad}"
        if kw["num_group"] != 1:
            s += f", groups={kw['num_group']}"
        if self.bias is None:
            s += ", bias=False"
        if self.act is not None:
            s += f", {self.act}"
        shape = self.weight.shape
        # MXNet's mapping: the weight's dims 1 -> 0 (for a transposed layer that reads
        # "channels/groups -> in_channels")
        return s.format(mapping=f"{shape[1] if shape[1] else None} -> {shape[0]}") + ")"


class _ConvTranspose(_Conv):
    _transposed = True


class Conv1D(_Conv):
    """1-D convolution over (N, C, W) input (``mxnet.gluon.nn.Conv1D``)."""

    def __init__(self, channels: int, kernel_size: Any, strides: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, layout: str = "NCW",
                 activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, nd=1, **kwargs)


class Conv2D(_Conv):
    """2-D convolution over (N, C, H, W) (or NHWC) input (``mxnet.gluon.nn.Conv2D``)."""

    def __init__(self, channels: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: Any = (0, 0), dilation: Any = (1, 1), groups: int = 1,
                 layout: str = "NCHW", activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, nd=2, **kwargs)


class Conv3D(_Conv):
    """3-D convolution over (N, C, D, H, W) (or NDHWC) input."""

    def __init__(self, channels: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: Any = (0, 0, 0), dilation: Any = (1, 1, 1), groups: int = 1,
                 layout: str = "NCDHW", activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, nd=3, **kwargs)


class Conv1DTranspose(_ConvTranspose):
    """1-D transposed convolution (``npx.deconvolution``); *output_padding* is added to
    one side of the output (MXNet's adj)."""

    def __init__(self, channels: int, kernel_size: Any, strides: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, dilation: Any = 1, groups: int = 1,
                 layout: str = "NCW", activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, output_padding=output_padding, nd=1, **kwargs)


class Conv2DTranspose(_ConvTranspose):
    """2-D transposed convolution (``npx.deconvolution``)."""

    def __init__(self, channels: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: Any = (0, 0), output_padding: Any = (0, 0), dilation: Any = (1, 1),
                 groups: int = 1, layout: str = "NCHW", activation: str | None = None,
                 use_bias: bool = True, weight_initializer: Any = None,
                 bias_initializer: Any = "zeros", in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, output_padding=output_padding, nd=2, **kwargs)


class Conv3DTranspose(_ConvTranspose):
    """3-D transposed convolution (``npx.deconvolution``)."""

    def __init__(self, channels: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: Any = (0, 0, 0), output_padding: Any = (0, 0, 0),
                 dilation: Any = (1, 1, 1), groups: int = 1, layout: str = "NCDHW",
                 activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, output_padding=output_padding, nd=3, **kwargs)


# ----------------------------------------------------------------------------- pooling
class _Pooling(HybridBlock):
    """``npx.pooling`` with fixed arguments (no parameters)."""

    def __init__(self, pool_size: Any, strides: Any, padding: Any, ceil_mode: bool,
                 global_pool: bool, pool_type: str, layout: str, nd: int,
                 count_include_pad: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        _check_layout(name, layout, nd)
        kernel = _ntuple(name, "pool_size", pool_size, nd)
        self._kwargs: dict[str, Any] = {
            "kernel": kernel,
            "stride": kernel if strides is None else _ntuple(name, "strides", strides, nd),
            "pad": _ntuple(name, "padding", padding, nd), "global_pool": global_pool,
            "pool_type": pool_type, "layout": layout,
            "pooling_convention": "full" if ceil_mode else "valid"}
        if count_include_pad is not None:
            self._kwargs["count_include_pad"] = bool(count_include_pad)

    def _alias(self) -> str:
        return "pool"

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.npx.pooling(x, **self._kwargs)

    def __repr__(self) -> str:
        kw = self._kwargs
        return (f"{type(self).__name__}(size={kw['kernel']}, stride={kw['stride']}, "
                f"padding={kw['pad']}, ceil_mode={kw['pooling_convention'] == 'full'}, "
                f"global_pool={kw['global_pool']}, pool_type={kw['pool_type']}, "
                f"layout={kw['layout']})")


# (the argument orders differ between the classes, as in MXNet 1.9.1)
class MaxPool1D(_Pooling):
    """1-D max pooling of (N, C, W) input: windows of *pool_size* every *strides*
    (default: pool_size), *padding* on both sides; *ceil_mode* rounds the output size
    up (the 'full' convention)."""

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: Any = 0,
                 layout: str = "NCW", ceil_mode: bool = False, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, 1,
                         **kwargs)


class MaxPool2D(_Pooling):
    """2-D max pooling of (N, C, H, W) (or NHWC) input (see :class:`MaxPool1D`)."""

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: Any = 0,
                 layout: str = "NCHW", ceil_mode: bool = False, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, 2,
                         **kwargs)


class MaxPool3D(_Pooling):
    """3-D max pooling of (N, C, D, H, W) (or NDHWC) input (see :class:`MaxPool1D`)."""

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, layout: str = "NCDHW", **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, 3,
                         **kwargs)


class AvgPool1D(_Pooling):
    """1-D average pooling (see :class:`MaxPool1D`); *count_include_pad*: the padding
    counts in each window's average."""

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: Any = 0,
                 layout: str = "NCW", ceil_mode: bool = False, count_include_pad: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout, 1,
                         count_include_pad, **kwargs)


class AvgPool2D(_Pooling):
    """2-D average pooling (see :class:`AvgPool1D`)."""

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, layout: str = "NCHW", count_include_pad: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout, 2,
                         count_include_pad, **kwargs)


class AvgPool3D(_Pooling):
    """3-D average pooling (see :class:`AvgPool1D`)."""

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, layout: str = "NCDHW",
                 count_include_pad: bool = True, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout, 3,
                         count_include_pad, **kwargs)


def _global_class(name: str, nd: int, pool_type: str) -> type:
    layout0 = _LAYOUTS[nd][0]

    def __init__(self: Any, layout: str = layout0, **kwargs: Any) -> None:
        _Pooling.__init__(self, (1,) * nd, None, 0, True, True, pool_type, layout, nd,
                          **kwargs)

    doc = (f"Global {nd}-D {'average' if pool_type == 'avg' else 'max'} pooling: each "
           f"channel's whole map to one value (the spatial axes kept, of size 1).")
    return type(name, (_Pooling,), {"__init__": __init__, "__doc__": doc,
                                    "__module__": __name__, "__qualname__": name})


GlobalMaxPool1D = _global_class("GlobalMaxPool1D", 1, "max")
GlobalMaxPool2D = _global_class("GlobalMaxPool2D", 2, "max")
GlobalMaxPool3D = _global_class("GlobalMaxPool3D", 3, "max")
GlobalAvgPool1D = _global_class("GlobalAvgPool1D", 1, "avg")
GlobalAvgPool2D = _global_class("GlobalAvgPool2D", 2, "avg")
GlobalAvgPool3D = _global_class("GlobalAvgPool3D", 3, "avg")


# ----------------------------------------------------------------------------- padding
class ReflectionPad2D(HybridBlock):
    """Pad the last two axes of (N, C, H, W) input by reflection (the edge not
    repeated): *padding* an int (all four sides) or MXNet's 8-tuple of (before, after)
    per axis, whose N and C pairs must be 0."""

    def __init__(self, padding: Any = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(padding, (int, _onp.integer)):
            padding = (0, 0, 0, 0, int(padding), int(padding), int(padding), int(padding))
        padding = tuple(int(p) for p in padding)
        if len(padding) != 8 or any(padding[:4]) or min(padding) < 0:
            raise ValueError(f"ReflectionPad2D: padding must be an int or 8 values with the "
                             f"first four 0 (N and C are not padded), got {padding!r}")
        self._padding = padding

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if x.ndim != 4:
            raise ValueError(f"ReflectionPad2D: input {x.shape} must be 4-D (N, C, H, W)")
        p = self._padding
        return F.pad(x, ((0, 0), (0, 0), (p[4], p[5]), (p[6], p[7])), mode="reflect")
