"""``mxnet.kvstore``: sum values across devices and hand the result back, asynchronously.

    kv = mx.kv.create('device')          # or 'local'
    kv.init(3, np.zeros(shape))
    kv.push(3, [g0, g1])                 # g0 on cpu(0), g1 on cpu(1): summed
    kv.pull(3, out=[w0, w1])             # copied back to both devices
    kv.pushpull(3, [g0, g1])             # all-reduce in place

    kv = mx.kv.create('dist_sync')      # under mpiexec: summed over the processes too

See :mod:`.kvstore` for where keys are summed and what runs on which workers, and
:mod:`.dist` for the distributed store.
"""
from .dist import DIST_TYPES, DistKVStore
from .kvstore import KVSTORE_TYPES, KVStore, KVStoreError, create

KVStoreBase = KVStore

__all__ = ["KVStore", "KVStoreBase", "KVStoreError", "create", "KVSTORE_TYPES", "DistKVStore",
           "DIST_TYPES"]
