"""Where an op was pushed from (for error messages and the profiler), and the engine's
argument checks.  Kept out of the drivers: they only call these."""
from __future__ import annotations

import os
import sys
from typing import Any

from .state import normalize
from .var import Op, Var

__all__ = ["push_site", "site_location", "format_site", "bad_vars", "bad_sequences",
           "bad_wait", "checked_op"]

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


def checked_op(engine: Any, fn: Any, reads: Any, writes: Any, device: Any, priority: Any,
               name: Any, copy: bool, nbytes: int, info: Any, site: Any) -> Op:
    """The Op of ``engine.push(...)``'s arguments, checked (clear errors naming the
    argument), with its push site."""
    if not callable(fn):
        raise TypeError(f"push: fn must be callable, got {type(fn).__name__}")
    if (writes.__class__ is tuple and len(writes) == 1 and reads.__class__ is tuple
            and (not reads or (len(reads) == 1 and reads[0] is not writes[0]))):
        rw = ()          # the common case: nothing to deduplicate
    else:
        try:
            reads, writes, rw = normalize(reads, writes)
        except TypeError:
            bad_sequences(reads, writes)
            raise
    for v in reads:
        if v.__class__ is not Var or v.deleted:
            bad_vars("reads", reads)
    for v in writes:
        if v.__class__ is not Var or v.deleted:
            bad_vars("writes", writes)
    if device is None:
        from ..device import current_device

        device = current_device()
    elif device.__class__ is not _Device:
        engine._check_device(device)      # raises, naming the argument
    if device not in engine._devices_ok:
        engine._check_device(device)
    if priority.__class__ is not int:
        raise TypeError(f"push: priority must be an int, got {priority!r}")
    op = Op(fn, reads, writes, rw, device, priority,
            name or getattr(fn, "__name__", "op"), copy, nbytes, info)
    if site is not None:
        op.pushed_at = site
    elif engine.track_push_site:
        op.pushed_at = push_site(3)
    return op


from ..device import Device as _Device  # noqa: E402
