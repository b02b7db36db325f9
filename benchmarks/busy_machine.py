"""A machine that is not idle (issue 18): a small training step and small products with
other processes beside them, as ratios to NumPy under the same load.

The work, each in a fresh process, median and 90th percentile of the per-step time:

* **mlp step**: Dense 20-256-128-2 (ReLU), softmax cross-entropy, SGD, batch 64 — on
  ndengine's threaded and naive engines (gluon, ``autograd.record``, ``Trainer``), and
  the same math by hand in NumPy float32 (forward, backward, update);
* **small products**: a chain of 40 products of 128 x 128 float32 and one sync, on
  ndengine and NumPy.

NumPy runs as users run it (its OpenBLAS's own thread count, ``numpy``) and, for
reference, with one BLAS thread (``numpy-1thread``: ``OPENBLAS_NUM_THREADS=1``).

The loads, started beside the measured process and stopped after it:

* ``idle``: nothing;
* ``busy core``: one process spinning in ``while True: pass``;
* ``threaded load``: one process whose two threads multiply 256 x 256 matrices in
  NumPy without pause (OpenBLAS threads of its own: the case of the issue, where a
  step took 25-50 ms against about 2 ms idle).

ndengine runs twice per load: with its BLAS policy as shipped and with the busy-machine
rule off (``NDENGINE_BLAS_MACHINE_LOAD=0``: the policy before issue 18), so the table
shows what the rule changes.  PyTorch CPU (peer venv) runs the mlp step too, when set
up.  Goal (issue 18): under every load, ndengine's mlp step within 3x NumPy's under the
same load at the median (the fixed engine cost of a few dozen ops per step is about
1 ms idle, so a tighter ratio is not this benchmark's question: the pathology was 25x).

    python benchmarks/busy_machine.py [--quick] [--json OUT]

Measured (2026-12-04, this 2-core VM otherwise quiet, 300 steps, median / p90 in ms):

    mlp step          NumPy       ndengine     rule off      naive      PyTorch
    idle              0.44/0.48   1.20/1.81    1.20/1.80    1.20/1.32   0.42/0.48
    busy core         0.44/4.36   1.28/3.29    1.46/5.63    1.25/1.40   0.44/4.53
    threaded load     0.46/20.5   1.66/5.97    32.0/60.2    1.40/5.65   0.78/29.2
    small products (40 x 128x128, ms per chain): idle 1.3 vs ndengine 2.5; busy core
    1.3 vs 2.9 (rule off 4.4); threaded load 14.5 (p90 640) vs 6.9 (rule off 19.4)

The issue's pathology (a step 20-70x slower beside a multi-threaded process) is gone:
32 ms -> 1.7 ms.  Goal (<= 3x NumPy's median under the same load) met idle (2.7x) and
beside a busy core (2.9x), not met beside the threaded load (3.6x; at p90 ndengine is
3.4x better than NumPy there: its two BLAS threads stall behind the other process).

The figures depend on the machine and on what else runs on it; they are reported,
never asserted.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _harness  # noqa: E402

BENCH = "busy_machine"

LOADS = {
    "idle": None,
    "busy core": "while True:\n    pass\n",
    "threaded load": (
        "import threading, numpy as np\n"
        "a = np.random.rand(256, 256).astype('f4')\n"
        "def spin():\n"
        "    while True:\n"
        "        a @ a\n"
        "ts = [threading.Thread(target=spin, daemon=True) for _ in range(2)]\n"
        "[t.start() for t in ts]\n"
        "[t.join() for t in ts]\n"),
}

TIMER = r'''
import json, sys, time
def report(step, n, sync=lambda: None):
    for _ in range(max(5, n // 10)):
        step()
    sync()
    ts = []
    for _ in range(n):
        t = time.perf_counter(); step(); sync(); ts.append(time.perf_counter() - t)
    ts.sort()
    print(json.dumps({"median": ts[len(ts) // 2], "p90": ts[int(len(ts) * 0.9)]}))
'''

NUMPY_MLP = TIMER + r'''
import numpy as onp
rng = onp.random.default_rng(0)
X = rng.normal(size=(64, 20)).astype("f4"); y = rng.integers(0, 2, 64)
W = [rng.normal(size=s).astype("f4") * 0.1 for s in ((20, 256), (256, 128), (128, 2))]
b = [onp.zeros(s, "f4") for s in (256, 128, 2)]
def step():
    h1 = onp.maximum(X @ W[0] + b[0], 0); h2 = onp.maximum(h1 @ W[1] + b[1], 0)
    o = h2 @ W[2] + b[2]
    p = onp.exp(o - o.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
    loss = -onp.log(p[onp.arange(64), y]).mean()
    g = p; g[onp.arange(64), y] -= 1; g /= 64
    g2 = (g @ W[2].T) * (h2 > 0); g1 = (g2 @ W[1].T) * (h1 > 0)
    grads = [(X.T @ g1, g1.sum(0)), (h1.T @ g2, g2.sum(0)), (h2.T @ g, g.sum(0))]
    for i, (gw, gb) in enumerate(grads):
        W[i] -= 0.1 * gw; b[i] -= 0.1 * gb
    return float(loss)
report(step, N)
'''

NDENGINE_MLP = TIMER + r'''
import numpy as onp
from ndengine import autograd, gluon, np, npx
from ndengine.gluon import nn
npx.set_np()
net = nn.Sequential()
net.add(nn.Dense(256, activation="relu"), nn.Dense(128, activation="relu"), nn.Dense(2))
net.initialize()
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
L = gluon.loss.SoftmaxCrossEntropyLoss()
X = np.random.normal(size=(64, 20)); y = np.array(onp.random.randint(0, 2, 64))
def step():
    with autograd.record():
        l = L(net(X), y)
    l.backward()
    trainer.step(64)
    return float(l.mean())
report(step, N)
'''

TORCH_MLP = TIMER + r'''
import torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(20, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                          torch.nn.ReLU(), torch.nn.Linear(128, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
X = torch.randn(64, 20); y = torch.randint(0, 2, (64,))
lossf = torch.nn.CrossEntropyLoss()
def step():
    opt.zero_grad(); l = lossf(net(X), y); l.backward(); opt.step()
    return float(l)
report(step, N)
'''

NUMPY_PRODUCTS = TIMER + r'''
import numpy as onp
a = onp.random.rand(128, 128).astype("f4") / 128
def step():
    x = a
    for _ in range(40):
        x = x @ a
    return float(x[0, 0])
report(step, N)
'''

NDENGINE_PRODUCTS = TIMER + r'''
from ndengine import np
a = np.random.uniform(size=(128, 128)) / 128
def step():
    x = a
    for _ in range(40):
        x = np.dot(x, a)
    return float(x[0, 0])
report(step, N)
'''


def _measure(code: str, n: int, env: dict[str, str] | None = None,
             peer: str | None = None) -> dict:
    full = f"N = {n}\n" + code
    if peer is not None:
        return _harness.run_peer(peer, full, timeout=600)  # type: ignore[return-value]
    return _harness.run_python(full, timeout=600, env=env)


def _start_load(code: str | None) -> subprocess.Popen | None:
    if code is None:
        return None
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(0.5)             # let it reach its loop (and the policy see it)
    return p


def _stop_load(p: subprocess.Popen | None) -> None:
    if p is not None:
        p.kill()
        p.wait()


def run(quick: bool = False) -> list[dict]:
    n = 60 if quick else 300
    torch_py = _harness.peer_python("torch")
    rows: list[dict] = []
    cases = [
        ("mlp step", NUMPY_MLP, NDENGINE_MLP, TORCH_MLP),
        ("small products", NUMPY_PRODUCTS, NDENGINE_PRODUCTS, None),
    ]
    for load, code in LOADS.items():
        proc = _start_load(code)
        try:
            for work, np_code, nd_code, torch_code in cases:
                case = f"{work}, {load}"
                r = _measure(np_code, n, {"OPENBLAS_NUM_THREADS": "1"})
                rows.append(_harness.row(BENCH, case, "numpy-1thread", r["median"],
                                         p90_ms=round(r["p90"] * 1e3, 2)))
                r = _measure(np_code, n)
                rows.append(_harness.row(BENCH, case, "numpy", r["median"],
                                         p90_ms=round(r["p90"] * 1e3, 2)))
                variants = [("threaded", {}), ("threaded, rule off",
                                                {"NDENGINE_BLAS_MACHINE_LOAD": "0"})]
                if work == "mlp step":
                    variants.append(("naive", {"NDENGINE_ENGINE": "naive"}))
                for config, env in variants:
                    r = _measure(nd_code, n, env)
                    extra: dict = {"config": config, "p90_ms": round(r["p90"] * 1e3, 2)}
                    if work == "mlp step" and config == "threaded":
                        extra.update(goal="<= 3x numpy (same load)", goal_ratio=3.0)
                    rows.append(_harness.row(BENCH, case, "ndengine", r["median"], **extra))
                if torch_code is not None and torch_py is not None:
                    r = _measure(torch_code, n, peer="torch")
                    rows.append(_harness.row(BENCH, case, "torch", r["median"],
                                             p90_ms=round(r["p90"] * 1e3, 2)))
        finally:
            _stop_load(proc)
    return rows


if __name__ == "__main__":
    _harness.main(run, __doc__)
