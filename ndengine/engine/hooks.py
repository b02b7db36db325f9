"""Engine hooks the profiler (and anyone else) may subscribe to.

Costs nothing when off: the engine's hot path tests the single flag ``HOOKS.active``
(a plain attribute) before doing anything hook-related.  A subscriber that raises is
removed and logged; it never breaks the engine.

Events, each called with the op:
  ``push``  after the op was registered (``op.t_push`` set)
  ``start`` in the thread that runs it, right before the callable (``op.t_start``)
  ``end``   after it finished or was skipped (``op.t_end``; ``error`` passed too)
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

__all__ = ["HOOKS", "Hooks"]

_log = logging.getLogger("ndengine.engine")


class Hooks:
    def __init__(self) -> None:
        self.active = False
        self._subs: list[Any] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Any) -> None:
        """Add an object with any of ``on_push(op)``, ``on_start(op)``, ``on_end(op, error)``."""
        with self._lock:
            if subscriber not in self._subs:
                self._subs = self._subs + [subscriber]
            self.active = bool(self._subs)

    def unsubscribe(self, subscriber: Any) -> None:
        with self._lock:
            self._subs = [s for s in self._subs if s is not subscriber]
            self.active = bool(self._subs)

    def _call(self, method: str, *args: Any) -> None:
        for sub in self._subs:
            fn: Callable[..., Any] | None = getattr(sub, method, None)
            if fn is None:
                continue
            try:
                fn(*args)
            except Exception:
                _log.exception("engine hook %r.%s failed; unsubscribing it", sub, method)
                self.unsubscribe(sub)

    def push(self, op: Any) -> None:
        self._call("on_push", op)

    def start(self, op: Any) -> None:
        self._call("on_start", op)

    def end(self, op: Any, error: BaseException | None) -> None:
        self._call("on_end", op, error)


HOOKS = Hooks()
