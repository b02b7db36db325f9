"""``ndengine.autograd``: record array ops and differentiate them (``mxnet.autograd``).

::

    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    y.backward()          # returns at once: the gradient ops are pushed to the engine
    x.grad                # reading it (asnumpy, print...) waits for them

Recording is per thread (as in MXNet).  ``record()`` turns it on (and training mode,
unless ``train_mode=False``); ``pause()`` turns it off inside a record block;
``train_mode()`` / ``predict_mode()`` only switch training mode (which ``npx.dropout``
and gluon's Dropout obey).  Each op's gradient lives next to its kernel in the op table
(:mod:`ndengine.ndarray.ops`); see :mod:`.graph` for what is recorded and
:mod:`.backward` for how gradients are pushed.

``attach_grad(stype='row_sparse')`` gives a row-sparse gradient buffer (what a
sparse-gradient embedding writes).  Difference from MXNet: ``get_symbol`` is not
supported.
"""
from __future__ import annotations

from typing import Any

from ..ndarray import tape as _tape
from .. import ndarray as _nd_pkg
from ..ndarray.ndarray import NDArray
from .backward import GradientError, run_backward, zeros_like_meta
from .function import Function
from .graph import Node, alias, record_op

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
           "set_recording", "set_training", "backward", "grad", "mark_variables",
           "Function", "GradientError", "get_symbol"]

_STATE = _tape.STATE
_tape.set_recorder(record_op)
_REQS = ("write", "add", "null")


# ------------------------------------------------------------------ state
def is_recording() -> bool:
    """Whether ops of this thread are being recorded."""
    return bool(_STATE.recording)


def is_training() -> bool:
    """Whether this thread is in training mode (dropout active...)."""
    return bool(_STATE.training)


def set_recording(is_recording: bool) -> bool:  # noqa: F811 - MXNet's parameter name
    """Turn recording on or off; returns the previous state."""
    prev = bool(_STATE.recording)
    _STATE.recording = bool(is_recording)
    return prev


def set_training(train_mode: bool) -> bool:  # noqa: F811
    """Turn training mode on or off; returns the previous state."""
    prev = bool(_STATE.training)
    _STATE.training = bool(train_mode)
    return prev


class _Scope:
    """Sets recording and/or training for a ``with`` block, restoring them after."""

    __slots__ = ("_rec", "_train", "_prev")

    def __init__(self, is_record: bool | None, train_mode: bool | None) -> None:
        self._rec = is_record
        self._train = train_mode
        self._prev: tuple[bool, bool] | None = None

    def __enter__(self) -> "_Scope":
        self._prev = (_STATE.recording, _STATE.training)
        if self._rec is not None:
            _STATE.recording = self._rec
        if self._train is not None:
            _STATE.training = self._train
        return self

    def __exit__(self, *exc: Any) -> None:
        _STATE.recording, _STATE.training = self._prev


def record(train_mode: bool = True) -> _Scope:  # noqa: F811
    """Record the ops of the block for differentiation (training mode unless
    *train_mode* is False)."""
    return _Scope(True, bool(train_mode))


def pause(train_mode: bool = False) -> _Scope:  # noqa: F811
    """Stop recording inside the block (prediction mode unless *train_mode*)."""
    return _Scope(False, bool(train_mode))


def train_mode() -> _Scope:
    """Training mode inside the block (recording unchanged)."""
    return _Scope(None, True)


def predict_mode() -> _Scope:
    """Prediction mode inside the block (recording unchanged)."""
    return _Scope(None, False)


# ------------------------------------------------------------------ variables
def _check_req(req: Any, where: str) -> str:
    if req not in _REQS:
        raise ValueError(f"{where}: grad_req must be 'write', 'add' or 'null', got {req!r}")
    return req


def attach_grad(arr: NDArray, grad_req: str = "write", stype: Any = None) -> None:
    """See ``NDArray.attach_grad``."""
    _check_req(grad_req, "attach_grad")
    if stype == "row_sparse":
        if len(arr._shape) < 1:
            raise ValueError(f"attach_grad: a row_sparse gradient needs an array of at least "
                             f"one dimension, got shape {arr._shape} (on {arr._device})")
        from ..legacy import sparse as _sparse

        arr._grad = _sparse.zeros("row_sparse", arr._shape, ctx=arr._device, dtype=arr._dtype)
    elif stype in (None, "default"):
        arr._grad = zeros_like_meta(arr._shape, arr._dtype, arr._device)
    else:
        raise ValueError(f"attach_grad: gradient stype {stype!r} is not supported (shape "
                         f"{arr._shape} on {arr._device}); use 'default' or 'row_sparse'")
    arr._grad_req = grad_req
    arr._node = None


def set_grad_req(arr: NDArray, req: str) -> None:
    """``x.grad_req = req`` (attaches a gradient buffer if there is none)."""
    _check_req(req, "grad_req")
    if arr._grad is None and req != "null":
        attach_grad(arr, req)
    else:
        arr._grad_req = req


def mark_variables(variables: Any, gradients: Any, grad_reqs: Any = "write") -> None:
    """Mark arrays as variables whose gradients backward writes into *gradients*."""
    vs = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    gs = list(gradients) if isinstance(gradients, (list, tuple)) else [gradients]
    reqs = list(grad_reqs) if isinstance(grad_reqs, (list, tuple)) else [grad_reqs] * len(vs)
    if len(gs) != len(vs) or len(reqs) != len(vs):
        raise ValueError(f"mark_variables: {len(vs)} variables, {len(gs)} gradients and "
                         f"{len(reqs)} grad_reqs; the lengths must match")
    for i, (v, g, r) in enumerate(zip(vs, gs, reqs)):
        if not isinstance(v, NDArray) or not isinstance(g, NDArray):
            raise TypeError(f"mark_variables: variable and gradient {i} must be ndarrays")
        if g.shape != v.shape:
            raise ValueError(f"mark_variables: gradient {i} has shape {g.shape} but its "
                             f"variable has shape {v.shape}")
        v._grad = g
        v._grad_req = _check_req(r, "mark_variables")
        v._node = None


def detach(arr: NDArray) -> NDArray:
    """See ``NDArray.detach``: the same values (no copy), outside any recorded graph."""
    return alias(arr)


# ------------------------------------------------------------------ differentiation
def backward(heads: Any, head_grads: Any = None, retain_graph: bool = False,
             train_mode: bool = True) -> None:  # noqa: F811
    """Push the gradient ops of *heads* and write the gradients of the variables they
    depend on into their ``.grad`` (per grad_req).  Returns before they are computed."""
    run_backward(_np_arrays(heads), _np_arrays(head_grads), None, retain_graph, False,
                 train_mode, "backward")


def grad(heads: Any, variables: Any, head_grads: Any = None, retain_graph: Any = None,
         create_graph: bool = False, train_mode: bool = True) -> list:  # noqa: F811
    """The gradients of *heads* with respect to *variables*, as new arrays (``.grad``
    is not touched).  With ``create_graph`` the gradient ops are recorded too, so the
    result can be differentiated again."""
    first = variables[0] if isinstance(variables, (list, tuple)) and variables else variables
    legacy = _is_legacy(first)
    heads, head_grads, variables = _np_arrays(heads), _np_arrays(head_grads), \
        _np_arrays(variables)
    single = isinstance(variables, NDArray)
    if retain_graph is None:
        retain_graph = create_graph
    res = run_backward(heads, head_grads, [variables] if single else variables,
                       bool(retain_graph), bool(create_graph), train_mode, "grad")
    if legacy:      # mx.nd variables get mx.nd gradients
        res = [g.as_nd_ndarray() for g in res]
    return res


# -- legacy mx.nd arrays (MXNet 1.x) are handles over np arrays: autograd works on those
def _is_legacy(x: Any) -> bool:
    return x is not None and x.__class__ is _nd_pkg._legacy_class


def _np_arrays(xs: Any) -> Any:
    """*xs* with each legacy mx.nd array replaced by the np array it shares (no copy)."""
    if _nd_pkg._legacy_class is None or xs is None:
        return xs
    if isinstance(xs, (list, tuple)):
        return [x.as_np_ndarray() if _is_legacy(x) else x for x in xs]
    return xs.as_np_ndarray() if _is_legacy(xs) else xs


def get_symbol(x: Any) -> Any:
    """Not supported: ndengine has no symbolic graphs."""
    raise NotImplementedError("autograd.get_symbol: ndengine has no symbolic graphs")


from ..base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals(), hide=('NDArray', 'Node', 'alias', 'attach_grad', 'detach', 'function', 'graph', 'record_op', 'run_backward', 'set_grad_req', 'zeros_like_meta'))
