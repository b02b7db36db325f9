"""From a traced graph of op-table nodes to an MXNet symbol (``HybridBlock.export``).

Each ndengine op of a traced forward becomes the MXNet op MXNet 1.9.1 itself writes
for it: the layers' ops by their layer names (``FullyConnected``, ``Convolution``,
``Pooling``, ``BatchNorm``, ``Activation``, ``LeakyReLU``, ``softmax``), and the
NumPy-style ops by the names of the current mode: in np mode (``npx.set_np()``) the
``_npi_*`` / ``_np_*`` / ``_npx_*`` ops (``_npi_add``, ``_npi_add_scalar``,
``_np_sum``...), else the legacy ones (``broadcast_add``, ``_plus_scalar``,
``sum``...).  A traced op with no MXNet counterpart here fails the export with an
error naming it.  The graph is traced in predict mode, so Dropout (the identity
there) leaves no node, and BatchNorm uses its moving statistics; MXNet computes the
same at inference.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as _onp

from ..base import MXNetError
from .symbol import Symbol, _Node, var

__all__ = ["ExportError", "nodes_to_symbol"]


class ExportError(MXNetError, ValueError):
    """A traced graph holds something MXNet's format cannot say."""


Entry = tuple[_Node, int]


def _scalar_attrs(v: Any) -> dict:
    f = float(v)
    return {"scalar": repr(f) if f != int(f) or abs(f) > 1e15 else f"{f:.1f}",
            "is_int": "True" if isinstance(v, (int, _onp.integer)) and not isinstance(v, bool)
            else "False"}


_NP_BIN = {"add": "_npi_add", "subtract": "_npi_subtract", "multiply": "_npi_multiply",
           "true_divide": "_npi_true_divide", "maximum": "_npi_maximum",
           "minimum": "_npi_minimum", "power": "_npi_power", "mod": "_npi_mod"}
_LEG_BIN = {"add": "broadcast_add", "subtract": "broadcast_sub", "multiply": "broadcast_mul",
            "true_divide": "broadcast_div", "maximum": "broadcast_maximum",
            "minimum": "broadcast_minimum", "power": "broadcast_power", "mod": "broadcast_mod"}
# op -> (array op scalar, scalar op array)
_NP_SCALAR = {"add": ("_npi_add_scalar", "_npi_add_scalar"),
              "subtract": ("_npi_subtract_scalar", "_npi_rsubtract_scalar"),
              "multiply": ("_npi_multiply_scalar", "_npi_multiply_scalar"),
              "true_divide": ("_npi_true_divide_scalar", "_npi_rtrue_divide_scalar"),
              "power": ("_npi_power_scalar", "_npi_rpower_scalar"),
              "maximum": ("_npi_maximum_scalar", "_npi_maximum_scalar"),
              "minimum": ("_npi_minimum_scalar", "_npi_minimum_scalar")}
_LEG_SCALAR = {"add": ("_plus_scalar", "_plus_scalar"),
               "subtract": ("_minus_scalar", "_rminus_scalar"),
               "multiply": ("_mul_scalar", "_mul_scalar"),
               "true_divide": ("_div_scalar", "_rdiv_scalar"),
               "power": ("_power_scalar", "_rpower_scalar"),
               "maximum": ("_maximum_scalar", "_maximum_scalar"),
               "minimum": ("_minimum_scalar", "_minimum_scalar")}
_UNARY = ("exp", "log", "sqrt", "abs", "negative", "square", "sin", "cos", "log1p", "expm1",
          "floor", "ceil", "sign", "reciprocal")
_ACT = {"sigmoid": "sigmoid", "tanh": "tanh", "softrelu": "softrelu"}


class _Builder:
    def __init__(self, np_mode: bool, prefix: str) -> None:
        self.np = np_mode
        self.prefix = prefix
        self.counts: dict[str, int] = {}

    def name(self, hint: str) -> str:
        n = self.counts.get(hint, 0)
        self.counts[hint] = n + 1
        return f"{self.prefix}{hint}{n}"

    def node(self, op: str, inputs: list[Entry], attrs: dict | None = None,
             hint: str | None = None) -> _Node:
        return _Node(op, self.name(hint or op.lower().lstrip("_")), attrs or {}, inputs)


def _fmt_tuple(t: Any) -> str:
    t = tuple(int(v) for v in t)
    return "(" + ", ".join(str(v) for v in t) + ("," if len(t) == 1 else "") + ")"


def nodes_to_symbol(nodes: list[tuple], inputs: list[tuple[Any, str]],
                    outputs: list[Any], names: dict[int, str], np_mode: bool,
                    prefix: str = "") -> Symbol:
    """The symbol of a traced graph: *nodes* are ``(opdef, args, outs, params, single)``
    records; *inputs* ``(placeholder, name)``; *names* maps id(array) to the variable
    name of each outside array (parameters); *outputs* the graph's output handles."""
    b = _Builder(np_mode, prefix)
    entries: dict[int, Entry] = {}
    for ph, n in inputs:
        entries[id(ph)] = (_Node("null", n), 0)
    var_nodes: dict[str, _Node] = {}

    def entry(a: Any, who: str) -> Entry:
        e = entries.get(id(a))
        if e is not None:
            return e
        n = names.get(id(a))
        if n is None:
            raise ExportError(f"export: {who} reads an array of shape {a.shape} that is "
                              f"neither an input nor a parameter of the block (a constant "
                              f"made in forward or captured from outside); make it a "
                              f"Parameter or a Constant of the block")
        v = var_nodes.get(n)
        if v is None:
            v = var_nodes[n] = var(n)._outputs[0][0]
            v.attrs.update({"__dtype__": _dtype_flag(a.dtype), "__shape__": _fmt_tuple(a.shape),
                            "__storage_type__": "0"})
        return (v, 0)

    for opdef, args, outs, params, single in nodes:
        rule = _RULES.get(opdef.name)
        if rule is None:
            raise ExportError(f"export: the traced graph uses ndengine op {opdef.name!r}, "
                              f"which has no MXNet op here (exportable: "
                              f"{', '.join(sorted(_RULES))})")
        results = rule(b, lambda a: entry(a, opdef.name), args, params, outs)
        for o, e in zip(outs, results):
            if e is not None:
                entries[id(o)] = e
    heads = []
    for o in outputs:
        e = entries.get(id(o))
        if e is None:
            e = entry(o, "the output")
        heads.append(e)
    return Symbol(heads)


def _dtype_flag(dt: Any) -> str:
    from ..ndarray.serialization import DTYPE_FLAGS

    return str(DTYPE_FLAGS.get(_onp.dtype(dt), 0))


Rule = Callable[..., list]
_RULES: dict[str, Rule] = {}


def _rule(*names: str) -> Callable[[Rule], Rule]:
    def deco(fn: Rule) -> Rule:
        for n in names:
            _RULES[n] = fn
        return fn
    return deco


@_rule("fully_connected")
def _fc(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
    x, w = args[0], args[1]
    bias = args[2] if len(args) > 2 else None
    ins = [e(x), e(w)] + ([e(bias)] if bias is not None else [])
    fc = b.node("FullyConnected", ins, {"flatten": str(bool(p.get("flatten", True))),
                                        "no_bias": str(bias is None),
                                        "num_hidden": str(w.shape[0])}, "fullyconnected")
    if p.get("act") == "relu":
        act = b.node("Activation", [(fc, 0)], {"act_type": "relu"}, "relu")
        return [(act, 0)]
    return [(fc, 0)]


def _act_rule(name: str) -> Rule:
    def rule(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
        if name in ("relu", "sigmoid"):
            op = f"_npx_{name}" if b.np else name
            return [(b.node(op, [e(args[0])], {}, name), 0)]
        return [(b.node("Activation", [e(args[0])], {"act_type": name}, name), 0)]
    return rule


for _n in ("relu", "sigmoid", "softrelu"):
    _RULES[_n] = _act_rule(_n)


def _unary_rule(name: str) -> Rule:
    def rule(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
        op = f"_npi_{name}" if b.np else name
        return [(b.node(op, [e(args[0])], {}, name), 0)]
    return rule


for _n in ("tanh",) + _UNARY:
    _RULES[_n] = _unary_rule(_n)


def _binary_rule(name: str) -> Rule:
    def rule(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
        x, y = args
        xa, ya = hasattr(x, "_var"), hasattr(y, "_var")
        if xa and ya:
            op = (_NP_BIN if b.np else _LEG_BIN)[name]
            return [(b.node(op, [e(x), e(y)], {}, name), 0)]
        table = _NP_SCALAR if b.np else _LEG_SCALAR
        if name not in table:
            raise ExportError(f"export: {name} of an array and a scalar has no MXNet op here")
        arr, s, rev = (x, y, False) if xa else (y, x, True)
        op = table[name][1 if rev else 0]
        attrs = _scalar_attrs(s)
        if not b.np:
            attrs = {"scalar": _legacy_scalar(s)}
        return [(b.node(op, [e(arr)], attrs, name + "_scalar"), 0)]
    return rule


def _legacy_scalar(s: Any) -> str:
    f = float(s)
    return str(int(f)) if f.is_integer() and isinstance(s, (int, _onp.integer)) else repr(f)


for _n in _NP_BIN:
    _RULES[_n] = _binary_rule(_n)


@_rule("batch_norm")
def _bn(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
    node = b.node("BatchNorm", [e(a) for a in args],
                  {"axis": str(int(p.get("axis", 1))), "eps": repr(float(p.get("eps", 1e-3))),
                   "fix_gamma": str(bool(p.get("fix_gamma", True))),
                   "momentum": repr(float(p.get("momentum", 0.9))),
                   "use_global_stats": "False"}, "batchnorm")
    return [(node, 0), None, None]


@_rule("layer_norm")
def _ln(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
    node = b.node("LayerNorm", [e(a) for a in args],
                  {"axis": str(int(p.get("axis", -1))), "eps": repr(float(p.get("eps", 1e-5)))},
                  "layernorm")
    return [(node, 0), None, None]


@_rule("convolution")
def _conv(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
    x, w = args[0], args[1]
    bias = args[2] if len(args) > 2 else None
    nd = len(p["kernel"])
    layout = {1: "NCW", 2: "NCHW", 3: "NCDHW"}[nd]
    ins = [e(x), e(w)] + ([e(bias)] if bias is not None else [])
    node = b.node("Convolution", ins,
                  {"dilate": _fmt_tuple(p.get("dilate", (1,) * nd)),
                   "kernel": _fmt_tuple(p["kernel"]), "layout": layout,
                   "no_bias": str(bias is None), "num_filter": str(w.shape[0]),
                   "num_group": str(int(p.get("num_group", 1))),
                   "pad": _fmt_tuple(p.get("pad", (0,) * nd)),
                   "stride": _fmt_tuple(p.get("stride", (1,) * nd))}, "convolution")
    return [(node, 0)]


@_rule("pooling")
def _pool(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
    nd = len(p["kernel"])
    layout = {1: "NCW", 2: "NCHW", 3: "NCDHW"}[nd]
    attrs = {"global_pool": "False", "kernel": _fmt_tuple(p["kernel"]), "layout": layout,
             "pad": _fmt_tuple(p["pad"]), "pool_type": p.get("pool_type", "max"),
             "pooling_convention": "full" if p.get("full") else "valid",
             "stride": _fmt_tuple(p["stride"])}
    if p.get("pool_type") == "avg":
        attrs["count_include_pad"] = str(bool(p.get("count_include_pad", True)))
    if p.get("pool_type") == "lp":
        attrs["p_value"] = str(int(p.get("p_value", 2)))
    return [(b.node("Pooling", [e(args[0])], attrs, "pooling"), 0)]


@_rule("global_pooling")
def _gpool(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
    nd = len(args[0].shape) - 2
    attrs = {"global_pool": "True", "kernel": _fmt_tuple((1,) * nd),
             "layout": {1: "NCW", 2: "NCHW", 3: "NCDHW"}[nd], "pad": _fmt_tuple((0,) * nd),
             "pool_type": p.get("pool_type", "max"), "pooling_convention": "valid",
             "stride": _fmt_tuple((1,) * nd)}
    return [(b.node("Pooling", [e(args[0])], attrs, "pooling"), 0)]


@_rule("leaky_relu")
def _leaky(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
    return [(b.node("LeakyReLU", [e(args[0])], {"act_type": "leaky",
                                                  "slope": repr(float(p.get("slope", 0.25)))},
                    "leakyrelu"), 0)]


@_rule("reshape")
def _reshape(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
    shape = tuple(outs[0].shape)
    if b.np:
        return [(b.node("_np_reshape", [e(args[0])], {"newshape": _fmt_tuple(shape),
                                                       "order": "C"}, "reshape"), 0)]
    return [(b.node("Reshape", [e(args[0])], {"shape": _fmt_tuple(shape)}, "reshape"), 0)]


def _softmax_rule(name: str) -> Rule:
    def rule(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
        if len([a for a in args if hasattr(a, "_var")]) != 1:
            raise ExportError(f"export: {name} with a length array has no MXNet op here")
        attrs = {"axis": str(int(p.get("axis", -1)))}
        if p.get("temperature") is not None:
            attrs["temperature"] = repr(float(p["temperature"]))
        return [(b.node(name, [e(args[0])], attrs, name), 0)]
    return rule


for _n in ("softmax", "log_softmax"):
    _RULES[_n] = _softmax_rule(_n)


def _reduce_rule(name: str) -> Rule:
    def rule(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
        ax = p.get("axis")
        attrs = {"axis": "None" if ax is None else (str(int(ax)) if isinstance(ax, int)
                                                    else _fmt_tuple(ax)),
                 "keepdims": str(bool(p.get("keepdims", False)))}
        if b.np:
            op = "_np_sum" if name == "sum" else f"_npi_{name}" if name == "mean" else \
                f"_np_{name}"
        else:
            op = name
            if ax is None:
                attrs.pop("axis")
        return [(b.node(op, [e(args[0])], attrs, name), 0)]
    return rule


for _n in ("sum", "mean", "max", "min", "prod"):
    _RULES[_n] = _reduce_rule(_n)


@_rule("transpose")
def _transpose(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
    axes = p.get("axes")
    if b.np:
        return [(b.node("_np_transpose", [e(args[0])],
                        {"axes": "None" if axes is None else _fmt_tuple(axes)}, "transpose"), 0)]
    attrs = {} if axes is None else {"axes": _fmt_tuple(axes)}
    return [(b.node("transpose", [e(args[0])], attrs, "transpose"), 0)]


@_rule("dot")
def _dot(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
    return [(b.node("_np_dot" if b.np else "dot", [e(args[0]), e(args[1])], {}, "dot"), 0)]


@_rule("concatenate")
def _concat(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
    seq = list(args[0])
    ax = int(p.get("axis", 0))
    if b.np:
        return [(b.node("_npi_concatenate", [e(a) for a in seq],
                        {"axis": str(ax), "num_args": str(len(seq))}, "concatenate"), 0)]
    return [(b.node("Concat", [e(a) for a in seq], {"dim": str(ax), "num_args": str(len(seq))},
                    "concat"), 0)]


@_rule("expand_dims")
def _expand(b: _Builder, e: Any, args: tuple, p: dict, outs: list) -> list:
    return [(b.node("expand_dims", [e(args[0])], {"axis": str(int(p["axis"]))},
                    "expand_dims"), 0)]
