"""MobileNet ("MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications", Howard et al. 2017) and MobileNetV2 ("Inverted Residuals and Linear
Bottlenecks", Sandler et al. 2018) at width multipliers 1.0, 0.75, 0.5 and 0.25, as
MXNet 1.9.1's model zoo builds them."""
from __future__ import annotations

from typing import Any

from ....context import cpu
from ...block import HybridBlock
from ... import nn
from ._common import FeaturesOutput, finish

__all__ = ["MobileNet", "MobileNetV2", "mobilenet1_0", "mobilenet_v2_1_0", "mobilenet0_75",
           "mobilenet_v2_0_75", "mobilenet0_5", "mobilenet_v2_0_5", "mobilenet0_25",
           "mobilenet_v2_0_25", "get_mobilenet", "get_mobilenet_v2"]


class RELU6(HybridBlock):
    """``min(max(x, 0), 6)``."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.np.clip(x, 0, 6)


def _conv_bn(out: Any, channels: int = 1, kernel: int = 1, stride: int = 1, pad: int = 0,
             num_group: int = 1, active: bool = True, relu6: bool = False) -> None:
    out.add(nn.Conv2D(channels, kernel, stride, pad, groups=num_group, use_bias=False))
    out.add(nn.BatchNorm(scale=True))
    if active:
        out.add(RELU6() if relu6 else nn.Activation("relu"))


def _depthwise_separable(out: Any, dw_channels: int, channels: int, stride: int,
                         relu6: bool = False) -> None:
    _conv_bn(out, channels=dw_channels, kernel=3, stride=stride, pad=1,
             num_group=dw_channels, relu6=relu6)
    _conv_bn(out, channels=channels, relu6=relu6)


class LinearBottleneck(HybridBlock):
    """MobileNetV2's inverted residual: 1x1 expansion by *t*, 3x3 depthwise (strided),
    linear 1x1 projection; added to the input when the shapes agree."""

    def __init__(self, in_channels: int, channels: int, t: int, stride: int,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.use_shortcut = stride == 1 and in_channels == channels
        with self.name_scope():
            self.out = nn.HybridSequential()
            _conv_bn(self.out, in_channels * t, relu6=True)
            _conv_bn(self.out, in_channels * t, kernel=3, stride=stride, pad=1,
                     num_group=in_channels * t, relu6=True)
            _conv_bn(self.out, channels, active=False, relu6=True)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        out = self.out(x)
        return out + x if self.use_shortcut else out


class MobileNet(FeaturesOutput):
    """MobileNet with width *multiplier*."""

    def __init__(self, multiplier: float = 1.0, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        w = lambda c: int(c * multiplier)  # noqa: E731
        dw = [32, 64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024]
        pw = [64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024] * 2
        strides = [1, 2] * 3 + [1] * 5 + [2, 1]
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                _conv_bn(self.features, channels=w(32), kernel=3, pad=1, stride=2)
                for d, p, s in zip(dw, pw, strides):
                    _depthwise_separable(self.features, w(d), w(p), s)
                self.features.add(nn.GlobalAvgPool2D(), nn.Flatten())
            self.output = nn.Dense(classes)


class MobileNetV2(FeaturesOutput):
    """MobileNetV2 with width *multiplier*."""

    def __init__(self, multiplier: float = 1.0, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        w = lambda c: int(c * multiplier)  # noqa: E731
        ins = [32] + [16] + [24] * 2 + [32] * 3 + [64] * 4 + [96] * 3 + [160] * 3
        outs = [16] + [24] * 2 + [32] * 3 + [64] * 4 + [96] * 3 + [160] * 3 + [320]
        ts = [1] + [6] * 16
        strides = [1, 2] * 2 + [1, 1, 2] + [1] * 6 + [2] + [1] * 3
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="features_")
            with self.features.name_scope():
                _conv_bn(self.features, w(32), kernel=3, stride=2, pad=1, relu6=True)
                for i, o, t, s in zip(ins, outs, ts, strides):
                    self.features.add(LinearBottleneck(in_channels=w(i), channels=w(o), t=t,
                                                       stride=s))
                last = w(1280) if multiplier > 1.0 else 1280
                _conv_bn(self.features, last, relu6=True)
                self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.HybridSequential(prefix="output_")
            with self.output.name_scope():
                self.output.add(nn.Conv2D(classes, 1, use_bias=False, prefix="pred_"),
                                nn.Flatten())


def _file_suffix(multiplier: float) -> str:
    s = f"{multiplier:.2f}"
    return s[:-1] if s in ("1.00", "0.50") else s


def get_mobilenet(multiplier: float, pretrained: bool = False, ctx: Any = None,
                  root: str | None = None, **kwargs: Any) -> Any:
    """MobileNet with width *multiplier*."""
    return finish(MobileNet(multiplier, **kwargs), f"mobilenet{_file_suffix(multiplier)}",
                  pretrained, ctx if ctx is not None else cpu(), root)


def get_mobilenet_v2(multiplier: float, pretrained: bool = False, ctx: Any = None,
                     root: str | None = None, **kwargs: Any) -> Any:
    """MobileNetV2 with width *multiplier*."""
    return finish(MobileNetV2(multiplier, **kwargs),
                  f"mobilenetv2_{_file_suffix(multiplier)}", pretrained,
                  ctx if ctx is not None else cpu(), root)


def _maker(v2: bool, m: float, name: str) -> Any:
    def make(**kwargs: Any) -> Any:
        return (get_mobilenet_v2 if v2 else get_mobilenet)(m, **kwargs)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"MobileNet{'V2' if v2 else ''} with width multiplier {m}."
    return make


mobilenet1_0 = _maker(False, 1.0, "mobilenet1_0")
mobilenet0_75 = _maker(False, 0.75, "mobilenet0_75")
mobilenet0_5 = _maker(False, 0.5, "mobilenet0_5")
mobilenet0_25 = _maker(False, 0.25, "mobilenet0_25")
mobilenet_v2_1_0 = _maker(True, 1.0, "mobilenet_v2_1_0")
mobilenet_v2_0_75 = _maker(True, 0.75, "mobilenet_v2_0_75")
mobilenet_v2_0_5 = _maker(True, 0.5, "mobilenet_v2_0_5")
mobilenet_v2_0_25 = _maker(True, 0.25, "mobilenet_v2_0_25")
