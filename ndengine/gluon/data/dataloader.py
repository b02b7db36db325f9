"""DataLoader (``mxnet.gluon.data.DataLoader``): batches of NDArrays, loaded without
blocking.

How loading overlaps computation: every batch is produced by engine ops, never by the
Python thread waiting on values.

* ``ArrayDataset`` over arrays with the default batchify: each batch is one *gather* op
  per array (``out = src[indices]``), reading the source array's var and writing the
  batch's.  The Python thread only draws the indices.  The vision datasets (MNIST,
  CIFAR...) are gathered the same way, and ``dataset.transform_first(t)`` with a
  vision transform *t* that treats each image of a batch as one image (Resize,
  ToTensor, Normalize, Cast, the random flips and colour jitters, their Compose...)
  applies *t* to the gathered batch: a few ops per batch, where transforming each
  sample costs a few ops per sample.  The batch is the same either way (see
  ``Dataset._batch_plan``; random transforms draw per image either way, in another
  order).
* Any other dataset: samples are read in Python (``dataset[i]``); NDArray samples are
  stacked by an ``np.stack`` op, host (NumPy/scalar) samples by a pushed stacking op
  that runs on an engine worker.

The iterator also keeps ``prefetch`` batches (default 1) pushed ahead of the one it
yields, so the next batch's gather is queued before the training step of the current
one — it runs on another worker while the step computes, even when the loop waits on
each batch's loss (``l.wait_to_read()``).

``num_workers``, ``thread_pool``, ``pin_memory``, ``timeout`` are accepted for
compatibility; no worker processes or threads are started (the engine's workers do the
loading).
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable, Iterator

import numpy as _onp

from ... import npx as _npx
from ... import numpy as _np
from ...device import cpu
from ...ndarray.ndarray import NDArray, apply_op
from ...ndarray.ops import register
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_batchify_fn", "default_mp_batchify_fn"]


def _gather_infer(src: Any, indices: Any) -> tuple:
    return (len(indices),) + tuple(src.shape[1:]), src.dtype


_GATHER = register("dataloader_gather", lambda xp, src, indices: src[indices], _gather_infer,
                   kind="copy")


def _stack_infer(samples: Any) -> tuple:
    first = samples[0]
    return (len(samples),) + tuple(first.shape), first.dtype


_HOST_STACK = register("dataloader_stack", lambda xp, samples: _onp.stack(samples),
                       _stack_infer, kind="copy")


def _stack_host(data: list) -> NDArray:
    """A batch from host samples, stacked by a pushed op."""
    samples = [_onp.asarray(x) for x in data]
    if samples[0].dtype == object or any(s.shape != samples[0].shape for s in samples):
        raise ValueError(f"default_batchify_fn: samples must be arrays of one shape, got "
                         f"shapes {sorted({s.shape for s in samples})}")
    return apply_op(_HOST_STACK, (), {"samples": samples}, cpu(0))


def _collate(data: list) -> Any:
    first = data[0]
    if isinstance(first, NDArray):
        return _np.stack(data)
    if isinstance(first, tuple):
        return [_collate(list(x)) for x in zip(*data)]
    if getattr(first, "_arr", None).__class__ is NDArray:       # mx.nd samples
        return _np.stack([x._arr for x in data])
    return _stack_host(data)


def _as_mode(batch: Any) -> Any:
    """*batch* as MXNet gives it: np arrays in np mode, legacy ``mx.nd`` arrays outside."""
    if _npx.is_np_array():
        return batch
    from ...legacy.ndarray import wrap_all

    return wrap_all(batch)


def default_batchify_fn(data: list) -> Any:
    """Collate samples into a batch: arrays are stacked, tuples collated element-wise
    (a list of batches), anything else converted with NumPy (dtype kept).  The batch is
    np arrays in np mode (``npx.set_np()``), ``mx.nd`` arrays outside it, as MXNet's."""
    return _as_mode(_collate(data))


default_mp_batchify_fn = default_batchify_fn


def _fast_batches(bs: BatchSampler) -> Iterator[Any]:
    """BatchSampler's batches (same order, same last-batch rules, same use of NumPy's
    global generator) as int64 arrays."""
    sampler = bs._sampler
    if type(sampler) is RandomSampler:
        order = _onp.arange(sampler._length)
        _onp.random.shuffle(order)
    else:
        order = _onp.arange(sampler._start, sampler._start + sampler._length)
    if bs._prev:
        order = _onp.concatenate([_onp.asarray(bs._prev, dtype=order.dtype), order])
        bs._prev = []
    n, size = len(order), bs._batch_size
    full = n - n % size
    for start in range(0, full, size):
        yield order[start:start + size]
    if full < n:
        if bs._last_batch == "keep":
            yield order[full:]
        elif bs._last_batch == "rollover":
            bs._prev = order[full:].tolist()


def _gather_batch(plan: tuple, indices: Any) -> Any:
    sources, post = plan
    idx = _onp.asarray(indices, dtype=_onp.int64)
    outs = [apply_op(_GATHER, (src,), {"indices": idx}) for src in sources]
    if post is not None:
        outs = post(outs)
    return outs[0] if len(outs) == 1 else outs


class DataLoader:
    """Load a dataset in mini-batches (``mxnet.gluon.data.DataLoader``).

    *batch_size*, *shuffle* (a RandomSampler), *sampler*, *last_batch* ('keep',
    'discard', 'rollover') build the batch sampler unless *batch_sampler* is given.
    *batchify_fn* collates a list of samples (default: :func:`default_batchify_fn`).
    *prefetch*: batches pushed ahead of the one yielded (default 1)."""

    def __init__(self, dataset: Any, batch_size: int | None = None, shuffle: bool = False,
                 sampler: Any = None, last_batch: str | None = None, batch_sampler: Any = None,
                 batchify_fn: Callable | None = None, num_workers: int = 0,
                 pin_memory: bool = False, pin_device_id: int = 0, prefetch: int | None = None,
                 thread_pool: bool = False, timeout: int = 120, try_nopython: Any = None) -> None:
        self._dataset = dataset
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError("batch_size must be specified unless batch_sampler is "
                                 "specified")
            if sampler is None:
                sampler = RandomSampler(len(dataset)) if shuffle else SequentialSampler(
                    len(dataset))
            elif shuffle:
                raise ValueError("shuffle must not be specified if sampler is specified")
            batch_sampler = BatchSampler(sampler, batch_size,
                                         last_batch if last_batch else "keep")
        elif batch_size is not None or shuffle or sampler is not None or \
                last_batch is not None:
            raise ValueError("batch_size, shuffle, sampler and last_batch must not be "
                             "specified if batch_sampler is specified.")
        if num_workers < 0:
            raise ValueError(f"num_workers must be >= 0, got {num_workers}")
        self._batch_sampler = batch_sampler
        self._num_workers = num_workers
        self._prefetch = 1 if prefetch is None else max(0, int(prefetch))
        self._custom_batchify = batchify_fn is not None
        self._batchify_fn = batchify_fn or default_batchify_fn
        plan = getattr(dataset, "_batch_plan", None)
        self._plan = plan() if plan is not None and not self._custom_batchify else None

    def _make_batch(self, indices: Any) -> Any:
        if self._plan is not None:
            return _as_mode(_gather_batch(self._plan, indices))
        return self._batchify_fn([self._dataset[i] for i in indices])

    def _index_batches(self) -> Iterator[Any]:
        """The batch sampler's batches; for the built-in samplers in gather mode, as
        slices of one index array (no Python work per sample)."""
        bs = self._batch_sampler
        if self._plan is not None and type(bs) is BatchSampler and \
                type(bs._sampler) in (SequentialSampler, RandomSampler):
            return _fast_batches(bs)
        return iter(bs)

    def __iter__(self) -> Iterator[Any]:
        pending: deque = deque()
        for indices in self._index_batches():
            pending.append(self._make_batch(indices))
            if len(pending) > self._prefetch:
                yield pending.popleft()
        while pending:
            yield pending.popleft()

    def __len__(self) -> int:
        return len(self._batch_sampler)
