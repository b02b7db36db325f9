"""The few *Dive into Deep Learning* helpers the seed chapters call (``d2l.mxnet``).

``from ndengine import d2l`` replaces ``from d2l import mxnet as d2l``:

* :class:`Benchmark` — ``with d2l.Benchmark('label'):`` prints ``label: 0.1234 sec``;
* :class:`Timer` — ``start``/``stop``/``avg``/``sum``/``cumsum``;
* :func:`cpu`, :func:`gpu`, :func:`num_gpus`, :func:`try_gpu`, :func:`try_all_gpus` —
  as d2l's: without a GPU, ``try_gpu()`` is ``cpu()`` and ``try_all_gpus()`` is
  ``[cpu()]``;
* :func:`synthetic_data`, :func:`load_array` — the chapters' toy regression data.

**CPU stand-ins for GPUs** (ndengine's addition, off by default).  The "Automatic
Parallelism" chapter needs two GPUs.  ``d2l.use_cpu_stand_ins(n)`` (or the environment
variable ``NDENGINE_D2L_GPU_STAND_INS=n``) lets ``cpu(1) .. cpu(n)`` stand in for
``gpu(0) .. gpu(n-1)`` *when the machine has no GPU*: ``try_gpu(i)`` then gives
``cpu(i + 1)`` and ``try_all_gpus()`` gives ``[cpu(1), .., cpu(n)]``.  Each CPU device
has its own engine workers, so the chapter's parallelism shows (on shared cores);
:func:`describe_devices` says which devices are stand-ins.  With real GPUs the
setting is ignored.
"""
from __future__ import annotations

import time
from typing import Any, Iterator

from .base import env_int
from .device import Device
from .device import cpu as _cpu
from .device import gpu as _gpu
from .device import num_gpus as _num_gpus

__all__ = ["Benchmark", "Timer", "cpu", "gpu", "num_gpus", "try_gpu", "try_all_gpus",
           "use_cpu_stand_ins", "cpu_stand_ins", "describe_devices", "synthetic_data",
           "load_array"]


class Timer:
    """Record running times (see d2l's ``Timer``); starts on creation."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        """Start (or restart) the timer."""
        self.tik = time.perf_counter()

    def stop(self) -> float:
        """Record and return the seconds since the last ``start``."""
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        """The mean of the recorded times."""
        return sum(self.times) / len(self.times)

    def sum(self) -> float:
        """The sum of the recorded times."""
        return sum(self.times)

    def cumsum(self) -> list[float]:
        """The running sums of the recorded times."""
        out, total = [], 0.0
        for t in self.times:
            total += t
            out.append(total)
        return out


class Benchmark:
    """``with Benchmark('label'):`` prints ``label: {seconds:.4f} sec`` on exit (see
    d2l's ``Benchmark``).  ndengine's addition: the seconds stay in ``.elapsed``."""

    def __init__(self, description: str = "Done") -> None:
        self.description = description
        self.elapsed: float | None = None

    def __enter__(self) -> "Benchmark":
        self.timer = Timer()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = self.timer.stop()
        print(f"{self.description}: {self.elapsed:.4f} sec")


def cpu() -> Device:
    """See d2l's ``cpu``: ``cpu(0)``."""
    return _cpu(0)


def gpu(i: int = 0) -> Device:
    """See d2l's ``gpu``: the handle ``gpu(i)`` (using it without a GPU fails)."""
    return _gpu(i)


def num_gpus() -> int:
    """The number of real GPUs (stand-ins are not counted)."""
    return _num_gpus()


_stand_ins: list[int | None] = [None]   # None: not set in code, read the environment


def use_cpu_stand_ins(n: int) -> None:
    """Let ``cpu(1) .. cpu(n)`` stand in for ``gpu(0) .. gpu(n-1)`` on a machine
    without GPUs (``n = 0`` turns it off); see the module notes."""
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"use_cpu_stand_ins: n must be an int >= 0, got {n!r}")
    _stand_ins[0] = n


def cpu_stand_ins() -> int:
    """How many CPU devices stand in for GPUs now (0 when there are real GPUs)."""
    if _num_gpus() > 0:
        return 0
    n = _stand_ins[0]
    if n is None:
        n = env_int("NDENGINE_D2L_GPU_STAND_INS", default=0)
        if n < 0:
            raise ValueError(f"NDENGINE_D2L_GPU_STAND_INS must be >= 0, got {n}")
    return n


def try_gpu(i: int = 0) -> Device:
    """``gpu(i)`` if it exists, else its CPU stand-in when enabled, else ``cpu()``."""
    if _num_gpus() >= i + 1:
        return gpu(i)
    if i < cpu_stand_ins():
        return _cpu(i + 1)
    return cpu()


def try_all_gpus() -> list[Device]:
    """Every GPU; without any, the CPU stand-ins when enabled, else ``[cpu()]``."""
    n = _num_gpus()
    if n:
        return [gpu(i) for i in range(n)]
    k = cpu_stand_ins()
    return [_cpu(i + 1) for i in range(k)] if k else [cpu()]


def describe_devices() -> str:
    """One line saying what ``try_gpu``/``try_all_gpus`` hand out on this machine."""
    n = _num_gpus()
    if n:
        return f"{n} GPU(s): " + ", ".join(str(gpu(i)) for i in range(n))
    k = cpu_stand_ins()
    if k:
        pairs = ", ".join(f"cpu({i + 1}) for gpu({i})" for i in range(k))
        return f"no GPU found: CPU devices stand in ({pairs}); they share the CPU cores"
    return "no GPU found: try_gpu() and try_all_gpus() fall back to cpu(0)"


def synthetic_data(w: Any, b: float, num_examples: int) -> tuple[Any, Any]:
    """See d2l's ``synthetic_data``: ``y = Xw + b + noise`` (noise std 0.01)."""
    from . import numpy as np

    X = np.random.normal(0, 1, (num_examples, len(w)))
    y = np.dot(X, w) + b
    y = y + np.random.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def load_array(data_arrays: tuple, batch_size: int, is_train: bool = True) -> Iterator:
    """See d2l's ``load_array``: a Gluon ``DataLoader`` over the arrays."""
    from .gluon import data as gdata

    dataset = gdata.ArrayDataset(*data_arrays)
    return gdata.DataLoader(dataset, batch_size, shuffle=is_train)
