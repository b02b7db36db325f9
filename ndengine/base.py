"""Errors, environment flags and per-thread state shared by every layer.

Nothing here imports from the rest of ndengine.
"""
from __future__ import annotations

import importlib
import os
import threading
from typing import Any

__all__ = [
    "MXNetError",
    "OpError",
    "EngineInternalError",
    "env_int",
    "env_str",
    "ThreadState",
    "MissingDependencyError",
    "optional_import",
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
    The original exception is chained as ``__cause__``.  When that is an IndexError,
    ValueError, TypeError or MemoryError, the OpError is one too (a subclass also named
    ``OpError``), so ``except IndexError`` catches an out-of-range index found at the sync
    point, as it does in MXNet.
    """

    def __new__(cls, op_name: str = "", pushed_at: str = "", cause: Any = None,
                *args: Any) -> "OpError":
        if cls is OpError:
            for kind in _OP_ERROR_KINDS:
                if isinstance(cause, kind):
                    cls = _OP_ERROR_KINDS[kind]
                    break
        return super().__new__(cls, op_name, pushed_at, cause, *args)

    def __init__(self, op_name: str, pushed_at: str, cause: BaseException):
        self.op_name = op_name
        self.pushed_at = pushed_at
        self.original = cause
        super().__init__(
            f"op '{op_name}' (pushed at {pushed_at}) failed: "
            f"{type(cause).__name__}: {cause}"
        )
        self.__cause__ = cause


def _op_error_kind(kind: type) -> type:
    k = type("OpError", (OpError, kind), {"__module__": __name__, "__doc__": OpError.__doc__})
    k.__qualname__ = "OpError"
    return k


_OP_ERROR_KINDS: dict[type, type] = {kind: _op_error_kind(kind)
                                     for kind in (IndexError, ValueError, TypeError,
                                                  MemoryError)}


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


# -- optional dependencies ----------------------------------------------------------------
# module (top-level package) -> (its project's name, how to install it: ndengine's extra
# where it has one)
INSTALL_HINTS = {
    "matplotlib": ("matplotlib", "pip install ndengine[demo] (or: pip install matplotlib)"),
    "tqdm": ("tqdm", "pip install ndengine[demo] (or: pip install tqdm)"),
    "mpi4py": ("mpi4py", "pip install ndengine[dist] (mpi4py and an MPI library, "
                         "e.g. the mpich wheel)"),
    "PIL": ("Pillow", "pip install pillow"),
}


class MissingDependencyError(ModuleNotFoundError):
    """An optional dependency is not installed; the message says what needs it and how to
    install it.  A ``ModuleNotFoundError`` (so an ``ImportError``), as before."""


def optional_import(module: str, needed_for: str) -> Any:
    """``import module`` for a feature that needs an optional dependency.

    When the module's package is not installed, raises :class:`MissingDependencyError`
    naming *needed_for* (what the user asked for, e.g. ``"drawing a profiler timeline"``)
    and the install command (the ``ndengine[...]`` extra, see ``INSTALL_HINTS``).  Any
    other import failure (the package is there but broken) propagates unchanged."""
    top = module.split(".")[0]
    try:
        importlib.import_module(top)         # the package itself first: it is what's missing
        return importlib.import_module(module)
    except ImportError as e:
        missing = getattr(e, "name", None)
        if missing is None or missing.split(".")[0] != top:
            raise
        project, hint = INSTALL_HINTS.get(top, (top, f"pip install {top}"))
        raise MissingDependencyError(
            f"{needed_for} needs {project}, which is not installed: {hint}",
            name=top) from None
