"""Device handles: interning, the Context API, worker configuration, availability, and
several CPU devices each running on workers of their own."""
from __future__ import annotations

import pickle
import threading

import numpy as onp
import pytest

import ndengine as mx
from ndengine import engine, np, npx
from ndengine.device import Device, DeviceError, cpu, current_device, gpu, num_gpus


def test_devices_are_interned_immutable_and_picklable() -> None:
    assert cpu(1) is Device("cpu", 1) is Device(cpu(1)) is mx.Context("cpu", 1)
    assert cpu(0) != cpu(1) and {cpu(0): 1}[cpu(0)] == 1
    assert pickle.loads(pickle.dumps(cpu(2))) is cpu(2)
    with pytest.raises(AttributeError):
        cpu(0).device_id = 3          # type: ignore[misc]
    assert repr(gpu(1)) == "gpu(1)" and gpu(1).device_typeid == 2 and gpu(1).is_gpu


@pytest.mark.parametrize("args,match", [(("tpu", 0), "unknown device type"),
                                        (("cpu", -1), "non-negative"),
                                        (("cpu", True), "non-negative"),
                                        (("cpu", 1.0), "non-negative")])
def test_bad_device_names_fail_clearly(args: tuple, match: str) -> None:
    with pytest.raises(DeviceError, match=match):
        Device(*args)


def test_with_device_sets_the_default_per_thread() -> None:
    assert current_device() is cpu(0)
    seen = []
    with cpu(2):
        assert current_device() is cpu(2)
        with cpu(1):
            assert np.ones((2,)).device is cpu(1)
        th = threading.Thread(target=lambda: seen.append(current_device()))
        th.start()
        th.join()
        assert np.zeros((1,)).device is cpu(2)
    assert seen == [cpu(0)] and current_device() is cpu(0)


def test_gpus_are_unavailable_without_cupy_and_say_so() -> None:
    if num_gpus() > 0:
        pytest.skip("a GPU is present")
    assert not gpu(0).available and cpu(5).available
    with pytest.raises(DeviceError, match=r"gpu\(0\) is not available.*num_gpus\(\) == 0"):
        gpu(0).check_available()
    with pytest.raises(DeviceError, match=r"gpu\(0\)"):
        np.ones((2,), device=gpu(0))


def test_worker_counts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NDENGINE_CPU_WORKERS", "3")
    monkeypatch.setenv("NDENGINE_COPY_WORKERS", "2")
    assert cpu(0).num_workers == 3 and cpu(0).num_copy_workers == 2
    monkeypatch.delenv("NDENGINE_CPU_WORKERS")
    monkeypatch.setenv("MXNET_CPU_WORKER_NTHREADS", "5")
    assert cpu(0).num_workers == 5
    monkeypatch.setenv("NDENGINE_CPU_WORKERS", "x")
    with pytest.raises(ValueError, match="NDENGINE_CPU_WORKERS"):
        cpu(0).num_workers
    # no device may be left without workers: a waiting thread helps only while a core
    # is free, so a ready op could wait for nobody
    monkeypatch.setenv("NDENGINE_CPU_WORKERS", "0")
    with pytest.raises(ValueError, match="NDENGINE_CPU_WORKERS.*at least 1.*got 0"):
        cpu(0).num_workers
    monkeypatch.setenv("NDENGINE_COPY_WORKERS", "0")
    with pytest.raises(ValueError, match="NDENGINE_COPY_WORKERS.*at least 1"):
        cpu(0).num_copy_workers


def test_backends_and_array_modules() -> None:
    assert cpu(0).xp is onp and cpu(0).backend.name == "cpu"
    assert gpu(0).backend.name == "gpu" and gpu(0).needs_finish and not gpu(0).inline_ok
    assert cpu(3).inline_ok and not cpu(3).needs_finish
    cpu(0).finish_op()
    cpu(0).synchronize()


def test_each_cpu_device_runs_on_workers_of_its_own() -> None:
    """Ops on three devices are all in flight at once: each waits at a barrier that
    only opens when the other two are running too (one worker per device suffices)."""
    barrier = threading.Barrier(3, timeout=10)
    threads: dict[str, str] = {}

    def op(dev: Device) -> None:
        threads[str(dev)] = threading.current_thread().name
        barrier.wait()

    npx.waitall()
    for i in range(3):
        engine.push(lambda d=cpu(i): op(d), device=cpu(i), name="meet")
    engine.wait_all()
    assert len(set(threads.values())) == 3
    for dev, name in threads.items():   # a worker of its device (or the waiting front end)
        assert dev in name or name == threading.main_thread().name
    stats = engine.statistics()["devices"]
    assert {"cpu(0)", "cpu(1)", "cpu(2)"} <= set(stats)
    assert all(stats[f"cpu({i})"]["workers"] >= 1 for i in range(3))


def test_allocator_settings_are_made_before_the_workers_start(monkeypatch) -> None:
    """The engine calls the device's before_workers hook in the thread that starts the
    workers, before any of them runs (glibc gives a thread its heap at its first
    allocation, so the arena limit must be in force by then)."""
    from ndengine.device import cpu_backend

    calls: list[tuple[str, int]] = []
    started: list[int] = []
    monkeypatch.setattr(cpu_backend.CpuBackend, "before_workers",
                        lambda self, dev: calls.append((threading.current_thread().name,
                                                        len(started))))
    orig_init = cpu_backend.CpuBackend.worker_init
    monkeypatch.setattr(cpu_backend.CpuBackend, "worker_init",
                        lambda self, dev, i, c: (started.append(i), orig_init(self, dev, i, c)))
    eng = engine.ThreadedEngine()
    try:
        v = eng.new_var()
        eng.push(lambda: None, writes=[v], device=cpu(6))
        eng.wait_all()
    finally:
        eng.drain()
    assert calls and calls[0] == (threading.current_thread().name, 0)
    import os

    if (cpu_backend._libc() is not None and os.environ.get("NDENGINE_MALLOC_TUNE", "1") != "0"
            and "MALLOC_MMAP_THRESHOLD_" not in os.environ):
        assert cpu_backend.malloc_tuned()
