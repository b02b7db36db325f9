"""How CPU devices share the cores: 'adaptive' (default) and 'partitioned'."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any, Iterator

import pytest

import ndengine as mx
from ndengine import engine, npx
from ndengine.device import sharing as sharing_mod
from ndengine.device.blas import BlasPolicy
from ndengine.device.sharing import SHARING, cores, cpu_sharing, set_cpu_sharing


@pytest.fixture
def partitioned() -> Iterator[None]:
    prev = set_cpu_sharing("partitioned")
    try:
        yield
    finally:
        set_cpu_sharing(prev)


def test_default_mode_and_info() -> None:
    info = cpu_sharing()
    assert info["mode"] == "adaptive" and info["cores"] == cores()
    assert info["cores_per_device"] == cores()      # adaptive: a device may take them all


def test_bad_mode_is_a_clear_error_and_changes_nothing() -> None:
    with pytest.raises(ValueError, match="'adaptive', 'partitioned'.*'gpu-like'"):
        set_cpu_sharing("gpu-like")
    assert cpu_sharing()["mode"] == "adaptive"


def test_set_returns_the_previous_mode(partitioned: None) -> None:
    assert set_cpu_sharing("partitioned") == "partitioned"
    assert cpu_sharing()["mode"] == "partitioned"
    assert engine.statistics()["cpu_sharing"] == "partitioned"


def test_devices_in_use_split_the_cores(partitioned: None) -> None:
    s = sharing_mod.CpuSharing("partitioned")
    assert s.budget == cores()                     # nothing in use yet
    s.attach(mx.cpu(0))
    s.attach(mx.cpu(0))                            # counted once
    assert s.budget == cores() and s.info()["cpu_devices_in_use"] == [0]
    s.attach(mx.cpu(3))
    assert s.budget == max(1, cores() // 2)
    for i in range(2 * cores()):
        s.attach(mx.cpu(i))
    assert s.budget == 1                           # never below one core
    s.set_mode("adaptive")
    assert s.budget == cores()


def test_the_engine_registers_the_devices_it_starts_workers_for() -> None:
    x = mx.np.ones((2, 2), device=mx.cpu(5))
    (x + 1).wait_to_read()
    assert 5 in cpu_sharing()["cpu_devices_in_use"]


def test_partitioned_blas_kernels_get_their_devices_share(monkeypatch: pytest.MonkeyPatch,
                                                         partitioned: None) -> None:
    """A product on a lone busy device still gets only its device's share of the cores
    when two CPU devices are in use; under adaptive it gets every core."""
    monkeypatch.setattr(SHARING, "devices", {0, 1})
    calls: list[int] = []
    p = BlasPolicy(setter=calls.append, cap=2)
    p.load_probe = lambda: 1                       # only this device has work
    with p as t:
        assert t == 1
    p.steer(False)
    assert calls[-1] == 1
    set_cpu_sharing("adaptive")
    with p as t:
        assert t == 2


@pytest.mark.parametrize("mode", ["adaptive", "partitioned"])
def test_a_waiting_thread_helps_a_busy_device_only_within_its_share(mode: str) -> None:
    """cpu(7)'s worker is inside op 1; op 2 (independent) is ready.  The main thread
    waiting at waitall runs op 2 itself under adaptive sharing (a core is free), but
    not under partitioned sharing with one core per device: the worker runs it after
    op 1."""
    if mode == "adaptive" and cores() < 2:
        pytest.skip("a waiting thread helps only while a core is free; this machine has one")
    npx.waitall()
    prev = set_cpu_sharing(mode)
    try:
        dev = mx.cpu(7)
        for i in range(8):                          # at least two devices in use: 1 core each
            SHARING.attach(mx.cpu(i))
        if mode == "partitioned":
            assert SHARING.budget == 1
        started, release = threading.Event(), threading.Event()
        ran: dict[str, Any] = {}

        def op1() -> None:
            started.set()
            release.wait(10)

        def op2() -> None:
            ran["thread"] = threading.current_thread()

        engine.push(op1, device=dev, name="hold")
        assert started.wait(10)
        engine.push(op2, device=dev, name="small")
        timer = threading.Timer(0.3, release.set)
        timer.start()
        engine.wait_all()
        timer.join()
    finally:
        set_cpu_sharing(prev)
    if mode == "adaptive":
        assert ran["thread"] is threading.main_thread()
    else:
        assert ran["thread"] is not threading.main_thread()
        assert "cpu(7)" in ran["thread"].name


def test_mode_from_the_environment() -> None:
    code = ("import json, ndengine as mx; "
            "print(json.dumps(mx.device.cpu_sharing()))")
    env = {**os.environ, "NDENGINE_CPU_SHARING": "partitioned"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["mode"] == "partitioned"
    env["NDENGINE_CPU_SHARING"] = "bogus"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode != 0 and "NDENGINE_CPU_SHARING must be one of" in out.stderr
