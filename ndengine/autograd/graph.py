"""The recorded graph: one :class:`Node` per recorded op.

While recording, dispatch calls :func:`record_op` after pushing an op.  The op is
recorded only when it has a gradient and at least one of its array arguments needs one
(a *variable* — an array with ``attach_grad`` and grad_req 'write' or 'add' — or the
output of a recorded op); otherwise its output is a constant to autograd and costs
nothing more.

Who holds whom: an output holds its node (``out._node = (node, index)``); a node holds
its arguments (so the gradient can read them) and only *weak* references to its
outputs, so there is no reference cycle and an array and its node die with the last
handle to them, as in MXNet.  An output nobody holds any more receives no gradient;
for several-output ops the node keeps the outputs' shapes so their gradient functions
still get a stand-in of the right shape.  A several-output op whose gradient reads its
outputs' values (``grad_needs_outputs``: svd, qr, eigh) also gets *saved* aliases of
them — new handles on the same buffers, outside the graph — so ``svd(a)[1]`` still
differentiates through the U and Vh the caller dropped.

``backward`` without ``retain_graph`` frees the nodes it went through (drops their
arguments); a later backward reaching a freed node raises.
"""
from __future__ import annotations

import weakref
from functools import partial
from typing import Any

from .. import engine as _engine
from ..ndarray.ndarray import NDArray, _new, share

__all__ = ["Node", "record_op", "requires_grad", "array_args", "alias"]

_NEEDS_REQ = {"write": True, "add": True}


class Node:
    """One recorded op: what to differentiate and with which arguments."""

    __slots__ = ("op", "args", "params", "outs", "metas", "saved", "freed", "__weakref__")

    def __init__(self, op: Any, args: tuple, params: dict, outs: list[NDArray]) -> None:
        self.op = op
        self.args = args
        self.params = params
        self.outs = tuple(weakref.ref(o) for o in outs)
        self.metas = tuple((o._shape, o._dtype, o._device) for o in outs)
        self.saved: tuple[NDArray, ...] | None = None
        self.freed = False

    def free(self) -> None:
        """Drop the saved arguments (after a backward without retain_graph)."""
        self.freed = True
        self.args = None
        self.params = None
        self.saved = None

    def __repr__(self) -> str:
        state = " freed" if self.freed else ""
        return f"<Node {self.op.name}{state}>"


def requires_grad(a: NDArray) -> bool:
    """Recorded output, or a variable whose gradient is wanted."""
    return a._node is not None or _NEEDS_REQ.get(a._grad_req, False)


def _any_requires(args: tuple) -> bool:
    for a in args:
        c = a.__class__
        if c is NDArray:
            if a._node is not None or _NEEDS_REQ.get(a._grad_req, False):
                return True
        elif c is list or c is tuple:
            for x in a:
                if x.__class__ is NDArray and (x._node is not None
                                               or _NEEDS_REQ.get(x._grad_req, False)):
                    return True
    return False


def record_op(opdef: Any, args: tuple, outputs: Any, params: dict) -> None:
    """The tape hook: remember *opdef* applied to *args* if it is differentiable and
    depends on a variable."""
    if opdef.grad is None or not _any_requires(args):
        return
    if outputs.__class__ is NDArray:
        node = Node(opdef, args, params, [outputs])
        outputs._node = (node, 0)
        return
    outs = list(outputs)
    node = Node(opdef, args, params, outs)
    if opdef.grad_needs_outputs:
        node.saved = tuple(alias(o) for o in outs)
    for i, o in enumerate(outs):
        o._node = (node, i)


def _run_alias(src: NDArray, out: NDArray) -> None:
    out._data = src._data
    share(src)                  # one buffer, two arrays: in-place writes copy first
    out._shared = True


def alias(arr: NDArray) -> NDArray:
    """A new handle on *arr*'s buffer (no copy), outside any recorded graph: an engine
    op reading *arr* and writing the new handle (``NDArray.detach``)."""
    out = _new(arr._shape, arr._dtype, arr._device)
    _engine.push(partial(_run_alias, arr, out), (arr._var,), (out._var,), arr._device, 0,
                 "detach")
    return out


def array_args(args: tuple) -> list[tuple[int, int, NDArray]]:
    """``(argument index, position in a list argument or -1, array)`` for every array
    argument of an op (top level, or inside a list/tuple argument)."""
    found = []
    for i, a in enumerate(args):
        c = a.__class__
        if c is NDArray:
            found.append((i, -1, a))
        elif c is list or c is tuple:
            for j, x in enumerate(a):
                if x.__class__ is NDArray:
                    found.append((i, j, x))
    return found
