"""``mx.attribute``: ``AttrScope``, the attributes (``ctx_group``, ``lr_mult``...) that
MXNet's symbol API attaches to every symbol made inside a ``with AttrScope(...):`` block.

Scopes nest: inside ``with AttrScope(a='1'): with AttrScope(b='2'):`` the current scope
holds both (the inner value wins for a key set by both).  The current scope is per
thread.  Attribute values must be strings, as in MXNet.
"""
from __future__ import annotations

import threading
import warnings
from collections import defaultdict
from typing import Any

__all__ = ["AttrScope", "current"]


class _CurrentMeta(type):
    """``AttrScope.current`` (deprecated in MXNet in favour of ``with``)."""

    @property
    def current(cls) -> "AttrScope":
        warnings.warn("AttrScope.current has been deprecated. It is advised to use the "
                      "`with` statement with AttrScope.", DeprecationWarning, stacklevel=2)
        return current()

    @current.setter
    def current(cls, val: "AttrScope") -> None:
        warnings.warn("AttrScope.current has been deprecated. It is advised to use the "
                      "`with` statement with AttrScope.", DeprecationWarning, stacklevel=2)
        AttrScope._current.value = val


class AttrScope(metaclass=_CurrentMeta):
    """Attributes for every symbol made in this scope: ``AttrScope(ctx_group='dev1')``."""

    _current = threading.local()
    _subgraph_names: defaultdict = defaultdict(int)

    def __init__(self, **kwargs: str):
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise ValueError(f"Attributes need to be string: AttrScope({key}={value!r}) "
                                 f"has a {type(value).__name__}")
        self._attr = dict(kwargs)
        self._old_scope: AttrScope | None = None

    def get(self, attr: dict | None) -> dict:
        """The scope's attributes updated with *attr* (the symbol's own, which win)."""
        if not self._attr:
            return attr if attr else {}
        out = dict(self._attr)
        if attr:
            out.update(attr)
        return out

    def __enter__(self) -> "AttrScope":
        self._old_scope = current()
        merged = dict(self._old_scope._attr)
        merged.update(self._attr)
        self._attr = merged
        AttrScope._current.value = self
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._old_scope is not None, "AttrScope.__exit__ without __enter__"
        AttrScope._current.value = self._old_scope


def current() -> AttrScope:
    """The attribute scope current in this thread (an empty one by default)."""
    cur = getattr(AttrScope._current, "value", None)
    if cur is None:
        cur = AttrScope._current.value = AttrScope()
    return cur
