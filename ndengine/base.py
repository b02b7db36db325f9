"""Errors, environment flags, per-thread state and atomic file writes shared by every layer.

Nothing here imports from the rest of ndengine.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import threading
from typing import IO, Any, Iterator

__all__ = [
    "MXNetError",
    "OpError",
    "EngineInternalError",
    "env_int",
    "env_str",
    "ThreadState",
    "MissingDependencyError",
    "optional_import",
    "atomic_write",
    "write_bytes",
    "write_text",
    "file_path",
    "PathIsADirectoryError",
    "module_dir",
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


# ----------------------------------------------------------------------------- files
# Atomic writes, shared by everything that writes a user's file (``.params``, trainer
# states, ``-symbol.json``, profiler traces...).  ``atomic_write(path, opname)`` is a
# context manager giving a file opened for writing; the bytes go to a new temporary
# file beside *path* (same folder, so the rename stays on one file system), which is
# flushed, fsync'ed and ``os.replace``'d over *path* when the ``with`` block ends
# without an exception.  So the previous file under *path* is never lost: a full disk,
# a missing permission, a Ctrl-C or any exception while writing leaves it as it was
# (the temporary file is removed), and the ``OSError`` raised names the operation and
# the file.  Through a symlink, the file it points to is replaced; a file replaced
# keeps its permission bits.


class PathIsADirectoryError(MXNetError, IsADirectoryError):
    """The path to write is a directory."""


def file_path(fname: Any, opname: str) -> str:
    """*fname* (str, bytes or os.PathLike) as a str path; TypeError naming *opname*."""
    if isinstance(fname, bytes):
        fname = os.fsdecode(fname)
    if not isinstance(fname, (str, os.PathLike)):
        raise TypeError(f"{opname}: fname required to be a string or path, got "
                        f"{type(fname).__name__}")
    return os.fspath(fname)


def _keep_mode(fd: int, target: str) -> None:
    """A file saved over an existing one keeps that file's permission bits."""
    try:
        mode = os.stat(target).st_mode & 0o7777
    except OSError:
        return
    try:
        os.fchmod(fd, mode)
    except OSError:
        pass


def _open_temp(directory: str, base: str, opname: str) -> tuple[int, str]:
    """A new file beside the target, created with the usual permissions (umask)."""
    for _ in range(100):
        name = os.path.join(directory or ".",
                            f".{base}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"{opname}: could not create a temporary file in {directory!r}")


def _named(e: OSError, opname: str, path: str) -> OSError:
    """*e* again, as its own type, with a message naming the operation and the file."""
    msg = (f"{opname}: cannot write {path!r}: {e.strerror or e}; the previous file (if "
           f"any) is left as it was")
    try:
        new = type(e)(e.errno, msg) if e.errno is not None else type(e)(msg)
    except Exception:               # noqa: BLE001  (an OSError subclass with its own init)
        new = OSError(e.errno, msg)
    return new


@contextlib.contextmanager
def atomic_write(fname: Any, opname: str, text: bool = False,
                 encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Write *fname* atomically (see the module notes): ``with atomic_write(p, 'save')
    as f: f.write(...)``.  *text*: a text file in *encoding*."""
    path = file_path(fname, opname)
    if os.path.isdir(path):
        raise PathIsADirectoryError(f"{opname}: {path!r} is a directory")
    target = os.path.realpath(path)     # through a symlink: replace the file it names
    tmp = None
    try:
        fd, tmp = _open_temp(os.path.dirname(target), os.path.basename(target), opname)
        f = os.fdopen(fd, "w" if text else "wb", **({"encoding": encoding} if text else {}))
        with f:
            _keep_mode(f.fileno(), target)
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        tmp = None
    except OSError as e:
        raise _named(e, opname, path) from e
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def write_bytes(fname: Any, data: bytes, opname: str) -> None:
    """*data* to *fname*, atomically."""
    with atomic_write(fname, opname) as f:
        f.write(data)


def write_text(fname: Any, data: str, opname: str, encoding: str = "utf-8") -> None:
    """*data* to *fname* as text, atomically."""
    with atomic_write(fname, opname, text=True, encoding=encoding) as f:
        f.write(data)


def module_dir(namespace: dict, hide: tuple[str, ...] = ()) -> Any:
    """A ``__dir__`` (PEP 562) for a public module whose *namespace* (its ``globals()``)
    also holds what its own code needed to be written: ``dir()`` and tab completion then
    offer its API only, less the ``annotations`` flag, typing helpers (``Any``,
    ``Callable``...), modules from outside ndengine it imported (``math``, ``os``...)
    and the helpers named in *hide* (``OPS``, ``apply_op``...).  Those stay reachable
    as attributes for the code that uses them; ``__all__`` (``import *``) is unchanged.
    A ``__dir__`` the module already has (listing names it loads lazily) is filtered
    the same way.  Call it at the end of the module."""
    import __future__
    import types

    hidden = frozenset(hide)
    prev = namespace.get("__dir__")            # a module's own (lazy names): kept
    missing = object()

    def __dir__() -> list[str]:
        out = []
        for name in (prev() if prev is not None else list(namespace)):
            value = namespace.get(name, missing)
            if name in hidden or isinstance(value, __future__._Feature):
                continue
            if getattr(value, "__module__", None) == "typing" and not name.startswith("_"):
                continue
            if isinstance(value, types.ModuleType) and not name.startswith("_") and \
                    not value.__name__.startswith(("ndengine", "mxnet")):
                continue
            out.append(name)
        return sorted(out)
    return __dir__
