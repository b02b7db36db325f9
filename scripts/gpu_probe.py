"""What CuPy and ndengine see on this machine (``scripts/gpu_check.sh``'s second step):
CuPy's version, the CUDA runtime and driver versions, each device, a kernel's result,
and ndengine's ``num_gpus()``, which must agree with CuPy's count.  Exit 1 otherwise."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    import cupy  # a missing or broken CuPy fails here, with its own message

    import ndengine as mx

    rt = cupy.cuda.runtime
    n = rt.getDeviceCount()
    print(f"CuPy {cupy.__version__}, CUDA runtime {rt.runtimeGetVersion()}, "
          f"driver {rt.driverGetVersion()}, {n} device(s)")
    for i in range(n):
        p = rt.getDeviceProperties(i)
        name = p["name"].decode() if isinstance(p["name"], bytes) else p["name"]
        print(f"  gpu({i}): {name}, {p['totalGlobalMem'] / 2 ** 30:.1f} GiB, "
              f"compute capability {p['major']}.{p['minor']}")
    a = cupy.arange(10, dtype=cupy.float32)
    assert float((a * 2).sum()) == 90.0, "a CuPy kernel gave a wrong result"
    print(f"ndengine {mx.__version__}: num_gpus() = {mx.num_gpus()}")
    if not mx.num_gpus() == n > 0:
        print("ndengine's count differs from CuPy's (or is 0)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
