"""backward / grad: walk the recorded graph from the heads and push the gradient ops.

Nothing here waits for a value.  The walk happens in the caller's thread and only
looks at shapes and graph links; every gradient is computed by array ops pushed to the
engine like any other op, and the final write into ``x.grad`` is itself an engine op
(one per variable, so that what reads a gradient can start while backward goes on; one
for the gradients a hybridized graph's backward op produced together) that writes
``x.grad``'s var — so ``backward()`` returns at once and reading
``x.grad`` (``asnumpy``, ``wait_to_read``...) is the sync point, while an optimizer
update pushed later reading ``x.grad`` is ordered after it by the engine.

Steps: (1) a depth-first walk from the heads lists the recorded nodes in topological
order and marks the ones that lead to a *target* (a variable whose gradient is wanted);
(2) going back from the heads, each such node's gradient function is called with the
summed gradients of its outputs (``tape.STATE.needs`` tells it which arguments want
one); (3) the targets' gradients are written ('write'), added ('add') or returned
(``autograd.grad``).  Unless ``retain_graph``, the nodes walked are then freed.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

import numpy as _onp

from .. import engine as _engine
from ..base import MXNetError
from ..engine.sites import push_site as _push_site
from ..ndarray import tape as _tape
from ..ndarray.ndarray import NDArray, _coerce, adopt, assign, from_buffer
from ..ndarray.ops_sparse import RowSparseGrad
from .graph import Node, array_args

__all__ = ["run_backward", "GradientError"]

_NEEDS_REQ = {"write": True, "add": True}
_STATE = _tape.STATE


class GradientError(MXNetError, ValueError):
    """Bad arguments to backward / grad, or a graph that cannot be differentiated."""


# ------------------------------------------------------------------ small helpers
_ones_cache: dict[Any, Any] = {}


def ones_like(a: NDArray) -> NDArray:
    """A ones array shaped like *a* (CPU: a cached read-only buffer, no op pushed;
    in-place writes of read-only buffers copy first)."""
    dev = a._device
    if dev.is_gpu:
        from .. import numpy as np

        return np.ones(a._shape, dtype=a._dtype, ctx=dev)
    key = (a._shape, a._dtype)
    buf = _ones_cache.get(key)
    if buf is None:
        buf = _onp.ones(a._shape, dtype=a._dtype)
        buf.flags.writeable = False
        if len(_ones_cache) > 256:
            _ones_cache.clear()
        _ones_cache[key] = buf
    return from_buffer(buf, dev)


def zeros_like_meta(shape: tuple, dtype: Any, device: Any) -> NDArray:
    from .. import numpy as np

    return np.zeros(shape, dtype=dtype, ctx=device)


def _as_list(x: Any, what: str) -> list:
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _check_heads(heads: list, opname: str) -> None:
    if not heads:
        raise GradientError(f"{opname}: no head arrays given")
    for i, h in enumerate(heads):
        if not isinstance(h, NDArray):
            raise TypeError(f"{opname}: head {i} must be an ndarray, got {type(h).__name__}")
        if h._node is None and h._grad_req is None:
            raise GradientError(
                f"{opname}: head {i} (shape {h._shape} on {h._device}) was not computed "
                f"inside autograd.record() from an array with attach_grad(), so it has no "
                f"recorded graph to differentiate (MXNet: 'Cannot differentiate node "
                f"because it is not in a computational graph')")


def _head_grads(heads: list, head_grads: Any, opname: str) -> list[NDArray]:
    hgs = _as_list(head_grads, "head_grads") if head_grads is not None else [None] * len(heads)
    if len(hgs) != len(heads):
        raise GradientError(f"{opname}: {len(heads)} heads but {len(hgs)} head gradients")
    out = []
    for i, (h, g) in enumerate(zip(heads, hgs)):
        if g is None:
            out.append(ones_like(h))
            continue
        if not isinstance(g, NDArray):
            g = _coerce(g, h._device)
        if g._shape != h._shape:
            raise GradientError(
                f"{opname}: head gradient {i} has shape {g._shape} but head {i} has shape "
                f"{h._shape} (on {h._device}); they must be equal")
        if g._device is not h._device:
            raise GradientError(
                f"{opname}: head gradient {i} is on {g._device} but head {i} is on "
                f"{h._device}")
        out.append(g)
    return out


# ------------------------------------------------------------------ the walk
def _topo(heads: list[NDArray], is_target: Callable[[NDArray], bool], opname: str
          ) -> tuple[list[Node], dict[int, bool], dict[int, NDArray]]:
    """Nodes reachable from *heads* in topological order (inputs first), whether each
    leads to a target, and the targets reached."""
    order: list[Node] = []
    leads: dict[int, bool] = {}
    found: dict[int, NDArray] = {}
    on_stack: set[int] = set()

    def enter(node: Node) -> Any:
        if node.freed:
            raise GradientError(
                f"{opname}: the graph through op '{node.op.name}' was freed by an earlier "
                f"backward; pass retain_graph=True to the first backward to differentiate "
                f"the same graph twice")
        on_stack.add(id(node))
        return (node, iter(array_args(node.args)))

    for h in heads:
        if is_target(h):
            found[id(h)] = h
        ref = h._node
        if ref is None or id(ref[0]) in leads or id(ref[0]) in on_stack:
            continue
        stack = [enter(ref[0])]
        while stack:
            node, it = stack[-1]
            for _, _, a in it:
                ref = a._node
                if ref is not None:
                    p = ref[0]
                    pid = id(p)
                    if pid not in leads and pid not in on_stack:
                        stack.append(enter(p))
                        break
            else:
                stack.pop()
                on_stack.discard(id(node))
                lead = False
                for _, _, a in array_args(node.args):
                    if is_target(a):
                        found[id(a)] = a
                        lead = True
                    elif a._node is not None and leads.get(id(a._node[0])):
                        lead = True
                leads[id(node)] = lead
                order.append(node)
    return order, leads, found


def _needs(a: Any, is_target: Callable[[NDArray], bool], leads: dict[int, bool]) -> bool:
    c = a.__class__
    if c is NDArray:
        return is_target(a) or (a._node is not None and leads.get(id(a._node[0]), False))
    if c is list or c is tuple:
        return any(x.__class__ is NDArray and _needs(x, is_target, leads) for x in a)
    return False


def _accumulate(grads: dict[int, list], a: NDArray, g: Any, src: Any = None) -> None:
    """Add *g* to a's gradient; *src*: the node whose gradient is one engine op (a
    hybridized graph's), which produced *g* (None otherwise, and once summed)."""
    entry = grads.get(id(a))
    if entry is None:
        grads[id(a)] = [a, g, src]
    else:
        old = entry[1]
        if old.__class__ is RowSparseGrad:
            entry[1] = old.plus(g)
        elif g.__class__ is RowSparseGrad:
            entry[1] = old + g.dense()
        else:
            entry[1] = old + g
        entry[2] = None


def _dense(g: Any) -> Any:
    """A row-sparse gradient (a sparse-gradient embedding's) as a dense array."""
    return g.dense() if g.__class__ is RowSparseGrad else g


def _one_op_gradient(node: Node) -> bool:
    """Whether *node*'s gradient is computed by one engine op for all its arguments
    (a hybridized graph's backward: its ``grad`` is a method of an object saying
    ``one_op_gradient``)."""
    return bool(getattr(getattr(node.op.grad, "__self__", None), "one_op_gradient", False))


def _call_grad(node: Node, grads: dict[int, list], needs: tuple[bool, ...]) -> Any:
    outs = [w() for w in node.outs]
    gs = [_dense(grads[id(o)][1]) if o is not None and id(o) in grads else None
          for o in outs]
    if all(g is None for g in gs):
        return None
    if len(outs) == 1 and node.op.nout == 1:
        g, out = gs[0], outs[0]
    else:
        g = gs
        saved = node.saved
        out = [o if o is not None else saved[i] if saved is not None else zeros_like_meta(*m)
               for i, (o, m) in enumerate(zip(outs, node.metas))]
    _STATE.needs = needs
    try:
        res = node.op.grad(g, out, *node.args, **node.params)
    finally:
        _STATE.needs = None
    if not isinstance(res, (tuple, list)):
        res = (res,)
    return res


def _check_grad(node: Node, i: int, a: NDArray, gi: Any) -> NDArray:
    if gi.__class__ is RowSparseGrad:
        if gi._shape != a._shape:
            raise GradientError(
                f"{node.op.name}: the row-sparse gradient for argument {i} has shape "
                f"{gi._shape}, but the argument has shape {a._shape}")
        return gi
    if gi.__class__ is not NDArray:
        gi = _coerce(gi, a._device)
    if gi._shape != a._shape:
        raise GradientError(
            f"{node.op.name}: the gradient for argument {i} has shape {gi._shape}, but the "
            f"argument has shape {a._shape} (a bug in the op's gradient)")
    return gi


def _propagate(order: list[Node], leads: dict[int, bool], grads: dict[int, list],
               is_target: Callable[[NDArray], bool]) -> None:
    for node in reversed(order):
        if not leads[id(node)]:
            continue
        args = node.args
        needs = tuple(_needs(a, is_target, leads) for a in args)
        res = _call_grad(node, grads, needs)
        if res is None:
            continue
        src = id(node) if _one_op_gradient(node) else None
        for i, j, a in array_args(args):
            if i >= len(res) or res[i] is None:
                continue
            if not (is_target(a) or (a._node is not None and leads.get(id(a._node[0])))):
                continue
            gi = res[i] if j < 0 else res[i][j]
            if gi is None:
                continue
            _accumulate(grads, a, _check_grad(node, i, a, gi), src)


# ------------------------------------------------------------------ writing x.grad
# (through the array layer's assign/adopt: x.grad may have views, ``x.grad[0]``, which
# must see the new gradient, as in MXNet)
def _run_assign(dst: NDArray, src: NDArray) -> None:
    if src._data.dtype != dst._dtype:
        assign(dst, src._data.astype(dst._dtype))
    else:
        adopt(dst, src)           # one buffer, two arrays: in-place writes copy first


def _run_add(dst: NDArray, src: NDArray) -> None:
    buf = dst._data + src._data
    if buf.dtype != dst._dtype:
        buf = buf.astype(dst._dtype)
    assign(dst, buf)


def _run_zero(dst: NDArray, xp: Any) -> None:
    assign(dst, xp.zeros(dst._shape, dtype=dst._dtype))


def write_grad(var: NDArray, g: NDArray | None, site: Any = None) -> None:
    """Write (grad_req 'write') or add ('add') *g* into ``var.grad``: an engine op that
    writes ``var.grad``'s var.  *g* None means a zero gradient.  *site*: the push site
    (the user's ``backward()`` call), when the caller took it once for all its writes;
    None: the engine takes it."""
    req = var._grad_req
    if not _NEEDS_REQ.get(req, False):
        return
    dst = var._grad
    if dst is not None and dst.__class__ is not NDArray:
        _write_sparse_grad(var, dst, g, req)
        return
    if g.__class__ is RowSparseGrad:
        g = g.dense()
    if dst is None:
        dst = var._grad = zeros_like_meta(var._shape, var._dtype, var._device)
    if g is None:
        if req == "write":
            _engine.push(partial(_run_zero, dst, dst._device.xp), (), (dst._var,),
                         dst._device, 0, "_backward_zero_grad", site=site)
        return
    if g._device is not dst._device:
        g = g.copyto(dst._device)
    if g._shape != dst._shape:
        raise GradientError(f"backward: gradient of shape {g._shape} does not fit the "
                            f"gradient buffer of shape {dst._shape}")
    if req == "write":
        _engine.push(partial(_run_assign, dst, g), (g._var,), (dst._var,), dst._device, 0,
                     "_backward_write_grad", site=site)
    else:
        _engine.push(partial(_run_add, dst, g), (g._var,), (dst._var,), dst._device, 0,
                     "_backward_add_grad", site=site)


def _write_sparse_grad(var: NDArray, dst: Any, g: Any, req: str) -> None:
    """Write *g* into the row-sparse gradient buffer *dst* (``attach_grad(stype=
    'row_sparse')``): the rows a sparse-gradient embedding touched (their indices are
    read here), a dense gradient's nonzero rows (its values are read), nothing for no
    gradient.  As MXNet's sparse embedding, only grad_req 'write' is supported."""
    if req != "write" and g is not None:
        raise GradientError(
            f"backward: the row-sparse gradient of an array of shape {var._shape} (on "
            f"{var._device}) cannot be accumulated (grad_req {req!r}); as MXNet's "
            f"SparseEmbedding, only grad_req='write' is supported with a row_sparse "
            f"gradient")
    if g is None:
        if req == "write":
            dst._set_rows(None, None)
        return
    if g.__class__ is not RowSparseGrad:
        if g._device is not var._device:
            g = g.copyto(var._device)
        dst._set_dense(g)
        return
    indices, values = g.rows()
    if values._dtype != var._dtype:
        values = values.astype(var._dtype)
    dst._set_rows(indices, values)


_WRITES_BULK = 1 << 20


def _write_grads(found: dict[int, NDArray], grads: dict[int, list]) -> None:
    """Each variable's gradient write is an engine op of its own, so that what reads
    it (an allreduce, an update) can start as soon as that gradient is there, while
    backward goes on; the gradients one op produced together (a hybridized graph's
    backward) are written by one op.  The push site (the same user frame for every
    write) is taken once here, not once per write."""
    site = _push_site(2) if _engine.get_engine().track_push_site else None
    together: dict[int, list] = {}
    for key, var in found.items():
        entry = grads.get(key)
        if entry is not None and entry[2] is not None:
            together.setdefault(entry[2], []).append((var, entry[1]))
        else:
            write_grad(var, entry[1] if entry is not None else None, site)
    for pairs in together.values():
        if len(pairs) == 1:
            write_grad(*pairs[0], site)
            continue
        with _engine.bulk(_WRITES_BULK):
            for var, g in pairs:
                write_grad(var, g, site)


# ------------------------------------------------------------------ entry point
def run_backward(heads: Any, head_grads: Any, variables: Any = None,
                 retain_graph: bool = False, create_graph: bool = False,
                 train_mode: bool = True, opname: str = "backward") -> list | None:
    """Push the gradient ops of *heads*.  With *variables* None, write the gradients of
    every variable reached into its ``.grad`` (as its grad_req says); otherwise return
    the gradients of *variables* (``autograd.grad``)."""
    heads = _as_list(heads, "heads")
    targets: dict[int, NDArray] | None = None
    if variables is not None:
        vs = _as_list(variables, "variables")
        for i, v in enumerate(vs):
            if not isinstance(v, NDArray):
                raise TypeError(f"{opname}: variable {i} must be an ndarray, got "
                                f"{type(v).__name__}")
        targets = {id(v): v for v in vs}
        for i, h in enumerate(heads):
            if isinstance(h, NDArray) and h._node is None and id(h) in targets:
                continue
            _check_heads([h], opname)
    else:
        _check_heads(heads, opname)
    hgs = _head_grads(heads, head_grads, opname)

    if targets is None:
        def is_target(a: NDArray) -> bool:
            return a._node is None and _NEEDS_REQ.get(a._grad_req, False)
    else:
        tset = targets

        def is_target(a: NDArray) -> bool:
            return id(a) in tset

    order, leads, found = _topo(heads, is_target, opname)
    if targets is None and not found:
        raise GradientError(
            f"{opname}: the heads do not depend on any array with attach_grad() (and "
            f"grad_req 'write' or 'add'); nothing to differentiate")

    grads: dict[int, list] = {}
    for h, hg in zip(heads, hgs):
        _accumulate(grads, h, hg)
    prev = (_STATE.recording, _STATE.training)
    _STATE.recording = bool(create_graph)
    _STATE.training = bool(train_mode)
    try:
        _propagate(order, leads, grads, is_target)
    finally:
        _STATE.recording, _STATE.training = prev

    if not retain_graph:
        for node in order:
            node.free()

    if targets is None:
        _write_grads(found, grads)
        return None
    result = []
    for v in vs:
        entry = grads.get(id(v))
        if entry is None:
            result.append(zeros_like_meta(v._shape, v._dtype, v._device))
        else:
            g = _dense(entry[1])
            if g._dtype != v._dtype and v._dtype.kind == "f":
                g = g.astype(v._dtype)
            result.append(g)
    return result
