"""Run under mpiexec -n N with a mode: how one rank's failure reaches the others.

raise    rank 1 raises before its second collective: the others fail naming it
exit     rank 1 exits (status 0) before its second collective: the others fail
shape    the ranks init a key with different shapes: every rank gets the error (caught
         here), and the ranks stay in step for the next collective
timeout  rank 1 is late by more than NDENGINE_DIST_TIMEOUT: the others time out
"""
import sys
import time

import numpy as onp

from ndengine import kvstore, np
from ndengine import distributed as dist

mode = sys.argv[1]
kv = kvstore.create("dist_sync")
R, N = kv.rank, kv.num_workers
kv.init(0, np.zeros((3,)))
kv.pushpull(0, np.ones((3,)))
kv.barrier()
if mode == "raise" and R == 1:
    raise ValueError("boom on rank 1")
if mode == "exit" and R == 1:
    sys.exit(0)
if mode == "timeout" and R == 1:
    time.sleep(4)
if mode == "shape":
    shape = (2, 3) if R == 1 else (3, 2)
    kv.init(1, np.zeros(shape))
    out = np.zeros(shape)
    kv.pull(1, out=out)
    try:
        out.wait_to_read()
    except Exception as e:       # an OpError carrying the DistError, at the sync point
        print(f"CAUGHT rank {R}: {e}", flush=True)
    else:
        raise AssertionError("mismatched shapes accepted")
    x = np.full((2,), float(R))
    kv.init(2, x)
    kv.pushpull(2, x)
    onp.testing.assert_allclose(x.asnumpy(), onp.full(2, N * (N - 1) / 2))
    print(f"OK errors rank {R}", flush=True)
    sys.exit(0)
v = np.ones((3,))
kv.pushpull(0, v)
print(f"rank {R} got {v.asnumpy()}", flush=True)
