"""``mxnet.gluon.contrib.nn``: ``Concurrent`` / ``HybridConcurrent`` (apply every child
to the same input, concatenate the results), ``Identity`` and the pixel-shuffle
upsampling layers.

MXNet 1.9.1 also has ``SparseEmbedding`` (row-sparse gradients) and ``SyncBatchNorm``
(statistics shared across GPUs); ndengine has neither here: ``nn.Embedding`` and
``nn.BatchNorm`` do the same computation on one device.
"""
from __future__ import annotations

from typing import Any

from ...nn.basic_layers import Concatenate, HybridConcatenate, Identity
from ...block import HybridBlock

__all__ = ["Concurrent", "HybridConcurrent", "Identity", "PixelShuffle1D", "PixelShuffle2D",
           "PixelShuffle3D"]


class Concurrent(Concatenate):
    """Every child applied to the same input, outputs concatenated along *axis*
    (MXNet 1.9.1's name for ``nn.Concatenate``; the block prefix is ``concurrent<n>_``)."""


class HybridConcurrent(HybridConcatenate):
    """:class:`Concurrent` of hybrid blocks (prefix ``hybridconcurrent<n>_``)."""


def _factors(factor: Any, n: int, who: str) -> tuple[int, ...]:
    f = (factor,) * n if isinstance(factor, int) else tuple(factor)
    if len(f) != n or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                              for v in f):
        raise ValueError(f"{who}: factor must be a positive int or {n} positive ints, "
                         f"got {factor!r}")
    return f


class _PixelShuffle(HybridBlock):
    """Move groups of channels into blocks of pixels: (N, C*f1*...*fk, D1, ..., Dk) ->
    (N, C, D1*f1, ..., Dk*fk); channel ``c*F + i1*(f2*...*fk) + ... + ik`` lands at
    ``[c, d1*f1 + i1, ..., dk*fk + ik]`` (MXNet's order)."""

    _ndim = 0

    def __init__(self, factor: Any) -> None:
        super().__init__()
        self._factors = _factors(factor, self._ndim, type(self).__name__)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        k, f = self._ndim, self._factors
        if x.ndim != k + 2:
            raise ValueError(f"{type(self).__name__}: input must be {k + 2}-D (N, C, "
                             f"{', '.join('D%d' % (i + 1) for i in range(k))}), got shape "
                             f"{tuple(x.shape)}")
        n, c, *sp = x.shape
        total = 1
        for v in f:
            total *= v
        if c % total:
            raise ValueError(f"{type(self).__name__}: {c} channels are not a multiple of "
                             f"the factors' product {total} (factors {f}, input shape "
                             f"{tuple(x.shape)})")
        # (N, C, f1..fk, D1..Dk) -> (N, C, D1, f1, ..., Dk, fk) -> (N, C, D1*f1, ...)
        x = x.reshape((n, c // total) + f + tuple(sp))
        order = [0, 1]
        for i in range(k):
            order += [2 + k + i, 2 + i]
        x = x.transpose(tuple(order))
        return x.reshape((n, c // total) + tuple(d * v for d, v in zip(sp, f)))

    def __repr__(self) -> str:
        f = self._factors[0] if len(self._factors) == 1 else self._factors
        return f"{type(self).__name__}({f})"


class PixelShuffle1D(_PixelShuffle):
    """(N, f*C, W) -> (N, C, W*f)."""
    _ndim = 1


class PixelShuffle2D(_PixelShuffle):
    """(N, f1*f2*C, H, W) -> (N, C, H*f1, W*f2)."""
    _ndim = 2


class PixelShuffle3D(_PixelShuffle):
    """(N, f1*f2*f3*C, D, H, W) -> (N, C, D*f1, H*f2, W*f3)."""
    _ndim = 3


from ....base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals(), ("HybridBlock", "Concatenate", "HybridConcatenate"))
