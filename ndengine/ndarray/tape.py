"""The hook through which array ops reach autograd, without importing it.

``STATE.recording`` is tested on every op; when true, dispatch calls
``record(opdef, inputs, outputs, params)``, which :mod:`ndengine.autograd` installs
with :func:`set_recorder`.  Per thread, as in MXNet.

``STATE.needs`` is set by autograd while it calls an op's gradient: a tuple saying, per
argument of the op, whether that argument needs a gradient (None outside backward).
Gradients of costly ops consult it through :func:`needs` to skip work nobody uses (the
input-data gradient of a first layer's matmul, for instance).

The autograd methods of NDArray (``attach_grad``, ``grad``, ``backward``, ``detach``,
``grad_req``) are installed by :func:`install_methods`; they import
:mod:`ndengine.autograd` on first use, so the array layer never imports it statically.
"""
from __future__ import annotations

import importlib
import threading
from typing import Any, Callable


class _TapeState(threading.local):
    recording = False
    training = False
    needs: tuple[bool, ...] | None = None
    record: Callable[..., Any] | None = None


STATE = _TapeState()
_recorder: list[Callable[..., Any]] = []


def set_recorder(fn: Callable[..., Any]) -> None:
    """Installed once by ndengine.autograd; dispatch then calls *fn* as ``record``
    (looked up on this module at each call, so no extra frame)."""
    global record
    _recorder[:] = [fn]
    record = fn


def record(opdef: Any, inputs: tuple[Any, ...], outputs: Any, params: dict[str, Any]) -> None:
    if _recorder:
        _recorder[0](opdef, inputs, outputs, params)


def needs(i: int) -> bool:
    """Whether argument *i* of the op whose gradient is being computed needs one."""
    n = STATE.needs
    return n is None or i >= len(n) or n[i]


def autograd() -> Any:
    """The ndengine.autograd module (imported on first use)."""
    return importlib.import_module("ndengine.autograd")


# ----------------------------------------------------------------- NDArray methods
def _attach_grad(self: Any, grad_req: str = "write", stype: Any = None) -> None:
    """Attach a zero gradient buffer to this array (``NDArray.attach_grad``): backward
    then writes (``'write'``), accumulates (``'add'``) or skips (``'null'``) its
    gradient.  Any recorded history of the array is cut: it becomes a variable."""
    autograd().attach_grad(self, grad_req, stype)


def _backward(self: Any, out_grad: Any = None, retain_graph: bool = False,
              train_mode: bool = True) -> None:
    """Push the gradient ops of this array's recorded graph (``NDArray.backward``);
    returns before they run.  Reading ``x.grad`` is the sync point."""
    autograd().backward([self], None if out_grad is None else [out_grad],
                        retain_graph=retain_graph, train_mode=train_mode)


def _detach(self: Any) -> Any:
    """The same values, cut from the recorded graph (``NDArray.detach``)."""
    return autograd().detach(self)


def _get_grad(self: Any) -> Any:
    """The gradient buffer attached by ``attach_grad`` (None if there is none)."""
    return self._grad


def _get_grad_req(self: Any) -> str:
    return self._grad_req or "null"


def _set_grad_req(self: Any, req: str) -> None:
    autograd().set_grad_req(self, req)


def install_methods(cls: type) -> None:
    """Give NDArray its autograd methods (called once by ndarray.py)."""
    cls.attach_grad = _attach_grad
    cls.backward = _backward
    cls.detach = _detach
    cls.grad = property(_get_grad)
    cls.grad_req = property(_get_grad_req, _set_grad_req)
