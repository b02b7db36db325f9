"""What the model zoo's families share: the features-then-output network, loading a
pretrained file, the 3x3 convolution."""
from __future__ import annotations

from typing import Any

from ...block import HybridBlock
from ... import nn


class FeaturesOutput(HybridBlock):
    """A network of two children, as every model of the zoo is: ``features`` (the body)
    then ``output`` (the classifier head)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


def conv3x3(channels: int, stride: int, in_channels: int) -> Any:
    return nn.Conv2D(channels, kernel_size=3, strides=stride, padding=1, use_bias=False,
                     in_channels=in_channels)


def relu(F: Any, x: Any) -> Any:
    return F.npx.relu(x)


def finish(net: Any, file_name: str, pretrained: bool, ctx: Any, root: str | None) -> Any:
    """Load *file_name*'s pretrained parameters into *net* when asked."""
    if pretrained:
        from ..model_store import get_model_file

        net.load_parameters(get_model_file(file_name, root=root), ctx=ctx)
    return net
