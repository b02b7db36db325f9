"""``mx.nd.contrib``: the imperative control-flow operators (``foreach``, ``while_loop``,
``cond``: plain Python loops over legacy arrays, as MXNet runs them outside a
hybridized graph) and a few array ops of MXNet's contrib namespace, among them the SSD ops MultiBoxPrior,
MultiBoxTarget and MultiBoxDetection (``_npx.multibox_*`` over legacy arrays)."""
from __future__ import annotations

from typing import Any

import numpy as _onp

from .. import npx as _npx
from .. import numpy as _np
from ..ndarray.ops import ShapeError
from ._util import OpParamError, arr, ret
from .ndarray import NDArray, wrap

__all__ = ["foreach", "while_loop", "cond", "arange_like", "div_sqrt_dim", "boolean_mask",
           "index_copy", "index_array", "isinf", "isnan", "isfinite", "quadratic",
           "MultiBoxPrior", "MultiBoxTarget", "MultiBoxDetection"]


def _as_list(x: Any) -> tuple[list, bool]:
    if isinstance(x, (list, tuple)):
        return list(x), True
    return [x], False


def foreach(body: Any, data: Any, init_states: Any) -> Any:
    """Run ``out, states = body(data[i], states)`` for each i along the first axis of
    *data* (an NDArray or a list of them); returns (the outputs stacked, final states)."""
    datas, data_list = _as_list(data)
    if not datas:
        raise OpParamError("foreach: data must hold at least one NDArray")
    n = datas[0].shape[0]
    for d in datas:
        if d.shape[0] != n:
            raise ShapeError(f"foreach: the data arrays differ in length "
                             f"({[x.shape for x in datas]})")
    states = init_states
    outs: list = []
    out_list = True
    for i in range(n):
        step = [d[i] if d.ndim > 1 else d[i:i + 1] for d in datas]
        out, states = body(step if data_list else step[0], states)
        o, out_list = _as_list(out)
        outs.append(o)
    if not outs:
        return [], states
    stacked = [wrap(_np.stack([arr(step[j], "foreach") for step in outs]))
               for j in range(len(outs[0]))]
    return (stacked if out_list else stacked[0]), states


def while_loop(cond: Any, func: Any, loop_vars: Any, max_iterations: Any = None) -> Any:
    """``while cond(*loop_vars): outputs, loop_vars = func(*loop_vars)`` (blocks on each
    condition, as MXNet does), at most *max_iterations* times; returns (the outputs
    stacked and padded with zeros to max_iterations steps, the final loop_vars)."""
    if max_iterations is None:
        raise OpParamError("while_loop: max_iterations is required")
    vars_, vars_list = _as_list(loop_vars)
    outs: list = []
    out_list = True
    steps = 0
    while steps < int(max_iterations) and _truth(cond(*vars_)):
        out, new = func(*vars_)
        o, out_list = _as_list(out) if out is not None else ([], True)
        outs.append(o)
        vars_, _ = _as_list(new)
        steps += 1
    stacked: list = []
    if outs and outs[0]:
        for j in range(len(outs[0])):
            rows = [arr(step[j], "while_loop") for step in outs]
            s = _np.stack(rows)
            pad = int(max_iterations) - len(rows)
            if pad:
                s = _np.concatenate([s, _np.zeros((pad,) + tuple(s.shape[1:]), dtype=s.dtype,
                                                  ctx=s.device)])
            stacked.append(wrap(s))
    result = stacked if out_list or not stacked else stacked[0]
    return result, (vars_ if vars_list else vars_[0])


def _truth(v: Any) -> bool:
    if isinstance(v, NDArray) or hasattr(v, "asnumpy"):
        return bool(v.asnumpy().reshape(-1)[0])
    return bool(v)


def cond(pred: Any, then_func: Any, else_func: Any) -> Any:
    """``then_func()`` if *pred* (a one-element NDArray, read: blocks) is non-zero, else
    ``else_func()``."""
    return then_func() if _truth(pred) else else_func()


def arange_like(data: Any, start: float = 0.0, step: float = 1.0, repeat: int = 1,
                ctx: Any = None, axis: Any = None, out: Any = None, name: Any = None) -> Any:
    """start, start + step, ... in *data*'s shape (or along *axis*: its length)."""
    a = arr(data, "contrib.arange_like")
    n = a.size if axis is None else a.shape[axis]
    count = -(-n // int(repeat))
    r = _np.arange(count, dtype=a.dtype, ctx=a.device) * step + start
    if repeat != 1:
        r = _np.repeat(r, int(repeat))[:n]
    return ret(r.reshape(a.shape) if axis is None else r, out)


def div_sqrt_dim(data: Any, out: Any = None, name: Any = None) -> Any:
    """data / sqrt(data.shape[-1])."""
    a = arr(data, "contrib.div_sqrt_dim")
    return ret(a / float(_onp.sqrt(a.shape[-1])), out)


def boolean_mask(data: Any, index: Any, axis: int = 0, out: Any = None, name: Any = None) -> Any:
    """The slices of *data* along *axis* where *index* is non-zero (blocks: the result's
    shape depends on the values)."""
    a = arr(data, "contrib.boolean_mask")
    m = arr(index, "contrib.boolean_mask", "index")
    if m.ndim != 1 or m.shape[0] != a.shape[axis]:
        raise ShapeError(f"contrib.boolean_mask: index {m.shape} must be 1-D of length "
                         f"{a.shape[axis]} (axis {axis} of data {a.shape})")
    keep = _onp.nonzero(m.asnumpy())[0]
    idx = _np.array(keep, dtype=_onp.int64, ctx=a.device)
    return ret(_np.take(a, idx, axis=axis), out)


def index_copy(old_tensor: Any, index_vector: Any, new_tensor: Any, out: Any = None,
               name: Any = None) -> Any:
    """A copy of *old_tensor* whose rows index_vector[i] are new_tensor[i]."""
    a = arr(old_tensor, "contrib.index_copy", "old_tensor")
    i = arr(index_vector, "contrib.index_copy", "index_vector")
    v = arr(new_tensor, "contrib.index_copy", "new_tensor")
    if i.ndim != 1 or v.shape != (i.shape[0],) + tuple(a.shape[1:]):
        raise ShapeError(f"contrib.index_copy: new_tensor {v.shape} must be "
                         f"({i.shape[0] if i.ndim else '?'},) + {tuple(a.shape[1:])}")
    r = a.copy()
    r[i.astype(_onp.int64)] = v
    return ret(r, out)


def index_array(data: Any, axes: Any = None, out: Any = None, name: Any = None) -> Any:
    """The index of every element: shape data.shape + (len(axes),), int64."""
    a = arr(data, "contrib.index_array")
    axes = tuple(range(a.ndim)) if axes is None else tuple(ax % a.ndim for ax in axes)
    grids = _onp.indices(a.shape)
    return ret(_np.array(_onp.stack([grids[ax] for ax in axes], axis=-1), dtype=_onp.int64,
                         ctx=a.device), out)


def _flag(fn: Any, name: str) -> Any:
    def f(data: Any) -> Any:
        a = arr(data, f"contrib.{name}")
        return wrap(fn(a).astype(a.dtype))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"1 where the element is {name[2:]}, else 0 (in the input's dtype)."
    return f


isinf = _flag(_np.isinf, "isinf")
isnan = _flag(_np.isnan, "isnan")
isfinite = _flag(_np.isfinite, "isfinite")


def quadratic(data: Any, a: float = 0.0, b: float = 0.0, c: float = 0.0, out: Any = None,
              name: Any = None) -> Any:
    """a x^2 + b x + c."""
    x = arr(data, "contrib.quadratic")
    return ret(x * x * a + x * b + c, out)



def MultiBoxPrior(data: Any, sizes: Any = (1.0,), ratios: Any = (1.0,), clip: bool = False,
                  steps: Any = (-1.0, -1.0), offsets: Any = (0.5, 0.5), out: Any = None,
                  name: Any = None) -> Any:
    """Anchor boxes centred on each pixel of *data* (``_npx.multibox_prior``)."""
    return ret(_npx.multibox_prior(arr(data, "contrib.MultiBoxPrior"), sizes, ratios, clip,
                                  steps, offsets), out)


def MultiBoxTarget(anchor: Any, label: Any, cls_pred: Any, overlap_threshold: float = 0.5,
                   ignore_label: float = -1.0, negative_mining_ratio: float = -1.0,
                   negative_mining_thresh: float = 0.5, minimum_negative_samples: int = 0,
                   variances: Any = (0.1, 0.1, 0.2, 0.2), out: Any = None,
                   name: Any = None) -> Any:
    """[loc_target, loc_mask, cls_target] of *anchor* for *label* (``_npx.multibox_target``)."""
    f = "contrib.MultiBoxTarget"
    return ret(_npx.multibox_target(arr(anchor, f, "anchor"), arr(label, f, "label"),
                                   arr(cls_pred, f, "cls_pred"), overlap_threshold,
                                   ignore_label, negative_mining_ratio,
                                   negative_mining_thresh, minimum_negative_samples,
                                   variances), out)


def MultiBoxDetection(cls_prob: Any, loc_pred: Any, anchor: Any, clip: bool = True,
                      threshold: float = 0.01, background_id: int = 0,
                      nms_threshold: float = 0.5, force_suppress: bool = False,
                      variances: Any = (0.1, 0.1, 0.2, 0.2), nms_topk: int = -1,
                      out: Any = None, name: Any = None) -> Any:
    """Decoded, sorted, suppressed detections (``_npx.multibox_detection``)."""
    f = "contrib.MultiBoxDetection"
    return ret(_npx.multibox_detection(arr(cls_prob, f, "cls_prob"), arr(loc_pred, f, "loc_pred"),
                                      arr(anchor, f, "anchor"), clip, threshold, background_id,
                                      nms_threshold, force_suppress, variances, nms_topk), out)
