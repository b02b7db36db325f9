"""The seed chapters' MXNet code runs unchanged on ndengine (``import mxnet`` aliased),
but for the d2l import line and the sizes each tests/seed_code file's header lists.

Each chapter runs in its own process, cell by cell (tests/seed_code/run_cells.py):
every cell must run, the chapter's benchmark labels must print in order, and a check
run after the last cell compares results with NumPy.  Without a GPU, cpu(1) and cpu(2)
stand in for the two GPUs the "Automatic Parallelism" chapter asks for
(``NDENGINE_D2L_GPU_STAND_INS=2``, see ndengine/d2l.py).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SEEDS = HERE / "seed_code"
ROOT = HERE.parent

MATMUL_CHECK = """
import numpy as onp
assert onp.allclose(b.asnumpy(), onp.dot(a.asnumpy(), a.asnumpy()), rtol=1e-4, atol=1e-2)
assert z.asnumpy().tolist() == [[3.0, 3.0]]
"""

COPY_CHECK = """
import numpy as onp
src = {x}.asnumpy()
assert all(c.ctx == npx.cpu() for c in y_cpu), [c.ctx for c in y_cpu]
assert all(onp.allclose(c.asnumpy(), src @ src, rtol=1e-4, atol=1e-2) for c in y_cpu)
"""

ASYNC_LABELS = ["numpy", "mxnet.np", "Done", "waitall", "wait_to_read", "numpy conversion",
                "scalar conversion", "synchronous", "asynchronous"]

CHAPTERS = {
    "async_computation_en.py": dict(
        labels=ASYNC_LABELS, shows=["array([[3., 3.]])"],
        check=MATMUL_CHECK + "assert y.asnumpy().tolist() == [[2.0, 2.0]]\n"),
    "async_computation_v1.py": dict(
        labels=ASYNC_LABELS + ["time per epoch", "time per epoch"],
        shows=["array([[3., 3.]])", "batch 50, time", "batch 100, time", "increased memory:"],
        check=MATMUL_CHECK + """
assert onp.isfinite(l.asnumpy()).all()
assert all(onp.isfinite(p.data().asnumpy()).all() for p in net.collect_params().values())
"""),
    "auto_parallelism_v1.py": dict(
        labels=["CPU time", "GPU time", "CPU & GPU", "Run on GPU", "Copy to CPU",
                "Run on GPU and copy to CPU"],
        shows=[], check=COPY_CHECK.format(x="x_gpu") + """
assert x_cpu.ctx == npx.cpu(0) and x_gpu.ctx == d2l.try_gpu()
"""),
    "auto_parallelism.py": dict(
        labels=["GPU1 time", "GPU2 time", "GPU1 & GPU2", "Run on GPU1", "Copy to CPU",
                "Run on GPU1 and copy to CPU"],
        shows=[], check=COPY_CHECK.format(x="x_gpu1") + """
assert len(devices) == 2 and devices[0] != devices[1], devices
assert x_gpu1.ctx == devices[0] and x_gpu2.ctx == devices[1]
"""),
}


def run_chapter(name: str, check: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, NDENGINE_D2L_GPU_STAND_INS="2", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, str(SEEDS / "run_cells.py"), str(SEEDS / name),
                           "--check", check], capture_output=True, text=True, env=env,
                          timeout=240, cwd=ROOT)


@pytest.mark.parametrize("name", list(CHAPTERS))
def test_seed_chapter_runs_on_ndengine(name: str) -> None:
    case = CHAPTERS[name]
    proc = run_chapter(name, case["check"])
    out = proc.stdout
    assert proc.returncode == 0, f"{name}:\n{out[-4000:]}\n{proc.stderr[-4000:]}"
    assert "### check ok" in out
    labels = re.findall(r"^(.*): \d+\.\d{4} sec$", out, flags=re.M)
    assert labels == case["labels"]
    for text in case["shows"]:
        assert text in out, f"{name}: {text!r} not in output:\n{out[-3000:]}"


def test_seed_files_name_their_source_and_edits() -> None:
    for name in CHAPTERS:
        head = (SEEDS / name).read_text().split('"""')[1]
        assert re.search(r"cells of 00\d_[0-9a-f]+\.txt", head), name
        assert "`from d2l import mxnet as d2l` -> `from ndengine import d2l`" in head, name
        code = (SEEDS / name).read_text().split('"""', 2)[2]
        assert "from d2l import" not in code and "from ndengine import d2l" in code, name
