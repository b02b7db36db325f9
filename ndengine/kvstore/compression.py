"""Gradient compression: MXNet 1.9.1's 2-bit quantization with error feedback.

``kv.set_gradient_compression({'type': '2bit', 'threshold': t})`` (or
``Trainer(..., compression_params=...)``).  MXNet 1.9.1 has this one type ('1bit' came
later in 1.x master and is refused by 1.9.1 as an unknown type, as here).

Each pushed value *g* is added to its sender's *residual* *r* (per key and per sending
device, or per key on each rank for the dist stores; zero at first), and each element
of ``r + g`` is sent as one of three values::

    r += g
    r >= t   ->  +t   (and r -= t)
    r <= -t  ->  -t   (and r += t)
    else     ->   0   (r keeps it all)

so what is not sent is carried to the next push.  The receiver sums the values it
gets (``t * (#plus - #minus)`` per element); the store then holds that sum (or the
updater gets it).  The arithmetic is float32 (MXNet's kernel: float32 only; other
dtypes are refused).

On the wire each value is a 2-bit code (``11`` +t, ``10`` -t, ``00`` zero), four
codes a byte, the first value in the top bits (MXNet's layout): 16x fewer bytes than
float32.  Where it applies (as in MXNet 1.9.1):

* ``'device'`` (and ``'local_allreduce_device'``): every device's value is quantized
  on that device, the codes are copied to the merge device, decoded and summed there
  (also for a single device: MXNet compresses whatever the number of devices);
* the ``dist_*`` stores: each rank sums its devices' values first (uncompressed, as
  MXNet), quantizes the sum, and the ranks exchange the codes with an MPI allgather;
  every rank decodes every rank's codes and sums them (MXNet's servers do the same);
* ``'local'`` (and the other cpu-merged types, ``'nccl'``, ``'horovod'``) refuse it,
  as MXNet's ``set_gradient_compression`` does.

``init`` is never compressed; ``pull`` moves the stored values uncompressed.
"""
from __future__ import annotations

import math
import numbers
import sys
from typing import Any

import numpy as _onp

from ..ndarray.ndarray import NDArray, apply_op, copy_to_device, from_buffer
from ..ndarray.ops import register
from .kvstore import KVStoreError

__all__ = ["GradientCompression", "parse", "TYPES", "DEFAULT_THRESHOLD"]

TYPES = ("2bit",)
DEFAULT_THRESHOLD = 0.5          # MXNet's default when only the type is given
_F32 = _onp.dtype(_onp.float32)
_U8 = _onp.dtype(_onp.uint8)


def parse(params: Any, fname: str = "kvstore.set_gradient_compression") -> "GradientCompression":
    """Check *params* (``{'type': '2bit', 'threshold': t}``) as MXNet 1.9.1 does and
    return the compression it asks for."""
    if not isinstance(params, dict):
        raise TypeError(f"{fname}: compression_params must be a dict such as "
                        f"{{'type': '2bit', 'threshold': 0.5}}, got {type(params).__name__} "
                        f"{params!r}")
    if "type" not in params:
        raise KVStoreError(f"{fname}: compression_params need a 'type' (MXNet 1.9.1 has "
                           f"'2bit'), got {params!r}")
    kind = params["type"]
    if kind not in TYPES:
        raise KVStoreError(f"{fname}: unknown type for gradient compression {kind!r} "
                           f"(MXNet 1.9.1 has only '2bit')")
    unknown = sorted(str(k) for k in params if k not in ("type", "threshold"))
    if unknown:
        raise KVStoreError(f"{fname}: unknown compression parameter(s) {unknown}: '2bit' "
                           f"takes only 'threshold', got {params!r}")
    raw = params.get("threshold", DEFAULT_THRESHOLD)
    t = None
    if isinstance(raw, str):
        try:
            t = float(raw)
        except ValueError:
            pass
    elif isinstance(raw, numbers.Real) and not isinstance(raw, bool):
        t = float(raw)
    if t is None:
        raise KVStoreError(f"{fname}: the 2bit threshold must be a number, got {raw!r}")
    if not t > 0 or not math.isfinite(t):
        raise KVStoreError(f"{fname}: the 2bit threshold must be a finite number greater "
                           f"than 0, got {raw!r}")
    return GradientCompression(kind, t)


# ----------------------------------------------------------------------------- kernels
# Codes are made four at a time: the masks of the values sent as +t and -t are bytes
# (0 or 1) padded to a multiple of 4, read as little-endian uint32 words, so one word
# holds four values' codes in its four bytes (``3*pos | 2*neg``, each 0-3); one multiply
# by 2**30 + 2**20 + 2**10 + 1 moves them to bits 30, 28, 26 and 24 (the other partial
# products land above bit 31, dropped by the uint32 wrap, or below bit 24 without
# reaching it), and the top byte is the packed code byte.  For 203,530 values (the MLP's
# gradients) this took 0.015 ms against 0.29 ms for shifting four strided slices.
_PACK = 2 ** 30 + 2 ** 20 + 2 ** 10 + 1
_LITTLE = sys.byteorder == "little"


def _quantize_kernel(xp: Any, g: Any, r: Any, threshold: float) -> tuple[Any, Any]:
    """(packed codes, new residual) of *g* pushed with residual *r*."""
    t = _F32.type(threshold)
    r = xp.add(r, g, dtype=_F32)           # a fresh buffer: the new residual
    rf = r.reshape(-1)
    n = rf.size
    m = (n + 3) // 4
    masks = xp.zeros((2, 4 * m), dtype=xp.bool_)
    pos, neg = masks[0, :n], masks[1, :n]
    xp.greater_equal(rf, t, out=pos)
    xp.less_equal(rf, -t, out=neg)
    # r - t where +t is sent, r - (-t) where -t is: MXNet's float32 subtractions
    q = pos.view(xp.int8) - neg.view(xp.int8)
    xp.subtract(rf, xp.multiply(q, t, dtype=_F32), out=rf)
    if _LITTLE:
        words = masks.view(xp.uint32)
        codes = words[0] * xp.uint32(3) | words[1] * xp.uint32(2)
        codes *= xp.uint32(_PACK)
        packed = (codes >> xp.uint32(24)).astype(_U8)
    else:                                   # pragma: no cover - big-endian hosts
        c = (masks[0].view(_U8) * _U8.type(3) | masks[1].view(_U8) * _U8.type(2)).reshape(m, 4)
        packed = (c[:, 0] << 6) | (c[:, 1] << 4) | (c[:, 2] << 2) | c[:, 3]
    return packed, r


def _quantize_infer(g: Any, r: Any, threshold: float) -> list:
    return [(((g.size + 3) // 4,), _U8), (g.shape, _F32)]


_LUTS: dict[tuple[float, Any], Any] = {}


def _lut(xp: Any, threshold: float) -> Any:
    """The four float32 values each code byte stands for, as one 16-byte complex128
    per byte (one gather of 16-byte items: 0.045 ms for 51,000 code bytes here, a
    (256, 4) float32 table's row gather 0.58 ms)."""
    key = (threshold, xp)
    lut = _LUTS.get(key)
    if lut is None:
        b = _onp.arange(256, dtype=_onp.uint8)
        codes = _onp.stack([(b >> s) & 3 for s in (6, 4, 2, 0)], axis=1)
        t = _F32.type(threshold)
        host = _onp.where(codes == 3, t, _onp.where(codes == 2, -t, _F32.type(0)))
        host = _onp.ascontiguousarray(host.astype(_F32)).view(_onp.complex128).reshape(256)
        lut = _LUTS[key] = xp.asarray(host)
    return lut


def _dequantize_sum_kernel(xp: Any, codes: list, threshold: float, shape: tuple) -> Any:
    """The sum of the values the code arrays stand for (each row of a 2-D array of
    codes is one sender's), in sender order, as float32 of *shape*."""
    lut = _lut(xp, threshold)
    rows = [row for c in codes for row in (c if c.ndim == 2 else (c,))]
    out = xp.take(lut, rows[0]).view(_F32)
    for row in rows[1:]:
        out += xp.take(lut, row).view(_F32)
    n = 1
    for d in shape:
        n *= d
    return (out if out.size == n else out[:n].copy()).reshape(shape)


def _dequantize_sum_infer(codes: list, threshold: float, shape: tuple) -> tuple:
    return tuple(shape), _F32


_QUANTIZE = register("kvstore_quantize_2bit", _quantize_kernel, _quantize_infer, nout=2)
_DEQUANTIZE_SUM = register("kvstore_dequantize_2bit_sum", _dequantize_sum_kernel,
                           _dequantize_sum_infer)


class GradientCompression:
    """One store's compression: its type, threshold and the senders' residuals."""

    __slots__ = ("type", "threshold", "_residuals")

    def __init__(self, kind: str, threshold: float) -> None:
        self.type = kind
        self.threshold = threshold
        self._residuals: dict[Any, list[NDArray]] = {}   # key -> one per sender

    def __repr__(self) -> str:
        return f"<GradientCompression {self.type} threshold={self.threshold:g}>"

    @property
    def params(self) -> dict:
        return {"type": self.type, "threshold": self.threshold}

    def adopt_residuals(self, other: "GradientCompression | None") -> None:
        """Keep the residuals of the compression this one replaces (MXNet keeps its
        buffers when the parameters are set again)."""
        if other is not None:
            self._residuals = other._residuals

    @staticmethod
    def compressed_nbytes(size: int) -> int:
        """Bytes of the codes of *size* values (four a byte)."""
        return (size + 3) // 4

    @staticmethod
    def check_dense(value: Any, fname: str) -> None:
        """Refuse sparse values (MXNet: compression of row-sparse storage is not
        supported); *value* is what the caller pushed (arrays, lists of them)."""
        stack = [value]
        while stack:
            v = stack.pop()
            if isinstance(v, (list, tuple)):
                stack.extend(v)
            elif getattr(v, "stype", "default") != "default":
                raise KVStoreError(f"kvstore.{fname}: gradient compression of {v.stype} "
                                   f"values is not supported (as in MXNet), got one of "
                                   f"shape {v.shape}; push dense values (tostype('default'))")

    @staticmethod
    def check(key: Any, stored: NDArray, values: list[NDArray], fname: str) -> None:
        for v in [stored, *values]:
            if v.dtype != _F32:
                raise KVStoreError(
                    f"kvstore.{fname}: 2bit gradient compression needs float32 values (as "
                    f"MXNet's), key {key!r} got {v.dtype} of shape {v.shape} on {v.device}")

    def quantize(self, key: Any, values: list[NDArray], fname: str = "push") -> list[NDArray]:
        """The codes of each of *values* (one per sender, in order), updating their
        residuals (engine ops on each value's device; returns at once)."""
        res = self._residuals.get(key)
        if res is None:
            res = self._residuals[key] = [
                from_buffer(v.device.xp.zeros(v.shape, dtype=_F32), v.device) for v in values]
        if len(res) != len(values) or any(r.device is not v.device
                                          for r, v in zip(res, values)):
            had = ", ".join(str(r.device) for r in res)
            now = ", ".join(str(v.device) for v in values)
            raise KVStoreError(
                f"kvstore.{fname}: key {key!r} was first pushed with compression from "
                f"[{had}] and now from [{now}]: the residuals are kept per sending device, "
                f"so push a key from the same devices each time")
        out = []
        for i, v in enumerate(values):
            codes, res[i] = apply_op(_QUANTIZE, (v, res[i]), {"threshold": self.threshold})
            out.append(codes)
        return out

    def compressed_sum(self, key: Any, stored: NDArray, values: list[NDArray], home: Any,
                       fname: str = "push", priority: int = 0) -> NDArray:
        """MXNet's compressed reduce: each of *values* quantized on its own device (with
        that device's residual), the codes copied to *home*, decoded and summed there
        (*stored*: what the sum will update, checked for dtype with the values)."""
        self.check(key, stored, values, fname)
        codes = [c if c.device is home else copy_to_device(c, home, priority=priority)
                 for c in self.quantize(key, values, fname)]
        return self.dequantize_sum(codes, tuple(stored.shape))

    def dequantize_sum(self, codes: list[NDArray], shape: tuple) -> NDArray:
        """The float32 sum (of *shape*) of what *codes* stand for (1-D arrays, or 2-D
        arrays whose rows are senders), an engine op on their device."""
        return apply_op(_DEQUANTIZE_SUM, (list(codes),),
                        {"threshold": self.threshold, "shape": tuple(shape)})
