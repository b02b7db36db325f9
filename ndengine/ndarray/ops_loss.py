"""Loss ops of the op table: Connectionist Temporal Classification (MXNet's ``CTCLoss``).

``ctc_loss(data, label, data_lengths, label_lengths, blank_label)``
  data     (T, N, C) activations *before* softmax (the op applies log_softmax itself)
  label    (N, L) class indices, padded at the end (with -1 when the blank is the 'last'
           class C-1, with 0 when it is the 'first' class 0) unless label_lengths says
           how long each row is
  lengths  (N,) frames per sample / labels per sample, or None (all T / up to the pad)
  out      (N,) the negative log-likelihood of each label sequence

The forward-backward recursion runs in log space over the extended label sequence
(blank, l1, blank, l2, ..., blank: S = 2L + 1 states), vectorised over the batch and
the states; only the time steps are a Python loop (each step depends on the last).
A sample shorter than T keeps its forward variables frozen after its last frame.

As in MXNet, a sample whose labels cannot be aligned in its frames (it needs
``L + repeats`` frames, a repeat being two equal neighbouring labels) has loss 0 and
gradient 0, and so has a sample of 0 frames.  Unlike MXNet (which reads such values as
they come), a label outside the alphabet or a length outside ``[0, T]`` / ``[0, L]``
fails the op with an error naming the value and where it is.

The gradient (wrt data) is its own op, ``_ctc_loss_backward``: it runs the forward and
backward recursions again (the forward op stays as cheap as the loss alone) and gives
``softmax(data) - occupancy`` per frame, the occupancy being the posterior of each class
summed over the states that carry it, zero past a sample's last frame.
"""
from __future__ import annotations

from typing import Any


from .ndarray import NDArray, apply_op
from .ops import OPS, DTypeError, ShapeError, register

__all__ = ["ctc_loss"]

_BLANKS = ("first", "last")


# ----------------------------------------------------------------------------- shapes
def _ctc_check(data: Any, label: Any, data_lengths: Any, label_lengths: Any,
               blank_label: str) -> tuple[int, int, int, int]:
    if blank_label not in _BLANKS:
        raise ValueError(f"blank_label must be 'first' or 'last', got {blank_label!r}")
    if len(data.shape) != 3:
        raise ShapeError(f"data must be 3-d (sequence_length, batch_size, alphabet_size), "
                         f"got shape {tuple(data.shape)}")
    if len(label.shape) != 2:
        raise ShapeError(f"label must be 2-d (batch_size, label_sequence_length), got shape "
                         f"{tuple(label.shape)}")
    T, N, C = data.shape
    if label.shape[0] != N:
        raise ShapeError(f"the batch size of label {tuple(label.shape)} and data "
                         f"{tuple(data.shape)} must be the same ({label.shape[0]} != {N})")
    L = label.shape[1]
    if L > T:
        raise ShapeError(f"the label length {L} (label {tuple(label.shape)}) cannot exceed "
                         f"the sequence length {T} of data {tuple(data.shape)}")
    if C < 1:
        raise ShapeError(f"data {tuple(data.shape)} has an empty alphabet axis")
    if data.dtype.kind != "f":
        raise DTypeError(f"data must be a float array, got {data.dtype}")
    for what, x in (("data_lengths", data_lengths), ("label_lengths", label_lengths)):
        if x is None:
            continue
        if tuple(x.shape) != (N,):
            raise ShapeError(f"{what} must have shape ({N},) (one per sample), got "
                             f"{tuple(x.shape)}")
        if x.dtype.kind not in "iuf":
            raise DTypeError(f"{what} must be numbers, got {x.dtype}")
    if label.dtype.kind not in "iuf":
        raise DTypeError(f"label must hold class indices (numbers), got {label.dtype}")
    return T, N, C, L


def _ctc_infer(data: Any, label: Any, data_lengths: Any = None, label_lengths: Any = None,
               blank_label: str = "first") -> Any:
    T, N, C, L = _ctc_check(data, label, data_lengths, label_lengths, blank_label)
    return (N,), data.dtype


def _ctc_backward_infer(g: Any, data: Any, label: Any, data_lengths: Any = None,
                        label_lengths: Any = None, blank_label: str = "first") -> Any:
    _ctc_check(data, label, data_lengths, label_lengths, blank_label)
    return tuple(data.shape), data.dtype


# ----------------------------------------------------------------------------- kernels
def _work_dtype(xp: Any, dt: Any) -> Any:
    return xp.float64 if dt == xp.float64 else xp.float32


def _as_int(xp: Any, x: Any) -> Any:
    """Float labels and lengths as MXNet reads them: rounded to the nearest int."""
    return (xp.rint(x) if x.dtype.kind == "f" else x).astype(xp.int64)


def _lengths(xp: Any, x: Any, top: int, what: str, N: int) -> Any:
    """Lengths as ints in [0, top] (all *top* when not given)."""
    if x is None:
        return xp.full((N,), top, dtype=xp.int64)
    n = _as_int(xp, x)
    bad = (n < 0) | (n > top)
    if bool(bad.any()):
        i = int(xp.argmax(bad))
        raise ValueError(f"ctc_loss: {what}[{i}] = {x[i].item()} is outside [0, {top}]")
    return n


def _prepare(xp: Any, data: Any, label: Any, data_lengths: Any, label_lengths: Any,
             blank_label: str) -> dict:
    """Everything both recursions need: log-probabilities, the extended labels and
    their emissions, the masks, the lengths and which samples can be aligned."""
    T, N, C = data.shape
    L = label.shape[1]
    first = blank_label == "first"
    blank = 0 if first else C - 1
    wdt = _work_dtype(xp, data.dtype)
    x = data.astype(wdt, copy=False)
    m = x.max(axis=2, keepdims=True)
    z = x - m
    lse = xp.log(xp.exp(z).sum(axis=2, keepdims=True))
    lp = z - lse                                             # (T, N, C)
    lab = _as_int(xp, label)
    if label_lengths is None:
        is_pad = lab == (0 if first else -1)
        ul = xp.where(is_pad.any(axis=1), xp.argmax(is_pad, axis=1), L).astype(xp.int64)
    else:
        ul = _lengths(xp, label_lengths, L, "label_lengths", N)
    tl = _lengths(xp, data_lengths, T, "data_lengths", N)
    pos = xp.arange(L)[None, :]
    in_len = pos < ul[:, None]                               # (N, L)
    lo, hi = (1, C - 1) if first else (0, C - 2)
    bad = in_len & ((lab < lo) | (lab > hi))
    if bool(bad.any()):
        n, j = divmod(int(xp.argmax(bad.reshape(-1))), L)
        raise ValueError(f"ctc_loss: label[{n}, {j}] = {label[n, j].item()} is not a class of "
                         f"an alphabet of {C} with the blank {blank_label} ({blank}): labels "
                         f"are {lo}..{hi}")
    lab = xp.where(in_len, lab, blank)
    S = 2 * L + 1
    ext = xp.full((N, S), blank, dtype=xp.int64)
    ext[:, 1::2] = lab
    sidx = xp.arange(S)[None, :]
    valid = sidx < (2 * ul + 1)[:, None]                     # (N, S)
    skip = xp.zeros((N, S), dtype=bool)                      # s-2 -> s allowed
    if S > 3:
        skip[:, 3::2] = lab[:, 1:] != lab[:, :-1]
    repeats = ((lab[:, 1:] == lab[:, :-1]) & in_len[:, 1:]).sum(axis=1) if L > 1 else \
        xp.zeros((N,), dtype=xp.int64)
    ok = (ul + repeats <= tl) & (tl > 0)
    E = xp.take_along_axis(lp, xp.broadcast_to(ext[None], (T, N, S)), axis=2)
    return dict(T=T, N=N, C=C, S=S, lp=lp, ext=ext, E=E, valid=valid, skip=skip, ul=ul,
                tl=tl, ok=ok, wdt=wdt)


def _shift(xp: Any, a: Any, k: int, fill: Any) -> Any:
    """a shifted right along the last axis by k (k < 0: left), filled with *fill*."""
    out = xp.full(a.shape, fill, dtype=a.dtype)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


def _forward(xp: Any, p: dict) -> Any:
    """alpha (T, N, S): log-probability of the prefixes ending in state s at frame t."""
    T, N, S, E = p["T"], p["N"], p["S"], p["E"]
    ninf = -xp.inf
    alpha = xp.full((T, N, S), ninf, dtype=p["wdt"])
    alpha[0, :, 0] = E[0, :, 0]
    if S > 1:
        alpha[0, :, 1] = xp.where(p["ul"] > 0, E[0, :, 1], ninf)
    valid, skip, tl = p["valid"], p["skip"], p["tl"]
    for t in range(1, T):
        prev = alpha[t - 1]
        acc = xp.logaddexp(prev, _shift(xp, prev, 1, ninf))
        acc = xp.logaddexp(acc, xp.where(skip, _shift(xp, prev, 2, ninf), ninf))
        new = xp.where(valid, acc + E[t], ninf)
        alpha[t] = xp.where((t < tl)[:, None], new, prev)   # frozen past the last frame
    return alpha


def _log_likelihood(xp: Any, p: dict, alpha: Any) -> Any:
    last = alpha[-1]                                         # frame tl-1 (frozen)
    n = xp.arange(p["N"])
    end = 2 * p["ul"]
    a1 = last[n, end]
    a2 = xp.where(p["ul"] > 0, last[n, xp.maximum(end - 1, 0)], -xp.inf)
    return xp.logaddexp(a1, a2)


def _ctc_k(xp: Any, data: Any, label: Any, data_lengths: Any = None, label_lengths: Any = None,
           blank_label: str = "first") -> Any:
    p = _prepare(xp, data, label, data_lengths, label_lengths, blank_label)
    logp = _log_likelihood(xp, p, _forward(xp, p))
    loss = xp.where(p["ok"], -logp, 0)
    return loss.astype(data.dtype)


def _backward(xp: Any, p: dict) -> Any:
    """beta (T, N, S): log-probability of the suffixes from state s at frame t (the
    emission at t included)."""
    T, N, S, E = p["T"], p["N"], p["S"], p["E"]
    ninf = -xp.inf
    valid, tl, ul = p["valid"], p["tl"], p["ul"]
    sidx = xp.arange(S)[None, :]
    end_mask = (sidx == (2 * ul)[:, None]) | ((sidx == (2 * ul - 1)[:, None]) & (ul > 0)[:, None])
    # the skip s -> s+2 is allowed where the skip s-2 -> s is, shifted by two
    skip_from = _shift(xp, p["skip"], -2, False)
    beta = xp.full((T, N, S), ninf, dtype=p["wdt"])
    nxt = xp.full((N, S), ninf, dtype=p["wdt"])
    for t in range(T - 1, -1, -1):
        acc = xp.logaddexp(nxt, _shift(xp, nxt, -1, ninf))
        acc = xp.logaddexp(acc, xp.where(skip_from, _shift(xp, nxt, -2, ninf), ninf))
        rec = xp.where(valid, acc + E[t], ninf)
        init = xp.where(end_mask, E[t], ninf)
        cur = xp.where((t == tl - 1)[:, None], init, xp.where((t < tl - 1)[:, None], rec, ninf))
        beta[t] = cur
        nxt = cur
    return beta


def _ctc_backward_k(xp: Any, g: Any, data: Any, label: Any, data_lengths: Any = None,
                    label_lengths: Any = None, blank_label: str = "first") -> Any:
    p = _prepare(xp, data, label, data_lengths, label_lengths, blank_label)
    alpha = _forward(xp, p)
    logp = _log_likelihood(xp, p, alpha)
    ok = p["ok"]
    beta = _backward(xp, p)
    safe = xp.where(ok, logp, 0)
    gamma = alpha + beta - p["E"] - safe[None, :, None]       # (T, N, S) log posteriors
    post = xp.exp(gamma)                                      # 0 where either is -inf
    onehot = (p["ext"][:, :, None] == xp.arange(p["C"])[None, None, :]).astype(p["wdt"])
    occ = xp.matmul(post.transpose(1, 0, 2), onehot).transpose(1, 0, 2)    # (T, N, C)
    grad = xp.exp(p["lp"]) - occ
    live = (xp.arange(p["T"])[:, None] < p["tl"][None, :]) & ok[None, :]    # (T, N)
    grad = xp.where(live[:, :, None], grad, 0)
    grad = grad * g.astype(p["wdt"], copy=False)[None, :, None]
    return grad.astype(data.dtype)


def _ctc_grad(g: Any, out: Any, data: Any, label: Any, data_lengths: Any = None,
              label_lengths: Any = None, blank_label: str = "first") -> tuple:
    gd = apply_op(OPS["_ctc_loss_backward"], (g, data, label, data_lengths, label_lengths),
                  {"blank_label": blank_label})
    return gd, None, None, None


register("ctc_loss", _ctc_k, _ctc_infer, _ctc_grad)
register("_ctc_loss_backward", _ctc_backward_k, _ctc_backward_infer)


# ----------------------------------------------------------------------------- front end
def ctc_loss(data: NDArray, label: NDArray, data_lengths: NDArray | None = None,
             label_lengths: NDArray | None = None, use_data_lengths: bool = False,
             use_label_lengths: bool = False, blank_label: str = "first") -> NDArray:
    """MXNet's ``CTCLoss`` operator (``mx.nd.CTCLoss``) over ndengine arrays: per-sample
    negative log-likelihood of *label* given the (T, N, C) activations *data*.  The
    lengths are used only with their ``use_*`` flag, as in MXNet (where passing one
    without its flag is an error)."""
    for what, x in (("data", data), ("label", label)):
        if not isinstance(x, NDArray):
            raise TypeError(f"ctc_loss: {what} must be an ndengine array, got "
                            f"{type(x).__name__}")
    for what, flag, x in (("data_lengths", use_data_lengths, data_lengths),
                          ("label_lengths", use_label_lengths, label_lengths)):
        if flag and x is None:
            raise ValueError(f"ctc_loss: use_{what}=True needs {what}")
        if not flag and x is not None:
            raise ValueError(f"ctc_loss: {what} given without use_{what}=True")
        if x is not None and not isinstance(x, NDArray):
            raise TypeError(f"ctc_loss: {what} must be an ndengine array, got "
                            f"{type(x).__name__}")
    return apply_op(OPS["ctc_loss"], (data, label, data_lengths, label_lengths),
                    {"blank_label": blank_label})
