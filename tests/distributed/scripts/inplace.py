"""Run under mpiexec -n N (or alone): pushpull into the pushed arrays (the Trainer's
path) sums in place, fuses small keys into reused buffers, sends a key of 256 KB or
more alone, and ranks that disagree on a signature seen before are still caught.

Every check prints nothing; the last line says OK (the test looks for it)."""
import os

import numpy as onp

from ndengine import kvstore, np
from ndengine.distributed import comm

kv = kvstore.create("dist_sync")
R, N = kv.rank, kv.num_workers
W = comm.world()
TRI = N * (N + 1) / 2          # the sum over the ranks of (rank + 1)


def collectives(fn):
    """How many collectives *fn* pushed (barriers around it wait for them)."""
    comm.barrier()
    before = W.completed
    fn()
    comm.barrier()
    return W.completed - before - 1


# -- one large key: MPI sums in the array's own memory -------------------------------
big = np.full((300, 256), float(R + 1))         # 300 KB: alone, in place
kv.init("big", np.zeros((300, 256)))
big.wait_to_read()
buf = big._data
kv.pushpull("big", big)
onp.testing.assert_allclose(big.asnumpy(), onp.full((300, 256), TRI))
assert big._data is buf, "the large key was not summed in its own memory"
got = np.zeros((300, 256))
kv.pull("big", out=got)                         # the store holds the sum too
onp.testing.assert_allclose(got.asnumpy(), onp.full((300, 256), TRI))
big += 1                                        # the store shares the buffer: copy first
onp.testing.assert_allclose(got.asnumpy(), onp.full((300, 256), TRI))
kv.pull("big", out=got)
onp.testing.assert_allclose(got.asnumpy(), onp.full((300, 256), TRI))

# an array another one was made from keeps value semantics: the other keeps its values
src = np.full((300, 256), float(R + 1))
other = src.reshape(-1)                         # may share src's buffer
kv.pushpull("big", src)
onp.testing.assert_allclose(src.asnumpy(), onp.full((300, 256), TRI))
onp.testing.assert_allclose(other.asnumpy(), onp.full(300 * 256, R + 1.0))

# a view sees the sum written into its base (one family, one buffer)
base = np.full((300, 256), float(R + 1))
view = base[:2]
kv.pushpull("big", base)
onp.testing.assert_allclose(view.asnumpy(), onp.full((2, 256), TRI))

# -- small keys: one message, summed in a pooled buffer the arrays then view ---------
ks = ["s0", "s1", "s2", "s3"]
shapes = [(10,), (4, 5), (7,), (3, 3)]
kv.init(ks, [np.zeros(s) for s in shapes])
vals = [np.full(s, float(R + 1) * (j + 1)) for j, s in enumerate(shapes)]
c = collectives(lambda: kv.pushpull(ks, vals))
assert c == 1, c
for j, (v, s) in enumerate(zip(vals, shapes)):
    onp.testing.assert_allclose(v.asnumpy(), onp.full(s, (j + 1) * TRI))
h = comm.signature("allreduce", vals, ks)
assert comm.signature("allreduce", vals, ks) is h, "the signature is not made once"
# a step's arrays are replaced by the next step's (as backward replaces gradients), the
# store keeps the last sums: two buffers serve every step
used = set()
for step in range(4):
    vals = [np.full(s, float(R + 1)) for s in shapes]
    kv.pushpull(ks, vals)
    for v, s in zip(vals, shapes):
        onp.testing.assert_allclose(v.asnumpy(), onp.full(s, TRI))
    used.add(id(vals[0]._data.base))
assert len(used) <= 2, f"{len(used)} fusion buffers for 4 steps"
kept = [v.asnumpy() for v in vals]
vals[1] += 1                                   # a view of the pooled buffer: copies first
got = [np.zeros(s) for s in shapes]
kv.pull(ks, out=got)
for g, k in zip(got, kept):
    onp.testing.assert_allclose(g.asnumpy(), k)

# small keys around a large one: one message; [s0 s1] [big] [s2 s3] when the large
# one is over the fusion size; each key alone with fusion 0
order = ["s0", "s1", "big", "s2", "s3"]
arrs = [np.ones(s) for s in shapes[:2]] + [np.ones((300, 256))] + \
    [np.ones(s) for s in shapes[2:]]
total = 1.0
for fusion, messages in ((None, 1), ("200000", 3), ("0", 5)):
    if fusion is not None:
        os.environ["NDENGINE_DIST_FUSION_BYTES"] = fusion
    assert collectives(lambda: kv.pushpull(order, arrs)) == messages, fusion
    os.environ.pop("NDENGINE_DIST_FUSION_BYTES", None)
    total *= N
    for a in arrs:
        onp.testing.assert_allclose(a.asnumpy(), onp.full(a.shape, total))

# float16 keys are summed as float32 in the fusion buffer, written back as float16
hs = [np.full((5,), float(R + 1), dtype="float16"), np.full((3,), 0.5, dtype="float16")]
kv.init(["h0", "h1"], [np.zeros((5,), dtype="float16"), np.zeros((3,), dtype="float16")])
kv.pushpull(["h0", "h1"], hs)
assert hs[0].dtype == onp.float16
onp.testing.assert_allclose(hs[0].asnumpy(), onp.full(5, TRI))
onp.testing.assert_allclose(hs[1].asnumpy(), onp.full(3, 0.5 * N))

# -- allreduce into new arrays: result buffers reused once their arrays are gone ------
x = np.full((70000,), float(R + 1))
o1 = comm.allreduce([x])[0]
o1.wait_to_read()
held = id(o1._data.base)          # (a reference would keep it busy)
o2 = comm.allreduce([x * 2])[0]                # o1 still holds its buffer: another one
onp.testing.assert_allclose(o2.asnumpy(), onp.full(70000, 2 * TRI))
onp.testing.assert_allclose(o1.asnumpy(), onp.full(70000, TRI))
assert id(o2._data.base) != held
del o1, o2
o3 = comm.allreduce([x * 3])[0]
onp.testing.assert_allclose(o3.asnumpy(), onp.full(70000, 3 * TRI))
assert id(o3._data.base) == held, "a free result buffer was not reused"
o3 += 1                                        # an in-place write copies first
o4 = comm.allreduce([x])[0]
onp.testing.assert_allclose(o4.asnumpy(), onp.full(70000, TRI))
onp.testing.assert_allclose(o3.asnumpy(), onp.full(70000, 3 * TRI + 1))

# -- ranks that disagree on a collective whose signatures were each seen before -------
if N > 1:
    a4, a5 = np.ones((4,)), np.ones((5,))
    for a in (a4, a5):                         # both signatures agreed on, cached
        comm.allreduce_inplace([a], keys=["m"]).__getitem__(0).wait_to_read()
    mine = a5 if R == 1 else a4                # rank 1 now sends the other one
    comm.allreduce_inplace([mine], keys=["m"])
    try:
        mine.wait_to_read()
    except Exception as e:
        assert "the ranks disagree on collective" in str(e), e
        assert "rank 1: #" in str(e) and "'m': (5,) float32" in str(e), e
        assert "rank 0: #" in str(e) and "'m': (4,) float32" in str(e), e
    else:
        raise AssertionError("ranks pushing different shapes were not caught")
    # dtypes differ (same shape), and a fused message of another length
    d = np.ones((4,), dtype="float64" if R == 0 else "float32")
    comm.allreduce_inplace([d], keys=["m"])
    try:
        d.wait_to_read()
    except Exception as e:
        assert "float64" in str(e) and "float32" in str(e), e
    else:
        raise AssertionError("ranks pushing different dtypes were not caught")
    parts = [np.ones((3,)) for _ in range(2 if R == 0 else 3)]
    comm.allreduce_inplace(parts, keys=list(range(len(parts))))
    try:
        parts[0].wait_to_read()
    except Exception as e:
        assert "disagree" in str(e), e
    else:
        raise AssertionError("ranks fusing different keys were not caught")
    # the ranks stay in step: the next collective works
    ok = np.full((4,), float(R))
    comm.allreduce_inplace([ok], keys=["m"])
    onp.testing.assert_allclose(ok.asnumpy(), onp.full(4, N * (N - 1) / 2))
print(f"OK inplace rank {R} of {N}", flush=True)
