"""The distributed store: ``create('dist_sync' | 'dist_device_sync' | 'dist_sync_allreduce'
| 'horovod')`` in processes started by ``mpiexec`` (see docs/distributed.md).

MXNet's synchronous semantics, without servers: every rank holds a full copy of every
key.  ``push(key, values)`` sums the values of this rank's devices locally (on the key's
merge device, as the single-machine store does), then sums those over the ranks with
an MPI allreduce pushed as an engine op (:mod:`ndengine.distributed.comm`); with an
updater, each rank then updates its copy with the same summed gradient, otherwise the
copy becomes the sum.  So after a push every rank holds what MXNet's servers would
hold, and ``pull`` (a local copy) hands every worker the same values.

``init`` stores rank 0's value on every rank (a broadcast; the ranks must agree on the
keys, shapes and dtypes, else every rank raises naming what each one passed).
``push``/``pushpull`` of a list of keys fuse consecutive small keys of one dtype into
one message of up to ``NDENGINE_DIST_FUSION_BYTES`` (default 4 MB); a larger key goes
in a message of its own (see ``benchmarks/distributed.py`` for the measured effects).
The keys are sent in the order given, so a caller passing the last layer first
overlaps communication with backward.  ``pushpull`` into the pushed arrays without an
updater (the Trainer's ``update_on_kvstore=False``) sums them in place: MPI writes
into the memory of a key alone in its message; fused keys are summed in a pooled
buffer they then view; the store shares the result.

With ``set_gradient_compression`` each rank quantizes its (locally summed) value of
each key with its residual, and the ranks exchange the 2-bit codes with a fused
allgather (16x fewer bytes than float32); every rank decodes and sums every rank's
codes, which is the sum MXNet's servers make (see :mod:`.compression`).

Differences from MXNet's parameter server: the optimizer runs on every worker after
the allreduce (not on servers), so ``save_optimizer_states`` works on any rank (each
holds the same states); there are no server processes; ``dist_async`` is refused.
"""
from __future__ import annotations

import os
from typing import Any

from .kvstore import KVStore, KVStoreError, _pairs

__all__ = ["DistKVStore", "DIST_TYPES", "ASYNC_TYPES"]

DIST_TYPES = ("dist_sync", "dist_device_sync", "dist_sync_allreduce", "horovod")
ASYNC_TYPES = ("dist_async", "dist_device_async")


def _fusion_bytes() -> int:
    raw = os.environ.get("NDENGINE_DIST_FUSION_BYTES", "").strip()
    if not raw:
        return 4 << 20
    try:
        n = int(raw)
    except ValueError:
        raise KVStoreError(f"NDENGINE_DIST_FUSION_BYTES must be an int, got {raw!r}") from None
    return max(0, n)


class DistKVStore(KVStore):
    """A synchronous store across MPI ranks (see the module notes)."""

    # pushpull into the pushed arrays sums in their memory (False: into new arrays,
    # which the pushed ones then share; kept for benchmarks/distributed.py's comparison)
    _inplace = True
    # keys of at least this many bytes go in a message of their own, summed in their
    # own memory (None: only keys larger than the fusion size).  Copying a key into
    # a fusion buffer (and back, as it first did) took 3 us for 64 KB, 10 us for 256 KB
    # and 94 us for 800 KB (out of cache) here; one more message costs more than that
    # as soon as the machine is loaded (both ranks must be scheduled for it): the MLP
    # step with its 800 KB weight gradient alone took 1.02, 1.27, 1.62, then 1.01,
    # 1.15, 1.04x the time of one message in six runs under load 7-11
    # (benchmarks/distributed.py, "large key alone"), so by default all go in one.
    _alone_bytes: int | None = None

    def __init__(self, kind: str) -> None:
        from .. import distributed

        super().__init__(kind)
        self._world = distributed.world()     # raises with the install hint without MPI

    def __repr__(self) -> str:
        return (f"<KVStore {self._type!r}: rank {self.rank} of {self.num_workers}, "
                f"{len(self._store)} keys>")

    @property
    def rank(self) -> int:
        return self._world.rank

    @property
    def num_workers(self) -> int:
        return self._world.size

    def is_capable(self, capability: str) -> bool:
        """``'optimizer'``: updates on the store (not for ``'horovod'``, as in MXNet,
        whose Horovod store only reduces)."""
        return capability == self.OPTIMIZER and self._type != "horovod"

    # -- the API ------------------------------------------------------------------------------
    def init(self, key: Any, value: Any) -> None:
        """Store rank 0's value of each key on every rank (one broadcast)."""
        from ..distributed import comm

        pairs = _pairs(key, value, "init")
        for k, _ in pairs:
            self._check_key_kind(k, "init")
            if k in self._store:
                raise KVStoreError(f"kvstore.init: key {k!r} is already initialized")
        if len({k for k, _ in pairs}) != len(pairs):
            raise KVStoreError(f"kvstore.init: a key is listed twice in {[k for k, _ in pairs]}")
        for group in self._groups([(k, vals[0]) for k, vals in pairs], fuse=False):
            keys = [k for k, _ in group]
            outs = comm.broadcast([v for _, v in group], root=0, keys=keys,
                                  name="kvstore.init")
            for k, o in zip(keys, outs):
                self._store[k] = o

    def push(self, key: Any, value: Any, priority: int = 0) -> None:
        """Sum each key's values over this rank's devices, then over the ranks (fused
        allreduces), then update the stored values (or replace them by the sums)."""
        if self._compression is not None:
            self._compression.check_dense(value, "push")
        self._push(_pairs(key, value, "push"), priority, False)

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        """Push, then pull into *out* (into *value* when None).  Without an updater, a
        key pushed from one array and pulled back into it gets the sum straight from
        the allreduce (the array and the store share the buffer: no copies).  With
        one, each message's updates and pulls are pushed as one engine op."""
        if self._compression is not None:
            self._compression.check_dense(value, "pushpull")
        pairs = _pairs(key, value, "pushpull")
        if self._updater is None and (out is None or out is value):
            if all(len(vals) == 1 for _, vals in pairs):
                self._push(pairs, priority, True)
                return
        if self._updater is not None:
            outs = _pairs(key, value if out is None else out, "pushpull", what="out")
            pulls = {}
            for k, os_ in outs:
                self._check_shapes(k, self._stored(k, "pushpull"), os_, "pushpull")
                pulls[k] = os_
            self._push(pairs, priority, False, pulls)
            return
        super().pushpull(key, value, out, priority)

    @property
    def last_messages(self) -> list[list]:
        """The keys of each message of the last push / pushpull, in sending order
        (the Trainer pushes one update op per message)."""
        return self._messages

    _messages: list[list] = []

    def _push(self, pairs: list, priority: int, mirror: bool, pulls: dict | None = None) -> None:
        from .. import autograd, engine
        from ..distributed import comm
        from ..ndarray.ndarray import copy_into, copy_to_device

        self._messages = messages = []
        gc = self._compression
        with autograd.pause():
            totals = []
            values = {}
            for k, vals in pairs:
                stored = self._stored(k, "push")
                self._check_shapes(k, stored, vals, "push")
                if gc is not None:
                    gc.check(k, stored, vals, "push")
                home = self._home(k, vals)
                if stored.device is not home:
                    self._store[k] = copy_to_device(stored, home, priority=priority)
                totals.append((k, self._sum(vals, home, priority)))
                values[k] = vals[0]
            if gc is not None:
                # each rank's sum quantized (its residual), the codes gathered from every
                # rank, every rank's decoded and summed on every rank
                with engine.bulk(1 << 20):      # one op for the keys of one device
                    totals = [(k, gc.quantize(k, [t])[0]) for k, t in totals]
                tag = f" {gc.type} codes, threshold {gc.threshold!r}"
            for group in self._groups(totals, fuse=True):
                keys = [k for k, _ in group]
                messages.append(keys)
                if gc is not None:
                    gathered = comm.allgather([c for _, c in group], keys=keys,
                                              priority=priority, name="kvstore.push", tag=tag)
                    with engine.bulk(1 << 20):      # the message's decoding: one op
                        sums = [gc.dequantize_sum([g], self._store[k].shape)
                                for k, g in zip(keys, gathered)]
                    if mirror:                          # (then there is no updater)
                        with engine.bulk(1 << 20):
                            for k, sm in zip(keys, sums):
                                copy_into(sm, values[k], priority)
                    self._finish(keys, sums, values, None, pulls, priority)
                    continue
                if mirror and self._inplace and all(t is values[k] for k, t in group):
                    # pushpull into the pushed arrays themselves: MPI sums in their
                    # memory (or a pooled fusion buffer), the store shares the result
                    comm.allreduce_inplace([t for _, t in group], keys=keys,
                                           priority=priority, name="kvstore.push",
                                           mirrors=[self._store[k] for k in keys])
                    continue
                mirrors = None
                if mirror:
                    mirrors = [values[k] if values[k].dtype == self._store[k].dtype else None
                               for k in keys]
                sums = comm.allreduce([t for _, t in group], keys=keys, priority=priority,
                                      name="kvstore.push", mirrors=mirrors)
                self._finish(keys, sums, values, mirrors, pulls, priority)

    def _finish(self, keys: list, sums: list, values: dict, mirrors: list | None,
                pulls: dict | None, priority: int) -> None:
        """One message's sums: the updates (and pulls) in one op, or the stored values
        replaced by the sums; a pushed array with no mirror (None) gets a copy."""
        from .. import engine
        from .. import optimizer as opt
        from ..ndarray.ndarray import copy_into

        if self._updater is not None:
            # the message's updates (and pulls) in one op, after its allreduce
            with engine.bulk(1 << 20):
                if isinstance(self._updater, opt.Updater):
                    self._updater(keys, sums, [self._store[k] for k in keys])
                else:
                    for k, s in zip(keys, sums):
                        self._updater(k, s, self._store[k])
                if pulls is not None:
                    for k in keys:
                        for o in pulls[k]:
                            copy_into(self._store[k], o, priority)
            return
        for j, (k, s) in enumerate(zip(keys, sums)):
            stored = self._store[k]
            if mirrors is not None and mirrors[j] is None:
                copy_into(s, values[k], priority)    # another dtype: a copy
            if s.dtype == stored.dtype:
                self._store[k] = s          # a new array of ours
            else:
                copy_into(s, stored, priority)

    def _groups(self, items: list, fuse: bool) -> list[list]:
        """Consecutive (key, array) pairs of one dtype and device, up to the fusion size
        per group; an array larger than the fusion size (or of at least
        :attr:`_alone_bytes`) goes alone, summed in its own memory.  Order is kept."""
        limit = _fusion_bytes() if fuse else 1 << 62
        alone = 1 << 62 if not fuse or self._alone_bytes is None else self._alone_bytes
        groups: list[list] = []
        size = 0
        for k, a in items:
            g = groups[-1] if groups else None
            n = a.nbytes
            if (g is not None and n < alone and size < alone and g[0][1].dtype == a.dtype
                    and g[0][1].device is a.device and size + n <= limit):
                g.append((k, a))
                size += n
            else:
                groups.append([(k, a)])
                size = n if n < alone else alone
        return groups

    def barrier(self) -> None:
        """Wait for every worker (and every collective pushed before)."""
        from .. import distributed

        distributed.barrier()

    _barrier = barrier

    def _send_command_to_servers(self, head: int, body: str) -> None:
        raise KVStoreError("kvstore: ndengine's distributed store has no servers (the "
                           "updates run on every worker)")
