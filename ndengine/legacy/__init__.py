"""MXNet 1.x's legacy NDArray API (``mx.nd`` / ``mx.ndarray``), over the np op table and
engine.

``mx.nd.NDArray`` (see :mod:`.ndarray`) is a thin handle over an np-mode array — one
buffer, one engine var — so conversions both ways are free and np-mode code never
pays for the legacy API.  The functions are the np/npx ops under MXNet 1.x's rules
(no 0-d results, dtypes kept, MXNet's parameter names).  ``ndengine.ndarray`` (what
``mx.nd`` resolves to) exposes this namespace lazily; its submodules ``mx.nd.random``,
``mx.nd.linalg`` ... are this package's.
"""
from __future__ import annotations

from . import contrib, image, linalg, random, utils
from .cached_op import CachedOp
from .extra import *  # noqa: F401,F403
from .extra import __all__ as _x_all
from .creation import *  # noqa: F401,F403
from .creation import __all__ as _c_all
from .io import load, load_frombuffer, save
from .ndarray import SPARSE as _SPARSE, NDArray, _install_methods
from ._util import ret as _ret
from .nn import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403
from .rnn import RNN
from ..operator import custom as Custom   # mx.nd.Custom: Python ops (ndengine.operator)
from .spatial import BilinearSampler, GridGenerator, ROIPooling, SpatialTransformer
from .optim import __all__ as _o_all

# MXNet 1.x's first versions of three ops, kept for old models: the same computations
BatchNorm_v1 = BatchNorm  # noqa: F405
Convolution_v1 = Convolution  # noqa: F405
Pooling_v1 = Pooling  # noqa: F405
from .nn import __all__ as _nn_all
from .tensor import *  # noqa: F401,F403
from .tensor import __all__ as _t_all

_install_methods()

# MXNet 1.x's flat names of the linalg ops (linalg_gemm2 is linalg.gemm2)
for _n in linalg.__all__:
    globals()["linalg_" + _n] = getattr(linalg, _n)
_linalg_flat = ["linalg_" + _n for _n in linalg.__all__]


def waitall() -> None:
    """Wait for every pushed op to finish (raises the first error no sync point has)."""
    from .. import npx

    npx.waitall()


# MXNet 1.x's flat names of the samplers
random_uniform = random.uniform
random_normal = random.normal
random_randint = random.randint
random_exponential = random.exponential
random_gamma = random.gamma
random_poisson = random.poisson
random_negative_binomial = random.negative_binomial
random_generalized_negative_binomial = random.generalized_negative_binomial
sample_multinomial = random.multinomial
uniform = random.uniform
normal = random.normal
shuffle = random.shuffle


def onehot_encode(indices: NDArray, out: NDArray) -> NDArray:
    """One-hot rows of *indices* written into *out* (batch, depth); returns *out*."""
    return one_hot(indices, out.shape[1], out=out)  # noqa: F405


def moments(data: NDArray, axes: tuple = None, keepdims: bool = False,  # type: ignore[assignment]
            name: object = None) -> list:
    """[mean, variance] of *data* over *axes*."""
    m = mean(data, axis=axes, keepdims=True)  # noqa: F405
    v = mean(square(data - m), axis=axes, keepdims=keepdims)  # noqa: F405
    if not keepdims:
        m = mean(data, axis=axes)  # noqa: F405
    return [m, v]


__all__ = (["NDArray", "random", "linalg", "contrib", "image", "utils", "waitall", "save",
            "load", "load_frombuffer",
            "random_uniform", "random_normal", "random_randint", "random_exponential",
            "random_gamma", "random_poisson", "random_negative_binomial",
            "random_generalized_negative_binomial", "sample_multinomial", "uniform",
            "normal", "shuffle", "onehot_encode", "moments", "RNN", "Custom", "BilinearSampler",
            "GridGenerator", "SpatialTransformer", "ROIPooling", "BatchNorm_v1",
            "Convolution_v1", "Pooling_v1", "CachedOp"]
           + _c_all + _nn_all + _t_all + _x_all + _o_all + _linalg_flat)

# ----------------------------------------------------------------------------- sparse
# mx.nd.sparse, and the mx.nd functions that keep a sparse operand's storage type (the
# rest read its dense value: ndengine.legacy.sparse)
from . import sparse  # noqa: E402

for _n in sparse.ZERO_PRESERVING:
    if _n in globals():
        globals()[_n] = sparse.zero_preserving(_n, globals()[_n])
clip = sparse.clip_fn(clip)  # noqa: F405
slice = sparse.legacy_slice(slice)  # noqa: F405,A001
_dense_dot = dot  # noqa: F405


def dot(lhs, rhs, transpose_a=False, transpose_b=False, forward_stype=None, out=None,  # noqa: F811
        name=None):
    if lhs.__class__ in _SPARSE or rhs.__class__ in _SPARSE:
        return _ret(sparse.dot(lhs, rhs, transpose_a, transpose_b), out)
    return _dense_dot(lhs, rhs, transpose_a, transpose_b, forward_stype, out, name)


dot.__doc__ = _dense_dot.__doc__


def _sparse_aware(name, dense_fn, sparse_fn):
    def fn(*args, **kwargs):
        if any(a.__class__ in _SPARSE for a in args[:2]):
            out = kwargs.pop("out", None)
            kwargs.pop("name", None)
            return _ret(sparse_fn(*args, **kwargs), out)
        return dense_fn(*args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = dense_fn.__doc__
    return fn


for _n, _s in [("elemwise_add", sparse.add), ("elemwise_sub", sparse.subtract),
               ("elemwise_mul", sparse.multiply), ("add", sparse.add),
               ("subtract", sparse.subtract), ("multiply", sparse.multiply),
               ("divide", sparse.divide), ("sum", sparse.sum), ("mean", sparse.mean),
               ("zeros_like", sparse.zeros_like), ("cast_storage", sparse.cast_storage)]:
    if _n in globals():
        globals()[_n] = _sparse_aware(_n, globals()[_n], _s)

# the rest of mx.nd.sparse's names are mx.nd's (their sparse operands read densely)
for _n in ("ElementWiseSum", "Embedding", "FullyConnected", "LinearRegressionOutput",
           "LogisticRegressionOutput", "MAERegressionOutput", "adam_update",
           "add_n", "arccos", "arccosh", "broadcast_add", "broadcast_div", "broadcast_minus",
           "broadcast_mul", "broadcast_plus", "broadcast_sub", "concat", "cos", "cosh",
           "elemwise_div", "exp", "ftrl_update", "gamma", "gammaln", "log", "log10", "log2",
           "make_loss", "norm", "rsqrt", "sgd_mom_update", "sgd_update", "sigmoid",
           "stop_gradient", "where", "clip", "slice") + sparse.ZERO_PRESERVING:
    if _n in globals() and not hasattr(sparse, _n):
        setattr(sparse, _n, globals()[_n])
sparse.clip = clip
sparse.slice = slice
sparse.NDArray = NDArray
__all__ += ["sparse"]
