"""``set_printoptions`` (MXNet 1.9.1's ``mxnet.numpy.arrayprint``): arrays print through
NumPy's formatting, so NumPy's options apply."""
from __future__ import annotations

from typing import Any

import numpy as _onp

__all__ = ["set_printoptions"]


def set_printoptions(precision: Any = None, threshold: Any = None, **kwarg: Any) -> None:
    """See numpy.set_printoptions (MXNet passes the same options on to NumPy)."""
    _onp.set_printoptions(precision=precision, threshold=threshold, **kwarg)
