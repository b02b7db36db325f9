"""gluon Blocks called on legacy NDArrays (MXNet 1.x without ``set_np``: ``net(nd_x)``).

``Block.__call__`` hands a call whose first argument is a legacy array to :func:`call`:

* a block whose computation is ndengine's own (gluon's layers, losses, containers:
  written with np/npx ops) runs on the np arrays behind the legacy ones (no copy), and
  its outputs come back as legacy arrays;
* a block whose ``hybrid_forward`` is the user's gets what MXNet 1.x gives it: ``F`` is
  ``mx.nd``, and the inputs and the parameters are legacy arrays;
* a block whose ``forward`` is the user's runs on the legacy arrays as they are (its
  children convert for themselves).

Forward hooks see the arguments and outputs the block itself sees.
"""
from __future__ import annotations

from typing import Any

from .ndarray import unwrap, wrap_all

__all__ = ["call"]

_KIND: dict[type, str] = {}


def _owner(cls: type, name: str) -> type | None:
    for c in cls.__mro__:
        if name in c.__dict__:
            return c
    return None


def _kind(cls: type) -> str:
    """'np' (ndengine computes it), 'hybrid' (a user hybrid_forward) or 'forward' (a
    user forward)."""
    k = _KIND.get(cls)
    if k is None:
        from ..gluon.block import HybridBlock

        fwd = _owner(cls, "forward")
        if fwd is HybridBlock and issubclass(cls, HybridBlock):
            owner = _owner(cls, "hybrid_forward")
            k = "np" if owner is None or owner.__module__.startswith("ndengine.") else "hybrid"
        else:
            k = "np" if fwd is None or fwd.__module__.startswith("ndengine.") else "forward"
        _KIND[cls] = k
    return k


def _unwrap_all(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap_all(v) for v in x)
    return unwrap(x)


def _wrap_out(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return type(x)(_wrap_out(v) for v in x)
    return wrap_all(x)


def call(block: Any, args: tuple) -> Any:
    """``block(*args)`` where args[0] is a legacy NDArray (see the module docstring)."""
    kind = _kind(type(block))
    if kind == "np":
        return _wrap_out(block(*_unwrap_all(args)))
    for hook in list(block._forward_pre_hooks.values()):
        hook(block, args)
    if kind == "hybrid":
        out = _hybrid_forward(block, args)
    else:
        out = block.forward(*args)
    for hook in list(block._forward_hooks.values()):
        hook(block, args, out)
    return out


def _hybrid_forward(block: Any, args: tuple) -> Any:
    from .. import ndarray as legacy     # mx.nd itself (its legacy names are this package's)

    x = args[0]
    reg = block._reg_params
    if not reg:
        return block.hybrid_forward(legacy, *args)
    if any(p._data is None for p in reg.values()):
        block._finish_deferred(tuple(_unwrap_all(args)))
    ctx = x.context
    params = {name: wrap_all(p.data(ctx)) for name, p in reg.items()}
    return block.hybrid_forward(legacy, *args, **params)
