"""DenseNet 121/161/169/201 ("Densely Connected Convolutional Networks", Huang et al.
2016), as MXNet 1.9.1's model zoo builds them.  The final 7x7 average pool expects
224x224 inputs."""
from __future__ import annotations

from typing import Any

from ....context import cpu
from ... import nn
from ...contrib.nn import HybridConcurrent, Identity
from ._common import FeaturesOutput, finish

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


def _dense_layer(growth_rate: int, bn_size: int, dropout: float) -> Any:
    """BN-ReLU-1x1 conv (bn_size * growth_rate) - BN-ReLU-3x3 conv (growth_rate), its
    output concatenated to its input."""
    new = nn.HybridSequential(prefix="")
    new.add(nn.BatchNorm(), nn.Activation("relu"),
            nn.Conv2D(bn_size * growth_rate, kernel_size=1, use_bias=False),
            nn.BatchNorm(), nn.Activation("relu"),
            nn.Conv2D(growth_rate, kernel_size=3, padding=1, use_bias=False))
    if dropout:
        new.add(nn.Dropout(dropout))
    out = HybridConcurrent(axis=1, prefix="")
    out.add(Identity(), new)
    return out


def _dense_block(num_layers: int, bn_size: int, growth_rate: int, dropout: float,
                 index: int) -> Any:
    out = nn.HybridSequential(prefix=f"stage{index}_")
    with out.name_scope():
        for _ in range(num_layers):
            out.add(_dense_layer(growth_rate, bn_size, dropout))
    return out


def _transition(channels: int) -> Any:
    out = nn.HybridSequential(prefix="")
    out.add(nn.BatchNorm(), nn.Activation("relu"),
            nn.Conv2D(channels, kernel_size=1, use_bias=False),
            nn.AvgPool2D(pool_size=2, strides=2))
    return out


class DenseNet(FeaturesOutput):
    """A 7x7/2 stem and 3x3/2 max pool, dense blocks of ``block_config[i]`` layers with
    halving transitions between them, BN-ReLU, 7x7 average pool, Dense(classes)."""

    def __init__(self, num_init_features: int, growth_rate: int, block_config: list,
                 bn_size: int = 4, dropout: float = 0, classes: int = 1000,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.Conv2D(num_init_features, kernel_size=7, strides=2,
                                        padding=3, use_bias=False),
                              nn.BatchNorm(), nn.Activation("relu"),
                              nn.MaxPool2D(pool_size=3, strides=2, padding=1))
            width = num_init_features
            for i, n in enumerate(block_config):
                self.features.add(_dense_block(n, bn_size, growth_rate, dropout, i + 1))
                width += n * growth_rate
                if i != len(block_config) - 1:
                    width //= 2
                    self.features.add(_transition(width))
            self.features.add(nn.BatchNorm(), nn.Activation("relu"),
                              nn.AvgPool2D(pool_size=7), nn.Flatten())
            self.output = nn.Dense(classes)


_SPEC = {121: (64, 32, [6, 12, 24, 16]),
         161: (96, 48, [6, 12, 36, 24]),
         169: (64, 32, [6, 12, 32, 32]),
         201: (64, 32, [6, 12, 48, 32])}


def get_densenet(num_layers: int, pretrained: bool = False, ctx: Any = None,
                 root: str | None = None, **kwargs: Any) -> Any:
    """DenseNet with *num_layers* (121, 161, 169, 201) layers."""
    if num_layers not in _SPEC:
        raise ValueError(f"Invalid number of layers: {num_layers}. Options are "
                         f"{sorted(_SPEC)}")
    init, growth, config = _SPEC[num_layers]
    return finish(DenseNet(init, growth, config, **kwargs), f"densenet{num_layers}",
                  pretrained, ctx if ctx is not None else cpu(), root)


def _maker(n: int) -> Any:
    def make(**kwargs: Any) -> Any:
        return get_densenet(n, **kwargs)

    make.__name__ = make.__qualname__ = f"densenet{n}"
    make.__doc__ = f"DenseNet-{n}."
    return make


densenet121, densenet161, densenet169, densenet201 = (_maker(n) for n in (121, 161, 169, 201))
