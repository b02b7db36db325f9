"""Fresh engines with their own settings, for the engine tests (imported by name:
``from engine_helpers import new_engine``; a module named ``conftest`` would collide
with other test directories' conftest files)."""
from __future__ import annotations

import os
from typing import Any

from ndengine.device import cpu
from ndengine.engine import NaiveEngine, ThreadedEngine

KINDS = {"threaded": ThreadedEngine, "naive": NaiveEngine}


def new_engine(kind: str = "threaded", workers: int | None = None, *,
               run_ahead: int | None = None, run_ahead_bytes: int | None = None,
               max_pending_ops: int | None = None, max_pending_bytes: int | None = None,
               devices: tuple[int, ...] = (0,), copy_pools: bool = False) -> Any:
    """A fresh engine whose pools (for ``cpu(i)``, i in *devices*) are started now,
    with ``NDENGINE_CPU_WORKERS=workers``; the environment is restored on return."""
    saved = os.environ.get("NDENGINE_CPU_WORKERS")
    if workers is not None:
        os.environ["NDENGINE_CPU_WORKERS"] = str(workers)
    try:
        eng = KINDS[kind]()
        if run_ahead is not None:
            eng.run_ahead = run_ahead
        if run_ahead_bytes is not None:
            eng.run_ahead_bytes = run_ahead_bytes
        eng.set_bound(max_pending_ops, max_pending_bytes)
        for i in devices:              # start the pools while the variable is set
            eng.push(_noop, device=cpu(i), name="warm-up")
            if copy_pools:
                eng.push(_noop, device=cpu(i), copy=True, name="warm-up-copy")
        eng.wait_all()
    finally:
        if saved is None:
            os.environ.pop("NDENGINE_CPU_WORKERS", None)
        else:
            os.environ["NDENGINE_CPU_WORKERS"] = saved
    if kind == "threaded" and workers is not None:
        stats = eng.statistics()["devices"]
        for i in devices:
            assert stats[f"cpu({i})"]["workers"] == workers, stats
    return eng


def _noop() -> None:
    return None
