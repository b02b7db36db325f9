"""Functions gluon layers need that ``ndengine.npx`` does not (yet) provide, written
from np/npx ops (so autograd differentiates them), and the ``F.npx`` view that
``hybrid_forward`` sees: npx's functions first, these as a fallback."""
from __future__ import annotations

from typing import Any

from ... import npx as _npx
from ... import numpy as _np

__all__ = ["fully_connected", "batch_norm", "layer_norm", "NpxView"]


def fully_connected(x: Any, weight: Any, bias: Any = None, num_hidden: int | None = None,
                    no_bias: bool = False, flatten: bool = True, **_: Any) -> Any:
    """``npx.fully_connected``: ``x @ weight.T + bias``; with *flatten* the input is
    first reshaped to (batch, -1), else the product applies to its last axis."""
    if num_hidden is not None and weight.shape[0] != num_hidden:
        raise ValueError(f"fully_connected: weight has {weight.shape[0]} rows, num_hidden is "
                         f"{num_hidden} (weight {weight.shape}, input {x.shape} on {x.device})")
    if flatten and x.ndim != 2:
        x = x.reshape((x.shape[0], -1)) if x.ndim else x.reshape((1, 1))
    in_units = weight.shape[1]
    if x.shape[-1] != in_units:
        raise ValueError(f"fully_connected: input {x.shape} has {x.shape[-1]} features, the "
                         f"weight {weight.shape} expects {in_units} (on {x.device})")
    y = _np.dot(x, weight.T) if x.ndim == 2 else _np.matmul(x, weight.T)
    if bias is not None and not no_bias:
        y = y + bias
    return y


def batch_norm(x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any,
               eps: float = 1e-5, momentum: float = 0.9, fix_gamma: bool = False,
               use_global_stats: bool = False, axis: int = 1, **_: Any) -> Any:
    """``npx.batch_norm`` in training mode (batch statistics; the running statistics
    are updated in place, outside autograd) or inference mode (running statistics)."""
    from ... import autograd

    axis = axis % x.ndim
    red = tuple(i for i in range(x.ndim) if i != axis)
    shape = tuple(x.shape[axis] if i == axis else 1 for i in range(x.ndim))
    g = _np.ones_like(gamma) if fix_gamma else gamma
    if autograd.is_training() and not use_global_stats:
        mean = x.mean(axis=red)
        var = ((x - mean.reshape(shape)) ** 2).mean(axis=red)
        with autograd.pause():
            m = mean.detach()
            v = var.detach()
            running_mean[...] = running_mean * momentum + m * (1 - momentum)
            running_var[...] = running_var * momentum + v * (1 - momentum)
    else:
        mean, var = running_mean, running_var
    xhat = (x - mean.reshape(shape)) / _np.sqrt(var.reshape(shape) + eps)
    return xhat * g.reshape(shape) + beta.reshape(shape)


def layer_norm(x: Any, gamma: Any, beta: Any, axis: int = -1, eps: float = 1e-5,
               **_: Any) -> Any:
    """``npx.layer_norm``: normalize over *axis*, then scale and shift."""
    axis = axis % x.ndim
    shape = tuple(x.shape[axis] if i == axis else 1 for i in range(x.ndim))
    mean = x.mean(axis=axis, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axis, keepdims=True)
    return (x - mean) / _np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


_EXTRA = {"fully_connected": fully_connected, "batch_norm": batch_norm,
          "layer_norm": layer_norm}


class NpxView:
    """``F.npx`` inside hybrid_forward: ndengine.npx plus the functions above."""

    def __getattr__(self, name: str) -> Any:
        fn = getattr(_npx, name, None)
        if fn is None:
            fn = _EXTRA.get(name)
        if fn is None:
            raise AttributeError(f"npx has no function {name!r}")
        return fn
