"""AlexNet ("One weird trick for parallelizing convolutional neural networks",
Krizhevsky 2014), as MXNet 1.9.1's model zoo builds it."""
from __future__ import annotations

from typing import Any

from ....context import cpu
from ... import nn
from ._common import FeaturesOutput, finish

__all__ = ["AlexNet", "alexnet"]


class AlexNet(FeaturesOutput):
    """Five convolutions (11x11/4, 5x5, 3x3 x 3) with ReLU and three 3x3/2 max pools, two
    Dense(4096, relu) with dropout 0.5, Dense(classes)."""

    def __init__(self, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                f = self.features
                f.add(nn.Conv2D(64, kernel_size=11, strides=4, padding=2, activation="relu"))
                f.add(nn.MaxPool2D(pool_size=3, strides=2))
                f.add(nn.Conv2D(192, kernel_size=5, padding=2, activation="relu"))
                f.add(nn.MaxPool2D(pool_size=3, strides=2))
                for width in (384, 256, 256):
                    f.add(nn.Conv2D(width, kernel_size=3, padding=1, activation="relu"))
                f.add(nn.MaxPool2D(pool_size=3, strides=2))
                f.add(nn.Flatten())
                for _ in range(2):
                    f.add(nn.Dense(4096, activation="relu"))
                    f.add(nn.Dropout(0.5))
            self.output = nn.Dense(classes)


def alexnet(pretrained: bool = False, ctx: Any = None, root: str | None = None,
            **kwargs: Any) -> Any:
    """AlexNet; ``pretrained=True`` loads MXNet's ImageNet parameters."""
    return finish(AlexNet(**kwargs), "alexnet", pretrained, ctx if ctx is not None else cpu(),
                  root)
