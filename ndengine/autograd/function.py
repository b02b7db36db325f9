"""``autograd.Function``: a differentiable function with a hand-written gradient.

As in MXNet::

    class Sigmoid(autograd.Function):
        def forward(self, x):
            y = 1 / (1 + np.exp(-x))
            self.save_for_backward(y)
            return y

        def backward(self, dy):
            y, = self.saved_tensors
            return dy * y * (1 - y)

    y = Sigmoid()(x)

``forward`` runs with recording paused (its ops are not recorded); when recording, the
call is recorded as one node whose gradient calls ``backward`` with one gradient per
output (zeros for outputs that got none) and expects one gradient per input.  Both are
ordinary array code, so they are pushed asynchronously like everything else.
"""
from __future__ import annotations

from typing import Any

from ..ndarray import tape as _tape
from ..ndarray.ndarray import NDArray
from .graph import record_op

__all__ = ["Function"]


class _FunctionOp:
    """The op-table entry of one Function call (name, gradient, number of outputs)."""

    __slots__ = ("name", "nout", "func", "kind")
    grad_needs_outputs = False      # backward gets what forward saved, not the outputs

    def __init__(self, func: "Function", nout: int) -> None:
        self.name = type(func).__name__
        self.nout = nout
        self.func = func
        self.kind = "compute"

    def grad(self, g: Any, out: Any, *inputs: Any) -> tuple:
        from .. import numpy as np

        gs = g if self.nout != 1 else [g]
        outs = out if self.nout != 1 else [out]
        gs = [x if x is not None else np.zeros(o.shape, dtype=o.dtype, ctx=o.device)
              for x, o in zip(gs, outs)]
        res = self.func.backward(*gs)
        if not isinstance(res, (list, tuple)):
            res = (res,)
        if len(res) != len(inputs):
            raise ValueError(
                f"{self.name}.backward returned {len(res)} gradients for {len(inputs)} "
                f"inputs; it must return one per input of forward")
        return tuple(res)

    def __repr__(self) -> str:
        return f"<Function op {self.name}>"


class Function:
    """Customize differentiation (``mxnet.autograd.Function``): override ``forward``
    and ``backward``; call an instance once, like a function."""

    def __init__(self) -> None:
        self._used = False
        self.saved_tensors: tuple = ()

    def save_for_backward(self, *args: Any) -> None:
        """Keep arrays for ``backward`` (read them back as ``self.saved_tensors``)."""
        self.saved_tensors = args

    def forward(self, *inputs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.forward is not defined")

    def backward(self, *output_grads: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.backward is not defined")

    def __call__(self, *inputs: Any) -> Any:
        if self._used:
            raise RuntimeError(f"{type(self).__name__}: each Function instance can only be "
                               f"called once; create another instance")
        self._used = True
        for i, x in enumerate(inputs):
            if not isinstance(x, NDArray):
                raise TypeError(f"{type(self).__name__}: input {i} must be an ndarray, got "
                                f"{type(x).__name__}")
        state = _tape.STATE
        recording = state.recording
        state.recording = False
        try:
            outputs = self.forward(*inputs)
            single = not isinstance(outputs, (list, tuple))
            outs = [outputs] if single else list(outputs)
            for i, o in enumerate(outs):
                if not isinstance(o, NDArray):
                    raise TypeError(f"{type(self).__name__}.forward must return ndarrays, "
                                    f"output {i} is {type(o).__name__}")
                # an output that is an input (or already in a graph) gets its own handle
                if o._node is not None or o._grad_req is not None or \
                        any(o is x for x in inputs):
                    outs[i] = o.copy()
        finally:
            state.recording = recording
        if recording:
            record_op(_FunctionOp(self, 1 if single else len(outs)), tuple(inputs),
                      outs[0] if single else outs, {})
        return outs[0] if single else (outs if isinstance(outputs, list) else tuple(outs))
