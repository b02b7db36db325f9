"""ResNet V1 ("Deep Residual Learning for Image Recognition", He et al. 2015) and V2
("Identity Mappings in Deep Residual Networks", He et al. 2016), 18 to 152 layers, as
MXNet 1.9.1's model zoo builds them (same blocks, children and prefixes, so the same
parameter names).

``thumbnail=True`` replaces the 7x7/2 stem and its max pool by one 3x3/1 convolution,
for small (CIFAR-sized) images.
"""
from __future__ import annotations

from typing import Any

from ....context import cpu
from ...block import HybridBlock
from ... import nn
from ._common import FeaturesOutput, conv3x3, finish, relu

__all__ = ["ResNetV1", "ResNetV2", "BasicBlockV1", "BasicBlockV2", "BottleneckV1",
           "BottleneckV2", "resnet18_v1", "resnet34_v1", "resnet50_v1", "resnet101_v1",
           "resnet152_v1", "resnet18_v2", "resnet34_v2", "resnet50_v2", "resnet101_v2",
           "resnet152_v2", "get_resnet"]


def _shortcut_v1(channels: int, stride: int, in_channels: int) -> Any:
    down = nn.HybridSequential(prefix="")
    down.add(nn.Conv2D(channels, kernel_size=1, strides=stride, use_bias=False,
                       in_channels=in_channels))
    down.add(nn.BatchNorm())
    return down


class _ResidualV1(HybridBlock):
    """ReLU of ``body(x)`` plus the input, or its projection by ``downsample``."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        shortcut = self.downsample(x) if self.downsample else x
        return relu(F, self.body(x) + shortcut)


class BasicBlockV1(_ResidualV1):
    """Two 3x3 convolutions with batch norm, added to the input (or to its 1x1 projection
    when *downsample*), then ReLU."""

    def __init__(self, channels: int, stride: int, downsample: bool = False,
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.body = nn.HybridSequential(prefix="")
        self.body.add(conv3x3(channels, stride, in_channels), nn.BatchNorm(),
                      nn.Activation("relu"), conv3x3(channels, 1, channels), nn.BatchNorm())
        self.downsample = _shortcut_v1(channels, stride, in_channels) if downsample else None


class BottleneckV1(_ResidualV1):
    """1x1 (channels/4, strided), 3x3, 1x1 (channels) convolutions with batch norm, added
    to the input (or its projection), then ReLU."""

    def __init__(self, channels: int, stride: int, downsample: bool = False,
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        mid = channels // 4
        self.body = nn.HybridSequential(prefix="")
        self.body.add(nn.Conv2D(mid, kernel_size=1, strides=stride), nn.BatchNorm(),
                      nn.Activation("relu"), conv3x3(mid, 1, mid), nn.BatchNorm(),
                      nn.Activation("relu"), nn.Conv2D(channels, kernel_size=1, strides=1),
                      nn.BatchNorm())
        self.downsample = _shortcut_v1(channels, stride, in_channels) if downsample else None


class BasicBlockV2(HybridBlock):
    """Pre-activation basic block: BN, ReLU, 3x3 conv, BN, ReLU, 3x3 conv, plus the input
    (or a 1x1 projection of the first activation when *downsample*)."""

    def __init__(self, channels: int, stride: int, downsample: bool = False,
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = conv3x3(channels, stride, in_channels)
        self.bn2 = nn.BatchNorm()
        self.conv2 = conv3x3(channels, 1, channels)
        self.downsample = (nn.Conv2D(channels, 1, stride, use_bias=False,
                                     in_channels=in_channels) if downsample else None)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        shortcut = x
        x = relu(F, self.bn1(x))
        if self.downsample:
            shortcut = self.downsample(x)
        x = self.conv1(x)
        x = self.conv2(relu(F, self.bn2(x)))
        return x + shortcut


class BottleneckV2(HybridBlock):
    """Pre-activation bottleneck: (BN, ReLU, conv) x 3 with 1x1, 3x3 (strided), 1x1
    kernels, plus the input or a projection of the first activation."""

    def __init__(self, channels: int, stride: int, downsample: bool = False,
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        mid = channels // 4
        self.bn1 = nn.BatchNorm()
        self.conv1 = nn.Conv2D(mid, kernel_size=1, strides=1, use_bias=False)
        self.bn2 = nn.BatchNorm()
        self.conv2 = conv3x3(mid, stride, mid)
        self.bn3 = nn.BatchNorm()
        self.conv3 = nn.Conv2D(channels, kernel_size=1, strides=1, use_bias=False)
        self.downsample = (nn.Conv2D(channels, 1, stride, use_bias=False,
                                     in_channels=in_channels) if downsample else None)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        shortcut = x
        x = relu(F, self.bn1(x))
        if self.downsample:
            shortcut = self.downsample(x)
        x = self.conv1(x)
        x = self.conv2(relu(F, self.bn2(x)))
        x = self.conv3(relu(F, self.bn3(x)))
        return x + shortcut


def _stage(block: type, n: int, channels: int, stride: int, index: int,
           in_channels: int) -> Any:
    stage = nn.HybridSequential(prefix=f"stage{index}_")
    with stage.name_scope():
        stage.add(block(channels, stride, channels != in_channels, in_channels=in_channels,
                        prefix=""))
        for _ in range(n - 1):
            stage.add(block(channels, 1, False, in_channels=channels, prefix=""))
    return stage


def _stem(features: Any, channels: int, thumbnail: bool) -> None:
    if thumbnail:
        features.add(conv3x3(channels, 1, 0))
    else:
        features.add(nn.Conv2D(channels, 7, 2, 3, use_bias=False), nn.BatchNorm(),
                     nn.Activation("relu"), nn.MaxPool2D(3, 2, 1))


class ResNetV1(FeaturesOutput):
    """ResNet V1: stem, four stages of *block* (``layers[i]`` blocks of ``channels[i+1]``
    channels, stride 2 from the second stage), global average pool, Dense(classes)."""

    def __init__(self, block: type, layers: list, channels: list, classes: int = 1000,
                 thumbnail: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if len(layers) != len(channels) - 1:
            raise ValueError(f"ResNetV1: channels needs one entry more than layers, got "
                             f"layers={layers}, channels={channels}")
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            _stem(self.features, channels[0], thumbnail)
            for i, n in enumerate(layers):
                self.features.add(_stage(block, n, channels[i + 1], 1 if i == 0 else 2, i + 1,
                                         channels[i]))
            self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.Dense(classes, in_units=channels[-1])


class ResNetV2(FeaturesOutput):
    """ResNet V2: a scale-free input batch norm, stem, four pre-activation stages, BN,
    ReLU, global average pool, Dense(classes)."""

    def __init__(self, block: type, layers: list, channels: list, classes: int = 1000,
                 thumbnail: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if len(layers) != len(channels) - 1:
            raise ValueError(f"ResNetV2: channels needs one entry more than layers, got "
                             f"layers={layers}, channels={channels}")
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.BatchNorm(scale=False, center=False))
            _stem(self.features, channels[0], thumbnail)
            in_channels = channels[0]
            for i, n in enumerate(layers):
                self.features.add(_stage(block, n, channels[i + 1], 1 if i == 0 else 2, i + 1,
                                         in_channels))
                in_channels = channels[i + 1]
            self.features.add(nn.BatchNorm(), nn.Activation("relu"), nn.GlobalAvgPool2D(),
                              nn.Flatten())
            self.output = nn.Dense(classes, in_units=in_channels)


_SPEC = {18: ("basic", [2, 2, 2, 2], [64, 64, 128, 256, 512]),
         34: ("basic", [3, 4, 6, 3], [64, 64, 128, 256, 512]),
         50: ("bottleneck", [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
         101: ("bottleneck", [3, 4, 23, 3], [64, 256, 512, 1024, 2048]),
         152: ("bottleneck", [3, 8, 36, 3], [64, 256, 512, 1024, 2048])}
_NETS = {1: (ResNetV1, {"basic": BasicBlockV1, "bottleneck": BottleneckV1}),
         2: (ResNetV2, {"basic": BasicBlockV2, "bottleneck": BottleneckV2})}


def get_resnet(version: int, num_layers: int, pretrained: bool = False, ctx: Any = None,
               root: str | None = None, **kwargs: Any) -> Any:
    """ResNet *version* (1 or 2) with *num_layers* (18, 34, 50, 101, 152) layers."""
    if num_layers not in _SPEC:
        raise ValueError(f"Invalid number of layers: {num_layers}. Options are "
                         f"{sorted(_SPEC)}")
    if version not in _NETS:
        raise ValueError(f"Invalid resnet version: {version}. Options are 1 and 2.")
    kind, layers, channels = _SPEC[num_layers]
    net_cls, blocks = _NETS[version]
    net = net_cls(blocks[kind], layers, channels, **kwargs)
    return finish(net, f"resnet{num_layers}_v{version}", pretrained,
                  ctx if ctx is not None else cpu(), root)


def _maker(version: int, num_layers: int) -> Any:
    def make(**kwargs: Any) -> Any:
        return get_resnet(version, num_layers, **kwargs)

    make.__name__ = make.__qualname__ = f"resnet{num_layers}_v{version}"
    make.__doc__ = (f"ResNet-{num_layers} V{version}; ``pretrained=True`` loads MXNet's "
                    f"ImageNet parameters (see :mod:`..model_store`).")
    return make


resnet18_v1, resnet34_v1, resnet50_v1, resnet101_v1, resnet152_v1 = (
    _maker(1, n) for n in (18, 34, 50, 101, 152))
resnet18_v2, resnet34_v2, resnet50_v2, resnet101_v2, resnet152_v2 = (
    _maker(2, n) for n in (18, 34, 50, 101, 152))
