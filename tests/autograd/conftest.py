"""Fixtures of the autograd tests (helpers live in ag_helpers.py)."""
from __future__ import annotations

import pytest

from ndengine import autograd
from ndengine import engine as _engine


@pytest.fixture(autouse=True)
def _clean_state():
    """Each test starts outside record() and ends without pending errors."""
    autograd.set_recording(False)
    autograd.set_training(False)
    yield
    autograd.set_recording(False)
    autograd.set_training(False)
    try:
        _engine.wait_all()
    except Exception:
        pass
