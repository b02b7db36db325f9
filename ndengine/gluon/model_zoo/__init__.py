"""``mxnet.gluon.model_zoo``: MXNet 1.9.1's predefined image models (``vision``) and its
store of pretrained parameter files (``model_store``).

The architectures are built block for block as MXNet builds them, so their parameters
have MXNet's names and shapes and MXNet's pretrained files load unchanged
(``pretrained=True`` looks for ``$MXNET_HOME/models/<name>-<hash>.params`` and downloads
it from MXNet's repository, or ``$MXNET_GLUON_REPO``, when it is missing).
"""
from . import model_store, vision

__all__ = ["model_store", "vision"]
