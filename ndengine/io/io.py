"""MXNet 1.9.1's data iterators over in-memory arrays: DataDesc, DataBatch, DataIter,
NDArrayIter, ResizeIter, PrefetchingIter.

The batches hold legacy ``mx.nd`` arrays, as MXNet's do (``batch.data[0].as_np_ndarray()``
gives the np-mode array, sharing the buffer).  Cutting batches, padding and shuffling
are array ops: they are pushed to the engine and run asynchronously, so the iterator
does not wait for the values it hands out.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict, namedtuple
from typing import Any

import numpy as onp

from ..base import MXNetError
from ..legacy import ndarray as _lnd
from ..legacy.ndarray import NDArray

__all__ = ["DataDesc", "DataBatch", "DataIter", "NDArrayIter", "ResizeIter",
           "PrefetchingIter"]

_LAST_BATCH = ("pad", "discard", "roll_over")


class IterMismatchError(MXNetError, AssertionError):
    """The iterators a PrefetchingIter joins disagree (MXNet asserts there)."""


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """Name, shape, dtype and layout of one data or label input.  It is the tuple
    ``(name, shape)`` (compares and unpacks as one); ``dtype`` (default ``numpy.float32``)
    and ``layout`` (default ``'NCHW'``: N is the batch axis) are attributes."""

    def __new__(cls, name: str, shape: Any, dtype: Any = onp.float32,
                layout: str = "NCHW") -> "DataDesc":
        desc = super().__new__(cls, name, shape)
        desc.dtype = dtype
        desc.layout = layout
        return desc

    def __repr__(self) -> str:
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    @staticmethod
    def get_batch_axis(layout: str | None) -> int:
        """The batch axis of *layout* (the position of 'N'; 0 for None, -1 if none)."""
        return 0 if layout is None else layout.find("N")

    @staticmethod
    def get_list(shapes: Any, types: Any) -> list:
        """DataDescs from ``[(name, shape)]`` and ``[(name, dtype)]`` (or None)."""
        if types is None:
            return [DataDesc(name, shape) for name, shape in shapes]
        dtypes = dict(types)
        return [DataDesc(name, shape, dtypes[name]) for name, shape in shapes]


class DataBatch:
    """One batch: lists of arrays ``data`` and ``label``, the number ``pad`` of examples
    added at the end to fill it, the examples' ``index``, ``bucket_key`` and the
    ``provide_data`` / ``provide_label`` descriptions."""

    def __init__(self, data: Any, label: Any = None, pad: Any = None, index: Any = None,
                 bucket_key: Any = None, provide_data: Any = None,
                 provide_label: Any = None):
        if data is not None and not isinstance(data, (list, tuple)):
            raise TypeError(f"DataBatch: data must be a list of NDArrays, got "
                            f"{type(data).__name__}")
        if label is not None and not isinstance(label, (list, tuple)):
            raise TypeError(f"DataBatch: label must be a list of NDArrays, got "
                            f"{type(label).__name__}")
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self) -> str:
        data_shapes = [d.shape for d in self.data]
        label_shapes = [lab.shape for lab in self.label] if self.label else None
        return f"{type(self).__name__}: data shapes: {data_shapes} label shapes: {label_shapes}"


class DataIter:
    """Base class of the data iterators: ``for batch in it`` / ``it.next()`` give
    :class:`DataBatch` es until ``StopIteration``; ``reset()`` starts over.  A subclass
    implements ``iter_next``, ``getdata``, ``getlabel``, ``getpad`` (and ``getindex``),
    or overrides ``next``."""

    def __init__(self, batch_size: int = 0):
        self.batch_size = batch_size

    def __iter__(self) -> "DataIter":
        return self

    def reset(self) -> None:
        """Go back to the beginning of the data."""

    def next(self) -> DataBatch:
        """The next batch (StopIteration at the end of the data)."""
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                             index=self.getindex())
        raise StopIteration

    def __next__(self) -> DataBatch:
        return self.next()

    def iter_next(self) -> Any:
        """Move to the next batch; whether there is one."""
        return None

    def getdata(self) -> Any:
        """The data of the current batch."""
        return None

    def getlabel(self) -> Any:
        """The label of the current batch."""
        return None

    def getindex(self) -> Any:
        """The indices of the current batch's examples (None if unknown)."""
        return None

    def getpad(self) -> Any:
        """How many examples at the end of the current batch are padding."""
        return None



class _HeldBatchIter(DataIter):
    """A DataIter whose ``iter_next`` makes the whole next batch and keeps it in
    ``self._batch``: the accessors read that batch (CSVIter, MNISTIter,
    ImageRecordIter)."""

    _batch: Any = None

    def next(self) -> DataBatch:
        if self.iter_next():
            return self._batch
        raise StopIteration

    def _current(self) -> DataBatch:
        if self._batch is None:
            raise MXNetError(f"{type(self).__name__}: no current batch (call iter_next() "
                             f"first)")
        return self._batch

    def getdata(self) -> Any:
        """The current batch's data (one NDArray)."""
        return self._current().data[0]

    def getlabel(self) -> Any:
        """The current batch's label (one NDArray)."""
        return self._current().label[0]

    def getindex(self) -> Any:
        """The indices of the current batch's examples (row numbers, image numbers or
        record ids)."""
        return self._current().index

    def getpad(self) -> int:
        return self._current().pad

class ResizeIter(DataIter):
    """*data_iter* made to give exactly *size* batches per epoch (starting it over when
    it runs out, stopping it early otherwise); ``reset`` resets it too if
    *reset_internal*."""

    def __init__(self, data_iter: DataIter, size: int, reset_internal: bool = True):
        super().__init__()
        self.data_iter = data_iter
        self.size = size
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch: DataBatch | None = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        self.batch_size = data_iter.batch_size
        if hasattr(data_iter, "default_bucket_key"):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self) -> None:
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self) -> bool:
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True

    def getdata(self) -> Any:
        return self.current_batch.data

    def getlabel(self) -> Any:
        return self.current_batch.label

    def getindex(self) -> Any:
        return self.current_batch.index

    def getpad(self) -> Any:
        return self.current_batch.pad


class PrefetchingIter(DataIter):
    """Reads the next batch of each of *iters* in a background thread while the current
    one is used; a batch joins the iterators' data and labels (in order).
    *rename_data* / *rename_label*: one ``{old_name: new_name}`` dict per iterator."""

    def __init__(self, iters: Any, rename_data: Any = None, rename_label: Any = None):
        super().__init__()
        iters = list(iters) if isinstance(iters, (list, tuple)) else [iters]
        if not iters:
            raise ValueError("PrefetchingIter: needs at least one iterator")
        self.iters = iters
        self.n_iter = len(iters)
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = self.provide_data[0][1][0]
        self.current_batch: DataBatch | None = None
        self.next_batch: list[Any] = [None] * self.n_iter
        self._errors: list[BaseException | None] = [None] * self.n_iter
        self._ready = [threading.Event() for _ in iters]
        self._wanted = [threading.Event() for _ in iters]
        # the threads hold the iterator only while they read a batch (a weak reference
        # otherwise), so dropping the iterator stops them (the finalizer below)
        self._state = {"running": True}
        ref = weakref.ref(self)
        self._threads = [threading.Thread(target=_prefetch, daemon=True,
                                          args=(ref, i, self._wanted[i], self._ready[i],
                                                self._state),
                                          name=f"PrefetchingIter-{i}")
                         for i in range(self.n_iter)]
        self._finalizer = weakref.finalize(self, _stop_prefetching, self._state, self._wanted)
        for want in self._wanted:
            want.set()
        for t in self._threads:
            t.start()

    def _wait_all(self) -> None:
        for ready in self._ready:
            ready.wait()
        for i, err in enumerate(self._errors):
            if err is not None:
                self._errors[i] = None
                raise err

    def _want_all(self) -> None:
        for ready, want in zip(self._ready, self._wanted):
            ready.clear()
            want.set()

    def close(self) -> None:
        """Stop the prefetching threads (done too when the iterator is collected)."""
        if not self._finalizer.alive:
            return
        for ready in self._ready:
            ready.wait()
        self._finalizer()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join()

    def _renamed(self, which: str, renames: Any) -> list:
        descs = [getattr(it, which) for it in self.iters]
        if renames is None:
            return [d for ds in descs for d in ds]
        out = []
        for rename, ds in zip(renames, descs):
            for d in ds:
                d = d if isinstance(d, DataDesc) else DataDesc(*d)
                out.append(DataDesc(rename[d.name], d.shape, d.dtype))
        return out

    @property
    def provide_data(self) -> list:
        return self._renamed("provide_data", self.rename_data)

    @property
    def provide_label(self) -> list:
        return self._renamed("provide_label", self.rename_label)

    def reset(self) -> None:
        self._wait_all()
        for it in self.iters:
            it.reset()
        self._want_all()

    def iter_next(self) -> bool:
        self._wait_all()
        batches = self.next_batch
        if batches[0] is None:
            if any(b is not None for b in batches):
                raise IterMismatchError("PrefetchingIter: the iterators give different "
                                        "numbers of batches")
            return False
        if any(b is None or b.pad != batches[0].pad for b in batches):
            raise IterMismatchError("PrefetchingIter: the iterators give different numbers "
                                    "of examples (their batches' pads differ)")
        self.current_batch = DataBatch([d for b in batches for d in b.data],
                                       [lab for b in batches for lab in (b.label or [])],
                                       batches[0].pad, batches[0].index,
                                       provide_data=self.provide_data,
                                       provide_label=self.provide_label)
        self._want_all()
        return True

    def next(self) -> DataBatch:
        if self.iter_next():
            return self.current_batch
        raise StopIteration

    def getdata(self) -> Any:
        return self.current_batch.data

    def getlabel(self) -> Any:
        return self.current_batch.label

    def getindex(self) -> Any:
        return self.current_batch.index

    def getpad(self) -> Any:
        return self.current_batch.pad


def _prefetch(ref: Any, i: int, wanted: threading.Event, ready: threading.Event,
              state: dict) -> None:
    """Thread *i* of a PrefetchingIter: whenever a batch is wanted, read it from its
    iterator *i*."""
    while True:
        wanted.wait()
        wanted.clear()
        it = ref() if state["running"] else None
        if it is None:
            return
        try:
            it.next_batch[i] = it.iters[i].next()
        except StopIteration:
            it.next_batch[i] = None
        except BaseException as e:      # noqa: BLE001 (raised in the caller's thread)
            it.next_batch[i] = None
            it._errors[i] = e
        finally:
            del it
        ready.set()


def _stop_prefetching(state: dict, wanted: list) -> None:
    state["running"] = False
    for want in wanted:
        want.set()


# ---------------------------------------------------------------------- NDArrayIter
def _as_legacy(v: Any, name: str) -> NDArray:
    """*v* as a legacy NDArray (np-mode arrays share their buffer; others are copied by
    ``mx.nd.array``, float32 unless they are NDArrays)."""
    if type(v) is NDArray:
        return v
    if isinstance(v, NDArray):           # an np-mode array
        return _lnd.wrap(v)
    from ..legacy.creation import array

    try:
        return array(v)
    except Exception as e:  # noqa: BLE001
        raise TypeError(f"NDArrayIter: invalid type {type(v)} for {name}: give an NDArray, "
                        f"an mx.np.ndarray, a numpy.ndarray or lists of numbers") from e


def _init_data(data: Any, allow_empty: bool, default_name: str) -> list[tuple[str, NDArray]]:
    """[(name, array)] sorted by name, from an array, a list of arrays or a dict."""
    if data is None:
        if not allow_empty:
            raise ValueError("NDArrayIter: data is required")
        data = []
    if isinstance(data, (onp.ndarray, NDArray)):
        data = [data]
    if isinstance(data, list):
        if not data and not allow_empty:
            raise ValueError("NDArrayIter: data is an empty list")
        if len(data) == 1:
            data = OrderedDict([(default_name, data[0])])
        else:
            data = OrderedDict((f"_{i}_{default_name}", d) for i, d in enumerate(data))
    if not isinstance(data, dict):
        raise TypeError(f"NDArrayIter: input must be an NDArray, a numpy.ndarray, a list of "
                        f"them or a dict with them as values, got {type(data).__name__}")
    return sorted((k, _as_legacy(v, k)) for k, v in data.items())


class NDArrayIter(DataIter):
    """Batches of *batch_size* examples from in-memory arrays.

    *data* / *label*: an array (``mx.nd``, ``mx.np`` or NumPy), a list of arrays (named
    ``_0_data``, ``_1_data``...) or a dict name -> array; the inputs are sorted by name.
    *shuffle* permutes the examples at each ``reset`` (with NumPy's global generator,
    as MXNet does).  The last, incomplete batch is *last_batch_handle*:

    * ``'pad'``: filled with examples from the beginning (``batch.pad`` says how many);
    * ``'discard'``: dropped;
    * ``'roll_over'``: kept back and put at the front of the first batch of the next
      epoch (whose ``pad`` says how many came from the previous one).
    """

    def __init__(self, data: Any, label: Any = None, batch_size: int = 1,
                 shuffle: bool = False, last_batch_handle: str = "pad",
                 data_name: str = "data", label_name: str = "softmax_label",
                 layout: str = "NCHW"):
        super().__init__(batch_size)
        if last_batch_handle not in _LAST_BATCH:
            raise ValueError(f"NDArrayIter: last_batch_handle must be one of {_LAST_BATCH}, "
                             f"got {last_batch_handle!r}")
        if int(batch_size) <= 0:
            raise ValueError(f"NDArrayIter: batch_size must be positive, got {batch_size}")
        self.data = _init_data(data, allow_empty=False, default_name=data_name)
        self.label = _init_data(label, allow_empty=True, default_name=label_name)
        self.layout = layout
        self._axis = layout.find("N")
        self.idx = onp.arange(self.data[0][1].shape[0])
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.batch_size = int(batch_size)
        self.num_data = self.idx.shape[0]
        self.cursor = -self.batch_size
        self._cache_data: list | None = None
        self._cache_label: list | None = None
        self.reset()
        self.data_list = [v for _, v in self.data] + [v for _, v in self.label]
        self.num_source = len(self.data_list)

    # ------------------------------------------------------------ descriptions
    def _describe(self, source: list) -> list:
        ax = self._axis
        return [DataDesc(k, tuple(v.shape[:ax]) + (self.batch_size,) + tuple(v.shape[ax + 1:]),
                         v.dtype, layout=self.layout) for k, v in source]

    @property
    def provide_data(self) -> list:
        """``DataDesc`` of each data input (its shape with the batch size)."""
        return self._describe(self.data)

    @property
    def provide_label(self) -> list:
        """``DataDesc`` of each label input."""
        return self._describe(self.label)

    # ------------------------------------------------------------ position
    def hard_reset(self) -> None:
        """Back to the start, dropping any rolled-over examples."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._cache_data = None
        self._cache_label = None

    def reset(self) -> None:
        """Back to the start (with 'roll_over', after the examples kept back)."""
        if self.shuffle:
            self._shuffle_data()
        if self.last_batch_handle == "roll_over" and \
                self.num_data - self.batch_size < self.cursor < self.num_data:
            # the kept-back examples (num_data - cursor of them) open the next epoch
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self) -> bool:
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self) -> DataBatch:
        if not self.iter_next():
            raise StopIteration
        data = self.getdata()
        label = self.getlabel()
        if data[0].shape[self._axis] != self.batch_size:
            # an incomplete last batch ('discard', 'roll_over'): kept for the next epoch
            self._cache_data = data
            self._cache_label = label
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    # ------------------------------------------------------------ batches
    def _slice(self, source: list, start: int | None = None, end: int | None = None) -> list:
        start = 0 if start is None else start
        end = (source[0][1].shape[0] if source else 0) if end is None else end
        out = []
        for _, v in source:
            a = _lnd.unwrap(v)
            key = tuple(slice(start, end) if i == self._axis else slice(None)
                        for i in range(a.ndim))
            out.append(_lnd.wrap(a[key].copy()))
        return out

    def _concat(self, first: list, second: list) -> list:
        if not first or not second:
            return first if first else second
        from ..numpy import concatenate

        return [_lnd.wrap(concatenate([_lnd.unwrap(a), _lnd.unwrap(b)], axis=self._axis))
                for a, b in zip(first, second)]

    def _batchify(self, source: list, cached: str) -> list:
        if self.cursor >= self.num_data:
            raise AssertionError("NDArrayIter: the data is used up: call reset()")
        bs, n = self.batch_size, self.num_data
        if self.last_batch_handle == "roll_over" and -bs < self.cursor < 0:
            # first batch of an epoch after a roll over: the kept-back examples first
            kept = getattr(self, cached)
            if kept is None:
                raise AssertionError("NDArrayIter: the next epoch should have cached data")
            setattr(self, cached, None)
            return self._concat(kept, self._slice(source, end=self.cursor + bs))
        if self.last_batch_handle == "pad" and self.cursor + bs > n:
            pad = bs - n + self.cursor
            first = self._slice(source, start=self.cursor)
            whole, part = divmod(pad, n)
            if whole:          # more padding than examples: the data repeated
                from ..numpy import tile

                reps = [_lnd.wrap(tile(_lnd.unwrap(a), (whole,) + (1,) * (a.ndim - 1)))
                        for a in self._slice(source, end=n)]
                second = self._concat(reps, self._slice(source, end=part)) if part else reps
            else:
                second = self._slice(source, end=pad)
            return self._concat(first, second)
        return self._slice(source, self.cursor, min(self.cursor + bs, n))

    def getdata(self) -> list:
        """The data arrays of the current batch."""
        return self._batchify(self.data, "_cache_data")

    def getlabel(self) -> list:
        """The label arrays of the current batch."""
        return self._batchify(self.label, "_cache_label")

    def getpad(self) -> int:
        """Examples of padding in the current batch ('pad': repeated from the start;
        'roll_over': the first batch's examples from the previous epoch)."""
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0

    def _shuffle_data(self) -> None:
        onp.random.shuffle(self.idx)
        self.data = self._take(self.data)
        self.label = self._take(self.label)

    def _take(self, source: list) -> list:
        from ..numpy import array

        order = array(self.idx, dtype="int64")
        return [(k, _lnd.wrap(_lnd.unwrap(v)[order])) for k, v in source]
