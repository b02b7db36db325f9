"""``mx.monitor.Monitor`` (``mx.mon``): statistics of every layer's output and of the
arguments of the executors it is installed on, every *interval* batches (MXNet 1.9.1's
API; ``Module.install_monitor`` / ``fit(monitor=...)`` install it).

``tic()`` before a batch's forward starts a monitored batch (one in *interval*);
while it is active each executor's forward hands every op output (and with
``monitor_all`` every op input) to the monitor, which keeps ``stat_func(array)`` for
the names matching *pattern*; ``toc()`` adds the arguments' and auxiliary states'
statistics and returns ``(step, name, text)`` rows, ``toc_print()`` logs them.  The
statistics are computed by engine ops as the values are made; reading them in
``toc`` is the sync point."""
from __future__ import annotations

import logging
import math
import re
from typing import Any, Callable

__all__ = ["Monitor"]


def _default_stat(x: Any) -> Any:
    """The root-mean-square of *x* (``norm(x) / sqrt(size)``), as an NDArray."""
    from . import legacy as nd

    return nd.norm(x) / math.sqrt(max(x.size, 1))


class Monitor:
    """See the module notes."""

    def __init__(self, interval: int, stat_func: Callable[[Any], Any] | None = None,
                 pattern: str = ".*", sort: bool = False, monitor_all: bool = False) -> None:
        if int(interval) < 1:
            raise ValueError(f"Monitor: interval must be at least 1, got {interval!r}")
        self.stat_func = stat_func or _default_stat
        self.monitor_all = monitor_all
        self.interval = int(interval)
        self.activated = False
        self.queue: list = []
        self.step = 0
        self.exes: list = []
        self.re_prog = re.compile(pattern)
        self.sort = sort

        def stat_helper(name: Any, array: Any) -> None:
            if isinstance(name, bytes):
                name = name.decode()
            if not self.activated or not self.re_prog.match(name):
                return
            self.queue.append((self.step, name, self.stat_func(array)))
        self.stat_helper = stat_helper

    def install(self, exe: Any) -> None:
        """Monitor executor *exe* (``Executor.set_monitor_callback``)."""
        exe.set_monitor_callback(self.stat_helper, self.monitor_all)
        self.exes.append(exe)

    def _wait(self) -> None:
        for exe in self.exes:
            for a in list(exe.arg_arrays) + list(exe.aux_arrays):
                a.wait_to_read()

    def tic(self) -> None:
        """Start a batch: every *interval*-th one is monitored."""
        if self.step % self.interval == 0:
            self._wait()
            self.queue = []
            self.activated = True
        self.step += 1

    def toc(self) -> list:
        """End the batch: ``(step, name, statistic text)`` rows of a monitored batch
        (the layer outputs seen, then the arguments and auxiliary states), else []."""
        from .legacy.ndarray import NDArray

        if not self.activated:
            return []
        self._wait()
        for exe in self.exes:
            sym = exe.symbol
            for name, a in zip(sym.list_arguments(), exe.arg_arrays):
                if self.re_prog.match(name):
                    self.queue.append((self.step, name, self.stat_func(a)))
            for name, a in zip(sym.list_auxiliary_states(), exe.aux_arrays):
                if self.re_prog.match(name):
                    self.queue.append((self.step, name, self.stat_func(a)))
        self.activated = False
        if self.sort:
            self.queue.sort(key=lambda row: row[1])
        res = []
        for n, k, values in self.queue:
            if not isinstance(values, list):
                values = [values]
            text = ""
            for v in values:
                if not isinstance(v, NDArray) and hasattr(v, "_var"):
                    from .legacy.ndarray import wrap

                    v = wrap(v)
                if not isinstance(v, NDArray):
                    raise TypeError(f"Monitor: stat_func must return an NDArray (or a list "
                                    f"of them), got {type(v).__name__} for {k!r}")
                text += (str(v.asscalar()) if v.shape == (1,) else str(v.asnumpy())) + "\t"
            res.append((n, k, text))
        self.queue = []
        return res

    def toc_print(self) -> None:
        """:meth:`toc`, logged (``logging.info``) one row a line."""
        for n, k, v in self.toc():
            logging.info("Batch: {:7d} {:30s} {:s}".format(n, k, v))
