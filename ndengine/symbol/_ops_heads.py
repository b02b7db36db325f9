"""The loss heads of MXNet 1.x symbols: ``SoftmaxOutput``, the ``*RegressionOutput``s,
``MakeLoss``, ``SVMOutput``.

Each runs the legacy op of the same name (``ndengine/ndarray/ops_legacy.py``, where its
kernel, shape rule and gradient are defined once), so a graph trained through an
``Executor`` or ``mx.mod.Module`` gets MXNet's backward: the head gradient is ignored
and the op gives the loss's own gradient (``softmax - one_hot(label)``, ``out -
label``...) times ``grad_scale``, with SoftmaxOutput's ``ignore_label``,
``normalization`` and ``multi_output``.  Their labels are made as variables
``<name>_label`` whose shapes follow MXNet's inference rule (SoftmaxOutput: the data's
shape without its last axis, or without the class axis 1 with ``multi_output``; the
regression heads: the data's shape).

:data:`LOSS_HEADS` names them, with ``BlockGrad`` / ``stop_gradient``: an executor's
``backward()`` needs no head gradient for these outputs (MXNet requires one for any
other).
"""
from __future__ import annotations

from typing import Any

from ._ops import _attr, _def

__all__ = ["LOSS_HEADS"]

LOSS_HEADS = frozenset({"SoftmaxOutput", "Softmax", "LinearRegressionOutput",
                        "LogisticRegressionOutput", "MAERegressionOutput", "MakeLoss",
                        "make_loss", "SVMOutput",
                        # no gradient goes through these: a head gradient changes nothing
                        "BlockGrad", "stop_gradient"})


def _legacy(name: str) -> Any:
    from ..ndarray.ops_legacy import LEGACY_OPS

    return LEGACY_OPS[name]


def _apply(name: str, ins: list, params: dict) -> list:
    from ..ndarray.ndarray import apply_op

    return [apply_op(_legacy(name), tuple(ins), params)]


def _softmax_output(ins: list, a: dict) -> list:
    data, label = ins
    preserve = bool(_attr(a, "preserve_shape", False))
    norm = _attr(a, "normalization", "null")
    if norm not in ("null", "batch", "valid"):
        raise ValueError(f"SoftmaxOutput: normalization must be 'null', 'batch' or 'valid', "
                         f"got {norm!r}")
    return _apply("SoftmaxOutput", [data, label], {
        "axis": data.ndim - 1 if preserve or data.ndim <= 1 else 1,
        "grad_scale": float(_attr(a, "grad_scale", 1.0)),
        "ignore_label": float(_attr(a, "ignore_label", -1.0)),
        "use_ignore": bool(_attr(a, "use_ignore", False)),
        "normalization": norm,
        "multi_output": bool(_attr(a, "multi_output", False)),
        "preserve_shape": preserve,
        "smooth_alpha": float(_attr(a, "smooth_alpha", 0.0))})


def _softmax_label_shape(a: dict, data: tuple) -> dict:
    if _attr(a, "multi_output", False) and len(data) > 1:
        return {"label": (data[0],) + tuple(data[2:])}
    return {"label": tuple(data[:-1])}


for _name in ("SoftmaxOutput", "Softmax"):
    _def(_name, ("data", "label"), _softmax_output, param_shapes=_softmax_label_shape)


def _regression(name: str) -> Any:
    def run(ins: list, a: dict) -> list:
        return _apply(name, ins, {"grad_scale": float(_attr(a, "grad_scale", 1.0))})
    return run


for _name in ("LinearRegressionOutput", "LogisticRegressionOutput", "MAERegressionOutput"):
    _def(_name, ("data", "label"), _regression(_name),
         param_shapes=lambda a, data: {"label": tuple(data)})


def _make_loss(ins: list, a: dict) -> list:
    norm = _attr(a, "normalization", "null")
    if norm not in ("null", "batch", "valid"):
        raise ValueError(f"MakeLoss: normalization must be 'null', 'batch' or 'valid', got "
                         f"{norm!r}")
    return _apply("MakeLoss", ins, {"grad_scale": float(_attr(a, "grad_scale", 1.0)),
                                    "valid_thresh": float(_attr(a, "valid_thresh", 0.0)),
                                    "normalization": norm})


for _name in ("MakeLoss", "make_loss"):
    _def(_name, ("data",), _make_loss)


def _svm(ins: list, a: dict) -> list:
    return _apply("SVMOutput", ins, {
        "margin": float(_attr(a, "margin", 1.0)),
        "regularization_coefficient": float(_attr(a, "regularization_coefficient", 1.0)),
        "use_linear": bool(_attr(a, "use_linear", False))})


_def("SVMOutput", ("data", "label"), _svm,
     param_shapes=lambda a, data: {"label": (data[0],)})
