"""``mx.contrib.autograd``: MXNet's first autograd API (before ``mx.autograd``), on
ndengine's autograd: ``train_section`` records (training mode), ``test_section``
neither records nor trains, ``grad`` / ``grad_and_loss`` wrap a function to return
the gradients of its arguments."""
from __future__ import annotations

import functools
from typing import Any, Callable

from .. import autograd as _ag

__all__ = ["set_is_training", "TrainingStateScope", "train_section", "test_section",
           "mark_variables", "backward", "compute_gradient", "grad_and_loss", "grad"]


def set_is_training(is_train: bool) -> bool:
    """Set recording and training mode together; returns the previous state."""
    prev = _ag.is_training()
    _ag.set_recording(bool(is_train))
    _ag.set_training(bool(is_train))
    return prev


class TrainingStateScope:
    """A scope with recording and training on (True) or off (False)."""

    def __init__(self, enter_state: bool) -> None:
        self._enter_state = enter_state
        self._prev: tuple | None = None

    def __enter__(self) -> None:
        self._prev = (_ag.is_recording(), _ag.is_training())
        _ag.set_recording(self._enter_state)
        _ag.set_training(self._enter_state)

    def __exit__(self, *exc: Any) -> None:
        rec, train = self._prev
        _ag.set_recording(rec)
        _ag.set_training(train)


def train_section() -> TrainingStateScope:
    """``with train_section():`` records the ops, in training mode."""
    return TrainingStateScope(True)


def test_section() -> TrainingStateScope:
    """``with test_section():`` neither records nor trains (inside a train_section)."""
    return TrainingStateScope(False)


def mark_variables(variables: Any, gradients: Any, grad_reqs: Any = "write") -> None:
    """Attach *gradients* (arrays written by backward) to *variables*."""
    from ..legacy.ndarray import unwrap

    single = not isinstance(variables, (list, tuple))
    vs = [variables] if single else list(variables)
    gs = [gradients] if single else list(gradients)
    _ag.mark_variables([unwrap(v) for v in vs], [unwrap(g) for g in gs], grad_reqs)


def backward(outputs: Any, out_grads: Any = None, retain_graph: bool = False) -> None:
    """Gradients of *outputs* into the marked variables' gradient arrays."""
    _ag.backward(outputs, out_grads, retain_graph=retain_graph)


def compute_gradient(outputs: Any) -> None:
    """``backward(outputs)`` (MXNet's deprecated name)."""
    backward(outputs)


def grad_and_loss(func: Callable[..., Any], argnum: Any = None) -> Callable[..., tuple]:
    """A function returning ``(gradients of the arguments, func's output)``; *argnum*
    (an int or a list) selects the arguments to differentiate."""
    @functools.wraps(func)
    def wrapped(*args: Any) -> tuple:
        from ..legacy import zeros_like

        variables = list(args)
        if argnum is not None:
            nums = argnum if isinstance(argnum, list) else [argnum]
            variables = [args[i] for i in nums]
        for x in variables:
            if not hasattr(x, "shape") or not hasattr(x, "attach_grad"):
                raise TypeError(f"grad_and_loss: the arguments to differentiate must be "
                                f"NDArrays, got {type(x).__name__}")
        grads = [zeros_like(x) for x in variables]
        mark_variables(variables, grads)
        with train_section():
            outputs = func(*args)
        compute_gradient([outputs] if not isinstance(outputs, (list, tuple)) else outputs)
        return grads, outputs
    return wrapped


def grad(func: Callable[..., Any], argnum: Any = None) -> Callable[..., list]:
    """A function returning the gradients of *func*'s arguments."""
    g = grad_and_loss(func, argnum)

    @functools.wraps(func)
    def wrapped(*args: Any) -> list:
        return g(*args)[0]
    return wrapped
