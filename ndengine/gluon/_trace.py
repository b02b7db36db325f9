"""hybridize(): trace a forward once, replay it as one engine op.

Tracing
-------
The first call of a hybridized block with a given signature (input shapes, dtypes and
devices, the other arguments, train/predict mode, recording or not) runs its forward
once on *placeholders* — handles standing for the inputs — inside
``engine.bulk(...)``: the ops it pushes are not handed to the engine one by one but
gathered, and at the end of the trace they reach the engine as one fused op, which an
engine hook (``engine.HOOKS``, ``on_push``) captures: its callables, in push order,
and the vars they read and write.  That fused op also computes the first call's
result (the trace costs no second run).  While tracing, ops are also recorded (the
tape's hook) as op-table nodes — op, arguments, outputs, attributes — the graph that
backward and ``export`` use.

What a trace keeps is what the forward *did*: Python control flow is traced as the
values it took (an ``if`` on a shape, a loop over ``range(n)``, a flag of the block):
later calls replay those ops whatever the Python code would do now, as MXNet's
hybridized blocks do; a new signature traces again (cached per signature).  A forward
that reads an array's value while tracing (``.asnumpy()``, ``.item()``, ``float()``,
``bool()``, ``print``) needs a value no symbolic graph has: the trace fails with
:class:`TracingError` naming the line.

Replay
------
A later call with the same signature pushes **one** engine op: it reads the inputs
and every array from outside the graph the forward used (parameters, constants),
writes the outputs (fresh handles) and whatever outside var the graph writes (the
device's random generator for dropout, moving statistics), and runs the captured
callables back to back on one worker, on the placeholders rebound to this call's
inputs.  Random ops draw anew at each call; a program's replays are ordered by a var
of its own (they share the graph's intermediate handles).  ``static_alloc=False``
drops the intermediate buffers after each call; ``static_alloc=True`` keeps them
bound between calls (large buffers come from the device's storage pool either way).

What a replay costs is worked out once, when the graph is captured (``_finish``): the
program is a flat list of the traced ops' callables (the trace's bulk op unpacked),
the BLAS kernels among them called without the op table's per-kernel thread-policy
wrapper, the whole program taking the BLAS policy once, sized by its largest product;
the output shapes, the vars it always reads and writes, and the vars an input must
not be are precomputed, so a call checks only its own inputs before the array
layer's unchecked push.

Under ``autograd.record()`` the replay records one tape node whose gradient is the
traced backward graph: built on the first backward with a given set of arguments
needing gradients, by running the op-table gradients of the recorded nodes (captured
the same way), then replayed as one op that reads the head gradients and the
forward's saved intermediate buffers and writes the gradients of the inputs and of
the parameters (and, for BatchNorm in training, the moving statistics, updated in
the backward pass as in MXNet 1.9.1).
"""
from __future__ import annotations

import os
import sys
from functools import partial
from typing import Any, Callable

import numpy as _onp

from .. import engine as _engine
from ..base import MXNetError, ThreadState
from ..ndarray import tape as _tape
from ..device.blas import BLAS as _BLAS
from ..ndarray import ndarray as _ndarray_mod
from ..ndarray.ndarray import _TRACK_SITE, NDArray, _new, _run_n, share
from ..ndarray.ops import register

__all__ = ["TracingError", "Program", "capture", "replay", "is_tracing", "CachedOp", "backprop",
           "graph_handles", "outside_arrays"]

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_BULK_SIZE = 1 << 30
_SYNC_FRAMES = frozenset(["wait_for_var", "wait_to_write", "wait_all", "drain"])


class TracingError(MXNetError, RuntimeError):
    """A hybridized forward did something a traced graph cannot hold."""


class _State(ThreadState):
    capture: Any = None          # the _Capture of this thread's trace (None: not tracing)


_TS = _State()


def is_tracing() -> bool:
    """Whether this thread is tracing a hybridized forward."""
    return _TS.capture is not None


def _user_site() -> str:
    """``file:line: code`` of the innermost caller outside ndengine."""
    f = sys._getframe(1)
    while f is not None:
        fn = os.path.abspath(f.f_code.co_filename)
        if not fn.startswith(_PKG_DIR + os.sep) and "importlib" not in fn:
            try:
                import linecache

                code = linecache.getline(fn, f.f_lineno).strip()
            except Exception:
                code = ""
            return f"{fn}:{f.f_lineno}" + (f": {code}" if code else "")
        f = f.f_back
    return "<unknown>"


def _in_sync() -> bool:
    f = sys._getframe(2)
    while f is not None:
        if f.f_code.co_name in _SYNC_FRAMES and \
                os.path.abspath(f.f_code.co_filename).startswith(_PKG_DIR + os.sep):
            return True
        f = f.f_back
    return False


class _Capture:
    """An engine-hook subscriber gathering the ops this thread's trace pushes."""

    def __init__(self) -> None:
        self.ops: list[Any] = []
        self.sync_site: str | None = None
        self.nodes: list[tuple] = []
        # what printing an array of the graph shows (MXNet prints its symbols'
        # names): id(array) -> name; the blocks whose hybrid_forward runs; name counts
        self.names: dict[int, str] = {}
        self.blocks: list[Any] = []
        self.counts: dict[str, int] = {}

    def on_push(self, op: Any) -> None:
        if _TS.capture is not self:
            return
        # what the op is, taken now: an engine may drop op.fn once the op has run
        self.ops.append((op.fn, tuple(op.reads) + tuple(op.rw), tuple(op.writes), op.nbytes))
        if self.sync_site is None and _in_sync():
            self.sync_site = _user_site()

    def record(self, opdef: Any, inputs: tuple, outputs: Any, params: dict) -> None:
        outs = [outputs] if outputs.__class__ is NDArray else list(outputs)
        self.nodes.append((opdef, tuple(inputs), outs, dict(params), outputs.__class__ is NDArray))
        hint = getattr(opdef, "name", "op").lower().lstrip("_")
        for pre in ("npx_", "npi_", "np_"):
            if hint.startswith(pre):
                hint = hint[len(pre):]
        base = (self.blocks[-1].prefix if self.blocks else "") + hint
        n = self.counts.get(base, 0)
        self.counts[base] = n + 1
        for k, o in enumerate(outs):
            self.names.setdefault(id(o), f"{base}{n}" + (f"_output{k}" if k else ""))

    def symbol_name(self, arr: Any) -> str | None:
        """The name MXNet-style printing gives *arr* in this trace: an input, a node's
        output or a parameter of a block being traced; None for an outside array."""
        name = self.names.get(id(arr))
        if name is not None:
            return name
        for blk in reversed(self.blocks):
            for p in blk._reg_params.values():
                if p._data and any(d is arr for d in p._data):
                    return p.name
        var = arr._var
        for op in self.ops:
            if var in op[2]:
                return "node" + str(self.ops.index(op))
        return None


def _symbol_text(arr: Any) -> str | None:
    """``print``/``repr`` of an array while this thread traces a hybridized forward:
    ``<_Symbol name>`` (what MXNet prints for the symbol there), without reading the
    value (which the trace cannot do); None outside tracing or for an outside array."""
    cap = _TS.capture
    if cap is None:
        return None
    name = cap.symbol_name(arr)
    return None if name is None else f"<_Symbol {name}>"


class naming_scope:
    """``with naming_scope(block):`` around a traced ``hybrid_forward``: nodes made
    inside are named with the block's prefix (as MXNet names its symbols)."""

    def __init__(self, block: Any) -> None:
        self.block = block
        self.cap = _TS.capture

    def __enter__(self) -> None:
        if self.cap is not None:
            self.cap.blocks.append(self.block)

    def __exit__(self, *exc: Any) -> None:
        if self.cap is not None:
            self.cap.blocks.pop()


_ndarray_mod.SYMBOL_TEXT = _symbol_text


# ----------------------------------------------------------------------------- binding
def _run_bind(pairs: list) -> None:
    for dst, src in pairs:
        buf = src._data if src.__class__ is NDArray else src()
        dst._data = buf
        dst._shared = True


def _push_bind(pairs: list, extra_writes: tuple = (), name: str = "trace.bind") -> None:
    """An op setting each ``dst._data`` to ``src._data`` (src an array, or a callable
    giving the buffer), reading the sources, writing the destinations."""
    if not pairs:
        return
    reads = tuple(dict.fromkeys(s._var for _, s in pairs if s.__class__ is NDArray))
    writes = tuple(dict.fromkeys([d._var for d, _ in pairs] + list(extra_writes)))
    dev = pairs[0][0]._device
    _engine.push(partial(_run_bind, pairs), reads, writes, dev, 0, name)


def _run_move(pairs: list) -> None:
    for dst, src in pairs:
        buf = src._data
        dst._data = buf
        dst._shared = True
        share(src)


class Program:
    """A captured graph: the callables to run, the placeholders to bind, the vars it
    reads and writes from outside, its outputs (see the module notes)."""

    def __init__(self, name: str, device: Any) -> None:
        self.name = name
        self.device = device
        self.var = _engine.new_var(name)
        self.phs: list[NDArray] = []           # bound per call (inputs, head gradients)
        self.fns: list[Callable[[], Any]] = []
        self.reads: tuple = ()
        self.writes: tuple = ()
        self.outs: list[Any] = []              # trace handles (or outside arrays)
        self.clear: list[NDArray] = []         # intermediates dropped after a call
        self.nbytes = 0
        self.static_alloc = False
        self.blas = False                      # run inside one BLAS-policy grant
        self.write_ids: frozenset = frozenset()
        self.grad_mask: list[bool] = []
        self.flops = 0.0                       # the BLAS grant's size (0: unknown)
        self.subops: list[Any] = []            # the traced op of each callable (errors)
        self.out_meta: list[tuple] = []        # (shape, dtype, device) of each output
        self.static_wr: tuple = ()             # writes + (var,)
        self.excl_ids: frozenset = frozenset() # ids of the vars an input must not be

    def __repr__(self) -> str:
        return f"<Program {self.name}: {len(self.fns)} callables>"


def _flatten(x: Any, out: list) -> Any:
    """Structure of *x* with every NDArray replaced by its index in *out*."""
    if x.__class__ is NDArray:
        out.append(x)
        return len(out) - 1
    if isinstance(x, (list, tuple)):
        return type(x)(_flatten(v, out) for v in x)
    if x is None:
        return None
    raise TracingError(f"hybridize: a hybridized forward must return arrays (or lists/"
                       f"tuples of them), got {type(x).__name__}")


def _unflatten(struct: Any, arrays: list) -> Any:
    if isinstance(struct, int):
        return arrays[struct]
    if isinstance(struct, (list, tuple)):
        return type(struct)(_unflatten(v, arrays) for v in struct)
    return None


def capture(fn: Callable[[], Any], name: str, device: Any, phs: list[NDArray],
            bind: list, var: Any = None, record: bool = True) -> tuple[Program, Any, list, _Capture]:
    """Run *fn()* with its pushes captured into a Program.  *bind*: ``(placeholder,
    source)`` pairs bound (by an op pushed first) for this first run; *var*: the var
    ordering the program's runs (a new one by default); *record*: record the op-table
    nodes (else tape recording is off while tracing).  Returns the program, fn's
    result (with trace handles), the fresh output handles of this run, and the
    capture (its recorded nodes)."""
    prog = Program(name, device)
    if var is not None:
        prog.var = var
    prog.phs = list(phs)
    _push_bind(bind, (prog.var,))
    cap = _Capture()
    for i, ph in enumerate(phs):
        cap.names[id(ph)] = "data" if len(phs) == 1 else f"data{i}"
    prev_capture = _TS.capture
    prev_record = _tape.record
    prev_recording = _tape.STATE.recording
    _engine.HOOKS.subscribe(cap)
    _TS.capture = cap
    if record:
        _tape.record = _thread_recorder(cap, prev_record)
    _tape.STATE.recording = record
    try:
        with _engine.bulk(_BULK_SIZE):
            result = fn()
    finally:
        _TS.capture = prev_capture
        _tape.STATE.recording = prev_recording
        if record:
            _tape.record = prev_record
        _engine.HOOKS.unsubscribe(cap)
    if cap.sync_site is not None:
        raise TracingError(f"hybridize: {name} reads the value of an array while it is "
                           f"being traced, at {cap.sync_site}; a hybridized forward must "
                           f"not depend on values (use array ops such as np.where instead "
                           f"of Python control flow on values, or do not hybridize)")
    flat: list[NDArray] = []
    struct = _flatten(result, flat)
    _finish(prog, cap, flat)
    fresh = [_new(o._shape, o._dtype, o._device) for o in flat]
    if fresh:
        reads = tuple(dict.fromkeys(o._var for o in flat))
        _engine.push(partial(_run_move, list(zip(fresh, flat))), reads,
                     tuple(f._var for f in fresh) + (prog.var,), device, 0, name + ".out")
    elif prog.fns:
        _engine.push(_noop, tuple(dict.fromkeys(v for op in cap.ops for v in op[2])),
                     (prog.var,), device, 0, name + ".end")
    return prog, struct, fresh, cap


def _noop() -> None:
    return None


def _thread_recorder(cap: _Capture, prev: Callable[..., Any]) -> Callable[..., Any]:
    def rec(opdef: Any, inputs: tuple, outputs: Any, params: dict) -> None:
        if _TS.capture is cap:
            cap.record(opdef, inputs, outputs, params)
        else:
            prev(opdef, inputs, outputs, params)
    return rec


def _finish(prog: Program, cap: _Capture, outs: list[NDArray]) -> None:
    ph_vars = {id(p._var) for p in prog.phs}
    written: set[int] = set()
    reads: list[Any] = []
    writes: list[Any] = []
    for fn, op_reads, op_writes, nbytes in cap.ops:
        prog.fns.append(fn)
        for v in op_reads:
            if id(v) not in written and id(v) not in ph_vars:
                reads.append(v)
        for v in op_writes:
            written.add(id(v))
            if id(v) not in ph_vars:
                writes.append(v)
        prog.nbytes += nbytes
    for o in outs:      # an output the graph does not compute (a parameter) is read
        if id(o._var) not in written and id(o._var) not in ph_vars:
            reads.append(o._var)
    wset = {id(v) for v in writes}
    prog.reads = tuple(dict.fromkeys(v for v in reads if id(v) not in wset))
    prog.writes = tuple(dict.fromkeys(writes))
    prog.outs = list(outs)
    keep = {id(o) for o in outs} | {id(p) for p in prog.phs}
    inter: dict[int, NDArray] = {}
    for node in cap.nodes:
        for o in node[2]:
            if id(o) not in keep:
                inter[id(o)] = o
    prog.clear = list(inter.values())
    prog.write_ids = frozenset(id(v) for v in prog.writes + (prog.var,))
    _precompute(prog)
    compile_fns(prog)


def _precompute(prog: Program) -> None:
    """What every replay of *prog* needs, worked out once."""
    prog.out_meta = [(o._shape, o._dtype, o._device) for o in prog.outs]
    prog.static_wr = prog.writes + (prog.var,)
    prog.excl_ids = prog.write_ids | frozenset(id(v) for v in prog.reads)


def _run_program(prog: Program, binds: Any, outs: list, after: Any) -> None:
    for ph, src in binds:
        ph._data = src._data if src.__class__ is NDArray else src
        ph._shared = True
    fn = None
    try:
        if prog.blas:
            # one BLAS-policy grant for the whole program, sized by its largest kernel
            _BLAS.enter(prog.flops)
            try:
                for fn in prog.fns:
                    fn()
            finally:
                _BLAS.__exit__()
        else:
            for fn in prog.fns:
                fn()
        fn = None
        for dst, src in zip(outs, prog.outs):
            buf = src._data
            if buf is None:
                from ..base import EngineInternalError

                raise EngineInternalError(f"{prog.name}: output has no value after replay")
            dst._data = buf
            dst._shared = True
            share(src)
        if after is not None:
            after()
    except BaseException as e:
        if fn is not None and prog.subops:
            _name_failing_op(e, prog, fn)
        raise
    finally:
        for ph, _ in binds:
            ph._data = None
        if not prog.static_alloc:
            for h in prog.clear:
                h._data = None


def _name_failing_op(e: BaseException, prog: Program, fn: Any) -> None:
    """The error of a replay names the traced op that failed (as a bulk op's does)."""
    for f, sub in zip(prog.fns, prog.subops):
        if f is fn:
            if sub is not None and getattr(e, "_ndengine_op", None) is None:
                try:
                    e._ndengine_op = sub  # type: ignore[attr-defined]
                except Exception:
                    pass
            return


def replay(prog: Program, binds: list, reads: tuple = (), writes: tuple = (),
           after: Any = None) -> list[NDArray]:
    """Push *prog* as one engine op over this call's *binds* (``(placeholder, array)``
    pairs); returns the fresh output handles."""
    outs = [_new(s, d, dev) for s, d, dev in prog.out_meta]
    fn = partial(_run_program, prog, binds, outs, after)
    if not reads and not writes:
        # the hot path: the graph's own vars were checked when it was captured; this
        # call's inputs are checked here (live, distinct, none also read or written
        # by the graph), then the array layer's unchecked push (outputs are new)
        ok = True
        excl = prog.excl_ids
        ids = set()
        in_vars = []
        for _, src in binds:
            if src.__class__ is NDArray:
                v = src._var
                i = id(v)
                if v.deleted or i in excl or i in ids:
                    ok = False
                    break
                ids.add(i)
                in_vars.append(v)
        if ok:
            for v in prog.reads:
                if v.deleted:
                    ok = False
                    break
        if ok:
            rd = tuple(in_vars) + prog.reads if in_vars else prog.reads
            wr = tuple([o._var for o in outs]) + prog.static_wr
            _engine.push_unchecked(fn, rd, wr, prog.device, prog.name, prog.nbytes,
                                   _engine.push_site(3) if _TRACK_SITE else None, False)
            return outs
    rd = tuple([s._var for _, s in binds if s.__class__ is NDArray]) + reads + prog.reads
    wr = tuple([o._var for o in outs]) + prog.writes + writes + (prog.var,)
    _engine.push(fn, rd, wr, prog.device, 0, prog.name, False, prog.nbytes)
    return outs


def _bulk_calls(fn: Any) -> list | None:
    """The ``(callable, op)`` pairs of an op fused by ``engine.bulk`` (what a trace
    captures: its pushes reach the engine as one bulk op, the only op the engine's
    push hook sees), or None for another callable.  The engine has no public accessor
    for a bulk op's parts: this reads the fused callable's ``calls`` cell, and any
    other shape of callable is kept whole (slower, never wrong);
    tests/gluon/test_hybridize.py checks that the parts are found."""
    if getattr(fn, "__qualname__", None) != "_fuse.<locals>.fused" or \
            getattr(fn, "__module__", None) != "ndengine.engine.bulk":
        return None
    try:
        calls = fn.__closure__[fn.__code__.co_freevars.index("calls")].cell_contents
    except (ValueError, IndexError, TypeError, AttributeError):
        return None
    if not isinstance(calls, list) or not all(
            isinstance(c, tuple) and len(c) == 2 and callable(c[0]) for c in calls):
        return None
    return list(calls)


_RUNNERS = frozenset([_ndarray_mod._run_n, _ndarray_mod._run_u, _ndarray_mod._run_aa,
                      _ndarray_mod._run_as, _ndarray_mod._run_sa])


def _kernel_flops(kernel: Any, arrays: list, params: dict) -> float:
    """The floating-point operations of a BLAS kernel's products, from the shapes of its
    array operands, known when the graph is captured: the estimate the kernel gives the
    BLAS policy when it runs alone (``ndarray.ops._blas``'s ``run.flops``: the op's own
    where the generic one is wrong, as for a Dense layer's (units, in_units) weight)."""
    return kernel.flops([a for a in arrays if a.__class__ is NDArray], params)


def _params(fn: Any) -> dict:
    """The kernel parameters of a runner partial (``_run_n``'s last argument), or {}."""
    if fn.func is _ndarray_mod._run_n and len(fn.args) >= 5 and isinstance(fn.args[4], dict):
        return fn.args[4]
    return {}


def _operands(fn: Any) -> list:
    if fn.func is _ndarray_mod._run_n:
        return [x for a in fn.args[3] for x in (a if isinstance(a, (list, tuple)) else [a])]
    return list(fn.args[3:5]) if fn.func is not _ndarray_mod._run_u else [fn.args[3]]


def compile_fns(prog: Program) -> None:
    """A pass over the captured callables (the program's flat kernel list):

    * the trace's pushes reached the engine as one bulk op: its sub-ops become the
      program's own list (no per-op try/except of the bulk wrapper; an error still
      names the traced op that failed);
    * BLAS kernels called through the op table's thread-policy wrapper are called
      directly, and the whole program takes the BLAS policy once (on CPU), sized by
      its largest product, when that gives each product the thread count it gets op
      by op (all below the small-kernel size, so one thread each, or all above it);
    * the array layer's general runner is called without its generic unwrapping."""
    fns: list = []
    subs: list = []
    for fn in prog.fns:
        calls = _bulk_calls(fn)
        if calls is None:
            fns.append(fn)
            subs.append(None)
        else:
            for f, sub in calls:
                fns.append(f)
                subs.append(sub)
    if prog.device.device_type == "cpu":
        blas = []
        for i, fn in enumerate(fns):
            if fn.__class__ is partial and fn.func in _RUNNERS and not fn.keywords:
                kernel, xp = fn.args[0], fn.args[1]
                raw = getattr(kernel, "__wrapped__", None)
                if getattr(kernel, "blas", False) and raw is not None and xp is _onp:
                    blas.append((i, _kernel_flops(kernel, _operands(fn), _params(fn)),
                                 partial(fn.func, raw, *fn.args[1:])))
        small = getattr(_BLAS, "small_flops", 0.0)
        flops = [f for _, f, _ in blas]
        # one grant fits the program when its products would all get the same thread
        # count op by op: all below the small-kernel size, or all above it (a program
        # mixing both, or with a product of unknown size, keeps each product's own)
        if blas and all(f > 0 for f in flops) and (
                all(f < small for f in flops) or all(f >= small for f in flops)):
            for i, _, raw_fn in blas:
                fns[i] = raw_fn
            prog.blas = True
            prog.flops = max(flops)
        for i, fn in enumerate(fns):
            if fn.__class__ is partial and fn.func in _RUNNERS and not fn.keywords:
                fns[i] = _direct(fn)
    prog.fns = fns
    prog.subops = subs


def _direct(fn: partial) -> Any:
    """The array layer's general runner ``_run_n`` for one output whose arguments are
    arrays and plain constants (no lists): the same steps, without the generic
    unwrapping (one frame and a call per argument less); any other runner as it is."""
    if fn.func is not _ndarray_mod._run_n:
        return fn
    kernel, xp, outs, args, params = fn.args
    if len(outs) != 1 or any(a.__class__ is list or a.__class__ is tuple for a in args):
        return fn
    out = outs[0]
    fix = _ndarray_mod._fix
    mark = _ndarray_mod._mark_shared
    ndarray = _onp.ndarray

    def run() -> None:
        r = kernel(xp, *[a._data if a.__class__ is NDArray else a for a in args], **params)
        if r.__class__ is not ndarray or r.dtype is not out._dtype:
            r = fix(r, out)
        out._data = r
        if r.base is not None:
            mark(args)
    return run


# ----------------------------------------------------------------------------- autograd
def _arrays_of(args: tuple) -> list[tuple[int, int, NDArray]]:
    found = []
    for i, a in enumerate(args):
        if a.__class__ is NDArray:
            found.append((i, -1, a))
        elif a.__class__ is list or a.__class__ is tuple:
            for j, x in enumerate(a):
                if x.__class__ is NDArray:
                    found.append((i, j, x))
    return found


def backprop(nodes: list[tuple], heads: list[tuple[NDArray, NDArray]],
             targets: list[NDArray]) -> list[Any]:
    """The gradients of *targets* (trace handles or outside arrays) from the recorded
    *nodes*, given the head gradients ``(output, gradient)``: the op-table gradient
    of each node, in reverse order, as autograd runs them."""
    dep = {id(t) for t in targets}
    live = []
    for node in nodes:
        opdef, args, outs = node[0], node[1], node[2]
        if opdef.grad is None:
            continue
        if any(id(a) in dep for _, _, a in _arrays_of(args)):
            dep.update(id(o) for o in outs)
            live.append(node)
    grads: dict[int, Any] = {}

    def acc(a: NDArray, g: Any, who: str) -> None:
        if hasattr(g, "dense"):          # a sparse-gradient embedding's: dense in a graph
            g = g.dense()
        if g.__class__ is not NDArray:
            from ..ndarray.ndarray import _coerce

            g = _coerce(g, a._device)
        if g._shape != a._shape:
            raise MXNetError(f"{who}: the gradient has shape {g._shape}, the argument "
                             f"{a._shape} (a bug in the op's gradient)")
        prev = grads.get(id(a))
        grads[id(a)] = g if prev is None else prev + g

    for o, g in heads:
        if g is not None:
            acc(o, g, "head")
    for opdef, args, outs, params, single in reversed(live):
        gs = [grads.get(id(o)) for o in outs]
        if all(g is None for g in gs):
            continue
        if single and opdef.nout == 1:
            g, out = gs[0], outs[0]
        else:
            g, out = gs, list(outs)
        needs = tuple(any(id(x) in dep for x in (a if isinstance(a, (list, tuple)) else [a])
                          if x.__class__ is NDArray) for a in args)
        _tape.STATE.needs = needs
        try:
            res = opdef.grad(g, out, *args, **params)
        finally:
            _tape.STATE.needs = None
        if not isinstance(res, (tuple, list)):
            res = (res,)
        for i, j, a in _arrays_of(args):
            if id(a) not in dep or i >= len(res) or res[i] is None:
                continue
            gi = res[i] if j < 0 else res[i][j]
            if gi is not None:
                acc(a, gi, opdef.name)
    return [grads.get(id(t)) for t in targets]


class _Saved:
    """The intermediate buffers one recorded forward call left for its backward."""

    __slots__ = ("bufs",)

    def __init__(self) -> None:
        self.bufs: list[Any] = []


def graph_handles(prog: Program, nodes: list[tuple]) -> list[NDArray]:
    """The arrays of the recorded *nodes* that the graph computes (neither a
    placeholder nor an outside array): what a backward needs of one forward call."""
    ph = {id(p) for p in prog.phs}
    ph_vars = {id(p._var) for p in prog.phs}
    written = {id(v) for v in prog.writes}
    found: dict[int, NDArray] = {}
    for node in nodes:
        for a in [x for _, _, x in _arrays_of(node[1])] + list(node[2]):
            if id(a) in ph:
                continue
            if id(a._var) in written or (id(a._var) in ph_vars):
                found.setdefault(id(a), a)
    return list(found.values())


def outside_arrays(prog: Program, nodes: list[tuple]) -> list[NDArray]:
    """The arrays the recorded *nodes* read from outside the graph (parameters,
    constants), in first-use order."""
    ph = {id(p) for p in prog.phs}
    inside = {id(a) for a in graph_handles(prog, nodes)}
    found: dict[int, NDArray] = {}
    for node in nodes:
        for _, _, a in _arrays_of(node[1]):
            if id(a) not in ph and id(a) not in inside:
                found.setdefault(id(a), a)
    return list(found.values())


class CachedOp:
    """One traced forward of a block for one signature, with its backward programs."""

    # autograd: the gradients of all the arguments come from one engine op (the
    # backward program), so their writes into .grad are one op too
    one_op_gradient = True

    def __init__(self, name: str, prog: Program, struct: Any, nodes: list[tuple],
                 ext: list[NDArray], recording: bool) -> None:
        self.name = name
        self.prog = prog
        self.struct = struct
        self.nodes = nodes
        self.recording = recording
        # outside arrays gradients can flow to (parameters...): args of the tape node
        self.ext = ext
        self.saved = graph_handles(prog, nodes)
        self.backward: dict[Any, tuple] = {}
        # one op per traced block and signature: made through the table's register,
        # but listed in no table (it is no fixed op)
        self.opdef = register(f"_CachedOp[{name}]", _no_kernel, _no_infer, self._grad,
                              nout=max(len(prog.outs), 1), table=None)

    def _save(self, box: _Saved) -> Callable[[], None]:
        saved = self.saved

        def after() -> None:
            box.bufs = [h._data for h in saved]
        return after

    def call(self, inputs: Any) -> Any:
        phs = self.prog.phs
        binds = ((phs[0], inputs[0]),) if len(phs) == 1 else tuple(zip(phs, inputs))
        if self.recording and _tape.STATE.recording:
            box = _Saved()
            outs = replay(self.prog, binds, after=self._save(box))
            args = tuple(inputs) + tuple(self.ext)
            _tape.record(self.opdef, args, outs if len(outs) != 1 else outs[0],
                         {"_box": box, "_n_in": len(inputs)})
        else:
            outs = replay(self.prog, binds)
        return _unflatten(self.struct, outs)

    def record_first(self, inputs: list[NDArray], fresh: list[NDArray]) -> None:
        """Record the tape node of the trace run itself (its outputs *fresh*)."""
        if not (self.recording and _tape.STATE.recording) or not fresh:
            return
        box = _Saved()
        saved = self.saved
        _engine.push(partial(_run_save, box, saved), tuple(dict.fromkeys(h._var for h in saved)),
                     (self.prog.var,), self.prog.device, 0, self.name + ".save")
        args = tuple(inputs) + tuple(self.ext)
        _tape.record(self.opdef, args, fresh if len(fresh) != 1 else fresh[0],
                     {"_box": box, "_n_in": len(inputs)})

    # -- the gradient of the cached op ---------------------------------------------
    def _grad(self, g: Any, out: Any, *args: Any, _box: _Saved, _n_in: int) -> tuple:
        gs = [g] if not isinstance(g, list) else list(g)
        needs = _tape.STATE.needs or tuple(True for _ in args)
        needs = tuple(bool(needs[i]) if i < len(needs) else True for i in range(len(args)))
        key = (needs, tuple(x is None for x in gs))
        entry = self.backward.get(key)
        inputs = list(args[:_n_in])
        heads = [x for x in gs if x is not None]
        if entry is None:
            return self._build_backward(key, gs, heads, inputs, _box, needs)
        prog, head_phs = entry
        binds = list(zip(head_phs, heads)) + list(zip(self.prog.phs, inputs))
        outs = _replay_backward(prog, binds, self.saved, _box)
        return _spread(outs, needs)

    def _build_backward(self, key: Any, gs: list, heads: list, inputs: list, box: _Saved,
                        needs: tuple) -> tuple:
        head_phs = [_new(h._shape, h._dtype, h._device) for h in heads]
        targets = [t for t, n in zip(list(self.prog.phs) + list(self.ext), needs) if n]
        pairs_heads = []
        k = 0
        for o, x in zip(self.prog.outs, gs):
            if x is not None:
                pairs_heads.append((o, head_phs[k]))
                k += 1
        saved = self.saved
        bind = list(zip(head_phs, heads)) + list(zip(self.prog.phs, inputs)) + \
            [(h, partial(_box_get, box, i)) for i, h in enumerate(saved)]
        nodes = self.nodes

        def run() -> list:
            return backprop(nodes, pairs_heads, targets)

        phs = head_phs + list(self.prog.phs) + list(saved)
        prev = _tape.STATE.recording
        try:
            prog, grads = _capture_backward(run, self.name + ".backward", self.prog, phs,
                                            bind)
        finally:
            _tape.STATE.recording = prev
        self.backward[key] = (prog, head_phs)
        return _spread(grads, needs)


def _run_save(box: _Saved, saved: list) -> None:
    box.bufs = [h._data for h in saved]


def _box_get(box: _Saved, i: int) -> Any:
    return box.bufs[i]


def _capture_backward(run: Callable[[], list], name: str, fwd: Program, phs: list,
                      bind: list) -> tuple:
    """Capture the backward graph.  It shares the forward program's var: it reads the
    forward's handles, so the two are ordered.  Returns the program and the fresh
    gradients of this first run (None where a target gets none)."""
    res: list = [None]

    def wrapped() -> list:
        grads = run()
        res[0] = grads
        return [g for g in grads if g is not None]

    prog, _, fresh, _ = capture(wrapped, name, fwd.device, phs, bind, var=fwd.var,
                                record=False)
    prog.grad_mask = [g is not None for g in res[0]]
    prog.static_alloc = True       # nothing of its own to drop (no nodes recorded)
    it = iter(fresh)
    return prog, [next(it) if m else None for m in prog.grad_mask]


def _replay_backward(prog: Program, binds: list, saved: list, box: _Saved) -> list:
    """Push a backward program: *binds* plus the forward's *saved* handles rebound to
    the buffers of the call's *box* (filled by the forward op, which ran before)."""
    outs = [_new(o._shape, o._dtype, o._device) for o in prog.outs]

    def run() -> None:
        _run_program(prog, list(binds) + list(zip(saved, box.bufs)), outs, None)

    rd = tuple(s._var for _, s in binds if s.__class__ is NDArray) + prog.reads
    wr = tuple(o._var for o in outs) + prog.writes + (prog.var,)
    _engine.push(run, rd, wr, prog.device, 0, prog.name, False, prog.nbytes)
    it = iter(outs)
    return [next(it) if m else None for m in prog.grad_mask]


def _spread(outs: list, needs: tuple) -> tuple:
    it = iter(outs)
    return tuple(next(it) if n else None for n in needs)


def _no_kernel(xp: Any, *args: Any, **kw: Any) -> Any:
    raise MXNetError("_CachedOp has no kernel of its own (it is replayed as a program)")


def _no_infer(*args: Any, **kw: Any) -> Any:
    raise MXNetError("_CachedOp has no shape rule of its own")
