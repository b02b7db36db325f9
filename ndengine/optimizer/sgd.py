"""The SGD family of ``mxnet.optimizer``: SGD (and its old alias ccSGD), NAG, Signum,
LARS, LBSGD, SGLD, DCASGD, and the ``Test`` optimizer, with MXNet 1.9.1's formulas.

Every update is one fused engine op of :mod:`ndengine.ndarray.optim_ops` (SGLD adds the
push of its noise sample); none reads a value on the host, LARS's norms included (they
are computed inside its update op), except LBSGD's ``'lars'`` warm-up strategy, which
reads two norms per update as MXNet does.  Notation: ``g = clip(rescale_grad * grad)``.
"""
from __future__ import annotations

import logging
import math
import os
from typing import Any

import numpy as _onp

from ..ndarray import ops_sparse, optim_ops
from .optimizer import (Optimizer, _cast_into, dense_grad, is_row_sparse, register,
                        sparse_rows)

__all__ = ["SGD", "ccSGD", "NAG", "Signum", "LARS", "LBSGD", "SGLD", "DCASGD", "Test"]


def _aggregation_size(default: str) -> int:
    return int(os.getenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", default))


class _MasterCopyMixin:
    """Multi-precision as MXNet's SGD/NAG/LARS: state ``(inner, float32 master)``; the
    update runs on the master with a float32 gradient and the weight gets its cast."""

    _who = "SGD"

    def create_state_multi_precision(self, index: Any, weight: Any) -> Any:
        return self._master_state(index, weight, self._who)

    def update_multi_precision(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        indices, weights, grads, states = self._as_lists(index, weight, grad, state)
        if not self.multi_precision:
            # no master copies (_uses_master is False for every weight): the plain
            # update of them all, without sorting them one by one
            if indices:
                self.update(indices, weights, grads, states)
            return
        plain: list = [[], [], [], []]
        for i, w, g, s in zip(indices, weights, grads, states):
            if self._uses_master(w, s):
                inner, master = s
                self._update_one(i, master, g.astype(_onp.float32), inner)
                _cast_into(w, master)
            else:
                for lst, v in zip(plain, (i, w, g, s)):
                    lst.append(v)
        if plain[0]:
            self.update(*plain)


@register
class SGD(_MasterCopyMixin, Optimizer):
    """SGD with momentum and weight decay::

        momentum == 0:  weight = (1 - lr*wd) * weight - lr * g
        otherwise:      mom = momentum*mom - lr*wd*weight - lr*g;  weight += mom

    (no state without momentum).  ``multi_precision=True`` keeps a float32 master copy
    of float16 weights: the state is then ``(mom, master)``.  A row-sparse gradient
    with ``lazy_update`` (the default) updates only its rows, momentum and weight decay
    included (MXNet's lazy sparse ``sgd_update``); without, the dense update."""

    _row_sparse = "lazy"

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        self.aggregate_num = _aggregation_size("4")

    def create_state(self, index: Any, weight: Any) -> Any:
        if self.momentum != 0.0:
            return self._zeros_like(weight)
        return None

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        indices, weights, grads, states = self._as_lists(index, weight, grad, state)
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        for w, g, s, lr, wd in zip(weights, grads, states, lrs, wds):
            self._push(w, g, s, lr, wd)

    def _update_one(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self.update([index], [weight], [grad], [state])

    def _push(self, weight: Any, grad: Any, state: Any, lr: float, wd: float) -> None:
        kw = dict(lr=lr, wd=wd, rescale_grad=self.rescale_grad, clip_gradient=self._clip)
        if is_row_sparse(grad):     # (sparse_rows / dense_grad, asked once)
            if self.lazy_update:
                rows = grad._parts[0], grad._parts[1]
                if state is not None:
                    ops_sparse.lazy_update("sgd_mom_update", weight, *rows, (state,),
                                           momentum=max(self.momentum, 0.0), **kw)
                else:
                    ops_sparse.lazy_update("sgd_update", weight, *rows, (), **kw)
                return
            grad = grad._arr
        if state is not None and self.momentum > 0:
            optim_ops.sgd_mom_update(weight, grad, state, momentum=self.momentum, **kw)
        elif state is not None:
            optim_ops.sgd_mom_update(weight, grad, state, momentum=0.0, **kw)
        else:
            optim_ops.sgd_update(weight, grad, **kw)


@register
class ccSGD(SGD):
    """Deprecated name of :class:`SGD` (MXNet keeps it as a plain subclass)."""


@register
class NAG(_MasterCopyMixin, Optimizer):
    """Nesterov accelerated SGD::

        mom = momentum*mom - lr*(g + wd*weight)
        weight = weight + momentum*mom - lr*(g + wd*weight)

    Without momentum it is :class:`SGD`'s plain step (lazy on a row-sparse gradient,
    as MXNet's; with momentum a row-sparse gradient is used dense, as MXNet's)."""

    _who = "NAG"
    _row_sparse = "lazy"

    def __init__(self, momentum: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index: Any, weight: Any) -> Any:
        if self.momentum != 0.0:
            return self._zeros_like(weight)
        return None

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        for i, w, g, s in zip(*self._as_lists(index, weight, grad, state)):
            self._update_one(i, w, g, s)

    def _update_one(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._update_count(index)
        kw = dict(lr=self._get_lr(index), wd=self._get_wd(index),
                  rescale_grad=self.rescale_grad, clip_gradient=self._clip)
        rows = sparse_rows(grad, state is None)
        if rows is not None:
            ops_sparse.lazy_update("sgd_update", weight, *rows, (), **kw)
        elif state is not None:
            optim_ops.nag_mom_update(weight, dense_grad(grad), state,
                                     momentum=max(self.momentum, 0.0), **kw)
        else:
            optim_ops.sgd_update(weight, dense_grad(grad), **kw)


@register
class Signum(Optimizer):
    """Signum (sign of momentum; signSGD without momentum)::

        mom = momentum*mom - (1-momentum)*(g + wd*weight)
        weight = (1 - lr*wd_lh)*weight + lr*sign(mom)
        momentum == 0:  weight = (1 - lr*wd)*weight - lr*sign(grad)

    (signSGD takes the sign of the raw gradient, as MXNet's kernel.)"""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9, wd_lh: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index: Any, weight: Any) -> Any:
        if self.momentum != 0.0:
            return self._zeros_like(weight)
        return None

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        for i, w, g, s in zip(*self._as_lists(index, weight, grad, state)):
            self._update_count(i)
            kw = dict(lr=self._get_lr(i), wd=self._get_wd(i),
                      rescale_grad=self.rescale_grad, clip_gradient=self._clip)
            if s is not None:
                optim_ops.signum_update(w, g, s, momentum=max(self.momentum, 0.0),
                                        wd_lh=self.wd_lh or 0.0, **kw)
            else:
                optim_ops.signsgd_update(w, g, **kw)


def _lars_skipped(name: str) -> bool:
    return name.endswith("gamma") or name.endswith("beta") or name.endswith("bias")


@register
class LARS(_MasterCopyMixin, Optimizer):
    """Layer-wise adaptive rate scaling on SGD: each weight's rate is
    ``lr * eta * |w| / (|grad|*rescale_grad + wd*|w| + eps)`` (just ``lr`` when a norm is
    0, or for parameters whose name ends in gamma/beta/bias), then SGD's step.  With
    ``momentum_correction`` the momentum is scaled by ``lr / previous lr`` when an
    ``lr_scheduler`` changes the rate.  The norms are computed inside the update op
    (no host read), except for a row-sparse gradient: as MXNet, its rate comes from
    the two norms read on the host, then SGD's lazy step on its rows (``lazy_update``)."""

    _row_sparse = "lazy"

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True, eta: float = 0.001,
                 eps: float = 0, momentum_correction: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = momentum_correction
        self.lazy_update = lazy_update
        self.aggregate_num = _aggregation_size("4")
        self.eta = eta
        self.eps = eps
        self.skip = 0
        self.last_lr: float | None = None
        self.cur_lr: float | None = None

    def _get_lrs(self, indices: list) -> list[float]:
        if self.cur_lr is not None:
            self.last_lr = self.cur_lr
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        if self.cur_lr is None:
            self.last_lr = lr
        self.cur_lr = lr
        return self._scale_lrs(lr, indices)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        """Parameters whose name does not end in _weight get no weight decay."""
        self.wd_mult = {n: 0.0 for n in self.idx2name.values() if not n.endswith("_weight")}
        self.wd_mult.update(args_wd_mult)

    def create_state(self, index: Any, weight: Any) -> Any:
        if self.momentum != 0.0:
            return self._zeros_like(weight)
        return None

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        indices, weights, grads, states = self._as_lists(index, weight, grad, state)
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        momentum = self.momentum
        if self.momentum > 0 and self.momentum_correction and self.last_lr != 0:
            momentum = self.momentum * (self.cur_lr / self.last_lr)
        for i, w, g, s, lr, wd in zip(indices, weights, grads, states, lrs, wds):
            name = self.idx2name.get(i, str(i))
            kw = dict(lr=lr, wd=wd, rescale_grad=self.rescale_grad, clip_gradient=self._clip)
            if getattr(g, "_STYPE", None) == "row_sparse":
                if not _lars_skipped(name):
                    kw["lr"] = self._host_lars(w, g, lr, wd)
                rows = sparse_rows(g, self.lazy_update)
                if rows is None:
                    g = dense_grad(g)
                elif s is not None:
                    ops_sparse.lazy_update("sgd_mom_update", w, *rows, (s,),
                                           momentum=max(momentum, 0.0), **kw)
                    continue
                else:
                    ops_sparse.lazy_update("sgd_update", w, *rows, (), **kw)
                    continue
                if s is not None:
                    optim_ops.sgd_mom_update(w, g, s, momentum=max(momentum, 0.0), **kw)
                else:
                    optim_ops.sgd_update(w, g, **kw)
            elif _lars_skipped(name):
                if s is not None:
                    optim_ops.sgd_mom_update(w, g, s, momentum=max(momentum, 0.0), **kw)
                else:
                    optim_ops.sgd_update(w, g, **kw)
            elif s is not None:
                optim_ops.apply_update("lars_sgd_mom_update", w, g, (s,),
                                       momentum=max(momentum, 0.0), eta=self.eta,
                                       eps=self.eps, **kw)
            else:
                optim_ops.apply_update("lars_sgd_update", w, g, (), eta=self.eta,
                                       eps=self.eps, **kw)

    def _update_one(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self.update([index], [weight], [grad], [state])

    def _host_lars(self, weight: Any, grad: Any, lr: float, wd: float) -> float:
        """MXNet's rate for a row-sparse gradient: the norms read on the host (float32,
        the gradient's stored rows rescaled)."""
        w_norm = float(_onp.linalg.norm(weight.asnumpy().astype(_onp.float32)))
        g_norm = float(_onp.linalg.norm(grad._parts[0].asnumpy().astype(_onp.float32)
                                        * _onp.float32(self.rescale_grad)))
        if w_norm > 0.0 and g_norm > 0.0:
            return self.eta * w_norm / (g_norm + wd * w_norm + self.eps) * lr
        return lr


@register
class LBSGD(Optimizer):
    """Large-batch SGD: gradients are accumulated over ``batch_scale`` updates, then
    applied by SGD with the rate scaled by a warm-up multiplier (``warmup_strategy``
    'linear', 'power2', 'sqrt' over ``warmup_epochs * updates_per_epoch`` updates, or
    'lars').  Updates in between apply a zero rate."""

    _row_sparse = "lazy"

    def __init__(self, momentum: float = 0.0, multi_precision: bool = False,
                 warmup_strategy: str = "linear", warmup_epochs: int = 5,
                 batch_scale: float = 1, updates_per_epoch: int = 32, begin_epoch: int = 0,
                 num_epochs: int = 60, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        logging.info("Running Large-Batch SGD Algorithm")
        logging.info("(Batch_scale=%f, warmup_epochs=%d, warmup_strategy=%s, "
                     "updates_per_epoch=%d)", batch_scale, warmup_epochs, warmup_strategy,
                     updates_per_epoch)
        self.momentum = momentum
        self.multi_precision = multi_precision
        self.warmup_strategy = warmup_strategy
        self.warmup_epochs = warmup_epochs
        self.batch_scale = batch_scale
        self.updates_per_epoch = updates_per_epoch
        self.init_updates = begin_epoch * updates_per_epoch
        self.num_epochs = num_epochs
        self.lbmult = 1
        self.cumgrads: dict = {}
        self.adaptive = False
        self.admult = 1

    def create_state(self, index: Any, weight: Any) -> Any:
        if self.multi_precision and weight.dtype == _onp.float16:
            master = weight.astype(_onp.float32)
            mom = self._zeros_like(weight, _onp.float32) if self.momentum != 0.0 else None
            return (mom, master)
        if weight.dtype == _onp.float16 and not self.multi_precision:
            import warnings

            warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy "
                          "or slow convergence. Consider using multi_precision=True option "
                          "of the SGD optimizer")
        return self._zeros_like(weight) if self.momentum != 0.0 else None

    def _get_lbmult(self, nup: int) -> float:
        """The warm-up multiplier of the rate after *nup* accumulated updates."""
        nwup = self.warmup_epochs * self.updates_per_epoch
        maxmult = float(self.batch_scale)
        if nup >= nwup:
            return maxmult
        if nwup <= 1:
            return 1.0
        if self.warmup_strategy == "linear":
            return 1.0 + (maxmult - 1) * nup / nwup
        if self.warmup_strategy == "power2":
            return 1.0 + (maxmult - 1) * (nup * nup) / (nwup * nwup)
        if self.warmup_strategy == "sqrt":
            return 1.0 + (maxmult - 1) * math.sqrt(float(nup) / nwup)
        return 1.0

    @staticmethod
    def _l2norm(v: Any) -> float:
        """Sum of squares of v (a sync point, as in MXNet)."""
        return float((v * v).sum().item())

    def _get_lars(self, weight: Any, g: Any, wd: float) -> float:
        w2 = self._l2norm(weight)
        g2 = self._l2norm(g)
        lars = math.sqrt(w2 / (g2 + wd * w2 + 1e-18))
        return min(max(lars, 0.01), 100.0)

    def _cumulate_gradient(self, grad: Any, index: Any) -> dict:
        cgrad = self.cumgrads.get(index, {})
        if cgrad and cgrad["num_cums"] > 0:
            cgrad = {"cum_grad": cgrad["cum_grad"] + grad, "num_cums": cgrad["num_cums"] + 1}
        else:
            cgrad = {"cum_grad": grad, "num_cums": self.init_updates + 1}
        self.cumgrads[index] = cgrad
        return cgrad

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        for i, w, g, s in zip(*self._as_lists(index, weight, grad, state)):
            self._update_single(i, w, g, s)

    def _update_single(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr = self._get_lr(index)        # before the count, as MXNet's LBSGD
        wd = self._get_wd(index)
        self._update_count(index)
        cgrad = self._cumulate_gradient(grad, index)
        if cgrad["num_cums"] % self.batch_scale != 0:
            optim_ops.sgd_update(weight, dense_grad(grad), lr=0.0, wd=wd)
            return
        g = cgrad["cum_grad"] / self.batch_scale
        if self.warmup_strategy == "lars":
            lbmult = self._get_lars(weight, g, wd)
        else:
            lbmult = self._get_lbmult(cgrad["num_cums"])
        kw = dict(lr=lr * lbmult, wd=wd, rescale_grad=self.rescale_grad,
                  clip_gradient=self._clip)
        momentum = self.momentum if self.momentum > 0 else 0.0
        if isinstance(state, (list, tuple)):
            mom, master = state
            self._sgd(master, g.astype(_onp.float32), mom, momentum, kw)
            _cast_into(weight, master)
        else:
            self._sgd(weight, g, state, momentum, kw)
        self.cumgrads[index]["cum_grad"] = 0

    @staticmethod
    def _sgd(weight: Any, g: Any, mom: Any, momentum: float, kw: dict) -> None:
        """SGD's step; lazy on a row-sparse gradient's rows (MXNet's sgd_update default)."""
        rows = sparse_rows(g, True)
        if rows is not None:
            if mom is not None:
                ops_sparse.lazy_update("sgd_mom_update", weight, *rows, (mom,),
                                       momentum=momentum, **kw)
            else:
                ops_sparse.lazy_update("sgd_update", weight, *rows, (), **kw)
        elif mom is not None:
            optim_ops.sgd_mom_update(weight, g, mom, momentum=momentum, **kw)
        else:
            optim_ops.sgd_update(weight, g, **kw)


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics::

        weight += -lr/2 * (g + wd*weight) + N(0, sqrt(lr))

    The noise is drawn by ``ndengine.np.random`` on the weight's device (seeded like
    every other random op)."""

    def create_state(self, index: Any, weight: Any) -> Any:
        return None

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        from .. import numpy as np

        for i, w, g, _ in zip(*self._as_lists(index, weight, grad, state)):
            self._update_count(i)
            lr = self._get_lr(i)
            noise = np.random.normal(0, math.sqrt(lr), size=w.shape, dtype=w.dtype,
                                     device=w.device)
            optim_ops.apply_update("sgld_update", w, g, (), (noise,), lr=lr,
                                   wd=self._get_wd(i), rescale_grad=self.rescale_grad,
                                   clip_gradient=self._clip_nn)


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD; the state is ``(mom or None, previous
    weight)``::

        step = -lr * (g + wd*weight + lamda * g*g * (weight - previous))
        mom = momentum*mom + step  (or mom = step without momentum)
        previous = weight;  weight += mom
    """

    def __init__(self, momentum: float = 0.0, lamda: float = 0.04, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous: dict = {}
        self.lamda = lamda

    def create_state(self, index: Any, weight: Any) -> Any:
        prev = weight.copy()
        if self.momentum == 0.0:
            return (None, prev)
        return (self._zeros_like(weight), prev)

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        for i, w, g, s in zip(*self._as_lists(index, weight, grad, state)):
            self._update_count(i)
            kw = dict(lr=self._get_lr(i), wd=self._get_wd(i), lamda=self.lamda,
                      rescale_grad=self.rescale_grad, clip_gradient=self._clip_nn)
            mom, prev = s
            if mom is not None:
                optim_ops.apply_update("dcasgd_mom_update", w, g, (mom, prev),
                                       momentum=self.momentum, **kw)
            else:
                optim_ops.apply_update("dcasgd_update", w, g, (prev,), **kw)


@register
class Test(Optimizer):
    """MXNet's test optimizer: ``weight += grad * rescale_grad``; the state holds a copy
    of the new weight."""

    def create_state(self, index: Any, weight: Any) -> Any:
        return self._zeros_like(weight, _onp.float32)

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        for i, w, g, s in zip(*self._as_lists(index, weight, grad, state)):
            optim_ops.apply_update("test_update", w, g, (s,), rescale_grad=self.rescale_grad)
