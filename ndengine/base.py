"""Errors, environment flags and per-thread state shared by every layer.

Nothing here imports from the rest of ndengine.
"""
from __future__ import annotations

import os
import threading

__all__ = [
    "MXNetError",
    "OpError",
    "EngineInternalError",
    "env_int",
    "env_str",
    "ThreadState",
]

# Base class for per-thread state of the layers that run no threads of their own (the
# autograd tape, gluon's name scopes): each front-end thread sees its own, as in MXNet.
ThreadState = threading.local


class MXNetError(RuntimeError):
    """Base class of the errors ndengine raises for user-visible failures (as in MXNet)."""


class OpError(MXNetError):
    """An asynchronous op failed.

    Raised at the sync point (``wait_to_read``, ``asnumpy``, ``waitall``...) that first
    touches an array written by the failing op, or by any op that depended on it.
    The original exception is chained as ``__cause__``.
    """

    def __init__(self, op_name: str, pushed_at: str, cause: BaseException):
        self.op_name = op_name
        self.pushed_at = pushed_at
        self.original = cause
        super().__init__(
            f"op '{op_name}' (pushed at {pushed_at}) failed: "
            f"{type(cause).__name__}: {cause}"
        )
        self.__cause__ = cause


class EngineInternalError(RuntimeError):
    """A bug in ndengine's engine itself, never the user's error type."""


def env_str(*names: str, default: str | None = None) -> str | None:
    """The first of the environment variables *names* that is set and non-empty."""
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return default


def env_int(*names: str, default: int) -> int:
    """Like :func:`env_str`, as an int; a malformed value is a clear error."""
    value = env_str(*names)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"environment variable {'/'.join(names)} must be an integer, got {value!r}"
        ) from None
