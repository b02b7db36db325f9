"""2-bit gradient compression on the dist stores, under ``mpiexec -n 2`` (one launch of
scripts/compression.py: quantization and residuals per rank against a NumPy
reference, the bytes moved, dist_device_sync, the Trainer, mismatched thresholds)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="needs the dist extra: pip install ndengine[dist]")

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
MPIEXEC = Path(sys.executable).parent / "mpiexec"

pytestmark = pytest.mark.skipif(not MPIEXEC.exists(), reason=f"no mpiexec at {MPIEXEC}")


def test_compressed_pushes_match_the_reference_on_every_rank() -> None:
    cmd = [str(MPIEXEC), "-n", "2", sys.executable, str(HERE / "scripts" / "compression.py")]
    env = dict(os.environ, PYTHONPATH=str(ROOT), NDENGINE_DIST_TIMEOUT="20",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env,
                          cwd=str(ROOT))
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    for r in range(2):
        assert f"OK compression rank {r} of 2" in proc.stdout
        assert f"CAUGHT rank {r}: threshold mismatch" in proc.stdout
