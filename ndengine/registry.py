"""``mxnet.registry``: name -> class factories (used by ``mx.metric`` and ``mx.init``).

``get_register_func(Base, 'metric')`` gives a ``register(klass, name=None)`` decorator
that files a subclass of *Base* under its lower-case name; ``get_alias_func`` gives
``alias(*names)`` for extra names; ``get_create_func`` gives ``create(...)``, which
accepts an instance (returned as is), a registered name with constructor arguments,
a dict ``{'<nickname>': name, ...}``, or a JSON string (``'["name", {kwargs}]'`` or
``'{"<nickname>": name, ...}'``).  Pure Python: no array op.
"""
from __future__ import annotations

import json
import warnings
from typing import Any, Callable

__all__ = ["get_registry", "get_register_func", "get_alias_func", "get_create_func"]

_REGISTRY: dict[type, dict[str, type]] = {}


def get_registry(base_class: type) -> dict[str, type]:
    """A copy of the name -> class table of *base_class*."""
    return dict(_REGISTRY.setdefault(base_class, {}))


def get_register_func(base_class: type, nickname: str) -> Callable[..., type]:
    """A ``register(klass, name=None)`` for subclasses of *base_class*."""
    table = _REGISTRY.setdefault(base_class, {})

    def register(klass: type, name: str | None = None) -> type:
        if not (isinstance(klass, type) and issubclass(klass, base_class)):
            raise AssertionError(f"Can only register subclass of {base_class.__name__}")
        key = (klass.__name__ if name is None else name).lower()
        old = table.get(key)
        if old is not None and old is not klass:
            warnings.warn(f"New {nickname} {klass.__module__}.{klass.__name__} registered with "
                          f"name {key} is overriding existing {nickname} "
                          f"{old.__module__}.{old.__name__}", UserWarning, stacklevel=2)
        table[key] = klass
        return klass

    register.__doc__ = f"Register {nickname} to the {nickname} factory"
    return register


def get_alias_func(base_class: type, nickname: str) -> Callable[..., Callable[[type], type]]:
    """An ``alias(*names)`` decorator registering a class under more names."""
    register = get_register_func(base_class, nickname)

    def alias(*aliases: str) -> Callable[[type], type]:
        def reg(klass: type) -> type:
            for name in aliases:
                register(klass, name)
            return klass
        return reg

    return alias


def get_create_func(base_class: type, nickname: str) -> Callable[..., Any]:
    """A ``create(name_or_instance, *args, **kwargs)`` for *base_class*'s table."""
    table = _REGISTRY.setdefault(base_class, {})

    def create(*args: Any, **kwargs: Any) -> Any:
        if args:
            name, args = args[0], args[1:]
        elif nickname in kwargs:
            name = kwargs.pop(nickname)
        else:
            raise TypeError(f"create: give the {nickname} (a name or an instance)")
        if isinstance(name, base_class):
            if args or kwargs:
                raise AssertionError(f"{nickname} is already an instance. Additional "
                                     f"arguments are invalid")
            return name
        if isinstance(name, dict):
            return create(**name)
        if not isinstance(name, str):
            raise AssertionError(f"{nickname} must be of string type, got "
                                 f"{type(name).__name__}")
        if name.startswith("["):
            if args or kwargs:
                raise AssertionError(f"create: a JSON {nickname} takes no extra arguments")
            name, kw = json.loads(name)
            return create(name, **kw)
        if name.startswith("{"):
            if args or kwargs:
                raise AssertionError(f"create: a JSON {nickname} takes no extra arguments")
            return create(**json.loads(name))
        key = name.lower()
        if key not in table:
            raise AssertionError(f"{key} is not registered. Please register with "
                                 f"{nickname}.register first")
        return table[key](*args, **kwargs)

    create.__doc__ = (f"Create a {nickname} instance from a name, a config dict or JSON, or "
                      f"return a {base_class.__name__} instance as it is.")
    return create
