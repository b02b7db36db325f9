"""More MXNet 1.x symbol ops, each run by the ``mx.nd`` function of the same name.

The legacy namespace (``ndengine.legacy``) already computes these ops under MXNet
1.x's rules (its functions are written on the op table, so autograd differentiates
them); a graph node calls the function with its array inputs as legacy handles and its
attributes (parsed from MXNet's strings) as keyword arguments.  Each entry names the
op's array inputs in MXNet's order (``"*"``: any number), and, for ops with parameters,
the rule for their shapes (what ``infer_shape`` / ``simple_bind`` use): Deconvolution's
weight ``(C, num_filter / num_group, *kernel)``, InstanceNorm's gamma and beta ``(C,)``.
"""
from __future__ import annotations

from typing import Any, Callable

import importlib
import inspect

from ._ops import MX_OPS, MXOp, _attr, _def, _tuple

_legacy = importlib.import_module("ndengine.legacy")

__all__: list[str] = []


def _runner(fname: str, module: Any = None) -> Callable[..., list]:
    fn = getattr(_legacy if module is None else module, fname)
    params = inspect.signature(fn).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())

    def run(ins: list, a: dict) -> list:
        from ..legacy.ndarray import unwrap, wrap

        # the op's own attributes (not user ones such as lr_mult or ctx_group)
        kw = {k: v for k, v in a.items() if not k.startswith("__") and
              (k in params or (takes_any and k == "num_args"))}
        r = fn(*[wrap(x) for x in ins], **kw)
        return [unwrap(x) for x in (r if isinstance(r, (list, tuple)) else [r])]
    run.__name__ = f"run_{fname}"
    return run


def _add(name: str, inputs: tuple, fname: str | None = None, **kw: Any) -> None:
    if name not in MX_OPS and hasattr(_legacy, fname or name):
        _def(name, inputs, _runner(fname or name), **kw)


def _deconv_shapes(a: dict, data: tuple) -> dict:
    k = _tuple(_attr(a, "kernel"))
    f = int(_attr(a, "num_filter"))
    g = int(_attr(a, "num_group", 1))
    return {"weight": (data[1], f // g) + k, "bias": (f,)}


# Deconvolution has no bias unless no_bias=False (MXNet's default is True)
_add("Deconvolution", ("data", "weight", "bias"), param_shapes=_deconv_shapes,
     optional=lambda a: ("bias",) if _attr(a, "no_bias", True) else ())
_add("InstanceNorm", ("data", "gamma", "beta"),
     param_shapes=lambda a, d: {"gamma": (d[1],), "beta": (d[1],)})

# several outputs, all visible: SliceChannel / split
for _n in ("SliceChannel", "split"):
    _add(_n, ("data",), nout=lambda a: int(_attr(a, "num_outputs")),
         nvisible=lambda a: int(_attr(a, "num_outputs")))


def _seq_optional(a: dict) -> tuple[str, ...]:
    return () if _attr(a, "use_sequence_length", False) else ("sequence_length",)


for _n in ("SequenceMask", "SequenceLast", "SequenceReverse"):
    _add(_n, ("data", "sequence_length"), optional=_seq_optional)

_add("one_hot", ("indices",))
_ONE = ["LRN", "Cast", "cast", "L2Normalization", "broadcast_axis", "broadcast_to", "Pad",
        "pad", "argmax", "argmin", "SwapAxis", "swapaxes", "slice_axis",
        "repeat", "tile", "zeros_like", "ones_like", "norm", "smooth_l1", "sort", "argsort",
        "sum_axis", "max_axis", "min_axis", "nansum", "nanprod", "erf", "erfinv", "gamma",
        "gammaln", "round", "rint", "fix", "trunc", "log2", "log10", "arcsin", "arccos",
        "arctan", "sinh", "cosh", "tan", "arcsinh", "arccosh", "arctanh", "degrees",
        "radians", "logical_not", "cbrt", "rcbrt", "softmin", "hard_sigmoid", "shape_array",
        "size_array", "diag", "Crop", "argmax_channel", "flip", "reverse", "depth_to_space",
        "space_to_depth", "moments"]
for _n in _ONE:
    _add(_n, ("data",))
for _n in ("add_n", "ElementWiseSum", "UpSampling", "khatri_rao"):
    _add(_n, ("*",))
for _n, _ins in {"where": ("condition", "x", "y"), "take": ("a", "indices"),
                 "batch_dot": ("lhs", "rhs"), "broadcast_like": ("lhs", "rhs"),
                 "reshape_like": ("lhs", "rhs"), "gather_nd": ("data", "indices"),
                 "pick": ("data", "index"), "elemwise_sub": ("lhs", "rhs"),
                 "broadcast_equal": ("lhs", "rhs"), "broadcast_not_equal": ("lhs", "rhs"),
                 "broadcast_greater": ("lhs", "rhs"), "broadcast_lesser": ("lhs", "rhs"),
                 "broadcast_greater_equal": ("lhs", "rhs"),
                 "broadcast_lesser_equal": ("lhs", "rhs"),
                 "broadcast_hypot": ("lhs", "rhs")}.items():
    _add(_n, _ins)


# creation ops (mx.sym.zeros / ones): no inputs; a 0 in the shape is a dimension MXNet
# infers from the graph, which ndengine does not (mx.rnn's cells size their begin
# states from their inputs instead)
def _filled(fname: str) -> Callable[..., list]:
    def run(ins: list, a: dict) -> list:
        from ..legacy.ndarray import unwrap

        shape = _tuple(_attr(a, "shape"))
        if any(d == 0 for d in shape):
            raise ValueError(f"{fname}: shape {shape} has an unknown (0) dimension; "
                             f"ndengine does not infer it from the graph (give the full "
                             f"shape)")
        dtype = _attr(a, "dtype") or "float32"
        return [unwrap(getattr(_legacy, fname)(shape, dtype=dtype))]
    return run


_def("_zeros", (), _filled("zeros"))
_def("_ones", (), _filled("ones"))


def _rnn_optional(a: dict) -> tuple[str, ...]:
    skip = () if _attr(a, "mode", "lstm") == "lstm" else ("state_cell",)
    if not _attr(a, "use_sequence_length", False):
        skip += ("sequence_length",)
    return skip


def _rnn_outputs(a: dict) -> int:
    if not _attr(a, "state_outputs", False):
        return 1
    return 3 if _attr(a, "mode", "lstm") == "lstm" else 2


def _rnn_shapes(a: dict, data: tuple) -> dict:
    h = int(_attr(a, "state_size"))
    layers = int(_attr(a, "num_layers", 1))
    b = 2 if _attr(a, "bidirectional", False) else 1
    m = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}[_attr(a, "mode", "lstm")]
    size = (data[2] + h + 2) * h * m * b + (layers - 1) * m * h * (h + b * h + 2) * b
    state = (layers * b, data[1], h)
    return {"parameters": (size,), "state": state, "state_cell": state}


class _RNNOp(MXOp):
    """The fused RNN op: its outputs are named as MXNet names them."""

    __slots__ = ()

    def output_names(self, attrs: dict) -> list[str]:
        return ["output", "state_output", "statecell_output"][:_rnn_outputs(attrs)]


MX_OPS["RNN"] = _RNNOp("RNN", ("data", "parameters", "state", "state_cell", "sequence_length"),
                       _runner("RNN"), optional=_rnn_optional, nout=_rnn_outputs,
                       nvisible=_rnn_outputs, param_shapes=_rnn_shapes)


# the contrib ops of mx.nd.contrib that take arrays only (mx.contrib.sym, MXNet's
# _contrib_<name> nodes)
_contrib = importlib.import_module("ndengine.legacy.contrib")
for _n, _ins in {"arange_like": ("data",), "div_sqrt_dim": ("data",),
                 "index_array": ("data",), "quadratic": ("data",),
                 "boolean_mask": ("data", "index"),
                 "index_copy": ("old_tensor", "index_vector", "new_tensor")}.items():
    if hasattr(_contrib, _n):
        _def("_contrib_" + _n, _ins, _runner(_n, _contrib))
