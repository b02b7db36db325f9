"""``mx.operator``: operators written in Python (MXNet 1.x's Custom op).

As in MXNet::

    class Square(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], in_data[0] * in_data[0])

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], 2 * in_data[0] * out_grad[0])

    @mx.operator.register("square")
    class SquareProp(mx.operator.CustomOpProp):
        def create_operator(self, ctx, in_shapes, in_dtypes):
            return Square()

    y = mx.nd.Custom(x, op_type="square")              # or mx.sym.Custom(..., op_type=)

A Custom op is an engine op like any other: ``mx.nd.Custom`` returns its outputs at
once, and the op's ``forward`` runs when its inputs are ready, on the engine's worker
for the inputs' device (under the naive engine, in the calling thread).  The arrays it
is handed are ready; the ops it issues on them are engine ops too (a wait inside it —
``asnumpy()`` — runs what it waits for), and its outputs become readable when they are
done.  An exception raised by ``forward`` or ``backward`` is stored on the op's
outputs and raised at the next sync point (``wait_to_read``, ``asnumpy``,
``waitall``...) as an :class:`~ndengine.base.MXNetError` naming the ``op_type``.  A
Custom op called while autograd records is recorded as one node: its gradient is
another engine op calling ``backward`` (``req`` ``'null'`` for inputs that need no
gradient, as in MXNet; ``in_grad`` arrays start at zero).

The property class gives the op's interface: ``list_arguments`` (the inputs, by name),
``list_outputs``, ``list_auxiliary_states`` (inputs the op updates itself, passed after
the arguments), ``infer_shape`` / ``infer_type`` (the outputs' shapes and types,
without running the op: what ``mx.sym`` shape inference, ``simple_bind`` and
``Module.bind`` use), ``need_top_grad`` (False: the op is a loss, ``backward`` ignores
the head gradient, and an executor's ``backward()`` needs none).  Keyword arguments of
``Custom`` other than inputs and ``op_type`` reach the property's constructor as
strings, as in MXNet.
"""
from __future__ import annotations

import threading
import traceback
from functools import partial
from typing import Any

import numpy as _onp

from .base import MXNetError

__all__ = ["CustomOp", "CustomOpProp", "register", "get_all_registered_operators",
           "get_operator_arguments"]

_REGISTRY: dict[str, type] = {}
_LOCK = threading.Lock()


class CustomOp:
    """Base class of the operator a Custom op runs (``mxnet.operator.CustomOp``):
    override ``forward`` and ``backward``."""

    def __init__(self) -> None:
        pass

    def forward(self, is_train: Any, req: list, in_data: list, out_data: list,
                aux: list) -> None:
        """Compute *out_data* from *in_data* (write them with :meth:`assign`)."""
        pass

    def backward(self, req: list, out_grad: list, in_data: list, out_data: list,
                 in_grad: list, aux: list) -> None:
        """Compute *in_grad* from *out_grad* (write them with :meth:`assign`)."""
        pass

    def assign(self, dst: Any, req: str, src: Any) -> None:
        """Write *src* into *dst* as *req* says: ``'write'``/``'inplace'`` overwrite,
        ``'add'`` accumulates, ``'null'`` does nothing."""
        if req == "null":
            return
        from . import npx

        index = () if npx.is_np_array() else slice(None)
        if req in ("write", "inplace"):
            dst[index] = src
        elif req == "add":
            dst[index] = dst + src
        else:
            raise ValueError(f"CustomOp.assign: req must be 'write', 'inplace', 'add' or "
                             f"'null', got {req!r}")


class CustomOpProp:
    """The interface of a Custom op (``mxnet.operator.CustomOpProp``): its inputs,
    outputs, shapes and types, and the operator it creates."""

    def __init__(self, need_top_grad: bool = True) -> None:
        self.need_top_grad_ = need_top_grad

    def infer_shape(self, in_shape: list) -> tuple:
        """``(arg_shapes, out_shapes, aux_shapes)``; by default every output has the
        first input's shape."""
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type: list) -> tuple:
        """``(arg_types, out_types, aux_types)``; by default the first input's type."""
        return (in_type, [in_type[0]] * len(self.list_outputs()),
                [in_type[0]] * len(self.list_auxiliary_states()))

    def infer_storage_type(self, in_stype: list) -> tuple:
        return (in_stype, ["default"] * len(self.list_outputs()),
                ["default"] * len(self.list_auxiliary_states()))

    def list_outputs(self) -> list:
        return ["output"]

    def list_arguments(self) -> list:
        return ["data"]

    def list_auxiliary_states(self) -> list:
        return []

    def declare_backward_dependency(self, out_grad: list, in_data: list,
                                    out_data: list) -> list:
        deps = []
        if self.need_top_grad_:
            deps.extend(out_grad)
        deps.extend(in_data)
        deps.extend(out_data)
        return deps

    def create_operator(self, ctx: Any, in_shapes: list, in_dtypes: list) -> CustomOp:
        return CustomOp()


def register(reg_name: str) -> Any:
    """Class decorator: register a :class:`CustomOpProp` subclass as the Custom op
    ``op_type=reg_name``."""
    if not isinstance(reg_name, str) or not reg_name:
        raise TypeError(f"operator.register: the name must be a non-empty str, got "
                        f"{reg_name!r}")

    def do_register(prop_cls: type) -> type:
        if not (isinstance(prop_cls, type) and issubclass(prop_cls, CustomOpProp)):
            raise TypeError(f"operator.register({reg_name!r}): expected a CustomOpProp "
                            f"subclass, got {prop_cls!r}")
        with _LOCK:
            _REGISTRY[reg_name] = prop_cls
        return prop_cls
    return do_register


def get_all_registered_operators() -> list[str]:
    """The names of the ops graphs can name (``mx.sym`` ops) and of the registered
    Custom ops."""
    from .symbol._ops import MX_OPS

    return sorted(set(MX_OPS) | set(_REGISTRY))


def get_operator_arguments(op_name: str) -> Any:
    """``OperatorArguments(narg, names, types)`` of a registered Custom op's prop:
    its constructor's parameters."""
    import collections
    import inspect

    cls = _REGISTRY.get(op_name)
    if cls is None:
        raise MXNetError(f"get_operator_arguments: no Custom operator {op_name!r} is "
                         f"registered (registered: {sorted(_REGISTRY)})")
    OperatorArguments = collections.namedtuple("OperatorArguments", ["narg", "names", "types"])
    params = [p for p in inspect.signature(cls.__init__).parameters.values()
              if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return OperatorArguments(len(params), [p.name for p in params],
                             ["string"] * len(params))


# ------------------------------------------------------------------ the op's interface
class _Interface:
    """A property instance with its lists, for one op_type and attribute set."""

    __slots__ = ("op_type", "prop", "args", "outputs", "aux")

    def __init__(self, op_type: str, attrs: dict[str, str]) -> None:
        cls = _REGISTRY.get(op_type)
        if cls is None:
            raise MXNetError(f"Custom: cannot find custom operator {op_type!r} (register it "
                             f"with @mx.operator.register({op_type!r}); registered: "
                             f"{sorted(_REGISTRY)})")
        self.op_type = op_type
        try:
            self.prop = cls(**attrs)
        except TypeError as e:
            raise TypeError(f"Custom {op_type!r}: {cls.__name__}({', '.join(attrs)}) "
                            f"failed: {e}") from None
        self.args = list(self.prop.list_arguments())
        self.outputs = list(self.prop.list_outputs())
        self.aux = list(self.prop.list_auxiliary_states())

    @property
    def need_top_grad(self) -> bool:
        return bool(getattr(self.prop, "need_top_grad_", True))

    def shapes(self, in_shapes: list[tuple]) -> tuple[list, list, list]:
        """(arg, out, aux) shapes from the inputs' (arguments then aux states)."""
        n = len(self.args)
        ret = self.prop.infer_shape([list(s) for s in in_shapes[:n]])
        ret = list(ret)
        if len(ret) == 2:
            ret.append([list(s) for s in in_shapes[n:]])
        if len(ret) != 3:
            raise MXNetError(f"Custom {self.op_type!r}: infer_shape must return (arg_shapes, "
                             f"out_shapes[, aux_shapes]), got {len(ret)} items")
        a, o, x = ([tuple(int(d) for d in s) for s in part] for part in ret)
        if len(o) != len(self.outputs):
            raise MXNetError(f"Custom {self.op_type!r}: infer_shape gave {len(o)} output "
                             f"shapes for the outputs {self.outputs}")
        return a, o, x

    def types(self, in_types: list) -> tuple[list, list, list]:
        n = len(self.args)
        ret = list(self.prop.infer_type([_onp.dtype(t).type for t in in_types[:n]]))
        if len(ret) == 2:
            ret.append(list(in_types[n:]))
        a, o, x = ([_onp.dtype(t) for t in part] for part in ret)
        if len(o) != len(self.outputs):
            raise MXNetError(f"Custom {self.op_type!r}: infer_type gave {len(o)} output "
                             f"types for the outputs {self.outputs}")
        return a, o, x


def _attr_strings(kwargs: dict) -> dict[str, str]:
    from .symbol._ops import format_attr

    return {k: format_attr(v) for k, v in kwargs.items()}


def interface(op_type: str, attrs: dict[str, str]) -> _Interface:
    """The interface of Custom op *op_type* with attributes *attrs* (strings)."""
    return _Interface(op_type, attrs)


# ------------------------------------------------------------------ running
def _ready_handle(buf: Any, device: Any, np_mode: bool) -> Any:
    """A new ready array on *buf* (shared: an in-place write copies first), as the
    array class the op's code expects."""
    from .ndarray.ndarray import from_buffer, share

    a = from_buffer(buf, device)
    share(a)
    if np_mode:
        return a
    from .legacy.ndarray import wrap

    return wrap(a)


def _np_of(h: Any) -> Any:
    from .legacy.ndarray import unwrap

    return unwrap(h)


def _zeros(shape: tuple, dtype: Any, device: Any, np_mode: bool) -> Any:
    from .ndarray.ndarray import _xp

    return _ready_handle(_xp(device).zeros(shape, dtype=dtype), device, np_mode)


def _settle(handles: list, targets: list) -> None:
    """Inside the op: wait for what the op's code issued on *handles*, then give each
    target array its handle's values."""
    from .ndarray.ndarray import adopt

    arrs = [_np_of(h) for h in handles]
    for a in arrs:
        a.wait_to_read()
    for dst, src in zip(targets, arrs):
        if dst is not None and src._data is not dst._data:
            adopt(dst, src)


def _fail(op_type: str, what: str, e: BaseException) -> MXNetError:
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__, limit=-3))
    return MXNetError(f"Custom operator {op_type!r}: {what} raised {type(e).__name__}: {e}\n"
                      f"{tb}")


def _run_forward(st: "_CallState", inputs: list, aux: list, outs: list) -> None:
    np_mode = st.np_mode
    try:
        in_h = [_ready_handle(a._data, a._device, np_mode) for a in inputs]
        aux_h = [_ready_handle(a._data, a._device, np_mode) for a in aux]
        out_h = [_zeros(o._shape, o._dtype, o._device, np_mode) for o in outs]
        from . import autograd

        with autograd.pause(train_mode=st.train):
            st.op.forward(is_train=int(st.train), req=["write"] * len(outs), in_data=in_h,
                          out_data=out_h, aux=aux_h)
        _settle(out_h + aux_h, list(outs) + list(aux))
    except MXNetError as e:
        if "Custom operator" in str(e):
            raise
        raise _fail(st.iface.op_type, "forward", e) from e
    except Exception as e:
        raise _fail(st.iface.op_type, "forward", e) from e


def _run_backward(st: "_CallState", reqs: list, ograds: list, inputs: list, outs: list,
                  aux: list, igrads: list) -> None:
    np_mode = st.np_mode
    try:
        og_h = [_ready_handle(g._data, g._device, np_mode) for g in ograds]
        in_h = [_ready_handle(a._data, a._device, np_mode) for a in inputs]
        out_h = [_ready_handle(o._data, o._device, np_mode) for o in outs]
        aux_h = [_ready_handle(a._data, a._device, np_mode) for a in aux]
        ig_h = [_zeros(a._shape, a._dtype, a._device, np_mode) for a in inputs]
        from . import autograd

        with autograd.pause(train_mode=True):
            st.op.backward(req=reqs, out_grad=og_h, in_data=in_h, out_data=out_h,
                           in_grad=ig_h, aux=aux_h)
        _settle(ig_h + aux_h, list(igrads) + list(aux))
    except Exception as e:
        raise _fail(st.iface.op_type, "backward", e) from e


class _CallState:
    __slots__ = ("iface", "op", "np_mode", "train", "nargs")

    def __init__(self, iface: _Interface, op: CustomOp, np_mode: bool, train: bool,
                 nargs: int) -> None:
        self.iface = iface
        self.op = op
        self.np_mode = np_mode
        self.train = train
        self.nargs = nargs


class _CustomGrad:
    """The op-table entry autograd records for one Custom call."""

    __slots__ = ("name", "nout", "st", "kind")
    grad_needs_outputs = True       # backward reads out_data

    def __init__(self, st: _CallState, nout: int) -> None:
        self.name = f"Custom({st.iface.op_type})"
        self.nout = nout
        self.st = st
        self.kind = "compute"

    def grad(self, g: Any, out: Any, *inputs: Any) -> tuple:
        from . import engine
        from .autograd.backward import _STATE
        from .ndarray.ndarray import _new, from_buffer
        from .ndarray.ndarray import _xp

        st = self.st
        gs = [g] if self.nout == 1 else list(g)
        outs = [out] if self.nout == 1 else list(out)
        ograds = []
        for x, o in zip(gs, outs):
            if x is None:
                x = from_buffer(_xp(o._device).zeros(o._shape, dtype=o._dtype), o._device)
            ograds.append(x)
        args = list(inputs[:st.nargs])
        aux = list(inputs[st.nargs:])
        needs = _STATE.needs
        reqs = ["write" if needs is None or i >= len(needs) or needs[i] else "null"
                for i in range(len(args))]
        igrads = [_new(a._shape, a._dtype, a._device) for a in args]
        dev = args[0]._device if args else outs[0]._device
        reads = tuple({id(v): v for v in [a._var for a in ograds + args + outs]}.values())
        writes = tuple(a._var for a in igrads) + tuple(a._var for a in aux)
        reads = tuple(v for v in reads if v not in writes)
        engine.push(partial(_run_backward, st, reqs, ograds, args, outs, aux, igrads),
                    reads, writes, dev, 0, f"Custom({st.iface.op_type}).backward")
        return tuple(ig if r != "null" else None for ig, r in zip(igrads, reqs)) + \
            (None,) * len(aux)

    def __repr__(self) -> str:
        return f"<Custom op {self.st.iface.op_type}>"


def invoke(iface: _Interface, inputs: list) -> list:
    """Run Custom op *iface* on np-mode arrays *inputs* (arguments then aux states, in
    the prop's order); returns the np-mode outputs at once."""
    from . import autograd, engine, npx
    from .ndarray import tape as _tape
    from .ndarray.ndarray import NDArray, _new
    from .ndarray.serialization import DTYPE_FLAGS
    from .autograd.graph import record_op

    nargs, naux = len(iface.args), len(iface.aux)
    if len(inputs) != nargs + naux:
        raise MXNetError(f"Custom {iface.op_type!r}: {len(inputs)} inputs given; the op takes "
                         f"{nargs + naux} ({iface.args + iface.aux})")
    for name, a in zip(iface.args + iface.aux, inputs):
        if a.__class__ is not NDArray:
            raise TypeError(f"Custom {iface.op_type!r}: input {name!r} must be an NDArray, "
                            f"got {type(a).__name__}")
    dev = inputs[0]._device if inputs else None
    if dev is None:
        from .context import current_device

        dev = current_device()
    for name, a in zip(iface.args + iface.aux, inputs):
        if a._device != dev:
            raise MXNetError(f"Custom {iface.op_type!r}: input {name!r} is on {a._device}, "
                             f"the first input on {dev}")
    _, out_shapes, _ = iface.shapes([a._shape for a in inputs])
    _, out_types, _ = iface.types([a._dtype for a in inputs])
    flags = [DTYPE_FLAGS.get(_onp.dtype(a._dtype), 0) for a in inputs[:nargs]]
    op = iface.prop.create_operator(dev, [list(a._shape) for a in inputs[:nargs]], flags)
    st = _CallState(iface, op, npx.is_np_array(), autograd.is_training(), nargs)
    outs = [_new(s, t, dev) for s, t in zip(out_shapes, out_types)]
    args, aux = inputs[:nargs], inputs[nargs:]
    writes = tuple(o._var for o in outs) + tuple(a._var for a in aux)
    reads = tuple({id(a._var): a._var for a in args if a._var not in writes}.values())
    engine.push(partial(_run_forward, st, list(args), list(aux), outs), reads, writes, dev, 0,
                f"Custom({iface.op_type})")
    if _tape.STATE.recording:
        record_op(_CustomGrad(st, len(outs)), tuple(inputs),
                  outs[0] if len(outs) == 1 else outs, {})
    return outs


def custom(*args: Any, op_type: str | None = None, out: Any = None, name: Any = None,
           **kwargs: Any) -> Any:
    """``mx.nd.Custom``: apply the registered Custom op *op_type* to arrays (positional,
    in the prop's ``list_arguments`` order then its auxiliary states, or by name)."""
    from .legacy.ndarray import NDArray as _Legacy
    from .legacy.ndarray import unwrap, wrap
    from .ndarray.ndarray import NDArray as _NP

    if op_type is None:
        raise TypeError("Custom: the op_type argument is required")
    arrays = {k: v for k, v in kwargs.items() if isinstance(v, (_Legacy, _NP))}
    attrs = _attr_strings({k: v for k, v in kwargs.items() if k not in arrays})
    iface = interface(op_type, attrs)
    names = iface.args + iface.aux
    given = list(args)
    if len(given) > len(names):
        raise MXNetError(f"Custom {op_type!r}: {len(given)} inputs given; the op takes "
                         f"{len(names)} ({names})")
    for n in names[len(given):]:
        if n not in arrays:
            raise MXNetError(f"Custom {op_type!r}: input {n!r} is missing (inputs: {names})")
        given.append(arrays.pop(n))
    if arrays:
        raise MXNetError(f"Custom {op_type!r}: unknown inputs {sorted(arrays)} (inputs: "
                         f"{names})")
    legacy = any(a.__class__ is _Legacy for a in given) or not given
    outs = invoke(iface, [unwrap(a) for a in given])
    if out is not None:
        targets = out if isinstance(out, (list, tuple)) else [out]
        for t, o in zip(targets, outs):
            t[:] = wrap(o) if t.__class__ is _Legacy else o
        return out
    res = [wrap(o) for o in outs] if legacy else outs
    return res[0] if len(res) == 1 else res


Custom = custom


# ------------------------------------------------------------------ mx.sym.Custom
_IFACES: dict[tuple, _Interface] = {}


def _node_interface(attrs: dict) -> _Interface:
    """The interface of a Custom graph node (its attributes as MXNet's strings; the
    node's own ``__x__`` attributes are not the prop's)."""
    op_type = attrs.get("op_type")
    if op_type is None:
        raise MXNetError("Custom: the op_type attribute is required")
    own = {k: v if isinstance(v, str) else _attr_strings({k: v})[k]
           for k, v in attrs.items() if k != "op_type" and not k.startswith("__")}
    key = (op_type, tuple(sorted(own.items())))
    hit = _IFACES.get(key)
    if hit is None or hit.prop.__class__ is not _REGISTRY.get(op_type):
        hit = _IFACES[key] = _Interface(op_type, own)
    return hit


def symbol_spec(base: type) -> Any:
    """The ``mx.sym`` op table's entry for ``Custom`` (an MXOp whose inputs, outputs
    and shapes come from the registered prop)."""

    class CustomSpec(base):
        __slots__ = ()

        def input_names(self, attrs: dict) -> tuple:
            i = _node_interface(attrs)
            return tuple(i.args + i.aux)

        def aux_names(self, attrs: dict) -> tuple:
            return tuple(_node_interface(attrs).aux)

        def outputs(self, attrs: dict) -> int:
            return len(_node_interface(attrs).outputs)

        visible = outputs

        def output_names(self, attrs: dict) -> list:
            return list(_node_interface(attrs).outputs)

        def is_loss(self, attrs: dict) -> bool:
            return not _node_interface(attrs).need_top_grad

        def infer_outputs(self, ins: list, attrs: dict) -> list:
            """Zero arrays of the outputs' shapes and types (the prop's infer_shape /
            infer_type; the op's forward is not run)."""
            from . import numpy as np

            i = _node_interface(attrs)
            _, shapes, _ = i.shapes([tuple(a.shape) for a in ins])
            _, types, _ = i.types([a.dtype for a in ins])
            return [np.zeros(s, dtype=t) for s, t in zip(shapes, types)]

    def run(ins: list, attrs: dict) -> list:
        return invoke(_node_interface(attrs), list(ins))

    def param_shapes(attrs: dict, data: tuple) -> dict:
        i = _node_interface(attrs)
        names = i.args + i.aux
        n = len(i.args)
        in_shapes = [list(data)] + [[] for _ in names[1:n]]
        args, _, aux = i.shapes(in_shapes + [() for _ in names[n:]])
        return {k: tuple(s) for k, s in zip(names, list(args) + list(aux))
                if s and all(d > 0 for d in s)}

    return CustomSpec("Custom", ("data",), run, param_shapes=param_shapes)
