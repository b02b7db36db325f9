"""Run under mpiexec -n N (or alone): the dist kvstore against the local one.

Every rank's values are a function of its rank, so each rank can compute what the
local store gives for the values of all ranks pushed from one process."""
import os
import sys
import tempfile

import numpy as onp

from ndengine import np, optimizer as opt
from ndengine import kvstore
from ndengine.device import cpu

kv = kvstore.create("dist_sync")
R, N = kv.rank, kv.num_workers
assert (R, N) == (int(os.environ.get("PMI_RANK", 0)), int(os.environ.get("PMI_SIZE", 1))), (R, N)
assert kv.type == "dist_sync" and kv.is_capable("optimizer")
assert not kvstore.create("horovod").is_capable("optimizer")
DEVS = [cpu(0), cpu(1)]
shape = (2, 3)


def val(rank, dev, key=0):
    return onp.arange(6.0, dtype=onp.float32).reshape(shape) * (rank + 1) + 10 * dev + key


def on(a, d):
    return np.array(a, device=d)


# init stores rank 0's value; pull copies it to every device
kv.init(3, on(val(R, 0) + 100 * R, cpu(0)))
outs = [np.zeros(shape, device=d) for d in DEVS]
kv.pull(3, out=outs)
for o in outs:
    onp.testing.assert_array_equal(o.asnumpy(), val(0, 0))

# push sums over the local devices, then over the ranks
kv.push(3, [on(val(R, i), d) for i, d in enumerate(DEVS)])
kv.pull(3, out=outs)
expect = sum(val(r, i) for r in range(N) for i in range(len(DEVS)))
local = kvstore.create("device")
local.init(3, on(onp.zeros(shape, onp.float32), cpu(0)))
local.push(3, [on(val(r, i), DEVS[i]) for r in range(N) for i in range(len(DEVS))])
lo = np.zeros(shape)
local.pull(3, out=lo)
onp.testing.assert_allclose(lo.asnumpy(), expect)
for o in outs:
    onp.testing.assert_allclose(o.asnumpy(), expect)

# lists of keys (str keys, in a given row order), pushpull in place, fused messages
ks = ["w", "b", "c"]
shapes = [(4, 5), (5,), (2, 2, 2)]
kv2 = kvstore.create("dist_device_sync")
kv2.init(ks, [np.full(s, float(R)) for s in shapes])
vals = [np.full(s, float(R + 1) * (j + 1)) for j, s in enumerate(shapes)]
kv2.pushpull(ks, vals)
for j, (v, s) in enumerate(zip(vals, shapes)):
    onp.testing.assert_allclose(v.asnumpy(), onp.full(s, (j + 1) * N * (N + 1) / 2))
got = [np.zeros(s) for s in shapes]
kv2.pull(ks[::-1], out=got[::-1])        # row order follows the keys given
for j, (g, s) in enumerate(zip(got, shapes)):
    onp.testing.assert_allclose(g.asnumpy(), onp.full(s, (j + 1) * N * (N + 1) / 2))
os.environ["NDENGINE_DIST_FUSION_BYTES"] = "0"     # each key a message of its own
kv2.pushpull(ks, vals, out=got)
for j, (g, s) in enumerate(zip(got, shapes)):
    onp.testing.assert_allclose(g.asnumpy(), onp.full(s, (j + 1) * (N * (N + 1) / 2) * N))
del os.environ["NDENGINE_DIST_FUSION_BYTES"]

# broadcast: rank 0's value everywhere
bo = [np.zeros((3,), device=d) for d in DEVS]
kv2.broadcast("bc", np.full((3,), 7.0 + R), out=bo)
for o in bo:
    onp.testing.assert_array_equal(o.asnumpy(), onp.full(3, 7.0))

# optimizer on the store: the same update as the local store with all ranks' pushes
w0 = onp.linspace(-1, 1, 6, dtype=onp.float32).reshape(shape)
for store, pushes in ((kvstore.create("dist_sync"), [(R, d) for d in range(2)]),
                      (kvstore.create("device"), [(r, d) for r in range(N) for d in range(2)])):
    store.set_optimizer(opt.SGD(learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5))
    store.init(0, on(w0, cpu(0)))
    for step in range(3):
        store.push(0, [on(val(r, d) * (step + 1), DEVS[d]) for r, d in pushes])
    res = np.zeros(shape)
    store.pull(0, out=res)
    if store.type == "dist_sync":
        dist_w = res.asnumpy()
        fname = os.path.join(tempfile.gettempdir(), f"ndengine_kv_states_{os.getpid()}")
        store.save_optimizer_states(fname)
        store.load_optimizer_states(fname)
        os.remove(fname)
    else:
        onp.testing.assert_allclose(dist_w, res.asnumpy(), rtol=1e-6)

kv.barrier()
try:
    kvstore.create("dist_async")
except kvstore.KVStoreError as e:
    assert "not supported" in str(e)
else:
    raise AssertionError("dist_async accepted")
print(f"OK kvstore rank {R} of {N}", flush=True)
