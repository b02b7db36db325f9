"""SqueezeNet 1.0 and 1.1 ("SqueezeNet: AlexNet-level accuracy with 50x fewer
parameters and <0.5MB model size", Iandola et al. 2016), as MXNet 1.9.1's model zoo
builds them.  The final 13x13 average pool expects 224x224 inputs."""
from __future__ import annotations

from typing import Any

from ....context import cpu
from ... import nn
from ...contrib.nn import HybridConcurrent
from ._common import FeaturesOutput, finish

__all__ = ["SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


def _conv_relu(channels: int, kernel_size: int, padding: int = 0) -> Any:
    out = nn.HybridSequential(prefix="")
    out.add(nn.Conv2D(channels, kernel_size, padding=padding), nn.Activation("relu"))
    return out


def _fire(squeeze: int, expand1x1: int, expand3x3: int) -> Any:
    """A fire module: a 1x1 squeeze, then 1x1 and 3x3 expansions concatenated."""
    out = nn.HybridSequential(prefix="")
    out.add(_conv_relu(squeeze, 1))
    paths = HybridConcurrent(axis=1, prefix="")
    paths.add(_conv_relu(expand1x1, 1), _conv_relu(expand3x3, 3, 1))
    out.add(paths)
    return out


# the layers after the first convolution: "pool" or a fire module's widths
_LAYOUT = {
    "1.0": ((96, 7), ["pool", (16, 64, 64), (16, 64, 64), (32, 128, 128), "pool",
                      (32, 128, 128), (48, 192, 192), (48, 192, 192), (64, 256, 256), "pool",
                      (64, 256, 256)]),
    "1.1": ((64, 3), ["pool", (16, 64, 64), (16, 64, 64), "pool", (32, 128, 128),
                      (32, 128, 128), "pool", (48, 192, 192), (48, 192, 192), (64, 256, 256),
                      (64, 256, 256)]),
}


class SqueezeNet(FeaturesOutput):
    """SqueezeNet *version* ('1.0' or '1.1')."""

    def __init__(self, version: str, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if version not in _LAYOUT:
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1.0 or 1.1 expected")
        (width, kernel), layers = _LAYOUT[version]
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.Conv2D(width, kernel_size=kernel, strides=2),
                              nn.Activation("relu"))
            for layer in layers:
                if layer == "pool":
                    self.features.add(nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True))
                else:
                    self.features.add(_fire(*layer))
            self.features.add(nn.Dropout(0.5))
            self.output = nn.HybridSequential(prefix="")
            self.output.add(nn.Conv2D(classes, kernel_size=1), nn.Activation("relu"),
                            nn.AvgPool2D(13), nn.Flatten())


def get_squeezenet(version: str, pretrained: bool = False, ctx: Any = None,
                   root: str | None = None, **kwargs: Any) -> Any:
    """SqueezeNet *version*; ``pretrained=True`` loads MXNet's ImageNet parameters."""
    return finish(SqueezeNet(version, **kwargs), f"squeezenet{version}", pretrained,
                  ctx if ctx is not None else cpu(), root)


def squeezenet1_0(**kwargs: Any) -> Any:
    """SqueezeNet 1.0."""
    return get_squeezenet("1.0", **kwargs)


def squeezenet1_1(**kwargs: Any) -> Any:
    """SqueezeNet 1.1 (2.4x less computation than 1.0, as accurate)."""
    return get_squeezenet("1.1", **kwargs)
