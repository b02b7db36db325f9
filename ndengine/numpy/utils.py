"""Constants and dtype names (MXNet 1.9.1's ``mxnet.numpy.utils``)."""
from __future__ import annotations

import numpy as _onp

__all__ = ["NAN", "NINF", "NZERO", "NaN", "PINF", "PZERO", "e", "pi", "inf", "nan", "newaxis",
           "bool", "bool_", "float16", "float32", "float64", "int8", "int32", "int64", "uint8",
           "finfo"]

NAN = NaN = nan = float("nan")
NINF = float("-inf")
PINF = inf = float("inf")
NZERO = -0.0
PZERO = 0.0
e = float(_onp.e)
pi = float(_onp.pi)
newaxis = None
bool = _onp.bool_     # noqa: A001  (MXNet's np.bool is NumPy's bool_)
bool_ = _onp.bool_
float16 = _onp.float16
float32 = _onp.float32
float64 = _onp.float64
int8 = _onp.int8
int32 = _onp.int32
int64 = _onp.int64
uint8 = _onp.uint8
finfo = _onp.finfo
