"""Fixtures of the NDArray tests: a gate that holds an array's var busy."""
from __future__ import annotations

import threading

import pytest

from ndengine import engine


class Gate:
    """Pushes an op that writes *arrays*' vars and waits until :meth:`open` (or a
    timeout, so a wrongly blocking call fails its test instead of hanging)."""

    def __init__(self, *arrays, timeout=20.0):
        self.event = threading.Event()
        self.started = threading.Event()
        self.timed_out = False

        def hold():
            self.started.set()
            if not self.event.wait(timeout):
                self.timed_out = True

        engine.push(hold, (), tuple(a._var for a in arrays), name="gate")

    def open(self):
        self.event.set()


@pytest.fixture
def gate():
    gates = []

    def make(*arrays, timeout=20.0):
        g = Gate(*arrays, timeout=timeout)
        gates.append(g)
        return g
    yield make
    for g in gates:
        g.open()
    engine.wait_all()
