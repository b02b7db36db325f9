"""GPUs through CuPy.  Runs only where CuPy and a CUDA device exist (``num_gpus() > 0``);
everywhere else the module is skipped as a whole.  The logic shared with the CPU (copy
paths, pinned staging, the completion rule) is tested on the CPU by test_transfer.py.

Not yet run on GPU hardware: the machines ndengine is developed on have no GPU.
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


@pytest.mark.skipif(mx.num_gpus() < 2, reason="needs two GPUs")
def test_gpu_to_gpu_copy() -> None:
    g0 = np.array(onp.arange(10.0, dtype=onp.float32), device=mx.gpu(0))
    g1 = g0.copyto(mx.gpu(1))
    assert g1._data.device.id == 1
    onp.testing.assert_array_equal(g1.asnumpy(), onp.arange(10.0))


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
