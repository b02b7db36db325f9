"""The array core (``ndarray.py``: the np-mode NDArray; ``ops.py``: the op table) and,
as in MXNet's ``mxnet/ndarray`` package, the legacy ``mx.nd`` API.

``mx.nd`` / ``mx.ndarray`` resolve to this package.  Its legacy names (``NDArray`` —
the legacy class —, ``array``, ``zeros``, ``dot``, ``random``...) come from
:mod:`ndengine.legacy`, imported on first use by the module ``__getattr__`` below, so
``import ndengine`` and np-mode code never load it.  The core's own names are imported
from their submodules (``from ndengine.ndarray.ndarray import NDArray`` for the np
class, ``from ndengine.ndarray.ops import OPS``); ``apply_op``, ``from_buffer``,
``invoke``, ``OPS``, ``OpDef`` and ``ShapeError`` stay here too.
"""
from __future__ import annotations

import importlib as _importlib
import importlib.util as _util
from typing import Any

from .ndarray import NDArray as _NPArray
from .ndarray import apply_op, from_buffer, invoke
from .ops import OPS, OpDef, ShapeError

# every op module of this layer, so that its table (OPS) is complete once the layer is
# imported, whatever the layers above import (the image, record-iterator and data-loader
# ops join it when their modules are imported: they are defined next to their functions)
from . import ops_conv, ops_detect, ops_legacy, ops_loss, ops_nn, ops_np, ops_seq, ops_sort  # noqa: E402,F401

# the legacy NDArray class once ndengine.legacy is imported (None before): gluon's
# Block.__call__ tests its first argument against it to run a block on legacy arrays
_legacy_class: Any = None

_CORE = ["apply_op", "from_buffer", "invoke", "OPS", "OpDef", "ShapeError"]


def _legacy() -> Any:
    """The legacy namespace, ndengine.legacy (a layer above this one: imported lazily)."""
    return _importlib.import_module("ndengine.legacy")


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    # a submodule of this package (ops, tape, serialization...) is never a legacy name
    if not name.startswith("_") and _util.find_spec(f"{__name__}.{name}") is not None:
        return _importlib.import_module(f"{__name__}.{name}")
    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    legacy = _legacy()
    try:
        value = getattr(legacy, name)
    except AttributeError:
        raise AttributeError(f"module 'mxnet.ndarray' (ndengine.ndarray) has no attribute "
                             f"{name!r}") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_legacy().__all__))


def _as_nd_ndarray(self: _NPArray) -> Any:
    """The legacy ``mx.nd.NDArray`` handle of this array (no copy: they share the buffer
    and engine var)."""
    return _legacy().ndarray.wrap(self)


def _as_np_ndarray(self: _NPArray) -> _NPArray:
    return self


if not hasattr(_NPArray, "as_nd_ndarray"):
    _NPArray.as_nd_ndarray = _as_nd_ndarray
if not hasattr(_NPArray, "as_np_ndarray"):
    _NPArray.as_np_ndarray = _as_np_ndarray

__all__ = list(_CORE)


from ..base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals(), hide=('ops', 'ops_conv', 'ops_detect', 'ops_legacy', 'ops_loss', 'ops_nn', 'ops_np', 'ops_seq', 'ops_sort', 'optim_ops', 'tape'))
