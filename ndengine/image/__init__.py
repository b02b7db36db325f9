"""``mxnet.image``: image decoding, resizing, cropping and augmentation (see
:mod:`.image`), and the image ops behind ``gluon.data.vision.transforms`` (to_tensor,
normalize, resize, crop, the flips and colour ops: :mod:`._ops`), which MXNet has in
``npx.image`` (ndengine's ``npx.image`` is this module)."""
from . import image
from ._ops import *  # noqa: F401,F403
from ._ops import __all__ as _ops_all
from .image import *  # noqa: F401,F403
from .image import __all__ as _image_all

__all__ = list(_image_all) + list(_ops_all) + ["image"]
