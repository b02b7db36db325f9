"""``mxnet.gluon.contrib.nn``: ``Concurrent`` / ``HybridConcurrent`` (apply every child
to the same input, concatenate the results), ``Identity`` and the pixel-shuffle
upsampling layers, ``SparseEmbedding`` (``nn.Embedding(sparse_grad=True)``'s lookup and
row-sparse weight gradient, as a plain Block) and ``SyncBatchNorm`` (``nn.BatchNorm`` on
axis 1; its statistics are those of each device's batch: see docs/mxnet-differences.md).
"""
from __future__ import annotations

from typing import Any

import warnings

from .... import npx as _npx
from ...nn.basic_layers import BatchNorm, Concatenate, HybridConcatenate, Identity
from ...block import Block, HybridBlock

__all__ = ["Concurrent", "HybridConcurrent", "Identity", "SparseEmbedding", "SyncBatchNorm",
           "PixelShuffle1D", "PixelShuffle2D", "PixelShuffle3D"]


class Concurrent(Concatenate):
    """Every child applied to the same input, outputs concatenated along *axis*
    (MXNet 1.9.1's name for ``nn.Concatenate``; the block prefix is ``concurrent<n>_``)."""


class HybridConcurrent(HybridConcatenate):
    """:class:`Concurrent` of hybrid blocks (prefix ``hybridconcurrent<n>_``)."""


class SparseEmbedding(Block):
    """Integer indices (N-1 axes) to rows of a (input_dim, output_dim) weight, the
    gradient with respect to the weight row-sparse (the rows looked up): the lookup of
    ``nn.Embedding(..., sparse_grad=True)`` in a plain Block, as MXNet 1.9.1's
    ``contrib.nn.SparseEmbedding``.  Sparse gradients are a legacy (``mx.nd``) feature:
    in np mode ``initialize`` refuses them, as MXNet.  The weight itself is stored dense
    (MXNet keeps it row-sparse and needs a Trainer before the first forward)."""

    def __init__(self, input_dim: int, output_dim: int, dtype: Any = "float32",
                 weight_initializer: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"input_dim": input_dim, "output_dim": output_dim, "dtype": dtype,
                        "sparse_grad": True}
        self.weight = self.params.get("weight", shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      grad_stype="row_sparse")

    def forward(self, x: Any) -> Any:
        device = getattr(x, "device", None) or getattr(x, "context", None)
        return _npx.embedding(x, self.weight.data(device), **self._kwargs)

    def __repr__(self) -> str:
        return "{name}({input_dim} -> {output_dim}, {dtype})".format(
            name=type(self).__name__, **self._kwargs)


class SyncBatchNorm(BatchNorm):
    """Batch normalization over axis 1 named as MXNet 1.9.1's cross-GPU synchronized
    one (``num_devices`` devices share their batch statistics).  ndengine computes
    ``nn.BatchNorm``: the statistics of the batch each device is given, which is the same
    as MXNet for one device (``num_devices=1``, all the batch on one device); with the
    batch split over several devices each normalizes by its own part
    (docs/mxnet-differences.md).  As MXNet, leaving *num_devices* unset warns and counts
    the GPUs (none here: 1)."""

    def __init__(self, in_channels: int = 0, num_devices: int | None = None,
                 momentum: float = 0.9, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, use_global_stats: bool = False,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 running_mean_initializer: Any = "zeros",
                 running_variance_initializer: Any = "ones", **kwargs: Any) -> None:
        super().__init__(axis=1, momentum=momentum, epsilon=epsilon, center=center,
                         scale=scale, use_global_stats=use_global_stats,
                         beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer,
                         running_mean_initializer=running_mean_initializer,
                         running_variance_initializer=running_variance_initializer,
                         in_channels=in_channels, **kwargs)
        if num_devices is None:
            warnings.warn("Caution using SyncBatchNorm: if not using all the GPUs, please "
                          "mannually set num_devices", UserWarning, stacklevel=2)
            from .... import context as _context

            num_devices = max(_context.num_gpus(), 1)
        if not isinstance(num_devices, int) or isinstance(num_devices, bool) \
                or num_devices < 1:
            raise ValueError(f"SyncBatchNorm: num_devices must be a positive int, got "
                             f"{num_devices!r}")
        self._num_devices = num_devices

    def __repr__(self) -> str:
        c = self.gamma.shape[0]
        k = self._kwargs
        return (f"{type(self).__name__}(eps={k['eps']}, momentum={k['momentum']}, "
                f"fix_gamma={k['fix_gamma']}, use_global_stats={k['use_global_stats']}, "
                f"ndev={self._num_devices}, key={self.prefix!r}, "
                f"in_channels={c if c else None})")


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

__dir__ = _module_dir(globals(), ("Block", "HybridBlock", "BatchNorm", "Concatenate",
                                  "HybridConcatenate", "warnings"))
