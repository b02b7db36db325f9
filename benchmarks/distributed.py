"""Distributed training on MPI: allreduce bandwidth and a data-parallel MLP step, 1 vs 2 ranks.

``python benchmarks/distributed.py [--quick]`` launches ``mpiexec`` (next to this
Python) itself:

* **allreduce**: float32 buffers of 64 KB - 16 MB summed over 2 ranks, through
  ndengine's engine op (``distributed.allreduce`` then a sync) and raw mpi4py
  ``Allreduce`` on the same sizes; goal (issue 16): >= 0.9x raw's bandwidth.
* **training step**: the seed chapter's MLP (784-256-10, ReLU, softmax cross-entropy,
  SGD) on a global batch of 1,024 split over the ranks, 1 BLAS thread per rank,
  ``Trainer(kvstore='dist_sync')``; samples per second for 1 and 2 ranks (goal: 2 ranks
  >= 1.8x), and the 2-rank step time against max(compute, communication) of the same
  step (goal <= 1.1x: the allreduces overlap backward); the gradients' allreduce fused
  into one message (``NDENGINE_DIST_FUSION_BYTES``, 4 MB) and one message per key.

Machine note: on a 2-core VM shared with other work, 2 ranks x (compute worker + a
communication worker + the front end) oversubscribe the cores; the figures are what
this machine gives, not a bound of the design.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _harness  # noqa: E402

BENCH = "distributed"
MPIEXEC = Path(sys.executable).parent / "mpiexec"

WORKER = r'''
import json, sys, time
import numpy as onp
from ndengine import autograd, np, npx
from ndengine import distributed as dist
from ndengine.distributed import comm
from ndengine.gluon import Trainer, loss as gloss, nn
npx.set_np()
quick = sys.argv[1] == "1"
w = dist.world()
R, N = w.rank, w.size
out = {}

def med(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        w.data.Barrier()
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]

if N > 1:
    for kb in ((64, 1024, 16384) if quick else (64, 256, 1024, 4096, 16384)):
        n = kb * 256
        x = np.ones((n,), dtype="float32"); x.wait_to_read()
        buf = onp.ones(n, onp.float32); res = onp.empty_like(buf)
        reps = 5 if quick else 15
        t_nd = med(lambda: comm.allreduce([x])[0].wait_to_read(), reps)
        t_raw = med(lambda: w.data.Allreduce(buf, res), reps)
        # the Trainer's use: 8 buffers pushed at once, then waited for
        xs = [np.ones((n,), dtype="float32") for _ in range(8)]
        bufs = [onp.ones(n, onp.float32) for _ in range(8)]
        ress = [onp.empty_like(b) for b in bufs]
        def nd8():
            outs = [comm.allreduce([a])[0] for a in xs]
            for o in outs: o.wait_to_read()
        def raw8():
            for b, r in zip(bufs, ress): w.data.Allreduce(b, r)
        t_nd8 = med(nd8, reps) / 8
        t_raw8 = med(raw8, reps) / 8
        out[f"allreduce {kb} KB"] = {"nd": t_nd, "raw": t_raw, "nd8": t_nd8, "raw8": t_raw8}

B = 1024
rng = onp.random.default_rng(0)
X = rng.normal(size=(B, 784)).astype(onp.float32)
Y = rng.integers(0, 10, size=B)
shard = slice(R * B // N, (R + 1) * B // N)
x, y = np.array(X[shard]), np.array(Y[shard])
npx.random.seed(0)
net = nn.Sequential(); net.add(nn.Dense(256, activation="relu"), nn.Dense(10))
net.initialize(); net(x[:2])
L = gloss.SoftmaxCrossEntropyLoss()

def compute():
    with autograd.record():
        l = L(net(x), y)
    l.backward()

trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore="dist_sync",
                  update_on_kvstore=False)
grads = [p.grad() for p in net.collect_params().values()]

def step():
    compute(); trainer.step(B); grads[0].wait_to_read()
    for p in net.collect_params().values(): p.data().wait_to_read()

def only_compute():
    compute()
    for g in grads: g.wait_to_read()

KEYS = [trainer._param2idx[p.name] for p in net.collect_params().values()]

def only_comm():
    # the Trainer's keys (MXNet's: parameters numbered by sorted name), last layer first
    trainer._kvstore.pushpull(KEYS[::-1], grads[::-1])
    for g in grads: g.wait_to_read()

steps = 5 if quick else 10
def run(fn):
    fn()
    ts = []
    for _ in range(3 if quick else 7):     # the median of several runs: the machine is shared
        w.data.Barrier()
        t = time.perf_counter()
        for _ in range(steps): fn()
        ts.append((time.perf_counter() - t) / steps)
    return sorted(ts)[len(ts) // 2]
out["step"] = run(step)
out["compute"] = run(only_compute)
out["comm"] = run(only_comm)
import os
os.environ["NDENGINE_DIST_FUSION_BYTES"] = "0"       # a message per parameter
out["comm unfused"] = run(only_comm)
out["step unfused"] = run(step)
del os.environ["NDENGINE_DIST_FUSION_BYTES"]
if R == 0:
    print("RESULT " + json.dumps(out))
'''


def _launch(n: int, quick: bool) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", NDENGINE_BLAS_THREADS="1")
    path = HERE / ".dist_worker.py"
    path.write_text(WORKER)
    try:
        proc = subprocess.run([str(MPIEXEC), "-n", str(n), sys.executable, str(path),
                               "1" if quick else "0"], capture_output=True, text=True,
                              timeout=600, env=env)
    finally:
        path.unlink(missing_ok=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"mpiexec -n {n} failed:\n{proc.stdout}\n{proc.stderr}")


def run(quick: bool = False) -> list[dict]:
    if not MPIEXEC.exists():
        return [_harness.row(BENCH, "all", "ndengine", None,
                             note=f"no mpiexec at {MPIEXEC}: pip install ndengine[dist]")]
    one, two = _launch(1, quick), _launch(2, quick)
    rows = []
    for case, t in two.items():
        if case.startswith("allreduce"):
            mb = int(case.split()[1]) / 1024
            rows.append(_harness.row(BENCH, case + " x2 ranks", "ndengine", t["nd"],
                                     gbps=round(mb / 1024 / t["nd"], 2)))
            rows.append(_harness.row(BENCH, case + " x2 ranks", "mpi4py", t["raw"],
                                     gbps=round(mb / 1024 / t["raw"], 2)))
            rows[-2].update(goal=">= 0.9x raw bandwidth", ratio=round(t["raw"] / t["nd"], 2),
                            goal_met=t["raw"] / t["nd"] >= 0.9)
            rows.append(_harness.row(BENCH, case + " x2 ranks, 8 in flight", "ndengine",
                                     t["nd8"], gbps=round(mb / 1024 / t["nd8"], 2),
                                     goal=">= 0.9x raw bandwidth",
                                     ratio=round(t["raw8"] / t["nd8"], 2),
                                     goal_met=t["raw8"] / t["nd8"] >= 0.9))
            rows.append(_harness.row(BENCH, case + " x2 ranks, 8 in flight", "mpi4py",
                                     t["raw8"], gbps=round(mb / 1024 / t["raw8"], 2)))
    sps1, sps2 = 1024 / one["step"], 1024 / two["step"]
    rows.append(_harness.row(BENCH, "MLP step, batch 1024", "ndengine 1 rank", one["step"],
                             samples_per_s=round(sps1)))
    rows.append(_harness.row(BENCH, "MLP step, batch 1024", "ndengine 2 ranks", two["step"],
                             samples_per_s=round(sps2), ratio=round(sps2 / sps1, 2),
                             goal=">= 1.8x 1 rank", goal_met=sps2 / sps1 >= 1.8))
    rows.append(_harness.row(BENCH, "MLP gradients allreduce, 2 ranks", "fused (4 MB)",
                             two["comm"]))
    rows.append(_harness.row(BENCH, "MLP gradients allreduce, 2 ranks", "a message per key",
                             two["comm unfused"], step_s=round(two["step unfused"], 5)))
    bound = max(two["compute"], two["comm"])
    rows.append(_harness.row(BENCH, "MLP step overlap, 2 ranks", "ndengine", two["step"],
                             compute_s=round(two["compute"], 5), comm_s=round(two["comm"], 5),
                             ratio=round(two["step"] / bound, 2),
                             goal="<= 1.1x max(compute, comm)",
                             goal_met=two["step"] / bound <= 1.1))
    return rows


if __name__ == "__main__":
    _harness.main(run, __doc__.splitlines()[0])
