"""The fused optimizer updates of the legacy namespace (``mx.nd.sgd_update``,
``adam_update``...), on ndengine.ndarray.optim_ops: one engine op each.

MXNet's convention: the optimizer states (momentum, means...) are updated in place; the
new weight goes to ``out`` (usually the weight itself: ``nd.sgd_update(w, g, lr=.1,
out=w)``), or to a new array when no ``out`` is given (the weight is then unchanged)."""
from __future__ import annotations

import inspect
from typing import Any

from ..ndarray import optim_ops as _opt
from ._util import OpParamError, arr
from .ndarray import wrap

_NAMES = ["sgd_update", "sgd_mom_update", "adam_update", "rmsprop_update",
          "rmspropalex_update", "nag_mom_update", "signsgd_update", "signum_update",
          "ftml_update", "ftrl_update"]
__all__ = [n for n in _NAMES if n in _opt.UPDATE_OPS]


def _make(opname: str) -> Any:
    op = _opt.UPDATE_OPS[opname]
    sig = inspect.signature(op.kernel)
    ps = list(sig.parameters.values())[3 + len(op.states) + len(op.inputs):]
    allowed = {p.name for p in ps}
    required = [p.name for p in ps if p.default is inspect.Parameter.empty]
    nstates = len(op.states)

    def f(weight: Any, grad: Any, *states: Any, out: Any = None, name: Any = None,
          lazy_update: bool = True, **params: Any) -> Any:
        fname = f.__name__
        if len(states) != nstates:
            raise TypeError(f"{fname}: takes the states ({', '.join(op.states)}) after weight "
                            f"and grad, got {len(states)} arrays")
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise OpParamError(f"{fname}: unknown parameters {unknown} (it takes "
                               f"{sorted(allowed)})")
        missing = [p for p in required if p not in params]
        if missing:
            raise TypeError(f"{fname}: missing required parameters {missing}")
        w = arr(weight, fname, "weight")
        g = arr(grad, fname, "grad")
        st = tuple(arr(s, fname, n) for s, n in zip(states, op.states))
        if out is None:
            target = w.copy()
        else:
            target = arr(out, fname, "out")
            if target is not w:
                if target.shape != w.shape:
                    raise OpParamError(f"{fname}: out {target.shape} must have the weight's "
                                       f"shape {w.shape}")
                target[...] = w
        _opt.apply_update(opname, target, g, st, **params)
        return out if out is not None else wrap(target)
    f.__name__ = f.__qualname__ = opname
    f.__doc__ = (f"MXNet's fused ``{opname}`` (states {', '.join(op.states) or 'none'}, "
                 f"updated in place); the new weight goes to *out* or a new array.")
    return f


for _n in __all__:
    globals()[_n] = _make(_n)
