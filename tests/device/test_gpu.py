"""GPUs through CuPy.  Runs only where CuPy and a CUDA device exist (``num_gpus() > 0``);
everywhere else the module is skipped as a whole.  The logic shared with the CPU (copy
paths, pinned staging, the completion rule) is tested on the CPU by test_transfer.py.

Not yet run on GPU hardware: the machines ndengine is developed on have no GPU.
``scripts/gpu_check.sh`` runs this file (with CuPy installed for the driver's CUDA
version) on a machine that has one.
"""
from __future__ import annotations

import threading

import numpy as onp
import pytest

cupy = pytest.importorskip("cupy")

import ndengine as mx  # noqa: E402
from ndengine import autograd, engine, gluon, kvstore, np, npx  # noqa: E402
from ndengine.device import BLAS, transfer  # noqa: E402

if mx.num_gpus() == 0:
    pytest.skip("CuPy sees no CUDA device", allow_module_level=True)

GPU = mx.gpu(0)


def test_arrays_live_on_the_gpu_and_compute_there() -> None:
    x = np.array(onp.arange(12, dtype=onp.float32).reshape(3, 4), device=GPU)
    y = np.tanh(x) * 2 + 1
    assert y.device is GPU
    assert isinstance(y._data, cupy.ndarray) and y._data.device.id == 0
    onp.testing.assert_allclose(y.asnumpy(), onp.tanh(onp.arange(12.0).reshape(3, 4)) * 2 + 1,
                                rtol=1e-6)


def test_products_on_the_gpu_bypass_the_cpu_blas_policy() -> None:
    a = np.ones((64, 64), device=GPU)
    before = BLAS.kernels
    b = np.matmul(a, a)
    onp.testing.assert_allclose(b.asnumpy(), onp.full((64, 64), 64.0))
    assert BLAS.kernels == before


def test_copies_host_gpu_host_are_exact_and_leave_no_staging_in_use() -> None:
    host = onp.random.default_rng(0).standard_normal((257, 33)).astype(onp.float32)
    x = np.array(host)
    g = x.copyto(GPU)
    back = g.copyto(mx.cpu(1))
    onp.testing.assert_array_equal(back.asnumpy(), host)
    npx.waitall()
    pool = transfer.pinned_pool(GPU.backend).info()
    assert pool["in_use"] == 0


def test_non_contiguous_gpu_arrays_copy_to_the_host() -> None:
    g = np.array(onp.arange(12.0, dtype=onp.float32).reshape(3, 4), device=GPU)
    t = g.T
    onp.testing.assert_array_equal(t.copyto(mx.cpu(0)).asnumpy(),
                                   onp.arange(12.0, dtype=onp.float32).reshape(3, 4).T)


def _slow_product(dev, n: int = 1024, reps: int = 12):
    """A result that keeps the GPU busy a while (reps products of n x n), and its NumPy value:
    readers that do not wait for its kernels (a missing stream event) see other data."""
    host = (onp.random.default_rng(n).standard_normal((n, n)) / onp.sqrt(n)).astype(onp.float32)
    x = np.array(host, device=dev)
    y = x
    expect = host.astype(onp.float64)
    for _ in range(reps):
        y = np.matmul(y, x)
        expect = expect @ host
    return y, expect


def test_a_fresh_result_read_on_other_streams_is_complete() -> None:
    """The copy worker's stream and asnumpy() read what the compute stream just wrote:
    the op counts as complete only when its kernels are (finish_op's event)."""
    y, expect = _slow_product(GPU)
    copied = y.copyto(mx.cpu(0))           # the copy worker, its own stream
    onp.testing.assert_allclose(copied.asnumpy(), expect, rtol=2e-3, atol=2e-3)
    y2, expect2 = _slow_product(GPU)
    onp.testing.assert_allclose(y2.asnumpy(), expect2, rtol=2e-3, atol=2e-3)


def test_an_in_place_update_is_seen_by_the_next_reader() -> None:
    x = np.zeros((1024, 1024), device=GPU)
    for i in range(1, 21):
        x += 1.0                            # writes queue on the worker's stream
    assert float(x.sum().item()) == 20.0 * 1024 * 1024
    onp.testing.assert_array_equal(x.copyto(mx.cpu(0)).asnumpy()[::97, ::89], 20.0)


two_gpus = pytest.mark.skipif(mx.num_gpus() < 2, reason="needs two GPUs")


@two_gpus
def test_gpu_to_gpu_copy() -> None:
    g0 = np.array(onp.arange(10.0, dtype=onp.float32), device=mx.gpu(0))
    g1 = g0.copyto(mx.gpu(1))
    assert g1._data.device.id == 1
    onp.testing.assert_array_equal(g1.asnumpy(), onp.arange(10.0))


@two_gpus
def test_arrays_on_gpu1_live_and_compute_there() -> None:
    g = np.array(onp.arange(6.0, dtype=onp.float32).reshape(2, 3), device=mx.gpu(1))
    y = np.exp(g) @ g.T
    assert y.device == mx.gpu(1) and y._data.device.id == 1
    h = onp.arange(6.0).reshape(2, 3)
    onp.testing.assert_allclose(y.asnumpy(), onp.exp(h) @ h.T, rtol=1e-5)


@two_gpus
def test_a_fresh_result_copied_to_the_other_gpu_is_complete() -> None:
    y, expect = _slow_product(mx.gpu(0))
    onp.testing.assert_allclose(y.copyto(mx.gpu(1)).asnumpy(), expect, rtol=2e-3, atol=2e-3)


@two_gpus
def test_both_gpus_compute_at_once_with_right_results() -> None:
    (y0, e0), (y1, e1) = _slow_product(mx.gpu(0)), _slow_product(mx.gpu(1))
    npx.waitall()
    onp.testing.assert_allclose(y0.asnumpy(), e0, rtol=2e-3, atol=2e-3)
    onp.testing.assert_allclose(y1.asnumpy(), e1, rtol=2e-3, atol=2e-3)
    stats = engine.statistics()["devices"]
    assert "gpu(0)" in stats and "gpu(1)" in stats


@two_gpus
def test_kvstore_sums_values_from_both_gpus() -> None:
    kv = kvstore.create("device")
    kv.init("w", np.zeros((4,)))
    kv.pushpull("w", [np.ones((4,), device=mx.gpu(0)), np.ones((4,), device=mx.gpu(1)) * 3])
    outs = [np.zeros((4,), device=mx.gpu(0)), np.zeros((4,), device=mx.gpu(1))]
    kv.pull("w", out=outs)
    for o in outs:
        onp.testing.assert_array_equal(o.asnumpy(), onp.full(4, 4.0))


def test_each_gpu_worker_has_its_own_stream() -> None:
    seen: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(min(2, GPU.num_workers), timeout=30)

    def record() -> None:
        s = cupy.cuda.get_current_stream()
        with lock:
            seen[threading.get_ident()] = s.ptr
        if GPU.num_workers >= 2:
            barrier.wait()

    for _ in range(min(2, GPU.num_workers)):
        engine.push(record, device=GPU, name="stream-probe")
    engine.wait_all()
    assert len(set(seen.values())) == len(seen)
    assert all(ptr != 0 for ptr in seen.values())      # never the legacy default stream


def test_a_copy_overlaps_gpu_compute() -> None:
    x = np.ones((1024, 1024), device=GPU)
    ys = [np.matmul(x, x) for _ in range(4)]
    copies = [y.copyto(mx.cpu(0)) for y in ys]
    stats = engine.statistics()["devices"]
    assert f"{GPU}" in stats and "cpu(0)/copy" in stats
    for c in copies:
        onp.testing.assert_allclose(c.asnumpy()[:2, :2], onp.full((2, 2), 1024.0))


def test_kvstore_sums_gpu_and_cpu_values() -> None:
    kv = kvstore.create("device")
    kv.init(0, np.zeros((5,)))
    kv.pushpull(0, [np.ones((5,), device=GPU), np.ones((5,), device=mx.cpu(0)) * 2])
    out = np.zeros((5,), device=GPU)
    kv.pull(0, out=out)
    onp.testing.assert_array_equal(out.asnumpy(), onp.full(5, 3.0))


def test_split_and_load_and_a_gradient_on_the_gpu() -> None:
    parts = gluon.utils.split_and_load(onp.arange(8.0, dtype=onp.float32).reshape(4, 2),
                                       [GPU, mx.cpu(0)])
    assert [p.device for p in parts] == [GPU, mx.cpu(0)]
    w = np.ones((2,), device=GPU)
    w.attach_grad()
    with autograd.record():
        loss = (parts[0] * w).sum()
    loss.backward()
    onp.testing.assert_allclose(w.grad.asnumpy(), [2.0, 4.0])


def test_shape_errors_name_the_gpu_at_call_time() -> None:
    a = np.ones((2, 3), device=GPU)
    with pytest.raises(ValueError, match=r"gpu\(0\)"):
        np.matmul(a, a)


NAIVE_PROGRAM = """
import numpy as onp
import ndengine as mx
from ndengine import np, npx
assert mx.engine.get_engine().kind == "naive"
host = onp.arange(12, dtype=onp.float32).reshape(3, 4)
for i in range(mx.num_gpus()):
    g = np.array(host, device=mx.gpu(i))          # runs in this thread: no GPU worker
    y = np.tanh(g) @ g.T + 1
    assert y._data.device.id == i, (i, y._data.device.id)
    onp.testing.assert_allclose(y.asnumpy(), onp.tanh(host) @ host.T + 1, rtol=1e-5)
    onp.testing.assert_allclose(y.copyto(mx.cpu(0)).asnumpy(), onp.tanh(host) @ host.T + 1,
                                rtol=1e-5)
    if mx.num_gpus() > 1:
        other = mx.gpu((i + 1) % mx.num_gpus())
        onp.testing.assert_array_equal(g.copyto(other).asnumpy(), host)
npx.waitall()
print("ok", mx.num_gpus())
"""


def test_the_naive_engine_runs_ops_on_each_gpu_in_the_calling_thread() -> None:
    """NDENGINE_ENGINE=naive runs every op in the thread that pushed it, which is no GPU
    worker (no worker_init: no current device or stream set): gpu(1)'s ops must still
    run on gpu(1), and copies see complete results."""
    import os
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", NAIVE_PROGRAM], capture_output=True,
                       text=True, timeout=180, env=dict(os.environ, NDENGINE_ENGINE="naive"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == f"ok {mx.num_gpus()}"
