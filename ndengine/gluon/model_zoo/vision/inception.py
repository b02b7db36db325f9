"""Inception V3 ("Rethinking the Inception Architecture for Computer Vision", Szegedy et
al. 2015), as MXNet 1.9.1's model zoo builds it (299x299 inputs; MXNet's version has no
auxiliary classifier in the network)."""
from __future__ import annotations

from typing import Any

from ....context import cpu
from ... import nn
from ...contrib.nn import HybridConcurrent
from ._common import FeaturesOutput, finish

__all__ = ["Inception3", "inception_v3"]


def _conv_bn(**kwargs: Any) -> Any:
    out = nn.HybridSequential(prefix="")
    out.add(nn.Conv2D(use_bias=False, **kwargs), nn.BatchNorm(epsilon=0.001),
            nn.Activation("relu"))
    return out


def _branch(pool: str | None, *convs: tuple) -> Any:
    """An optional pool ('avg': 3x3/1 pad 1, 'max': 3x3/2) then conv-BN-ReLU layers, each
    given as (channels, kernel_size, strides, padding) with None for the default."""
    out = nn.HybridSequential(prefix="")
    if pool == "avg":
        out.add(nn.AvgPool2D(pool_size=3, strides=1, padding=1))
    elif pool == "max":
        out.add(nn.MaxPool2D(pool_size=3, strides=2))
    for spec in convs:
        kw = {k: v for k, v in zip(("channels", "kernel_size", "strides", "padding"), spec)
              if v is not None}
        out.add(_conv_bn(**kw))
    return out


def _concat(prefix: str, *makers: Any) -> Any:
    """Branches side by side; each is made inside the block's name scope (so its layers
    are named ``<prefix>conv0``...), in order."""
    out = HybridConcurrent(axis=1, prefix=prefix)
    with out.name_scope():
        for make in makers:
            out.add(make())
    return out


def _a(pool_features: int, prefix: str) -> Any:
    return _concat(prefix,
                   lambda: _branch(None, (64, 1, None, None)),
                   lambda: _branch(None, (48, 1, None, None), (64, 5, None, 2)),
                   lambda: _branch(None, (64, 1, None, None), (96, 3, None, 1),
                                   (96, 3, None, 1)),
                   lambda: _branch("avg", (pool_features, 1, None, None)))


def _b(prefix: str) -> Any:
    return _concat(prefix,
                   lambda: _branch(None, (384, 3, 2, None)),
                   lambda: _branch(None, (64, 1, None, None), (96, 3, None, 1),
                                   (96, 3, 2, None)),
                   lambda: _branch("max"))


def _c(c7: int, prefix: str) -> Any:
    return _concat(prefix,
                   lambda: _branch(None, (192, 1, None, None)),
                   lambda: _branch(None, (c7, 1, None, None), (c7, (1, 7), None, (0, 3)),
                                   (192, (7, 1), None, (3, 0))),
                   lambda: _branch(None, (c7, 1, None, None), (c7, (7, 1), None, (3, 0)),
                                   (c7, (1, 7), None, (0, 3)), (c7, (7, 1), None, (3, 0)),
                                   (192, (1, 7), None, (0, 3))),
                   lambda: _branch("avg", (192, 1, None, None)))


def _d(prefix: str) -> Any:
    return _concat(prefix,
                   lambda: _branch(None, (192, 1, None, None), (320, 3, 2, None)),
                   lambda: _branch(None, (192, 1, None, None), (192, (1, 7), None, (0, 3)),
                                   (192, (7, 1), None, (3, 0)), (192, 3, 2, None)),
                   lambda: _branch("max"))


def _split(head: tuple, *convs: tuple) -> Any:
    """A branch whose last 1x3 and 3x1 convolutions run side by side, concatenated."""
    out = nn.HybridSequential(prefix="")
    out.add(_branch(None, *head))
    both = HybridConcurrent(axis=1, prefix="")
    both.add(_branch(None, (384, (1, 3), None, (0, 1))),
             _branch(None, (384, (3, 1), None, (1, 0))))
    out.add(both)
    return out


def _e(prefix: str) -> Any:
    return _concat(prefix,
                   lambda: _branch(None, (320, 1, None, None)),
                   lambda: _split(((384, 1, None, None),)),
                   lambda: _split(((448, 1, None, None), (384, 3, None, 1))),
                   lambda: _branch("avg", (192, 1, None, None)))


def make_aux(classes: int) -> Any:
    """The auxiliary classifier head (MXNet's model zoo defines it; Inception3 does not
    use it)."""
    out = nn.HybridSequential(prefix="")
    out.add(nn.AvgPool2D(pool_size=5, strides=3), _conv_bn(channels=128, kernel_size=1),
            _conv_bn(channels=768, kernel_size=5), nn.Flatten(), nn.Dense(classes))
    return out


class Inception3(FeaturesOutput):
    """Inception V3 for 299x299 inputs."""

    def __init__(self, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            f = self.features = nn.HybridSequential(prefix="")
            f.add(_conv_bn(channels=32, kernel_size=3, strides=2),
                  _conv_bn(channels=32, kernel_size=3),
                  _conv_bn(channels=64, kernel_size=3, padding=1),
                  nn.MaxPool2D(pool_size=3, strides=2),
                  _conv_bn(channels=80, kernel_size=1),
                  _conv_bn(channels=192, kernel_size=3),
                  nn.MaxPool2D(pool_size=3, strides=2))
            f.add(_a(32, "A1_"), _a(64, "A2_"), _a(64, "A3_"), _b("B_"),
                  _c(128, "C1_"), _c(160, "C2_"), _c(160, "C3_"), _c(192, "C4_"),
                  _d("D_"), _e("E1_"), _e("E2_"))
            f.add(nn.AvgPool2D(pool_size=8), nn.Dropout(0.5))
            self.output = nn.Dense(classes)


def inception_v3(pretrained: bool = False, ctx: Any = None, root: str | None = None,
                 **kwargs: Any) -> Any:
    """Inception V3; ``pretrained=True`` loads MXNet's ImageNet parameters."""
    return finish(Inception3(**kwargs), "inceptionv3", pretrained,
                  ctx if ctx is not None else cpu(), root)
