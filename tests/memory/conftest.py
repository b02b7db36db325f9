"""The pool tests exercise the pool with small buffers: CPU outputs from
``SMALL_POOL_MIN`` bytes on come from it while they run (the default threshold is
32 MB on glibc, see ndengine.device.storage)."""
from __future__ import annotations

from typing import Iterator

import pytest

from ndengine.device import storage

SMALL_POOL_MIN = 256 << 10


@pytest.fixture(autouse=True)
def small_pool_min() -> Iterator[int]:
    explicit = storage._explicit
    prev = storage.set_pool_min(SMALL_POOL_MIN)
    try:
        yield SMALL_POOL_MIN
    finally:
        storage.set_pool_min(prev if explicit else None)
