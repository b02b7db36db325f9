"""``mxnet.gluon.data.vision.transforms``: image transforms as Blocks.

Each transform is a Block (a HybridBlock where MXNet's is one) applied to an (H, W, C)
image, or, for the deterministic ones and the random flips and colour jitters, to an
(N, H, W, C) batch (one random draw per image).  ToTensor turns images into float32
(C, H, W) tensors in [0, 1], which Normalize takes.  The work is done by the image ops
(:mod:`ndengine.image._ops`): every transform pushes its op and returns at once.

Randomness: the crops (RandomResizedCrop) and RandomApply draw from Python's
``random``, RandomRotation from NumPy's global generator, as MXNet; the flips and
colour jitters from the device generator (``mx.random.seed``).

Transforms that treat each image of a batch as they treat one image (ToTensor,
Normalize, Resize, Cast, CropResize, CenterCrop; the random flips and colour jitters,
which draw independently per image; Compose / HybridSequential of them) are applied to
whole batches by the DataLoader when a dataset's ``transform_first`` uses them (see
:mod:`..dataloader`).  For the random ones the draws are then made batch by batch
rather than sample by sample: for a seed the values differ from a per-sample run,
their distribution does not.  RandomResizedCrop, RandomApply and the rotations run per
sample.
"""
from __future__ import annotations

import random
from typing import Any

import numpy as _onp

from .... import image
from ....image import _ops
from ....ndarray.ndarray import NDArray
from ....ndarray.ops import ShapeError
from ...block import Block, HybridBlock
from ...nn import HybridSequential, Sequential

__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "Rotate", "RandomRotation",
           "RandomResizedCrop", "CropResize", "CenterCrop", "Resize", "RandomFlipLeftRight",
           "RandomFlipTopBottom", "RandomBrightness", "RandomContrast", "RandomSaturation",
           "RandomHue", "RandomColorJitter", "RandomLighting", "RandomApply", "Block",
           "HybridBlock", "Sequential", "HybridSequential", "image"]


def _size_pair(size: Any, name: str) -> tuple[int, int]:
    if isinstance(size, (int, _onp.integer)) and not isinstance(size, bool):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{name}: size must be an int or (width, height), got {size!r}")


def batchable(fn: Any) -> bool:
    """Whether *fn* applied to a stacked batch gives the stack of its results."""
    if isinstance(fn, (Sequential, HybridSequential)) and not isinstance(fn, RandomApply):
        return all(batchable(b) for b in fn._children.values())
    return bool(getattr(fn, "_batchable", False))


class Compose(Sequential):
    """Apply *transforms* in order (consecutive HybridBlocks are grouped in a
    HybridSequential, as in MXNet)."""

    def __init__(self, transforms: list) -> None:
        super().__init__()
        hybrid: list = []
        for t in list(transforms) + [None]:
            if isinstance(t, HybridBlock):
                hybrid.append(t)
                continue
            if len(hybrid) == 1:
                self.add(hybrid[0])
            elif len(hybrid) > 1:
                block = HybridSequential()
                block.add(*hybrid)
                block.hybridize()
                self.add(block)
            hybrid = []
            if t is not None:
                if not isinstance(t, Block):
                    raise TypeError(f"Compose: transforms must be Blocks, got "
                                    f"{type(t).__name__}")
                self.add(t)


class Cast(HybridBlock):
    """Cast to *dtype* (default float32)."""
    _batchable = True

    def __init__(self, dtype: Any = "float32") -> None:
        super().__init__()
        self._dtype = dtype

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x.astype(self._dtype)


class ToTensor(HybridBlock):
    """(H, W, C) / (N, H, W, C) images in [0, 255] to float32 (C, H, W) /
    (N, C, H, W) tensors in [0, 1]."""
    _batchable = True

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return _ops.to_tensor(x)


class Normalize(HybridBlock):
    """``(x - mean) / std`` per channel of (C, H, W) / (N, C, H, W) tensors; *mean*
    and *std* are numbers or one value per channel."""
    _batchable = True

    def __init__(self, mean: Any = 0.0, std: Any = 1.0) -> None:
        super().__init__()
        self._mean = mean
        self._std = std

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return _ops.normalize(x, self._mean, self._std)


def _need_float32(x: Any) -> None:
    if getattr(x, "dtype", None) != _onp.float32:
        raise TypeError("This transformation only supports float32. Consider calling it "
                        "after ToTensor")


class Rotate(Block):
    """Rotate float32 (C, H, W) / (N, C, H, W) images by *rotation_degrees* (see
    ``mx.image.imrotate``)."""

    def __init__(self, rotation_degrees: float, zoom_in: bool = False,
                 zoom_out: bool = False) -> None:
        super().__init__()
        self._args = (rotation_degrees, zoom_in, zoom_out)

    def forward(self, x: Any) -> Any:
        _need_float32(x)
        return image.imrotate(x, *self._args)


class RandomRotation(Block):
    """Rotate float32 (C, H, W) / (N, C, H, W) images by an angle drawn from
    *angle_limits*, with probability *rotate_with_proba* (NumPy's global generator)."""

    def __init__(self, angle_limits: tuple, zoom_in: bool = False, zoom_out: bool = False,
                 rotate_with_proba: float = 1.0) -> None:
        super().__init__()
        lower, upper = angle_limits
        if lower >= upper:
            raise ValueError("`angle_limits` must be an ordered tuple")
        if rotate_with_proba < 0 or rotate_with_proba > 1:
            raise ValueError("Probability of rotating the image should be between 0 and 1")
        self._args = (angle_limits, zoom_in, zoom_out)
        self._rotate_with_proba = rotate_with_proba

    def forward(self, x: Any) -> Any:
        if _onp.random.random() > self._rotate_with_proba:
            return x
        _need_float32(x)
        return image.random_rotate(x, *self._args)


def _single_image(x: Any, name: str) -> None:
    if getattr(x, "ndim", None) != 3:
        raise ShapeError(f"{name}: takes one (H, W, C) image, got shape "
                         f"{tuple(getattr(x, 'shape', ()))} (apply it to each sample, "
                         f"e.g. with dataset.transform_first)")


class RandomResizedCrop(Block):
    """A crop of random area (*scale* of the image's) and aspect ratio (*ratio*),
    resized to *size* (w, h) (Python's ``random``)."""

    def __init__(self, size: Any, scale: tuple = (0.08, 1.0),
                 ratio: tuple = (3.0 / 4.0, 4.0 / 3.0), interpolation: int = 1) -> None:
        super().__init__()
        self._args = (_size_pair(size, "RandomResizedCrop"), scale, ratio, interpolation)

    def forward(self, x: Any) -> Any:
        _single_image(x, "RandomResizedCrop")
        return image.random_size_crop(x, *self._args)[0]


class CropResize(HybridBlock):
    """The box (x, y, width, height), optionally resized to *size* (an int or (w, h))
    with *interpolation* (default bilinear)."""
    _batchable = True

    def __init__(self, x: int, y: int, width: int, height: int, size: Any = None,
                 interpolation: int | None = None) -> None:
        super().__init__()
        self._x = x
        self._y = y
        self._width = width
        self._height = height
        self._size = size
        self._interpolation = interpolation

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        out = _ops.crop(x, self._x, self._y, self._width, self._height)
        if self._size:
            interp = 1 if self._interpolation is None else self._interpolation
            out = _ops.resize(out, self._size, False, interp)
        return out


class CenterCrop(Block):
    """The centred crop of *size* (an int or (w, h)), scaled down to fit and resized
    back to *size* if the image is smaller."""
    _batchable = True

    def __init__(self, size: Any, interpolation: int = 1) -> None:
        super().__init__()
        self._args = (_size_pair(size, "CenterCrop"), interpolation)

    def forward(self, x: Any) -> Any:
        if getattr(x, "ndim", None) == 4:
            return self._batch(x)
        return image.center_crop(x, *self._args)[0]

    def _batch(self, x: NDArray) -> NDArray:
        (w0, h0), interp = self._args
        h, w = x.shape[1], x.shape[2]
        new_w, new_h = image.scale_down((w, h), (w0, h0))
        out = _ops.crop(x, int((w - new_w) / 2), int((h - new_h) / 2), new_w, new_h)
        if (new_w, new_h) != (w0, h0):
            out = _ops.resize_hw(out, h0, w0, image.image._get_interp_method(
                interp, (new_h, new_w, h0, w0)), "CenterCrop")
        return out


class Resize(HybridBlock):
    """Resize (H, W, C) / (N, H, W, C) images to *size* ((w, h), or an int: a square,
    or the shorter edge with *keep_ratio*) with *interpolation* (default bilinear)."""
    _batchable = True

    def __init__(self, size: Any, keep_ratio: bool = False, interpolation: int = 1) -> None:
        super().__init__()
        self._keep = keep_ratio
        self._size = size
        self._interpolation = interpolation

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return _ops.resize(x, self._size, self._keep, self._interpolation)


class RandomFlipLeftRight(HybridBlock):
    """Mirror left to right with probability 0.5 (per image of a batch)."""
    _batchable = True

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return _ops.random_flip_left_right(x)


class RandomFlipTopBottom(HybridBlock):
    """Mirror top to bottom with probability 0.5 (per image of a batch)."""
    _batchable = True

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return _ops.random_flip_top_bottom(x)


class _RandomFactor(HybridBlock):
    _op = staticmethod(_ops.random_brightness)

    def __init__(self, amount: float) -> None:
        super().__init__()
        self._args = (max(0, 1 - amount), 1 + amount)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return type(self)._op(x, *self._args)


class RandomBrightness(_RandomFactor):
    """Scale by a factor drawn from [max(0, 1 - brightness), 1 + brightness]."""
    _batchable = True
    _op = staticmethod(_ops.random_brightness)

    def __init__(self, brightness: float) -> None:
        super().__init__(brightness)


class RandomContrast(_RandomFactor):
    """Contrast jitter by a factor drawn from [max(0, 1 - contrast), 1 + contrast]."""
    _op = staticmethod(_ops.random_contrast)

    def __init__(self, contrast: float) -> None:
        super().__init__(contrast)


class RandomSaturation(_RandomFactor):
    """Saturation jitter by a factor drawn from [max(0, 1 - saturation),
    1 + saturation]."""
    _op = staticmethod(_ops.random_saturation)

    def __init__(self, saturation: float) -> None:
        super().__init__(saturation)


class RandomHue(_RandomFactor):
    """Hue turn of ``a * 360`` degrees, a drawn from [max(0, 1 - hue), 1 + hue]."""
    _op = staticmethod(_ops.random_hue)

    def __init__(self, hue: float) -> None:
        super().__init__(hue)


class RandomColorJitter(HybridBlock):
    """Brightness, contrast, saturation and hue jitters in a random order."""
    _batchable = True

    def __init__(self, brightness: float = 0, contrast: float = 0, saturation: float = 0,
                 hue: float = 0) -> None:
        super().__init__()
        self._args = (brightness, contrast, saturation, hue)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return _ops.random_color_jitter(x, *self._args)


class RandomLighting(HybridBlock):
    """AlexNet-style PCA lighting noise of standard deviation *alpha*."""
    _batchable = True

    def __init__(self, alpha: float) -> None:
        super().__init__()
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return _ops.random_lighting(x, self._alpha)


class RandomApply(Sequential):
    """Apply *transforms* (a Block) with probability *p* (Python's ``random``)."""

    def __init__(self, transforms: Any, p: float = 0.5) -> None:
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, x: Any) -> Any:
        if self.p < random.random():
            return x
        return self.transforms(x)


from ....base import module_dir as _module_dir  # noqa: E402

__dir__ = _module_dir(globals(), hide=('NDArray', 'ShapeError'))
