"""The fused optimizer updates of the legacy namespace (``mx.nd.sgd_update``,
``adam_update``...), on ndengine.ndarray.optim_ops: one engine op each.

MXNet's convention: the optimizer states (momentum, means...) are updated in place; the
new weight goes to ``out`` (usually the weight itself: ``nd.sgd_update(w, g, lr=.1,
out=w)``), or to a new array when no ``out`` is given (the weight is then unchanged).
A row-sparse gradient (``mx.nd.sparse``) with ``lazy_update`` (the default) updates only
its rows in ``sgd_update``, ``sgd_mom_update`` and ``adam_update``, as MXNet's; the
other updates use its dense value."""
from __future__ import annotations

import inspect
from typing import Any

import numpy as _onp

from .. import numpy as _np
from ..ndarray import ops_sparse as _sparse_ops
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
        if lazy_update and opname in _sparse_ops.LAZY_UPDATES and \
                getattr(grad, "_STYPE", None) == "row_sparse":
            # MXNet's lazy update: only the rows the gradient stores (weight and states)
            _sparse_ops.lazy_update(opname, target, grad._parts[0], grad._parts[1], st,
                                    **params)
        else:
            _opt.apply_update(opname, target, g, st, **params)
        return out if out is not None else wrap(target)
    f.__name__ = f.__qualname__ = opname
    f.__doc__ = (f"MXNet's fused ``{opname}`` (states {', '.join(op.states) or 'none'}, "
                 f"updated in place); the new weight goes to *out* or a new array.")
    return f


for _n in __all__:
    globals()[_n] = _make(_n)


# ----------------------------------------------------------------------------- more
def _into(r: Any, out: Any, fname: str) -> Any:
    """Write *r* (np) into *out* (or return it as a new legacy array)."""
    if out is None:
        return wrap(r)
    o = arr(out, fname, "out")
    o[...] = r
    return out


def _mp(single: str, nstates: int) -> Any:
    """The multi-precision form of *single*: the float32 master weight (the last state)
    is updated in place; the low-precision weight gets its cast."""
    def f(weight: Any, grad: Any, *states: Any, out: Any = None, name: Any = None,
          lazy_update: bool = True, **params: Any) -> Any:
        fname = f.__name__
        if len(states) != nstates + 1:
            raise TypeError(f"{fname}: takes {nstates} state(s) and weight32 after weight and "
                            f"grad, got {len(states)} arrays")
        w = arr(weight, fname, "weight")
        w32 = states[-1]
        g32 = arr(grad, fname, "grad").astype(_onp.float32)
        globals()[single](w32, wrap(g32), *states[:-1], out=w32, **params)
        return _into(arr(w32, fname, "weight32").astype(w.dtype), out, fname)
    f.__name__ = f.__qualname__ = "mp_" + single
    f.__doc__ = (f"Multi-precision ``{single}``: the float32 master copy (weight32, last) "
                 f"is updated in place; the weight (or *out*) gets its cast.")
    return f


def _multi(single: str, group: int, mp: bool = False) -> Any:
    def f(*data: Any, lrs: Any = None, wds: Any = None, num_weights: int = 1, out: Any = None,
          name: Any = None, **params: Any) -> Any:
        fname = f.__name__
        n = int(num_weights)
        if len(data) != group * n:
            raise TypeError(f"{fname}: expected {group} arrays per weight for num_weights={n}, "
                            f"got {len(data)}")
        if out is None:
            raise OpParamError(f"{fname}: out= (the list of weights to write) is required, "
                               f"as in MXNet")
        outs = out if isinstance(out, (list, tuple)) else [out]
        lrs_ = list(lrs) if lrs is not None else []
        wds_ = list(wds) if wds is not None else [0.0] * n
        if len(lrs_) != n or len(wds_) != n or len(outs) != n:
            raise OpParamError(f"{fname}: lrs, wds and out need {n} entries each")
        fn = _mp(single, group - 3) if mp else globals()[single]
        for i in range(n):
            chunk = data[group * i:group * (i + 1)]
            fn(*chunk, out=outs[i], lr=float(lrs_[i]), wd=float(wds_[i]), **params)
        return out
    f.__name__ = f.__qualname__ = ("multi_mp_" if mp else "multi_") + single
    f.__doc__ = (f"``{single}`` of several weights at once (the arrays interleaved, "
                 f"{group} per weight; one lr and wd each); writes into *out*.")
    return f


def _clip(g: Any, clip: float) -> Any:
    return _np.clip(g, -clip, clip) if clip is not None and clip >= 0 else g


def _preloaded(mom: bool, mp: bool) -> Any:
    group = 2 + mom + mp

    def f(*data: Any, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
          momentum: float = 0.0, num_weights: int = 1, out: Any = None, name: Any = None,
          **kwargs: Any) -> Any:
        fname = f.__name__
        n = int(num_weights)
        if len(data) != group * n + 2:
            raise TypeError(f"{fname}: expected {group} arrays per weight and then lrs and "
                            f"wds, got {len(data)}")
        if out is None:
            raise OpParamError(f"{fname}: out= (the list of weights to write) is required")
        outs = out if isinstance(out, (list, tuple)) else [out]
        lrs = arr(data[-2], fname, "lrs")
        wds = arr(data[-1], fname, "wds")
        for i in range(n):
            chunk = [arr(x, fname) for x in data[group * i:group * (i + 1)]]
            w, g = chunk[0], chunk[1]
            master = chunk[-1] if mp else w
            lr, wd = lrs[i:i + 1], wds[i:i + 1]
            gg = _clip(g.astype(master.dtype) * rescale_grad, clip_gradient)
            if mom:
                m = chunk[2]
                m[...] = m * momentum - lr * wd * master - lr * gg
                new = master + m
            else:
                new = master * (1 - lr * wd) - lr * gg
            if mp:
                master[...] = new
            _into(new.astype(w.dtype), outs[i], fname)
        return out
    f.__name__ = f.__qualname__ = ("preloaded_multi_" + ("mp_" if mp else "") +
                                   ("sgd_mom_update" if mom else "sgd_update"))
    f.__doc__ = ("SGD of several weights, the learning rates and weight decays given as the "
                 "last two NDArrays (read by the ops, never on the host); writes into *out*.")
    return f


def lamb_update_phase1(weight: Any, grad: Any, mean: Any, var: Any, beta1: float = 0.9,
                       beta2: float = 0.999, epsilon: float = 1e-6, t: int = 1,
                       bias_correction: bool = True, wd: Any = None, rescale_grad: float = 1.0,
                       clip_gradient: float = -1.0, out: Any = None, name: Any = None) -> Any:
    """LAMB's update direction: mean and var updated in place; returns
    m_hat / (sqrt(v_hat) + epsilon) + wd * weight (*wd* is required, as in MXNet)."""
    if wd is None:
        raise OpParamError("lamb_update_phase1: the parameter wd is required")
    w = arr(weight, "lamb_update_phase1", "weight")
    g = _clip(arr(grad, "lamb_update_phase1", "grad") * rescale_grad, clip_gradient)
    m = arr(mean, "lamb_update_phase1", "mean")
    v = arr(var, "lamb_update_phase1", "var")
    m[...] = m * beta1 + g * (1 - beta1)
    v[...] = v * beta2 + g * g * (1 - beta2)
    mh, vh = m, v
    if bias_correction:
        mh = m / (1 - beta1 ** t)
        vh = v / (1 - beta2 ** t)
    return _into(mh / (_np.sqrt(vh) + epsilon) + w * wd, out, "lamb_update_phase1")


def lamb_update_phase2(weight: Any, g: Any, r1: Any, r2: Any, lr: float,
                       lower_bound: float = -1.0, upper_bound: float = -1.0, out: Any = None,
                       name: Any = None) -> Any:
    """weight - lr * (r1 / r2) * g, r1 (the weight's norm) clipped to the bounds when they
    are positive; lr * g where either norm is 0."""
    w = arr(weight, "lamb_update_phase2", "weight")
    d = arr(g, "lamb_update_phase2", "g")
    n1 = arr(r1, "lamb_update_phase2", "r1")
    n2 = arr(r2, "lamb_update_phase2", "r2")
    if lower_bound >= 0:
        n1 = _np.maximum(n1, lower_bound)
    if upper_bound >= 0:
        n1 = _np.minimum(n1, upper_bound)
    ok = _np.logical_and(n1 > 0, n2 > 0)
    ratio = _np.where(ok, n1 / _np.where(ok, n2, 1), 1)
    return _into(w - d * ratio * lr, out, "lamb_update_phase2")


def multi_lars(lrs: Any, weights_sum_sq: Any, grads_sum_sq: Any, wds: Any, eta: float,
               eps: float, rescale_grad: float = 1.0, out: Any = None, name: Any = None) -> Any:
    """LARS learning rates: lr * eta * |w| / (|g| * rescale_grad + wd * |w| + eps), or lr
    where a norm is 0."""
    lr = arr(lrs, "multi_lars", "lrs")
    w2 = _np.sqrt(arr(weights_sum_sq, "multi_lars", "weights_sum_sq"))
    g2 = _np.sqrt(arr(grads_sum_sq, "multi_lars", "grads_sum_sq"))
    wd = arr(wds, "multi_lars", "wds")
    ok = _np.logical_and(w2 > 0, g2 > 0)
    scaled = lr * eta * w2 / (g2 * rescale_grad + wd * w2 + eps)
    return _into(_np.where(ok, scaled, lr), out, "multi_lars")


mp_sgd_update = _mp("sgd_update", 0)
mp_sgd_mom_update = _mp("sgd_mom_update", 1)
mp_nag_mom_update = _mp("nag_mom_update", 1)
multi_sgd_update = _multi("sgd_update", 2)
multi_sgd_mom_update = _multi("sgd_mom_update", 3)
multi_mp_sgd_update = _multi("sgd_update", 3, mp=True)
multi_mp_sgd_mom_update = _multi("sgd_mom_update", 4, mp=True)
preloaded_multi_sgd_update = _preloaded(False, False)
preloaded_multi_sgd_mom_update = _preloaded(True, False)
preloaded_multi_mp_sgd_update = _preloaded(False, True)
preloaded_multi_mp_sgd_mom_update = _preloaded(True, True)

__all__ += ["mp_sgd_update", "mp_sgd_mom_update", "mp_nag_mom_update", "multi_sgd_update",
            "multi_sgd_mom_update", "multi_mp_sgd_update", "multi_mp_sgd_mom_update",
            "preloaded_multi_sgd_update", "preloaded_multi_sgd_mom_update",
            "preloaded_multi_mp_sgd_update", "preloaded_multi_mp_sgd_mom_update",
            "lamb_update_phase1", "lamb_update_phase2", "multi_lars"]


def mp_lamb_update_phase1(weight: Any, grad: Any, mean: Any, var: Any, weight32: Any,
                          beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-6,
                          t: int = 1, bias_correction: bool = True, wd: Any = None,
                          rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                          out: Any = None, name: Any = None) -> Any:
    """:func:`lamb_update_phase1` on the float32 master weight (the gradient cast to
    float32); the direction is float32."""
    arr(weight, "mp_lamb_update_phase1", "weight")
    g32 = arr(grad, "mp_lamb_update_phase1", "grad").astype(_onp.float32)
    return lamb_update_phase1(weight32, wrap(g32), mean, var, beta1=beta1, beta2=beta2,
                              epsilon=epsilon, t=t, bias_correction=bias_correction, wd=wd,
                              rescale_grad=rescale_grad, clip_gradient=clip_gradient, out=out)


def mp_lamb_update_phase2(weight: Any, g: Any, r1: Any, r2: Any, weight32: Any, lr: float,
                          lower_bound: float = -1.0, upper_bound: float = -1.0,
                          out: Any = None, name: Any = None) -> Any:
    """:func:`lamb_update_phase2` computed from the float32 master weight, the result in
    the weight's dtype (weight32 itself is left as it is, as in MXNet 1.9.1)."""
    w = arr(weight, "mp_lamb_update_phase2", "weight")
    r = lamb_update_phase2(weight32, g, r1, r2, lr=lr, lower_bound=lower_bound,
                           upper_bound=upper_bound)
    return _into(r._arr.astype(w.dtype), out, "mp_lamb_update_phase2")


__all__ += ["mp_lamb_update_phase1", "mp_lamb_update_phase2"]
