"""Checkpoints of models built with ``mx.rnn`` cells: weights saved unpacked (per
gate), loaded packed (MXNet 1.9.1's ``save_rnn_checkpoint`` / ``load_rnn_checkpoint``
/ ``do_rnn_checkpoint``)."""
from __future__ import annotations

from typing import Any, Callable

from .rnn_cell import BaseRNNCell

__all__ = ["save_rnn_checkpoint", "load_rnn_checkpoint", "do_rnn_checkpoint"]


def _cells(cells: Any) -> list:
    return [cells] if isinstance(cells, BaseRNNCell) else list(cells)


def save_rnn_checkpoint(cells: Any, prefix: str, epoch: int, symbol: Any, arg_params: dict,
                        aux_params: dict) -> None:
    """``prefix-symbol.json`` and ``prefix-%04d.params`` with each cell's weights
    unpacked."""
    from ..model import save_checkpoint

    for cell in _cells(cells):
        arg_params = cell.unpack_weights(arg_params)
    save_checkpoint(prefix, epoch, symbol, arg_params, aux_params)


def load_rnn_checkpoint(cells: Any, prefix: str, epoch: int) -> tuple:
    """``(symbol, arg_params, aux_params)`` with each cell's weights packed again."""
    from ..model import load_checkpoint

    sym, arg, aux = load_checkpoint(prefix, epoch)
    for cell in _cells(cells):
        arg = cell.pack_weights(arg)
    return sym, arg, aux


def do_rnn_checkpoint(cells: Any, prefix: str, period: int = 1) -> Callable[..., None]:
    """An epoch-end callback saving an RNN checkpoint every *period* epochs."""
    period = int(max(1, period))

    def _callback(iter_no: int, sym: Any = None, arg: Any = None, aux: Any = None) -> None:
        if (iter_no + 1) % period == 0:
            save_rnn_checkpoint(cells, prefix, iter_no + 1, sym, arg, aux)
    return _callback
