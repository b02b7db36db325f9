"""``mx.model``: MXNet 1.x's checkpoint files and the callback record of its training
loops.

A checkpoint is two files: ``prefix-symbol.json`` (the graph, MXNet's JSON) and
``prefix-%04d.params`` (the epoch), an NDArray file in MXNet's binary format whose
names are ``arg:<name>`` for the arguments (weights) and ``aux:<name>`` for the
auxiliary states (BatchNorm's moving statistics).  Files written by MXNet load here
and the ones written here load in MXNet.
"""
from __future__ import annotations

import os
from typing import Any

from .base import MXNetError
from .callback import BatchEndParam
from .callback import save_checkpoint as _save_checkpoint

__all__ = ["BatchEndParam", "save_checkpoint", "load_checkpoint", "load_params"]


def save_checkpoint(prefix: str, epoch: int, symbol: Any, arg_params: dict,
                    aux_params: dict, remove_amp_cast: bool = True) -> None:
    """Write ``prefix-symbol.json`` (unless *symbol* is None) and
    ``prefix-%04d.params`` with *arg_params* as ``arg:name`` and *aux_params* as
    ``aux:name`` (each file atomically; a sync point: the values are read)."""
    _save_checkpoint(prefix, epoch, symbol, arg_params, aux_params,
                     remove_amp_cast=remove_amp_cast)


def load_params(prefix: str, epoch: int) -> tuple[dict, dict]:
    """``(arg_params, aux_params)`` from ``prefix-%04d.params`` (mx.nd arrays on the
    CPU, by name without the ``arg:``/``aux:`` prefix; other names are ignored, as in
    MXNet)."""
    from .legacy import load

    fname = f"{prefix}-{int(epoch):04d}.params"
    if not os.path.exists(fname):
        raise MXNetError(f"load_checkpoint: no parameter file {fname!r} (prefix {prefix!r}, "
                         f"epoch {epoch})")
    saved = load(fname)
    if not isinstance(saved, dict):
        raise MXNetError(f"load_checkpoint: {fname!r} holds {len(saved)} unnamed arrays; a "
                         f"checkpoint's arrays are named arg:<name> / aux:<name>")
    arg_params: dict = {}
    aux_params: dict = {}
    for key, value in saved.items():
        kind, sep, name = key.partition(":")
        if not sep:
            continue
        if kind == "arg":
            arg_params[name] = value
        elif kind == "aux":
            aux_params[name] = value
    return arg_params, aux_params


def load_checkpoint(prefix: str, epoch: int) -> tuple[Any, dict, dict]:
    """``(symbol, arg_params, aux_params)`` from ``prefix-symbol.json`` and
    ``prefix-%04d.params`` (see the module notes)."""
    from . import symbol as _sym

    sym = _sym.load(f"{prefix}-symbol.json")
    arg_params, aux_params = load_params(prefix, epoch)
    return sym, arg_params, aux_params
