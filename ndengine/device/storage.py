"""Pooled storage per device: large buffers are reused instead of returned to the OS.

Kernels of large outputs (``POOL_MIN``: 32 MB on glibc, see :func:`_default_pool_min`;
``NDENGINE_POOL_MIN_BYTES`` or :func:`set_pool_min`) write into a buffer taken from the output
device's :class:`Storage` (``out=`` of the NumPy/CuPy function) rather than having
NumPy allocate a fresh one.  Buffers are grouped by size class (powers of two) and
handed out as a view of a pooled *slab*.

When is a slab free again?  When nothing but the pool refers to it: no array handle,
no view of it, and no pending op (ops hold the arrays they read and write until they
finish, and the engine drops them at completion).  So a slab cannot be reused while a
reader is pending — freeing is ordered after every use exactly as a write scheduled on
the buffer's var would be — and there is no per-array finalizer on the hot path: the
pool finds free slabs by their reference count when it needs one (``_reclaim``).

``Storage.info()`` reports bytes allocated (held by the pool: in use + pooled), pooled
(free, ready for reuse) and in use; the engine adds bytes in flight (outputs of ops
not yet run).  ``empty_cache()`` returns pooled slabs to the allocator.  An optional
per-device limit (``NDENGINE_MEMORY_LIMIT`` bytes, or ``set_limit``) makes allocations
beyond it fail with ``MemoryError`` — inside an op that is an error on the op's
outputs, raised at the next sync point, and the engine keeps running.  Under a limit
every op's outputs count, not only the pooled ones: the array layer charges each op's
output bytes before its kernel runs (:meth:`Storage.charge`, a ``MemoryError`` naming
the op, the size and the limit) and counts the buffers the kernel allocated itself until
they are freed (:meth:`Storage.adopt`, ``info()["outside_pool"]``).
"""
from __future__ import annotations

import os
import sys
import threading
import weakref
from typing import Any

from ..base import env_int

__all__ = ["Storage", "POOL_MIN", "set_pool_min", "storage_of"]


def _default_pool_min() -> int:
    """Outputs from this many bytes on come from the pool.

    On glibc, 32 MB: below it the C heap reuses freed memory by itself (ndengine's
    allocator settings keep it, see :mod:`.cpu_backend`, and glibc's own dynamic mmap
    threshold rises to at most 32 MB anyway), and taking buffers from the pool only
    adds Python work to every op; from 32 MB on glibc maps fresh pages for every
    allocation and unmaps them at free, and the pool saves the page faults.  Measured
    (a chain ``y = tanh(y * 1.0001)``, pool on / off, 2 cores): 0.4 MB outputs 36.7 /
    25.9 ms, 2 MB 37.0 / 30.6, 8 MB 28.4 / 25.4, 64 MB 51.4 / 87.3 (NumPy: 88).  Other
    C libraries: 256 KB."""
    import platform

    try:
        glibc = platform.libc_ver()[0] == "glibc"
    except OSError:
        glibc = False
    return 32 << 20 if glibc else 256 << 10


POOL_MIN_DEFAULT = _default_pool_min()
# under a memory limit (NDENGINE_MEMORY_LIMIT, Storage.set_limit) outputs from this size
# on come from the pool, so that the limit counts them
POOL_MIN_LIMITED = 256 << 10
_explicit = "NDENGINE_POOL_MIN_BYTES" in os.environ
POOL_MIN = env_int("NDENGINE_POOL_MIN_BYTES", default=POOL_MIN_DEFAULT)
_limited: "weakref.WeakSet[Storage]" = weakref.WeakSet()   # storages with a memory limit
_ENV_LIMIT = env_int("NDENGINE_MEMORY_LIMIT", default=0) or None
# Some device has (or will have, from the environment) a memory limit: the array layer
# then charges every op's outputs to their device's storage (Storage.charge/adopt).
LIMITED = _ENV_LIMIT is not None


def set_pool_min(nbytes: int | None) -> int:
    """Take CPU outputs of at least *nbytes* from the pool (None: the default, see
    :func:`_default_pool_min`, or 256 KB while some device has a memory limit); returns
    the previous threshold.  Applies to ops pushed after it."""
    global POOL_MIN, _explicit
    if nbytes is not None and (nbytes.__class__ is not int or nbytes < 1):
        raise ValueError(f"set_pool_min: expected a positive int or None, got {nbytes!r}")
    prev = POOL_MIN
    _explicit = nbytes is not None
    POOL_MIN = nbytes if nbytes is not None else _implicit_pool_min()
    return prev


def _implicit_pool_min() -> int:
    return min(POOL_MIN_DEFAULT, POOL_MIN_LIMITED) if _limited else POOL_MIN_DEFAULT


def _limit_changed(storage: "Storage") -> None:
    """A storage's memory limit was set or removed: unless the threshold was chosen
    explicitly, outputs from 256 KB on come from the pool while any limit is set."""
    global POOL_MIN, LIMITED
    if storage.limit is None:
        _limited.discard(storage)
    else:
        _limited.add(storage)
    LIMITED = bool(_limited) or _ENV_LIMIT is not None
    if not _explicit:
        POOL_MIN = _implicit_pool_min()


_getrefcount = sys.getrefcount
# a scan of handed-out slabs that finds fewer dead than 1 per this many live is not
# repeated for (live // this) allocations of the class (see Storage._reclaim)
_SKIP_RATIO = 8


def _size_class(nbytes: int) -> int:
    return 1 << (nbytes - 1).bit_length()


class Storage:
    """The buffer pool of one device."""

    def __init__(self, device: Any) -> None:
        self.device = device
        self._lock = threading.Lock()
        self._free: dict[int, list[Any]] = {}     # size class -> free slabs
        self._used: dict[int, list[Any]] = {}     # size class -> handed-out slabs
        self._skip: dict[int, int] = {}           # size class -> misses before a rescan
        self.allocated = 0                         # bytes of all slabs the pool holds
        self.pooled = 0                            # bytes of free slabs
        self.hits = 0
        self.misses = 0
        # Under a limit, outputs a kernel allocated itself (not from the pool) count too:
        # id of the buffer owning the memory -> (weak reference, bytes); the reference's
        # callback uncounts it when the buffer is freed.
        self._slab_ids: set[int] = set()
        self._outside: dict[int, tuple[Any, int]] = {}
        self._olock = threading.RLock()
        self.outside = 0                           # bytes of those buffers
        self.limit = _ENV_LIMIT
        if self.limit is not None:
            _limit_changed(self)

    def set_limit(self, nbytes: int | None) -> None:
        """Fail allocations that would take the pool beyond *nbytes* (None: no limit).
        While a limit is set, CPU outputs from 256 KB on come from the pool (unless
        :func:`set_pool_min` or ``NDENGINE_POOL_MIN_BYTES`` chose the threshold), so
        the limit counts them."""
        if nbytes is not None and nbytes <= 0:
            raise ValueError(f"set_limit: limit must be positive or None, got {nbytes}")
        self.limit = nbytes
        _limit_changed(self)

    def _reclaim(self, cls: int) -> Any:
        """Lock held, no free slab of class *cls*: a handed-out one nobody refers to
        any more, or None (then the caller allocates).

        One pass moves every such slab of the class to the free list, so the next
        allocations pop them at no cost.  A pass that finds few (fewer than one per
        ``_SKIP_RATIO`` slabs still in use) is not repeated for the next
        ``in use // _SKIP_RATIO`` misses of the class: with many long-lived arrays
        (parameters, a kept list of results) each allocation used to scan them all
        (2000 live 300x300 arrays: 48 us per allocation, more than a 300x300 kernel;
        now a few us).  Cost of the bound: the class may hold up to that many more
        slabs than it needs before the next pass finds the dead ones."""
        used = self._used.get(cls)
        if not used:
            return None
        skip = self._skip.get(cls, 0)
        if skip:
            self._skip[cls] = skip - 1
            return None
        found = self._sweep(cls, used)
        if found * _SKIP_RATIO < len(used):
            self._skip[cls] = len(used) // _SKIP_RATIO
        if not found:
            return None
        self.pooled -= cls
        return self._free[cls].pop()

    def _sweep(self, cls: int, used: list[Any]) -> int:
        """Lock held: move the handed-out slabs of class *cls* (in *used*) nobody
        refers to any more to the free list; returns how many."""
        keep = []
        free = self._free.setdefault(cls, [])
        for slab in used:
            # references: the list, the loop variable, getrefcount's argument
            if _getrefcount(slab) <= 3:
                free.append(slab)
            else:
                keep.append(slab)
        found = len(used) - len(keep)
        if found:
            used[:] = keep
            self.pooled += cls * found
        return found

    def _reclaim_all(self) -> None:
        """Lock held: move every unreferenced handed-out slab to the free lists."""
        for cls, used in self._used.items():
            self._sweep(cls, used)

    def alloc(self, shape: tuple[int, ...], dtype: Any) -> Any:
        """An uninitialised array of *shape*/*dtype* backed by a pooled slab."""
        xp = self.device.xp
        itemsize = dtype.itemsize
        n = itemsize
        for s in shape:
            n *= s
        cls = _size_class(max(n, 1))
        with self._lock:
            free = self._free.get(cls)
            if free:
                slab = free.pop()
                self.pooled -= cls
                self.hits += 1
            else:
                slab = self._reclaim(cls)
                if slab is not None:
                    self.hits += 1
                else:
                    if self.limit is not None and \
                            self.allocated + self.outside + cls > self.limit:
                        self._reclaim_all()
                        self._release_free()
                        if self.allocated + self.outside + cls > self.limit:
                            raise MemoryError(
                                f"{self.device}: allocating {n} bytes would exceed the "
                                f"memory limit ({self.allocated + self.outside} of "
                                f"{self.limit} bytes held)")
                    slab = xp.empty(cls, dtype=xp.uint8)
                    self._slab_ids.add(id(slab))
                    self.allocated += cls
                    self.misses += 1
            self._used.setdefault(cls, []).append(slab)
        return slab[:n].view(dtype).reshape(shape)

    def _release_free(self) -> None:
        for cls, free in self._free.items():
            self.allocated -= cls * len(free)
            self.pooled -= cls * len(free)
            for slab in free:
                self._slab_ids.discard(id(slab))
            free.clear()

    # -- the memory limit for outputs that do not come from the pool -----------------
    def charge(self, nbytes: int, opname: str) -> None:
        """Before op *opname* allocates *nbytes* of outputs on this device: a
        ``MemoryError`` naming the op, the size and the limit when they would take the
        device beyond its limit (pooled free slabs are given back first)."""
        limit = self.limit
        if limit is None:
            return
        with self._lock:
            if self.allocated + self.outside + nbytes <= limit:
                return
            self._reclaim_all()
            self._release_free()
            held = self.allocated + self.outside
        if held + nbytes > limit:
            raise self.limit_error(opname, nbytes, held)

    def limit_error(self, opname: str, nbytes: int, held: int | None = None) -> MemoryError:
        """The MemoryError of op *opname* allocating *nbytes* past the limit."""
        if held is None:
            held = self.allocated - self.pooled + self.outside
        return MemoryError(
            f"{opname}: allocating {nbytes} bytes on {self.device} would exceed its memory "
            f"limit of {self.limit} bytes ({held} held; NDENGINE_MEMORY_LIMIT or "
            f"Storage.set_limit)")

    def over_limit(self) -> bool:
        """The device holds more than its limit (pooled free slabs not counted)."""
        return self.limit is not None and \
            self.allocated - self.pooled + self.outside > self.limit

    def adopt(self, buf: Any) -> None:
        """Count *buf*, an output a kernel allocated itself, against the limit until it
        is freed (a buffer of the pool, or one counted already, is not counted again;
        a view counts the buffer that owns its memory)."""
        if self.limit is None:
            return
        root = buf
        base = getattr(root, "base", None)
        while base is not None and hasattr(base, "base") and hasattr(base, "nbytes"):
            root = base
            base = getattr(root, "base", None)
        if base is not None:                 # memory of another object (bytes, mmap)
            return
        key = id(root)
        with self._lock:
            if key in self._slab_ids:
                return
        # a lock of its own, re-entrant: the weak reference's callback may run in any
        # thread, inside any allocation (a garbage collection freeing a counted buffer)
        with self._olock:
            if key in self._outside:
                return
            n = int(root.nbytes)
            try:
                ref = weakref.ref(root, lambda _r, k=key: self._uncount(k))
            except TypeError:
                return
            self._outside[key] = (ref, n)
            self.outside += n

    def _uncount(self, key: int) -> None:
        with self._olock:
            entry = self._outside.pop(key, None)
            if entry is not None:
                self.outside -= entry[1]

    def empty_cache(self) -> int:
        """Return every pooled (free) slab to the allocator, and have the allocator give
        free memory back (CPU: ``malloc_trim``; GPU: CuPy's pools); returns the bytes
        freed from this pool."""
        with self._lock:
            self._reclaim_all()
            before = self.allocated
            self._release_free()
            freed = before - self.allocated
        self.device.backend.empty_cache(self.device)
        return freed

    def info(self) -> dict[str, int]:
        with self._lock:
            self._reclaim_all()
            return {
                "allocated": self.allocated,
                "pooled": self.pooled,
                "in_use": self.allocated - self.pooled,
                "outside_pool": self.outside,
                "hits": self.hits,
                "misses": self.misses,
                "limit": self.limit or 0,
            }


_storages: dict[Any, Storage] = {}
_storages_lock = threading.Lock()


def storage_of(device: Any) -> Storage:
    """The Storage of *device* (created on first use)."""
    st = _storages.get(device)
    if st is None:
        with _storages_lock:
            st = _storages.get(device)
            if st is None:
                st = _storages[device] = Storage(device)
    return st
