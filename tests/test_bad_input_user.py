"""Bad input a new user meets first (issues 18 and 19): each fails clearly — at the call
when the arguments tell, else at the sync point under the op's own name, naming shapes
and the device — and never passes silently or fails late under another op's name.

Where MXNet 1.9.1's behaviour is the reference, tests/mxnet_diff/cases/cases_bad_input.py
checks the same inputs against it; where ndengine is stricter, docs/mxnet-differences.md
says so."""
from __future__ import annotations

import numpy as onp
import pytest

import ndengine
from ndengine import gluon, np, npx
from ndengine.base import MXNetError, OpError


# ----------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("make", [
    lambda: np.ones(3, dtype=str),
    lambda: np.zeros(3, dtype="U3"),
    lambda: np.empty(2, dtype=object),
    lambda: np.full(2, 1.0, dtype=bytes),
    lambda: np.arange(3, dtype=str),
    lambda: np.ones(2).astype(str),
    lambda: np.array([1.0, 2.0], dtype=str),
], ids=["ones", "zeros", "empty", "full", "arange", "astype", "array-dtype"])
def test_string_and_object_dtypes_are_refused_at_the_call(make):
    with pytest.raises(TypeError, match="not supported") as ei:
        make()
    assert isinstance(ei.value, MXNetError)


def test_an_array_of_strings_is_read_as_numbers_or_refused():
    with pytest.raises(TypeError, match="array: cannot make an array .*strings"):
        np.array(["a", "b"])
    x = np.array(["1", "2.5"])                 # as MXNet: strings of numbers are numbers
    assert x.dtype == onp.float32 and x.tolist() == [1.0, 2.5]


def test_a_string_fill_value_is_refused_at_the_call():
    with pytest.raises(TypeError, match="full: fill_value"):
        np.full(3, "a")


# ----------------------------------------------------------------------------- operands
@pytest.mark.parametrize("op", [
    lambda a: a + "x",
    lambda a: "x" + a,
    lambda a: a + ["a"] * 4,
    lambda a: a * b"x",
    lambda a: a == "x",
    lambda a: np.add(a, "x"),
    lambda a: a + None,
], ids=["add-str", "radd-str", "add-list-of-str", "mul-bytes", "eq-str", "np.add", "None"])
def test_non_numeric_operands_fail_at_the_call_naming_the_op(op):
    a = np.ones(4)
    with pytest.raises(TypeError, match=r"unsupported operand type .*on cpu\(0\)"):
        op(a)


def test_in_place_with_a_string_fails_at_the_call():
    a = np.ones(4)
    with pytest.raises(TypeError, match="unsupported operand"):
        a += "x"
    assert a.tolist() == [1.0] * 4


# ----------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("make", [
    lambda: np.zeros((2.5, 3)),
    lambda: np.zeros((2.0, 3)),
    lambda: np.ones(2.5),
    lambda: np.full((2.5,), 1),
    lambda: np.empty((2.5,)),
    lambda: np.random.normal(size=(2.5,)),
    lambda: np.zeros((2, 3)).reshape(2.0, 3),
], ids=["zeros", "zeros-2.0", "ones", "full", "empty", "random", "reshape"])
def test_a_float_in_a_shape_fails_at_the_call(make):
    with pytest.raises(TypeError, match="must be an int or a tuple of ints") as ei:
        make()
    # a ValueError too (MXNet's np.zeros raises one) and an MXNetError
    assert isinstance(ei.value, ValueError) and isinstance(ei.value, MXNetError)


def test_a_cached_int_shape_does_not_let_the_float_one_through():
    np.zeros((2, 3)).wait_to_read()            # the shape rule's cache holds (2, 3)
    with pytest.raises(TypeError):
        np.zeros((2.0, 3))


# ----------------------------------------------------------------------------- indexing
def test_boolean_mask_of_the_wrong_shape_in_setitem_fails_at_the_call():
    b = np.zeros((2, 3))
    mask = np.array([True, False, True], dtype=bool)
    with pytest.raises(IndexError, match=r"setitem: boolean index did not match.*"
                                         r"index \(3,\) bool; on cpu\(0\)"):
        b[mask] = 1
    with pytest.raises(IndexError):
        b[np.ones((3, 3), dtype=bool)] = 1
    b[np.array([True, False], dtype=bool)] = 1  # the right shape still works
    assert b.tolist() == [[1, 1, 1], [0, 0, 0]]


def test_out_of_range_index_array_fails_at_sync_under_getitem_naming_shapes():
    a = np.arange(4.0)
    y = a[np.array([0, 7])]                    # only the index's values tell
    with pytest.raises(IndexError, match=r"op 'getitem'.*index 7 is out of bounds for "
                                         r"axis 0 with size 4 \(array \(4,\) float32, "
                                         r"index \(2,\) int64; on cpu\(0\)\)") as ei:
        y.wait_to_read()
    assert isinstance(ei.value, OpError)


def test_out_of_range_index_array_in_setitem_fails_at_sync_naming_shapes():
    y = np.array([1.0, 2.0])
    y[np.array([0, 5])] = 3
    with pytest.raises(IndexError, match=r"op 'setitem'.*setitem: index 5 .*array \(2,\) "
                                         r"float32, index \(2,\) int64; on cpu\(0\)"):
        y.wait_to_read()


def test_take_checks_host_indices_at_the_call():
    a = np.arange(4.0)
    with pytest.raises(IndexError, match=r"take: index 7 is out of bounds .*size 4 .*"
                                         r"on cpu\(0\)") as ei:
        np.take(a, [0, 7])
    assert isinstance(ei.value, MXNetError)
    with pytest.raises(IndexError, match="axis 1 with size 3"):
        np.take(np.zeros((2, 3)), [3], axis=1)
    with pytest.raises(ValueError, match="mode"):
        np.take(a, [0], mode="bogus")
    assert np.take(a, [0, 7], mode="clip").tolist() == [0.0, 3.0]
    assert np.take(a, [-1]).tolist() == [3.0]


def test_take_with_an_index_array_fails_at_sync_under_its_own_name():
    a = np.arange(4.0)
    y = np.take(a, np.array([0, 7]))
    with pytest.raises(IndexError, match=r"op 'take'.*take: index 7 is out of bounds") as ei:
        y.asnumpy()
    assert "getitem" not in str(ei.value)
    y = np.take(np.zeros((3, 4)), np.array([0, 4]), axis=1)
    with pytest.raises(IndexError, match=r"op 'take'.*axis 1 with size 4.*\(3, 4\)"):
        y.asnumpy()
    assert np.take(a, np.array([3, 0])).tolist() == [3.0, 0.0]


def test_an_op_error_is_of_its_cause_s_builtin_kind():
    y = np.arange(4.0)[np.array([9])]
    with pytest.raises(IndexError):
        y.wait_to_read()
    with pytest.raises(ValueError):
        np.nanargmax(np.array([onp.nan])).item()


# ----------------------------------------------------------------------------- losses
def test_softmax_ce_with_a_label_outside_the_classes_fails_at_sync_under_its_name():
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    pred = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 0.0]])
    for bad in ([0, 3], [-1, 0], [0, 5.0]):
        out = loss(pred, np.array(bad))
        with pytest.raises(IndexError, match=r"op 'SoftmaxCrossEntropyLoss'.*label .* is "
                                             r"not a class index: pred has 3 classes.*"
                                             r"on cpu\(0\)"):
            out.asnumpy()
    ok = loss(pred, np.array([2, 0])).asnumpy()
    want = -onp.log(onp.exp([3.0, 1.0]) / onp.exp(pred.asnumpy()).sum(1))
    onp.testing.assert_allclose(ok, want, rtol=1e-5)


def test_softmax_ce_label_check_works_hybridized_and_under_autograd():
    from ndengine import autograd

    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    loss.hybridize()
    pred = np.array([[1.0, 2.0, 3.0]])
    pred.attach_grad()
    with autograd.record():
        out = loss(pred, np.array([1]))
    out.backward()
    assert pred.grad.shape == (1, 3)
    with pytest.raises(IndexError, match="SoftmaxCrossEntropyLoss"):
        loss(pred, np.array([3])).asnumpy()


# ----------------------------------------------------------------------------- blocks
@pytest.mark.parametrize("data", [[[1.0, 2.0]], onp.array([[1.0, 2.0]]), 1.0, "x"],
                         ids=["list", "numpy", "float", "str"])
def test_a_hybrid_block_called_without_an_array_names_itself_and_what_it_got(data):
    d = gluon.nn.Dense(2)
    d.initialize()
    with pytest.raises(TypeError, match=r"Dense \(dense\d+\): a HybridBlock needs an "
                                        r"NDArray .* got .*" + type(data).__name__) as ei:
        d(data)
    assert isinstance(ei.value, ValueError)          # MXNet raises a ValueError
    assert d(np.array([[1.0, 2.0]])).shape == (1, 2)


def test_sequential_of_hybrid_blocks_reports_the_first_block():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(2))
    net.initialize()
    with pytest.raises(TypeError, match="HybridSequential"):
        net([[1.0, 2.0]])


# ----------------------------------------------------------------------------- devices
def test_a_cpu_device_id_past_the_bound_fails_at_the_call():
    from ndengine.device.device import MAX_CPU_DEVICES, DeviceError

    assert ndengine.cpu(MAX_CPU_DEVICES - 1).device_id == MAX_CPU_DEVICES - 1
    with pytest.raises(DeviceError, match=r"cpu\(99\) cannot exist.*NDENGINE_MAX_CPU_DEVICES"):
        ndengine.cpu(99)
    with pytest.raises(ValueError):
        ndengine.Context("cpu", MAX_CPU_DEVICES)


def test_the_cpu_device_bound_is_set_by_the_environment():
    import subprocess
    import sys

    code = ("import ndengine, ndengine.numpy as np; "
            "print(np.zeros(2, ctx=ndengine.cpu(99)).device)")
    env = {**__import__("os").environ, "NDENGINE_MAX_CPU_DEVICES": "128"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "cpu(99)"


# ----------------------------------------------------------------------------- overwrites
@pytest.mark.parametrize("write", [
    lambda y: y.__setitem__(Ellipsis, 1),
    lambda y: y.__setitem__(slice(None), 1),
    lambda y: y.__setitem__(slice(None), np.ones((2, 3))),
    lambda y: y.__setitem__((slice(None), slice(None)), np.ones(3)),
], ids=["ellipsis", "colon", "colon-array", "colon-colon-broadcast"])
def test_a_full_overwrite_clears_a_failed_op_s_error(write):
    y = np.zeros((2, 3))[np.array([0, 7])]        # the op fails when it runs
    with pytest.raises(OpError):
        y.wait_to_read()
    write(y)
    assert y.asnumpy().tolist() == [[1.0] * 3] * 2


def test_a_partial_write_keeps_the_error():
    y = np.zeros((2, 3))[np.array([0, 7])]
    y[0] = 1
    with pytest.raises(OpError):
        y.wait_to_read()


# ----------------------------------------------------------------------------- namespaces
_PUBLIC = ["ndengine", "ndengine.npx", "ndengine.numpy", "ndengine.numpy.random",
           "ndengine.numpy.linalg", "ndengine.autograd", "ndengine.gluon",
           "ndengine.gluon.nn", "ndengine.gluon.loss", "ndengine.gluon.utils",
           "ndengine.init", "ndengine.metric", "ndengine.lr_scheduler", "ndengine.random",
           "ndengine.ndarray", "ndengine.profiler", "ndengine.gluon.data.vision.transforms"]
_HELPERS = {"annotations", "Any", "Callable", "Sequence", "OPS", "apply_op", "as_nd",
            "norm_axis", "default_dtype", "device_of", "math", "os", "threading", "warnings"}


@pytest.mark.parametrize("name", _PUBLIC)
def test_public_modules_offer_their_api_not_their_helpers(name):
    import importlib

    mod = importlib.import_module(name)
    listed = set(dir(mod))
    # the array layer's own API is its op table and apply_op (see ndengine.ndarray)
    helpers = _HELPERS - {"OPS", "apply_op"} if name == "ndengine.ndarray" else _HELPERS
    assert not listed & helpers, f"dir({name}) offers helpers {sorted(listed & helpers)}"
    assert isinstance(mod.__all__, (list, tuple)) and mod.__all__
    for n in mod.__all__:
        assert hasattr(mod, n), f"{name}.__all__ names {n!r}, which does not exist"
        assert n in listed, f"{name}.__all__ names {n!r}, which dir() hides"


def test_hidden_helpers_stay_reachable_for_the_code_that_uses_them():
    assert npx.OPS is not None and callable(npx.apply_op)   # still attributes
    assert float(npx.relu(np.array([-1.0, 2.0])).sum()) == 2.0
