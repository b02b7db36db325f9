"""VGG 11/13/16/19 ("Very Deep Convolutional Networks for Large-Scale Image
Recognition", Simonyan & Zisserman 2014), with or without batch norm, as MXNet 1.9.1's
model zoo builds them (its initializers too: Xavier gaussian, fan-out, magnitude 2 for the
convolutions, normal for the dense layers)."""
from __future__ import annotations

from typing import Any

from ....context import cpu
from ....init import Xavier
from ... import nn
from ._common import FeaturesOutput, finish

__all__ = ["VGG", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn",
           "vgg19_bn", "get_vgg"]


class VGG(FeaturesOutput):
    """``layers[i]`` 3x3 convolutions of ``filters[i]`` channels (each with ReLU, and batch
    norm when *batch_norm*) then a 2x2 max pool, for each stage; two Dense(4096, relu)
    with dropout 0.5; Dense(classes)."""

    def __init__(self, layers: list, filters: list, classes: int = 1000,
                 batch_norm: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if len(layers) != len(filters):
            raise ValueError(f"VGG: layers and filters need the same length, got "
                             f"layers={layers}, filters={filters}")
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            for n, width in zip(layers, filters):
                for _ in range(n):
                    self.features.add(nn.Conv2D(
                        width, kernel_size=3, padding=1,
                        weight_initializer=Xavier(rnd_type="gaussian", factor_type="out",
                                                  magnitude=2),
                        bias_initializer="zeros"))
                    if batch_norm:
                        self.features.add(nn.BatchNorm())
                    self.features.add(nn.Activation("relu"))
                self.features.add(nn.MaxPool2D(strides=2))
            for _ in range(2):
                self.features.add(nn.Dense(4096, activation="relu", weight_initializer="normal",
                                           bias_initializer="zeros"))
                self.features.add(nn.Dropout(rate=0.5))
            self.output = nn.Dense(classes, weight_initializer="normal",
                                   bias_initializer="zeros")


_SPEC = {11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
         13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
         16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
         19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512])}


def get_vgg(num_layers: int, pretrained: bool = False, ctx: Any = None,
            root: str | None = None, **kwargs: Any) -> Any:
    """VGG with *num_layers* (11, 13, 16, 19) layers; ``batch_norm=True`` for the BN
    variant."""
    if num_layers not in _SPEC:
        raise ValueError(f"Invalid number of layers: {num_layers}. Options are "
                         f"{sorted(_SPEC)}")
    layers, filters = _SPEC[num_layers]
    net = VGG(layers, filters, **kwargs)
    suffix = "_bn" if kwargs.get("batch_norm") else ""
    return finish(net, f"vgg{num_layers}{suffix}", pretrained,
                  ctx if ctx is not None else cpu(), root)


def _maker(num_layers: int, bn: bool) -> Any:
    def make(**kwargs: Any) -> Any:
        if bn:
            kwargs["batch_norm"] = True
        return get_vgg(num_layers, **kwargs)

    make.__name__ = make.__qualname__ = f"vgg{num_layers}{'_bn' if bn else ''}"
    make.__doc__ = f"VGG-{num_layers}{' with batch norm' if bn else ''}."
    return make


vgg11, vgg13, vgg16, vgg19 = (_maker(n, False) for n in (11, 13, 16, 19))
vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn = (_maker(n, True) for n in (11, 13, 16, 19))
