"""Activation layers (``mxnet.gluon.nn.Activation``, LeakyReLU, PReLU, ELU, SELU, GELU,
Swish)."""
from __future__ import annotations

from typing import Any

from ... import init as _init
from ..block import HybridBlock

__all__ = ["Activation", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Swish"]


class Activation(HybridBlock):
    """Apply ``npx.activation(x, act_type)``: relu, sigmoid, tanh, softrelu, softsign."""

    def __init__(self, activation: str, **kwargs: Any) -> None:
        if activation not in ("relu", "sigmoid", "tanh", "softrelu", "softsign"):
            raise ValueError(f"Activation: unknown activation {activation!r} (relu, sigmoid, "
                             f"tanh, softrelu, softsign)")
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self) -> str:
        return self._act_type

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if self._act_type == "relu":
            return F.npx.relu(x)
        return F.npx.activation(x, act_type=self._act_type)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._act_type})"


class LeakyReLU(HybridBlock):
    """``x if x > 0 else alpha * x``."""

    def __init__(self, alpha: float, **kwargs: Any) -> None:
        if alpha < 0:
            raise ValueError(f"LeakyReLU: slope coefficient must be non-negative, got {alpha}")
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.npx.leaky_relu(x, act_type="leaky", slope=self._alpha)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._alpha})"


class PReLU(HybridBlock):
    """Leaky ReLU with a learned slope ``alpha`` (shape ``(in_channels,)``: one slope,
    or one per channel of axis 1): ``npx.leaky_relu(x, alpha, act_type='prelu')``."""

    def __init__(self, alpha_initializer: Any = None, in_channels: int = 1,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get("alpha", shape=(in_channels,),
                                         init=alpha_initializer or _init.Constant(0.25))

    def hybrid_forward(self, F: Any, x: Any, alpha: Any) -> Any:
        return F.npx.leaky_relu(x, gamma=alpha, act_type="prelu")


class ELU(HybridBlock):
    """``x if x > 0 else alpha * (exp(x) - 1)``."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.npx.leaky_relu(x, act_type="elu", slope=self._alpha)


class SELU(HybridBlock):
    """Scaled ELU (Klambauer et al.)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.npx.leaky_relu(x, act_type="selu")


class GELU(HybridBlock):
    """``x * Phi(x)`` = ``0.5 * x * (1 + erf(x / sqrt(2)))`` (the exact form, as MXNet)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.npx.leaky_relu(x, act_type="gelu")


class Swish(HybridBlock):
    """``x * sigmoid(beta * x)``."""

    def __init__(self, beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x * F.npx.sigmoid(self._beta * x)
