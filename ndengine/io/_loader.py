"""The batch loader of MXNet's C++ iterators (CSVIter, ImageRecordIter): which rows make
each batch, under MXNet's ``round_batch`` rules.

* ``round_batch=True``: the last batch of an epoch is completed with rows from the
  start (``pad`` of them); the next epoch goes on after those rows (``reset`` does not
  rewind), so over several epochs every row is seen equally often.  Completing a batch
  that needs more than one pass over the rows is an error, as in MXNet.
* ``round_batch=False``: the last batch has fewer rows; the iterator leaves the places
  it does not fill as they were (``pad`` of them), and ``reset`` rewinds.
"""
from __future__ import annotations

import numpy as onp

from ..base import MXNetError


class BatchLoaderError(MXNetError, ValueError):
    """A round batch cannot be completed from the rows there are."""


class RoundBatchLoader:
    """Rows for each batch of *batch_size* out of *num_rows* (see the module's doc)."""

    def __init__(self, num_rows: int, batch_size: int, round_batch: bool, what: str):
        self.num_rows = int(num_rows)
        self.batch_size = int(batch_size)
        self.round_batch = bool(round_batch)
        self.what = what
        self._row = 0               # next row
        self._overflow = 0          # rows taken from the start to complete the last batch
        if self.num_rows == 0:
            raise BatchLoaderError(f"{what}: there are no rows to read")
        if self.round_batch and self.batch_size - self.num_rows > self.num_rows:
            self._too_few()

    def _too_few(self) -> None:
        raise BatchLoaderError(f"{self.what}: number of input must be bigger than batch size: "
                               f"a round batch of {self.batch_size} needs more than the "
                               f"{self.num_rows} rows there are; use round_batch=False")

    def reset(self) -> None:
        """Start the next epoch (after a round-batch overflow, where it left off)."""
        if not self.round_batch or self._overflow == 0:
            self._row = 0
        else:
            self._overflow = 0

    def next_rows(self) -> tuple[onp.ndarray, int] | None:
        """(the rows of the next batch, its pad), or None at the end of the epoch.  With
        ``round_batch=False`` a last batch has ``batch_size - pad`` rows."""
        if self._overflow:
            return None
        n, bs = self.num_rows, self.batch_size
        take = min(bs, n - self._row)
        if take <= 0:
            return None
        rows = onp.arange(self._row, self._row + take)
        self._row += take
        pad = bs - take
        if pad and self.round_batch:
            if pad > n:
                self._too_few()
            rows = onp.concatenate([rows, onp.arange(pad)])
            self._row = pad
            self._overflow = pad
        return rows, pad
