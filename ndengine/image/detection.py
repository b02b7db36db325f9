"""``mxnet.image.detection`` (also ``mxnet.image.det``): augmenters for object detection.

A detection augmenter maps ``(image, label)`` to ``(image, label)``: the image is an
(H, W, C) array, the label a NumPy array with one row per object,
``[class, xmin, ymin, xmax, ymax, ...]``, corners as fractions of the image's width and
height.  Crops and pads move and clip the boxes (and drop the objects a crop leaves
out); a flip mirrors them.  Randomness is Python's ``random``, as in MXNet, so
``random.seed`` reproduces MXNet's choices.

``ImageDetIter`` (RecordIO and image lists) is not built.
"""
from __future__ import annotations

import json
import logging
import math
import random
import warnings
from typing import Any

import numpy as _onp

from ..ndarray.ndarray import NDArray
from . import _ops
from .image import (Augmenter, CastAug, ColorJitterAug, ColorNormalizeAug, ForceResizeAug,
                    HueJitterAug, LightingAug, RandomGrayAug, ResizeAug, _is_legacy, _like,
                    _np_of, copyMakeBorder, fixed_crop)

__all__ = ["DetAugmenter", "DetBorrowAug", "DetRandomSelectAug", "DetHorizontalFlipAug",
           "DetRandomCropAug", "DetRandomPadAug", "CreateMultiRandCropAugmenter",
           "CreateDetAugmenter"]


def _pair(v: Any, name: str, cls: str) -> tuple:
    if isinstance(v, (tuple, list)):
        return tuple(v)
    if not isinstance(v, (int, float)):
        raise TypeError(f"{cls}: {name} must be a number or a (low, high) pair, got {v!r}")
    logging.info("Using fixed %s: %s in %s", name, v, cls)
    return (v, v)


class DetAugmenter:
    """Base class of the detection augmenters: ``aug(src, label)`` returns the
    augmented ``(src, label)``; ``dumps()`` describes it as JSON."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        for k, v in self._kwargs.items():
            if isinstance(v, NDArray) or _is_legacy(v):
                v = v.asnumpy()
            if isinstance(v, _onp.ndarray):
                self._kwargs[k] = v.tolist()

    def dumps(self) -> Any:
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, src: Any, label: Any) -> tuple:
        raise NotImplementedError(f"{type(self).__name__} must override __call__")


class DetBorrowAug(DetAugmenter):
    """Apply an image Augmenter that leaves the boxes as they are (colour, cast...)."""

    def __init__(self, augmenter: Augmenter) -> None:
        if not isinstance(augmenter, Augmenter):
            raise TypeError("Borrowing from invalid Augmenter")
        super().__init__(augmenter=augmenter.dumps())
        self.augmenter = augmenter

    def dumps(self) -> Any:
        return [self.__class__.__name__.lower(), self.augmenter.dumps()]

    def __call__(self, src: Any, label: Any) -> tuple:
        return self.augmenter(src), label


class DetRandomSelectAug(DetAugmenter):
    """Apply one augmenter of *aug_list* drawn at random, or none with probability
    *skip_prob*."""

    def __init__(self, aug_list: Any, skip_prob: float = 0) -> None:
        super().__init__(skip_prob=skip_prob)
        if not isinstance(aug_list, (list, tuple)):
            aug_list = [aug_list]
        for aug in aug_list:
            if not isinstance(aug, DetAugmenter):
                raise ValueError("Allow DetAugmenter in list only")
        self.aug_list = list(aug_list)
        self.skip_prob = skip_prob if self.aug_list else 1

    def dumps(self) -> Any:
        return [self.__class__.__name__.lower(), [x.dumps() for x in self.aug_list]]

    def __call__(self, src: Any, label: Any) -> tuple:
        if random.random() < self.skip_prob:
            return src, label
        random.shuffle(self.aug_list)
        return self.aug_list[0](src, label)


class DetHorizontalFlipAug(DetAugmenter):
    """Mirror the image and its boxes left to right with probability *p* (the label is
    changed in place, as in MXNet)."""

    def __init__(self, p: float) -> None:
        super().__init__(p=p)
        self.p = p

    def __call__(self, src: Any, label: Any) -> tuple:
        if random.random() < self.p:
            src = _like(_ops.flip_left_right(_np_of(src, "DetHorizontalFlipAug")), src)
            left = 1.0 - label[:, 3]
            label[:, 3] = 1.0 - label[:, 1]
            label[:, 1] = left
        return src, label


def _areas(boxes: Any) -> Any:
    """Areas of (n, 4+) [xmin, ymin, xmax, ymax] boxes (0 for inverted ones)."""
    return _onp.maximum(0, boxes[:, 3] - boxes[:, 1]) * _onp.maximum(0, boxes[:, 2] - boxes[:, 0])


class DetRandomCropAug(DetAugmenter):
    """A random crop of area in *area_range* (fractions of the image) and aspect
    ratio (w / h) in *aspect_ratio_range* that covers at least *min_object_covered*
    of every object it touches; objects left with less than *min_eject_coverage* of
    their area are dropped.  *max_attempts* proposals, else the image is kept."""

    def __init__(self, min_object_covered: float = 0.1,
                 aspect_ratio_range: Any = (0.75, 1.33), area_range: Any = (0.05, 1.0),
                 min_eject_coverage: float = 0.3, max_attempts: int = 50) -> None:
        aspect_ratio_range = _pair(aspect_ratio_range, "aspect ratio", "DetRandomCropAug")
        area_range = _pair(area_range, "area range", "DetRandomCropAug")
        super().__init__(min_object_covered=min_object_covered,
                         aspect_ratio_range=aspect_ratio_range, area_range=area_range,
                         min_eject_coverage=min_eject_coverage, max_attempts=max_attempts)
        self.min_object_covered = min_object_covered
        self.min_eject_coverage = min_eject_coverage
        self.max_attempts = max_attempts
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.enabled = False
        if area_range[1] <= 0 or area_range[0] > area_range[1]:
            warnings.warn(f"Skip DetRandomCropAug due to invalid area_range: {area_range}",
                          stacklevel=2)
        elif aspect_ratio_range[0] > aspect_ratio_range[1] or aspect_ratio_range[0] <= 0:
            warnings.warn(f"Skip DetRandomCropAug due to invalid aspect_ratio_range: "
                          f"{aspect_ratio_range}", stacklevel=2)
        else:
            self.enabled = True

    def __call__(self, src: Any, label: Any) -> tuple:
        x = _np_of(src, "DetRandomCropAug")
        crop = self._random_crop_proposal(label, x.shape[0], x.shape[1])
        if crop:
            x0, y0, w, h, label = crop
            src = fixed_crop(src, x0, y0, w, h, None)
        return src, label

    def _covers_enough(self, label: Any, x1: int, y1: int, x2: int, y2: int, width: int,
                       height: int) -> bool:
        if (x2 - x1) * (y2 - y1) < 2:
            return False
        boxes = label[:, 1:]
        areas = _areas(boxes)
        valid = _onp.where(areas * width * height > 2)[0]
        if valid.size < 1:
            return False
        b = boxes[valid]
        left = _onp.maximum(b[:, 0], x1 / width)
        right = _onp.minimum(b[:, 2], x2 / width)
        top = _onp.maximum(b[:, 1], y1 / height)
        bottom = _onp.minimum(b[:, 3], y2 / height)
        inter = _onp.stack([left, top, right, bottom], axis=1)
        inter[(left >= right) | (top >= bottom)] = 0
        coverage = _areas(inter) / areas[valid]
        coverage = coverage[coverage > 0]
        return coverage.size > 0 and coverage.min() > self.min_object_covered

    def _moved_labels(self, label: Any, box: tuple, height: int, width: int) -> Any:
        x0, y0 = box[0] / width, box[1] / height
        w, h = box[2] / width, box[3] / height
        out = label.copy()
        out[:, (1, 3)] = (out[:, (1, 3)] - x0) / w
        out[:, (2, 4)] = (out[:, (2, 4)] - y0) / h
        out[:, 1:5] = _onp.clip(out[:, 1:5], 0, 1)
        coverage = _areas(out[:, 1:]) * w * h / _areas(label[:, 1:])
        keep = (out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2]) & \
            (coverage > self.min_eject_coverage)
        keep = _onp.where(keep)[0]
        return out[keep] if keep.size else None

    def _random_crop_proposal(self, label: Any, height: int, width: int) -> tuple:
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        for _ in range(self.max_attempts):
            ratio = random.uniform(*self.aspect_ratio_range)
            if ratio <= 0:
                continue
            h = int(round(math.sqrt(min_area / ratio)))
            max_h = int(round(math.sqrt(max_area / ratio)))
            if round(max_h * ratio) > width:
                max_h = int((width + 0.4999999) / ratio)
            max_h = min(max_h, height)
            h = min(h, max_h)
            if h < max_h:
                h = random.randint(h, max_h)
            w = int(round(h * ratio))
            area = w * h
            if area < min_area:
                h += 1
                w = int(round(h * ratio))
                area = w * h
            if area > max_area:
                h -= 1
                w = int(round(h * ratio))
                area = w * h
            if not (min_area <= area <= max_area and 0 <= w <= width and 0 <= h <= height):
                continue
            y = random.randint(0, max(0, height - h))
            x = random.randint(0, max(0, width - w))
            if self._covers_enough(label, x, y, x + w, y + h, width, height):
                moved = self._moved_labels(label, (x, y, w, h), height, width)
                if moved is not None:
                    return x, y, w, h, moved
        return ()


class DetRandomPadAug(DetAugmenter):
    """Place the image at a random spot of a larger canvas (area in *area_range*
    times the image's, aspect ratio in *aspect_ratio_range*) filled with *pad_val*."""

    def __init__(self, aspect_ratio_range: Any = (0.75, 1.33), area_range: Any = (1.0, 3.0),
                 max_attempts: int = 50, pad_val: Any = (128, 128, 128)) -> None:
        if not isinstance(pad_val, (list, tuple)):
            if not isinstance(pad_val, (int, float)):
                raise TypeError(f"DetRandomPadAug: pad_val must be a number or one per "
                                f"channel, got {pad_val!r}")
        aspect_ratio_range = _pair(aspect_ratio_range, "aspect ratio", "DetRandomPadAug")
        area_range = _pair(area_range, "area range", "DetRandomPadAug")
        super().__init__(aspect_ratio_range=aspect_ratio_range, area_range=area_range,
                         max_attempts=max_attempts, pad_val=pad_val)
        self.pad_val = pad_val
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.max_attempts = max_attempts
        self.enabled = False
        if area_range[1] <= 1.0 or area_range[0] > area_range[1]:
            warnings.warn(f"Skip DetRandomPadAug due to invalid parameters: {area_range}",
                          stacklevel=2)
        elif aspect_ratio_range[0] <= 0 or aspect_ratio_range[0] > aspect_ratio_range[1]:
            warnings.warn(f"Skip DetRandomPadAug due to invalid aspect_ratio_range: "
                          f"{aspect_ratio_range}", stacklevel=2)
        else:
            self.enabled = True

    def __call__(self, src: Any, label: Any) -> tuple:
        x = _np_of(src, "DetRandomPadAug")
        height, width = x.shape[0], x.shape[1]
        pad = self._random_pad_proposal(label, height, width)
        if pad:
            x0, y0, w, h, label = pad
            values = self.pad_val if isinstance(self.pad_val, (list, tuple)) else ()
            value = 0.0 if values else float(self.pad_val)
            src = copyMakeBorder(src, y0, h - y0 - height, x0, w - x0 - width, 0, value=value,
                                 values=values)
        return src, label

    def _random_pad_proposal(self, label: Any, height: int, width: int) -> tuple:
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        for _ in range(self.max_attempts):
            ratio = random.uniform(*self.aspect_ratio_range)
            if ratio <= 0:
                continue
            h = int(round(math.sqrt(min_area / ratio)))
            max_h = int(round(math.sqrt(max_area / ratio)))
            if round(h * ratio) < width:
                h = int((width + 0.499999) / ratio)
            h = max(h, height)
            h = min(h, max_h)
            if h < max_h:
                h = random.randint(h, max_h)
            w = int(round(h * ratio))
            if (h - height) < 2 or (w - width) < 2:
                continue
            y = random.randint(0, max(0, h - height))
            x = random.randint(0, max(0, w - width))
            out = label.copy()
            out[:, (1, 3)] = (out[:, (1, 3)] * width + x) / w
            out[:, (2, 4)] = (out[:, (2, 4)] * height + y) / h
            return x, y, w, h, out
        return ()


def CreateMultiRandCropAugmenter(min_object_covered: Any = 0.1,
                                 aspect_ratio_range: Any = (0.75, 1.33),
                                 area_range: Any = (0.05, 1.0), min_eject_coverage: Any = 0.3,
                                 max_attempts: Any = 50, skip_prob: float = 0) -> DetRandomSelectAug:
    """A DetRandomSelectAug over DetRandomCropAugs: each parameter is one value or a
    list (one per augmenter; lists of one value are repeated)."""
    params = [p if isinstance(p, list) else [p] for p in
              (min_object_covered, aspect_ratio_range, area_range, min_eject_coverage,
               max_attempts)]
    num = max(len(p) for p in params)
    for k, p in enumerate(params):
        if len(p) != num:
            if len(p) != 1:
                raise ValueError(f"CreateMultiRandCropAugmenter: parameter lists must have "
                                 f"1 or {num} values, got {p}")
            params[k] = p * num
    augs = [DetRandomCropAug(min_object_covered=moc, aspect_ratio_range=arr, area_range=ar,
                             min_eject_coverage=mec, max_attempts=ma)
            for moc, arr, ar, mec, ma in zip(*params)]
    return DetRandomSelectAug(augs, skip_prob=skip_prob)


def _check_stat(v: Any, name: str) -> None:
    if not isinstance(v, _onp.ndarray) or v.shape[0] not in (1, 3):
        raise ValueError(f"CreateDetAugmenter: {name} must be True, None or a NumPy array "
                         f"of 1 or 3 values, got {v!r}")


def CreateDetAugmenter(data_shape: tuple, resize: int = 0, rand_crop: float = 0,
                       rand_pad: float = 0, rand_gray: float = 0, rand_mirror: bool = False,
                       mean: Any = None, std: Any = None, brightness: float = 0,
                       contrast: float = 0, saturation: float = 0, pca_noise: float = 0,
                       hue: float = 0, inter_method: int = 2, min_object_covered: Any = 0.1,
                       aspect_ratio_range: Any = (0.75, 1.33), area_range: Any = (0.05, 3.0),
                       min_eject_coverage: Any = 0.3, max_attempts: Any = 50,
                       pad_val: Any = (127, 127, 127)) -> list:
    """MXNet's standard detection augmenter list for *data_shape* (C, H, W): resize,
    random crops (probability *rand_crop*), mirror, random pad (*rand_pad*), forced
    resize, cast, colour jitters, PCA noise, grey, normalization."""
    auglist: list = []
    if resize > 0:
        auglist.append(DetBorrowAug(ResizeAug(resize, inter_method)))
    if rand_crop > 0:
        auglist.append(CreateMultiRandCropAugmenter(min_object_covered, aspect_ratio_range,
                                                    area_range, min_eject_coverage,
                                                    max_attempts, skip_prob=(1 - rand_crop)))
    if rand_mirror > 0:
        auglist.append(DetHorizontalFlipAug(0.5))
    if rand_pad > 0:
        pad = DetRandomPadAug(aspect_ratio_range, (1.0, area_range[1]), max_attempts, pad_val)
        auglist.append(DetRandomSelectAug([pad], 1 - rand_pad))
    auglist.append(DetBorrowAug(ForceResizeAug((data_shape[2], data_shape[1]), inter_method)))
    auglist.append(DetBorrowAug(CastAug()))
    if brightness or contrast or saturation:
        auglist.append(DetBorrowAug(ColorJitterAug(brightness, contrast, saturation)))
    if hue:
        auglist.append(DetBorrowAug(HueJitterAug(hue)))
    if pca_noise > 0:
        eigval = _onp.array([55.46, 4.794, 1.148])
        eigvec = _onp.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                             [-0.5836, -0.6948, 0.4203]])
        auglist.append(DetBorrowAug(LightingAug(pca_noise, eigval, eigvec)))
    if rand_gray > 0:
        auglist.append(DetBorrowAug(RandomGrayAug(rand_gray)))
    if mean is True:
        mean = _onp.array([123.68, 116.28, 103.53])
    elif mean is not None:
        _check_stat(mean, "mean")
    if std is True:
        std = _onp.array([58.395, 57.12, 57.375])
    elif std is not None:
        _check_stat(std, "std")
    if mean is not None or std is not None:
        auglist.append(DetBorrowAug(ColorNormalizeAug(mean, std)))
    return auglist

