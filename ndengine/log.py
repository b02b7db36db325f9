"""``mx.log``: loggers with MXNet's compact coloured format
(``W1204 14:05:09 4242 train.py:main:12] message``) and the logging levels."""
from __future__ import annotations

import logging
import warnings
from typing import Any

__all__ = ["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "NOTSET", "getLogger",
           "get_logger"]

CRITICAL = logging.CRITICAL
ERROR = logging.ERROR
WARNING = logging.WARNING
INFO = logging.INFO
DEBUG = logging.DEBUG
NOTSET = logging.NOTSET

_LABELS = {CRITICAL: "C", ERROR: "E", WARNING: "W", INFO: "I", DEBUG: "D"}
_RED, _GREEN, _BLUE, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[34m", "\x1b[0m"


class _Formatter(logging.Formatter):
    """``<colour><level letter>MMDD HH:MM:SS pid path:function:line]<reset> message``."""

    def __init__(self) -> None:
        super().__init__(datefmt="%m%d %H:%M:%S")

    @staticmethod
    def _color(level: int) -> str:
        if level >= logging.WARNING:
            return _RED
        return _GREEN if level >= logging.INFO else _BLUE

    def format(self, record: logging.LogRecord) -> str:
        label = _LABELS.get(record.levelno, "U")
        self._style._fmt = (f"{self._color(record.levelno)}{label}%(asctime)s %(process)d "
                            f"%(pathname)s:%(funcName)s:%(lineno)d]{_RESET} %(message)s")
        return super().format(record)


def get_logger(name: str | None = None, filename: str | None = None,
               filemode: str | None = None, level: int = WARNING) -> logging.Logger:
    """The logger *name*.  The first time a named logger is asked for it gets a handler
    (a stream handler with MXNet's format, or a plain FileHandler on *filename*, opened
    with *filemode*, default ``'a'``) and *level*; later calls return it unchanged.  The
    root logger (``name=None``) is returned as it is."""
    logger = logging.getLogger(name)
    if name is not None and not getattr(logger, "_init_done", None):
        logger._init_done = True  # type: ignore[attr-defined]
        handler: Any
        if filename:
            handler = logging.FileHandler(filename, filemode or "a")
        else:
            handler = logging.StreamHandler()
            handler.setFormatter(_Formatter())
        logger.addHandler(handler)
        logger.setLevel(level)
    return logger


def getLogger(name: str | None = None, filename: str | None = None,
              filemode: str | None = None, level: int = WARNING) -> logging.Logger:
    """Deprecated name of :func:`get_logger` (warns)."""
    warnings.warn("getLogger is deprecated, Use get_logger instead.", DeprecationWarning,
                  stacklevel=2)
    return get_logger(name, filename, filemode, level)
