"""The op table's convolution and pooling ops (``npx.convolution``, ``npx.deconvolution``,
``npx.pooling``), 1-D to 3-D, channels first (N, C, *spatial); see :mod:`.ops` for the
conventions.  ``npx`` turns the channels-last layouts into these by transposing.

How the kernels work (all against ``xp``; no loop over pixels or batch items, only
over kernel taps):

* **im2col as a strided view.**  The zero-padded input seen through
  ``as_strided`` as (N, C, *kernel, *out) costs nothing; one copy makes it the
  column matrix (G, C/G * prod(kernel), N * prod(out)) of a block of the batch, and
  the convolution is one BLAS product per block and group: ``W (G, F/G, C/G*K) @
  cols``.
* **Stride 1: the flat layout.**  With the padded input flattened per channel, each
  kernel tap's windows are one contiguous run of it, so the column matrix is one
  plain copy per tap (rows in the weight's (c, tap) order), built a few MB of the
  batch at a time; each output row is computed across the padded width and cropped
  (used when that adds at most a quarter to the product: a ResNet 3x3 layer, not
  LeNet's second 5x5 on 14x14).  See ``_Flat``.
* **Other 2-D convolutions: the row-major layout.**  The width taps gathered first
  (C, kw, Hp, N, OW), the column matrix (C*kw*kh, OH*N*OW) is then one contiguous run
  per row and block of output rows, built and multiplied a block at a time; the data
  gradient adds a product's blocks back the same way (kh whole-block adds, kw strided
  ones).  See ``_Rows``.
* **Winograd for 3x3, stride 1.**  A 2-D 3x3 convolution with stride and dilation 1
  and at least ``_WINO_MIN`` channels per group and ``_WINO_MIN_TILES`` output tiles (a
  ResNet layer) runs as Winograd's
  F(2x2, 3x3): 4x4 input tiles transformed with adds, one batched product per tile
  element (2.25x fewer multiplies than im2col), 2x2 output tiles back; its data
  gradient (a stride-1 convolution) and weight gradient (the adjoint) the same way.
  Float32 error of the direct product's order (documented at ``_WINO_MIN``).
* **Weight gradient:** ``g (G, F/G, N*O) @ cols^T``.  Under autograd the forward
  pass keeps its columns (the op's second output) when they are at most 32 MB; larger
  ones are made again from the input, a batch block at a time (a ResNet layer's are
  hundreds of MB).
* **Data gradient = deconvolution.**  With stride 1 it is itself a convolution: of the
  head gradient, padded by ``dilate * (k - 1) - pad``, with the kernel flipped and
  its in/out channels swapped (so im2col + one product again), used when its columns
  are fewer than col2im's.  Otherwise (col2im) one product gives the columns,
  scattered back with one strided add per
  kernel tap (col2im).  ``deconvolution`` is that op with a bias; its gradients are a
  convolution (data) and the same weight-gradient op, so both ops are differentiable
  twice in their data argument.
* **Pooling** reduces the padded input's windows with one vectorised step per kernel
  tap (max / sum); the gradient op recomputes which element of each window is the
  (first, in row-major order: MXNet's choice) maximum, or spreads the average, with
  one strided add per tap.

MXNet semantics kept: convolution output ``floor((x + 2p - d(k-1) - 1) / s) + 1``;
deconvolution output ``s(x - 1) + d(k-1) + 1 - 2p + adj`` (``adj < stride``), or
``target_shape`` (pad and adj derived as MXNet does); weight shapes (F, C/G, *k) for
convolution and (C, F/G, *k) for deconvolution; pooling 'valid' (floor) and 'full'
(ceil) conventions, average counting the explicit padding by default
(``count_include_pad``) but never the cells the 'full' convention adds; 'lp' pooling
is ``(sum x**p) ** (1/p)`` of the raw values, as MXNet computes it.  float16 is
computed in float32 and rounded once.
"""
from __future__ import annotations

import itertools
from typing import Any

import numpy as _onp

from .ops import DTypeError, ShapeError, _blas, _F, register
from .ops_nn import _quiet
from .tape import needs as _needs

__all__: list[str] = []

_LAYOUT = {1: "NCW", 2: "NCHW", 3: "NCDHW"}


# ----------------------------------------------------------------------------- geometry
def _prod(t: Any) -> int:
    n = 1
    for v in t:
        n *= int(v)
    return n


def conv_out_size(n: int, k: int, s: int, d: int, p: int) -> int:
    """Convolution output length along one axis (floor, as MXNet)."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def deconv_out_size(n: int, k: int, s: int, d: int, p: int, adj: int) -> int:
    """Deconvolution output length along one axis (MXNet's formula)."""
    return s * (n - 1) + d * (k - 1) + 1 - 2 * p + adj


def pool_out_size(n: int, k: int, s: int, p: int, full: bool) -> int:
    m = n + 2 * p - k
    return (-(-m // s) if full else m // s) + 1


def _acc(xp: Any, dt: Any) -> Any:
    """The dtype a kernel computes in: float16 in float32, other floats as they are."""
    return xp.float32 if dt == xp.float16 else dt


def _lowest(xp: Any, dt: Any) -> float:
    return float(xp.finfo(dt).min)


def _padded(xp: Any, x: Any, lo: tuple, hi: tuple, value: float = 0.0) -> Any:
    """*x* (N, C, *sp) padded by *lo* / *hi* cells per spatial axis with *value*."""
    if not any(lo) and not any(hi):
        return x
    nd = len(lo)
    shape = tuple(x.shape[:2]) + tuple(x.shape[2 + i] + lo[i] + hi[i] for i in range(nd))
    out = xp.zeros(shape, dtype=x.dtype) if value == 0 else xp.full(shape, value, x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(lo[i], lo[i] + x.shape[2 + i])
                                           for i in range(nd))] = x
    return out


def _windows(xp: Any, xpad: Any, kernel: tuple, stride: tuple, dilate: tuple,
             out: tuple) -> Any:
    """The view (N, C, *kernel, *out) of the padded input's windows (no copy)."""
    st = xpad.strides
    nd = len(kernel)
    shape = tuple(xpad.shape[:2]) + tuple(kernel) + tuple(out)
    strides = tuple(st[:2]) + tuple(st[2 + i] * dilate[i] for i in range(nd)) + \
        tuple(st[2 + i] * stride[i] for i in range(nd))
    return xp.lib.stride_tricks.as_strided(xpad, shape=shape, strides=strides)


def _tap_slices(kernel: tuple, stride: tuple, dilate: tuple, out: tuple):
    """(tap index, tuple of spatial slices of the padded input that tap reads)."""
    for j, ks in enumerate(itertools.product(*[range(k) for k in kernel])):
        yield j, ks, tuple(slice(k * d, k * d + (o - 1) * s + 1, s)
                           for k, d, o, s in zip(ks, dilate, out, stride))


# The column matrices are built for a block of the batch at a time, about this many
# elements (float32: 16 MB) each, so a large layer's never has to exist whole (a
# ResNet 3x3 layer at batch 32 would need 230 MB); one BLAS product per block and group.
_BLOCK_ELEMS = 1 << 22
# Under autograd the forward pass keeps its column matrix for the weight gradient when
# it has at most this many elements (32 MB in float32), instead of building it again.
_KEEP_ELEMS = 1 << 23


def _out_of(sp: tuple, kernel: tuple, stride: tuple, dilate: tuple, pad: tuple) -> tuple:
    return tuple(conv_out_size(sp[i], kernel[i], stride[i], dilate[i], pad[i])
                 for i in range(len(kernel)))


def _blocks(n: int, per_item: int):
    """Batch ranges [n0, n1) of about _BLOCK_ELEMS column elements each."""
    step = max(1, _BLOCK_ELEMS // max(per_item, 1))
    for n0 in range(0, n, step):
        yield n0, min(n, n0 + step)


def _win_cols(xp: Any, win: Any, groups: int) -> Any:
    """Windows (b, C, *kernel, *out) to the column matrix (G, C/G * prod(kernel),
    b * prod(out)): channels and taps down, batch and positions across (one copy)."""
    nd = (win.ndim - 2) // 2
    b, c = win.shape[:2]
    perm = (1,) + tuple(range(2, 2 + nd)) + (0,) + tuple(range(2 + nd, 2 + 2 * nd))
    cols = xp.ascontiguousarray(win.transpose(perm))
    return cols.reshape(groups, -1, b * _prod(win.shape[2 + nd:]))


def _chan_major(xp: Any, g: Any, groups: int) -> Any:
    """(b, F, *out) to (G, F/G, b * prod(out))."""
    b, f = g.shape[:2]
    return xp.ascontiguousarray(g.swapaxes(0, 1)).reshape(groups, f // groups, -1)


# ----------------------------------------------------------------------------- flat im2col
# A stride-1 convolution reads, for kernel tap j, the padded input shifted by a fixed
# offset: with the padded input flattened per channel (N, C, prod(padded)), tap j's
# window over every output cell is the contiguous run [off_j, off_j + L) of each
# channel, L = out[0] * prod(padded[1:]) (each output row computed across the padded
# row's full width, the last (k-1)*d cells of it cropped afterwards).  So the column
# matrix is kt contiguous copies per channel (no gather of the 2*nd-axis window view),
# its rows in the weight's own (c, tap) order, and the weight gradient reads the head
# gradient laid out the same way.  Used when those cropped cells add at most
# _FLAT_WASTE to the product's columns (a 3x3 on 56x56: 3.6%; LeNet's 5x5 on 10x10: 40%,
# not used).
_FLAT_WASTE = 0.25
# The flat column matrices are built for a block of the batch, or of one item's output
# rows, of about this many elements (float32: 2 MB, in a core's L2 cache while the
# product reads it), one product per block and group.
_FLAT_BLOCK = 1 << 19


class _Flat:
    """The geometry of a stride-1 convolution on the flattened padded input."""

    def __init__(self, sp: tuple, kernel: tuple, dilate: tuple, lo: tuple, hi: tuple,
                 out: tuple) -> None:
        nd = len(kernel)
        self.padded = tuple(sp[i] + lo[i] + hi[i] for i in range(nd))
        self.lo, self.hi, self.out = lo, hi, out
        st = [1] * nd
        for i in range(nd - 2, -1, -1):
            st[i] = st[i + 1] * self.padded[i + 1]
        self.offs = [sum(k * d * s for k, d, s in zip(ks, dilate, st))
                     for ks in itertools.product(*[range(k) for k in kernel])]
        self.row = st[0]                               # cells per output row
        self.L = out[0] * st[0]
        self.size = _prod(self.padded)
        self.tail = sum((kernel[i] - 1) * dilate[i] * st[i] for i in range(1, nd))
        self.crop = tuple(slice(0, o) for o in out[1:])

    def input(self, xp: Any, x: Any) -> Any:
        """(N, C, prod(padded) + tail): *x* zero-padded and flattened per channel."""
        n, c = x.shape[:2]
        buf = xp.zeros((n, c, self.size + self.tail), dtype=x.dtype)
        view = buf[:, :, :self.size].reshape((n, c) + self.padded)
        view[(slice(None), slice(None)) + tuple(
            slice(l, l + s) for l, s in zip(self.lo, x.shape[2:]))] = x
        return buf

    def pieces(self, n: int, c: int, whole: bool = False):
        """(n0, n1, r0, r1): blocks of whole items, or of output rows of one item, of
        about _FLAT_BLOCK column elements each (*whole*: the whole batch at once)."""
        rows = self.out[0]
        per_row = c * len(self.offs) * self.row
        if whole:
            yield 0, n, 0, rows
            return
        if per_row * rows <= _FLAT_BLOCK:
            step = _FLAT_BLOCK // (per_row * rows)
            for n0 in range(0, n, step):
                yield n0, min(n, n0 + step), 0, rows
            return
        step = max(1, _FLAT_BLOCK // per_row)
        for i in range(n):
            for r0 in range(0, rows, step):
                yield i, i + 1, r0, min(rows, r0 + step)

    def cols(self, xp: Any, xf: Any, n0: int, n1: int, r0: int, r1: int,
             groups: int) -> Any:
        """The column matrix (G, C/G * kt, b * Lr) of items [n0, n1), rows [r0, r1)."""
        c, lr, base = xf.shape[1], (r1 - r0) * self.row, r0 * self.row
        cols = xp.empty((c, len(self.offs), n1 - n0, lr), dtype=xf.dtype)
        for j, off in enumerate(self.offs):
            cols[:, j] = xf[n0:n1, :, base + off:base + off + lr].swapaxes(0, 1)
        return cols.reshape(groups, -1, (n1 - n0) * lr)

    def head(self, xp: Any, g: Any, r0: int, r1: int, groups: int) -> Any:
        """Rows [r0, r1) of the head gradient (b, F, *out) as (G, F/G, b * Lr), zero in
        the cropped cells."""
        b, f = g.shape[:2]
        buf = xp.zeros((f, b, r1 - r0) + self.padded[1:], dtype=g.dtype)
        buf[(slice(None), slice(None), slice(None)) + self.crop] = g[:, :, r0:r1].swapaxes(0, 1)
        return buf.reshape(groups, f // groups, -1)

    def result(self, r: Any, f: int, b: int, r0: int, r1: int) -> Any:
        """A product (G, F/G, b * Lr) as (b, F, r1 - r0, *out[1:]) (a view)."""
        full = r.reshape((f, b, r1 - r0) + self.padded[1:])
        return full[(slice(None), slice(None), slice(None)) + self.crop].swapaxes(0, 1)


def _flat_geom(sp: tuple, kernel: tuple, stride: tuple, dilate: tuple, pad: tuple,
               groups: int) -> Any:
    """The flat geometry for a stride-1 convolution it suits, else None."""
    if any(s != 1 for s in stride):
        return None
    out = _out_of(sp, kernel, stride, dilate, pad)
    if any(o < 1 for o in out):
        return None
    geo = _Flat(sp, kernel, dilate, pad, pad, out)
    if geo.L > (1 + _FLAT_WASTE) * _prod(out):
        return None
    return geo


# ----------------------------------------------------------------------------- row-major im2col (2-D)
# A 2-D convolution off the flat layout gathers its windows in two steps.  First the
# taps along the width only: A (C, kw, Hp, N, OW), A[c, j, h, n, q] = xpad[n, c, h,
# j*dw + q*sw] (one copy of a strided view; kw * Hp / (kh * OH) of the column matrix's
# size).  The column matrix (C * kw * kh, OH * N * OW), rows in (c, kw, kh) order and
# columns in (output row, item, output column) order, is then, for each (c, j, i), one
# contiguous run of A per output row block (rows i*dh + o*sh, all items and columns at
# once): long runs instead of the window view's OW-long ones (LeNet's second layer at
# b64: 96,000 runs of 10 before).  The columns are built and multiplied a block of
# output rows at a time (_ROWS_BLOCK elements, in cache for the product), each block's
# product landing in the output directly; kept whole for the weight gradient under
# autograd as before.  The weight gradient reads the head gradient as (F, OH * N * OW)
# and the data gradient is the same layout backwards: one product per block of output
# rows, kh adds of whole blocks into dA (C, kw, Hp, N*OW), then kw strided adds into
# the padded input (see _rows_col2im).  _ROWS = False falls back to the window view.
_ROWS = True
_ROWS_BLOCK = 1 << 19
# Kept whole, the column matrix is written out of cache and read back by the product
# (the blocks above are not): worth it for the weight gradient up to about this many
# elements (8 MB in float32).  LeNet's second layer, one BLAS thread, CPU ms forward +
# weight gradient, kept / rebuilt: b64 (960,000 elements) 0.93 + 0.70 / 1.00 + 1.01;
# b256 (3.84 M) 6.90 + 3.28 / 4.55 + 4.43.
_ROWS_KEEP_ELEMS = 1 << 21


class _Rows:
    """The geometry of a 2-D convolution in the row-major layout."""

    def __init__(self, sp: tuple, kernel: tuple, stride: tuple, dilate: tuple,
                 pad: tuple) -> None:
        self.kernel, self.stride, self.dilate, self.pad = kernel, stride, dilate, pad
        self.out = _out_of(sp, kernel, stride, dilate, pad)
        self.padded = (sp[0] + 2 * pad[0], sp[1] + 2 * pad[1])

    def stage(self, xp: Any, x: Any) -> Any:
        """A (C, kw, Hp, N, OW) of the input *x* (N, C, H, W)."""
        n, c = x.shape[:2]
        xpad = _padded(xp, x, self.pad, self.pad)
        st = xpad.strides
        v = xp.lib.stride_tricks.as_strided(
            xpad, shape=(c, self.kernel[1], self.padded[0], n, self.out[1]),
            strides=(st[1], st[3] * self.dilate[1], st[2], st[0], st[3] * self.stride[1]))
        return xp.ascontiguousarray(v)

    def pieces(self, rows: int, n: int):
        """Output row blocks [o0, o1) of about _ROWS_BLOCK elements of *rows* rows."""
        oh = self.out[0]
        step = max(1, _ROWS_BLOCK // max(1, rows * n * self.out[1]))
        for o0 in range(0, oh, step):
            yield o0, min(oh, o0 + step)

    def src(self, xp: Any, a: Any, o0: int, o1: int) -> Any:
        """The view (C, kw, kh, o1 - o0, N*OW) of A: output rows [o0, o1)'s columns."""
        c, kw = a.shape[:2]
        st = a.strides
        return xp.lib.stride_tricks.as_strided(
            a[:, :, o0 * self.stride[0]:], shape=(c, kw, self.kernel[0], o1 - o0,
                                                   a.shape[3] * a.shape[4]),
            strides=(st[0], st[1], st[2] * self.dilate[0], st[2] * self.stride[0], st[4]))

    def cols(self, xp: Any, a: Any, o0: int, o1: int, groups: int) -> Any:
        """The column matrix (G, C/G * kw * kh, (o1 - o0) * N * OW) of rows [o0, o1)."""
        c = a.shape[0]
        return xp.ascontiguousarray(self.src(xp, a, o0, o1)).reshape(groups, c // groups
                                                                      * self.kernel[0]
                                                                      * self.kernel[1], -1)

    @staticmethod
    def weight(w: Any, groups: int) -> Any:
        """The weight (F, C/G, kh, kw) as (G, F/G, C/G * kw * kh)."""
        f = w.shape[0]
        return w.swapaxes(2, 3).reshape(groups, f // groups, -1)

    @staticmethod
    def head(xp: Any, g: Any, groups: int) -> Any:
        """The head gradient (N, F, OH, OW) as (G, F/G, OH * N * OW)."""
        f = g.shape[1]
        return xp.ascontiguousarray(g.transpose(1, 2, 0, 3)).reshape(groups, f // groups, -1)

    @staticmethod
    def dweight(dw: Any, wshape: tuple) -> Any:
        """(G, F/G, C/G * kw * kh) back to the weight's shape (F, C/G, kh, kw)."""
        f, cg, kh, kw = wshape
        return dw.reshape(f, cg, kw, kh).swapaxes(2, 3)


def _rows_geom(sp: tuple, kernel: tuple, stride: tuple, dilate: tuple, pad: tuple,
               groups: int) -> Any:
    """The row-major geometry for a 2-D convolution off the flat layout, else None."""
    if not _ROWS or len(kernel) != 2 or \
            _flat_geom(sp, kernel, stride, dilate, pad, groups) is not None:
        return None
    return _Rows(sp, kernel, stride, dilate, pad)


def _rows_fwd(xp: Any, geo: _Rows, x: Any, w: Any, groups: int, keep: bool) -> Any:
    n, c = x.shape[:2]
    f = w.shape[0]
    oh, ow = geo.out
    kt = geo.kernel[0] * geo.kernel[1]
    wm = _Rows.weight(w, groups)
    a = geo.stage(xp, x)
    y = xp.empty((n, f, oh, ow), dtype=xp.result_type(x.dtype, w.dtype))
    per = n * ow
    if keep:
        buf = xp.empty((c, geo.kernel[1], geo.kernel[0], oh, per), dtype=a.dtype)
        whole = buf.reshape(groups, c // groups * kt, oh * per)
    for o0, o1 in geo.pieces(c * kt, n):
        if keep:
            buf[:, :, :, o0:o1] = geo.src(xp, a, o0, o1)
            cols = whole[:, :, o0 * per:o1 * per]
        else:
            cols = geo.cols(xp, a, o0, o1, groups)
        r = xp.matmul(wm, cols)                                 # (G, F/G, rows * N * OW)
        y[:, :, o0:o1] = r.reshape(f, o1 - o0, n, ow).transpose(2, 0, 1, 3)
    return (y, whole) if keep else y


def _rows_wgrad(xp: Any, geo: _Rows, g: Any, x: Any, wshape: tuple, groups: int) -> Any:
    n, c = x.shape[:2]
    a = geo.stage(xp, x)
    gm = _Rows.head(xp, g, groups)
    per = n * geo.out[1]
    dw = None
    for o0, o1 in geo.pieces(c * geo.kernel[0] * geo.kernel[1], n):
        part = _sum_products(xp, gm[:, :, o0 * per:o1 * per], geo.cols(xp, a, o0, o1, groups))
        dw = part if dw is None else dw + part
    return _Rows.dweight(dw, wshape)


def _rows_col2im(xp: Any, g: Any, w: Any, insp: tuple, full: tuple, kernel: tuple,
                 stride: tuple, dilate: tuple, pad: tuple, groups: int) -> Any:
    """The data gradient in the row-major layout: per block of output rows one product
    ``(G, C/G * kw * kh, F/G) @ g (G, F/G, rows * N * OW)``, added into dA (C, kw, Hp,
    N * OW) with one add of a whole block per kh tap, then dA into the padded input
    with one strided add per kw tap (LeNet's second layer, b64, one BLAS thread: 1.55
    -> 1.13 ms against the flat col2im)."""
    n, f, oh, ow = g.shape
    cg = w.shape[1]
    c, fg = cg * groups, f // groups
    kh, kw = kernel
    geo = _Rows(insp, kernel, stride, dilate, pad)
    geo.out = (oh, ow)                  # (a deconvolution's adj can leave cells over)
    hp, wp = full
    dt = xp.result_type(g.dtype, w.dtype)
    wt = w.reshape(groups, fg, cg, kh, kw).transpose(0, 2, 4, 3, 1)
    wt = wt.reshape(groups, cg * kw * kh, fg)                   # rows (c, kw, kh)
    gm = _Rows.head(xp, g.astype(dt, copy=False), groups)
    per = n * ow
    da = xp.zeros((c, kw, hp, per), dtype=dt)
    for o0, o1 in geo.pieces(cg * kw * kh, n):
        d = xp.matmul(wt, gm[:, :, o0 * per:o1 * per]).reshape(c, kw, kh, o1 - o0, per)
        for i in range(kh):
            h0 = i * dilate[0] + o0 * stride[0]
            da[:, :, h0:h0 + (o1 - o0 - 1) * stride[0] + 1:stride[0]] += d[:, :, i]
    da = da.reshape(c, kw, hp, n, ow)
    dxt = xp.zeros((c, hp, n, wp), dtype=dt)
    for j in range(kw):
        q0 = j * dilate[1]
        dxt[:, :, :, q0:q0 + (ow - 1) * stride[1] + 1:stride[1]] += da[:, j]
    return dxt[:, pad[0]:pad[0] + insp[0], :, pad[1]:pad[1] + insp[1]].transpose(2, 0, 1, 3)


# ----------------------------------------------------------------------------- Winograd
# A 2-D 3x3 convolution with stride 1 and dilation 1 by Winograd's minimal filtering
# F(2x2, 3x3) (Lavin & Gray 2015): the padded input cut into 4x4 tiles overlapping by
# 2, each tile transformed as B^T d B, the kernel as G w G^T, one batched product per
# tile element (16 products (F/G, C/G) @ (C/G, tiles)) and each 4x4 result back to a
# 2x2 output tile as A^T m A: 16 multiplies per output tile and channel pair instead of
# 36 (2.25x fewer), the transforms being adds (B, A have entries 0, +-1).  The weight
# gradient is the same map's adjoint: the head gradient's tiles as A g A^T, one
# batched product (F/G, tiles) @ (tiles, C/G) per tile element, and G^T du G.
# In float32 its error is of the direct product's order (a ResNet 3x3 layer, 64
# channels, 56x56: max |error| / max |y| 3.8e-7 against 5.4e-7 for im2col, both vs
# float64); tests hold it to the direct reference at 1e-10 in float64 and, in
# float32, to 1e-5 * max |y| of the float64 result (forward and both gradients).  Used
# when both channel counts per group are at least _WINO_MIN and an item has at least
# _WINO_MIN_TILES output tiles: below either, the transforms (memory-bound) or the
# re-read of the transformed kernel per block cost more than the products save.  One
# BLAS thread, CPU ms of forward / weight gradient at batch 32, C = F, direct ->
# Winograd: 16 ch 56x56 13.2/13.7 -> 22.8/21.1; 32 ch 28x28 11.6/10.0 -> 13.3/12.4;
# 64 ch 56x56 128/118 -> 103/100 (data gradient 140 -> 105); 128 ch 28x28 124/109 ->
# 81/87; 256 ch 14x14 109/110 -> 83/102; 512 ch 7x7 (16 tiles) 91/93 -> 151/243.
_WINO_MIN = 64
_WINO_MIN_TILES = 40
# The tiles are transformed and multiplied for a block of the batch of about this
# many transformed elements (16 * C * tiles; float32: 4 MB), so they stay in cache, and
# of at least _WINO_BLOCK_TILES tiles, so each product is wide enough.
_WINO_BLOCK = 1 << 20
_WINO_BLOCK_TILES = 512


def _wino_ok(sp: tuple, c: int, f: int, kernel: tuple, stride: tuple, dilate: tuple,
             pad: tuple, groups: int) -> bool:
    if len(kernel) != 2 or tuple(kernel) != (3, 3) or any(s != 1 for s in stride) or \
            any(d != 1 for d in dilate):
        return False
    if min(c // groups, f // groups) < _WINO_MIN:
        return False
    out = tuple(sp[i] + 2 * pad[i] - 2 for i in range(2))
    if min(out) < 1:
        return False
    th, tw = _wino_tiles(*out)
    return th * tw >= _WINO_MIN_TILES


_WG = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))


def _wino_tiles(oh: int, ow: int) -> tuple[int, int]:
    return -(-oh // 2), -(-ow // 2)


def _wino_step(c: int, th: int, tw: int) -> int:
    """Items per block."""
    tiles = max(1, th * tw)
    return max(1, _WINO_BLOCK // (16 * c * tiles), -(-_WINO_BLOCK_TILES // tiles))


def _wino_phases(xp: Any, x: Any, lo: tuple, th: int, tw: int) -> Any:
    """The zero-padded block *x* (b, C, H, W) (*lo* cells before) split by the parity of
    its padded row and column: (2, 2, b, C, (th+1)*(tw+1) + 1), phase [a, e] holding the
    padded cells (2m + a, 2q + e) flattened per channel.  A 4x4 tile's element (i, j) is
    then phase [i % 2, j % 2] shifted by (i // 2) * (tw+1) + j // 2: every tile at once
    is one contiguous run of each phase (the tile grid's rows carry one extra column,
    computed and cropped, as in the flat layout)."""
    b, c, h, w = x.shape
    hq, wq = th + 1, tw + 1
    ph = xp.zeros((2, 2, b, c, hq * wq + 1), dtype=x.dtype)
    for a in range(2):
        r0 = (a - lo[0]) % 2                  # first input row of padded parity a
        m0 = (r0 + lo[0] - a) // 2
        for e in range(2):
            c0 = (e - lo[1]) % 2
            q0 = (c0 + lo[1] - e) // 2
            src = x[:, :, r0::2, c0::2]
            mh, qw = min(src.shape[2], hq - m0), min(src.shape[3], wq - q0)
            view = ph[a, e, :, :, :hq * wq].reshape(b, c, hq, wq)
            view[:, :, m0:m0 + mh, q0:q0 + qw] = src[:, :, :mh, :qw]
    return ph


def _wino_input(xp: Any, ph: Any, th: int, tw: int) -> Any:
    """B^T d B of every 4x4 tile, from the phases of :func:`_wino_phases`, as (16, C,
    b * th * (tw+1)): the row transform (one contiguous step per output row and column
    parity), then the column transform (one step per output column, all rows at once)."""
    b, c = ph.shape[2:4]
    wq = tw + 1
    n = th * wq
    r = xp.empty((4, 2, b, c, n + 1), dtype=ph.dtype)
    for e in range(2):
        a0, b0 = ph[0, e, :, :, :n + 1], ph[0, e, :, :, wq:wq + n + 1]
        a1, b1 = ph[1, e, :, :, :n + 1], ph[1, e, :, :, wq:wq + n + 1]
        xp.subtract(a0, b0, out=r[0, e])
        xp.add(a1, b0, out=r[1, e])
        xp.subtract(b0, a1, out=r[2, e])
        xp.subtract(a1, b1, out=r[3, e])
    v = xp.empty((4, 4, c, b, n), dtype=ph.dtype)
    e0, e0s = r[:, 0, ..., :n].swapaxes(1, 2), r[:, 0, ..., 1:].swapaxes(1, 2)
    e1, e1s = r[:, 1, ..., :n].swapaxes(1, 2), r[:, 1, ..., 1:].swapaxes(1, 2)
    xp.subtract(e0, e0s, out=v[:, 0])
    xp.add(e1, e0s, out=v[:, 1])
    xp.subtract(e0s, e1, out=v[:, 2])
    xp.subtract(e1, e1s, out=v[:, 3])
    return v.reshape(16, c, -1)


def _wino_output(xp: Any, m: Any, f: int, b: int, th: int, tw: int, tgt: Any) -> None:
    """A^T m A of every tile's (16, F, b * th * (tw+1)) products into *tgt* (b, F, 2th,
    2tw) (the extra tile column cropped)."""
    m = m.reshape(4, 4, f, b, th * (tw + 1))
    s = xp.empty((2, 4, f, b, th * (tw + 1)), dtype=m.dtype)
    xp.add(m[0], m[1], out=s[0])
    s[0] += m[2]
    xp.subtract(m[1], m[2], out=s[1])
    s[1] -= m[3]
    s = s.reshape(2, 4, f, b, th, tw + 1)[..., :tw]
    for a in range(2):
        o0 = tgt[:, :, a::2, 0::2].swapaxes(0, 1)
        o1 = tgt[:, :, a::2, 1::2].swapaxes(0, 1)
        xp.add(s[a, 0], s[a, 1], out=o0)
        o0 += s[a, 2]
        xp.subtract(s[a, 1], s[a, 2], out=o1)
        o1 -= s[a, 3]


def _wino_fwd(xp: Any, x: Any, w: Any, lo: tuple, groups: int) -> Any:
    """The convolution of *x* (N, C, H, W), padded by *lo* before and after, with the
    3x3 weight *w* (F, C/G, 3, 3), by F(2x2, 3x3)."""
    n, c, h, wd = x.shape
    f, cg = w.shape[:2]
    fg = f // groups
    oh, ow = h + 2 * lo[0] - 2, wd + 2 * lo[1] - 2
    th, tw = _wino_tiles(oh, ow)
    dt = xp.result_type(x.dtype, w.dtype)
    gm = xp.asarray(_WG, dtype=dt)
    u = xp.einsum("ai,fcij,bj->abfc", gm, w, gm).reshape(16, groups, fg, cg)
    y = xp.empty((n, f, oh, ow), dtype=dt)
    even = (oh, ow) == (2 * th, 2 * tw)
    step = _wino_step(c, th, tw)
    for n0 in range(0, n, step):
        n1 = min(n, n0 + step)
        b = n1 - n0
        v = _wino_input(xp, _wino_phases(xp, x[n0:n1], lo, th, tw), th, tw)
        mm = xp.matmul(u, v.reshape(16, groups, cg, -1))            # (16, G, F/G, P)
        tgt = y[n0:n1] if even else xp.empty((b, f, 2 * th, 2 * tw), dtype=dt)
        _wino_output(xp, mm, f, b, th, tw, tgt)
        if not even:
            y[n0:n1] = tgt[:, :, :oh, :ow]
    return y


def _wino_head(xp: Any, g: Any, th: int, tw: int) -> Any:
    """A g A^T of every 2x2 tile of the head gradient block *g* (b, F, oh, ow) (zero
    past its edge and in the extra tile column), as (16, F, b * th * (tw+1))."""
    b, f, oh, ow = g.shape
    wq = tw + 1
    gp = xp.zeros((2, 2, f, b, th, wq), dtype=g.dtype)     # [row parity, col parity]
    for a in range(2):
        for e in range(2):
            src = g[:, :, a::2, e::2].swapaxes(0, 1)
            gp[a, e, :, :, :src.shape[2], :src.shape[3]] = src
    gp = gp.reshape(2, 2, f, b, th * wq)
    r = xp.empty((4, 2, f, b, th * wq), dtype=g.dtype)
    r[0] = gp[0]
    xp.add(gp[0], gp[1], out=r[1])
    xp.subtract(gp[0], gp[1], out=r[2])
    xp.negative(gp[1], out=r[3])
    z = xp.empty((4, 4, f, b, th * wq), dtype=g.dtype)
    z[:, 0] = r[:, 0]
    xp.add(r[:, 0], r[:, 1], out=z[:, 1])
    xp.subtract(r[:, 0], r[:, 1], out=z[:, 2])
    xp.negative(r[:, 1], out=z[:, 3])
    return z.reshape(16, f, -1)


def _wino_wgrad(xp: Any, g: Any, x: Any, wshape: tuple, pad: tuple, groups: int) -> Any:
    """The weight gradient of :func:`_wino_fwd` (its adjoint in w)."""
    n, c = x.shape[:2]
    f = g.shape[1]
    fg, cg = f // groups, c // groups
    oh, ow = g.shape[2:]
    th, tw = _wino_tiles(oh, ow)
    step = _wino_step(max(c, f), th, tw)
    du = None
    for n0 in range(0, n, step):
        n1 = min(n, n0 + step)
        v = _wino_input(xp, _wino_phases(xp, x[n0:n1], pad, th, tw), th, tw)
        z = _wino_head(xp, g[n0:n1], th, tw)
        part = xp.matmul(z.reshape(16, groups, fg, -1),
                         v.reshape(16, groups, cg, -1).swapaxes(-1, -2))   # (16, G, F/G, C/G)
        du = part if du is None else du + part
    gm = xp.asarray(_WG, dtype=du.dtype)
    dw = xp.einsum("ai,abfc,bj->fcij", gm, du.reshape(4, 4, f, cg), gm)
    return dw.reshape(wshape)


# ----------------------------------------------------------------------------- kernels
def _conv_fwd(xp: Any, x: Any, w: Any, kernel: tuple, stride: tuple, dilate: tuple,
              pad: tuple, groups: int, keep: bool = False) -> Any:
    """The convolution; with *keep*, also its column matrix (G, C/G*K, N*O) (or
    (G, C/G*K, N*L) on the flat layout), built whole (for the weight gradient)."""
    n, c = x.shape[:2]
    f = w.shape[0]
    out = _out_of(tuple(x.shape[2:]), kernel, stride, dilate, pad)
    kt, ot = _prod(kernel), _prod(out)
    if not keep and _wino_ok(tuple(x.shape[2:]), c, f, kernel, stride, dilate, pad, groups):
        return _wino_fwd(xp, x, w, tuple(pad), groups)
    wm = w.reshape(groups, f // groups, -1)                     # (G, F/G, C/G*K)
    y = xp.empty((n, f) + out, dtype=xp.result_type(x.dtype, w.dtype))
    cols = None
    geo = _flat_geom(tuple(x.shape[2:]), kernel, stride, dilate, pad, groups)
    if geo is not None:
        xf = geo.input(xp, x)
        for n0, n1, r0, r1 in geo.pieces(n, c, whole=keep):
            cols = geo.cols(xp, xf, n0, n1, r0, r1, groups)
            y[n0:n1, :, r0:r1] = geo.result(
                _wide_product(xp, wm, cols) if keep else xp.matmul(wm, cols), f, n1 - n0, r0, r1)
        return (y, cols) if keep else y
    rows = _rows_geom(tuple(x.shape[2:]), kernel, stride, dilate, pad, groups)
    if rows is not None:
        return _rows_fwd(xp, rows, x, w, groups, keep)
    win = _windows(xp, _padded(xp, x, pad, pad), kernel, stride, dilate, out)
    for n0, n1 in (((0, n),) if keep else _blocks(n, c * kt * ot)):
        cols = _win_cols(xp, win[n0:n1], groups)
        r = xp.matmul(wm, cols)                                 # (G, F/G, b*O)
        y[n0:n1] = r.reshape((f, n1 - n0) + out).swapaxes(0, 1)
    return (y, cols) if keep else y


# A kept (whole-batch, under autograd) flat column matrix is multiplied in pieces of _SPLIT_COLS columns
# when the product runs on one BLAS thread and has at most _SPLIT_MAX_COLS columns.
# LeNet's first layer at batch 64, (6, 25) @ (25, 57344), one thread (2 cores, median
# of 30): whole 0.78-0.86 ms, 4096-column pieces 0.35-0.36 ms (2048: 0.66, 8192: 0.85);
# at batch 256 (229376 columns, 23 MB, past the cache) the pieces gained nothing
# (7.6 vs 7.6 ms), and with two BLAS threads the previous trial made batch 256 slower.
_SPLIT_COLS = 4096
_SPLIT_MAX_COLS = 1 << 17


def _wide_product(xp: Any, wm: Any, cols: Any) -> Any:
    """``wm @ cols`` (G, F/G, ncols), in column pieces where that is faster (above)."""
    n = cols.shape[-1]
    if xp is not _onp or not _SPLIT_COLS < n <= _SPLIT_MAX_COLS:
        return xp.matmul(wm, cols)
    from ..device.blas import BLAS

    if BLAS.last != 1:
        return xp.matmul(wm, cols)
    out = xp.empty(wm.shape[:2] + (n,), dtype=xp.result_type(wm.dtype, cols.dtype))
    for i in range(0, n, _SPLIT_COLS):
        xp.matmul(wm, cols[:, :, i:i + _SPLIT_COLS], out=out[:, :, i:i + _SPLIT_COLS])
    return out


def _conv_wgrad(xp: Any, g: Any, x: Any, wshape: tuple, kernel: tuple, stride: tuple,
                dilate: tuple, pad: tuple, groups: int) -> Any:
    n, c = x.shape[:2]
    out = tuple(g.shape[2:])
    kt, ot = _prod(kernel), _prod(out)
    dw = None
    if _wino_ok(tuple(x.shape[2:]), c, g.shape[1], kernel, stride, dilate, pad, groups):
        return _wino_wgrad(xp, g, x, wshape, tuple(pad), groups)
    geo = _flat_geom(tuple(x.shape[2:]), kernel, stride, dilate, pad, groups)
    if geo is not None:
        xf = geo.input(xp, x)
        for n0, n1, r0, r1 in geo.pieces(n, c):
            cols = geo.cols(xp, xf, n0, n1, r0, r1, groups)     # (G, C/G*K, b*Lr)
            part = _wgrad_product(xp, geo.head(xp, g[n0:n1], r0, r1, groups), cols)
            dw = part if dw is None else dw + part
        return dw.transpose(0, 2, 1).reshape(wshape)
    rows = _rows_geom(tuple(x.shape[2:]), kernel, stride, dilate, pad, groups)
    if rows is not None:
        return _rows_wgrad(xp, rows, g, x, wshape, groups)
    win = _windows(xp, _padded(xp, x, pad, pad), kernel, stride, dilate, out)
    for n0, n1 in _blocks(n, c * kt * ot):
        cols = _win_cols(xp, win[n0:n1], groups)               # (G, C/G*K, b*O)
        part = _wgrad_product(xp, _chan_major(xp, g[n0:n1], groups), cols)
        dw = part if dw is None else dw + part
    return dw.transpose(0, 2, 1).reshape(wshape)


def _wgrad_product(xp: Any, gm: Any, cols: Any) -> Any:
    """The weight gradient's product, transposed: ``cols @ gm^T`` (G, C/G*K, F/G), the
    columns as the untransposed operand (b32 ResNet 3x3 layer, (576, 910) @ (910, 64),
    one BLAS thread: 116 GF/s; ``gm @ cols^T`` 89 GF/s)."""
    return xp.matmul(cols, gm.transpose(0, 2, 1))


def _conv_dgrad(xp: Any, g: Any, w: Any, insp: tuple, kernel: tuple, stride: tuple,
                dilate: tuple, pad: tuple, groups: int) -> Any:
    """The transpose of the convolution: from g (N, F, *out) and the convolution weight
    w (F, C/G, *kernel) to (N, C, *insp) (the data gradient; the deconvolution)."""
    n, f = g.shape[:2]
    out = tuple(g.shape[2:])
    nd = len(kernel)
    cg = w.shape[1]
    c = cg * groups
    fg = f // groups
    kt, ot = _prod(kernel), _prod(out)
    if all(s == 1 for s in stride) and f * _prod(insp) <= 2 * c * ot:
        # a convolution of g, padded by d(k-1) - p (cropped where negative), with the
        # kernel flipped and its channels swapped: its columns are F * K per input cell,
        # against C * K per output cell (plus the scatter) for col2im below
        lo = tuple(dilate[i] * (kernel[i] - 1) - pad[i] for i in range(nd))
        hi = tuple(insp[i] - out[i] + dilate[i] * (kernel[i] - 1) - lo[i] for i in range(nd))
        flip = (slice(None), slice(None), slice(None)) + (slice(None, None, -1),) * nd
        wt = w.reshape((groups, fg, cg) + tuple(kernel))[flip].swapaxes(1, 2)
        wt = wt.reshape((c, fg) + tuple(kernel))
        if lo == hi and min(lo) >= 0 and _wino_ok(out, f, c, kernel, stride, dilate, lo,
                                                  groups):
            return _wino_fwd(xp, g, wt, lo, groups)      # (its own padding: no copy)
        if any(v < 0 for v in lo + hi):
            crop = (slice(None), slice(None)) + tuple(
                slice(max(-lo[i], 0), out[i] - max(-hi[i], 0)) for i in range(nd))
            g = g[crop]
        gp = _padded(xp, g, tuple(max(v, 0) for v in lo), tuple(max(v, 0) for v in hi))
        return _conv_fwd(xp, gp, wt, kernel, (1,) * nd, dilate, (0,) * nd, groups)
    full = tuple(max(insp[i] + 2 * pad[i],
                     (out[i] - 1) * stride[i] + dilate[i] * (kernel[i] - 1) + 1)
                 for i in range(nd))
    if all(s == 1 for s in stride) and _rows_geom(insp, kernel, stride, dilate, pad,
                                                 groups) is not None and \
            c * kernel[1] * full[0] * n * out[1] <= _KEEP_ELEMS:
        return _rows_col2im(xp, g, w, insp, full, kernel, stride, dilate, pad, groups)
    if all(s == 1 for s in stride):
        return _flat_col2im(xp, g, w, insp, full, kernel, dilate, pad, groups)
    wm = w.reshape(groups, fg, cg * kt).transpose(0, 2, 1)      # (G, C/G*K, F/G)
    dx = xp.zeros((n, c) + full, dtype=xp.result_type(g.dtype, w.dtype))
    lead = (slice(None), slice(None))
    for n0, n1 in _blocks(n, c * kt * ot):
        b = n1 - n0
        # columns (C, *kernel, b, *out), scattered back with one strided add per tap
        dcols = xp.matmul(wm, _chan_major(xp, g[n0:n1], groups))
        dcols = dcols.reshape((c,) + tuple(kernel) + (b,) + out)
        blk = dx[n0:n1]
        for _, ks, sl in _tap_slices(kernel, stride, dilate, out):
            blk[lead + sl] += dcols[(slice(None),) + ks].swapaxes(0, 1)
    crop = lead + tuple(slice(pad[i], pad[i] + insp[i]) for i in range(nd))
    return dx[crop]


def _flat_col2im(xp: Any, g: Any, w: Any, insp: tuple, full: tuple, kernel: tuple,
                 dilate: tuple, pad: tuple, groups: int) -> Any:
    """col2im of a stride-1 convolution on the flat layout: per block of items one
    batched product ``(K*C/G, F/G) @ g_n (F/G, L)`` (g on the padded-width grid), its
    rows scattered back with one add of a contiguous run per channel and kernel tap
    (not of a 2-D window: LeNet's second layer at b256, 10.0 -> 7.8 ms)."""
    n, f = g.shape[:2]
    out = tuple(g.shape[2:])
    nd = len(kernel)
    cg = w.shape[1]
    c, fg, kt = cg * groups, f // groups, _prod(kernel)
    hi = tuple(full[i] - insp[i] - pad[i] for i in range(nd))
    geo = _Flat(insp, kernel, dilate, pad, hi, out)
    dt = xp.result_type(g.dtype, w.dtype)
    gf = xp.zeros((n, f, out[0]) + geo.padded[1:], dtype=dt)
    gf[(slice(None),) * 3 + geo.crop] = g
    gf = gf.reshape(n, f, geo.L)
    dxf = xp.zeros((n, c, geo.size + geo.tail), dtype=dt)
    step = max(1, _FLAT_BLOCK // max(1, kt * cg * geo.L))
    for gi in range(groups):
        wt = w[gi * fg:(gi + 1) * fg].reshape(fg, cg, kt).transpose(2, 1, 0)
        wt = xp.ascontiguousarray(wt).reshape(kt * cg, fg)       # rows (tap, c)
        for n0 in range(0, n, step):
            n1 = min(n, n0 + step)
            d = xp.matmul(wt, gf[n0:n1, gi * fg:(gi + 1) * fg])  # (b, K*C/G, L)
            d = d.reshape(n1 - n0, kt, cg, geo.L)
            for j, off in enumerate(geo.offs):
                dxf[n0:n1, gi * cg:(gi + 1) * cg, off:off + geo.L] += d[:, j]
    dx = dxf[:, :, :geo.size].reshape((n, c) + geo.padded)
    return dx[(slice(None), slice(None)) + tuple(slice(pad[i], pad[i] + insp[i])
                                                 for i in range(nd))]


def _bias_shape(b: Any, nd: int) -> tuple:
    return (1, b.shape[0]) + (1,) * nd


def _cols_cells(sp: tuple, kernel: tuple, stride: tuple, dilate: tuple, pad: tuple,
                groups: int) -> int:
    """The columns per item of the forward pass's column matrix (O, or L when flat)."""
    geo = _flat_geom(sp, kernel, stride, dilate, pad, groups)
    return geo.L if geo is not None else _prod(_out_of(sp, kernel, stride, dilate, pad))


def _keeps_cols(n: int, c: int, kernel: tuple, cells: int, keep_cols: bool,
                wino: bool = False, rows: bool = False) -> bool:
    """Whether the forward pass keeps its column matrix (never for a Winograd
    convolution: its weight gradient transforms the input again; on the row-major
    layout only up to _ROWS_KEEP_ELEMS)."""
    limit = _ROWS_KEEP_ELEMS if rows else _KEEP_ELEMS
    return keep_cols and not wino and n * c * _prod(kernel) * cells <= limit


def _convolution_k(xp: Any, x: Any, w: Any, b: Any = None, kernel: tuple = (),
                   stride: tuple = (), dilate: tuple = (), pad: tuple = (),
                   num_group: int = 1, keep_cols: bool = False) -> Any:
    acc = _acc(xp, x.dtype)
    cells = _cols_cells(tuple(x.shape[2:]), kernel, stride, dilate, pad, num_group)
    wino = _wino_ok(tuple(x.shape[2:]), x.shape[1], w.shape[0], kernel, stride, dilate, pad,
                    num_group)
    rows = _rows_geom(tuple(x.shape[2:]), kernel, stride, dilate, pad, num_group) is not None
    keep = _keeps_cols(x.shape[0], x.shape[1], kernel, cells, keep_cols, wino, rows)
    r = _conv_fwd(xp, x.astype(acc, copy=False), w.astype(acc, copy=False), kernel, stride,
                  dilate, pad, num_group, keep)
    y, cols = r if keep else (r, xp.empty((0,), dtype=acc))
    if b is not None:
        y += b.astype(acc, copy=False).reshape(_bias_shape(b, len(kernel)))
    return y, cols


def _deconvolution_k(xp: Any, x: Any, w: Any, b: Any = None, kernel: tuple = (),
                     stride: tuple = (), dilate: tuple = (), pad: tuple = (),
                     adj: tuple = (), num_group: int = 1) -> Any:
    acc = _acc(xp, x.dtype)
    insp = tuple(deconv_out_size(x.shape[2 + i], kernel[i], stride[i], dilate[i], pad[i],
                                 adj[i]) for i in range(len(kernel)))
    y = _conv_dgrad(xp, x.astype(acc, copy=False), w.astype(acc, copy=False), insp, kernel,
                    stride, dilate, pad, num_group)
    if b is not None:
        y = y + b.astype(acc, copy=False).reshape(_bias_shape(b, len(kernel)))
    return y


def _conv_wgrad_cols_k(xp: Any, g: Any, cols: Any, x: Any = None, wshape: tuple = (),
                       kernel: tuple = (), stride: tuple = (), dilate: tuple = (),
                       pad: tuple = (), num_group: int = 1) -> Any:
    """The weight gradient from the columns the forward pass kept (*x*: the data, for
    its shape)."""
    ga = g.astype(cols.dtype, copy=False)
    geo = _flat_geom(tuple(x.shape[2:]), kernel, stride, dilate, pad, num_group)
    if geo is not None:
        gm = geo.head(xp, ga, 0, geo.out[0], num_group)
    elif _rows_geom(tuple(x.shape[2:]), kernel, stride, dilate, pad, num_group) is not None:
        return _Rows.dweight(_sum_products(xp, _Rows.head(xp, ga, num_group), cols), wshape)
    else:
        gm = _chan_major(xp, ga, num_group)
    return _sum_products(xp, gm, cols).reshape(wshape)


# A product contracting a long axis (the weight gradient's batch * positions) is summed
# over pieces of about this many elements of its larger operand, so each piece is
# still in cache when the BLAS reads it: LeNet's first layer at batch 64, (6, 57344) @
# (57344, 25), one BLAS thread: 0.99 ms whole, 0.35 ms in pieces of 4096 columns.
_PIECE_ELEMS = 1 << 17


def _sum_products(xp: Any, a: Any, b: Any) -> Any:
    """``a @ b^T`` for (G, M, K) and (G, N, K): in pieces of K when K is long and M
    and N are small (larger products reuse what they read in cache themselves)."""
    k, mn = a.shape[-1], max(a.shape[1], b.shape[1], 1)
    step = max(256, _PIECE_ELEMS // mn)
    if k <= 2 * step or mn >= 64:
        return _wgrad_product(xp, a, b).transpose(0, 2, 1)
    r = None
    for k0 in range(0, k, step):
        part = xp.matmul(a[:, :, k0:k0 + step], b[:, :, k0:k0 + step].transpose(0, 2, 1))
        r = part if r is None else r + part
    return r


def _conv_wgrad_k(xp: Any, g: Any, x: Any, wshape: tuple = (), kernel: tuple = (),
                  stride: tuple = (), dilate: tuple = (), pad: tuple = (),
                  num_group: int = 1) -> Any:
    acc = _acc(xp, g.dtype)
    return _conv_wgrad(xp, g.astype(acc, copy=False), x.astype(acc, copy=False), wshape,
                       kernel, stride, dilate, pad, num_group)


# ----------------------------------------------------------------------------- shape rules
def _check_common(name: str, x: Any, w: Any, b: Any, kernel: tuple, num_group: int) -> int:
    sx, sw = tuple(x.shape), tuple(w.shape)
    nd = len(kernel)
    if nd not in (1, 2, 3):
        raise ShapeError(f"{name}: kernel {kernel} must have 1, 2 or 3 values")
    if len(sx) != nd + 2 or len(sw) != nd + 2:
        raise ShapeError(f"{name}: data {sx} and weight {sw} must have {nd + 2} axes for the "
                         f"{nd}-D kernel {kernel} (layout {_LAYOUT[nd]})")
    if sw[2:] != tuple(kernel):
        raise ShapeError(f"{name}: weight {sw} does not match kernel {kernel}")
    for a, what in ((x, "data"), (w, "weight"), (b, "bias")):
        if a is not None and a.dtype.kind != "f":
            raise DTypeError(f"{name}: {what} must be floating-point, got {a.dtype}")
        if a is not None and a.dtype != x.dtype:
            raise DTypeError(f"{name}: data ({x.dtype}), weight ({w.dtype})"
                             f"{'' if b is None else f' and bias ({b.dtype})'} must have one "
                             f"dtype")
    if num_group < 1:
        raise ShapeError(f"{name}: num_group must be >= 1, got {num_group}")
    return nd


def _convolution_infer(x: Any, w: Any, b: Any = None, kernel: tuple = (), stride: tuple = (),
                       dilate: tuple = (), pad: tuple = (), num_group: int = 1,
                       keep_cols: bool = False):
    nd = _check_common("convolution", x, w, b, kernel, num_group)
    sx, sw = tuple(x.shape), tuple(w.shape)
    f, c = sw[0], sx[1]
    if c % num_group or f % num_group or sw[1] * num_group != c:
        raise ShapeError(f"convolution: weight {sw} does not fit data {sx}: expected "
                         f"({f}, {c // num_group if c % num_group == 0 else c / num_group}, "
                         f"{', '.join(map(str, kernel))}) with num_group={num_group} (and "
                         f"channels and filters divisible by it)")
    if b is not None and tuple(b.shape) != (f,):
        raise ShapeError(f"convolution: bias {tuple(b.shape)} must be ({f},) (one per filter)")
    out = tuple(conv_out_size(sx[2 + i], kernel[i], stride[i], dilate[i], pad[i])
                for i in range(nd))
    if any(o < 1 for o in out):
        span = tuple(dilate[i] * (kernel[i] - 1) + 1 for i in range(nd))
        raise ShapeError(f"convolution: the kernel {kernel} (dilated: {span}) is larger than "
                         f"the padded input {tuple(sx[2 + i] + 2 * pad[i] for i in range(nd))}")
    acc = _onp.dtype(_onp.float32) if x.dtype == _onp.float16 else x.dtype
    cells = _cols_cells(sx[2:], kernel, stride, dilate, pad, num_group)
    wino = _wino_ok(sx[2:], c, f, kernel, stride, dilate, pad, num_group)
    rows = _rows_geom(sx[2:], kernel, stride, dilate, pad, num_group) is not None
    if _keeps_cols(sx[0], c, kernel, cells, keep_cols, wino, rows):
        cshape = (num_group, (c // num_group) * _prod(kernel), sx[0] * cells)
    else:
        cshape = (0,)
    return [((sx[0], f) + out, x.dtype), (cshape, acc)]


def _deconvolution_infer(x: Any, w: Any, b: Any = None, kernel: tuple = (),
                         stride: tuple = (), dilate: tuple = (), pad: tuple = (),
                         adj: tuple = (), num_group: int = 1):
    nd = _check_common("deconvolution", x, w, b, kernel, num_group)
    sx, sw = tuple(x.shape), tuple(w.shape)
    c = sx[1]
    if sw[0] != c or c % num_group:
        raise ShapeError(f"deconvolution: weight {sw} does not fit data {sx}: expected "
                         f"({c}, num_filter / num_group, {', '.join(map(str, kernel))}) with "
                         f"num_group={num_group} dividing the {c} input channels")
    f = sw[1] * num_group
    if b is not None and tuple(b.shape) != (f,):
        raise ShapeError(f"deconvolution: bias {tuple(b.shape)} must be ({f},) (one per "
                         f"filter)")
    for i in range(nd):
        if adj[i] < 0 or (adj[i] >= stride[i] and adj[i] >= dilate[i]):
            raise ShapeError(f"deconvolution: adj {adj} must be smaller than stride {stride} "
                             f"or dilate {dilate} (and >= 0)")
    out = tuple(deconv_out_size(sx[2 + i], kernel[i], stride[i], dilate[i], pad[i], adj[i])
                for i in range(nd))
    if any(o < 1 for o in out):
        raise ShapeError(f"deconvolution: pad {pad} is too large for data {sx} and kernel "
                         f"{kernel}: the output would be {out}")
    return (sx[0], f) + out, x.dtype


# ----------------------------------------------------------------------------- gradients
def _sum_bias(g: Any) -> Any:
    return _F().sum(g, axis=(0,) + tuple(range(2, g.ndim)))


def _conv_params(p: dict) -> dict:
    return {k: p[k] for k in ("kernel", "stride", "dilate", "pad", "num_group")}


def _convolution_grad(gs: Any, outs: Any, x: Any, w: Any, b: Any = None, **p: Any):
    from .ndarray import apply_op

    g, cols = gs[0], outs[1]
    gx = gw = gb = None
    if g is None:                    # (only the column matrix was used: no gradient)
        return gx, gw, gb
    kernel, stride, dilate, pad = p["kernel"], p["stride"], p["dilate"], p["pad"]
    if _needs(0):
        adj = tuple(x.shape[2 + i] - deconv_out_size(g.shape[2 + i], kernel[i], stride[i],
                                                     dilate[i], pad[i], 0)
                    for i in range(len(kernel)))
        gx = apply_op(_DECONV, (g, w, None), dict(_conv_params(p), adj=adj))
    if _needs(1):
        if cols.shape != (0,):
            gw = apply_op(_CONV_WGRAD_COLS, (g, cols, x), dict(_conv_params(p),
                                                                wshape=tuple(w.shape)))
        else:
            gw = apply_op(_CONV_WGRAD, (g, x), dict(_conv_params(p), wshape=tuple(w.shape)))
    if b is not None and _needs(2):
        gb = _sum_bias(g)
    return gx, gw, gb


def _deconvolution_grad(g: Any, out: Any, x: Any, w: Any, b: Any = None, **p: Any):
    from .ndarray import apply_op

    gx = gw = gb = None
    cp = _conv_params(p)
    if _needs(0):
        gx = apply_op(_CONV, (g, w, None), cp)[0]
    if _needs(1):
        gw = apply_op(_CONV_WGRAD, (x, g), dict(cp, wshape=tuple(w.shape)))
    if b is not None and _needs(2):
        gb = _sum_bias(g)
    return gx, gw, gb


_CONV = register("convolution", _blas(_convolution_k), _convolution_infer, _convolution_grad,
                 nout=2, grad_needs_outputs=True)
_DECONV = register("deconvolution", _blas(_deconvolution_k), _deconvolution_infer,
                   _deconvolution_grad)
_CONV_WGRAD = register("_convolution_weight_grad", _blas(_conv_wgrad_k),
                       lambda g, x, wshape=(), **_: (tuple(wshape), g.dtype))
_CONV_WGRAD_COLS = register("_convolution_weight_grad_cols", _blas(_conv_wgrad_cols_k),
                            lambda g, cols, x=None, wshape=(), **_: (tuple(wshape), g.dtype))


# ----------------------------------------------------------------------------- pooling
def _pool_geometry(sp: tuple, kernel: tuple, stride: tuple, pad: tuple,
                   full: bool) -> tuple[tuple, tuple]:
    """Output size, and the cells added past the right padding so that the last
    window of the 'full' convention fits."""
    out = tuple(pool_out_size(sp[i], kernel[i], stride[i], pad[i], full)
                for i in range(len(kernel)))
    extra = tuple(max(0, (out[i] - 1) * stride[i] + kernel[i] - (sp[i] + 2 * pad[i]))
                  for i in range(len(kernel)))
    return out, extra


def _pool_counts(xp: Any, sp: tuple, kernel: tuple, stride: tuple, pad: tuple,
                 out: tuple, extra: tuple, include_pad: bool, dtype: Any) -> Any:
    """How many cells each window averages (broadcastable to (N, C, *out)): those of
    the input, and of its explicit padding with *include_pad*; never the extra cells
    of the 'full' convention.  Per axis, then multiplied (the windows are boxes)."""
    nd = len(kernel)
    total = None
    for i in range(nd):
        start = xp.arange(out[i]) * stride[i] - pad[i]
        end = start + kernel[i]
        if include_pad:
            lo, hi = -pad[i], sp[i] + pad[i]
        else:
            lo, hi = 0, sp[i]
        # a window of only the 'full' convention's extra cells averages nothing: 0
        cnt = xp.maximum(xp.minimum(end, hi) - xp.maximum(start, lo), 1).astype(dtype)
        shape = [1] * (nd + 2)
        shape[2 + i] = out[i]
        cnt = cnt.reshape(shape)
        total = cnt if total is None else total * cnt
    return total


def _pool_k(xp: Any, x: Any, kernel: tuple = (), stride: tuple = (), pad: tuple = (),
            pool_type: str = "max", full: bool = False, count_include_pad: bool = True,
            p_value: int = 2) -> Any:
    acc = _acc(xp, x.dtype)
    xa = x.astype(acc, copy=False)
    sp = tuple(x.shape[2:])
    out, extra = _pool_geometry(sp, kernel, stride, pad, full)
    hi = tuple(p + e for p, e in zip(pad, extra))
    if pool_type == "lp" and p_value != 1:
        xa = xa ** p_value
    # max pads with the lowest finite value: a window of only padding (the 'full'
    # convention can make one) gives it, as MXNet's (which starts from it) does
    xpad = _padded(xp, xa, pad, hi, _lowest(xp, x.dtype) if pool_type == "max" else 0.0)
    nd = len(kernel)
    ones = (1,) * nd
    r = None
    for _, _, sl in _tap_slices(kernel, stride, ones, out):
        v = xpad[(slice(None), slice(None)) + sl]
        if r is None:
            r = v.copy()
        elif pool_type == "max":
            xp.maximum(r, v, out=r)
        else:
            r += v
    if pool_type == "avg":
        r /= _pool_counts(xp, sp, kernel, stride, pad, out, extra, count_include_pad, acc)
    elif pool_type == "lp" and p_value != 1:
        r = _root(xp, r, p_value)
    return r


def _root(xp: Any, s: Any, p: int) -> Any:
    """``s ** (1/p)``, for odd *p* the real root of a negative sum, as MXNet's."""
    if p % 2:
        return xp.sign(s) * xp.abs(s) ** (1.0 / p)
    return s ** (1.0 / p)


def _pool_infer(x: Any, kernel: tuple = (), stride: tuple = (), pad: tuple = (),
                pool_type: str = "max", full: bool = False, count_include_pad: bool = True,
                p_value: int = 2):
    sx = tuple(x.shape)
    nd = len(kernel)
    if nd not in (1, 2, 3):
        raise ShapeError(f"pooling: kernel {kernel} must have 1, 2 or 3 values")
    if len(sx) != nd + 2:
        raise ShapeError(f"pooling: data {sx} must have {nd + 2} axes for the {nd}-D kernel "
                         f"{kernel} (layout {_LAYOUT[nd]})")
    if x.dtype.kind != "f":
        raise DTypeError(f"pooling: data must be floating-point, got {x.dtype}")
    out, _ = _pool_geometry(sx[2:], kernel, stride, pad, full)
    if any(o < 1 for o in out):
        raise ShapeError(f"pooling: the kernel {kernel} is larger than the padded input "
                         f"{tuple(sx[2 + i] + 2 * pad[i] for i in range(nd))}")
    return sx[:2] + out, x.dtype


def _pool_bw_k(xp: Any, g: Any, x: Any, y: Any, kernel: tuple = (), stride: tuple = (),
               pad: tuple = (), pool_type: str = "max", full: bool = False,
               count_include_pad: bool = True, p_value: int = 2) -> Any:
    acc = _acc(xp, x.dtype)
    ga = g.astype(acc, copy=False)
    xa = x.astype(acc, copy=False)
    sp = tuple(x.shape[2:])
    nd = len(kernel)
    ones = (1,) * nd
    out, extra = _pool_geometry(sp, kernel, stride, pad, full)
    hi = tuple(p + e for p, e in zip(pad, extra))
    dx = xp.zeros(tuple(x.shape[:2]) + tuple(sp[i] + pad[i] + hi[i] for i in range(nd)),
                  dtype=acc)
    lead = (slice(None), slice(None))
    if pool_type == "max":
        xpad = _padded(xp, xa, pad, hi, _lowest(xp, x.dtype))
        ya = y.astype(acc, copy=False)
        taken = xp.zeros(ga.shape, dtype=bool)
        for _, _, sl in _tap_slices(kernel, stride, ones, out):
            hit = (xpad[lead + sl] == ya) & ~taken
            taken |= hit
            dx[lead + sl] += xp.where(hit, ga, 0)
    elif pool_type in ("avg", "sum"):
        gg = ga
        if pool_type == "avg":
            gg = ga / _pool_counts(xp, sp, kernel, stride, pad, out, extra, count_include_pad,
                                   acc)
        if tuple(stride) == tuple(kernel) and not any(pad) and not any(extra):
            # windows that tile the input: each cell's gradient is its window's, one
            # repeat per axis instead of a strided add per tap (the cells past the last
            # window keep 0); a repeat copies whole runs, where a broadcast copy into
            # (N, C, o0, k0, o1, k1) has k1-long inner loops (LeNet's 2x2 pools at b64,
            # (64, 6, 14, 14) -> 28x28: 0.48 -> 0.12 ms, best of 300)
            core = gg
            for i, k in enumerate(kernel):
                if k != 1:
                    core = xp.repeat(core, k, axis=2 + i)
            if core is ga or core is g:
                core = core.copy()                  # 1x1 windows: never the input itself
            if core.shape == dx.shape:
                return core
            dx[lead + tuple(slice(0, o * k) for o, k in zip(out, kernel))] = core
        else:
            for _, _, sl in _tap_slices(kernel, stride, ones, out):
                dx[lead + sl] += gg
    else:                                   # lp: d/dx (sum x^p)^(1/p) = x^(p-1) y^(1-p)
        xpad = _padded(xp, xa, pad, hi, 0.0)
        if p_value == 1:
            for _, _, sl in _tap_slices(kernel, stride, ones, out):
                dx[lead + sl] += ga
        else:
            ya = y.astype(acc, copy=False)
            with _quiet(xp):
                scale = xp.where(ya != 0, ga * ya ** (1 - p_value), 0)
            for _, _, sl in _tap_slices(kernel, stride, ones, out):
                dx[lead + sl] += scale * xpad[lead + sl] ** (p_value - 1)
    crop = lead + tuple(slice(pad[i], pad[i] + sp[i]) for i in range(nd))
    return dx[crop]


def _pool_grad(g: Any, out: Any, x: Any, **p: Any):
    from .ndarray import apply_op

    return (apply_op(_POOL_BW, (g, x, out), p),)


_POOL_BW = register("_pooling_backward", _pool_bw_k,
                    lambda g, x, y, **_: (tuple(x.shape), x.dtype))
register("pooling", _pool_k, _pool_infer, _pool_grad)


def _global_pool_k(xp: Any, x: Any, pool_type: str = "max", p_value: int = 2) -> Any:
    acc = _acc(xp, x.dtype)
    xa = x.astype(acc, copy=False)
    axes = tuple(range(2, x.ndim))
    if pool_type == "max":
        return xa.max(axis=axes, keepdims=True)
    if pool_type == "avg":
        return xa.mean(axis=axes, keepdims=True)
    if pool_type == "sum":
        return xa.sum(axis=axes, keepdims=True)
    if p_value == 1:
        return xa.sum(axis=axes, keepdims=True)
    return _root(xp, (xa ** p_value).sum(axis=axes, keepdims=True), p_value)


def _global_pool_infer(x: Any, pool_type: str = "max", p_value: int = 2):
    sx = tuple(x.shape)
    if len(sx) not in (3, 4, 5):
        raise ShapeError(f"pooling: data {sx} must have 3 to 5 axes (N, C, *spatial) for "
                         f"global pooling")
    if x.dtype.kind != "f":
        raise DTypeError(f"pooling: data must be floating-point, got {x.dtype}")
    if any(s < 1 for s in sx[2:]):
        raise ShapeError(f"pooling: global pooling of the empty spatial shape {sx[2:]}")
    return sx[:2] + (1,) * (len(sx) - 2), x.dtype


def _global_pool_grad(g: Any, out: Any, x: Any, pool_type: str = "max", p_value: int = 2):
    from .ndarray import apply_op

    return (apply_op(_GLOBAL_POOL_BW, (g, x, out), {"pool_type": pool_type,
                                                     "p_value": p_value}),)


def _global_pool_bw_k(xp: Any, g: Any, x: Any, y: Any, pool_type: str = "max",
                      p_value: int = 2) -> Any:
    acc = _acc(xp, x.dtype)
    ga = g.astype(acc, copy=False)
    xa = x.astype(acc, copy=False)
    if pool_type == "max":
        # the first maximum of each map (row-major), as MXNet
        n, c = x.shape[:2]
        flat = xa.reshape(n, c, -1)
        first = flat.argmax(axis=2)
        dx = xp.zeros(flat.shape, dtype=acc)
        xp.put_along_axis(dx, first[..., None], ga.reshape(n, c, 1), axis=2)
        return dx.reshape(x.shape)
    if pool_type == "avg":
        m = _prod(x.shape[2:])
        return xp.broadcast_to(ga / m, x.shape).copy()
    if pool_type == "sum" or p_value == 1:
        return xp.broadcast_to(ga, x.shape).copy()
    ya = y.astype(acc, copy=False)
    with _quiet(xp):
        scale = xp.where(ya != 0, ga * ya ** (1 - p_value), 0)
    return scale * xa ** (p_value - 1)


_GLOBAL_POOL_BW = register("_global_pooling_backward", _global_pool_bw_k,
                           lambda g, x, y, **_: (tuple(x.shape), x.dtype))
register("global_pooling", _global_pool_k, _global_pool_infer, _global_pool_grad)

