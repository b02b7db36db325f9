"""``meshgrid`` and ``broadcast_arrays`` (MXNet 1.9.1's ``mxnet.numpy.function_base``)."""
from __future__ import annotations

from typing import Any

from ..ndarray.ndarray import NDArray
from .manipulation import broadcast_arrays, broadcast_to

__all__ = ["meshgrid", "broadcast_arrays"]


def meshgrid(*xi: Any, indexing: str = "xy", sparse: bool = False, copy: bool = True) -> list:
    """See numpy.meshgrid (a list of arrays, as MXNet returns; ``sparse=True`` gives the
    open grids).  Composite of reshape and broadcast_to: differentiable."""
    from ._util import as_nd

    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: valid values for `indexing` are 'xy' and 'ij', got "
                         f"{indexing!r}")
    dev = next((x.device for x in xi if isinstance(x, NDArray)), None)
    arrs = [as_nd(x, dev).reshape((-1,)) for x in xi]
    n = len(arrs)
    if n == 0:
        return []
    outs = []
    for i, a in enumerate(arrs):
        shape = [1] * n
        shape[i] = a.shape[0]
        outs.append(a.reshape(tuple(shape)))
    if indexing == "xy" and n > 1:
        for i in range(n):
            s = list(outs[i].shape)
            s[0], s[1] = s[1], s[0]
            outs[i] = outs[i].reshape(tuple(s))
    if sparse:
        return [o.copy() if copy else o for o in outs]
    full = [a.shape[0] for a in arrs]
    if indexing == "xy" and n > 1:
        full[0], full[1] = full[1], full[0]
    return [broadcast_to(o, tuple(full)) for o in outs]
