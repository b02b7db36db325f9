"""The seed-chapter examples run end to end at small sizes, and their numbers make
sense: issuing is far quicker than the work it issues, results equal NumPy's, the
chapters' benchmark labels come out in order.  (No wall-clock thresholds beyond
"issuing returns before the work is done": the machine may be busy.)"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run_example(name: str, tmp_path: Path, *args: str) -> tuple[dict, str]:
    out = tmp_path / f"{name}.json"
    env = dict(os.environ, NDENGINE_EXAMPLE_SCALE="small", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), "--json", str(out),
                           *args], capture_output=True, text=True, env=env, timeout=240,
                          cwd=ROOT)
    assert proc.returncode == 0, f"{name}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return json.loads(out.read_text()), proc.stdout


def labels(report: dict) -> list[str]:
    return [r["label"] for r in report["rows"]]


@pytest.fixture(scope="module")
def async_run(tmp_path_factory):
    return run_example("async_computation", tmp_path_factory.mktemp("async"))


@pytest.fixture(scope="module")
def parallel_run(tmp_path_factory):
    return run_example("auto_parallelism", tmp_path_factory.mktemp("parallel"))


def test_async_example_prints_the_chapter_labels(async_run):
    report, out = async_run
    assert report["scale"] == "small"
    assert labels(report) == ["numpy", "mxnet.np", "Done", "waitall", "wait_to_read",
                              "numpy conversion", "scalar conversion", "synchronous",
                              "asynchronous", "time per epoch (barrier)",
                              "time per epoch (no barrier)"]
    for r in report["rows"]:
        assert f"{r['label']}: {r['seconds']:.4f} sec" in out
    assert "[[3. 3.]]" in out


def test_async_example_issue_time_is_below_the_work_it_issues(async_run):
    facts = async_run[0]["facts"]
    # issuing the loop of 10 x (random normal + 400x400 dot) cost the front end's thread
    # far less CPU than the same work takes NumPy.  Measured as the thread's CPU time, not
    # wall time nor the ops still pending when it returned: on a loaded machine the front
    # end can be descheduled mid-loop while the workers catch up (both flaked that way)
    assert facts["issue_cpu_s"] * 5 < facts["numpy_s"], facts
    assert facts["async_issue_s"] <= facts["async_s"]


def test_async_example_results_equal_numpy(async_run):
    facts = async_run[0]["facts"]
    assert facts["matmul_equal_numpy"] and facts["sum_equal_numpy"]
    assert facts["loop_equal_numpy"]
    assert facts["z"] == [[3.0, 3.0]]
    assert facts["final_loss_finite"]


def test_auto_parallelism_example(parallel_run):
    report, out = parallel_run
    assert labels(report) == ["GPU1 time", "GPU2 time", "GPU1 & GPU2", "CPU time", "GPU time",
                              "CPU & GPU", "Run on GPU1", "Copy to CPU",
                              "Run on GPU1 and copy to CPU"]
    facts = report["facts"]
    assert facts["copies_on_cpu0"] and facts["copy_equal_numpy"]
    if "gpu" not in " ".join(facts["devices"]):
        assert facts["devices"] == ["cpu(1)", "cpu(2)"]
        assert "CPU devices stand in" in out
    for key in ("gpus_gain", "cpu_gpu_gain", "copy_gain"):
        assert facts[key] > 0


def test_engine_demo(tmp_path):
    report, out = run_example("engine_demo", tmp_path)
    assert report["facts"]["identity_holds"] and report["facts"]["error_surfaced"]
    assert "error surfaced at the sync point" in out
