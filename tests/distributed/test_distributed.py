"""Distributed training on MPI: each test launches ``mpiexec -n 2`` or ``-n 3`` on
loopback (the MPICH wheel's, next to the venv's python) with a subprocess timeout, and
runs a script of scripts/ that checks many things per launch (a launch costs ~1 s)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="needs the dist extra: pip install ndengine[dist]")

HERE = Path(__file__).parent
SCRIPTS = HERE / "scripts"
ROOT = HERE.parent.parent
MPIEXEC = Path(sys.executable).parent / "mpiexec"
LAUNCH_TIMEOUT = 60

pytestmark = pytest.mark.skipif(not MPIEXEC.exists(), reason=f"no mpiexec at {MPIEXEC}")


def run(n: int | None, script: str, *args: str, env: dict | None = None,
        expect_ok: bool = True) -> tuple[subprocess.CompletedProcess, float]:
    cmd = [sys.executable, str(SCRIPTS / script) if script.endswith(".py") else script,
           *args]
    if script == "-m":
        cmd = [sys.executable, "-m", *args]
    if n is not None:
        cmd = [str(MPIEXEC), "-n", str(n)] + cmd
    full_env = dict(os.environ, PYTHONPATH=str(ROOT), NDENGINE_DIST_TIMEOUT="20",
                    OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    full_env.update(env or {})
    t = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT,
                          env=full_env, cwd=str(ROOT))
    elapsed = time.monotonic() - t
    if expect_ok and proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout}"
                    f"\n--- stderr\n{proc.stderr}", pytrace=False)
    return proc, elapsed


@pytest.mark.parametrize("n", [None, 2, 3], ids=["alone", "n2", "n3"])
def test_kvstore_semantics_match_the_local_store(n):
    proc, _ = run(n, "kvstore_semantics.py")
    ranks = n or 1
    for r in range(ranks):
        assert f"OK kvstore rank {r} of {ranks}" in proc.stdout


@pytest.mark.parametrize("n", [None, 2, 3], ids=["alone", "n2", "n3"])
def test_pushpull_in_place_fusion_buffers_and_mismatches_of_known_signatures(n):
    proc, _ = run(n, "inplace.py")
    for r in range(n or 1):
        assert f"OK inplace rank {r} of {n or 1}" in proc.stdout


@pytest.mark.parametrize("n,ndev,modes", [(2, 2, "none,false"), (3, 1, "true,false")])
def test_data_parallel_training_equals_one_process_on_the_whole_batch(n, ndev, modes):
    proc, _ = run(n, "trainer_parallel.py", str(ndev), modes)
    for r in range(n):
        assert f"OK trainer rank {r} of {n}, {ndev} device(s)" in proc.stdout


def test_allreduces_start_while_backward_still_runs():
    proc, _ = run(2, "overlap.py")
    for r in range(2):
        assert f"OK overlap rank {r}" in proc.stdout


@pytest.mark.parametrize("n", [2, 3])
def test_a_rank_that_raises_makes_the_others_fail_naming_it(n):
    proc, elapsed = run(n, "errors.py", "raise", expect_ok=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "ValueError: boom on rank 1" in out          # its own traceback
    assert "Traceback" in out
    for r in range(n):
        if r != 1:
            assert f"rank 1 (host" in out and f"rank {r} (host" in out, out
    assert out.count("failed after 3 collectives: ValueError: boom on rank 1") >= n - 1, out
    assert elapsed < 15, elapsed                         # not the 20 s timeout


def test_a_rank_that_exits_early_makes_the_others_fail():
    proc, elapsed = run(2, "errors.py", "exit", expect_ok=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "rank 1 (host" in out and "exited after 3 collectives" in out, out
    assert "rank 0 (host" in out and "stops at its collective #4" in out, out
    assert elapsed < 15, elapsed


def test_a_late_rank_makes_the_others_time_out():
    proc, elapsed = run(2, "errors.py", "timeout", env={"NDENGINE_DIST_TIMEOUT": "1"},
                        expect_ok=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "DistTimeout" in out and "did not join within 1 s" in out, out
    assert elapsed < 15, elapsed


def test_mismatched_shapes_are_an_error_on_every_rank_which_stay_in_step():
    proc, _ = run(3, "errors.py", "shape")
    for r in range(3):
        assert f"CAUGHT rank {r}:" in proc.stdout and f"OK errors rank {r}" in proc.stdout
    assert "the ranks disagree on collective" in proc.stdout
    assert "rank 1: #4 broadcast from 0: 1: (2, 3) float32" in proc.stdout


def test_check_module_prints_ranks_hosts_and_bandwidth():
    proc, _ = run(2, "-m", "ndengine.distributed.check", "--mb", "1", "--reps", "3")
    assert "rank 0 of 2 on host" in proc.stdout and "rank 1 of 2 on host" in proc.stdout
    assert "GB/s" in proc.stdout and "sums correct on every rank" in proc.stdout


def test_without_mpi4py_the_error_says_what_to_install():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "from ndengine import kvstore\n"
            "try:\n    kvstore.create('dist_sync')\n"
            "except Exception as e:\n    print(type(e).__name__, e)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=LAUNCH_TIMEOUT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert "DistError" in proc.stdout and "pip install ndengine[dist]" in proc.stdout, \
        proc.stdout + proc.stderr
