"""Where an op was pushed from (for error messages and the profiler), and the engine's
argument checks.  Kept out of the drivers: they only call these."""
from __future__ import annotations

import os
import sys
from typing import Any

from .state import normalize
from .var import Var

__all__ = ["push_site", "site_location", "format_site", "bad_vars", "bad_sequences",
           "bad_wait", "normalized"]

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_getframe = sys._getframe
_internal_code: dict[int, bool] = {}   # id(code object) -> defined inside ndengine?


def push_site(depth: int = 2) -> tuple[Any, int] | None:
    """``(code, lasti)`` of the first frame outside the ndengine package, starting
    *depth* frames up (0 is this function, 1 its caller...).  Cheap: no line number is
    computed (:func:`format_site` does that when needed).  Callers that know how deep
    the user's frame is pass that depth, since each frame walked past costs a frame
    object."""
    try:
        f = _getframe(depth)
    except ValueError:          # a shallower stack than expected
        f = _getframe(1)
    while f is not None:
        c = f.f_code
        internal = _internal_code.get(id(c))
        if internal is None:
            internal = _internal_code[id(c)] = c.co_filename.startswith(_PKG_DIR)
        if not internal:
            return (c, f.f_lasti)
        f = f.f_back
    return None


def site_location(site: Any) -> tuple[str, int] | None:
    """``(filename, line)`` of a push site."""
    if site is None:
        return None
    code, lasti = site
    line = code.co_firstlineno
    for start, end, ln in code.co_lines():
        if start <= lasti < end and ln is not None:
            line = ln
            break
    return (code.co_filename, line)


def format_site(site: Any) -> str:
    loc = site_location(site)
    if loc is None:
        return "<unknown>"
    return f"{loc[0]}:{loc[1]}"


def bad_vars(arg: str, vs: tuple[Any, ...]) -> None:
    for i, v in enumerate(vs):
        if v.__class__ is not Var:
            raise TypeError(f"push: {arg}[{i}] must be a Var (engine.new_var()), "
                            f"got {type(v).__name__}")
        if v.deleted:
            raise ValueError(f"push: {arg}[{i}] ({v!r}) was deleted")


def bad_sequences(reads: Any, writes: Any) -> None:
    """*reads* or *writes* is not a sequence of Vars (normalize could not take it)."""
    for arg, vs in (("reads", reads), ("writes", writes)):
        if vs.__class__ is Var:
            raise TypeError(f"push: {arg} must be a sequence of Vars, got a single Var "
                            f"(write {arg}=[v])")
        try:
            vs = tuple(vs)
        except TypeError:
            raise TypeError(f"push: {arg} must be a sequence of Vars, got "
                            f"{type(vs).__name__}") from None
        bad_vars(arg, vs)


def bad_wait(fname: str, var: Any) -> None:
    if var.__class__ is not Var:
        raise TypeError(f"{fname}: expected a Var, got {type(var).__name__}")
    raise ValueError(f"{fname}: {var!r} was deleted; nothing to wait for")


def normalized(reads: Any, writes: Any) -> tuple[Any, Any, Any]:
    """:func:`.state.normalize`, with a clear error when *reads* or *writes* is not a
    sequence of Vars."""
    try:
        return normalize(reads, writes)
    except TypeError:
        bad_sequences(reads, writes)
        raise


