"""Run under mpiexec -n 2: the Trainer's allreduces overlap backward.

The last layer's gradients are produced first; their allreduce (a message of its own
with NDENGINE_DIST_FUSION_BYTES small) must start on the communication worker before
backward has produced the first layer's (large) weight gradient.  Ordering only: each
time is taken inside an engine op."""
import os
import threading
import time

import numpy as onp

os.environ["NDENGINE_DIST_FUSION_BYTES"] = str(64 << 10)

from ndengine import autograd, engine, np, npx      # noqa: E402
from ndengine import distributed as dist            # noqa: E402
from ndengine.distributed import comm               # noqa: E402
from ndengine.gluon import Trainer, loss as gloss, nn   # noqa: E402

npx.set_np()
R, N = dist.rank(), dist.size()
starts = []
_run = comm._run


def timed_run(what, desc, payload):
    starts.append((time.perf_counter(), threading.current_thread().name))
    _run(what, desc, payload)


comm._run = timed_run
rng = onp.random.default_rng(R)
x = np.array(rng.normal(size=(256, 2048)).astype(onp.float32))
y = np.array(rng.integers(0, 10, size=256))
net = nn.Sequential()
net.add(nn.Dense(512, activation="relu"), nn.Dense(10))
net.initialize()
net(x[:2])
trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01}, kvstore="dist_sync",
                  update_on_kvstore=False)
L = gloss.SoftmaxCrossEntropyLoss()
w1 = net[0].weight
ok = 0
for attempt in range(3):
    with autograd.record():
        loss = L(net(x), y)
    loss.backward()
    ready = []
    g = w1.grad()
    # an op after the first layer's weight gradient: when it runs, backward is done
    engine.push(lambda: ready.append(time.perf_counter()), (g._var,), (engine.new_var(),),
                g.device, 0, "mark")
    del starts[:]
    trainer.step(256)
    w1.data().wait_to_read()
    engine.wait_all()
    first_comm = min(t for t, _ in starts)
    threads = {name for _, name in starts}
    ok += first_comm < ready[0]
assert ok >= 2, f"allreduce started after backward in {3 - ok} of 3 steps"
print(f"OK overlap rank {R}: {ok}/3 steps, comm threads {sorted(threads)}", flush=True)
