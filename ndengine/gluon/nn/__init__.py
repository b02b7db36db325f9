"""``mxnet.gluon.nn``: layers.  ``hybridize()`` is accepted everywhere and records
nothing (see :mod:`ndengine.gluon.block`)."""
from ..block import Block, HybridBlock, SymbolBlock
from .activations import ELU, GELU, SELU, Activation, LeakyReLU, PReLU, Swish
from .basic_layers import (BatchNorm, Dense, Dropout, Embedding, Flatten, HybridLambda,
                           HybridSequential, Lambda, LayerNorm, Sequential)

__all__ = ["Block", "HybridBlock", "SymbolBlock", "Sequential", "HybridSequential", "Dense",
           "Dropout", "Flatten", "Lambda", "HybridLambda", "Embedding", "BatchNorm",
           "LayerNorm", "Activation", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Swish"]
