"""``mx.contrib.nd`` / ``mx.contrib.ndarray``: MXNet's compiled contrib ops — the
functions of ``mx.nd.contrib`` other than the ones MXNet writes in Python there
(``foreach``, ``while_loop``, ``cond``, ``isinf``, ``isnan``, ``isfinite``, which
``mx.contrib.nd`` does not have in MXNet 1.9.1 either)."""
from __future__ import annotations

from typing import Any

from ..legacy import contrib as _contrib

_PYTHON_ONLY = {"foreach", "while_loop", "cond", "isinf", "isnan", "isfinite"}

__all__ = [n for n in _contrib.__all__ if n not in _PYTHON_ONLY]

for _n in __all__:
    globals()[_n] = getattr(_contrib, _n)
del _n


def __getattr__(name: str) -> Any:
    # compiled-op names added to mx.nd.contrib later are here too
    if not name.startswith("_") and name not in _PYTHON_ONLY and hasattr(_contrib, name):
        return getattr(_contrib, name)
    raise AttributeError(f"module 'mxnet.contrib.ndarray' has no attribute {name!r}")
