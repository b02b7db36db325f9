"""Helpers of the gluon tests (imported as a top-level module by pytest's rootdir
sys.path insertion, hence the unique name)."""
from __future__ import annotations

import threading

import numpy as onp

from ndengine import engine
from ndengine import numpy as np


def seed_all(seed: int = 0) -> None:
    """Seed ndengine's generators (initializers, dropout) and host NumPy's (shuffling)."""
    np.random.seed(seed)
    onp.random.seed(seed)


class Gate:
    """An event an engine op waits on.  A safety timer opens it after 30 s, so a call
    that (wrongly) blocks returns eventually and the test fails instead of hanging."""

    def __init__(self) -> None:
        self._ev = threading.Event()
        self.timed_out = False
        self._timer = threading.Timer(30.0, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        self.timed_out = True
        self._ev.set()

    def wait(self) -> None:
        self._ev.wait()

    def set(self) -> None:
        self._timer.cancel()
        self._ev.set()

    def is_set(self) -> bool:
        return self._ev.is_set()


def blocked_input(shape, value=1.0):
    """(gate, x): x's value is written by an op that waits for gate.set()."""
    assert engine.get_engine().kind == "threaded"
    gate = Gate()
    x = np.zeros(shape)

    def fill():
        gate.wait()
        x._data = onp.full(shape, value, dtype=onp.float32)
    engine.push(fill, (), (x._var,), x.device, 0, "gate")
    return gate, x
