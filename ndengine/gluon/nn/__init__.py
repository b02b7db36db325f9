"""``mxnet.gluon.nn``: layers.  ``hybridize()`` is accepted everywhere and records
nothing (see :mod:`ndengine.gluon.block`)."""
from ..block import Block, HybridBlock, SymbolBlock
from .activations import ELU, GELU, SELU, Activation, LeakyReLU, PReLU, Swish
from .basic_layers import (BatchNorm, BatchNormReLU, Concatenate, Dense, Dropout, Embedding,
                           Flatten, GroupNorm, HybridConcatenate, HybridLambda,
                           HybridSequential, Identity, InstanceNorm, Lambda, LayerNorm,
                           Sequential)
from .conv_layers import (AvgPool1D, AvgPool2D, AvgPool3D, Conv1D, Conv1DTranspose, Conv2D,
                          Conv2DTranspose, Conv3D, Conv3DTranspose, GlobalAvgPool1D,
                          GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D, GlobalMaxPool2D,
                          GlobalMaxPool3D, MaxPool1D, MaxPool2D, MaxPool3D, ReflectionPad2D)

__all__ = ["Block", "HybridBlock", "SymbolBlock", "Sequential", "HybridSequential", "Dense",
           "Dropout", "Flatten", "Lambda", "HybridLambda", "Embedding", "BatchNorm",
           "BatchNormReLU", "LayerNorm", "InstanceNorm", "GroupNorm", "Identity",
           "Concatenate", "HybridConcatenate", "Activation", "LeakyReLU", "PReLU", "ELU",
           "SELU", "GELU", "Swish", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose",
           "Conv2DTranspose", "Conv3DTranspose", "MaxPool1D", "MaxPool2D", "MaxPool3D",
           "AvgPool1D", "AvgPool2D", "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
           "GlobalMaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
           "ReflectionPad2D"]


from ...base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals())
