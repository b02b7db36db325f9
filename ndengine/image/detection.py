"""``mxnet.image.detection`` (also ``mxnet.image.det``): augmenters for object detection.

A detection augmenter maps ``(image, label)`` to ``(image, label)``: the image is an
(H, W, C) array, the label a NumPy array with one row per object,
``[class, xmin, ymin, xmax, ymax, ...]``, corners as fractions of the image's width and
height.  Crops and pads move and clip the boxes (and drop the objects a crop leaves
out); a flip mirrors them.  Randomness is Python's ``random``, as in MXNet, so
``random.seed`` reproduces MXNet's choices.

``ImageDetIter`` reads RecordIO files and image lists with detection labels into
batches (labels padded with -1 to the data set's largest object count).
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
                    HueJitterAug, ImageIter, ImageIterArgumentError, ImageIterError,
                    LightingAug, RandomGrayAug, ResizeAug, _is_legacy, _like, _np_of,
                    copyMakeBorder, fixed_crop)

__all__ = ["DetAugmenter", "DetBorrowAug", "DetRandomSelectAug", "DetHorizontalFlipAug",
           "DetRandomCropAug", "DetRandomPadAug", "CreateMultiRandCropAugmenter",
           "CreateDetAugmenter", "ImageDetIter"]


class ImageIterLabelError(ImageIterError, RuntimeError):
    """A detection label that is not ``[A, B, extra..., objects...]`` (MXNet raises
    RuntimeError; an image whose label fails after augmentation is skipped)."""


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



# ----------------------------------------------------------------------------- iterator
class ImageDetIter(ImageIter):
    """MXNet's detection iterator: :class:`ImageIter`'s sources and last-batch rules,
    with detection labels.  A raw label is ``[A, B, extra (A - 2 values)..., objects]``:
    *A* the header's width (>= 2), *B* each object's width (>= 5: class, xmin, ymin,
    xmax, ymax, ...); objects whose box is empty or inverted are dropped.  Each batch's
    label is (batch_size, max objects, B), rows past an image's objects -1; the object
    count is the largest of the data set (all labels are read once when the iterator is
    made; ``sync_label_shape`` / ``reshape`` change it).  Images go through *aug_list*
    (default: ``CreateDetAugmenter(data_shape, **kwargs)``), which maps
    ``(image, label)`` pairs."""

    def __init__(self, batch_size: int, data_shape: tuple, path_imgrec: str | None = None,
                 path_imglist: str | None = None, path_root: str | None = None,
                 path_imgidx: str | None = None, shuffle: bool = False, part_index: int = 0,
                 num_parts: int = 1, aug_list: list | None = None, imglist: list | None = None,
                 data_name: str = "data", label_name: str = "label",
                 last_batch_handle: str = "pad", **kwargs: Any) -> None:
        super().__init__(batch_size=batch_size, data_shape=data_shape,
                         path_imgrec=path_imgrec, path_imglist=path_imglist,
                         path_root=path_root, path_imgidx=path_imgidx, shuffle=shuffle,
                         part_index=part_index, num_parts=num_parts, aug_list=[],
                         imglist=imglist, data_name=data_name, label_name=label_name,
                         last_batch_handle=last_batch_handle)
        self.auglist = CreateDetAugmenter(tuple(data_shape), **kwargs) if aug_list is None \
            else aug_list
        label_shape = self._estimate_label_shape()
        self.provide_label = [(label_name, (self.batch_size,) + label_shape)]
        self.label_shape = label_shape

    def _check_valid_label(self, label: Any) -> None:
        """RuntimeError (the image is skipped) unless *label* is (1+, 5+) with a valid
        box."""
        if len(label.shape) != 2 or label.shape[1] < 5:
            raise RuntimeError(f"Label with shape (1+, 5+) required, {label} received.")
        valid = _onp.where((label[:, 0] >= 0) & (label[:, 3] > label[:, 1]) &
                           (label[:, 4] > label[:, 2]))[0]
        if valid.size < 1:
            raise RuntimeError("Invalid label occurs.")

    def _estimate_label_shape(self) -> tuple:
        """(largest object count, object width) over every label of the data."""
        max_count = 0
        width = None
        self.reset()
        try:
            while True:
                label, _ = self.next_sample()
                label = self._parse_label(label)
                max_count = max(max_count, label.shape[0])
                width = label.shape[1]
        except StopIteration:
            pass
        self.reset()
        if width is None:
            raise ImageIterError(f"{self._who}: {self._source()!r} has no images (the "
                                 f"label shape is read from them)")
        return (max_count, width)

    def _parse_label(self, label: Any) -> Any:
        """The (objects, B) array of a raw label ``[A, B, extra..., objects...]``,
        objects with an empty box dropped."""
        if isinstance(label, NDArray) or _is_legacy(label):
            label = label.asnumpy()
        raw = _onp.asarray(label, dtype=_onp.float32).ravel()
        where = self._where or "a label"
        if raw.size < 7:
            raise ImageIterLabelError(
                f"{self._who}: {where}: Label shape is invalid: {raw.shape} (a detection "
                f"label is [header width, object width, extra..., objects...], at least 7 "
                f"values; got {raw.tolist()})")
        header_width = int(raw[0])
        obj_width = int(raw[1])
        if header_width < 2 or obj_width < 5 or \
                (raw.size - header_width) % obj_width != 0:
            raise ImageIterLabelError(
                f"{self._who}: {where}: Label shape {raw.shape} inconsistent with header "
                f"width {header_width} and annotation width {obj_width} (the header is "
                f">= 2 values, each object >= 5)")
        out = raw[header_width:].reshape(-1, obj_width)
        valid = _onp.where((out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2]))[0]
        if valid.size < 1:
            raise ImageIterLabelError(f"{self._who}: {where}: Encounter sample with no "
                                      f"valid label (no object has xmax > xmin and "
                                      f"ymax > ymin).")
        return out[valid, :]

    def reshape(self, data_shape: tuple | None = None, label_shape: tuple | None = None) -> None:
        """Change the batches' data shape (C, H, W) and/or label shape (objects, B):
        the object count may only grow.  (The augmenters are not rebuilt, as in MXNet:
        give ones that make the new size.)"""
        if data_shape is not None:
            data_shape = tuple(data_shape)
            self.check_data_shape(data_shape)
            self.provide_data = [(self.provide_data[0][0], (self.batch_size,) + data_shape)]
            self.data_shape = data_shape
        if label_shape is not None:
            label_shape = tuple(label_shape)
            self.check_label_shape(label_shape)
            self.provide_label = [(self.provide_label[0][0],
                                   (self.batch_size,) + label_shape)]
            self.label_shape = label_shape

    def check_label_shape(self, label_shape: tuple) -> None:
        """label_shape must be (objects >= the current count, the same width)."""
        if not len(label_shape) == 2:
            raise ValueError(f"label_shape should have length 2, got {label_shape}")
        if label_shape[0] < self.label_shape[0]:
            raise ValueError(f"Attempts to reduce label count from {self.label_shape[0]} "
                             f"to {label_shape[0]}, not allowed.")
        if label_shape[1] != self.provide_label[0][1][2]:
            raise ValueError(f"label_shape object width inconsistent: "
                             f"{self.provide_label[0][1][2]} vs {label_shape[1]}.")

    def augmentation_transform(self, data: Any, label: Any) -> tuple:  # type: ignore[override]
        """(data, label) through every detection augmenter of ``self.auglist``."""
        for aug in self.auglist:
            data, label = aug(data, label)
        return data, label

    def _empty_label(self) -> Any:
        return _onp.full(self.provide_label[0][1][1:], -1.0, dtype=_onp.float32)

    def _sample(self) -> tuple | None:
        label, s = self.next_sample()
        data = self.imdecode(s)
        try:
            self.check_valid_image([data])
            label = self._parse_label(label)
            data, label = self.augmentation_transform(data, label)
            self._check_valid_label(label)
        except RuntimeError as e:
            logging.debug("Invalid image, skipping:  %s", e)
            return None
        row = self._empty_label()
        n = label.shape[0]
        if n > row.shape[0] or label.shape[1] != row.shape[1]:
            raise ImageIterError(f"{self._who}: {self._where}: the label is "
                                 f"{tuple(label.shape)} (objects, width) after the "
                                 f"augmenters, the batches hold {tuple(row.shape)}")
        row[:n] = label
        return self._check_chw(self.postprocess_data(data)), row

    def sync_label_shape(self, it: "ImageDetIter", verbose: bool = False) -> "ImageDetIter":
        """Give this iterator and *it* (a validation iterator, say) the same label shape,
        the larger object count; returns *it*."""
        if not isinstance(it, ImageDetIter):
            raise ImageIterArgumentError("Synchronize with invalid iterator.")
        mine, theirs = self.label_shape, it.label_shape
        if mine[1] != theirs[1]:
            raise ImageIterArgumentError(f"object width mismatch: {mine[1]} vs {theirs[1]}.")
        max_count = max(mine[0], theirs[0])
        if max_count > mine[0]:
            self.reshape(None, (max_count, mine[1]))
        if max_count > theirs[0]:
            it.reshape(None, (max_count, theirs[1]))
        if verbose and max_count > min(mine[0], theirs[0]):
            logging.info("Resized label_shape to (%d, %d).", max_count, mine[1])
        return it

    def draw_next(self, color: Any = None, thickness: int = 2, mean: Any = None,
                  std: Any = None, clip: bool = True, waitKey: Any = None,
                  window_name: str = "draw_next", id2labels: Any = None) -> Any:
        """Yield the next images (augmented, de-normalised with *mean* / *std*, BGR
        uint8 (H, W, 3) NumPy arrays, as MXNet's) with their boxes drawn (*color* RGB,
        random if None; *thickness* pixels).  ndengine draws the rectangles itself;
        showing them (*waitKey*) and the class names (*id2labels*) need OpenCV's
        ``cv2`` and are skipped with a warning without it."""
        try:
            import cv2  # type: ignore[import-not-found]
        except ImportError:
            cv2 = None
            if waitKey is not None or id2labels is not None:
                warnings.warn("draw_next: cv2 is not installed; the images are not shown "
                              "and the class names not written", stacklevel=2)
        count = 0
        try:
            while True:
                label, s = self.next_sample()
                data = self.imdecode(s)
                try:
                    self.check_valid_image([data])
                    label = self._parse_label(label)
                except RuntimeError as e:
                    logging.debug("Invalid image, skipping:  %s", e)
                    continue
                count += 1
                data, label = self.augmentation_transform(data, label)
                image = _onp.array(data.asnumpy(), dtype=_onp.float64)
                if std is True:
                    std = _onp.array([58.395, 57.12, 57.375])
                if std is not None:
                    image *= _onp.asarray(std)
                if mean is True:
                    mean = _onp.array([123.68, 116.28, 103.53])
                if mean is not None:
                    image += _onp.asarray(mean)
                image = image[:, :, ::-1].copy()
                if clip:
                    image = _onp.clip(image, 0, 255)
                image = image.astype(_onp.uint8)
                bgr = tuple(color[::-1]) if color else None
                height, width = image.shape[:2]
                for i in range(label.shape[0]):
                    x1 = int(label[i, 1] * width)
                    if x1 < 0:
                        continue
                    y1 = int(label[i, 2] * height)
                    x2 = int(label[i, 3] * width)
                    y2 = int(label[i, 4] * height)
                    bc = bgr if bgr else tuple(_onp.random.rand(3) * 255)
                    if cv2 is not None:
                        cv2.rectangle(image, (x1, y1), (x2, y2), bc, thickness)
                    else:
                        _rectangle(image, x1, y1, x2, y2, bc, thickness)
                    if cv2 is not None and id2labels is not None:
                        cls_id = int(label[i, 0])
                        if cls_id in id2labels:
                            font = cv2.FONT_HERSHEY_SIMPLEX
                            th = cv2.getTextSize(str(id2labels[cls_id]), font, 0.5, 2)[0][1]
                            cv2.putText(image, str(id2labels[cls_id]), (x1 + 5, y1 + th + 5),
                                        font, 0.5, (255, 255, 255), 2)
                if waitKey is not None and cv2 is not None:
                    cv2.imshow(window_name, image)
                    cv2.waitKey(waitKey)
                yield image
        except StopIteration:
            if not count:
                return


def _rectangle(image: Any, x1: int, y1: int, x2: int, y2: int, color: tuple,
               thickness: int) -> None:
    """The outline of the box (x1, y1)-(x2, y2), *thickness* pixels wide around the
    edges, clipped to the image (cv2.rectangle without antialiasing)."""
    h, w = image.shape[:2]
    t = max(int(thickness), 1)
    lo, hi = (t - 1) // 2, t // 2
    c = _onp.asarray(color, dtype=_onp.float64).astype(image.dtype)

    def fill(ya: int, yb: int, xa: int, xb: int) -> None:
        ya, yb, xa, xb = max(ya, 0), min(yb, h), max(xa, 0), min(xb, w)
        if ya < yb and xa < xb:
            image[ya:yb, xa:xb] = c

    fill(y1 - lo, y1 + hi + 1, x1 - lo, x2 + hi + 1)
    fill(y2 - lo, y2 + hi + 1, x1 - lo, x2 + hi + 1)
    fill(y1 - lo, y2 + hi + 1, x1 - lo, x1 + hi + 1)
    fill(y1 - lo, y2 + hi + 1, x2 - lo, x2 + hi + 1)
