"""``mxnet.gluon``: Parameter, Block/HybridBlock, nn layers, losses, Trainer, data.

Everything here pushes work to the engine and returns: a forward pass, a loss, the
backward pass (``ndengine.autograd``) and ``trainer.step`` block only when a value is
read (``asnumpy``, ``item``, ``print``, ``wait_to_read``).  ``hybridize()`` traces a
block's graph once and replays it as one engine op (see :mod:`.block`).  Parameter files
are MXNet's binary NDArray format (ndengine's older ``.npz`` files still load).
``model_zoo`` (MXNet 1.9.1's image models) and ``contrib`` load on first use.
"""
import importlib as _importlib

from . import data, loss, nn
from .block import Block, HybridBlock, SymbolBlock
from .parameter import Constant, DeferredInitializationError, Parameter, ParameterDict
from .trainer import Trainer

__all__ = ["Block", "HybridBlock", "SymbolBlock", "Parameter", "ParameterDict", "Constant",
           "DeferredInitializationError", "Trainer", "nn", "loss", "data", "utils"]


def __getattr__(name: str):
    if name in ("utils", "rnn", "model_zoo", "contrib"):
        try:
            mod = _importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as e:
            raise AttributeError(f"module 'ndengine.gluon' has no attribute {name!r} ({e})") \
                from None
        globals()[name] = mod
        return mod
    if name == "tensor_types":
        # MXNet's gluon.tensor_types: what a 1.x HybridBlock's hybrid_forward may be given
        from ..legacy import NDArray as _NDArray
        from ..symbol import Symbol as _Symbol

        globals()[name] = (_Symbol, _NDArray)
        return globals()[name]
    raise AttributeError(f"module 'ndengine.gluon' has no attribute {name!r}")


def __dir__() -> list[str]:
    import importlib.util

    subs = {n for n in ("utils", "rnn", "model_zoo", "contrib")
            if importlib.util.find_spec(f"{__name__}.{n}") is not None}
    return sorted(set(globals()) | subs | {"tensor_types"})


from ..base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals())
