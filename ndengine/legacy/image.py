"""``mx.nd.image``: the image ops (to_tensor, normalize, resize, crop, flips, the random
colour augmenters) of ndengine.image on legacy arrays: the np array behind the input
goes in, the result comes back as a legacy array."""
from __future__ import annotations

import functools
from typing import Any

from .. import image as _image
from .ndarray import unwrap, wrap_all

_NAMES = ["adjust_lighting", "crop", "flip_left_right", "flip_top_bottom", "normalize",
          "random_brightness", "random_color_jitter", "random_contrast",
          "random_flip_left_right", "random_flip_top_bottom", "random_hue", "random_lighting",
          "random_saturation", "resize", "to_tensor"]
__all__ = [n for n in _NAMES if callable(getattr(_image, n, None))]


def _legacy(fn: Any) -> Any:
    @functools.wraps(fn)
    def f(*args: Any, **kwargs: Any) -> Any:
        args = tuple(unwrap(a) for a in args)
        kwargs = {k: unwrap(v) for k, v in kwargs.items()}
        return wrap_all(fn(*args, **kwargs))
    f.__doc__ = (fn.__doc__ or "") + "\n\n(mx.nd.image: on legacy NDArrays.)"
    return f


for _n in __all__:
    globals()[_n] = _legacy(getattr(_image, _n))
