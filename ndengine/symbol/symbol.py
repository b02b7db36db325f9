"""Symbol: a graph of MXNet ops, read and written in MXNet 1.9.1's JSON format.

A symbol is a list of outputs, each an (op node, output index) pair; an op node holds
its MXNet op name, its attributes as MXNet's strings and its inputs (other nodes'
outputs); a variable is a node of op ``"null"``.  This is what ``-symbol.json``
files hold::

    {"nodes": [{"op": "null", "name": "data", "inputs": []},
               {"op": "FullyConnected", "name": "dense0_fwd",
                "attrs": {"flatten": "True", "no_bias": "False", "num_hidden": "8"},
                "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]}, ...],
     "arg_nodes": [indices of the variables],
     "node_row_ptr": [cumulative output counts, hidden outputs included],
     "heads": [[node, output, 0], ...],
     "attrs": {"mxnet_version": ["int", 10901]}}

Nodes are written in depth-first post order from the heads (inputs before their
consumers, as MXNet writes them); an input entry is ``[node, output, version]``, the
version 1 for the auxiliary states an op updates (BatchNorm's moving statistics).

Symbols here are for describing, saving and loading graphs and for running them on
ndengine arrays: :meth:`Symbol.eval`, ``gluon.SymbolBlock``, and MXNet 1.x's
:meth:`Symbol.bind` / :meth:`Symbol.simple_bind` executors (:mod:`.executor`, what
``mx.mod.Module`` runs on).  ``infer_shape`` / ``infer_type`` run the graph once on
zero-filled arrays of the given shapes (parameter shapes come from each op's rule,
e.g. FullyConnected's weight is ``(num_hidden, prod(data.shape[1:]))``).
"""
from __future__ import annotations

import json
import os
import re
from typing import Any, Iterator

import numpy as _onp

from ..base import MXNetError
from ._ops import MX_OPS, UnsupportedOpError, format_attr, parse_attr

__all__ = ["Symbol", "var", "Variable", "Group", "load", "load_json", "SymbolFileError",
           "MXNET_VERSION"]

MXNET_VERSION = 10901


class SymbolFileError(MXNetError, ValueError):
    """A ``-symbol.json`` file or string is not a graph this module can read."""


class _Node:
    __slots__ = ("op", "name", "attrs", "inputs", "__weakref__")

    def __init__(self, op: str, name: str, attrs: dict[str, str] | None = None,
                 inputs: list[tuple["_Node", int]] | None = None) -> None:
        self.op = op
        self.name = name
        self.attrs = dict(attrs or {})
        self.inputs = list(inputs or [])

    @property
    def is_var(self) -> bool:
        return self.op == "null"

    @property
    def nout(self) -> int:
        if self.op == "null":
            return 1
        spec = MX_OPS.get(self.op)
        return spec.outputs(self.attrs) if spec is not None else 1

    @property
    def nvisible(self) -> int:
        if self.op == "null":
            return 1
        spec = MX_OPS.get(self.op)
        return spec.visible(self.attrs) if spec is not None else 1

    def aux_slots(self) -> set[int]:
        """Positions of this op's inputs that are auxiliary states."""
        spec = MX_OPS.get(self.op)
        if spec is None:
            return set()
        aux = spec.aux_names(self.attrs)
        if not aux:
            return set()
        names = spec.input_names(self.attrs)
        return {i for i, n in enumerate(names) if n in aux}


def _topo(heads: list[tuple[_Node, int]]) -> list[_Node]:
    """Nodes reachable from *heads*, inputs first (MXNet's DFS post order)."""
    order: list[_Node] = []
    seen: set[int] = set()
    for head, _ in heads:
        if id(head) in seen:
            continue
        stack: list[tuple[_Node, int]] = [(head, 0)]
        seen.add(id(head))
        while stack:
            node, i = stack.pop()
            if i < len(node.inputs):
                stack.append((node, i + 1))
                child = node.inputs[i][0]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                order.append(node)
    return order


class Symbol:
    """A symbolic graph with one or more outputs (``mxnet.symbol.Symbol``)."""

    __slots__ = ("_outputs",)

    def __init__(self, outputs: list[tuple[_Node, int]]) -> None:
        self._outputs = list(outputs)

    # -- description ---------------------------------------------------------------
    @property
    def name(self) -> str | None:
        """The node's name when this symbol is one output (else None)."""
        if len(self._outputs) != 1:
            return None
        return self._outputs[0][0].name

    def __repr__(self) -> str:
        if len(self._outputs) == 1:
            return f"<Symbol {self.name}>"
        return f"<Symbol group [{', '.join(self.list_outputs())}]>"

    def __len__(self) -> int:
        return len(self._outputs)

    def __iter__(self) -> Iterator["Symbol"]:
        return iter([Symbol([o]) for o in self._outputs])

    def __getitem__(self, index: Any) -> "Symbol":
        if isinstance(index, str):
            names = self.list_outputs()
            matches = [i for i, n in enumerate(names) if n == index]
            if not matches:
                raise ValueError(f"Symbol: no output named {index!r}; outputs are {names}")
            index = matches[0]
        if isinstance(index, slice):
            return Symbol(self._outputs[index])
        if not -len(self._outputs) <= index < len(self._outputs):
            raise IndexError(f"Symbol: output index {index} out of range for "
                             f"{len(self._outputs)} outputs")
        return Symbol([self._outputs[index]])

    def _nodes(self) -> list[_Node]:
        return _topo(self._outputs)

    def list_outputs(self) -> list[str]:
        """The outputs' names: ``<node>_output`` (``_output<i>`` for several)."""
        out = []
        for node, i in self._outputs:
            named = getattr(MX_OPS.get(node.op), "output_names", None)
            if node.is_var:
                out.append(node.name)
            elif named is not None:         # Custom ops name their outputs
                out.append(f"{node.name}_{named(node.attrs)[i]}")
            elif node.nvisible == 1:
                out.append(f"{node.name}_output")
            else:
                out.append(f"{node.name}_output{i}")
        return out

    def _aux_ids(self, nodes: list[_Node]) -> set[int]:
        aux: set[int] = set()
        for n in nodes:
            for slot in n.aux_slots():
                if slot < len(n.inputs):
                    aux.add(id(n.inputs[slot][0]))
        return aux

    def list_arguments(self) -> list[str]:
        """The variables that are not auxiliary states, in graph order."""
        nodes = self._nodes()
        aux = self._aux_ids(nodes)
        return [n.name for n in nodes if n.is_var and id(n) not in aux]

    def list_auxiliary_states(self) -> list[str]:
        """The variables ops update themselves (BatchNorm's moving mean/var)."""
        nodes = self._nodes()
        aux = self._aux_ids(nodes)
        return [n.name for n in nodes if n.is_var and id(n) in aux]

    def list_inputs(self) -> list[str]:
        """Every variable (arguments and auxiliary states), in graph order."""
        return [n.name for n in self._nodes() if n.is_var]

    def get_internals(self) -> "Symbol":
        """A group of every node's visible outputs (variables included)."""
        outs = []
        for n in self._nodes():
            outs.extend((n, i) for i in range(n.nvisible))
        return Symbol(outs)

    def get_children(self) -> "Symbol | None":
        """The inputs of this symbol's node (None for a variable)."""
        node = self._outputs[0][0]
        if not node.inputs:
            return None
        return Symbol(list(node.inputs))

    def attr(self, key: str) -> str | None:
        """The attribute *key* of this symbol's node (a string, or None)."""
        return self._outputs[0][0].attrs.get(key)

    def list_attr(self) -> dict[str, str]:
        return dict(self._outputs[0][0].attrs)

    def attr_dict(self) -> dict[str, dict[str, str]]:
        return {n.name: dict(n.attrs) for n in self._nodes() if n.attrs}

    def _set_attr(self, **kwargs: Any) -> None:
        for k, v in kwargs.items():
            self._outputs[0][0].attrs[k] = format_attr(v)

    # -- JSON ----------------------------------------------------------------------
    def tojson(self, remove_amp_cast: bool = True) -> str:
        """This graph in MXNet 1.9.1's JSON format (see the module notes)."""
        from .. import npx

        nodes = self._nodes()
        index = {id(n): i for i, n in enumerate(nodes)}
        aux = self._aux_ids(nodes)
        out_nodes = []
        row_ptr = [0]
        for n in nodes:
            entry: dict[str, Any] = {"op": n.op, "name": n.name}
            if n.attrs:
                entry["attrs"] = {k: n.attrs[k] for k in sorted(n.attrs)}
            slots = n.aux_slots()
            entry["inputs"] = [[index[id(src)], i, 1 if (k in slots and id(src) in aux) else 0]
                               for k, (src, i) in enumerate(n.inputs)]
            out_nodes.append(entry)
            row_ptr.append(row_ptr[-1] + n.nout)
        attrs: dict[str, Any] = {"mxnet_version": ["int", MXNET_VERSION]}
        if npx.is_np_shape():
            attrs["is_np_shape"] = ["int", 1]
        graph = {"nodes": out_nodes,
                 "arg_nodes": [i for i, n in enumerate(nodes) if n.is_var],
                 "node_row_ptr": row_ptr,
                 "heads": [[index[id(n)], i, 0] for n, i in self._outputs],
                 "attrs": {k: attrs[k] for k in sorted(attrs)}}
        return _compact(json.dumps(graph, indent=2))

    def save(self, fname: str, remove_amp_cast: bool = True) -> None:
        """Write :meth:`tojson` to *fname* (atomically)."""
        from ..base import write_text

        write_text(fname, self.tojson(), "Symbol.save")

    # -- composition ---------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> "Symbol":
        """A copy of this graph with variables replaced by other symbols, by name
        (``sym(data=other)``) or in the order of :meth:`list_arguments`."""
        s = self._copy()
        s._compose(*args, **kwargs)
        return s

    def _copy(self) -> "Symbol":
        memo: dict[int, _Node] = {}
        for n in self._nodes():
            memo[id(n)] = _Node(n.op, n.name, n.attrs,
                                [(memo[id(src)], i) for src, i in n.inputs])
        return Symbol([(memo[id(n)], i) for n, i in self._outputs])

    def _compose(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("name", None)
        subst: dict[str, tuple[_Node, int]] = {}
        if args:
            names = self.list_arguments()
            for name, a in zip(names, args):
                subst[name] = _single(a, "compose")
        for k, v in kwargs.items():
            subst[k] = _single(v, "compose")
        if not subst:
            return
        known = set(self.list_inputs())
        unknown = [k for k in subst if k not in known]
        if unknown:
            raise ValueError(f"compose: the graph has no variables {unknown}; its variables "
                             f"are {sorted(known)}")
        for n in self._nodes():
            n.inputs = [subst[src.name] if src.is_var and src.name in subst else (src, i)
                        for src, i in n.inputs]
        self._outputs = [subst[n.name] if n.is_var and n.name in subst else (n, i)
                         for n, i in self._outputs]

    # -- arithmetic (the legacy ops MXNet 1.x symbols use) -------------------------
    def _bin(self, other: Any, op: str, scalar_op: str) -> "Symbol":
        if isinstance(other, Symbol):
            return _create(op, [self, other], {})
        return _create(scalar_op, [self], {"scalar": other})

    def __add__(self, o: Any) -> "Symbol":
        return self._bin(o, "elemwise_add", "_plus_scalar")

    __radd__ = __add__

    def __sub__(self, o: Any) -> "Symbol":
        return self._bin(o, "elemwise_sub", "_minus_scalar")

    def __rsub__(self, o: Any) -> "Symbol":
        return _create("_rminus_scalar", [self], {"scalar": o})

    def __mul__(self, o: Any) -> "Symbol":
        return self._bin(o, "elemwise_mul", "_mul_scalar")

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> "Symbol":
        return self._bin(o, "elemwise_div", "_div_scalar")

    def __rtruediv__(self, o: Any) -> "Symbol":
        return _create("_rdiv_scalar", [self], {"scalar": o})

    def __pow__(self, o: Any) -> "Symbol":
        return self._bin(o, "_power", "_power_scalar")

    def __neg__(self) -> "Symbol":
        return _create("_mul_scalar", [self], {"scalar": -1.0})

    def reshape(self, shape: Any, **kwargs: Any) -> "Symbol":
        return _create("Reshape", [self], {"shape": tuple(shape), **kwargs})

    def flatten(self) -> "Symbol":
        return _create("Flatten", [self], {})

    # -- running -------------------------------------------------------------------
    def eval(self, ctx: Any = None, **kwargs: Any) -> list:
        """The outputs computed from the arrays given by variable name (ndengine
        arrays, or anything ``np.array`` takes)."""
        from .. import numpy as np

        feed = {k: v if hasattr(v, "_var") else np.array(v) for k, v in kwargs.items()}
        return evaluate(self, feed)

    def bind(self, ctx: Any, args: Any, args_grad: Any = None, grad_req: Any = "write",
             aux_states: Any = None, group2ctx: Any = None, shared_exec: Any = None) -> Any:
        """An :class:`~ndengine.symbol.executor.Executor` of this graph on *ctx* over the
        given arrays (*args*, *args_grad*, *aux_states*: lists in the order of
        :meth:`list_arguments` / :meth:`list_auxiliary_states`, or name -> array dicts)."""
        from .executor import bind

        return bind(self, ctx, args, args_grad, grad_req, aux_states, group2ctx, shared_exec)

    def simple_bind(self, ctx: Any, grad_req: Any = "write", type_dict: Any = None,
                    stype_dict: Any = None, group2ctx: Any = None,
                    shared_arg_names: Any = None, shared_exec: Any = None,
                    shared_buffer: Any = None, **kwargs: Any) -> Any:
        """An Executor with arrays allocated (zeros) for the shapes the keyword
        arguments determine (``data=(batch, 3, 224, 224)``)."""
        from .executor import simple_bind

        return simple_bind(self, ctx, grad_req, type_dict, stype_dict, group2ctx,
                           shared_arg_names, shared_exec, shared_buffer, **kwargs)

    def _infer(self, shapes: dict[str, tuple], dtypes: dict[str, Any]) -> tuple:
        from .. import autograd
        from .. import numpy as np

        nodes = self._nodes()
        known: dict[tuple[int, int], Any] = {}
        with autograd.predict_mode(), autograd.pause(), _onp.errstate(all="ignore"):
            for n in nodes:
                if n.is_var:
                    shape = shapes.get(n.name)
                    if shape is None:
                        shape = parse_attr(n.attrs.get("__shape__", "None"))
                        if shape is not None and any(int(d) <= 0 for d in shape):
                            shape = None
                    if shape is not None:
                        dt = dtypes.get(n.name) or _dtype_attr(n) or _onp.float32
                        known[(id(n), 0)] = np.zeros(tuple(shape), dtype=dt)
                    continue
                spec = _spec(n)
                names = spec.input_names(n.attrs)
                if spec.param_shapes is not None and n.inputs and \
                        (id(n.inputs[0][0]), n.inputs[0][1]) in known:
                    data = known[(id(n.inputs[0][0]), n.inputs[0][1])]
                    rule = spec.param_shapes(n.attrs, tuple(data.shape))
                    for k, (src, i) in enumerate(n.inputs):
                        if (id(src), i) not in known and src.is_var and k < len(names) \
                                and names[k] in rule:
                            dt = dtypes.get(src.name) or _dtype_attr(src) or data.dtype
                            known[(id(src), i)] = np.zeros(rule[names[k]], dtype=dt)
                ins = [known.get((id(src), i)) for src, i in n.inputs]
                if any(a is None for a in ins):
                    continue
                infer = getattr(spec, "infer_outputs", None)     # Custom: the prop's rules
                outs = infer(ins, n.attrs) if infer else spec.run(ins, _parsed(n))
                for i, o in enumerate(outs):
                    known[(id(n), i)] = o
        return nodes, known

    def infer_shape(self, *args: Any, **kwargs: Any) -> tuple:
        """``(arg_shapes, out_shapes, aux_shapes)`` from the shapes of some arguments
        (by name, or in the order of :meth:`list_arguments`); ``(None, None, None)``
        when they do not determine every shape."""
        shapes = dict(zip(self.list_arguments(), args)) if args else {}
        shapes.update({k: tuple(v) for k, v in kwargs.items() if v is not None})
        return self._infer_report(shapes, {}, "shape")

    def infer_shape_partial(self, *args: Any, **kwargs: Any) -> tuple:
        return self.infer_shape(*args, **kwargs)

    def infer_type(self, *args: Any, **kwargs: Any) -> tuple:
        """``(arg_types, out_types, aux_types)`` (NumPy types) from the types of some
        arguments; a variable without one takes its ``__dtype__`` attribute, else the
        type of its op's data input, else float32.  Every op of :mod:`._ops` gives its
        data input's type."""
        dtypes = dict(zip(self.list_arguments(), args)) if args else {}
        dtypes.update(kwargs)
        given = {k: _onp.dtype(v) for k, v in dtypes.items() if v is not None}
        nodes = self._nodes()
        types: dict[int, Any] = {}
        for n in nodes:
            if n.is_var:
                t = given.get(n.name) or _dtype_attr(n)
                if t is not None:
                    types[id(n)] = _onp.dtype(t)
        for n in nodes:
            if n.is_var:
                continue
            first = types.get(id(n.inputs[0][0])) if n.inputs else None
            for src, _ in n.inputs:
                if src.is_var and id(src) not in types and first is not None:
                    types[id(src)] = first
            types[id(n)] = first if first is not None else _onp.dtype(_onp.float32)
        f32 = _onp.dtype(_onp.float32)
        aux = self._aux_ids(nodes)
        args_t = [types.get(id(n), f32).type for n in nodes if n.is_var and id(n) not in aux]
        aux_t = [types.get(id(n), f32).type for n in nodes if n.is_var and id(n) in aux]
        outs_t = [types.get(id(n), f32).type for n, _ in self._outputs]
        return args_t, outs_t, aux_t

    def _infer_report(self, shapes: dict, dtypes: dict, what: str) -> tuple:
        nodes, known = self._infer(shapes, dtypes)
        aux = self._aux_ids(nodes)

        def get(n: _Node, i: int = 0) -> Any:
            a = known.get((id(n), i))
            if a is None:
                return None
            return tuple(a.shape) if what == "shape" else a.dtype.type

        args = [get(n) for n in nodes if n.is_var and id(n) not in aux]
        auxs = [get(n) for n in nodes if n.is_var and id(n) in aux]
        outs = [get(n, i) for n, i in self._outputs]
        if any(v is None for v in args + auxs + outs):
            return None, None, None
        return args, outs, auxs


_INT_LIST = re.compile(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]")
_LIST_OF_LISTS = re.compile(r"\[\s*(\[[-\d, ]*\](?:,\s*\[[-\d, ]*\])*)\s*\]")


def _compact(text: str) -> str:
    """Lists of integers (and lists of those) on one line, as MXNet writes them:
    ``"inputs": [[0, 0, 0], [1, 0, 0]]``."""
    text = _INT_LIST.sub(lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(","))
                         + "]", text)
    return _LIST_OF_LISTS.sub(lambda m: "[" + re.sub(r"\],\s*\[", "], [", m.group(1)) + "]",
                              text)


def _dtype_attr(n: _Node) -> Any:
    from ..ndarray.serialization import DTYPE_FLAGS

    v = n.attrs.get("__dtype__")
    if v is None:
        return None
    try:
        return {f: d for d, f in DTYPE_FLAGS.items()}[int(v)]
    except (KeyError, ValueError):
        return None


def _spec(n: _Node) -> Any:
    spec = MX_OPS.get(n.op)
    if spec is None:
        raise UnsupportedOpError(f"Symbol: op {n.op!r} of node {n.name!r} is not supported "
                                 f"by ndengine (supported: {', '.join(sorted(MX_OPS))})")
    return spec


_PARSED: dict[int, tuple[dict, dict]] = {}


def _parsed(n: _Node) -> dict:
    """The node's attributes as Python values (cached while the attrs are unchanged)."""
    hit = _PARSED.get(id(n))
    if hit is not None and hit[0] == n.attrs:
        return hit[1]
    p = {k: parse_attr(v) for k, v in n.attrs.items()}
    if len(_PARSED) > 4096:
        _PARSED.clear()
    _PARSED[id(n)] = (dict(n.attrs), p)
    return p


def evaluate(sym: Symbol, feed: dict[str, Any], on_node: Any = None) -> list:
    """Run *sym* on ndengine arrays: *feed* maps variable names to arrays.  *on_node*:
    called as ``on_node(node, inputs, outputs)`` after each op node (a monitor)."""
    values: dict[tuple[int, int], Any] = {}
    for n in sym._nodes():
        if n.is_var:
            if n.name not in feed:
                raise ValueError(f"Symbol.eval: no array given for variable {n.name!r}")
            values[(id(n), 0)] = feed[n.name]
            continue
        spec = _spec(n)
        ins = [values[(id(src), i)] for src, i in n.inputs]
        outs = spec.run(ins, _parsed(n))
        for i, o in enumerate(outs):
            values[(id(n), i)] = o
        if on_node is not None:
            on_node(n, ins, outs)
    res = []
    for n, i in sym._outputs:
        v = values.get((id(n), i))
        if v is None:
            raise ValueError(f"Symbol.eval: output {i} of {n.op} node {n.name!r} is a "
                             f"hidden output ndengine does not compute")
        res.append(v)
    return res


def _single(s: Any, what: str) -> tuple[_Node, int]:
    if not isinstance(s, Symbol):
        raise TypeError(f"{what}: expected a Symbol, got {type(s).__name__}")
    if len(s._outputs) != 1:
        raise ValueError(f"{what}: expected a symbol with one output, got "
                         f"{len(s._outputs)} ({s.list_outputs()})")
    return s._outputs[0]


# ----------------------------------------------------------------------------- making
def var(name: str, attr: dict | None = None, shape: Any = None, lr_mult: Any = None,
        wd_mult: Any = None, dtype: Any = None, init: Any = None, stype: Any = None,
        **kwargs: Any) -> Symbol:
    """A variable (``mx.sym.var``): an input or a parameter of a graph."""
    if not isinstance(name, str):
        raise TypeError(f"var: name must be a str, got {type(name).__name__}")
    attrs: dict[str, str] = _scope_attrs(attr)
    if shape is not None:
        attrs["__shape__"] = format_attr(tuple(shape))
    if lr_mult is not None:
        attrs["__lr_mult__"] = format_attr(float(lr_mult))
    if wd_mult is not None:
        attrs["__wd_mult__"] = format_attr(float(wd_mult))
    if dtype is not None:
        from ..ndarray.serialization import DTYPE_FLAGS

        attrs["__dtype__"] = str(DTYPE_FLAGS[_onp.dtype(dtype)])
    if init is not None:
        attrs["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        attrs["__storage_type__"] = str({"default": 0, "row_sparse": 1, "csr": 2}[stype])
    for k, v in kwargs.items():
        if k.startswith("__") and k.endswith("__"):
            attrs[k] = format_attr(v)
    return Symbol([(_Node("null", name, attrs), 0)])


Variable = var


def Group(symbols: list[Symbol], create_fn: Any = None) -> Symbol:
    """One symbol whose outputs are those of *symbols*, in order."""
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError("Group: expected a non-empty list of Symbols")
    outs: list[tuple[_Node, int]] = []
    for s in symbols:
        outs.extend(s._outputs)
    return Symbol(outs)


_AUX_INIT = {"moving_mean": '["zero", {}]', "moving_var": '["one", {}]'}


def _scope_attrs(attr: dict | None) -> dict[str, str]:
    """The current ``mx.AttrScope``'s attributes updated with *attr* (as strings)."""
    from .. import attribute as _attribute

    return {k: format_attr(v) for k, v in _attribute.current().get(attr).items()}


def _create(op: str, args: list, kwargs: dict, name: str | None = None,
            attr: dict | None = None) -> Symbol:
    """A node applying MXNet op *op*: array inputs from *args* (in the op's input order)
    and the Symbol values of *kwargs* (by input name); the other kwargs are
    attributes.  Missing parameter inputs become variables ``<name>_<input>``."""
    spec = MX_OPS[op]
    attrs: dict[str, str] = {}
    sym_kw: dict[str, Symbol] = {}
    for k, v in kwargs.items():
        if isinstance(v, Symbol):
            sym_kw[k] = v
        elif v is not None:
            attrs[k] = format_attr(v)
    from .. import name as _name

    # MXNet's naming: the current NameManager (mx.name.Prefix prefixes every name)
    name = _name.current().get(name, op.lower().lstrip("_"))
    attrs.update(_scope_attrs(attr))
    inputs: list[tuple[_Node, int]] = []
    if spec.inputs == ("*",):
        syms = list(args) + list(sym_kw.values())
        inputs = [_single(s, op) for s in syms]
        if op in ("Concat", "concat", "_npi_concatenate", "stack", "_npi_stack"):
            attrs.setdefault("num_args", str(len(inputs)))
    else:
        names = spec.input_names(attrs)
        pos = list(args)
        for k, n in enumerate(names):
            if k < len(pos) and pos[k] is not None:
                inputs.append(_single(pos[k], op))
            elif n in sym_kw:
                inputs.append(_single(sym_kw.pop(n), op))
            elif k == 0:
                raise ValueError(f"{op}: the {n!r} input is required")
            else:
                # MXNet gives the auxiliary states it makes their initializer
                # (BatchNorm's moving mean zeros, moving variance ones)
                # and, as MXNet, the variables it makes carry the node's attributes
                init = _AUX_INIT.get(n) if n in spec.aux else None
                v = var(f"{name}_{n}", init=init)
                node_attrs = v._outputs[0][0].attrs
                for k, val in attrs.items():
                    node_attrs.setdefault(k, val)
                inputs.append(v._outputs[0])
        if sym_kw:
            raise ValueError(f"{op}: unknown inputs {sorted(sym_kw)}; inputs are {list(names)}")
    node = _Node(op, name, attrs, inputs)
    return Symbol([(node, i) for i in range(spec.visible(attrs))])


def _make_creator(op: str) -> Any:
    def creator(*args: Any, name: str | None = None, attr: dict | None = None,
                **kwargs: Any) -> Symbol:
        return _create(op, list(args), kwargs, name, attr)
    creator.__name__ = op
    creator.__doc__ = f"The MXNet op {op} as a symbol node (see ndengine.symbol._ops)."
    return creator


# ----------------------------------------------------------------------------- loading
def load_json(json_str: str) -> Symbol:
    """A symbol from MXNet's JSON graph format (what ``tojson`` writes)."""
    return _from_json(json_str, "load_json")


def load(fname: str) -> Symbol:
    """A symbol from a ``-symbol.json`` file."""
    fname = os.fspath(fname)
    try:
        with open(fname, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise SymbolFileError(f"symbol.load: no such file {fname!r}") from None
    except IsADirectoryError:
        raise SymbolFileError(f"symbol.load: {fname!r} is a directory") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SymbolFileError(f"symbol.load: {fname!r} is not a symbol file (not UTF-8 "
                              f"text; a .params file?)") from None
    return _from_json(text, f"symbol.load({fname!r})")


def _from_json(text: str, where: str) -> Symbol:
    try:
        graph = json.loads(text)
    except (ValueError, TypeError) as e:
        raise SymbolFileError(f"{where}: not JSON ({e})") from None
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list) or \
            not isinstance(graph.get("heads"), list):
        raise SymbolFileError(f"{where}: not an MXNet graph (needs 'nodes' and 'heads' "
                              f"lists)")
    nodes: list[_Node] = []
    for k, entry in enumerate(graph["nodes"]):
        if not isinstance(entry, dict) or "op" not in entry or "name" not in entry:
            raise SymbolFileError(f"{where}: node {k} is not an object with 'op' and 'name'")
        op, name = entry["op"], entry["name"]
        if not isinstance(op, str) or not isinstance(name, str):
            raise SymbolFileError(f"{where}: node {k}: 'op' and 'name' must be strings")
        attrs = entry.get("attrs", entry.get("attr", entry.get("param", {}))) or {}
        if not isinstance(attrs, dict):
            raise SymbolFileError(f"{where}: node {k} ({name!r}): attrs must be an object")
        attrs = {str(a): str(v) for a, v in attrs.items()}
        if op != "null" and op not in MX_OPS:
            raise UnsupportedOpError(f"{where}: node {k} ({name!r}) uses op {op!r}, which "
                                     f"ndengine does not support (supported: "
                                     f"{', '.join(sorted(MX_OPS))})")
        inputs = []
        for e in entry.get("inputs", []):
            src, i = _entry(e, k, nodes, where, f"node {k} ({name!r}) input")
            inputs.append((src, i))
        nodes.append(_Node(op, name, attrs, inputs))
    heads = [_entry(e, len(nodes), nodes, where, "head") for e in graph["heads"]]
    if not heads:
        raise SymbolFileError(f"{where}: the graph has no heads")
    return Symbol(heads)


def _entry(e: Any, limit: int, nodes: list[_Node], where: str, what: str) -> tuple[_Node, int]:
    if not isinstance(e, list) or len(e) not in (2, 3) or \
            not all(isinstance(v, int) and not isinstance(v, bool) for v in e):
        raise SymbolFileError(f"{where}: {what} {e!r} is not [node, output, version]")
    nid, i = e[0], e[1]
    if not 0 <= nid < limit:
        raise SymbolFileError(f"{where}: {what} {e!r} names node {nid}, which is not an "
                              f"earlier node")
    src = nodes[nid]
    if not 0 <= i < src.nout:
        raise SymbolFileError(f"{where}: {what} {e!r}: node {src.name!r} ({src.op}) has "
                              f"{src.nout} outputs")
    return src, i
