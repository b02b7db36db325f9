"""ndengine.d2l: the helpers the seed chapters call behave as d2l's do."""
from __future__ import annotations

import re

import pytest

from ndengine import cpu, d2l, gpu


def test_benchmark_prints_label_and_seconds(capsys):
    with d2l.Benchmark("mxnet.np") as b:
        pass
    out = capsys.readouterr().out
    assert re.fullmatch(r"mxnet\.np: \d+\.\d{4} sec\n", out)
    assert b.elapsed is not None and b.elapsed >= 0
    with d2l.Benchmark():
        pass
    assert capsys.readouterr().out.startswith("Done: ")


def test_benchmark_prints_even_when_the_block_raises(capsys):
    with pytest.raises(ValueError):
        with d2l.Benchmark("boom"):
            raise ValueError("x")
    assert capsys.readouterr().out.startswith("boom: ")


def test_timer_records_and_sums():
    t = d2l.Timer()
    first = t.stop()
    t.start()
    second = t.stop()
    assert t.times == [first, second]
    assert t.sum() == pytest.approx(first + second)
    assert t.avg() == pytest.approx((first + second) / 2)
    assert t.cumsum() == pytest.approx([first, first + second])


def test_devices_fall_back_to_cpu_without_gpus(monkeypatch):
    monkeypatch.setattr(d2l, "_num_gpus", lambda: 0)
    monkeypatch.setattr(d2l, "_stand_ins", [0])
    assert d2l.num_gpus() == 0
    assert d2l.cpu() == cpu(0) and d2l.gpu(1) == gpu(1)
    assert d2l.try_gpu() == cpu() and d2l.try_gpu(3) == cpu()
    assert d2l.try_all_gpus() == [cpu()]
    assert "fall back to cpu(0)" in d2l.describe_devices()


def test_cpu_stand_ins(monkeypatch):
    monkeypatch.setattr(d2l, "_num_gpus", lambda: 0)
    monkeypatch.setattr(d2l, "_stand_ins", [None])
    monkeypatch.setenv("NDENGINE_D2L_GPU_STAND_INS", "2")
    assert d2l.try_all_gpus() == [cpu(1), cpu(2)]
    assert d2l.try_gpu(0) == cpu(1) and d2l.try_gpu(1) == cpu(2) and d2l.try_gpu(2) == cpu()
    assert "cpu(1) for gpu(0)" in d2l.describe_devices()
    d2l.use_cpu_stand_ins(0)             # code wins over the environment
    assert d2l.try_all_gpus() == [cpu()]
    with pytest.raises(ValueError, match="use_cpu_stand_ins"):
        d2l.use_cpu_stand_ins(-1)


def test_real_gpus_win_over_stand_ins(monkeypatch):
    monkeypatch.setattr(d2l, "_num_gpus", lambda: 2)
    monkeypatch.setattr(d2l, "_stand_ins", [3])
    assert d2l.try_all_gpus() == [gpu(0), gpu(1)]
    assert d2l.try_gpu(1) == gpu(1) and d2l.try_gpu(2) == cpu()
    assert d2l.cpu_stand_ins() == 0


def test_synthetic_data_follows_the_model():
    import numpy

    from ndengine import np

    w = np.array([2.0, -3.4])
    X, y = d2l.synthetic_data(w, 4.2, 500)
    assert X.shape == (500, 2) and y.shape == (500, 1)
    resid = y.asnumpy()[:, 0] - (X.asnumpy() @ numpy.array([2.0, -3.4]) + 4.2)
    assert abs(resid.mean()) < 0.01 and resid.std() < 0.02
