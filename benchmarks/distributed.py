"""Distributed training on MPI: allreduce against raw mpi4py, a data-parallel MLP step on 1 vs 2 ranks.

``python benchmarks/distributed.py [--quick]`` launches ``mpiexec -n 2`` (next to this
Python) once; every figure is a median over rounds in which the variants run one after
the other (interleaved), so a load that comes and goes on a shared machine touches
them alike:

* **allreduce** of float32 buffers, 64 KB - 16 MB, 2 ranks: ndengine's engine op and
  raw mpi4py on the same buffers, each push waited for: summed in place
  (``comm.allreduce_inplace``, the Trainer's path, vs ``Allreduce(IN_PLACE, buf)``) and
  into new arrays (``distributed.allreduce`` vs ``Allreduce(buf, out)``), one at a
  time and 8 in flight.  Goal (issue 16): >= 0.9x raw's bandwidth.
* **training step**: the seed chapter's MLP (784-256-10, ReLU, softmax cross-entropy,
  SGD) on a global batch of 1,024, 1 BLAS thread per process.  *1 process*: rank 0
  trains on the whole batch with the plain Trainer (no kvstore) while rank 1 sleeps;
  *2 ranks*: each trains on half with ``Trainer(kvstore='dist_sync',
  update_on_kvstore=False)``.  Goal: 2 ranks >= 1.8x the samples/s of 1.  The overlap
  goal compares the 2-rank step with max(compute, comm) of the same step: *compute* is
  the step without communication (forward, backward and the SGD update, the plain
  Trainer on the rank's half, both ranks at once), *comm* the gradients' pushpull
  alone (the Trainer's keys, last layer first); goal <= 1.1x.
* **variants of the step** (2 ranks): a message per key (``NDENGINE_DIST_FUSION_BYTES=0``),
  the 800 KB weight gradient in a message of its own, summed in its own memory (the
  default fuses it with the small keys in one reused buffer), the copy path (sums into
  new arrays the gradients then share), and how a rank waits for the other (spinning
  the whole wait, sleeping at once, yielding for 200 us instead of the default 2 ms).

* **2-bit compression** (``compression_params={'type': '2bit', 'threshold': 0.5}``):
  the same 2-rank step, and the gradients' pushpull alone (*comm 2bit*: quantize,
  allgather of the codes, decode and sum) next to the float32 one (*comm*), with the
  payload bytes each rank hands MPI.

Machine note: two ranks with a compute thread each use both cores of a 2-core VM; any
other load there slows the 2-rank figures more than the 1-process one.
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
import json, os, sys, threading, time
import numpy as onp
from ndengine import autograd, np, npx
from ndengine import distributed as dist
from ndengine.distributed import comm
from ndengine.kvstore.dist import DistKVStore
from ndengine.gluon import Trainer, loss as gloss, nn
npx.set_np()
quick = sys.argv[1] == "1"
w = dist.world()
R, N = w.rank, w.size
BC = w.MPI.COMM_WORLD.Dup()        # the benchmark's own barriers, apart from ndengine's
MPI = w.MPI
out = {}
ROUNDS = 5 if quick else 11

def interleaved(variants, rounds, reps=1, warm=None):
    """{name: median seconds per call}: each round times every variant once (reps calls,
    after warm(name) or one untimed call), in an order shuffled from round to round."""
    ts = {k: [] for k in variants}
    names = list(variants)
    for k in names:
        variants[k](); variants[k]()
    for r in range(rounds):
        # a new order each round (the same on every rank): with a rotation, each
        # variant always followed the same one, and the default 2-rank step, always
        # timed right after "1 process" (rank 1 asleep meanwhile), came out 5-15%
        # slower than its variants, whatever their settings
        order = list(names)
        onp.random.default_rng(r).shuffle(order)
        for k in order:
            fn = variants[k]
            (warm(k) if warm else fn())
            BC.Barrier()
            t = time.perf_counter()
            for _ in range(reps):
                fn()
            ts[k].append((time.perf_counter() - t) / reps)
    return {k: sorted(v)[len(v) // 2] for k, v in ts.items()}

# ------------------------------------------------------------------ allreduce alone
for kb in ((64, 1024, 16384) if quick else (64, 256, 1024, 4096, 16384)):
    n = kb * 256
    x = np.zeros((n,), dtype="float32"); x.wait_to_read()
    buf = onp.zeros(n, onp.float32); res = onp.empty_like(buf)
    xs = [np.zeros((n,), dtype="float32") for _ in range(8)]
    bufs = [onp.zeros(n, onp.float32) for _ in range(8)]
    ress = [onp.empty_like(b) for b in bufs]

    def nd_inplace():
        comm.allreduce_inplace([x])[0].wait_to_read()

    def nd_new():
        comm.allreduce([x])[0].wait_to_read()

    def nd8():
        for a in xs:
            comm.allreduce_inplace([a])
        for a in xs:
            a.wait_to_read()

    def raw8():
        for b in bufs:
            w.data.Allreduce(MPI.IN_PLACE, b)

    t = interleaved({"nd": nd_inplace, "raw": lambda: w.data.Allreduce(MPI.IN_PLACE, buf),
                     "nd_new": nd_new, "raw_new": lambda: w.data.Allreduce(buf, res),
                     "nd8": nd8, "raw8": raw8},
                    ROUNDS if kb >= 4096 else 3 * ROUNDS, reps=1 if kb >= 4096 else 5)
    t["nd8"] /= 8
    t["raw8"] /= 8
    out[f"allreduce {kb} KB"] = t

# ------------------------------------------------------------------ the MLP step
B = 1024
rng = onp.random.default_rng(0)
X = rng.normal(size=(B, 784)).astype(onp.float32)
Y = rng.integers(0, 10, size=B)
shard = slice(R * B // N, (R + 1) * B // N)

def model(x, kvstore, uok=False, comp=None):
    npx.random.seed(0)
    net = nn.Sequential(); net.add(nn.Dense(256, activation="relu"), nn.Dense(10))
    net.initialize(); net(x[:2])
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore=kvstore,
                      update_on_kvstore=uok, compression_params=comp)
    return net, trainer, list(net.collect_params().values())

WAIT_WEIGHTS = [True]      # False: the "loss waited each step" variant

def stepper(xs, ys, kvstore, uok=False, comp=None):
    # every weight waited for after each step (the figures of earlier runs); the variant
    # "loss waited each step" is the seed chapter's loop (examples/async_computation.py:
    # the loss waited for before the next batch), where the front end pushes the next
    # forward while the gradients are summed and the weights updated; the timed steps
    # then end with every weight waited for (see steps())
    x, y = np.array(xs), np.array(ys)
    net, trainer, params = model(x, kvstore, uok, comp)
    L = gloss.SoftmaxCrossEntropyLoss()
    def step():
        with autograd.record():
            l = L(net(x), y)
        l.backward()
        trainer.step(B)
        if WAIT_WEIGHTS[0]:
            for p in params:
                p.data().wait_to_read()
        else:
            l.wait_to_read()
    step.params = params
    return step, trainer, params

dist_step, trainer, params = stepper(X[shard], Y[shard], "dist_sync")
uok_step = stepper(X[shard], Y[shard], "dist_sync", True)[0]
COMP = {"type": "2bit", "threshold": 0.5}
comp_step, comp_trainer, comp_params = stepper(X[shard], Y[shard], "dist_sync", comp=COMP)
local_step = stepper(X[shard], Y[shard], None)[0]
whole_step = stepper(X, Y, None)[0] if R == 0 else None
grads = [p.grad() for p in params]
KEYS = [trainer._param2idx[p.name] for p in params]

def comm_only():
    # the Trainer's keys (MXNet's: parameters numbered by sorted name), last layer first
    trainer._kvstore.pushpull(KEYS[::-1], grads[::-1])
    for g in grads:
        g.wait_to_read()

comp_grads = [p.grad() for p in comp_params]

def comm_only_2bit():
    # the same pushpull on the compressed store: quantize, allgather the codes, decode
    comp_trainer._kvstore.pushpull(KEYS[::-1], comp_grads[::-1])
    for g in comp_grads:
        g.wait_to_read()

# the payload bytes each rank hands MPI per pushpull of the MLP's gradients
n_values = [int(g.size) for g in grads]
out["comm bytes"] = {"float32": 4 * sum(n_values),
                     "2bit": sum((n + 3) // 4 for n in n_values)}

STEPS = 5 if quick else 10

def one_process():
    # rank 0 trains on the whole batch alone; rank 1 sleeps until it is done
    if R == 0:
        for _ in range(STEPS):
            whole_step()
        for p in whole_step.params:
            p.data().wait_to_read()
        BC.Ibarrier().Wait()
    else:
        req = BC.Ibarrier()
        while not req.Test():
            time.sleep(1e-3)

def steps(fn, pre=None, post=None, n=None):
    def run():
        if pre: pre()
        for _ in range(n or STEPS):
            fn()
        for p in getattr(fn, "params", ()):
            p.data().wait_to_read()
        if post: post()
    return run

def env(name, value):
    return lambda: os.environ.__setitem__(name, value), lambda: os.environ.pop(name)

def attr(obj, name, value):
    old = getattr(obj, name)
    return lambda: setattr(obj, name, value), lambda: setattr(obj, name, old)

def waits(spin, yld):
    old = (comm._SPIN_S, comm._YIELD_S)
    def pre(): comm._SPIN_S, comm._YIELD_S = spin, yld
    def post(): comm._SPIN_S, comm._YIELD_S = old
    return pre, post

def flag(box, value):
    return lambda: box.__setitem__(0, value), lambda: box.__setitem__(0, not value)

variant_env = {
    "loss waited each step": flag(WAIT_WEIGHTS, False),
    "a message per key": env("NDENGINE_DIST_FUSION_BYTES", "0"),
    "large key alone": attr(DistKVStore, "_alone_bytes", 256 << 10),
    "copy path": attr(DistKVStore, "_inplace", False),
    "wait spins": waits(1e9, 1e9),
    "wait sleeps": waits(0.0, 0.0),
    "wait yields 200 us": waits(20e-6, 200e-6),
}
variants = {"1 process": one_process, "2 ranks": steps(dist_step),
            "compute": steps(local_step), "comm": steps(comm_only),
            "update_on_kvstore=True": steps(uok_step),
            "2bit compression": steps(comp_step), "comm 2bit": steps(comm_only_2bit)}
variants.update({k: steps(dist_step, *pp) for k, pp in variant_env.items()})
variants["2 ranks again"] = steps(dist_step)    # the default once more: the noise floor
BASE = {"compute": local_step, "comm": comm_only, "update_on_kvstore=True": uok_step,
        "2bit compression": comp_step, "comm 2bit": comm_only_2bit}
def warm(name):
    # untimed steps of the variant (its settings on), so no variant pays for the
    # previous one's (a rank that slept through "1 process" wakes up first: with one
    # warm-up step, every variant of the 2-rank step came out 8-20% faster than the
    # same default step timed right after it)
    if name == "1 process":
        return one_process()
    pre, post = variant_env.get(name, (None, None))
    steps(BASE.get(name, dist_step), pre, post, n=3)()

# where the time goes: CPU seconds of each thread of each rank (thread_time), over
# every timed round of a variant
def thread_cpu():
    out = {}
    for th in threading.enumerate():
        try:
            out[th.name] = time.clock_gettime(time.pthread_getcpuclockid(th.ident))
        except (OSError, AttributeError, ValueError):
            pass
    return out

CPU = {}
def timed_cpu(name, fn):
    def run():
        a = thread_cpu()
        fn()
        b = thread_cpu()
        acc = CPU.setdefault(name, {})
        for k, v in b.items():
            acc[k] = acc.get(k, 0.0) + v - a.get(k, 0.0)
        acc["_runs"] = acc.get("_runs", 0) + 1
    return run

for k in ("1 process", "2 ranks", "compute", "update_on_kvstore=True", "2bit compression",
          "comm", "comm 2bit"):
    variants[k] = timed_cpu(k, variants[k])
t = interleaved(variants, 5 if quick else 15, warm=warm)
out["step"] = {k: v / STEPS for k, v in t.items()}
# per step, ms, averaged over the variant's runs (its timed rounds and the two calls
# before them; the warm-ups are not counted)
cpu = {}
for k, acc in CPU.items():
    runs = acc.pop("_runs")
    cpu[k] = {th: round(v / runs / STEPS * 1e3, 3) for th, v in acc.items() if v > 1e-4}
allcpu = BC.gather(cpu, root=0)
if R == 0:
    out["thread_cpu_ms"] = allcpu
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
    load0 = os.getloadavg()[0]
    two = _launch(2, quick)
    load = f"{load0:.1f}-{os.getloadavg()[0]:.1f}"    # uptime's 1-min average, before-after
    rows = []
    for case, t in two.items():
        if not case.startswith("allreduce"):
            continue
        mb = int(case.split()[1]) / 1024
        for nd, raw, what in (("nd", "raw", "in place"), ("nd_new", "raw_new", "new arrays"),
                              ("nd8", "raw8", "in place, 8 in flight")):
            ratio = t[raw] / t[nd]
            rows.append(_harness.row(BENCH, f"{case} x2 ranks, {what}", "ndengine", t[nd],
                                     gbps=round(mb / 1024 / t[nd], 2), ratio=round(ratio, 2),
                                     goal=">= 0.9x raw bandwidth", goal_met=ratio >= 0.9,
                                     load=load))
            rows.append(_harness.row(BENCH, f"{case} x2 ranks, {what}", "mpi4py", t[raw],
                                     gbps=round(mb / 1024 / t[raw], 2)))
    st = two["step"]
    sps1, sps2 = 1024 / st["1 process"], 1024 / st["2 ranks"]
    rows.append(_harness.row(BENCH, "MLP step, batch 1024", "1 process", st["1 process"],
                             samples_per_s=round(sps1)))
    rows.append(_harness.row(BENCH, "MLP step, batch 1024", "2 ranks", st["2 ranks"],
                             samples_per_s=round(sps2), ratio=round(sps2 / sps1, 2),
                             goal=">= 1.8x 1 process", goal_met=sps2 / sps1 >= 1.8,
                             load=load))
    sps_uok = 1024 / st["update_on_kvstore=True"]
    rows.append(_harness.row(BENCH, "MLP step, batch 1024", "2 ranks, update_on_kvstore",
                             st["update_on_kvstore=True"], samples_per_s=round(sps_uok),
                             ratio=round(sps_uok / sps1, 2), goal=">= 1.8x 1 process",
                             goal_met=sps_uok / sps1 >= 1.8, load=load))
    bound = max(st["compute"], st["comm"])
    rows.append(_harness.row(BENCH, "MLP step overlap, 2 ranks", "ndengine", st["2 ranks"],
                             compute_s=round(st["compute"], 5), comm_s=round(st["comm"], 5),
                             ratio=round(st["2 ranks"] / bound, 2),
                             goal="<= 1.1x max(compute, comm)",
                             goal_met=st["2 ranks"] / bound <= 1.1, load=load))
    # CPU ms per step of each thread (rank 0's and rank 1's): where a rank's time goes
    for case, per_rank in (("1 process", two["thread_cpu_ms"][:1]),
                           ("2 ranks", two["thread_cpu_ms"]),
                           ("compute", two["thread_cpu_ms"]),
                           ("update_on_kvstore=True", two["thread_cpu_ms"])):
        for r, cpu in enumerate(per_rank):
            th = {k.replace("ndengine-", "").replace("MainThread", "main"): v
                  for k, v in cpu.get(case, {}).items()}
            rows.append(_harness.row(BENCH, "MLP step thread CPU ms", f"{case}, rank {r}",
                                     None, total=round(sum(th.values()), 2), **th))
    nb = two["comm bytes"]
    rows.append(_harness.row(BENCH, "MLP gradients pushpull, 2 ranks", "float32 allreduce",
                             st["comm"], bytes_per_rank=nb["float32"], load=load))
    rows.append(_harness.row(BENCH, "MLP gradients pushpull, 2 ranks", "2bit allgather",
                             st["comm 2bit"], bytes_per_rank=nb["2bit"],
                             bytes_ratio=round(nb["float32"] / nb["2bit"], 1),
                             vs_float32=round(st["comm 2bit"] / st["comm"], 2), load=load))
    rows.append(_harness.row(BENCH, "MLP step, batch 1024", "2 ranks, 2bit compression",
                             st["2bit compression"],
                             samples_per_s=round(1024 / st["2bit compression"]),
                             vs_default=round(st["2bit compression"] / st["2 ranks"], 2),
                             load=load))
    for case in ("comm", "comm 2bit", "2bit compression"):
        for r, cpu in enumerate(two["thread_cpu_ms"]):
            th = {k.replace("ndengine-", "").replace("MainThread", "main"): v
                  for k, v in cpu.get(case, {}).items()}
            rows.append(_harness.row(BENCH, "MLP step thread CPU ms", f"{case}, rank {r}",
                                     None, total=round(sum(th.values()), 2), **th))
    for k in ("loss waited each step", "a message per key", "large key alone", "copy path",
              "2 ranks again", "wait spins",
              "wait sleeps", "wait yields 200 us"):
        rows.append(_harness.row(BENCH, "MLP step variants, 2 ranks", k, st[k],
                                 vs_default=round(st[k] / st["2 ranks"], 2)))
    return rows


if __name__ == "__main__":
    _harness.main(run, __doc__.splitlines()[0])
