"""Activation layers (``mxnet.gluon.nn.Activation``, LeakyReLU, PReLU, ELU, SELU, GELU,
Swish)."""
from __future__ import annotations

import math
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
    """Leaky ReLU with a learned slope ``alpha`` (shape ``(in_channels,)``)."""

    def __init__(self, alpha_initializer: Any = None, in_channels: int = 1,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get("alpha", shape=(in_channels,),
                                         init=alpha_initializer or _init.Constant(0.25))

    def hybrid_forward(self, F: Any, x: Any, alpha: Any) -> Any:
        a = alpha.reshape((1, -1) + (1,) * (x.ndim - 2)) if x.ndim >= 2 and alpha.size > 1 \
            else alpha
        return F.np.where(x > 0, x, x * a)


class ELU(HybridBlock):
    """``x if x > 0 else alpha * (exp(x) - 1)``."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.np.where(x > 0, x, self._alpha * (F.np.exp(F.np.minimum(x, 0)) - 1))


class SELU(HybridBlock):
    """Scaled ELU (Klambauer et al.)."""

    _ALPHA = 1.6732632423543772848170429916717
    _SCALE = 1.0507009873554804934193349852946

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        neg = self._ALPHA * (F.np.exp(F.np.minimum(x, 0)) - 1)
        return self._SCALE * F.np.where(x > 0, x, neg)


class GELU(HybridBlock):
    """``0.5 * x * (1 + erf(x / sqrt(2)))`` (tanh approximation)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        c = math.sqrt(2.0 / math.pi)
        return 0.5 * x * (1 + F.np.tanh(c * (x + 0.044715 * x * x * x)))


class Swish(HybridBlock):
    """``x * sigmoid(beta * x)``."""

    def __init__(self, beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x * F.npx.sigmoid(self._beta * x)
