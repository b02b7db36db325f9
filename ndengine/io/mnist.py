"""``mx.io.MNISTIter``: batches of the MNIST idx-ubyte files (``train-images-idx3-ubyte``
and ``train-labels-idx1-ubyte``, raw or gzipped), as MXNet 1.9.1's C++ iterator gives
them: pixels as float32 ``value / 256`` in ``(batch, 1, rows, cols)`` (``flat``:
``(batch, rows * cols)``), labels float32; only full batches (the rest of the images
is dropped); ``shuffle`` (on by default) permutes the images once, with a generator
seeded by *seed*, and every epoch uses that order; ``num_parts`` / ``part_index`` read
one of equal shares of the images (the last share takes the remainder).
"""
from __future__ import annotations

import gzip
import struct
from typing import Any

import numpy as onp

from ..base import MXNetError
from .io import DataBatch, DataDesc, _HeldBatchIter

__all__ = ["MNISTIter"]


class MNISTFormatError(MXNetError, ValueError):
    """A file that is not an MNIST idx file, or parameters it cannot serve."""


class MNISTFileNotFoundError(MXNetError, FileNotFoundError):
    """An MNIST path names no file."""


def _read_idx(path: str, magic: int, ndim: int) -> onp.ndarray:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise MNISTFileNotFoundError(f"MNISTIter: {path!r}: No such file or directory") \
            from None
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    head = 4 * (1 + ndim)
    if len(raw) < head or struct.unpack(">I", raw[:4])[0] != magic:
        raise MNISTFormatError(f"MNISTIter: {path!r} is not an MNIST idx file with magic "
                               f"number {magic}")
    dims = struct.unpack(">" + "I" * ndim, raw[4:head])
    size = int(onp.prod(dims))
    if len(raw) - head < size:
        raise MNISTFormatError(f"MNISTIter: {path!r} is truncated ({len(raw) - head} bytes "
                               f"of data, {size} expected for shape {dims})")
    return onp.frombuffer(raw, onp.uint8, size, head).reshape(dims)


class MNISTIter(_HeldBatchIter):
    """MNIST batches (see the module's doc); parameters are MXNet's (keywords only).
    ``silent``, ``prefetch_buffer`` and ``ctx`` are accepted (nothing to print or
    prefetch: the files are read when the iterator is made)."""

    def __init__(self, *, image: str = "./train-images-idx3-ubyte",
                 label: str = "./train-labels-idx1-ubyte", batch_size: int = 128,
                 shuffle: bool = True, flat: bool = False, seed: int = 0,
                 silent: bool = False, num_parts: int = 1, part_index: int = 0,
                 prefetch_buffer: int = 4, ctx: str = "gpu", dtype: Any = None,
                 data_name: str = "data", label_name: str = "softmax_label", **unknown: Any):
        super().__init__(int(batch_size))
        if unknown:
            raise TypeError(f"MNISTIter: unknown parameters {sorted(unknown)}")
        if dtype not in (None, "float32", onp.float32):
            raise TypeError(f"MNISTIter: gives float32 images only, got dtype={dtype!r}")
        if self.batch_size <= 0:
            raise ValueError(f"MNISTIter: batch_size must be positive, got {batch_size}")
        if not 0 <= int(part_index) < int(num_parts):
            raise ValueError(f"MNISTIter: part_index {part_index} is not in [0, {num_parts})")
        images = _read_idx(image, 2051, 3)
        labels = _read_idx(label, 2049, 1)
        if len(images) != len(labels):
            raise MNISTFormatError(f"MNISTIter: {image!r} has {len(images)} images but "
                                   f"{label!r} has {len(labels)} labels")
        n, parts, k = len(images), int(num_parts), int(part_index)
        step = n // parts
        lo, hi = k * step, (n if k == parts - 1 else (k + 1) * step)
        order = onp.arange(lo, hi)
        if shuffle:
            onp.random.RandomState(int(seed)).shuffle(order)
        if len(order) < self.batch_size:
            raise MNISTFormatError(f"MNISTIter: batch_size {self.batch_size} is larger than "
                                   f"the {len(order)} images to read")
        self._order = order
        self._images = images
        self._labels = labels.astype(onp.float32)
        rows, cols = images.shape[1:]
        self._item_shape = (rows * cols,) if flat else (1, rows, cols)
        self._cursor = 0
        self._batch: DataBatch | None = None
        bs = self.batch_size
        self.provide_data = [DataDesc(data_name, (bs,) + self._item_shape, onp.float32)]
        self.provide_label = [DataDesc(label_name, (bs,), onp.float32)]

    def reset(self) -> None:
        self._cursor = 0

    def iter_next(self) -> bool:
        from .. import numpy as np
        from ..legacy import ndarray as lnd
        from ..legacy.creation import array

        self._batch = None
        bs = self.batch_size
        if self._cursor + bs > len(self._order):
            return False
        rows = self._order[self._cursor:self._cursor + bs]
        self._cursor += bs
        pixels = np.array(self._images[rows].reshape((bs,) + self._item_shape))
        data = pixels.astype("float32") * (1.0 / 256)
        self._batch = DataBatch(data=[lnd.wrap(data)],
                                label=[array(self._labels[rows], dtype="float32")], pad=0,
                                index=rows.astype(onp.uint64))
        return True

    def getpad(self) -> int:
        return 0          # MNISTIter reports no padding, as MXNet's
