"""``mx.sym`` / ``mx.symbol``: symbolic graphs in MXNet 1.9.1's JSON format.

``var``/``Variable``, ``Group``, ``load``/``load_json``, :class:`Symbol` (``tojson``,
``save``, ``list_arguments``, ``list_outputs``, ``list_auxiliary_states``,
``infer_shape``, ``infer_type``, ``get_internals``, composition by calling), and one
function per MXNet op of :mod:`._ops` under MXNet's name (``mx.sym.FullyConnected``,
``mx.sym.Activation``, ``mx.sym._npi_add``...).  Graphs are run through
``gluon.SymbolBlock``, :meth:`Symbol.eval` or an executor (``Symbol.bind`` /
``simple_bind``, :mod:`.executor`).
"""
from __future__ import annotations

from ._ops import MX_OPS, UnsupportedOpError
from .executor import Executor
from .symbol import (MXNET_VERSION, Group, Symbol, SymbolFileError, Variable, _make_creator,
                     load, load_json, var)

__all__ = ["Symbol", "var", "Variable", "Group", "load", "load_json", "SymbolFileError",
           "UnsupportedOpError", "MXNET_VERSION", "Executor"] + sorted(MX_OPS)

for _op in MX_OPS:
    globals()[_op] = _make_creator(_op)
del _op


def zeros(shape, dtype=None, **kwargs):  # noqa: ANN001,ANN201
    """A node of zeros of *shape* (``mx.sym.zeros``: MXNet's ``_zeros``)."""
    return _make_creator("_zeros")(shape=tuple(shape), dtype=dtype or "float32", **kwargs)


def ones(shape, dtype=None, **kwargs):  # noqa: ANN001,ANN201
    """A node of ones of *shape* (``mx.sym.ones``: MXNet's ``_ones``)."""
    return _make_creator("_ones")(shape=tuple(shape), dtype=dtype or "float32", **kwargs)


__all__ += ["zeros", "ones"]
