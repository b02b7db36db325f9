"""MXNet 1.9.1's ``mxnet.numpy.multiarray`` (where its ndarray class and most np
functions live): here, the ndengine.numpy namespace under that name."""
from __future__ import annotations

from .. import numpy as _np

ndarray = _np.ndarray
__all__ = [n for n in _np.__all__ if n != "multiarray"]
globals().update({n: getattr(_np, n) for n in __all__})
