"""Convolutional and recurrent layers, side by side: the book's LeNet training step, a
two-layer LSTM language model's training step and a ResNet-18 basic block.

Cases (float32, CPU):

  lenet b64 / lenet b256   the book's LeNet ("Convolutional Neural Networks (LeNet)"):
                           Conv2D(6, 5, pad 2, sigmoid), AvgPool2D(2, 2),
                           Conv2D(16, 5, sigmoid), AvgPool2D(2, 2), Dense(120, sigmoid),
                           Dense(84, sigmoid), Dense(10); softmax cross-entropy; one
                           step = forward + backward + SGD update, on a batch of
                           1x28x28 images
  lstm b32                 a two-layer LSTM language model: Embedding(1000, 256),
                           rnn.LSTM(256, num_layers=2) (layout TNC), Dense(1000) on every
                           step; sequence 35, batch 32, vocabulary 1,000; softmax
                           cross-entropy; one step = forward + backward + SGD update
  resnet block b32         one ResNet-18 basic block at 64 channels on 56x56, batch 32:
                           Conv(3x3) BN ReLU Conv(3x3) BN + identity, ReLU; forward +
                           backward (training-mode batch norm)

Run by:

  ndengine   the MXNet code unchanged (``from ndengine import autograd, gluon, np, npx``)
  mxnet      the same code on real MXNet 1.9.1 (peer venv)
  torch      the same model and step in PyTorch CPU (peer venv)

ndengine runs twice: with its BLAS thread policy (a lone product gets both cores), and
with ``NDENGINE_BLAS_THREADS=1`` (config "1 BLAS thread"): the small products of these
layers gain little from a second OpenBLAS thread, and lose a lot when the cores are
shared with other processes (OpenBLAS's threads spin).

Each impl runs in a fresh process and reports the median time of one step (after a
warm-up; every step ends with a sync point: the loss read back).  Goal (the issue):
each <= 1.5x PyTorch's time and <= MXNet 1.9.1's.

    python benchmarks/layers.py [--quick] [--json OUT]

``--quick`` times 3 steps instead of 10.  Timings on a shared machine are noisy.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness  # noqa: E402

BENCH = "layers"

# MXNet's code; {pkg} is ndengine or mxnet.
GLUON = _harness.PEER_TIMER + r'''
from {pkg} import autograd, gluon, np, npx
from {pkg}.gluon import nn
npx.set_np()
CASE, B, REPEAT = {case!r}, {batch}, {repeat}
from {pkg} import random as _random
_random.seed(0)

if CASE == "lenet":
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, kernel_size=5, padding=2, activation="sigmoid"),
            nn.AvgPool2D(pool_size=2, strides=2),
            nn.Conv2D(16, kernel_size=5, activation="sigmoid"),
            nn.AvgPool2D(pool_size=2, strides=2),
            nn.Dense(120, activation="sigmoid"), nn.Dense(84, activation="sigmoid"),
            nn.Dense(10))
    net.initialize()
    X = np.random.uniform(size=(B, 1, 28, 28))
    y = np.random.randint(0, 10, size=(B,))
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {{"learning_rate": 0.1}})

    def step():
        with autograd.record():
            l = loss(net(X), y)
        l.backward()
        trainer.step(B)
        l.mean().item()
elif CASE == "lstm":
    from {pkg}.gluon import rnn
    T, V, H = 35, 1000, 256

    class LM(nn.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.emb = nn.Embedding(V, H)
            self.rnn = rnn.LSTM(H, num_layers=2)
            self.out = nn.Dense(V, flatten=False)

        def hybrid_forward(self, F, x):
            return self.out(self.rnn(self.emb(x)))

    net = LM()
    net.initialize()
    X = np.random.randint(0, V, size=(T, B))
    y = np.random.randint(0, V, size=(T, B))
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {{"learning_rate": 0.1}})

    def step():
        with autograd.record():
            l = loss(net(X).reshape(-1, V), y.reshape(-1))
        l.backward()
        trainer.step(B)
        l.mean().item()
else:
    class Block(nn.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.c1 = nn.Conv2D(64, 3, padding=1, use_bias=False, in_channels=64)
            self.b1 = nn.BatchNorm(in_channels=64)
            self.c2 = nn.Conv2D(64, 3, padding=1, use_bias=False, in_channels=64)
            self.b2 = nn.BatchNorm(in_channels=64)

        def hybrid_forward(self, F, x):
            h = F.npx.relu(self.b1(self.c1(x)))
            return F.npx.relu(self.b2(self.c2(h)) + x)

    net = Block()
    net.initialize()
    X = np.random.uniform(size=(B, 64, 56, 56))

    def step():
        with autograd.record():
            out = net(X)
        out.backward()
        net.c1.weight.grad().sum().item()

print(json.dumps({{"seconds": median_time(step, repeat=REPEAT, warmup=2)}}))
'''

TORCH = _harness.PEER_TIMER + r'''
import torch
from torch import nn
torch.manual_seed(0)
CASE, B, REPEAT = {case!r}, {batch}, {repeat}
if CASE == "lenet":
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
                        nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(),
                        nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
                        nn.Linear(84, 10))
    X = torch.rand(B, 1, 28, 28)
    y = torch.randint(0, 10, (B,))
    loss = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)

    def step():
        opt.zero_grad()
        l = loss(net(X), y)
        l.backward()
        opt.step()
        l.item()
elif CASE == "lstm":
    T, V, H = 35, 1000, 256

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(V, H)
            self.rnn = nn.LSTM(H, H, num_layers=2)
            self.out = nn.Linear(H, V)

        def forward(self, x):
            return self.out(self.rnn(self.emb(x))[0])

    net = LM()
    X = torch.randint(0, V, (T, B))
    y = torch.randint(0, V, (T, B))
    loss = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)

    def step():
        opt.zero_grad()
        l = loss(net(X).reshape(-1, V), y.reshape(-1))
        l.backward()
        opt.step()
        l.item()
else:
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
            self.b1 = nn.BatchNorm2d(64)
            self.c2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
            self.b2 = nn.BatchNorm2d(64)

        def forward(self, x):
            h = torch.relu(self.b1(self.c1(x)))
            return torch.relu(self.b2(self.c2(h)) + x)

    net = Block()
    X = torch.rand(B, 64, 56, 56)

    def step():
        net.zero_grad()
        out = net(X)
        out.backward(torch.ones_like(out))
        net.c1.weight.grad.sum().item()

print(json.dumps({{"seconds": median_time(step, repeat=REPEAT, warmup=2)}}))
'''

# the second ndengine row: its BLAS products on one thread (NDENGINE_BLAS_THREADS=1)
ONE_BLAS_THREAD = 'import os\nos.environ["NDENGINE_BLAS_THREADS"] = "1"\n'

CASES = [("lenet b64", "lenet", 64), ("lenet b256", "lenet", 256),
         ("lstm b32", "lstm", 32), ("resnet block b32", "resnet", 32)]


def run(quick: bool = False) -> list[dict]:
    repeat = 3 if quick else 10
    rows = []
    for name, kind, batch in CASES:
        kw = dict(case=kind, batch=batch, repeat=repeat)
        got = {"ndengine": _harness.run_python(GLUON.format(pkg="ndengine", **kw)),
               "ndengine blas1": _harness.run_python(ONE_BLAS_THREAD
                                                     + GLUON.format(pkg="ndengine", **kw))}
        for peer, code in (("mxnet", GLUON.format(pkg="mxnet", **kw)),
                           ("torch", TORCH.format(**kw))):
            r = _harness.run_peer(peer, code)
            if r is not None:
                got[peer] = r
        secs = {k: v["seconds"] for k, v in got.items()}
        for impl, s in secs.items():
            extra = {}
            if impl.startswith("ndengine"):
                t, m = secs.get("torch"), secs.get("mxnet")
                if t:
                    extra["x_torch"] = round(s / t, 2)
                if m:
                    extra["x_mxnet"] = round(s / m, 2)
                if t and m:
                    extra["goal"] = "<= 1.5x torch and <= mxnet"
                    extra["goal_met"] = bool(s <= 1.5 * t and s <= m)
            if impl == "ndengine blas1":
                impl, extra["config"] = "ndengine", "1 BLAS thread"
                extra.pop("goal", None)
                extra.pop("goal_met", None)
            rows.append(_harness.row(BENCH, name, impl, s, **extra))
    return rows


if __name__ == "__main__":
    _harness.main(run, __doc__)
