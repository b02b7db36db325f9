"""Datasets (``mxnet.gluon.data.Dataset``, SimpleDataset, ArrayDataset)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as _onp

from ...ndarray.ndarray import NDArray, from_buffer

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "RecordFileDataset"]


class Dataset:
    """Abstract dataset: ``__getitem__(idx)`` and ``__len__``."""

    def __getitem__(self, idx: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def filter(self, fn: Callable[[Any], bool]) -> "Dataset":
        """The samples for which ``fn(sample)`` is true."""
        from .sampler import FilterSampler

        return _SampledDataset(self, FilterSampler(fn, self))

    def shard(self, num_shards: int, index: int) -> "Dataset":
        """Shard *index* of *num_shards* contiguous parts (the first ones one longer)."""
        if not 0 <= index < num_shards:
            raise ValueError(f"shard: index {index} out of range for {num_shards} shards")
        length = len(self)
        shard_len = length // num_shards
        rest = length % num_shards
        start = shard_len * index + min(index, rest)
        end = start + shard_len + (index < rest)
        return _SampledDataset(self, range(start, end))

    def take(self, count: int | None) -> "Dataset":
        """The first *count* samples (all if None)."""
        if count is None or count >= len(self):
            return self
        return _SampledDataset(self, range(count))

    def sample(self, sampler: Any) -> "Dataset":
        """The samples at the indices *sampler* yields."""
        return _SampledDataset(self, sampler)

    def transform(self, fn: Callable[..., Any], lazy: bool = True) -> "Dataset":
        """Apply ``fn(*sample)`` to each sample (lazily, when it is read)."""
        trans = _LazyTransformDataset(self, fn)
        return trans if lazy else SimpleDataset([trans[i] for i in range(len(trans))])

    def transform_first(self, fn: Callable[[Any], Any], lazy: bool = True) -> "Dataset":
        """Apply *fn* to the first element of each sample (e.g. the image, not the label)."""
        trans = _TransformFirstDataset(self, fn)
        return trans if lazy else SimpleDataset([trans[i] for i in range(len(trans))])

    def _batch_plan(self) -> Any:
        """How a DataLoader may make a whole batch at once: ``(sources, post)``, the
        arrays to gather the batch's rows from and a function of the gathered list
        (or None), when the result is the default batchify of the samples; None
        otherwise."""
        return None


class SimpleDataset(Dataset):
    """A dataset over any indexable *data* (list, array...)."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        return self._data[idx]


class _SampledDataset(Dataset):
    def __init__(self, dataset: Dataset, sampler: Any) -> None:
        self._dataset = dataset
        self._indices = list(sampler)

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, idx: int) -> Any:
        return self._dataset[self._indices[idx]]


class _LazyTransformDataset(Dataset):
    def __init__(self, data: Dataset, fn: Callable[..., Any]) -> None:
        self._data = data
        self._fn = fn

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)


class _TransformFirstDataset(_LazyTransformDataset):
    """``dataset.transform_first(fn)``: *fn* applied to the first element of each
    sample.  When *fn* maps a stacked batch to the stack of its results (the
    deterministic vision transforms), a DataLoader applies it to whole batches."""

    def __init__(self, data: Dataset, fn: Callable[[Any], Any]) -> None:
        def first(x: Any, *args: Any) -> Any:
            return (fn(x),) + args if args else fn(x)
        super().__init__(data, first)
        self._first_fn = fn

    def _batch_plan(self) -> Any:
        plan = self._data._batch_plan()
        if plan is None or not _batchable(self._first_fn):
            return None
        sources, post = plan
        fn = self._first_fn

        def first_of_batch(outs: list) -> list:
            if post is not None:
                outs = post(outs)
            return [fn(outs[0])] + list(outs[1:])
        return sources, first_of_batch


def _batchable(fn: Any) -> bool:
    if not getattr(type(fn), "_batchable", False) and not hasattr(fn, "_children"):
        return False
    from .vision.transforms import batchable

    return batchable(fn)


def _as_array(x: Any) -> Any:
    """NDArrays stay; NumPy arrays are wrapped without a copy; lists of numbers become
    NumPy; a ragged list (word2vec's contexts, one list per center word) stays a list,
    its items handed out as they are, as MXNet does with every list."""
    if isinstance(x, NDArray):
        return x
    if isinstance(x, _onp.ndarray):
        return from_buffer(x)
    if isinstance(x, (list, tuple)):
        try:
            arr = _onp.asarray(x)
        except ValueError:          # ragged: NumPy 2 refuses to make an object array
            return x
        if arr.dtype != object:
            if arr.dtype == _onp.float64:
                arr = arr.astype(_onp.float32)
            return from_buffer(arr)
    return x


class ArrayDataset(Dataset):
    """A dataset zipping arrays of equal length: sample i is ``(a[i], b[i], ...)`` (or
    ``a[i]`` for one array).  NDArrays and NumPy arrays are gathered a whole batch at a
    time by one engine op in the DataLoader (see :mod:`.dataloader`)."""

    def __init__(self, *args: Any) -> None:
        if not args:
            raise ValueError("ArrayDataset needs at least 1 array")
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise ValueError(f"ArrayDataset: all arrays must have the same length; array "
                                 f"[0] has length {self._length} while array [{i}] has "
                                 f"{len(data)}.")
            self._data.append(_as_array(data))

    def __getitem__(self, idx: int) -> Any:
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)

    def __len__(self) -> int:
        return self._length

    def _gatherable(self) -> bool:
        return all(isinstance(d, NDArray) for d in self._data)

    def _batch_plan(self) -> Any:
        return (list(self._data), None) if self._gatherable() else None


class RecordFileDataset(Dataset):
    """The records of a RecordIO file (``.rec``, indexed by the ``.idx`` file beside
    it): sample i is the raw bytes of the i-th record of the index."""

    def __init__(self, filename: str) -> None:
        import os

        from ... import recordio

        self.idx_file = os.path.splitext(filename)[0] + ".idx"
        self.filename = filename
        self._record = recordio.MXIndexedRecordIO(self.idx_file, self.filename, "r")

    def __getitem__(self, idx: int) -> Any:
        return self._record.read_idx(self._record.keys[idx])

    def __len__(self) -> int:
        return len(self._record.keys)
