"""``mx.io.ImageRecordIter`` / ``ImageRecordUInt8Iter``: batches of images from an
MXNet RecordIO file (``.rec``, as ``im2rec`` or ``mx.recordio.pack_img`` write them).

Each record is an ``IRHeader`` (label, id) and an encoded image.  An image goes through
MXNet's default augmenter, in its order:

1. ``resize > 0``: the shorter edge resized to *resize* (the longer in proportion);
2. the affine warp (rotate, shear, scale, aspect ratio), if any is asked for;
3. ``pad``: a border of ``fill_value``;
4. cropped to ``data_shape`` (a random window with ``rand_crop``, else the centre one),
   an image smaller than the shape being enlarged first to cover it; or, with
   ``min/max_crop_size``, a square of a random size in that range, resized to the shape;
5. colour jitter (``brightness``, ``contrast``, ``saturation``, ``pca_noise``), then
   ``random_h/s/l``: random shifts of hue, saturation and lightness (HLS space);
6. flipped left-right (``mirror``; with probability 1/2 with ``rand_mirror``);
7. (float32 output) ``(pixel - mean) * scale / std`` per channel, channels in RGB order
   (``mean_img``: a mean image instead of ``mean_r/g/b``).

Batches are ``(batch_size, C, H, W)`` (``C`` 3 for colour, 1 for greyscale) and follow
MXNet's ``round_batch`` rules (:mod:`._loader`).  ``next()`` reads the batch's records
and pushes one engine op that decodes (``mx.image``'s decoder), resizes (its OpenCV
resize kernel), warps, crops, flips and normalises them, and returns at once: the work
runs on a CPU worker while the previous batch is used, successive batches in parallel.
Random choices (crop, mirror, warp, shuffle) are drawn at push time from NumPy
generators seeded with *seed* (``seed_aug``), so they do not depend on the schedule.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as onp

from ..base import MXNetError
from ._augment import AUGMENT
from ._loader import RoundBatchLoader
from .io import DataBatch, DataDesc, _HeldBatchIter

__all__ = ["ImageRecordIter", "ImageRecordUInt8Iter"]


class ImageRecordIterError(MXNetError, ValueError):
    """A record file or a parameter the iterator cannot use."""


def _positions(path_imgrec: str, path_imgidx: str) -> list[int]:
    """Byte offsets of the records, in file order (from the .idx file if given)."""
    if not os.path.isfile(path_imgrec):
        raise ImageRecordIterError(f"ImageRecordIter: {path_imgrec!r}: No such file")
    if path_imgidx:
        with open(path_imgidx) as f:
            return sorted(int(line.split("\t")[1]) for line in f if line.strip())
    from ..recordio import MXRecordIO

    rec = MXRecordIO(path_imgrec, "r")
    out = []
    try:
        while True:
            pos = rec._tell()
            if rec.read() is None:
                return out
            out.append(pos)
    finally:
        rec.close()


def _read_imglist(path: str, label_width: int) -> dict[int, onp.ndarray]:
    """id -> labels from an image list (``index<TAB>label...<TAB>path`` lines, as
    ``im2rec.py`` writes them)."""
    out = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2 + label_width:
                if line.strip():
                    raise ImageRecordIterError(
                        f"ImageRecordIter: {path}, line {lineno}: expected an index, "
                        f"{label_width} label(s) and a path, got {len(fields)} fields")
                continue
            out[int(float(fields[0]))] = onp.array(fields[1:1 + label_width], onp.float32)
    return out


class ImageRecordIter(_HeldBatchIter):
    """Image batches from the RecordIO file *path_imgrec*; see the module's doc.

    Parameters are MXNet's (keywords only): ``data_shape`` (C, H, W), ``batch_size``,
    ``label_width``, ``shuffle``, ``seed``, ``round_batch``, ``resize``, ``rand_crop``,
    ``rand_mirror``, ``mean_r/g/b``, ``std_r/g/b``, ``scale``, ``inter_method``
    (OpenCV's codes, 1 bilinear, 9 auto, 10 random), ``pad`` / ``fill_value`` (a border
    added before the crop), ``min_crop_size`` / ``max_crop_size`` (a square crop of a
    random size in that range, resized to the data shape), ``random_resized_crop`` with
    ``min/max_random_area`` and the aspect ratios (a random area and aspect, as gluon's
    RandomResizedCrop; ten tries, else the ordinary crop), ``rotate`` /
    ``max_rotate_angle`` / ``max_shear_ratio`` / ``min_random_scale`` /
    ``max_random_scale`` / ``max_aspect_ratio`` / ``min_aspect_ratio`` /
    ``min_img_size`` / ``max_img_size`` (MXNet's affine warp, OpenCV's bilinear
    ``warpAffine`` bit for bit), ``random_h`` / ``random_s`` / ``random_l`` (shifts in
    OpenCV's HLS space, its conversions bit for bit), ``num_parts`` /
    ``part_index`` (read only that part of
    the records), ``path_imgidx`` (offsets instead of a scan of the file), ``dtype``
    ('float32', or 'uint8' for unnormalised pixels), ``mirror`` (flip every image),
    ``path_imglist`` (labels by record id from an ``im2rec`` list), ``mean_img`` (a
    mean image subtracted instead of ``mean_r/g/b``; made and saved if the file does
    not exist), ``seed_aug`` (a
    generator of its own for the augmentations).  ``preprocess_threads``,
    ``prefetch_buffer``, ``verbose``, ``ctx``, ``device_id`` and ``shuffle_chunk_size``
    / ``shuffle_chunk_seed`` are accepted (the engine's workers do the work; ``shuffle``
    permutes single records, not chunks).  Other MXNet augmentation parameters are refused (TypeError) rather than
    ignored."""

    def __init__(self, *, path_imgrec: str, data_shape: Any, batch_size: int,
                 path_imgidx: str = "", label_width: int = 1, shuffle: bool = False,
                 seed: int = 0, round_batch: bool = True, resize: int = -1,
                 rand_crop: bool = False, rand_mirror: bool = False, mean_r: float = 0.0,
                 mean_g: float = 0.0, mean_b: float = 0.0, std_r: float = 1.0,
                 std_g: float = 1.0, std_b: float = 1.0, scale: float = 1.0,
                 inter_method: int = 1, pad: int = 0, fill_value: int = 255,
                 max_crop_size: int = -1, min_crop_size: int = -1, mirror: bool = False,
                 path_imglist: str = "", seed_aug: Any = None, aug_seq: str = "aug_default",
                 mean_img: str = "", max_rotate_angle: int = 0, rotate: int = -1,
                 max_shear_ratio: float = 0.0, max_random_scale: float = 1.0,
                 min_random_scale: float = 1.0, max_aspect_ratio: float = 0.0,
                 min_aspect_ratio: Any = None, max_img_size: float = 1e10,
                 min_img_size: float = 0.0, random_h: int = 0, random_s: int = 0,
                 random_l: int = 0, brightness: float = 0.0, contrast: float = 0.0,
                 saturation: float = 0.0, pca_noise: float = 0.0,
                 random_resized_crop: bool = False, min_random_area: float = 1.0,
                 max_random_area: float = 1.0, max_random_contrast: float = 0.0,
                 max_random_illumination: float = 0.0,
                 device_id: int = 0, shuffle_chunk_size: int = 0, shuffle_chunk_seed: int = 0,
                 dtype: str = "float32", num_parts: int = 1,
                 part_index: int = 0, preprocess_threads: int = 4, prefetch_buffer: int = 4,
                 verbose: bool = True, ctx: str = "gpu", data_name: str = "data",
                 label_name: str = "softmax_label", **unknown: Any):
        super().__init__(int(batch_size))
        who = type(self).__name__
        if unknown:
            raise TypeError(f"{who}: parameters ndengine does not implement: "
                            f"{sorted(unknown)}")
        shape = tuple(int(s) for s in data_shape)
        if len(shape) != 3 or shape[0] not in (1, 3) or min(shape) <= 0:
            raise ImageRecordIterError(f"{who}: data_shape must be (channels, height, width) "
                                       f"with 1 or 3 channels, got {tuple(data_shape)}")
        if self.batch_size <= 0:
            raise ValueError(f"{who}: batch_size must be positive, got {batch_size}")
        if str(dtype) not in ("float32", "uint8"):
            raise TypeError(f"{who}: dtype must be 'float32' or 'uint8', got {dtype!r}")
        if not 0 <= int(part_index) < int(num_parts):
            raise ValueError(f"{who}: part_index {part_index} is not in [0, {num_parts})")
        self._shape = shape
        self._dtype = onp.dtype(str(dtype))
        self._label_width = int(label_width)
        self._resize = int(resize)
        self._rand_crop = bool(rand_crop)
        self._rand_mirror = bool(rand_mirror)
        self._mirror = bool(mirror)
        if aug_seq != "aug_default":
            raise TypeError(f"{who}: only aug_seq='aug_default' (MXNet's default augmenter) "
                            f"is implemented, got {aug_seq!r}")
        self._interp = int(inter_method)
        if self._interp not in (0, 1, 2, 3, 4, 9, 10):
            raise ValueError(f"{who}: inter_method must be 0-4 (OpenCV's), 9 (auto) or 10 "
                             f"(random), got {inter_method}")
        self._pad, self._fill = int(pad), int(fill_value)
        self._light = (float(max_random_contrast), float(max_random_illumination))
        if any(self._light) and str(dtype) == "uint8":
            raise TypeError(f"{who}: max_random_contrast/illumination act on the normalised "
                            f"float32 output, not on dtype='uint8'")
        self._jitter = (float(brightness), float(contrast), float(saturation),
                        float(pca_noise))
        if any(self._jitter) and shape[0] != 3:
            raise ImageRecordIterError(f"{who}: brightness/contrast/saturation/pca_noise need "
                                       f"colour images (data_shape[0] == 3), got {shape}")
        self._hsl = (int(random_h), int(random_s), int(random_l))
        if self._hsl != (0, 0, 0) and shape[0] != 3:
            raise ImageRecordIterError(f"{who}: random_h/s/l need colour images "
                                       f"(data_shape[0] == 3), got {shape}")
        self._affine = (int(max_rotate_angle), int(rotate), float(max_shear_ratio),
                        float(min_random_scale), float(max_random_scale),
                        float(max_aspect_ratio),
                        None if min_aspect_ratio is None else float(min_aspect_ratio),
                        float(min_img_size), float(max_img_size))
        self._warps = (self._affine[0] > 0 or self._affine[1] > 0 or self._affine[2] > 0
                       or self._affine[3:6] != (1.0, 1.0, 0.0)
                       or self._affine[6] is not None or self._affine[7:] != (0.0, 1e10))
        if self._warps and self._interp == 0:
            raise ImageRecordIterError(f"{who}: invalid inter_method 0 for the affine warp (as "
                                       f"MXNet: 1, 2, 3, 4, 9, 10)")
        if self._warps and self._interp not in (1, 3):
            raise TypeError(f"{who}: the rotate/shear/scale/aspect augmentations are warped "
                            f"with bilinear interpolation only (inter_method 1, or 3, which "
                            f"OpenCV warps bilinearly), got inter_method={inter_method}")
        self._crop_sizes = (int(min_crop_size), int(max_crop_size))
        self._rrc = None
        if random_resized_crop:
            a_lo, a_hi = float(min_random_area), float(max_random_area)
            r_hi = float(max_aspect_ratio)
            r_lo = 1 - r_hi if min_aspect_ratio is None else float(min_aspect_ratio)
            r_hi = 1 + r_hi if min_aspect_ratio is None else r_hi
            if not (0 < a_lo <= a_hi <= 1 and 0 < r_lo <= r_hi):
                raise ValueError(f"{who}: random_resized_crop needs 0 < min_random_area <= "
                                 f"max_random_area <= 1 and 0 < aspect ratios, got areas "
                                 f"({min_random_area}, {max_random_area}), ratios "
                                 f"({r_lo}, {r_hi})")
            self._rrc = (a_lo, a_hi, r_lo, r_hi)
            # MXNet: the random scale and aspect ratio then shape the crop, not a warp
            max_random_scale = min_random_scale = 1.0
            max_aspect_ratio, min_aspect_ratio = 0.0, None
        if self._crop_sizes != (-1, -1) and not 0 < self._crop_sizes[0] <= self._crop_sizes[1]:
            raise ValueError(f"{who}: min_crop_size {min_crop_size} and max_crop_size "
                             f"{max_crop_size} must satisfy 0 < min <= max")
        self._mean = onp.array([mean_r, mean_g, mean_b][:shape[0]], onp.float32)
        self._std = onp.array([std_r, std_g, std_b][:shape[0]], onp.float32)
        self._scale = float(scale)
        self._shuffle = bool(shuffle)
        self._rng = onp.random.RandomState(int(seed))
        self._aug_rng = self._rng if seed_aug is None else onp.random.RandomState(int(seed_aug))
        self._imglist = _read_imglist(path_imglist, self._label_width) if path_imglist else None
        self._path = path_imgrec
        pos = _positions(path_imgrec, path_imgidx)
        # part k of num_parts: the records that start in the k-th equal share of the
        # file's bytes (as MXNet's input split)
        size, parts, k = os.path.getsize(path_imgrec), int(num_parts), int(part_index)
        lo, hi = k * size // parts, (k + 1) * size // parts
        self._pos = [p for p in pos if lo <= p < hi]
        self._order = onp.arange(len(self._pos))
        if self._shuffle:
            self._rng.shuffle(self._order)
        self._loader = RoundBatchLoader(len(self._pos), self.batch_size, round_batch, who)
        from ..recordio import MXRecordIO

        self._rec = MXRecordIO(path_imgrec, "r")
        self._norm: tuple[Any, Any] | None = None
        if self._dtype != onp.uint8:
            from .. import numpy as np

            c = shape[0]
            mean = self._mean_image(mean_img) if mean_img else self._mean.reshape(c, 1, 1)
            self._norm = (np.array(mean.reshape((1,) + mean.shape), dtype="float32"),
                          np.array((self._scale / self._std).reshape(1, c, 1, 1),
                                   dtype="float32"))
        bs, (c, h, w) = self.batch_size, shape
        label_tail = () if self._label_width == 1 else (self._label_width,)
        self._last: tuple[Any, onp.ndarray, onp.ndarray] | None = None
        self._batch: DataBatch | None = None
        self.provide_data = [DataDesc(data_name, (bs, c, h, w), self._dtype.type)]
        self.provide_label = [DataDesc(label_name, (bs,) + label_tail, onp.float32)]

    # ------------------------------------------------------------ records
    def _record(self, row: int) -> tuple[Any, bytes]:
        from ..recordio import unpack

        self._rec._seek(self._pos[self._order[row]])
        buf = self._rec.read()
        if buf is None:
            raise ImageRecordIterError(f"{type(self).__name__}: {self._path!r} ended early")
        return unpack(buf)

    def _label_of(self, header: Any) -> onp.ndarray:
        if self._imglist is not None:
            lab = self._imglist.get(int(header.id))
            if lab is None:
                raise ImageRecordIterError(f"{type(self).__name__}: fail to find imagelabel "
                                           f"for id {header.id} in the image list")
            return lab
        lab = onp.atleast_1d(onp.asarray(header.label, onp.float32))
        if lab.size != self._label_width:
            raise ImageRecordIterError(
                f"{type(self).__name__}: record {header.id} of {self._path!r} has "
                f"{lab.size} labels but label_width is {self._label_width}")
        return lab

    def _mean_image(self, path: str) -> onp.ndarray:
        """The (C, H, W) mean image in *path* (``mx.nd.save`` format, key 'mean_img'),
        made first if there is no such file: the mean of every record of this part,
        decoded, resized, padded and centre-cropped (no random augmentation)."""
        from ..legacy import load, save

        if os.path.exists(path):
            got = load(path)
            arr = got.get("mean_img", next(iter(got.values()), None)) \
                if isinstance(got, dict) else (got[0] if got else None)
            mean = None if arr is None else arr.asnumpy().astype(onp.float32)
            if mean is None or mean.shape != self._shape:
                raise ImageRecordIterError(
                    f"{type(self).__name__}: mean_img {path!r} holds "
                    f"{None if mean is None else mean.shape}, not an image of data_shape "
                    f"{self._shape}")
            return mean
        import logging

        from ..device import cpu
        from ..ndarray.ndarray import apply_op

        logging.info("%s: cannot find %s: creating the mean image", type(self).__name__, path)
        plain = (self._resize, 1 if self._interp in (9, 10) else self._interp, None,
                 self._pad, self._fill, 0, None, None, None, None, False)
        total = onp.zeros(self._shape, onp.float64)
        n = len(self._pos)
        for start in range(0, n, 256):
            rows = range(start, min(n, start + 256))
            payloads = [self._record(r)[1] for r in rows]
            batch = apply_op(AUGMENT, (), {"records": tuple(payloads), "shape": self._shape,
                                            "plans": (plain,) * len(payloads),
                                            "what": type(self).__name__}, cpu(0))
            total += batch.asnumpy().astype(onp.float64).sum(axis=0)
        mean = (total / max(n, 1)).astype(onp.float32)
        from .. import numpy as np
        from ..legacy import ndarray as lnd

        save(path, {"mean_img": lnd.wrap(np.array(mean))})
        logging.info("%s: saved the mean image to %s", type(self).__name__, path)
        return mean

    def _plans(self, k: int) -> tuple:
        """The augmentation of each of *k* images, its random choices drawn here (so
        they follow *seed* whatever the schedule): (resize, interp, pad, fill, crop
        size or 0, crop position (u_y, u_x) in [0, 1) or None for the centre, mirror)
        the affine warp's draws, the colour jitter factors and the (h, s, l) shifts (or
        None)."""
        rng = self._aug_rng
        lo, hi = self._crop_sizes
        out = []
        for _ in range(k):
            interp = int(rng.randint(0, 5)) if self._interp == 10 else self._interp
            warp = self._draw_warp(rng) if self._warps else None
            size = int(rng.randint(lo, hi + 1)) if hi > 0 else 0
            rrc = None
            if self._rrc is not None:      # ten tries, as gluon's RandomResizedCrop
                a_lo, a_hi, r_lo, r_hi = self._rrc
                rrc = tuple(zip(rng.uniform(a_lo, a_hi, 10).tolist(),
                                onp.exp(rng.uniform(onp.log(r_lo), onp.log(r_hi), 10)).tolist(),
                                rng.random_sample(10).tolist(), rng.random_sample(10).tolist()))
            where = tuple(rng.random_sample(2).tolist()) if self._rand_crop else None
            mirror = self._mirror or (bool(rng.random_sample() < 0.5) if self._rand_mirror
                                      else False)
            jitter = None
            if any(self._jitter):
                b, c, sat, pca = self._jitter
                jitter = (1 + float(rng.uniform(-b, b)) if b else 1.0,
                          1 + float(rng.uniform(-c, c)) if c else 1.0,
                          1 + float(rng.uniform(-sat, sat)) if sat else 1.0,
                          tuple(rng.normal(0, pca, 3).tolist()) if pca else None)
            hsl = None
            if self._hsl != (0, 0, 0):      # as MXNet: a float in [-v, v) cut to an int
                hsl = tuple(int(float(rng.random_sample()) * v * 2 - v) for v in self._hsl)
            out.append((self._resize, interp, warp, self._pad, self._fill, size, rrc, where,
                        jitter, hsl, mirror))
        return tuple(out)

    def _draw_warp(self, rng: Any) -> tuple:
        """(shear, angle, scale, aspect ratio, min size, max size) of one image's affine
        warp, as MXNet's augmenter draws them."""
        max_angle, rotate, shear, smin, smax, amax, amin, size_min, size_max = self._affine
        s = float(rng.random_sample() * shear * 2 - shear)
        angle = int(rng.randint(-max_angle, max_angle + 1)) if max_angle > 0 else 0
        if rotate > 0:
            angle = rotate
        scale = float(rng.random_sample() * (smax - smin) + smin)
        u = float(rng.random_sample())
        ratio = u * amax * 2 - amax + 1 if amin is None else u * (amax - amin) + amin
        return s, angle, scale, ratio, size_min, size_max

    def _images(self, rows: onp.ndarray) -> tuple[Any, onp.ndarray, onp.ndarray]:
        """(N, C, H, W) pixels (normalised float32, or uint8), labels and ids of *rows*:
        the records are read here, then decoded and augmented by one engine op."""
        from ..device import cpu
        from ..ndarray.ndarray import apply_op

        payloads, labels, ids = [], [], []
        for row in rows:
            header, payload = self._record(int(row))
            payloads.append(payload)
            labels.append(self._label_of(header))
            ids.append(header.id)
        plans = self._plans(len(rows))
        light = ()
        if any(self._light):      # per image: (x - mean) * contrast + illumination
            mc, mi = self._light
            light = tuple(zip((1 + self._aug_rng.uniform(-mc, mc, len(rows))).tolist(),
                              self._aug_rng.uniform(-mi, mi, len(rows)).tolist()))
        pixels = apply_op(AUGMENT, self._norm or (), {
            "records": tuple(payloads), "shape": self._shape, "plans": plans, "light": light,
            "what": type(self).__name__}, cpu(0))
        return pixels, onp.stack(labels), onp.array(ids, onp.uint64)

    # ------------------------------------------------------------ iteration
    def reset(self) -> None:
        self._loader.reset()
        if self._shuffle:
            self._rng.shuffle(self._order)

    def iter_next(self) -> bool:
        from .. import numpy as np

        self._batch = None
        got = self._loader.next_rows()
        if got is None:
            return False
        rows, pad = got
        pixels, labels, ids = self._images(rows)
        k, bs = len(rows), self.batch_size
        if k < bs:      # round_batch=False: the places not filled keep the last batch's
            prev = self._last or (np.zeros((bs,) + self._shape, self._dtype),
                                  onp.zeros((bs, self._label_width), onp.float32),
                                  onp.zeros((bs,), onp.uint64))
            pixels = np.concatenate([pixels, prev[0][k:]])
            labels = onp.concatenate([labels, prev[1][k:]])
            ids = onp.concatenate([ids, prev[2][k:]])
        self._last = (pixels, labels, ids)
        self._batch = self._make_batch(pixels, labels, ids, pad)
        return True

    def _make_batch(self, pixels: Any, labels: onp.ndarray, ids: onp.ndarray,
                    pad: int) -> DataBatch:
        from ..legacy import ndarray as lnd
        from ..legacy.creation import array

        data = pixels
        label = labels[:, 0] if self._label_width == 1 else labels
        return DataBatch(data=[lnd.wrap(data)], label=[array(label, dtype="float32")],
                         pad=pad, index=ids)

    def __del__(self) -> None:
        rec = getattr(self, "_rec", None)
        if rec is not None:
            try:
                rec.close()
            except Exception:      # noqa: BLE001 (interpreter shutdown)
                pass


class ImageRecordUInt8Iter(ImageRecordIter):
    """:class:`ImageRecordIter` giving uint8 pixels (no mean/std/scale)."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("dtype", "uint8")
        super().__init__(**kwargs)
