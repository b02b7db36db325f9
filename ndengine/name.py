"""``mx.name``: automatic naming (``NameManager``, ``Prefix``), as MXNet's symbol API
names what the user leaves unnamed.

The current manager is per thread; ``with NameManager():`` / ``with Prefix('net_'):``
make a manager current for the block and put the previous one back after it.  A name
asked for with ``get(None, 'fc')`` is the hint with a counter (``fc0``, ``fc1``...);
a given name is returned as it is (with the prefix, under ``Prefix``).
"""
from __future__ import annotations

import threading
import warnings
from typing import Any

__all__ = ["NameManager", "Prefix", "current"]


class _CurrentMeta(type):
    """``NameManager.current``: the manager current in this thread (deprecated in
    MXNet in favour of ``with``; still readable and settable)."""

    @property
    def current(cls) -> "NameManager":
        warnings.warn("NameManager.current has been deprecated. It is advised to use the "
                      "`with` statement with NameManager.", DeprecationWarning, stacklevel=2)
        return current()

    @current.setter
    def current(cls, val: "NameManager") -> None:
        NameManager._current.value = val


class NameManager(metaclass=_CurrentMeta):
    """Gives names to symbols: the user's name, else the hint and a per-hint counter.
    Subclass it and override :meth:`get` to name differently."""

    _current = threading.local()

    def __init__(self) -> None:
        self._counter: dict[str, int] = {}
        self._old_manager: NameManager | None = None

    def get(self, name: str | None, hint: str) -> str:
        """*name* if given (non-empty), else ``f"{hint}{n}"`` with n counting the hint's
        uses in this manager."""
        if name:
            return name
        n = self._counter.get(hint, 0)
        self._counter[hint] = n + 1
        return f"{hint}{n}"

    def __enter__(self) -> "NameManager":
        self._old_manager = current()
        NameManager._current.value = self
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._old_manager is not None, "NameManager.__exit__ without __enter__"
        NameManager._current.value = self._old_manager


class Prefix(NameManager):
    """A name manager that puts *prefix* before every name (given or generated)."""

    def __init__(self, prefix: str):
        super().__init__()
        self._prefix = prefix

    def get(self, name: str | None, hint: str) -> str:
        return self._prefix + super().get(name, hint)


def current() -> NameManager:
    """The name manager current in this thread (a fresh default one per thread)."""
    cur = getattr(NameManager._current, "value", None)
    if cur is None:
        cur = NameManager._current.value = NameManager()
    return cur
