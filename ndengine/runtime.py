"""``mx.runtime``: which features this ndengine has, under MXNet 1.9.1's feature names.

MXNet reports the compile-time options of its C++ library.  ndengine compiles nothing:
each feature is reported as what ndengine really does on this machine — ``CUDA`` when
CuPy sees a GPU, the ``CPU_*`` instruction sets when NumPy (which runs the CPU kernels)
dispatches to them here, the BLAS NumPy is built with, ``PROFILER`` (ndengine has one),
``INT64_TENSOR_SIZE`` (NumPy indexes with 64 bits).  What ndengine does not have
(cuDNN, NCCL, OpenCV — images are decoded with Pillow —, MKL-DNN, TVM, distributed
kvstore...) is reported off.

    >>> mx.runtime.Features().is_enabled("CUDA")
    False
"""
from __future__ import annotations

import collections
import functools
from typing import Any, Callable

__all__ = ["Feature", "Features", "feature_list"]


class Feature:
    """One feature: ``name`` and ``enabled``; ``repr`` is ``✔ NAME`` or ``✖ NAME``."""

    __slots__ = ("_name", "_enabled")

    def __init__(self, name: str, enabled: bool):
        self._name = str(name)
        self._enabled = bool(enabled)

    @property
    def name(self) -> str:
        """The feature's name."""
        return self._name

    @property
    def enabled(self) -> bool:
        """True if ndengine has the feature here."""
        return self._enabled

    def __repr__(self) -> str:
        return f"{'✔' if self._enabled else '✖'} {self._name}"


# ------------------------------------------------------------------ how each is decided
def _cuda() -> bool:
    from .device import num_gpus

    return num_gpus() > 0


@functools.lru_cache(maxsize=1)
def _cpu_features() -> dict:
    """The instruction sets NumPy finds on this CPU and dispatches its kernels on."""
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:                                     # NumPy < 2
        from numpy.core import _multiarray_umath as umath   # type: ignore[no-redef]
    return dict(getattr(umath, "__cpu_features__", {}))


def _cpu(name: str) -> Callable[[], bool]:
    return lambda: bool(_cpu_features().get(name, False))


@functools.lru_cache(maxsize=1)
def _blas_name() -> str:
    """The name of the BLAS NumPy was built with (lowercase; '' if unknown)."""
    import numpy as onp

    try:
        deps = onp.show_config(mode="dicts")["Build Dependencies"]
        return str(deps.get("blas", {}).get("name", "")).lower()
    except Exception:      # noqa: BLE001 (an old or unusual NumPy build: unknown)
        return ""


def _blas(*words: str) -> Callable[[], bool]:
    return lambda: any(w in _blas_name() for w in words)


def _lapack() -> bool:
    import numpy as onp

    try:
        return bool(onp.show_config(mode="dicts")["Build Dependencies"].get("lapack"))
    except Exception:      # noqa: BLE001
        return True        # numpy.linalg always has a LAPACK (its own lapack_lite at least)


def _no() -> bool:
    return False


def _yes() -> bool:
    return True


# MXNet 1.9.1's features, in its order, with how ndengine decides each
_FEATURES: list[tuple[str, Callable[[], bool]]] = [
    ("CUDA", _cuda), ("CUDNN", _no), ("NCCL", _no), ("CUDA_RTC", _no), ("TENSORRT", _no),
    ("CPU_SSE", _cpu("SSE")), ("CPU_SSE2", _cpu("SSE2")), ("CPU_SSE3", _cpu("SSE3")),
    ("CPU_SSE4_1", _cpu("SSE41")), ("CPU_SSE4_2", _cpu("SSE42")), ("CPU_SSE4A", _no),
    ("CPU_AVX", _cpu("AVX")), ("CPU_AVX2", _cpu("AVX2")), ("OPENMP", _no),
    ("SSE", _cpu("SSE")), ("F16C", _cpu("F16C")), ("JEMALLOC", _no),
    ("BLAS_OPEN", _blas("openblas")), ("BLAS_ATLAS", _blas("atlas")),
    ("BLAS_MKL", _blas("mkl")), ("BLAS_APPLE", _blas("accelerate", "veclib")),
    ("LAPACK", _lapack), ("MKLDNN", _no), ("OPENCV", _no), ("CAFFE", _no),
    ("PROFILER", _yes), ("DIST_KVSTORE", _no), ("CXX14", _no),
    ("INT64_TENSOR_SIZE", _yes), ("SIGNAL_HANDLER", _no), ("DEBUG", _no), ("TVM_OP", _no),
]


def feature_list() -> list[Feature]:
    """The features, as :class:`Feature` objects, in MXNet's order."""
    return [Feature(name, decide()) for name, decide in _FEATURES]


class Features(collections.OrderedDict):
    """name -> :class:`Feature`, made once (``Features()`` is always the same object)."""

    instance: Any = None

    def __new__(cls) -> "Features":
        if cls.instance is None:
            cls.instance = super().__new__(cls)
            collections.OrderedDict.__init__(cls.instance,
                                             [(f.name, f) for f in feature_list()])
        return cls.instance

    def __init__(self) -> None:     # filled once, in __new__
        pass

    def __repr__(self) -> str:
        return str(list(self.values()))

    def is_enabled(self, feature_name: str) -> bool:
        """Whether feature *feature_name* (any case) is enabled; RuntimeError if ndengine
        knows no such feature."""
        name = str(feature_name).upper()
        if name not in self:
            raise RuntimeError(f"Feature '{name}' is unknown, known features are: "
                               f"{list(self.keys())}")
        return self[name].enabled
