"""``mxnet.gluon.contrib.data.sampler``: :class:`IntervalSampler`."""
from __future__ import annotations

from typing import Iterator

from ...data.sampler import Sampler

__all__ = ["IntervalSampler"]


class _SamplerArgumentError(ValueError, AssertionError):
    """A bad sampler argument (MXNet 1.9.1 asserts on it, hence AssertionError too)."""


class IntervalSampler(Sampler):
    """The indices ``0, k, 2k, ...`` of ``[0, length)`` (``k = interval``); with
    *rollover* (the default) then ``1, k+1, ...``, ``2, k+2, ...`` and so on until every
    index was given once.  ``interval`` may equal ``length`` (that yields ``0, 1, 2, ...``
    with rollover, only ``0`` without).

    ``len()`` is the number of indices an iteration yields (MXNet 1.9.1 says *length*
    even without rollover; see docs/mxnet-differences.md)."""

    def __init__(self, length: int, interval: int, rollover: bool = True) -> None:
        for what, v in (("length", length), ("interval", interval)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise _SamplerArgumentError(f"IntervalSampler: {what} must be an int, got "
                                            f"{type(v).__name__} {v!r}")
        if interval < 1:
            raise _SamplerArgumentError(f"IntervalSampler: interval must be at least 1, got "
                                        f"{interval}")
        if interval > length:
            raise _SamplerArgumentError(f"Interval {interval} must be smaller than or equal "
                                        f"to length {length}")
        self._length = length
        self._interval = interval
        self._rollover = bool(rollover)

    def __iter__(self) -> Iterator[int]:
        for start in range(self._interval if self._rollover else 1):
            yield from range(start, self._length, self._interval)

    def __len__(self) -> int:
        if self._rollover:
            return self._length
        return len(range(0, self._length, self._interval))
