"""``mxnet.image``: image decoding, resizing, cropping and augmentation (see
:mod:`.image`), the detection augmenters (:mod:`.detection`, also ``det``), and the
image ops behind ``gluon.data.vision.transforms`` (to_tensor, normalize, resize, crop,
the flips and colour ops: :mod:`._ops`), which MXNet has in ``npx.image`` (ndengine's
``npx.image`` is this module)."""
from . import detection, image
from . import detection as det
from ._ops import *  # noqa: F401,F403
from ._ops import __all__ as _ops_all
from .detection import *  # noqa: F401,F403
from .detection import __all__ as _det_all
from .image import *  # noqa: F401,F403
from .image import __all__ as _image_all

__all__ = list(_image_all) + list(_det_all) + list(_ops_all) + ["image", "detection", "det"]
