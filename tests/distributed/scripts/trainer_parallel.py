"""Run under mpiexec -n N: data-parallel training with gluon.Trainer(kvstore='dist_sync')
gives the parameters of one process training on the concatenated batches.

Each rank starts from different random weights (its own seed): the Trainer must
broadcast rank 0's.  Args: local devices per rank, then update_on_kvstore modes."""
import os
import sys
import tempfile

import numpy as onp

from ndengine import autograd, engine, np, npx
from ndengine import distributed as dist
from ndengine.device import cpu
from ndengine.gluon import Trainer, loss as gloss, nn
from ndengine.gluon.utils import split_and_load

npx.set_np()

NDEV = int(sys.argv[1])
MODES = sys.argv[2].split(",")        # update_on_kvstore: none / true / false
R, N = dist.rank(), dist.size()
B = 12 * N                            # the global batch, split over ranks and devices
rng = onp.random.default_rng(0)
X = rng.normal(size=(B, 8)).astype(onp.float32)
Y = rng.integers(0, 4, size=B)
STEPS = 3


def make_net(seed, devs):
    npx.random.seed(seed)
    net = nn.Sequential()
    net.add(nn.Dense(16, activation="relu"), nn.Dense(4))
    net.initialize(ctx=devs)
    net(np.array(X[:2], device=devs[0]))        # materialize the deferred shapes
    return net


def params_of(net):
    return [p.data().asnumpy() for p in net.collect_params().values()]


def train(net, devs, x, y, kvstore, uok):
    trainer = Trainer(net.collect_params(), "sgd",
                      {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3},
                      kvstore=kvstore, update_on_kvstore=uok)
    L = gloss.SoftmaxCrossEntropyLoss()
    for _ in range(STEPS):
        xs = split_and_load(x, devs)
        ys = split_and_load(y, devs)
        with autograd.record():
            losses = [L(net(a), b) for a, b in zip(xs, ys)]
        autograd.backward(losses)
        trainer.step(B)               # the global batch: the mean over every sample
    return trainer


# the single-process reference: rank 0's initial weights, the whole batch, one device
ref_net = make_net(1000, [cpu(0)])
train(ref_net, [cpu(0)], X, Y, None, None)
ref = params_of(ref_net)

devs = [cpu(i) for i in range(NDEV)]
shard = slice(R * B // N, (R + 1) * B // N)
for mode in MODES:
    uok = {"none": None, "true": True, "false": False}[mode]
    net = make_net(1000 + 7 * R, devs)        # a different start on each rank
    trainer = train(net, devs, X[shard], Y[shard], "dist_sync", uok)
    assert trainer._update_on_kvstore == (uok is not False), (mode, trainer._update_on_kvstore)
    for d in devs:
        got = [p.data(d).asnumpy() for p in net.collect_params().values()]
        for g, r in zip(got, ref):
            onp.testing.assert_allclose(g, r, rtol=2e-5, atol=2e-6)
    # the optimizer states (momentum) round-trip, from the store or the devices
    fname = os.path.join(tempfile.gettempdir(), f"ndengine_trainer_{os.getpid()}_{mode}")
    trainer.save_states(fname)
    trainer.load_states(fname)
    os.remove(fname)
    assert trainer.optimizer.momentum == 0.9 and trainer.learning_rate == 0.1
    if NDEV == 1:
        # the small model's keys go in one message, last layer first (with several
        # devices, keys merged on different devices go in different messages)
        nkeys = len(net.collect_params())
        assert trainer._kvstore.last_messages == [list(range(nkeys))[::-1]], \
            trainer._kvstore.last_messages
        # one more step (the gradients are still there): the allreduce, then one op
        # for the message's updates (and, updating on the store, one for its pulls),
        # not one per key
        before = engine.statistics()["pushed"]
        trainer.step(B)
        n_ops = engine.statistics()["pushed"] - before
        assert n_ops == (3 if trainer._update_on_kvstore else 2), (mode, n_ops)
print(f"OK trainer rank {R} of {N}, {NDEV} device(s), modes {MODES}", flush=True)
