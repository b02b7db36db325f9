"""``mx.contrib``: MXNet 1.x's contrib namespaces, as far as ndengine has their ops —
``mx.contrib.nd`` / ``mx.contrib.ndarray`` (the ops of ``mx.nd.contrib``),
``mx.contrib.sym`` / ``mx.contrib.symbol`` (those of them a graph can hold) and
``mx.contrib.autograd`` (MXNet's first, experimental autograd API)."""
from __future__ import annotations

from . import autograd, ndarray, symbol
from . import ndarray as nd
from . import symbol as sym

__all__ = ["autograd", "ndarray", "nd", "symbol", "sym"]
