"""Top-level names and ``alias_as_mxnet()``: code written for ``import mxnet`` runs."""
from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap

import pytest

import ndengine


def test_top_level_names():
    assert ndengine.cpu() is ndengine.cpu(0)
    assert ndengine.gpu(1).device_type == "gpu" and ndengine.gpu(1).device_id == 1
    assert ndengine.Context("cpu", 1) is ndengine.cpu(1)
    assert ndengine.Context is ndengine.context.Context
    assert issubclass(ndengine.base.MXNetError, Exception)
    assert ndengine.MXNetError is ndengine.base.MXNetError
    assert ndengine.current_context() is ndengine.cpu(0)
    assert ndengine.num_gpus() == ndengine.npx.num_gpus()
    x = ndengine.np.ones((3,)) + 1
    ndengine.waitall()
    assert x._var.last_write is None
    assert ndengine.numpy is ndengine.np
    assert ndengine.random.seed is ndengine.np.random.seed
    assert repr(ndengine.cpu(2)) == "cpu(2)"


def test_call_site_errors_are_mxnet_errors_and_builtin_kinds():
    from ndengine.ndarray.ops import DTypeError, OpIndexError, ShapeError

    for cls, builtin in [(ShapeError, ValueError), (DTypeError, TypeError),
                         (OpIndexError, IndexError)]:
        assert issubclass(cls, ndengine.base.MXNetError) and issubclass(cls, builtin)
    with pytest.raises(ndengine.base.MXNetError):
        ndengine.np.ones((2, 3)).reshape(5)


SEED_CODE = """
import mxnet as mx
from mxnet import np, npx
import mxnet.np, mxnet.npx, mxnet.base
npx.set_np()
assert mx.__name__ == "ndengine" and mxnet.np is np and mxnet.npx is npx
x = np.ones((1, 2))
y = np.ones((1, 2))
z = x * y + 2
print(repr(z))
a = np.random.normal(size=(100, 100))
b = np.dot(a, a)
npx.waitall()
b.wait_to_read()
print(b.shape, abs(b.sum().item() - float(b.asnumpy().sum())) < 1e-2 * abs(b.asnumpy()).sum())
for _ in range(100):
    y = x + 1
    y.wait_to_read()
npx.waitall()
print(isinstance(mx.base.MXNetError("e"), Exception), mx.cpu(), mx.gpu(0), mx.Context("cpu", 1))
print(mx.context.current_context(), mx.random.seed(1))
"""


def test_alias_as_mxnet_runs_the_seed_code_unchanged():
    code = "import ndengine; names = ndengine.alias_as_mxnet()\n" \
           "assert {'mxnet', 'mxnet.np', 'mxnet.npx', 'mxnet.base'} <= set(names), names\n" \
           + SEED_CODE
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "array([[3., 3.]])"
    assert lines[1] == "(100, 100) True"
    assert lines[2] == "True cpu(0) gpu(0) cpu(1)"
    assert lines[3] == "cpu(0) None"


def test_alias_as_mxnet_registers_submodules_in_process():
    before = {k: v for k, v in sys.modules.items() if k == "mxnet" or k.startswith("mxnet.")}
    try:
        names = ndengine.alias_as_mxnet()
        import mxnet  # noqa: F401  (resolves to ndengine)

        assert sys.modules["mxnet"] is ndengine
        assert sys.modules["mxnet.np"] is ndengine.np
        assert sys.modules["mxnet.numpy"] is ndengine.np
        assert sys.modules["mxnet.npx"] is ndengine.npx
        assert sys.modules["mxnet.base"] is ndengine.base
        assert importlib.import_module("mxnet.random") is ndengine.random
        assert "mxnet.context" in names and "mxnet.gluon.data" in names
    finally:
        for k in [k for k in sys.modules if k == "mxnet" or k.startswith("mxnet.")]:
            del sys.modules[k]
        sys.modules.update(before)
