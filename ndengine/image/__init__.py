"""``mxnet.image``: image decoding, resizing, cropping and augmentation (see
:mod:`.image`); the image ops behind ``gluon.data.vision.transforms`` are in
:mod:`._ops`."""
from . import image
from .image import *  # noqa: F401,F403
from .image import __all__ as _image_all

__all__ = list(_image_all) + ["image"]
