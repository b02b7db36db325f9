"""``mx.error``: MXNet's structured error classes and their registry.

``MXNetError`` is :class:`ndengine.base.MXNetError` (the base of every error ndengine
raises for the user).  ``register`` (also ``register_error``) records an error class
under a name in :data:`error_types`, as MXNet does for the errors its C++ side names
in messages (``"ValueError: ..."``); :func:`error_for` turns such a message back into
an instance of the registered class.
"""
from __future__ import annotations

from typing import Any, Callable

from .base import MXNetError

__all__ = ["MXNetError", "InternalError", "register", "register_error", "error_types",
           "error_for"]

# name -> error class
error_types: dict[str, type] = {}


def register_error(func_name: Any = None, cls: Any = None) -> Any:
    """Register an error class (``@register_error`` on a class, under its own name), or
    return a decorator registering under *func_name* (``@register_error("Name")``), or
    register *cls* under *func_name* (``register_error("Name", cls)``)."""
    if isinstance(func_name, type):
        cls, func_name = func_name, func_name.__name__
    elif func_name is not None and not isinstance(func_name, str):
        raise TypeError(f"register_error: expected an error class or a name, got "
                        f"{type(func_name).__name__}")

    def register(mycls: type) -> type:
        error_types[func_name or mycls.__name__] = mycls
        return mycls
    return register if cls is None else register(cls)


register = register_error


def error_for(message: str) -> BaseException:
    """The exception a message ``"Name: text"`` stands for: an instance of the class
    registered as *Name* (``MXNetError`` if none is), carrying the whole message."""
    head = message.split("\n", 1)[0]
    name = head.partition(":")[0] if ":" in head else ""
    valid = bool(name) and all(c.isalnum() or c in "_." for c in name)
    return error_types.get(name if valid else "", MXNetError)(message)


@register_error
class InternalError(MXNetError):
    """A bug inside ndengine itself (not the caller's mistake)."""

    def __init__(self, msg: str):
        if "hint:" not in msg:
            msg += ("\nndengine hint: You hit an internal error. Please report it with the "
                    "traceback.")
        super().__init__(msg)


for _builtin in (ValueError, TypeError, AttributeError, IndexError, NotImplementedError):
    register_error(_builtin.__name__, _builtin)
