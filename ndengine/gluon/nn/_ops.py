"""What gluon layers call beyond ``ndengine.npx``, and the ``F.npx`` view that
``hybrid_forward`` sees.

The layers' ops are npx ops of the op table (``ndarray/ops_nn.py``: fully_connected,
batch_norm, layer_norm, embedding...).  The one addition is ``fully_connected`` with
``act_type='relu'``: the same op with ReLU applied in its kernel, on its one fresh
buffer (what ``Dense(units, activation='relu')`` runs), with the gradient masked by
the output.
"""
from __future__ import annotations

from typing import Any

from ... import npx as _npx
from ...ndarray.ndarray import apply_op
from ...ndarray.ops import OPS, ShapeError
from ...numpy._util import as_nd

__all__ = ["fully_connected", "NpxView"]


def fully_connected(x: Any, weight: Any, bias: Any = None, num_hidden: int | None = None,
                    no_bias: bool = False, flatten: bool = True, act_type: str | None = None,
                    **_: Any) -> Any:
    """``npx.fully_connected``, plus ``act_type='relu'`` applied in the same kernel."""
    if act_type is None:
        return _npx.fully_connected(x, weight, bias, num_hidden=num_hidden, no_bias=no_bias,
                                    flatten=flatten)
    if act_type != "relu":
        raise ValueError(f"fully_connected: act_type must be None or 'relu', got {act_type!r}")
    x = as_nd(x)
    if num_hidden is not None and weight.shape[0] != num_hidden:
        raise ShapeError(f"fully_connected: weight has {weight.shape[0]} rows, num_hidden is "
                         f"{num_hidden} (weight {weight.shape}, input {x.shape} on {x.device})")
    b = None if no_bias else bias
    return apply_op(OPS["fully_connected"], (x, weight, b), {"flatten": bool(flatten),
                                                             "act": "relu"})


class NpxView:
    """``F.npx`` inside hybrid_forward: ndengine.npx."""

    def __getattr__(self, name: str) -> Any:
        fn = getattr(_npx, name, None)
        if fn is None:
            raise AttributeError(f"npx has no function {name!r}")
        return fn
