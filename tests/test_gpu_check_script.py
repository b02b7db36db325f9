"""``scripts/gpu_check.sh`` on a machine without a GPU: it stops at once with a clear
message; with a stand-in ``nvidia-smi`` (a shell script printing what the real one
prints) it picks the CuPy wheel of the driver's CUDA version, and it writes its results
file when a step fails.  The GPU steps themselves need a GPU (see the script).  Its
benchmark and example runner also run on a CPU device, checked here."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gpu_check.sh"
BASH = shutil.which("bash") or "/bin/bash"

FAKE_SMI = """#!/bin/sh
case "$*" in
  *--query-gpu*) printf "{gpus}" ;;
  *) echo "| NVIDIA-SMI {driver}   Driver Version: {driver}   CUDA Version: {cuda}     |" ;;
esac
"""


def _run(args: list[str], path: str, tmp: Path, timeout: float = 60, **env: str):
    e = {"PATH": path, "HOME": str(tmp), "GPU_CHECK_VENV": str(tmp / "venv"), **env}
    return subprocess.run([BASH, str(SCRIPT), "--out", str(tmp / "out"), *args], env=e,
                          capture_output=True, text=True, timeout=timeout, cwd=tmp)


def _fake_smi(tmp: Path, cuda: str = "12.4", ngpu: int = 2, body: str | None = None) -> str:
    bin_dir = tmp / "fakebin"
    bin_dir.mkdir(exist_ok=True)
    gpus = "".join(f"{i}, NVIDIA A100-SXM4-40GB, 550.54.15, 40960 MiB\\n" for i in range(ngpu))
    text = body or FAKE_SMI.format(gpus=gpus, driver="550.54.15", cuda=cuda)
    smi = bin_dir / "nvidia-smi"
    smi.write_text(text)
    smi.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"


def test_without_nvidia_smi_it_stops_at_once_and_installs_nothing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = _run([], str(empty), tmp_path, timeout=30)       # not even coreutils on PATH
    assert r.returncode == 3, r.stdout + r.stderr
    assert r.stderr.startswith("gpu_check: no NVIDIA GPU found: nvidia-smi missing")
    assert not (tmp_path / "venv").exists() and not (tmp_path / "out").exists()


def test_a_failing_nvidia_smi_is_no_gpu_found(tmp_path):
    body = ("#!/bin/sh\necho \"NVIDIA-SMI has failed because it couldn't communicate with "
            "the NVIDIA driver.\"\nexit 9\n")
    r = _run([], _fake_smi(tmp_path, body=body), tmp_path, timeout=30)
    assert r.returncode == 3
    assert ("no NVIDIA GPU found: nvidia-smi failed: NVIDIA-SMI has failed because it "
            "couldn't communicate") in r.stderr
    assert not (tmp_path / "venv").exists()


def test_no_gpu_listed(tmp_path):
    r = _run([], _fake_smi(tmp_path, ngpu=0), tmp_path, timeout=30)
    assert r.returncode == 3 and "nvidia-smi lists no GPU" in r.stderr


@pytest.mark.parametrize("cuda,wheel,torch", [("12.4", "cupy-cuda12x", "cu124"),
                                              ("12.2", "cupy-cuda12x", "cu121"),
                                              ("11.8", "cupy-cuda11x<14", "cu118"),
                                              ("13.0", "cupy-cuda13x", "cu130")])
def test_the_plan_picks_the_wheels_of_the_drivers_cuda(tmp_path, cuda, wheel, torch):
    r = _run(["--plan", "--torch"], _fake_smi(tmp_path, cuda), tmp_path, timeout=30,
             GPU_CHECK_CTK="0")
    assert r.returncode == 0, r.stderr
    assert f"2 GPU(s), driver CUDA {cuda} -> {wheel} " in r.stdout
    assert f"pip install -e '.[test,demo]' '{wheel}'" in r.stdout
    assert f"download.pytorch.org/whl/{torch}" in r.stdout
    r = _run(["--plan"], _fake_smi(tmp_path, cuda), tmp_path, timeout=30, GPU_CHECK_CTK="1")
    base, _, pin = wheel.partition("<")
    assert f"-> {base}[ctk]{'<' + pin if pin else ''} " in r.stdout   # CUDA's libs from PyPI


def test_an_old_driver_is_named(tmp_path):
    r = _run(["--plan"], _fake_smi(tmp_path, "10.2"), tmp_path, timeout=30)
    assert r.returncode == 3 and "supports CUDA 10.2 only" in r.stderr


def test_bad_arguments(tmp_path):
    r = _run(["--frobnicate"], _fake_smi(tmp_path), tmp_path, timeout=30)
    assert r.returncode == 2 and "unknown argument '--frobnicate'" in r.stderr


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None,
                    reason="with CuPy installed the steps would really run")
def test_a_failed_step_is_in_the_results_file(tmp_path):
    """The project's own virtualenv, reused (no install): CuPy is missing, so the probe
    fails, the GPU steps are not run, and results.md says so; exit 1."""
    r = _run([], _fake_smi(tmp_path), tmp_path, timeout=120, GPU_CHECK_SKIP_INSTALL="1",
             GPU_CHECK_VENV=sys.prefix)
    assert r.returncode == 1, r.stdout + r.stderr
    md = (tmp_path / "out" / "results.md").read_text()
    assert "| install | passed |" in md and "| probe | FAILED (exit 1) |" in md
    assert "No module named 'cupy'" in md
    assert "tests/device/test_gpu.py: not run" in md
    assert "SOME STEPS FAILED" in r.stdout


def test_the_benchmark_runs_on_a_cpu_device(tmp_path):
    out = tmp_path / "bench.md"
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu_bench.py"), "--device",
                        "cpu(0)", "--quick", "--out", str(out)], capture_output=True,
                       text=True, timeout=180, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    md = out.read_text()
    for case in ("matmul 256x256 float32", "y = x + 1 (1x2) x 500", "4 MB host -> device",
                 "on cpu(0) and cpu(1)"):
        assert case in md
    assert "| ndengine cpu(0) |" in md and "| numpy |" in md


def test_the_example_runner_makes_the_device_the_default(tmp_path):
    script = tmp_path / "show.py"
    script.write_text("import sys\nfrom ndengine import np\n"
                      "print('device:', np.ones(2).device, sys.argv[1:])\n")
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu_run_example.py"),
                        "cpu(1)", str(script), "--scale", "small"], capture_output=True,
                       text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "device: cpu(1) ['--scale', 'small']" in r.stdout


FAKE_PYTHON = """#!/bin/sh
# stands in for the GPU virtualenv's python: each step's command answers as on a GPU
case "$*" in
  "-c import ndengine") ;;
  *gpu_probe.py*) echo "CuPy 13.3.0, CUDA runtime 12040, driver 12040, 2 device(s)" ;;
  *"-m pytest"*) echo "PASSED tests/device/test_gpu.py::test_x"
                 echo "SKIPPED [1] tests/device/test_gpu.py:9: needs two GPUs"
                 echo "15 passed, 1 skipped in 3.21s" ;;
  *run_all.py*) mkdir -p "$3"; printf '# ndengine demo\\n\\n![timeline](timeline_x.png)\\n' \\
                > "$3/results.md" ;;
  *gpu_run_example.py*) echo "async chapter on $2" ;;
  *gpu_bench.py*) printf '## Benchmark on gpu(0)\\n\\n| case | impl |\\n' > "$5" ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
"""


def test_all_steps_passing_make_one_results_file(tmp_path):
    """Each step's command answered by a stand-in python: the script runs the steps in
    order and puts their results (probe, test summary, benchmark, demo) in one file."""
    venv = tmp_path / "fakevenv"
    (venv / "bin").mkdir(parents=True)
    py = venv / "bin" / "python"
    py.write_text(FAKE_PYTHON)
    py.chmod(0o755)
    r = _run([], _fake_smi(tmp_path), tmp_path, timeout=60, GPU_CHECK_SKIP_INSTALL="1",
             GPU_CHECK_VENV=str(venv))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all steps passed" in r.stdout
    md = (tmp_path / "out" / "results.md").read_text()
    for step in ("install", "probe", "test_gpu", "examples", "async_on_gpu0", "bench"):
        assert f"| {step} | passed |" in md
    assert "tests/device/test_gpu.py: 15 passed, 1 skipped in 3.21s" in md
    assert "SKIPPED [1] tests/device/test_gpu.py:9: needs two GPUs" in md
    assert "CuPy 13.3.0, CUDA runtime 12040" in md
    assert "## Benchmark on gpu(0)" in md
    assert "\n## ndengine demo\n" in md and "](demo/timeline_x.png)" in md
