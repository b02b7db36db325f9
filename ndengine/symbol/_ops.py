"""The MXNet ops a ``-symbol.json`` graph may name, and how ndengine runs each.

Each entry says what MXNet 1.9.1 says about the op in its JSON graphs: the names of
its array inputs (in order; the ones that become parameters are made as variables
named ``<node>_<input>`` when a symbol is composed without them), which of them are
auxiliary states (BatchNorm's moving statistics, written with version 1), how many
outputs the node has (its rows in ``node_row_ptr``, hidden ones included: Dropout's
mask, BatchNorm's mean and variance) and how many of them are visible; then the
function that computes the visible outputs from ndengine arrays and the node's
attributes (parsed from MXNet's strings), and, for ops with parameters, the rule that
gives their shapes from the data's (what ``infer_shape`` and SymbolBlock's deferred
initialization use).

Attributes are MXNet's strings ("num_hidden": "10", "no_bias": "False",
"kernel": "(3, 3)"); :func:`parse_attr` reads them as Python literals (never
evaluating code: ``ast.literal_eval``), and anything that is no literal stays a
string ("relu", "NCHW").
"""
from __future__ import annotations

import ast
from typing import Any, Callable

import numpy as _onp

from ..base import MXNetError

__all__ = ["MXOp", "MX_OPS", "parse_attr", "format_attr", "UnsupportedOpError"]


class UnsupportedOpError(MXNetError, NotImplementedError):
    """A graph names an MXNet op ndengine does not run."""


def parse_attr(v: Any) -> Any:
    """An MXNet attribute string as a Python value ("10" -> 10, "(3, 3)" -> (3, 3),
    "True" -> True, "None" -> None, "relu" -> "relu")."""
    if not isinstance(v, str):
        return v
    s = v.strip()
    try:
        return ast.literal_eval(s)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        pass
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "none":
        return None
    return s


def format_attr(v: Any) -> str:
    """A Python value as the string MXNet writes for it (True -> "True",
    (3, 3) -> "(3, 3)", 1e-05 -> "1e-05")."""
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, _onp.bool_)):
        return "True" if v else "False"
    if isinstance(v, (list, tuple)):
        items = [format_attr(x) for x in v]
        if isinstance(v, list):
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(v, (_onp.integer,)):
        return str(int(v))
    if isinstance(v, (_onp.floating,)):
        return str(float(v))
    return str(v)


class MXOp:
    """One MXNet op: see the module notes."""

    __slots__ = ("name", "inputs", "aux", "nout", "nvisible", "run", "param_shapes",
                 "optional")

    def __init__(self, name: str, inputs: tuple[str, ...], run: Callable[..., Any],
                 aux: tuple[str, ...] = (), nout: Any = 1, nvisible: Any = 1,
                 param_shapes: Callable[..., dict] | None = None,
                 optional: Callable[[dict], tuple[str, ...]] | None = None) -> None:
        self.name = name
        self.inputs = inputs      # () with "*": any number of data inputs
        self.aux = aux
        self.nout = nout
        self.nvisible = nvisible
        self.run = run
        self.param_shapes = param_shapes
        self.optional = optional  # attrs -> the input names this node leaves out

    def outputs(self, attrs: dict) -> int:
        """The node's output count (its rows in node_row_ptr), hidden ones included."""
        return self.nout(attrs) if callable(self.nout) else self.nout

    def visible(self, attrs: dict) -> int:
        """The node's visible output count (SliceChannel's depends on num_outputs)."""
        return self.nvisible(attrs) if callable(self.nvisible) else self.nvisible

    def input_names(self, attrs: dict) -> tuple[str, ...]:
        skip = self.optional(attrs) if self.optional is not None else ()
        return tuple(n for n in self.inputs if n not in skip)

    def aux_names(self, attrs: dict) -> tuple[str, ...]:
        """The names of the inputs that are auxiliary states."""
        return self.aux


MX_OPS: dict[str, MXOp] = {}


def _def(name: str, inputs: tuple[str, ...], run: Callable[..., Any], **kw: Any) -> MXOp:
    op = MXOp(name, inputs, run, **kw)
    MX_OPS[name] = op
    return op


def _np():
    from .. import numpy as np

    return np


def _npx():
    from .. import npx

    return npx


def _attr(attrs: dict, key: str, default: Any = None) -> Any:
    v = attrs.get(key, default)
    return parse_attr(v) if isinstance(v, str) else v


def _no_bias(attrs: dict) -> tuple[str, ...]:
    return ("bias",) if _attr(attrs, "no_bias", False) else ()


def _tuple(v: Any) -> tuple:
    if v is None:
        return ()
    if isinstance(v, (int, _onp.integer)):
        return (int(v),)
    return tuple(int(a) for a in v)


# ----------------------------------------------------------------------------- layers
def _fc(ins: list, a: dict) -> list:
    x, w = ins[0], ins[1]
    b = ins[2] if len(ins) > 2 else None
    return [_npx().fully_connected(x, w, b, num_hidden=_attr(a, "num_hidden"),
                                   no_bias=b is None, flatten=_attr(a, "flatten", True))]


def _fc_shapes(a: dict, data: tuple) -> dict:
    n = int(_attr(a, "num_hidden"))
    if _attr(a, "flatten", True):
        k = int(_onp.prod(data[1:])) if len(data) > 1 else 1
    else:
        k = data[-1]
    return {"weight": (n, k), "bias": (n,)}


_def("FullyConnected", ("data", "weight", "bias"), _fc, param_shapes=_fc_shapes,
     optional=_no_bias)


def _conv(ins: list, a: dict) -> list:
    x, w = ins[0], ins[1]
    b = ins[2] if len(ins) > 2 else None
    layout = _attr(a, "layout")
    return [_npx().convolution(x, w, b, kernel=_tuple(_attr(a, "kernel")),
                               stride=_tuple(_attr(a, "stride")) or None,
                               dilate=_tuple(_attr(a, "dilate")) or None,
                               pad=_tuple(_attr(a, "pad")) or None,
                               num_filter=_attr(a, "num_filter"),
                               num_group=int(_attr(a, "num_group", 1)),
                               no_bias=b is None, layout=layout)]


def _conv_shapes(a: dict, data: tuple) -> dict:
    k = _tuple(_attr(a, "kernel"))
    f = int(_attr(a, "num_filter"))
    g = int(_attr(a, "num_group", 1))
    layout = _attr(a, "layout") or ""
    last = isinstance(layout, str) and layout.endswith("C")
    c = data[-1] if last else data[1]
    w = (f,) + k + (c // g,) if last else (f, c // g) + k
    return {"weight": w, "bias": (f,)}


_def("Convolution", ("data", "weight", "bias"), _conv, param_shapes=_conv_shapes,
     optional=_no_bias)


def _pool(ins: list, a: dict) -> list:
    kw = dict(kernel=_tuple(_attr(a, "kernel")) or None,
              pool_type=_attr(a, "pool_type", "max"),
              global_pool=bool(_attr(a, "global_pool", False)),
              pooling_convention=_attr(a, "pooling_convention", "valid"),
              stride=_tuple(_attr(a, "stride")) or None,
              pad=_tuple(_attr(a, "pad")) or None, layout=_attr(a, "layout"))
    cip = _attr(a, "count_include_pad")
    if cip is not None:
        kw["count_include_pad"] = bool(cip)
    return [_npx().pooling(ins[0], **kw)]


# max pooling keeps its argmax as a second, hidden output (MXNet 1.9.1's CPU build)
_def("Pooling", ("data",), _pool,
     nout=lambda a: 2 if _attr(a, "pool_type", "max") == "max" else 1)


def _activation(ins: list, a: dict) -> list:
    return [_npx().activation(ins[0], act_type=_attr(a, "act_type", "relu"))]


_def("Activation", ("data",), _activation)


def _leaky(ins: list, a: dict) -> list:
    act = _attr(a, "act_type", "leaky")
    kw = {"act_type": act, "slope": float(_attr(a, "slope", 0.25))}
    gamma = ins[1] if len(ins) > 1 else None
    r = _npx().leaky_relu(ins[0], gamma, **kw)
    return [r[0] if isinstance(r, (list, tuple)) else r]


def _leaky_shapes(a: dict, data: tuple) -> dict:
    return {"gamma": (data[1],) if len(data) > 1 else (1,)}


_def("LeakyReLU", ("data", "gamma"), _leaky, param_shapes=_leaky_shapes,
     optional=lambda a: () if _attr(a, "act_type", "leaky") == "prelu" else ("gamma",))


def _dropout(ins: list, a: dict) -> list:
    axes = _attr(a, "axes", ())
    return [_npx().dropout(ins[0], p=float(_attr(a, "p", 0.5)),
                           mode=_attr(a, "mode", "training"), axes=_tuple(axes) or None)]


_def("Dropout", ("data",), _dropout, nout=2)


def _bn(ins: list, a: dict) -> list:
    x, gamma, beta, mean, var = ins
    return [_npx().batch_norm(x, gamma, beta, mean, var, eps=float(_attr(a, "eps", 1e-3)),
                              momentum=float(_attr(a, "momentum", 0.9)),
                              fix_gamma=bool(_attr(a, "fix_gamma", True)),
                              use_global_stats=bool(_attr(a, "use_global_stats", False)),
                              axis=int(_attr(a, "axis", 1)))]


def _bn_shapes(a: dict, data: tuple) -> dict:
    c = (data[int(_attr(a, "axis", 1))],)
    return {"gamma": c, "beta": c, "moving_mean": c, "moving_var": c}


_def("BatchNorm", ("data", "gamma", "beta", "moving_mean", "moving_var"), _bn,
     aux=("moving_mean", "moving_var"), nout=3, param_shapes=_bn_shapes)


def _ln(ins: list, a: dict) -> list:
    return [_npx().layer_norm(ins[0], ins[1], ins[2], axis=int(_attr(a, "axis", -1)),
                              eps=float(_attr(a, "eps", 1e-5)))]


def _ln_shapes(a: dict, data: tuple) -> dict:
    c = (data[int(_attr(a, "axis", -1))],)
    return {"gamma": c, "beta": c}


_def("LayerNorm", ("data", "gamma", "beta"), _ln, nout=3, param_shapes=_ln_shapes)


def _embedding(ins: list, a: dict) -> list:
    return [_npx().embedding(ins[0], ins[1], input_dim=_attr(a, "input_dim"),
                             output_dim=_attr(a, "output_dim"))]


_def("Embedding", ("data", "weight"), _embedding,
     param_shapes=lambda a, d: {"weight": (int(_attr(a, "input_dim")),
                                           int(_attr(a, "output_dim")))})


def _flatten(ins: list, a: dict) -> list:
    return [_npx().batch_flatten(ins[0])]


_def("Flatten", ("data",), _flatten)
_def("flatten", ("data",), _flatten)


def _softmax(fn: str) -> Callable[..., Any]:
    def run(ins: list, a: dict) -> list:
        t = _attr(a, "temperature")
        return [getattr(_npx(), fn)(ins[0], axis=int(_attr(a, "axis", -1)),
                                    temperature=None if t is None else float(t))]
    return run


_def("softmax", ("data",), _softmax("softmax"))
_def("log_softmax", ("data",), _softmax("log_softmax"))


def _softmax_activation(ins: list, a: dict) -> list:
    x = ins[0]
    if _attr(a, "mode", "instance") == "channel":
        return [_npx().softmax(x, axis=1)]
    return [_npx().softmax(x.reshape((x.shape[0], -1)), axis=-1).reshape(x.shape)]


_def("SoftmaxActivation", ("data",), _softmax_activation)


# ----------------------------------------------------------------------------- elementwise
def _unary(fn: Callable[[Any], Any]) -> Callable[..., Any]:
    return lambda ins, a: [fn(ins[0])]


_UNARY_NP = {"exp": "exp", "log": "log", "sqrt": "sqrt", "abs": "abs", "tanh": "tanh",
             "negative": "negative", "square": "square", "sin": "sin", "cos": "cos",
             "log1p": "log1p", "expm1": "expm1", "floor": "floor", "ceil": "ceil",
             "sign": "sign", "reciprocal": "reciprocal"}
for _name, _fn in _UNARY_NP.items():
    _def(_name, ("data",), _unary(lambda x, f=_fn: getattr(_np(), f)(x)))
    _def("_npi_" + _name, ("x",), _unary(lambda x, f=_fn: getattr(_np(), f)(x)))
for _name in ("relu", "sigmoid"):
    _def(_name, ("data",), _unary(lambda x, f=_name: getattr(_npx(), f)(x)))
    _def("_npx_" + _name, ("data",), _unary(lambda x, f=_name: getattr(_npx(), f)(x)))
_def("rsqrt", ("data",), _unary(lambda x: 1 / _np().sqrt(x)))
for _name in ("_copy", "_np_copy"):
    _def(_name, ("data",), _unary(lambda x: x.copy()))
_def("identity", ("data",), _unary(lambda x: x))
for _name in ("BlockGrad", "stop_gradient"):      # the values, no gradient through them
    _def(_name, ("data",), _unary(lambda x: x.detach()))
_def("softsign", ("data",), _unary(lambda x: x / (abs(x) + 1)))


def _binary(fn: str) -> Callable[..., Any]:
    return lambda ins, a: [getattr(_np(), fn)(ins[0], ins[1])]


_BINARY = {"add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide",
           "maximum": "maximum", "minimum": "minimum", "power": "power", "mod": "mod"}
for _k, _fn in _BINARY.items():
    _def("elemwise_" + _k, ("lhs", "rhs"), _binary(_fn))
    _def("broadcast_" + _k, ("lhs", "rhs"), _binary(_fn))
    _def("_" + _k, ("lhs", "rhs"), _binary(_fn))
for _k in ("plus", "minus"):
    _def("broadcast_" + _k, ("lhs", "rhs"), _binary("add" if _k == "plus" else "subtract"))
    _def("_" + _k, ("lhs", "rhs"), _binary("add" if _k == "plus" else "subtract"))
_def("_Plus", ("lhs", "rhs"), _binary("add"))
_def("_Minus", ("lhs", "rhs"), _binary("subtract"))
_def("_Mul", ("lhs", "rhs"), _binary("multiply"))
_def("_Div", ("lhs", "rhs"), _binary("true_divide"))
for _fn in ("add", "subtract", "multiply", "true_divide", "maximum", "minimum", "power",
            "mod"):
    _def("_npi_" + _fn, ("lhs", "rhs"), _binary(_fn))


def _scalar_value(a: dict) -> Any:
    s = _attr(a, "scalar", 0.0)
    if _attr(a, "is_int", False) and float(s).is_integer():
        return int(s)
    return float(s) if not isinstance(s, int) else s


def _scalar(fn: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    return lambda ins, a: [fn(ins[0], _scalar_value(a))]


_SCALAR = {
    "_plus_scalar": lambda x, s: x + s, "_minus_scalar": lambda x, s: x - s,
    "_rminus_scalar": lambda x, s: s - x, "_mul_scalar": lambda x, s: x * s,
    "_div_scalar": lambda x, s: x / s, "_rdiv_scalar": lambda x, s: s / x,
    "_power_scalar": lambda x, s: x ** s, "_rpower_scalar": lambda x, s: s ** x,
    "_maximum_scalar": lambda x, s: _np().maximum(x, s),
    "_minimum_scalar": lambda x, s: _np().minimum(x, s),
    "_mod_scalar": lambda x, s: x % s,
    "_npi_add_scalar": lambda x, s: x + s, "_npi_subtract_scalar": lambda x, s: x - s,
    "_npi_rsubtract_scalar": lambda x, s: s - x, "_npi_multiply_scalar": lambda x, s: x * s,
    "_npi_true_divide_scalar": lambda x, s: x / s,
    "_npi_rtrue_divide_scalar": lambda x, s: s / x,
    "_npi_power_scalar": lambda x, s: x ** s, "_npi_rpower_scalar": lambda x, s: s ** x,
    "_npi_maximum_scalar": lambda x, s: _np().maximum(x, s),
    "_npi_minimum_scalar": lambda x, s: _np().minimum(x, s),
}
for _name, _f in _SCALAR.items():
    _def(_name, ("data",), _scalar(_f))


def _clip(ins: list, a: dict) -> list:
    return [_np().clip(ins[0], _attr(a, "a_min"), _attr(a, "a_max"))]


_def("clip", ("data",), _clip)
_def("_npi_clip", ("data",), _clip)


# ----------------------------------------------------------------------------- reductions
def _axis(a: dict) -> Any:
    ax = _attr(a, "axis")
    if isinstance(ax, list):
        ax = tuple(ax)
    if ax == ():
        return None
    return ax


def _reduce(fn: str, legacy: bool) -> Callable[..., Any]:
    def run(ins: list, a: dict) -> list:
        x = ins[0]
        ax = _axis(a)
        keep = bool(_attr(a, "keepdims", False))
        if legacy and _attr(a, "exclude", False):
            axes = {ax} if isinstance(ax, int) else set(ax or ())
            axes = {d % x.ndim for d in axes}
            ax = tuple(d for d in range(x.ndim) if d not in axes)
        r = getattr(_np(), fn)(x, axis=ax, keepdims=keep)
        if legacy and r.ndim == 0:
            r = r.reshape((1,))
        return [r]
    return run


for _fn in ("sum", "mean", "max", "min", "prod"):
    _def(_fn, ("data",), _reduce(_fn, True))
    _def("_np_" + _fn, ("a",), _reduce(_fn, False))
    _def("_npi_" + _fn, ("a",), _reduce(_fn, False))


# ----------------------------------------------------------------------------- shapes
def _legacy_shape(code: tuple, shape: tuple, reverse: bool = False) -> tuple:
    """MXNet's Reshape codes: 0 copy a dim, -1 infer, -2 copy the rest, -3 merge two,
    -4 split one in two (the next two codes, one may be -1)."""
    if reverse:
        r = _legacy_shape(tuple(reversed(code)), tuple(reversed(shape)))
        return tuple(reversed(r))
    out: list[int] = []
    i = 0
    j = 0
    code = list(code)
    while j < len(code):
        c = code[j]
        if c == 0:
            out.append(shape[i])
            i += 1
        elif c == -1:
            out.append(-1)
            i += 1
        elif c == -2:
            out.extend(shape[i:])
            i = len(shape)
        elif c == -3:
            out.append(shape[i] * shape[i + 1])
            i += 2
        elif c == -4:
            d1, d2 = code[j + 1], code[j + 2]
            if d1 == -1:
                d1 = shape[i] // d2
            if d2 == -1:
                d2 = shape[i] // d1
            out.extend([d1, d2])
            i += 1
            j += 2
        else:
            out.append(c)
            i += 1
        j += 1
    if -1 in out:
        known = int(_onp.prod([d for d in out if d != -1]))
        total = int(_onp.prod(shape))
        out[out.index(-1)] = total // known if known else 0
    return tuple(out)


def _reshape_legacy(ins: list, a: dict) -> list:
    x = ins[0]
    shape = _legacy_shape(_tuple(_attr(a, "shape")), x.shape, bool(_attr(a, "reverse", False)))
    return [x.reshape(shape)]


_def("Reshape", ("data",), _reshape_legacy)
_def("reshape", ("data",), _reshape_legacy)


def _reshape_np(ins: list, a: dict) -> list:
    return [_np().reshape(ins[0], _tuple(_attr(a, "newshape")))]


_def("_np_reshape", ("a",), _reshape_np)


def _reshape_npx(ins: list, a: dict) -> list:
    return [ins[0].reshape(_legacy_shape(_tuple(_attr(a, "newshape")), ins[0].shape,
                                         bool(_attr(a, "reverse", False))))]


_def("_npx_reshape", ("a",), _reshape_npx)


def _transpose(ins: list, a: dict) -> list:
    axes = _attr(a, "axes")
    axes = None if axes in (None, ()) else tuple(axes)
    return [_np().transpose(ins[0], axes)]


_def("transpose", ("data",), _transpose)
_def("_np_transpose", ("a",), _transpose)


def _expand(ins: list, a: dict) -> list:
    return [_np().expand_dims(ins[0], int(_attr(a, "axis")))]


_def("expand_dims", ("data",), _expand)
_def("_npi_expand_dims", ("data",), _expand)


def _squeeze(ins: list, a: dict) -> list:
    ax = _axis(a)
    return [_np().squeeze(ins[0], axis=ax)]


_def("squeeze", ("data",), _squeeze)
_def("_np_squeeze", ("a",), _squeeze)


def _concat(ins: list, a: dict) -> list:
    ax = _attr(a, "dim", _attr(a, "axis", 1))
    return [_np().concatenate(list(ins), axis=int(ax))]


_def("Concat", ("*",), _concat)
_def("concat", ("*",), _concat)
_def("_npi_concatenate", ("*",), _concat)


def _stack(ins: list, a: dict) -> list:
    return [_np().stack(list(ins), axis=int(_attr(a, "axis", 0)))]


_def("stack", ("*",), _stack)
_def("_npi_stack", ("*",), _stack)


def _slice(ins: list, a: dict) -> list:
    x = ins[0]
    begin = _attr(a, "begin")
    end = _attr(a, "end")
    step = _attr(a, "step") or ()
    idx = []
    for i, b in enumerate(begin):
        e = end[i] if i < len(end) else None
        s = step[i] if i < len(step) else None
        idx.append(slice(b, e, s))
    return [x[tuple(idx)]]


_def("slice", ("data",), _slice)


def _dot(ins: list, a: dict) -> list:
    x, y = ins
    if _attr(a, "transpose_a", False):
        x = x.T
    if _attr(a, "transpose_b", False):
        y = y.T
    return [_np().dot(x, y)]


_def("dot", ("lhs", "rhs"), _dot)
_def("_np_dot", ("a", "b"), _dot)


# the loss heads (SoftmaxOutput, the regression outputs, MakeLoss, SVMOutput) run the
# legacy ops that carry MXNet's backward; more ops run by their mx.nd functions
from . import _ops_heads  # noqa: E402,F401
from . import _ops_legacy  # noqa: E402,F401
from .. import operator as _operator  # noqa: E402  (Custom: Python ops, mx.operator)

MX_OPS["Custom"] = _operator.symbol_spec(MXOp)
