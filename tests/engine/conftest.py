"""Shared helpers for the engine tests: fresh engines with their own settings.

Tests that change settings (worker count, run-ahead window, backpressure bound) use a
fresh ``ThreadedEngine``/``NaiveEngine`` so the global engine stays clean.  An engine
cannot stop its worker threads, so engines are drained (never leaked with work in
flight) when the test ends.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterator

import pytest

from engine_helpers import new_engine

DRAIN_TIMEOUT = 60


@pytest.fixture
def make_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """Factory of fresh engines: ``make_engine("threaded", workers=1, run_ahead=2)``.

    ``NDENGINE_CPU_WORKERS`` is set with monkeypatch for the whole test, so pools
    started later (another device, a copy pool) get the same count.  Every engine made
    is drained at teardown; pending errors are dropped there."""
    made: list[Any] = []

    def make(kind: str = "threaded", workers: int | None = None, **settings: Any) -> Any:
        if workers is not None:
            monkeypatch.setenv("NDENGINE_CPU_WORKERS", str(workers))
        eng = new_engine(kind, workers, **settings)
        made.append(eng)
        return eng

    yield make
    for eng in made:
        # bounded: an engine that cannot finish its work must fail the test, not hang
        # the run (pytest-timeout's alarm fires once per test, before the teardown)
        th = threading.Thread(target=eng.drain, daemon=True)
        th.start()
        th.join(DRAIN_TIMEOUT)
        if th.is_alive():
            stats = eng.statistics()
            pytest.fail(f"teardown: the {eng.kind} engine did not finish its work in "
                        f"{DRAIN_TIMEOUT} s (pending {stats['pending']}): a lost op")
