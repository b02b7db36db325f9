"""The seed's "Improving Memory Footprint" training loop, side by side.

The MXNet code of the seed (d2l, "Asynchronous Computation"): Dense(2048, relu),
Dense(512, relu), Dense(1); default initialization; ``gluon.Trainer(..., 'sgd')``
(learning rate 0.01); L2Loss called as ``loss(y, net(X))``; 150 batches of
1024 x 512 float32 drawn with ``np.random.normal`` and labels ``np.ones``; with and
without the per-batch ``l.wait_to_read()`` barrier, then ``npx.waitall()``.  Run by:

  ndengine   the seed's code unchanged (``from ndengine import autograd, gluon, np, npx``)
  mxnet      the same code on real MXNet 1.9.1 (peer venv)
  numpy      the same math by hand in NumPy float32: forward, backward, SGD (synchronous,
             so the barrier changes nothing: one run, reported for both cases)
  torch      the same model and update in PyTorch CPU (peer venv; synchronous too)

Each case runs in a fresh process; it reports the epoch time (the timed loop, after the
seed's warm-up batch) and the peak RSS growth during the loop (``VmHWM`` reset through
``/proc/self/clear_refs`` after the warm-up, minus the RSS then).

A second part measures that the DataLoader's loading overlaps computation: the time to
iterate a shuffled ``ArrayDataset`` alone, to train on ready batches alone, and to train
from the loader (with the per-batch barrier); ``hidden`` is the share of the loading
time that did not add to the training time.

    python benchmarks/training_loop.py [--quick] [--json OUT]

``--quick`` runs 20 batches instead of 150.  Timings on a shared machine are noisy.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness  # noqa: E402

BENCH = "training_loop"

MEASURE = "import json, os, time\n" + _harness.RSS_SNIPPET

# The seed's code; {pkg} is ndengine or mxnet.
SEED = MEASURE + r'''
from {pkg} import autograd, gluon, np, npx
from {pkg}.gluon import nn
npx.set_np()
NB, BARRIER = {nb}, {barrier}

def data_iter():
    num_batches, batch_size = NB, 1024
    for i in range(num_batches):
        X = np.random.normal(size=(batch_size, 512))
        y = np.ones((batch_size,))
        yield X, y

net = nn.Sequential()
net.add(nn.Dense(2048, activation='relu'),
        nn.Dense(512, activation='relu'), nn.Dense(1))
net.initialize()
trainer = gluon.Trainer(net.collect_params(), 'sgd')
loss = gluon.loss.L2Loss()

for X, y in data_iter():
    break
loss(y, net(X)).wait_to_read()

rss0 = rss_mb()
exact = reset_peak()
t0 = time.perf_counter()
for X, y in data_iter():
    with autograd.record():
        l = loss(y, net(X))
    l.backward()
    trainer.step(X.shape[0])
    if BARRIER:
        l.wait_to_read()  # Barrier before a new batch
t_issue = time.perf_counter() - t0
npx.waitall()
seconds = time.perf_counter() - t0
extra = {{}}
try:
    from ndengine.device import cpu_backend
    extra["blas_threads"] = cpu_backend.blas_threads()
except Exception:
    pass
print(json.dumps(dict(seconds=seconds, issue_seconds=t_issue, rss0=rss0,
                      peak_growth_mb=peak_mb() - rss0, exact_peak=exact,
                      final_loss=float(l.mean()), **extra)))
'''

HAND_NUMPY = MEASURE + r'''
import numpy as np
NB = {nb}
rng = np.random.default_rng(0)
def dense(n_out, n_in):
    return [rng.uniform(-0.07, 0.07, (n_out, n_in)).astype(np.float32),
            np.zeros(n_out, np.float32)]
W1, b1 = dense(2048, 512)
W2, b2 = dense(512, 2048)
W3, b3 = dense(1, 512)
params = [W1, b1, W2, b2, W3, b3]
lr = 0.01

def step(X, y):
    h1 = X @ W1.T + b1
    a1 = np.maximum(h1, 0)
    h2 = a1 @ W2.T + b2
    a2 = np.maximum(h2, 0)
    out = a2 @ W3.T + b3                       # (n, 1)
    d = out[:, 0] - y
    l = 0.5 * d * d                            # L2Loss per sample
    g = (d / X.shape[0])[:, None]              # d(sum l)/d out, rescaled by 1/batch
    gW3, gb3 = g.T @ a2, g.sum(0)
    ga2 = g @ W3
    ga2 *= h2 > 0
    gW2, gb2 = ga2.T @ a1, ga2.sum(0)
    ga1 = ga2 @ W2
    ga1 *= h1 > 0
    gW1, gb1 = ga1.T @ X, ga1.sum(0)
    for w, gw in zip(params, (gW1, gb1, gW2, gb2, gW3, gb3)):
        w -= lr * gw
    return l

def data_iter():
    for i in range(NB):
        X = np.random.normal(size=(1024, 512)).astype(np.float32)
        y = np.ones((1024,), np.float32)
        yield X, y

for X, y in data_iter():
    break
step(X, y)
rss0 = rss_mb()
exact = reset_peak()
t0 = time.perf_counter()
for X, y in data_iter():
    l = step(X, y)
seconds = time.perf_counter() - t0
print(json.dumps(dict(seconds=seconds, rss0=rss0, peak_growth_mb=peak_mb() - rss0,
                      exact_peak=exact, final_loss=float(l.mean()))))
'''

TORCH = MEASURE + r'''
import torch
from torch import nn
NB = {nb}
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(512, 2048), nn.ReLU(), nn.Linear(2048, 512), nn.ReLU(),
                    nn.Linear(512, 1))
with torch.no_grad():
    for m in net:
        if isinstance(m, nn.Linear):
            m.weight.uniform_(-0.07, 0.07)
            m.bias.zero_()
opt = torch.optim.SGD(net.parameters(), lr=0.01)

def data_iter():
    for i in range(NB):
        yield torch.randn(1024, 512), torch.ones(1024)

def step(X, y):
    opt.zero_grad()
    l = 0.5 * (y - net(X)[:, 0]) ** 2
    l.mean().backward()                         # = sum/batch, as trainer.step(batch)
    opt.step()
    return l

for X, y in data_iter():
    break
step(X, y)
rss0 = rss_mb()
exact = reset_peak()
t0 = time.perf_counter()
for X, y in data_iter():
    l = step(X, y)
seconds = time.perf_counter() - t0
print(json.dumps(dict(seconds=seconds, rss0=rss0, peak_growth_mb=peak_mb() - rss0,
                      exact_peak=exact, final_loss=float(l.mean()),
                      threads=torch.get_num_threads())))
'''

OVERLAP = r'''
import json, time
import numpy as onp
from ndengine import autograd, gluon, np, npx
from ndengine.engine import HOOKS
from ndengine.gluon import nn
NB, B, F = {nb}, 4096, 512
onp.random.seed(0)
X = onp.random.standard_normal((NB * B, F)).astype(onp.float32)
Y = onp.random.standard_normal((NB * B,)).astype(onp.float32)
loader = gluon.data.DataLoader(gluon.data.ArrayDataset(X, Y), batch_size=B, shuffle=True)
net = nn.Sequential()
net.add(nn.Dense(64, activation='relu'), nn.Dense(1))
net.initialize()
trainer = gluon.Trainer(net.collect_params(), 'sgd')
loss = gluon.loss.L2Loss()

def train(batches):
    for xb, yb in batches:
        with autograd.record():
            l = loss(net(xb), yb)
        l.backward()
        trainer.step(B)
        l.wait_to_read()
    npx.waitall()

ready = [(np.array(X[i * B:(i + 1) * B]), np.array(Y[i * B:(i + 1) * B])) for i in range(NB)]
train(ready[:2])                                # warm-up
def best(fn, n=5):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts)
def load_only():
    for xb, yb in loader:
        pass
    npx.waitall()
load_s = best(load_only)
compute_s = best(lambda: train(ready))
combined_s = best(lambda: train(loader))

# Structural check, immune to machine noise: while each gather op ran, was another op
# (the training step's) running on another worker?
spans = []
class Rec:
    def on_end(self, op, error):
        if getattr(op, "t_start", None) is not None and getattr(op, "t_end", None):
            spans.append((op.name, op.t_start, op.t_end))
rec = Rec()
HOOKS.subscribe(rec)
train(loader)
HOOKS.unsubscribe(rec)
gathers = [(s, e) for n, s, e in spans if n == "dataloader_gather"]
others = sorted((s, e) for n, s, e in spans if n != "dataloader_gather")
merged = []
for s, e in others:
    if merged and s <= merged[-1][1]:
        merged[-1][1] = max(merged[-1][1], e)
    else:
        merged.append([s, e])
def covered(s, e):
    return sum(max(0.0, min(e, b) - max(s, a)) for a, b in merged)
g_total = sum(e - s for s, e in gathers)
g_over = sum(covered(s, e) for s, e in gathers)
print(json.dumps(dict(load_s=load_s, compute_s=compute_s, combined_s=combined_s,
                      hidden=(load_s + compute_s - combined_s) / load_s,
                      gather_ms=1000 * g_total / max(1, len(gathers)),
                      gather_overlapped=g_over / g_total if g_total else 0.0)))
'''


def _ndengine_case(nb: int, barrier: bool) -> dict:
    return _harness.run_python(SEED.format(pkg="ndengine", nb=nb, barrier=barrier))


def _peer_case(name: str, code: str) -> dict | None:
    try:
        return _harness.run_peer(name, code)
    except RuntimeError as e:
        print(f"# peer {name} failed: {str(e)[:300]}")
        return None


def _row(case: str, impl: str, res: dict | None, nb: int) -> dict:
    if res is None:
        return _harness.row(BENCH, case, impl, None, note="peer not set up")
    extra = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in res.items()
             if k not in ("seconds", "rss0")}
    return _harness.row(BENCH, case, impl, res["seconds"], batches=nb, **extra)


def run(quick: bool = False) -> list[dict]:
    nb = 20 if quick else 150
    rows: list[dict] = []
    hand = _harness.run_python(HAND_NUMPY.format(nb=nb))
    torch = _peer_case("torch", TORCH.format(nb=nb))
    for barrier in (True, False):
        case = "epoch, barrier" if barrier else "epoch, no barrier"
        rows.append(_row(case, "numpy", hand, nb))
        rows.append(_row(case, "ndengine", _ndengine_case(nb, barrier), nb))
        rows.append(_row(case, "torch", torch, nb))
        mx = _peer_case("mxnet", SEED.format(pkg="mxnet", nb=nb, barrier=barrier))
        rows.append(_row(case, "mxnet", mx, nb))
    ov = _harness.run_python(OVERLAP.format(nb=6 if quick else 20))
    rows.append(_harness.row(BENCH, "dataloader overlap", "ndengine", ov["combined_s"],
                             **{k: round(v, 4) for k, v in ov.items()}))
    return rows


def goals(rows: list[dict]) -> list[str]:
    """The issue's goals: ndengine <= 1.05 x numpy, <= 0.95 x torch, <= 0.65 x mxnet."""
    out = []
    for case in ("epoch, barrier", "epoch, no barrier"):
        t = {r["impl"]: r["seconds"] for r in rows if r["case"] == case}
        nd = t.get("ndengine")
        for impl, bound in (("numpy", 1.05), ("torch", 0.95), ("mxnet", 0.65)):
            if nd and t.get(impl):
                r = nd / t[impl]
                out.append(f"{case:18s} ndengine/{impl:5s} = {r:5.2f} (goal <= {bound}) "
                           f"{'ok' if r <= bound else 'MISSED'}")
    return out


if __name__ == "__main__":
    def _run_and_report(quick: bool) -> list[dict]:
        rows = run(quick)
        for line in goals(rows):
            print(line)
        return rows

    _harness.main(_run_and_report, __doc__.splitlines()[0])
