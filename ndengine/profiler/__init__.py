"""ndengine.profiler: see what ran where, and when (MXNet's ``mxnet.profiler`` API).

::

    from ndengine import profiler
    profiler.set_config(filename="trace.json", aggregate_stats=True)
    profiler.set_state("run")
    ...                                   # push work
    npx.waitall()
    profiler.set_state("stop")
    profiler.dump()                       # Chrome trace: open in ui.perfetto.dev
    print(profiler.dumps())               # per-op count, total, min, max, avg (ms)

    python -m ndengine.profiler trace.json --png timeline.png   # a timeline picture

The trace has a process per device (a thread per worker and copy worker), a "front end"
process (the Python threads: a tick per push, and the ops they ran themselves while
waiting), a span per op (name, input/output shapes and dtypes, push-to-start latency,
push site), flow arrows for the dependencies between ops, and counters of the ops and
bytes in flight per device.  :func:`dependency_graph` draws the graph of recorded ops as
DOT, SVG or PNG (the seed's ``z = x * y + 2`` figure).

Cost: the profiler subscribes to the engine hooks only while it runs (and until the ops
pushed before ``set_state('stop')`` finish); otherwise the engine's hot path tests one
flag.  Differences from MXNet: ``dumps()`` works whether or not ``aggregate_stats`` was
set (the stats are cheap here); ``continuous_dump`` rewrites the file at each
``set_state('stop')`` rather than periodically; ops fused by ``engine.bulk`` show as one
op; ``Scope`` prefixes op names.
"""
from __future__ import annotations

import warnings
from typing import Any

# the submodule first: importing it later (``from ndengine.profiler.timeline import ...``)
# would set this package's ``timeline`` attribute to the module, over the function below
from . import timeline as _timeline_module  # noqa: F401
from .core import PROFILER
from .graph import DepGraph, graph_of_arrays, graph_of_last_ops
from .objects import Counter, Domain, Event, Frame, Marker, Scope, Task

__all__ = ["set_config", "set_state", "get_state", "pause", "resume", "dump", "dumps",
           "trace", "dependency_graph", "timeline", "Domain", "Task", "Frame", "Event",
           "Counter", "Marker", "Scope", "DepGraph", "profiler_set_config",
           "profiler_set_state", "dump_profile"]


def set_config(**kwargs: Any) -> None:
    """See mxnet.profiler.set_config: ``filename``, ``profile_all``, ``profile_symbolic``,
    ``profile_imperative`` (op spans), ``profile_memory`` (bytes-in-flight counters),
    ``profile_api`` (a marker per push), ``continuous_dump``, ``dump_period``,
    ``aggregate_stats``, ``profile_process``."""
    PROFILER.set_config(**kwargs)


def set_state(state: str = "stop", profile_process: str = "worker") -> None:
    """See mxnet.profiler.set_state: 'run' starts recording ops, 'stop' stops (ops
    already pushed are still recorded when they finish)."""
    PROFILER.set_state(state, profile_process)


def get_state() -> str:
    """'run' or 'stop'."""
    return PROFILER.state


def pause(profile_process: str = "worker") -> None:
    """See mxnet.profiler.pause: stop recording new ops until :func:`resume`."""
    PROFILER.pause()


def resume(profile_process: str = "worker") -> None:
    """See mxnet.profiler.resume."""
    PROFILER.resume()


def dump(finished: bool = True, profile_process: str = "worker") -> str:
    """See mxnet.profiler.dump: write the Chrome trace of the ops recorded so far to the
    configured filename (returned).  ``finished=True``: the next session (the next
    ``set_state('run')``) starts afresh (ops still in flight are kept for it);
    ``finished=False``: later dumps include these ops again."""
    return PROFILER.dump(finished)


def dumps(reset: bool = False, format: str = "table", sort_by: str = "total",
          ascending: bool = False) -> str:
    """See mxnet.profiler.dumps: aggregate stats per op name (count, total, min, max,
    avg time in ms) as a table or JSON; *sort_by* is 'total', 'avg', 'min', 'max' or
    'count'; *reset* clears them afterwards."""
    return PROFILER.dumps(reset, format, sort_by, ascending)


def trace() -> dict[str, Any]:
    """The Chrome trace of the ops recorded so far, as a dict (what :func:`dump` writes)."""
    return PROFILER.trace()


def _names_by_var(names: Any) -> dict[Any, str]:
    if names is None:
        return {}
    if not isinstance(names, dict):
        raise TypeError(f"dependency_graph: names must be a dict of name -> array "
                        f"(e.g. dict(x=x, y=y) or locals()), got {type(names).__name__}")
    out: dict[Any, str] = {}
    for name, arr in names.items():
        var = getattr(arr, "_var", None)
        if var is not None and hasattr(arr, "_shape") and not str(name).startswith("_"):
            out.setdefault(var, str(name))
    return out


def dependency_graph(*arrays: Any, names: Any = None, last: int | None = None) -> DepGraph:
    """The dependency graph of recorded ops, as a :class:`DepGraph` (``.to_dot()``,
    ``.render('g.svg')``).

    ``dependency_graph(z, names=dict(x=x, y=y, z=z))``: the ops that produced *arrays*,
    walking back to arrays named in *names* (any dict name -> array, e.g. ``locals()``).
    ``dependency_graph(last=20)``: the last 20 recorded ops and the dependencies among
    them.  Only ops recorded while the profiler ran (in this session) appear."""
    by_var = _names_by_var(names)
    if arrays and last is not None:
        raise ValueError("dependency_graph: give arrays or last=N, not both")
    if arrays:
        if len(arrays) == 1 and isinstance(arrays[0], (list, tuple)):
            arrays = tuple(arrays[0])
        for i, a in enumerate(arrays):
            if getattr(a, "_var", None) is None:
                raise TypeError(f"dependency_graph: argument {i} is not an NDArray "
                                f"({type(a).__name__})")
            by_var.setdefault(a._var, f"array {i}")
        g = graph_of_arrays(PROFILER.rec, arrays, by_var)
    else:
        if last is None:
            raise ValueError("dependency_graph: give the arrays to explain, or last=N")
        if int(last) < 0:
            raise ValueError(f"dependency_graph: last must be >= 0, got {last}")
        g = graph_of_last_ops(PROFILER.rec, int(last), by_var)
    if (arrays or int(last or 0) > 0) and not any(n["type"] == "op" for n in g.nodes.values()):
        _warn_no_ops(bool(arrays))
    return g


def _warn_no_ops(for_arrays: bool) -> None:
    """dependency_graph found no recorded op: say what was missing (a silent one-node
    graph looks like a wrong answer)."""
    what = ("no recorded op produced these arrays, so the graph has no ops" if for_arrays
            else "(last=N): no op is recorded, so the graph is empty")
    if PROFILER.state != "run" and not PROFILER.rec.snapshot()[0]:
        why = ("the profiler has recorded nothing: turn it on before computing them, "
               "profiler.set_state('run') ... profiler.set_state('stop')")
    elif PROFILER.state == "run" and PROFILER.paused:
        why = "the profiler is paused (profiler.resume() records again)"
    elif for_arrays:
        why = ("they were computed while the profiler was not running, or before the last "
               "dump(finished=True) started a new session")
    else:
        why = "none is left in this session (dump(finished=True) started a new one)"
    warnings.warn(f"dependency_graph{':' if for_arrays else ''} {what}: {why}. Only ops "
                  f"pushed while the profiler runs appear.", stacklevel=3)


def timeline(source: Any, path: str, **kwargs: Any) -> str:
    """Draw a trace (dict, path, or None for the ops recorded so far) as a timeline
    picture; see :func:`.timeline.render_timeline` for the options."""
    from .timeline import render_timeline   # (loaded with the package: no rebinding)

    return render_timeline(trace() if source is None else source, path, **kwargs)


# -- MXNet's deprecated spellings -------------------------------------------------------
def profiler_set_config(mode: str = "symbolic", filename: str = "profile.json") -> None:
    """Deprecated in MXNet: use set_config."""
    if mode not in ("symbolic", "all", "imperative", "api", "memory"):
        raise ValueError(f"profiler_set_config: unknown mode {mode!r}")
    set_config(**{f"profile_{mode}": True, "filename": filename})


def profiler_set_state(state: str = "stop") -> None:
    """Deprecated in MXNet: use set_state."""
    set_state(state)


def dump_profile() -> str:
    """Deprecated in MXNet: use dump."""
    return dump(True)


def __getattr__(name: str) -> Any:
    if name == "state":                 # profiler.state: 'run' or 'stop', always current
        return PROFILER.state
    raise AttributeError(f"module 'ndengine.profiler' has no attribute {name!r}")


from ..base import module_dir  # noqa: E402

__dir__ = module_dir(globals(), hide=("module_dir",))
