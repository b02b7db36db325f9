"""A short benchmark of ndengine on a GPU, next to NumPy (CPU), CuPy and PyTorch CUDA.

Part of ``scripts/gpu_check.sh`` (which installs CuPy and, with ``--torch``, PyTorch);
runs in about a minute.  Cases (seconds per op, median of 3 runs after a warm-up):

* ``matmul N x N float32``: compute-bound (the device's throughput);
* ``y = x + 1 (1x2) x 10000, one wait``: the chapter's dispatch loop (overhead per op);
* ``64 MB host -> device -> host``: the copy paths (pinned staging);
* ``sin(x).dot(x) x 10 on gpu(0) and gpu(1) together`` against one after the other,
  with two GPUs (the auto-parallel chapter on real devices).

``--device cpu(0)`` runs the same code on a CPU device (no CuPy needed): the smoke test
of this script on machines without a GPU (``tests/test_gpu_check_script.py``).

    python scripts/gpu_bench.py [--device gpu(0)] [--quick] [--out bench.md] [--json rows.json]
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy  # noqa: E402

import ndengine as mx  # noqa: E402
from ndengine import np, npx  # noqa: E402


def parse_device(text: str) -> Any:
    m = re.fullmatch(r"\s*(cpu|gpu)\((\d+)\)\s*", text)
    if not m:
        raise SystemExit(f"gpu_bench: --device must look like gpu(0) or cpu(0), got {text!r}")
    return (mx.gpu if m.group(1) == "gpu" else mx.cpu)(int(m.group(2)))


def median_time(fn: Callable[[], Any], sync: Callable[[], Any], runs: int = 3) -> float:
    fn()
    sync()                                   # warm-up: kernels compiled, pools filled
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


class Impls:
    """The implementations present here: name -> (module or None, sync function)."""

    def __init__(self, dev: Any) -> None:
        self.dev = dev
        self.on_gpu = dev.device_type == "gpu"
        self.cupy = self.torch = None
        if self.on_gpu:
            import cupy

            self.cupy = cupy
            try:
                import torch

                if torch.cuda.is_available() and torch.cuda.device_count() > dev.device_id:
                    self.torch = torch
            except ImportError:
                pass

    def cupy_sync(self) -> None:
        self.cupy.cuda.Device(self.dev.device_id).synchronize()

    def torch_sync(self) -> None:
        self.torch.cuda.synchronize(self.dev.device_id)

    def torch_dev(self) -> Any:
        return self.torch.device("cuda", self.dev.device_id)


def row(case: str, impl: str, seconds: float, per: int = 1, **extra: Any) -> dict[str, Any]:
    return {"case": case, "impl": impl, "seconds": seconds / per, **extra}


def bench_matmul(im: Impls, n: int, reps: int) -> list[dict]:
    case = f"matmul {n}x{n} float32"
    host = numpy.random.default_rng(0).standard_normal((n, n)).astype(numpy.float32)
    out = []
    np_reps = max(1, reps // 10) if im.on_gpu else reps      # NumPy's CPU is slow at it
    out.append(row(case, "numpy", median_time(lambda: [host @ host for _ in range(np_reps)],
                                              lambda: None), np_reps))
    x = np.array(host, device=im.dev)
    out.append(row(case, f"ndengine {im.dev}", median_time(
        lambda: [np.matmul(x, x) for _ in range(reps)], npx.waitall), reps))
    if im.cupy is not None:
        with im.cupy.cuda.Device(im.dev.device_id):
            c = im.cupy.asarray(host)
            out.append(row(case, "cupy", median_time(lambda: [c @ c for _ in range(reps)],
                                                     im.cupy_sync), reps))
    if im.torch is not None:
        t = im.torch.from_numpy(host).to(im.torch_dev())
        out.append(row(case, "torch cuda", median_time(lambda: [t @ t for _ in range(reps)],
                                                       im.torch_sync), reps))
    flops = 2.0 * n ** 3
    for r in out:
        r["gflops"] = round(flops / r["seconds"] / 1e9, 1)
    return out


def bench_dispatch(im: Impls, loops: int) -> list[dict]:
    case = f"y = x + 1 (1x2) x {loops}, one wait"
    out = []

    def numpy_loop() -> None:
        a = numpy.ones((1, 2), numpy.float32)
        for _ in range(loops):
            a + 1
    out.append(row(case, "numpy", median_time(numpy_loop, lambda: None), loops))
    x = np.ones((1, 2), device=im.dev)

    def nd_loop() -> None:
        for _ in range(loops):
            x + 1
    out.append(row(case, f"ndengine {im.dev}", median_time(nd_loop, npx.waitall), loops))
    if im.cupy is not None:
        with im.cupy.cuda.Device(im.dev.device_id):
            c = im.cupy.ones((1, 2), im.cupy.float32)

            def cupy_loop() -> None:
                for _ in range(loops):
                    c + 1
            out.append(row(case, "cupy", median_time(cupy_loop, im.cupy_sync), loops))
    if im.torch is not None:
        t = im.torch.ones((1, 2), device=im.torch_dev())

        def torch_loop() -> None:
            for _ in range(loops):
                t + 1
        out.append(row(case, "torch cuda", median_time(torch_loop, im.torch_sync), loops))
    for r in out:
        r["us_per_op"] = round(r["seconds"] * 1e6, 2)
    return out


def bench_copies(im: Impls, mb: int) -> list[dict]:
    case = f"{mb} MB host -> device -> host"
    host = numpy.random.default_rng(1).standard_normal(mb * 2 ** 18).astype(numpy.float32)
    out = [row(case, "numpy (host copy)", median_time(lambda: host.copy().copy(),
                                                      lambda: None))]
    src = np.array(host)                         # on cpu(0)

    def nd_round() -> None:
        back = src.copyto(im.dev).copyto(mx.cpu(0))
        back.wait_to_read()
    out.append(row(case, f"ndengine cpu(0) -> {im.dev} -> cpu(0)",
                   median_time(nd_round, npx.waitall)))
    if im.cupy is not None:
        with im.cupy.cuda.Device(im.dev.device_id):
            out.append(row(case, "cupy", median_time(
                lambda: im.cupy.asnumpy(im.cupy.asarray(host)), im.cupy_sync)))
    if im.torch is not None:
        th = im.torch.from_numpy(host)
        out.append(row(case, "torch cuda", median_time(
            lambda: th.to(im.torch_dev()).cpu(), im.torch_sync)))
    for r in out:
        r["gb_per_s"] = round(2 * mb / 1024 / r["seconds"], 2)
    return out


def bench_two_devices(devs: list[Any], n: int, dots: int) -> list[dict]:
    case = f"sin(x).dot(x) x {dots} ({n}x{n}) on {devs[0]} and {devs[1]}"
    xs = [np.random.uniform(size=(n, n), device=d) for d in devs]

    def run(x: Any) -> list:
        return [np.sin(x).dot(x) for _ in range(dots)]
    alone = [median_time(lambda x=x: run(x), npx.waitall) for x in xs]
    together = median_time(lambda: [run(x) for x in xs], npx.waitall)
    return [row(case, f"ndengine {devs[0]} alone", alone[0]),
            row(case, f"ndengine {devs[1]} alone", alone[1]),
            row(case, "ndengine both together", together,
                alone_sum_over_together=round(sum(alone) / together, 2))]


def markdown(rows: list[dict], title: str) -> str:
    base = {r["case"]: r["seconds"] for r in rows if r["impl"].startswith("numpy")}
    torch = {r["case"]: r["seconds"] for r in rows if r["impl"] == "torch cuda"}
    lines = [f"## {title}", "", "| case | impl | seconds per op | vs NumPy | vs torch | notes |",
             "|---|---|---:|---:|---:|---|"]
    for r in rows:
        notes = ", ".join(f"{k}={v}" for k, v in r.items() if k not in ("case", "impl", "seconds"))
        vs_np = base.get(r["case"])
        vs_t = torch.get(r["case"])
        lines.append(f"| {r['case']} | {r['impl']} | {r['seconds']:.4g} | "
                     f"{ratio_text(r['seconds'], vs_np)} | {ratio_text(r['seconds'], vs_t)} | "
                     f"{notes} |")
    return "\n".join(lines) + "\n"


def ratio_text(s: float, base: float | None) -> str:
    return "–" if not base else f"{s / base:.3g}x"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="gpu(0)")
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--out", help="write the table (Markdown) here")
    ap.add_argument("--json", help="write the rows (JSON) here")
    args = ap.parse_args(argv)
    dev = parse_device(args.device)
    dev.check_available()
    im = Impls(dev)
    on_gpu = im.on_gpu and not args.quick
    t0 = time.perf_counter()
    rows = bench_matmul(im, 4096 if on_gpu else 256, 20 if on_gpu else 4)
    rows += bench_dispatch(im, 10000 if not args.quick else 500)
    rows += bench_copies(im, 64 if not args.quick else 4)
    devs = ([mx.gpu(0), mx.gpu(1)] if im.on_gpu and mx.num_gpus() >= 2
            else [mx.cpu(0), mx.cpu(1)] if not im.on_gpu else [])
    if devs:
        rows += bench_two_devices(devs, 2048 if on_gpu else 128, 10 if not args.quick else 3)
    torch_note = ("PyTorch CUDA: " + im.torch.__version__ if im.torch is not None
                  else "PyTorch CUDA: not installed (scripts/gpu_check.sh --torch)")
    cupy_note = f"CuPy {im.cupy.__version__}" if im.cupy is not None else "CuPy: not used"
    title = (f"Benchmark on {dev} ({cupy_note}; {torch_note}; NumPy {numpy.__version__} on "
             f"the CPU), {time.perf_counter() - t0:.0f} s")
    text = markdown(rows, title)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
