"""``mx.io.CSVIter``: batches from CSV files, as MXNet 1.9.1's C++ CSV iterator gives them.

Each row of *data_csv* (a file, or a directory whose files are read in name order) is
one example, reshaped to *data_shape*; *label_csv* likewise (all-zero labels without
one).  Batches follow MXNet's ``round_batch`` rules (see :mod:`._loader`).

The file is parsed once, when the iterator is made (errors in it are raised then);
batches are copied into new ``mx.nd`` arrays, so a batch stays valid after ``next``.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as onp

from ..base import MXNetError
from ._loader import RoundBatchLoader
from .io import DataBatch, DataDesc, _HeldBatchIter

__all__ = ["CSVIter", "CSVIterError"]


class CSVIterError(MXNetError, ValueError):
    """A CSV file does not fit the iterator's parameters."""


class CSVFileNotFoundError(MXNetError, FileNotFoundError):
    """A CSV path names no file or directory."""


_DTYPES = ("float32", "float64", "float16", "int32", "int64", "int8", "uint8")


def _shape(shape: Any, what: str) -> tuple[int, ...]:
    if isinstance(shape, (int, onp.integer)):
        shape = (int(shape),)
    try:
        out = tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"CSVIter: {what} must be a tuple of ints, got {shape!r}") from None
    if not out or any(s <= 0 for s in out):
        raise ValueError(f"CSVIter: {what} must be a non-empty tuple of positive ints, "
                         f"got {out}")
    return out


def _files(path: str) -> list[str]:
    if os.path.isdir(path):
        return sorted(os.path.join(path, f) for f in os.listdir(path)
                      if os.path.isfile(os.path.join(path, f)))
    if not os.path.exists(path):
        raise CSVFileNotFoundError(f"CSVIter: {path}: No such file or directory")
    return [path]


def _read(path: str, shape: tuple[int, ...], dtype: onp.dtype, what: str) -> onp.ndarray:
    """The rows of the CSV file(s) at *path* as an array of shape (rows,) + *shape*."""
    parts = [_read_file(name, shape, dtype, what) for name in _files(path)]
    if not parts:
        return onp.zeros((0,) + shape, dtype)
    return onp.concatenate(parts) if len(parts) > 1 else parts[0]


def _read_file(name: str, shape: tuple[int, ...], dtype: onp.dtype, what: str) -> onp.ndarray:
    """One CSV file: NumPy's parser first; the slow path finds what is wrong."""
    size = int(onp.prod(shape))
    try:
        values = onp.loadtxt(name, delimiter=",", dtype=onp.float64 if dtype.kind == "f"
                             else onp.int64, ndmin=2, encoding="utf-8")
    except ValueError:
        return _read_slow(name, shape, dtype, what)
    if values.size == 0:
        return onp.zeros((0,) + shape, dtype)
    if values.shape[1] != size:
        return _read_slow(name, shape, dtype, what)
    return values.astype(dtype).reshape((len(values),) + shape)


def _read_slow(path: str, shape: tuple[int, ...], dtype: onp.dtype, what: str) -> onp.ndarray:
    """Line by line: the exact error for a bad row, and the forms NumPy's parser refuses
    (a trailing comma, floats in an integer file)."""
    size = int(onp.prod(shape))
    rows: list[list[str]] = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            fields = [x.strip() for x in line.rstrip(",").split(",")]
            if len(fields) != size:
                raise CSVIterError(
                    f"CSVIter: the data size in CSV do not match size of shape: "
                    f"specified {what}={list(shape)}, the csv row-length={len(fields)} "
                    f"({path}, line {lineno})")
            rows.append(fields)
    if not rows:
        return onp.zeros((0,) + shape, dtype)
    text = onp.array(rows)
    try:
        values = text.astype(onp.float64)
    except ValueError as e:
        raise CSVIterError(f"CSVIter: {path} holds a value that is not a number ({e})") from None
    if dtype.kind in "iu":
        try:                # exact for integers a float64 cannot hold
            values = text.astype(dtype)
        except (ValueError, OverflowError):
            values = values.astype(dtype)
    return values.astype(dtype).reshape((len(rows),) + shape)


class CSVIter(_HeldBatchIter):
    """Batches of *batch_size* rows of *data_csv* (each of shape *data_shape*) and of
    *label_csv* (each of *label_shape*; a label of shape ``(1,)`` comes as one number
    per example).  See the module's doc for *round_batch*.  *dtype* (None: float32) is
    the type both are parsed as.  ``prefetch_buffer`` and ``ctx`` are accepted for
    MXNet's signature (ndengine reads the whole file at once; batches are on cpu)."""

    def __init__(self, data_csv: str, data_shape: Any, batch_size: int,
                 label_csv: str | None = "NULL", label_shape: Any = (1,),
                 round_batch: bool = True, prefetch_buffer: int = 4, ctx: str = "gpu",
                 dtype: Any = None, data_name: str = "data",
                 label_name: str = "softmax_label", **unknown: Any):
        super().__init__(int(batch_size))
        if unknown:
            raise TypeError(f"CSVIter: unknown parameters {sorted(unknown)}")
        if self.batch_size <= 0:
            raise ValueError(f"CSVIter: batch_size must be positive, got {batch_size}")
        dt = onp.dtype("float32" if dtype is None else dtype)
        if dt.name not in _DTYPES:
            raise TypeError(f"CSVIter: dtype must be one of {_DTYPES} or None, got {dtype!r}")
        self._dtype = dt
        self._data_shape = _shape(data_shape, "data_shape")
        self._label_shape = _shape(label_shape, "label_shape")
        self._data = _read(data_csv, self._data_shape, dt, "data_shape")
        n = self._data.shape[0]
        if label_csv is None or label_csv == "NULL":
            self._label = onp.zeros((n,) + self._label_shape, dt)
        else:
            self._label = _read(label_csv, self._label_shape, dt, "label_shape")
            if self._label.shape[0] != n:
                raise CSVIterError(f"CSVIter: {data_csv} has {n} rows but {label_csv} has "
                                   f"{self._label.shape[0]}")
        self.round_batch = bool(round_batch)
        self._loader = RoundBatchLoader(n, self.batch_size, self.round_batch, "CSVIter")
        bs = self.batch_size
        label_tail = () if self._label_shape == (1,) else self._label_shape
        # the loader's buffers: refilled batch by batch (round_batch=False leaves the
        # previous rows in the places the last batch does not fill, as MXNet does)
        self._buf_data = onp.zeros((bs,) + self._data_shape, dt)
        self._buf_label = onp.zeros((bs,) + label_tail, dt)
        self._buf_index = onp.zeros((bs,), onp.uint64)
        self._batch: DataBatch | None = None
        self.provide_data = [DataDesc(data_name, (bs,) + self._data_shape, dt.type)]
        self.provide_label = [DataDesc(label_name, (bs,) + label_tail, dt.type)]

    def reset(self) -> None:
        """Start the next epoch (after a round-batch overflow, from where it left off)."""
        self._loader.reset()

    def iter_next(self) -> bool:
        self._batch = None
        got = self._loader.next_rows()
        if got is None:
            return False
        rows, self._pad = got
        k = len(rows)
        self._buf_data[:k] = self._data[rows]
        self._buf_label[:k] = self._label[rows].reshape((k,) + self._buf_label.shape[1:])
        self._buf_index[:k] = rows.astype(onp.uint64)
        self._batch = self._make_batch()
        return True

    def _make_batch(self) -> DataBatch:
        from ..legacy.creation import array

        return DataBatch(data=[array(self._buf_data, dtype=self._dtype)],
                         label=[array(self._buf_label, dtype=self._dtype)],
                         pad=self._pad, index=self._buf_index.copy())
