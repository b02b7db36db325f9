"""``mx.nd.CachedOp``: a symbol's graph called like a function on arrays (MXNet 1.x).

``CachedOp(sym, flags=())`` takes every input of *sym* — arguments and auxiliary states,
in ``sym.list_inputs()`` order — as positional arrays, and gives its output (one array)
or outputs (a list).  Each node runs as its op-table op, pushed to the engine and
recorded by autograd like any other op, so gradients reach the inputs and a
BatchNorm's running statistics (auxiliary inputs) are updated in training mode, as in
MXNet.  *flags* (``static_alloc``, ``static_shape``, ...) are MXNet's memory-planning
hints: accepted and checked for form, they change nothing here (``HybridBlock.
hybridize`` is ndengine's way to replay a graph as one engine op)."""
from __future__ import annotations

from typing import Any

__all__ = ["CachedOp"]


class CachedOp:
    """A callable over *sym*'s graph (see the module notes)."""

    def __init__(self, sym: Any, flags: Any = ()) -> None:
        from ..symbol import Symbol

        if not isinstance(sym, Symbol):
            raise TypeError(f"CachedOp: sym must be a Symbol, got {type(sym).__name__}")
        try:
            self._flags = dict(flags)
        except (TypeError, ValueError):
            raise TypeError(f"CachedOp: flags must be (name, value) pairs, got {flags!r}") \
                from None
        self._sym = sym
        self._names = sym.list_inputs()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from ..symbol.symbol import evaluate
        from .ndarray import NDArray, wrap

        out = kwargs.pop("out", None)
        kwargs.pop("default_ctx", None)      # the inputs' device is used, as in MXNet
        if kwargs:
            raise TypeError(f"CachedOp: unexpected keyword argument {next(iter(kwargs))!r}")
        if len(args) != len(self._names):
            raise ValueError(f"CachedOp: the graph takes {len(self._names)} inputs "
                             f"{self._names}, got {len(args)}")
        for name, a in zip(self._names, args):
            if not hasattr(a, "shape"):
                raise TypeError(f"CachedOp: input {name!r} must be an array, got "
                                f"{type(a).__name__}")
        feed = {n: a._arr if a.__class__ is NDArray else a for n, a in zip(self._names, args)}
        outs = evaluate(self._sym, feed)
        if any(a.__class__ is NDArray for a in args):      # mx.nd in, mx.nd out
            outs = [wrap(o) for o in outs]
        if out is not None:
            targets = [out] if isinstance(out, NDArray) or not isinstance(out, (list, tuple)) \
                else list(out)
            if len(targets) != len(outs):
                raise ValueError(f"CachedOp: out has {len(targets)} arrays for "
                                 f"{len(outs)} outputs")
            for src, dst in zip(outs, targets):
                if tuple(src.shape) != tuple(dst.shape):
                    raise ValueError(f"CachedOp: out of shape {tuple(dst.shape)} for an "
                                     f"output of shape {tuple(src.shape)}")
                src.copyto(dst)
            return out
        return outs[0] if len(outs) == 1 else outs

    def __repr__(self) -> str:
        return f"CachedOp(inputs={self._names}, outputs={self._sym.list_outputs()})"
