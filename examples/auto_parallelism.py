"""The "Automatic Parallelism" chapter (d2l.ai, MXNet) on ndengine.

Section by section, the chapter's code with ``import ndengine`` standing in for
``import mxnet``; after each benchmark a line says what it shows.  Without a GPU,
CPU devices stand in for the chapter's GPUs (``d2l.use_cpu_stand_ins(2)``: cpu(1) for
gpu(0), cpu(2) for gpu(1)); each has its own engine workers, but they share the
machine's cores, which the output says.  Sizes follow ``NDENGINE_EXAMPLE_SCALE``
(small | default | full: the chapter's own, long on a CPU).

    python examples/auto_parallelism.py [--scale small] [--json out.json]
"""
from __future__ import annotations

import os

import numpy

from _common import Report, cli, ms, scale_from_env

import ndengine  # noqa: E402  (after _common, which finds the repo's ndengine)

ndengine.alias_as_mxnet()
from mxnet import np, npx  # noqa: E402  the chapter's imports

from ndengine import d2l  # noqa: E402

npx.set_np()

SIZES = {   # matrix sides and dot products per run()
    "small": dict(n_gpu=96, dots=50, n_cpu=64, n_gpu_old=96, dots_old=10),
    "default": dict(n_gpu=600, dots=50, n_cpu=500, n_gpu_old=800, dots_old=10),
    "full": dict(n_gpu=4000, dots=50, n_cpu=2000, n_gpu_old=6000, dots_old=10),
}


def cores() -> int:
    """CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def overlap_note(rep: Report, parts: list[str], together: str) -> float:
    """Explain *together* against the sum of *parts*; returns sum / together."""
    total = sum(rep.seconds(p) for p in parts)
    both = rep.seconds(together)
    gain = total / both
    ideal = total / max(rep.seconds(p) for p in parts)
    rep.explain(f"'{together}' took {ms(both)} against {ms(total)} for "
                f"{' + '.join(repr(p) for p in parts)} ({gain:.2f}x; {ideal:.2f}x if they "
                f"overlapped fully)")
    if d2l.cpu_stand_ins() and gain < 0.8 * ideal:
        rep.explain(f"little gain here: the stand-in devices share {cores()} core(s),"
                    " which one device's workers already keep busy; on separate "
                    "devices the two runs overlap (the timeline picture shows the schedule;"
                    " NDENGINE_CPU_SHARING=partitioned gives each stand-in a fixed share"
                    " of the cores, as separate GPUs would have)")
    return gain


def parallel_on_gpus(rep: Report, n: int, dots: int) -> dict:
    rep.heading("Parallel Computation on GPUs")
    devices = d2l.try_all_gpus()
    if len(devices) < 2:
        print(f"skipped: needs two devices, try_all_gpus() gave {devices}")
        return {}

    def run(x):
        return [x.dot(x) for _ in range(dots)]

    x_gpu1 = np.random.uniform(size=(n, n), ctx=devices[0])
    x_gpu2 = np.random.uniform(size=(n, n), ctx=devices[1])
    run(x_gpu1)  # Warm-up both devices
    run(x_gpu2)
    npx.waitall()
    with rep.benchmark('GPU1 time'):
        run(x_gpu1)
        npx.waitall()
    with rep.benchmark('GPU2 time'):
        run(x_gpu2)
        npx.waitall()
    with rep.benchmark('GPU1 & GPU2'):
        run(x_gpu1)
        run(x_gpu2)
        npx.waitall()
    rep.facts["gpus_gain"] = overlap_note(rep, ['GPU1 time', 'GPU2 time'], 'GPU1 & GPU2')
    return {"run": run, "x_gpu1": x_gpu1}


def parallel_cpu_and_gpu(rep: Report, n_cpu: int, n_gpu: int, dots: int) -> None:
    rep.heading("Parallel Computation on CPUs and GPUs (the chapter's first edition)")

    def run(x):
        return [x.dot(x) for _ in range(dots)]

    x_cpu = np.random.uniform(size=(n_cpu, n_cpu))
    x_gpu = np.random.uniform(size=(n_gpu, n_gpu), ctx=d2l.try_gpu())
    print(f"x_cpu on {x_cpu.ctx}, x_gpu on {x_gpu.ctx}")
    run(x_cpu)  # Warm-up both devices
    run(x_gpu)
    npx.waitall()
    with rep.benchmark('CPU time'):
        run(x_cpu)
        npx.waitall()
    with rep.benchmark('GPU time'):
        run(x_gpu)
        npx.waitall()
    with rep.benchmark('CPU & GPU'):
        run(x_cpu)
        run(x_gpu)
        npx.waitall()
    rep.facts["cpu_gpu_gain"] = overlap_note(rep, ['CPU time', 'GPU time'], 'CPU & GPU')


def computation_and_communication(rep: Report, run, x_gpu1) -> None:
    rep.heading("Parallel Computation and Communication")

    def copy_to_cpu(x):
        return [y.copyto(npx.cpu()) for y in x]

    with rep.benchmark('Run on GPU1'):
        y = run(x_gpu1)
        npx.waitall()
    with rep.benchmark('Copy to CPU'):
        y_cpu = copy_to_cpu(y)
        npx.waitall()
    with rep.benchmark('Run on GPU1 and copy to CPU'):
        y = run(x_gpu1)
        y_cpu = copy_to_cpu(y)
        npx.waitall()
    rep.facts["copy_gain"] = overlap_note(rep, ['Run on GPU1', 'Copy to CPU'],
                                          'Run on GPU1 and copy to CPU')
    rep.explain("y[i - 1] is copied while y[i] is computed: copies run on their own workers")
    x = x_gpu1.asnumpy()
    expected = numpy.dot(x, x)
    rep.facts["copies_on_cpu0"] = all(c.ctx == npx.cpu() for c in y_cpu)
    rep.facts["copy_equal_numpy"] = all(
        numpy.allclose(c.asnumpy(), expected, rtol=1e-4, atol=1e-3) for c in y_cpu)
    rep.explain(f"the copies are on {y_cpu[0].ctx} and equal numpy.dot: "
                f"{rep.facts['copy_equal_numpy']}")


def run(scale: str | None = None) -> Report:
    scale = scale_from_env(scale)
    size = SIZES[scale]
    rep = Report("Automatic Parallelism", scale)
    if d2l.num_gpus() < 2:
        d2l.use_cpu_stand_ins(2)
    print(f"[scale {scale}: {size}]")
    print(f"[devices: {d2l.describe_devices()}]")
    rep.facts["devices"] = [str(d) for d in d2l.try_all_gpus()]
    got = parallel_on_gpus(rep, size["n_gpu"], size["dots"])
    parallel_cpu_and_gpu(rep, size["n_cpu"], size["n_gpu_old"], size["dots_old"])
    if got:
        computation_and_communication(rep, got["run"], got["x_gpu1"])
    return rep


if __name__ == "__main__":
    cli(run, __doc__)
