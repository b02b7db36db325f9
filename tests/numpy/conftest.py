"""Fixtures of the np/npx tests: fresh engines (helpers live in np_oracle.py)."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

import ndengine
from ndengine import engine as _engine


@contextmanager
def fresh_engine(workers, monkeypatch, kind="threaded"):
    """A new engine with *workers* CPU workers, bound for the block; the old engine is
    restored afterwards (pending work finished first)."""
    old = _engine.get_engine()
    old.wait_all()
    monkeypatch.setenv("NDENGINE_CPU_WORKERS", str(workers))
    new = ndengine.engine.ThreadedEngine() if kind == "threaded" else ndengine.engine.NaiveEngine()
    _engine._bind(new)
    try:
        yield new
    finally:
        try:
            new.drain()
            with new._lock:
                new._errors.clear()
        finally:
            _engine._bind(old)
            new.shutdown(10)


@pytest.fixture
def engine_with(monkeypatch):
    """``with engine_with(n): ...`` runs the block on a fresh threaded engine with n
    CPU workers (``engine_with(0, 'naive')`` for the naive engine)."""
    def make(workers, kind="threaded"):
        return fresh_engine(workers, monkeypatch, kind)
    return make


@pytest.fixture(autouse=True)
def _no_leftover_errors():
    """Each test starts and ends without pending errors in the shared engine."""
    yield
    try:
        _engine.wait_all()
    except Exception:
        pass
