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
sparse-gradient embedding writes); ``get_symbol(x)`` is the recorded graph of x as a
Symbol.
"""
from __future__ import annotations

from typing import Any

from ..ndarray import tape as _tape
from .. import ndarray as _nd_pkg
from ..ndarray.ndarray import NDArray
from .backward import GradientError, run_backward, zeros_like_meta
from .function import Function
from .graph import Node, alias, array_args, record_op

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


class _Meta:
    """Shape and dtype of a recorded output nobody holds any more."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape: tuple, dtype: Any) -> None:
        self.shape = shape
        self.dtype = dtype


def _recorded_nodes(head: NDArray) -> list[Node]:
    """The recorded nodes *head* depends on, inputs first (depth-first post order over
    each node's array arguments in order, as MXNet writes a graph)."""
    order: list[Node] = []
    seen: set[int] = set()
    if head._node is None:
        return order
    stack = [(head._node[0], 0)]
    seen.add(id(head._node[0]))
    while stack:
        node, i = stack.pop()
        if node.freed:
            raise GradientError(
                f"autograd.get_symbol: the graph through op '{node.op.name}' was freed by "
                f"backward; pass retain_graph=True to backward, or get the symbol first")
        args = array_args(node.args)
        if i < len(args):
            stack.append((node, i + 1))
            ref = args[i][2]._node
            if ref is not None and id(ref[0]) not in seen:
                seen.add(id(ref[0]))
                stack.append((ref[0], 0))
        else:
            order.append(node)
    return order


def get_symbol(x: Any) -> Any:
    """The recorded graph that computed *x*, as a Symbol (``mx.autograd.get_symbol``).

    Arrays the graph reads that no recorded op produced are its variables, named as
    MXNet names them: ``var<k>`` for arrays with ``attach_grad``, ``null<k>`` for the
    others (constants), *k* counting the variables in the order the graph (written
    inputs first) reaches them; the ops are ``node_<j>`` in that order.  Their MXNet ops
    are the ones of the arrays' mode (``broadcast_mul``, ``_plus_scalar``... for
    ``mx.nd`` arrays, ``_npi_multiply``, ``_npi_add_scalar``... in np mode).  A recorded
    op with no MXNet symbol form is an error naming it.  (MXNet numbers variables and
    ops with process-wide counters as they are recorded, so its numbers agree for the
    first graph a process records; see docs/mxnet-differences.md.)"""
    from ..symbol import _export
    from ..symbol.symbol import Symbol, _Node

    legacy = _is_legacy(x)
    head = _np_arrays(x)
    if not isinstance(head, NDArray):
        raise TypeError(f"autograd.get_symbol: expected an ndarray, got {type(x).__name__}")
    nodes = _recorded_nodes(head)
    produced: set[int] = set()
    records = []
    for node in nodes:
        name = node.op.name
        rule_name = name
        if name not in _export._RULES:
            rule_name = "sum" if name == "_nd_full_sum" else name[4:] \
                if name.startswith("_nd_") else name
        if rule_name not in _export._RULES:
            raise GradientError(
                f"autograd.get_symbol: the recorded op '{name}' has no MXNet symbol form "
                f"here (ops with one: {', '.join(sorted(_export._RULES))})")
        outs = [w() for w in node.outs]
        outs = [o if o is not None else _Meta(*m[:2]) for o, m in zip(outs, node.metas)]
        produced.update(id(o) for o in outs)
        records.append((_export._RULES[rule_name], node.args, outs, node.params or {}))
    # the variables (numbered below, in the order the graph's JSON lists them)
    names: dict[int, str] = {}

    def name_of(a: NDArray) -> None:
        if id(a) in produced or id(a) in names:
            return
        names[id(a)] = "var" if a._grad is not None else "null"

    for node in nodes:
        for _, _, a in array_args(node.args):
            name_of(a)
    if head._node is None:
        name_of(head)
    b = _export._Builder(not legacy, "")
    entries: dict[int, Any] = {}
    var_nodes: dict[int, _Node] = {}

    def entry(a: Any) -> Any:
        e = entries.get(id(a))
        if e is not None:
            return e
        v = var_nodes.get(id(a))
        if v is None:
            v = var_nodes[id(a)] = _Node("null", names[id(a)])
        return (v, 0)

    for rule, args, outs, params in records:
        for o, e in zip(outs, rule(b, entry, args, params, outs)):
            if e is not None:
                entries[id(o)] = e
    sym = Symbol([entries[id(head)] if id(head) in entries else entry(head)])
    j = k = 0
    for n in sym._nodes():
        if n.is_var:
            n.name = f"{n.name}{k}"
            k += 1
            continue
        n.name = f"node_{j}"
        j += 1
        if n.op.endswith("_scalar") and "scalar" in n.attrs:
            # as MXNet's imperative front end passes it: a float, no is_int flag
            n.attrs.pop("is_int", None)
            n.attrs["scalar"] = str(float(n.attrs["scalar"]))
        if n.op in ("negative", "_npi_negative"):
            # the unary minus of MXNet's arrays is a multiplication by -1
            n.op = "_mul_scalar" if legacy else "_npi_multiply_scalar"
            n.attrs = {"scalar": "-1.0"}
        if legacy and n.op in _LEGACY_REDUCE and n.attrs.get("keepdims") == "False":
            # mx.nd's reductions pass only the arguments given
            del n.attrs["keepdims"]
    return sym


_LEGACY_REDUCE = ("sum", "mean", "max", "min", "prod")


from ..base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals(), hide=('NDArray', 'Node', 'alias', 'array_args', 'attach_grad', 'detach', 'function', 'graph', 'record_op', 'run_backward', 'set_grad_req', 'zeros_like_meta'))
