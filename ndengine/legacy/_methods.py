"""The method forms of legacy functions: ``x.sum(axis=1)`` is ``mx.nd.sum(x, axis=1)``."""
from __future__ import annotations

from typing import Any

from . import creation as _c
from . import nn as _nn
from . import tensor as _t

_SAME = ["sum", "mean", "prod", "max", "min", "nansum", "nanprod", "norm", "argmax", "argmin",
         "argmax_channel", "abs", "sign", "sqrt", "rsqrt", "cbrt", "rcbrt", "square", "exp",
         "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "arcsin", "arccos",
         "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "degrees",
         "radians", "floor", "ceil", "trunc", "fix", "rint", "round", "reciprocal", "relu",
         "sigmoid", "clip", "expand_dims", "flatten", "squeeze", "tile", "repeat", "flip",
         "swapaxes", "split", "split_v2", "slice", "slice_axis", "slice_like", "take", "pick",
         "one_hot", "topk", "sort", "argsort", "broadcast_to", "broadcast_axes",
         "broadcast_like", "reshape_like", "diag", "shape_array",
         "size_array"]
_NN = ["softmax", "log_softmax", "softmin"]


def _method(fn: Any) -> Any:
    def m(self: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)
    m.__name__ = m.__qualname__ = fn.__name__
    m.__doc__ = fn.__doc__
    return m


def reshape(self: Any, *shape: Any, **kwargs: Any) -> Any:
    """``x.reshape((2, -1))``, ``x.reshape(2, -1)`` or ``x.reshape(shape=..., reverse=...)``
    with MXNet's special codes (0, -1, -2, -3, -4)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if "shape" in kwargs:
        if shape:
            raise TypeError("reshape: shape given twice")
        shape = kwargs.pop("shape")
    reverse = kwargs.pop("reverse", False)
    if kwargs:
        raise TypeError(f"reshape: unexpected arguments {sorted(kwargs)}")
    return _t.reshape(self, shape, reverse=reverse)


def transpose(self: Any, *axes: Any) -> Any:
    if len(axes) == 1 and (isinstance(axes[0], (tuple, list)) or axes[0] is None):
        axes = axes[0]
    return _t.transpose(self, axes or None)


def tostype(self: Any, stype: str) -> Any:
    """A copy in storage type *stype*: 'default', 'csr' (2-D) or 'row_sparse' (the sparse
    ones wait for the values: how many are stored sets their components' shapes)."""
    from .sparse import cast_storage

    return cast_storage(self, stype)


METHODS: dict[str, Any] = {n: _method(getattr(_t, n)) for n in _SAME}
METHODS.update({n: _method(getattr(_nn, n)) for n in _NN})
METHODS.update({n: _method(getattr(_c, n)) for n in ("zeros_like", "ones_like")})
METHODS.update({"reshape": reshape, "transpose": transpose, "tostype": tostype})
