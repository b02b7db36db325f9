"""``Symbol.bind`` / ``Symbol.simple_bind`` and the :class:`Executor` they return
(``mxnet.executor.Executor``): a graph bound to arrays on one device.

An executor owns (or is handed) one array per argument, per gradient and per auxiliary
state, in the orders of ``list_arguments`` / ``list_auxiliary_states``.  ``forward``
runs the graph on those arrays op by op (each op pushed to the engine like any other:
it returns before the work is done); with ``is_train=True`` and any gradient requested
it runs under ``autograd.record``, the arguments marked as variables whose gradients go
into ``grad_arrays`` (per ``grad_req``: ``'write'`` overwrites, ``'add'`` accumulates,
``'null'`` none), and ``backward`` pushes the gradient ops.  Loss heads
(``SoftmaxOutput``, ``*RegressionOutput``, ``MakeLoss``, ``SVMOutput``) ignore the head
gradient, as in MXNet; any other output needs one (``out_grads``).  BatchNorm's moving
statistics (auxiliary states) are updated by the backward pass of a training forward,
as MXNet 1.9.1's BatchNorm does.

Shapes and dtypes are checked when binding: ``bind`` infers every shape from the arrays
given and names the op whose input does not fit, ``simple_bind`` allocates what its
shapes determine and names the arguments they leave unknown.

Arrays are ``mx.nd`` arrays (ndengine's legacy NDArray; np arrays given to ``bind``
are used through their legacy handles, sharing memory).  Unlike MXNet, each
``forward`` returns new output arrays (MXNet writes into the same buffers): read
``exe.outputs`` after the forward you want, as MXNet code does.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

from ..base import MXNetError

__all__ = ["Executor", "bind", "simple_bind"]

_REQS = ("write", "add", "null")


def _nd() -> Any:
    from .. import legacy

    return legacy


def _legacy(a: Any, what: str) -> Any:
    """*a* as a legacy mx.nd array (np arrays through their handle, no copy)."""
    from ..legacy.ndarray import NDArray as _ND
    from ..legacy.ndarray import wrap
    from ..ndarray.ndarray import NDArray as _NP

    if a.__class__ is _ND:
        return a
    if a.__class__ is _NP:
        return wrap(a)
    raise TypeError(f"{what} must be an NDArray, got {type(a).__name__}")


def _device(ctx: Any) -> Any:
    from ..context import Context, cpu

    if ctx is None:
        return cpu()
    if isinstance(ctx, str):
        kind, _, idx = ctx.partition("(")
        return Context(kind, int(idx.rstrip(")") or 0))
    if not isinstance(ctx, Context):
        raise TypeError(f"bind: ctx must be a Context (mx.cpu(), mx.gpu(i)), got "
                        f"{type(ctx).__name__}")
    return ctx


def _by_name(values: Any, names: list[str], what: str, where: str,
             required: bool = True) -> list:
    """A list in *names* order from a list or a name -> value dict (None where missing
    and not *required*)."""
    if values is None:
        if required and names:
            raise ValueError(f"{where}: {what} are required for {names}")
        return [None] * len(names)
    if isinstance(values, dict):
        unknown = [k for k in values if k not in names]
        if unknown and what == "args":
            raise ValueError(f"{where}: {what} has arrays for {unknown}, which are not "
                             f"arguments of the symbol ({names})")
        out = []
        for n in names:
            if n not in values:
                if required:
                    raise ValueError(f"key `{n}` is missing in `{what}` ({where}: the symbol's "
                                     f"{'arguments' if what != 'aux_states' else 'auxiliary states'} "
                                     f"are {names})")
                out.append(None)
            else:
                out.append(values[n])
        return out
    if isinstance(values, (list, tuple)):
        if len(values) != len(names):
            raise ValueError(f"Length of {what} does not match the number of "
                             f"{'auxiliary states' if what == 'aux_states' else 'arguments'}"
                             f" ({where}: {len(values)} given for {names})")
        return list(values)
    raise TypeError(f"{where}: {what} must be a list or a dict of NDArrays, got "
                    f"{type(values).__name__}")


def _reqs(grad_req: Any, names: list[str], where: str) -> dict[str, str]:
    if isinstance(grad_req, str):
        reqs = dict.fromkeys(names, grad_req)
    elif isinstance(grad_req, (list, tuple)):
        if len(grad_req) != len(names):
            raise ValueError(f"{where}: {len(grad_req)} grad_req given for {len(names)} "
                             f"arguments {names}")
        reqs = dict(zip(names, grad_req))
    elif isinstance(grad_req, dict):
        unknown = [k for k in grad_req if k not in names]
        if unknown:
            raise ValueError(f"{where}: grad_req names {unknown}, which are not arguments "
                             f"({names})")
        reqs = {n: grad_req.get(n, "null") for n in names}
    else:
        raise TypeError(f"{where}: grad_req must be a str, a list or a dict, got "
                        f"{type(grad_req).__name__}")
    for n, r in reqs.items():
        if r not in _REQS:
            raise ValueError(f"{where}: grad_req for {n!r} must be 'write', 'add' or 'null', "
                             f"got {r!r}")
    return reqs


def _infer_all(sym: Any, shapes: dict, dtypes: dict, where: str) -> tuple[dict, list]:
    """Every variable's (shape, dtype) and the outputs' from some of them; an error
    naming the variables left unknown."""
    nodes, known = sym._infer(shapes, dtypes)
    var_info: dict[str, tuple] = {}
    unknown = []
    for n in nodes:
        if not n.is_var:
            continue
        a = known.get((id(n), 0))
        if a is None:
            unknown.append(n.name)
        else:
            var_info[n.name] = (tuple(a.shape), _onp.dtype(a.dtype))
    outs = [known.get((id(n), i)) for n, i in sym._outputs]
    if unknown or any(o is None for o in outs):
        given = ", ".join(f"{k}: {v}" for k, v in shapes.items()) or "none"
        raise MXNetError(f"{where}: the shapes given ({given}) do not determine the shapes "
                         f"of {unknown or 'the outputs'}; give them as keyword arguments "
                         f"(e.g. data=(batch, ...))")
    return var_info, [(tuple(o.shape), _onp.dtype(o.dtype)) for o in outs]


class Executor:
    """A symbol bound to arrays (see the module notes).  Made by ``Symbol.bind`` or
    ``Symbol.simple_bind``, not directly."""

    def __init__(self, symbol: Any, ctx: Any, arg_arrays: list, grad_arrays: list,
                 grad_req: dict[str, str], aux_arrays: list,
                 out_meta: list[tuple[tuple, Any]]) -> None:
        self._symbol = symbol
        self._ctx = ctx
        self._arg_names = symbol.list_arguments()
        self._aux_names = symbol.list_auxiliary_states()
        self._output_names = symbol.list_outputs()
        self.arg_arrays = arg_arrays
        self.grad_arrays = grad_arrays
        self.aux_arrays = aux_arrays
        self._grad_req = grad_req
        nd = _nd()
        self.outputs = [nd.zeros(s, ctx=ctx, dtype=d) for s, d in out_meta]
        self._recorded: list | None = None
        from ._ops_heads import LOSS_HEADS

        self._monitor: Any = None
        self._loss_heads = [n.op in LOSS_HEADS or _is_loss(n) for n, _ in symbol._outputs]
        self._fixed_gammas = _fixed_gammas(symbol)

    # -- dictionaries ----------------------------------------------------------------
    @property
    def arg_dict(self) -> dict:
        """Argument name -> its array."""
        return dict(zip(self._arg_names, self.arg_arrays))

    @property
    def grad_dict(self) -> dict:
        """Argument name -> its gradient array (arguments with grad_req 'null' left out)."""
        return {n: g for n, g in zip(self._arg_names, self.grad_arrays) if g is not None}

    @property
    def aux_dict(self) -> dict:
        return dict(zip(self._aux_names, self.aux_arrays))

    @property
    def output_dict(self) -> dict:
        return dict(zip(self._output_names, self.outputs))

    @property
    def symbol(self) -> Any:
        return self._symbol

    def set_monitor_callback(self, callback: Any, monitor_all: bool = False) -> None:
        """Call ``callback(name, array)`` for every op output of each forward
        (``<node>_output``; with *monitor_all* first each op input, ``<node>_<input>``):
        what ``mx.monitor.Monitor.install`` uses."""
        self._monitor = None if callback is None else (callback, bool(monitor_all))

    def _on_node(self, node: Any, ins: list, outs: list) -> None:
        from ..legacy.ndarray import wrap
        from ._ops import MX_OPS

        callback, monitor_all = self._monitor
        spec = MX_OPS.get(node.op)
        if monitor_all:
            names = spec.input_names(node.attrs) if spec is not None else ()
            if names == ("*",) or len(names) < len(ins):
                names = [f"input{k}" for k in range(len(ins))]
            for name, a in zip(names, ins):
                callback(f"{node.name}_{name}", wrap(a))
        named = getattr(spec, "output_names", None)
        for i, o in enumerate(outs):
            if named is not None:
                suffix = named(node.attrs)[i]
            else:
                suffix = "output" if len(outs) == 1 else f"output{i}"
            callback(f"{node.name}_{suffix}", wrap(o))

    # -- running ---------------------------------------------------------------------
    def forward(self, is_train: bool = False, **kwargs: Any) -> list:
        """Run the graph; keyword arguments are copied into the argument arrays of
        their names first.  Returns :attr:`outputs`."""
        from .. import autograd
        from .symbol import evaluate

        if kwargs:
            arg_dict = self.arg_dict
            for name, value in kwargs.items():
                if name not in arg_dict:
                    raise TypeError(f"Unknown argument {name} (Executor.forward: the "
                                    f"arguments are {self._arg_names})")
                dst = arg_dict[name]
                shape = tuple(getattr(value, "shape", _onp.shape(value)))
                if shape != tuple(dst.shape):
                    raise ValueError(f"Shape not match! Argument {name}, need: "
                                     f"{tuple(dst.shape)}, received: {shape}")
                if hasattr(value, "copyto"):
                    value.copyto(dst)
                else:
                    dst[:] = value
        if self._fixed_gammas:
            # MXNet's BatchNorm with fix_gamma writes ones into a gamma it computes a
            # gradient for (one left at grad_req 'null' keeps its values)
            arg_dict = self.arg_dict
            with autograd.pause():
                for name in self._fixed_gammas:
                    if self._grad_req.get(name, "null") != "null":
                        arg_dict[name][:] = 1
        feed = {n: a._arr for n, a in zip(self._arg_names, self.arg_arrays)}
        feed.update({n: a._arr for n, a in zip(self._aux_names, self.aux_arrays)})
        grads = [(a._arr, g._arr, self._grad_req[n])
                 for n, a, g in zip(self._arg_names, self.arg_arrays, self.grad_arrays)
                 if g is not None and self._grad_req[n] != "null"]
        if is_train and grads:
            for a, g, req in grads:
                a._grad, a._grad_req, a._node = g, req, None
            with autograd.record(train_mode=True):
                outs = evaluate(self._symbol, feed, self._on_node if self._monitor else None)
            self._recorded = outs
        else:
            scope = autograd.train_mode() if is_train else autograd.predict_mode()
            with autograd.pause(), scope:
                outs = evaluate(self._symbol, feed, self._on_node if self._monitor else None)
            self._recorded = None
        from ..legacy.ndarray import wrap

        self.outputs = [wrap(o) for o in outs]
        return self.outputs

    def backward(self, out_grads: Any = None, is_train: bool = True) -> None:
        """Push the gradient ops of the last ``forward(is_train=True)``: the gradients go
        into :attr:`grad_arrays` per grad_req.  *out_grads*: the head gradients (an
        NDArray, or one per output); loss heads need none."""
        from .. import autograd

        if self._recorded is None:
            if not any(g is not None and self._grad_req[n] != "null"
                       for n, g in zip(self._arg_names, self.grad_arrays)):
                return          # nothing asks for a gradient (MXNet does nothing either)
            raise MXNetError("Executor.backward: call forward(is_train=True) first (the "
                             "last forward did not record the graph)")
        heads = self._recorded
        if out_grads is None:
            given: list = [None] * len(heads)
        elif isinstance(out_grads, (list, tuple)):
            given = list(out_grads)
            if len(given) != len(heads):
                raise ValueError(f"Executor.backward: {len(given)} out_grads given for "
                                 f"{len(heads)} outputs {self._output_names}")
        else:
            given = [out_grads] + [None] * (len(heads) - 1)
        head_grads = []
        for i, (h, g) in enumerate(zip(heads, given)):
            if g is None:
                if not self._loss_heads[i]:
                    raise MXNetError(
                        f"Executor.backward: output {self._output_names[i]!r} is not a loss "
                        f"(SoftmaxOutput, *RegressionOutput, MakeLoss...): its head "
                        f"gradient is required (backward(out_grads=...)); wrap it in "
                        f"MakeLoss to minimize it")
                g = autograd_ones(h)
            else:
                g = _legacy(g, "out_grads")._arr
                if tuple(g.shape) != tuple(h.shape):
                    raise ValueError(f"Executor.backward: out_grad {i} has shape "
                                     f"{tuple(g.shape)}, output {self._output_names[i]!r} "
                                     f"has {tuple(h.shape)}")
            head_grads.append(g)
        # outputs cut from the graph (BlockGrad) carry no gradient back
        pairs = [(h, g) for h, g in zip(heads, head_grads) if h._node is not None]
        if pairs:
            autograd.backward([h for h, _ in pairs], [g for _, g in pairs],
                              retain_graph=True, train_mode=is_train)

    # -- parameters ------------------------------------------------------------------
    def copy_params_from(self, arg_params: dict, aux_params: dict | None = None,
                         allow_extra_params: bool = False) -> None:
        """Copy arrays into the arguments / auxiliary states of the same names."""
        for params, target, what in ((arg_params, self.arg_dict, "arguments"),
                                     (aux_params or {}, self.aux_dict, "auxiliary states")):
            for name, value in params.items():
                if name in target:
                    dst = target[name]
                    if tuple(value.shape) != tuple(dst.shape):
                        raise ValueError(f"copy_params_from: {name!r} has shape "
                                         f"{tuple(value.shape)}, the executor's "
                                         f"{tuple(dst.shape)}")
                    _legacy(value, name).astype(dst.dtype).copyto(dst)
                elif not allow_extra_params:
                    raise ValueError(f'Find name "{name}" that is not in the {what}')

    def reshape(self, partial_shaping: bool = False, allow_up_sizing: bool = False,
                **kwargs: Any) -> "Executor":
        """A new executor for new input shapes (keyword arguments); arrays whose shape
        does not change are shared with this one.  As in MXNet, an argument not named
        whose shape changes is an error unless *partial_shaping*, and a named one that
        grows unless *allow_up_sizing*."""
        unknown = [k for k in kwargs if k not in self._arg_names]
        if unknown:
            raise ValueError(f"Executor.reshape: {unknown} are not arguments of the symbol "
                             f"({self._arg_names})")
        new = {k: tuple(v) for k, v in kwargs.items()}
        dtypes = {n: _onp.dtype(a.dtype) for n, a in zip(self._arg_names + self._aux_names,
                                                         self.arg_arrays + self.aux_arrays)}
        info, out_meta = _infer_all(self._symbol, new, dtypes, "Executor.reshape")
        nd = _nd()
        args, grads = [], []
        for n, a, g in zip(self._arg_names, self.arg_arrays, self.grad_arrays):
            s, d = info[n]
            if s == tuple(a.shape):
                args.append(a)
                grads.append(g)
                continue
            if n not in new and not partial_shaping:
                raise MXNetError(f"Executor.reshape: the shape of {n!r}, which was not given, "
                                 f"changes from {tuple(a.shape)} to {s}; set "
                                 f"partial_shaping=True if that is intended")
            if n in new and _onp.prod(s) > _onp.prod(a.shape) and not allow_up_sizing:
                raise MXNetError(f"Executor.reshape: the new shape {s} of {n!r} is larger "
                                 f"than the original {tuple(a.shape)}; set "
                                 f"allow_up_sizing=True to allocate new arrays")
            args.append(nd.zeros(s, ctx=self._ctx, dtype=a.dtype))
            grads.append(None if g is None else nd.zeros(s, ctx=self._ctx, dtype=g.dtype))
        auxs = []
        for n, a in zip(self._aux_names, self.aux_arrays):
            s, _ = info[n]
            if s != tuple(a.shape):
                if not partial_shaping:
                    raise MXNetError(f"Executor.reshape: the shape of auxiliary state {n!r} "
                                     f"changes from {tuple(a.shape)} to {s}")
                a = nd.zeros(s, ctx=self._ctx, dtype=a.dtype)
            auxs.append(a)
        return Executor(self._symbol, self._ctx, args, grads, dict(self._grad_req), auxs,
                        out_meta)

    def __repr__(self) -> str:
        return (f"<Executor of {self._symbol!r} on {self._ctx}: arguments "
                f"{self._arg_names}>")


def _is_loss(node: Any) -> bool:
    """A Custom op whose prop says need_top_grad=False is a loss head."""
    from ._ops import MX_OPS

    is_loss = getattr(MX_OPS.get(node.op), "is_loss", None)
    return bool(is_loss and is_loss(node.attrs))


def _fixed_gammas(symbol: Any) -> list[str]:
    """The gamma arguments of the graph's BatchNorm nodes with fix_gamma (the default)."""
    from ._ops import parse_attr

    out = []
    for n in symbol._nodes():
        if n.op == "BatchNorm" and len(n.inputs) > 1 and n.inputs[1][0].is_var and \
                parse_attr(n.attrs.get("fix_gamma", "True")) is not False:
            out.append(n.inputs[1][0].name)
    return out


def autograd_ones(h: Any) -> Any:
    from ..autograd.backward import ones_like

    return ones_like(h)


# ----------------------------------------------------------------------------- binding
def bind(sym: Any, ctx: Any, args: Any, args_grad: Any = None, grad_req: Any = "write",
         aux_states: Any = None, group2ctx: Any = None, shared_exec: Any = None) -> Executor:
    """See ``Symbol.bind``."""
    if group2ctx:
        raise ValueError("bind: group2ctx (placing parts of a graph on other devices) is "
                         "not supported by ndengine; bind on one device")
    ctx = _device(ctx)
    arg_names = sym.list_arguments()
    aux_names = sym.list_auxiliary_states()
    args = [_legacy(a, f"bind: args[{n!r}]")
            for n, a in zip(arg_names, _by_name(args, arg_names, "args", "bind"))]
    aux = [_legacy(a, f"bind: aux_states[{n!r}]")
           for n, a in zip(aux_names, _by_name(aux_states, aux_names, "aux_states", "bind",
                                               required=bool(aux_names)))]
    if args_grad is None:
        grads: list = [None] * len(arg_names)
    else:
        grads = [None if g is None else _legacy(g, f"bind: args_grad[{n!r}]")
                 for n, g in zip(arg_names, _by_name(args_grad, arg_names, "args_grad", "bind",
                                                     required=False))]
    reqs = _reqs(grad_req, arg_names, "bind")
    for n, a, g in zip(arg_names, args, grads):
        if g is None:
            reqs[n] = "null"
        elif tuple(g.shape) != tuple(a.shape):
            raise ValueError(f"bind: the gradient of {n!r} has shape {tuple(g.shape)}, the "
                             f"argument {tuple(a.shape)}")
    shapes = {n: tuple(a.shape) for n, a in zip(arg_names + aux_names, args + aux)}
    dtypes = {n: _onp.dtype(a.dtype) for n, a in zip(arg_names + aux_names, args + aux)}
    _, out_meta = _infer_all(sym, shapes, dtypes, "bind")
    return Executor(sym, ctx, args, grads, reqs, aux, out_meta)


def simple_bind(sym: Any, ctx: Any, grad_req: Any = "write", type_dict: dict | None = None,
                stype_dict: dict | None = None, group2ctx: Any = None,
                shared_arg_names: Any = None, shared_exec: Any = None,
                shared_buffer: dict | None = None, **kwargs: Any) -> Executor:
    """See ``Symbol.simple_bind``."""
    if group2ctx:
        raise ValueError("simple_bind: group2ctx (placing parts of a graph on other "
                         "devices) is not supported by ndengine; bind on one device")
    if stype_dict and any(v not in (None, "default") for v in stype_dict.values()):
        raise ValueError(f"simple_bind: sparse storage types {stype_dict} are not supported "
                         f"by ndengine")
    ctx = _device(ctx)
    arg_names = sym.list_arguments()
    aux_names = sym.list_auxiliary_states()
    inputs = set(arg_names) | set(aux_names)
    unknown = [k for k in kwargs if k not in inputs]
    if unknown:
        raise ValueError(f"simple_bind: {unknown} are not arguments of the symbol (its "
                         f"arguments are {arg_names})")
    shapes = {k: tuple(v) for k, v in kwargs.items() if v is not None}
    dtypes = {k: _onp.dtype(v) for k, v in (type_dict or {}).items()}
    info, out_meta = _infer_all(sym, shapes, dtypes, "simple_bind")
    reqs = _reqs(grad_req, arg_names, "simple_bind")
    nd = _nd()
    shared = dict(shared_buffer or {})
    if shared_exec is not None:
        shared.update({n: a for n, a in shared_exec.arg_dict.items()
                       if shared_arg_names is None or n in shared_arg_names})
    args, grads = [], []
    for n in arg_names:
        s, d = info[n]
        a = shared.get(n)
        if a is None or tuple(a.shape) != s:
            a = nd.zeros(s, ctx=ctx, dtype=d)
            if shared_buffer is not None:
                shared_buffer[n] = a
        args.append(a)
        g = None
        if reqs[n] != "null":
            g = shared_exec.grad_dict.get(n) if shared_exec is not None else None
            if g is None or tuple(g.shape) != s:
                g = nd.zeros(s, ctx=ctx, dtype=d)
        grads.append(g)
    auxs = []
    for n in aux_names:
        s, d = info[n]
        a = shared_exec.aux_dict.get(n) if shared_exec is not None else None
        if a is None or tuple(a.shape) != s:
            a = nd.zeros(s, ctx=ctx, dtype=d)
        auxs.append(a)
    return Executor(sym, ctx, args, grads, reqs, auxs, out_meta)
