"""Gradient cases of the ops the upper layers register in the op table (image ops,
the record iterator's batch, the data loader's gather and stack) and of the copy
between devices (ndarray.py), for test_op_gradients.

Importing this module imports those layers, so their ops are in the table when
test_every_op_is_covered enumerates it."""
from __future__ import annotations

import numpy as onp

import ndengine.gluon.data  # noqa: F401  (registers dataloader_gather, dataloader_stack)
import ndengine.gluon.loss  # noqa: F401  (registers SoftmaxCrossEntropyLoss's label check)
import ndengine.image  # noqa: F401  (registers the image ops)
import ndengine.io  # noqa: F401  (registers image_record_batch)
import ndengine.kvstore.compression  # noqa: F401  (registers the 2-bit codes' ops)
from ndengine import cpu, np
from ndengine.image import _ops as _img

R = onp.random.default_rng(17)


def U(*shape, lo=-1.0, hi=1.0):
    return R.uniform(lo, hi, size=shape)


def C(fn, *inputs, **tol):
    return (fn, list(inputs), tol)


def _rotate(deg):
    rad = onp.asarray(deg, dtype=onp.float32) * onp.float32(onp.pi / 180)

    def f(x, zoom_in=False, zoom_out=False):
        return _img.rotate_nchw(x, np.array(rad), zoom_in, zoom_out)
    return f


UPPER_CASES = {
    # float images: to_tensor is x / 255 in float32 (linear: a wide step keeps the
    # differences above float32 rounding)
    "to_tensor": [C(_img.to_tensor, U(4, 5, 3, lo=0, hi=255), eps=1.0, rtol=1e-4, atol=1e-7),
                  C(_img.to_tensor, U(2, 3, 4, 1, lo=0, hi=255), eps=1.0, rtol=1e-4,
                    atol=1e-7)],
    "normalize": [C(lambda x: _img.normalize(x, (0.5, 0.2, 0.1), (0.3, 2.0, 0.7)), U(3, 4, 5)),
                  C(lambda x: _img.normalize(x, 0.5, 0.25), U(2, 1, 3, 4))],
    "crop": [C(lambda x: _img.crop(x, 1, 2, 3, 2), U(5, 6, 3)),
             C(lambda x: _img.crop(x, 0, 1, 2, 3), U(2, 4, 4, 1))],
    "image_flip": [C(_img.flip_left_right, U(3, 4, 3)),
                   C(_img.flip_top_bottom, U(2, 3, 4, 1))],
    "image_rotate": [C(_rotate([30.0, -75.0]), U(2, 3, 5, 6)),
                     C(lambda x: _rotate([40.0])(x, zoom_in=True), U(1, 2, 6, 5)),
                     C(lambda x: _rotate([-20.0])(x, zoom_out=True), U(1, 1, 5, 5))],
    "copyto": [C(lambda x: (x.as_in_ctx(cpu(1)) * 3).as_in_ctx(cpu(0)), U(3, 4)),
               C(lambda x: x.copyto(cpu(1)).copyto(cpu(0)) + x, U(2, 5))],
}

UPPER_NON_DIFFERENTIABLE = {
    # decoding, integer-valued or random augmentations (no gradient in MXNet either)
    "imdecode", "resize", "image_random_flip", "image_adjust", "image_color_jitter",
    "image_lighting", "image_record_batch",
    # the gradients' own ops (no second order)
    "crop_backward", "image_rotate_backward",
    # the data loader's batches (data, not parameters)
    "dataloader_gather", "dataloader_stack",
    # SoftmaxCrossEntropyLoss's check of its integer labels (the identity or an error),
    # on its op-by-op path
    "SoftmaxCrossEntropyLoss_labels",
    # the kvstore's gradient compression: pushes run with autograd paused
    "kvstore_quantize_2bit", "kvstore_dequantize_2bit_sum",
}
