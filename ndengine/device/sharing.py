"""How CPU devices share the machine's cores: ``adaptive`` (the default) or ``partitioned``.

``adaptive``
    A device gets what is free: a lone device's BLAS products use every core and a
    thread waiting at a sync point runs its ready ops beside its workers, so one device
    alone runs about as fast as plain NumPy; devices busy at the same time split the
    cores (see :mod:`.blas`).  Best for wall time.

``partitioned``
    Each CPU device in use is a fixed share of the machine, as each GPU in the
    "Automatic Parallelism" chapter is its own hardware: with *n* CPU devices in use
    (devices the engine has started workers for, compute or copy) a device gets
    ``cores // n`` cores (at least one) — its BLAS products get that many threads and a
    waiting thread helps with its ops only while fewer than that many of them run.
    Work on one device then neither speeds up nor slows down because another device
    is idle or busy, and a copy worker finds a core the computation left free.  Use it
    to model several accelerators on a CPU (their scaling, the overlap of computation
    and copies); a lone device is slower than under ``adaptive``.

Both count the same threads: a device's workers always run (``NDENGINE_CPU_WORKERS``
sets how many); the budget limits BLAS threads and the helping of waiting threads.
``NDENGINE_CPU_SHARING=partitioned`` or :func:`set_cpu_sharing` choose the mode.

Measured (``benchmarks/auto_parallel.py`` (a), 2 cores, the chapter's
``[np.sin(x).dot(x) for _ in range(200)]`` on cpu(0) and cpu(1); five fresh processes
per mode, three runs): both devices together take 0.48-0.58x the time NumPy takes for
the two in sequence under either mode; (alone + alone) / together ranged 1.58-1.97
(adaptive) and 1.42-1.74 (partitioned) over the processes — machine noise is most of
the spread.  Plain Python threads doing the two loops by hand: 1.91-1.94.
"""
from __future__ import annotations

import os
import threading
from typing import Any

from ..base import env_str

__all__ = ["SHARING", "MODES", "set_cpu_sharing", "cpu_sharing", "cores"]

MODES = ("adaptive", "partitioned")


def cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class CpuSharing:
    """The mode and the CPU devices in use.  ``partitioned`` and ``budget`` are plain
    attributes, read without a lock on hot paths (the engine's helping check, each BLAS
    kernel)."""

    def __init__(self, mode: str | None = None) -> None:
        self._lock = threading.Lock()
        self.devices: set[int] = set()
        self.mode = "adaptive"
        self.partitioned = False
        self.budget = 0             # cores per CPU device (0 until first computed)
        self.set_mode(mode if mode is not None else _env_mode())

    def set_mode(self, mode: str) -> str:
        if mode not in MODES:
            raise ValueError(f"CPU sharing mode must be one of {MODES}, got {mode!r}")
        with self._lock:
            prev, self.mode = self.mode, mode
            self.partitioned = mode == "partitioned"
            self._update()
        return prev

    def attach(self, device: Any) -> None:
        """The engine starts workers for CPU device *device* (compute or copy)."""
        with self._lock:
            if device.device_id not in self.devices:
                self.devices.add(device.device_id)
                self._update()

    def _update(self) -> None:
        n = len(self.devices) if self.partitioned else 1
        self.budget = max(1, cores() // max(1, n))

    def info(self) -> dict[str, Any]:
        with self._lock:
            return {"mode": self.mode, "cpu_devices_in_use": sorted(self.devices),
                    "cores": cores(), "cores_per_device": self.budget}

    def after_fork(self) -> None:
        self._lock = threading.Lock()


def _env_mode() -> str:
    mode = env_str("NDENGINE_CPU_SHARING", default="adaptive")
    if mode not in MODES:
        raise ValueError(f"NDENGINE_CPU_SHARING must be one of {MODES}, got {mode!r}")
    return mode


SHARING = CpuSharing()

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=SHARING.after_fork)


def set_cpu_sharing(mode: str) -> str:
    """Choose how CPU devices share the cores (``"adaptive"`` or ``"partitioned"``, see
    :mod:`ndengine.device.sharing`); returns the previous mode.  Takes effect for the
    ops that start after it."""
    return SHARING.set_mode(mode)


def cpu_sharing() -> dict[str, Any]:
    """The mode, the CPU devices in use and the cores each gets."""
    return SHARING.info()
