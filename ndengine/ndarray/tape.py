"""The hook through which array ops reach autograd, without importing it.

``STATE.recording`` is tested on every op; when true, dispatch calls
``STATE.record(opdef, inputs, outputs, params)``, which :mod:`ndengine.autograd`
installs.  Per thread, as in MXNet.
"""
from __future__ import annotations

import threading
from typing import Any, Callable


class _TapeState(threading.local):
    recording = False
    training = False
    record: Callable[..., Any] | None = None


STATE = _TapeState()
_recorder: list[Callable[..., Any]] = []


def set_recorder(fn: Callable[..., Any]) -> None:
    """Installed once by ndengine.autograd."""
    _recorder[:] = [fn]


def record(opdef: Any, inputs: tuple[Any, ...], outputs: Any, params: dict[str, Any]) -> None:
    if _recorder:
        _recorder[0](opdef, inputs, outputs, params)
