"""The "Asynchronous Computation" chapter (d2l.ai, MXNet tab) on ndengine.

Section by section, the chapter's code with ``import ndengine`` standing in for
``import mxnet``; after each benchmark a line says what it shows.  Sizes follow
``NDENGINE_EXAMPLE_SCALE`` (small | default | full: the chapter's own).

    python examples/async_computation.py [--scale small] [--json out.json]
"""
from __future__ import annotations

import os
import time
import subprocess

import numpy

from _common import Report, cli, ms, scale_from_env

import ndengine  # noqa: E402  (after _common, which finds the repo's ndengine)

ndengine.alias_as_mxnet()
from mxnet import autograd, gluon, np, npx  # noqa: E402  the chapter's imports
from mxnet.gluon import nn  # noqa: E402

from ndengine import d2l  # noqa: E402

npx.set_np()

SIZES = {   # matrix side, y = x + 1 repeats, training: batches, batch size
    "small": dict(n=400, loops=1000, batches=6, batch_size=16),
    "default": dict(n=1000, loops=10000, batches=30, batch_size=256),
    "full": dict(n=1000, loops=10000, batches=150, batch_size=1024),
}


def asynchrony_via_backend(rep: Report, n: int) -> None:
    rep.heading("Asynchrony via Backend")
    with rep.benchmark("numpy"):
        for _ in range(10):
            a = numpy.random.normal(size=(n, n))
            b = numpy.dot(a, a)
    cpu0 = time.thread_time()
    with rep.benchmark("mxnet.np"):
        for _ in range(10):
            a = np.random.normal(size=(n, n))
            b = np.dot(a, a)
    issue_cpu = time.thread_time() - cpu0      # the front end's own CPU time: load-proof
    pending = ndengine.engine.statistics()["pending"]
    with d2l.Benchmark("  (backend finishing the pushed work: npx.waitall())") as rest:
        npx.waitall()
    issued, backlog = rep.seconds("mxnet.np"), rest.elapsed
    rep.explain(f"'mxnet.np' only issued 20 ops: {ms(issued)} in the front end, after which "
                f"{pending} were still pending; the backend needed {ms(backlog)} more to "
                "compute them")
    with rep.benchmark("Done"):
        for _ in range(10):
            a = np.random.normal(size=(n, n))
            b = np.dot(a, a)
        npx.waitall()
    rep.explain(f"waiting for the result: 'Done' {ms(rep.seconds('Done'))}, NumPy "
                f"{ms(rep.seconds('numpy'))} (np works in float32 as MXNet's np does, "
                f"NumPy here in float64)")
    equal = bool(numpy.allclose(b.asnumpy(), numpy.dot(a.asnumpy(), a.asnumpy()),
                                rtol=1e-4, atol=1e-3))
    rep.explain(f"np.dot's result equals numpy.dot on the same matrix: {equal}")
    rep.facts.update(issue_s=issued, backlog_s=backlog, pending_after_issue=pending,
                     issue_cpu_s=issue_cpu, numpy_s=rep.seconds("numpy"),
                     matmul_equal_numpy=equal)


def dependency_graph(rep: Report) -> None:
    rep.heading("The dependency graph: z = x * y + 2")
    x = np.ones((1, 2))
    y = np.ones((1, 2))
    z = x * y + 2
    print(z)     # printing is a sync point: it waits for z
    rep.explain("x, y and z were pushed at once; print(z) waited for the three ops")
    rep.facts["z"] = z.asnumpy().tolist()


def barriers_and_blockers(rep: Report, n: int) -> None:
    rep.heading("Barriers and Blockers")
    a = np.random.normal(size=(n, n))
    npx.waitall()
    with rep.benchmark("waitall"):
        b = np.dot(a, a)
        npx.waitall()
    with rep.benchmark("wait_to_read"):
        b = np.dot(a, a)
        b.wait_to_read()
    rep.explain("both wait for the one dot product, so they take about the same time")
    with rep.benchmark("numpy conversion"):
        b = np.dot(a, a)
        b.asnumpy()
    with rep.benchmark("scalar conversion"):
        b = np.dot(a, a)
        b.sum().item()
    rep.explain("asnumpy() and item() block too: NumPy and Python need the values now")
    rep.facts["sum_equal_numpy"] = bool(numpy.isclose(
        b.sum().item(), numpy.dot(a.asnumpy(), a.asnumpy()).sum(), rtol=1e-3))


def improving_computation(rep: Report, loops: int) -> None:
    rep.heading("Improving Computation")
    x = np.ones((1, 2))
    with rep.benchmark("synchronous"):
        for _ in range(loops):
            y = x + 1
            y.wait_to_read()
    with rep.benchmark("asynchronous"):
        issuing = d2l.Timer()
        for _ in range(loops):
            y = x + 1
        issue_s = issuing.stop()
        npx.waitall()
    sync_s, async_s = rep.seconds("synchronous"), rep.seconds("asynchronous")
    per = lambda t: f"{t / loops * 1e6:.1f} us"  # noqa: E731
    rep.explain(f"{loops} x 'y = x + 1': {per(sync_s)} per op with a barrier after each; "
                f"{per(async_s)} per op issued ahead (of which issuing {per(issue_s)})")
    if async_s < sync_s:
        rep.explain(f"issuing ahead is {sync_s / async_s:.2f}x faster: the front end never "
                    "waits for the backend")
    else:
        rep.explain("no gain for ops this small (1x2): handing an op to a worker thread "
                    "under Python's GIL costs more than the op, while a waiting thread runs "
                    "a ready op itself, so the synchronous loop pays no hand-off")
    rep.facts.update(sync_s=sync_s, async_s=async_s, async_issue_s=issue_s,
                     loop_equal_numpy=y.asnumpy().tolist() == [[2.0, 2.0]])


def get_mem() -> float:
    """Resident memory of this process in MB (the chapter reads it from ``ps``)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        res = subprocess.check_output(["ps", "u", "-p", str(os.getpid())])
        return int(str(res).split()[15]) / 1e3


def memory_footprint(rep: Report, batches: int, batch_size: int) -> None:
    rep.heading("Improving Memory Footprint (a training loop)")
    every = max(1, batches // 3)

    def data_iter():
        timer = d2l.Timer()
        for i in range(batches):
            X = np.random.normal(size=(batch_size, 512))
            y = np.ones((batch_size,))
            yield X, y
            if (i + 1) % every == 0:
                print(f'batch {i + 1}, time {timer.stop():.4f} sec')

    net = nn.Sequential()
    net.add(nn.Dense(2048, activation='relu'),
            nn.Dense(512, activation='relu'), nn.Dense(1))
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), 'sgd')
    loss = gluon.loss.L2Loss()
    for X, y in data_iter():
        break
    loss(y, net(X)).wait_to_read()

    def epoch(barrier: bool) -> tuple[float, int, float]:
        mem, peak_pending = get_mem(), 0
        with rep.benchmark("time per epoch" + (" (barrier)" if barrier else " (no barrier)")):
            for X, y in data_iter():
                with autograd.record():
                    l = loss(y, net(X))
                l.backward()
                trainer.step(X.shape[0])
                if barrier:
                    l.wait_to_read()  # Barrier before a new batch
                peak_pending = max(peak_pending, ndengine.engine.statistics()["pending"])
            npx.waitall()
        grew = get_mem() - mem
        print(f'increased memory: {grew:f} MB')
        return grew, peak_pending, float(l.mean().item())

    grew_b, pend_b, _ = epoch(barrier=True)
    grew_n, pend_n, last_loss = epoch(barrier=False)
    rep.explain(f"ops waiting in the engine at most: {pend_b} with the barrier, {pend_n} "
                f"without: without it the front end runs ahead and keeps more intermediate "
                f"results alive (the engine bounds how far: NDENGINE_MAX_PENDING_OPS/BYTES)")
    rep.explain(f"resident memory grew {grew_b:.1f} MB over the first epoch (which also fills "
                f"the buffer pools) and {grew_n:.1f} MB over the second")
    rep.facts.update(pending_barrier=pend_b, pending_no_barrier=pend_n,
                     mem_barrier_mb=grew_b, mem_no_barrier_mb=grew_n,
                     final_loss_finite=bool(numpy.isfinite(last_loss)))


def run(scale: str | None = None) -> Report:
    scale = scale_from_env(scale)
    size = SIZES[scale]
    rep = Report("Asynchronous Computation", scale)
    print(f"[scale {scale}: {size}; engine {ndengine.engine.statistics()['engine']}]")
    asynchrony_via_backend(rep, size["n"])
    dependency_graph(rep)
    barriers_and_blockers(rep, size["n"])
    improving_computation(rep, size["loops"])
    memory_footprint(rep, size["batches"], size["batch_size"])
    return rep


if __name__ == "__main__":
    cli(run, __doc__)
