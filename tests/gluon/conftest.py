"""Shared fixtures of the gluon tests: run under both engines."""
from __future__ import annotations

import pytest

from ndengine import engine


@pytest.fixture(params=["threaded", "naive"])
def engine_kind(request):
    """Run the test under each engine, restoring the threaded one after."""
    engine.set_engine(request.param)
    try:
        yield request.param
    finally:
        engine.set_engine("threaded")

