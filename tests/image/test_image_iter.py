"""mx.image.ImageIter / ImageDetIter against real MXNet 1.9.1 (the fixtures of
tests/fixtures/image_iter, made by its make_fixtures.py with the MXNet peer): every
batch of every epoch (data, label, pad), provide_data / provide_label, label shapes and
the errors, for the configurations of its cases.py (record files with and without
index, image lists, in-memory lists, partitions, shuffles, the three last-batch rules,
seeded random augmenters, detection labels).

PNG images compare exactly (the resizes are OpenCV's bit for bit on uint8); the JPEG
case allows 8 levels (the decoders need not be the same libjpeg: MXNet's OpenCV build
against Pillow's; they agree exactly on this machine's Pillow), the float cases (colour
jitter, normalisation) float32 rounding.
"""
from __future__ import annotations

import importlib.util
import json
import os
import random

import numpy as onp
import pytest

import ndengine as mx
from ndengine.base import MXNetError

pytest.importorskip("PIL")

HERE = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "image_iter")
HERE = os.path.abspath(HERE)
_spec = importlib.util.spec_from_file_location("image_iter_cases", os.path.join(HERE, "cases.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)

with open(os.path.join(HERE, "expected.json")) as _f:
    EXPECTED = json.load(_f)
ARRAYS = onp.load(os.path.join(HERE, "expected.npz"))

# MXNet's error type -> what ndengine raises (a subclass of it, with a clearer message)
ERROR_TYPES = {"ValueError": ValueError, "AssertionError": AssertionError,
               "FileNotFoundError": FileNotFoundError, "RuntimeError": RuntimeError,
               "MXNetError": MXNetError,
               # MXNet: 'float' object has no attribute 'ravel' (a class label given to
               # ImageDetIter); ndengine says what a detection label must be
               "AttributeError": RuntimeError}

RUN = sorted(k for k, v in EXPECTED.items() if k != "_sync" and "error" not in v)
@pytest.fixture(autouse=True)
def _legacy_mode():
    """MXNet's default (legacy) mode, as the fixtures were made in (np mode where a
    case says so); the suite's conftest restores np mode after each test."""
    mx.npx.reset_np()
    yield


ERRORS = sorted(k for k, v in EXPECTED.items() if k != "_sync" and "error" in v
                and k != "lst_int")


def _seed(spec):
    random.seed(spec.get("seed", 0))
    onp.random.seed(spec.get("seed", 0))


def _run(spec):
    _seed(spec)
    it = cases.build(mx, spec, HERE)
    out = {"provide_data": [[d[0], list(d[1])] for d in it.provide_data],
           "provide_label": [[d[0], list(d[1])] for d in it.provide_label]}
    if hasattr(it, "label_shape"):
        out["label_shape"] = list(it.label_shape)
    pads, datas, labels, kinds = [], [], [], []
    for e in range(spec.get("epochs", 2)):
        if e:
            it.reset()
        p = []
        for batch in it:
            datas.append(batch.data[0].asnumpy())
            labels.append(batch.label[0].asnumpy())
            kinds.append((type(batch.data[0]), batch.data[0].dtype, batch.label[0].dtype))
            p.append(batch.pad)
        pads.append(p)
    return it, out, pads, onp.stack(datas), onp.stack(labels), kinds


@pytest.mark.parametrize("name", RUN)
def test_batches_match_mxnet(name):
    spec = cases.CASES[name]
    want = EXPECTED[name]
    if spec.get("np"):
        mx.npx.set_np()
    _, got, pads, data, label, kinds = _run(spec)
    assert got["provide_data"] == want["provide_data"]
    assert got["provide_label"] == want["provide_label"]
    assert got.get("label_shape") == want.get("label_shape")
    assert pads == [e["pads"] for e in want["epochs"]]
    cls = mx.np.ndarray if spec.get("np") else mx.nd.NDArray
    for typ, ddt, ldt in kinds:
        assert typ is cls
        assert ddt == onp.float32 and ldt == onp.float32
    wdata = ARRAYS[f"{name}/data"].astype(onp.float32)
    wlabel = ARRAYS[f"{name}/label"]
    assert data.shape == wdata.shape and label.shape == wlabel.shape
    if spec.get("jpeg"):
        assert onp.abs(data - wdata).max() <= 8, onp.abs(data - wdata).max()
        assert onp.abs(data - wdata).mean() <= 1.5
    elif spec.get("float"):
        onp.testing.assert_allclose(data, wdata, rtol=1e-5, atol=1e-4)
    else:
        onp.testing.assert_array_equal(data, wdata)
        onp.testing.assert_allclose(label, wlabel, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_mxnet(name):
    spec = cases.CASES[name]
    want = ERROR_TYPES[EXPECTED[name]["error"]]
    with pytest.raises(want) as info:
        cases.build(mx, spec, HERE)
    msg = str(info.value)
    assert isinstance(info.value, MXNetError) or isinstance(info.value, ValueError), msg
    if "path_imgrec" in spec["kwargs"] and name.startswith(("err_missing", "err_det")):
        assert spec["kwargs"]["path_imgrec"] in msg


def test_lst_int_labels_are_read():
    # MXNet's nd.array of the .lst's label strings fails for an int dtype
    # (TypeError); ndengine reads them as numbers and casts (1.5 -> 1), and the
    # batch's label is float32 (provide_label's), as MXNet's with any dtype
    assert EXPECTED["lst_int"]["error"] == "TypeError"
    it = cases.build(mx, cases.CASES["lst_int"], HERE)
    assert it.imglist[3][0].dtype == onp.int32
    batch = it.next()
    onp.testing.assert_array_equal(batch.label[0].asnumpy(),
                                   [[k % 4, int(k * 1.5)] for k in range(4)])
    assert batch.label[0].dtype == onp.float32


def test_sync_label_shape_and_reshape_match_mxnet():
    want = EXPECTED["_sync"]
    got = _json(cases.sync_case(mx, HERE))
    assert got.keys() == want.keys()
    for k in want:
        _assert_close(got[k], want[k], k)


def _json(v):
    return json.loads(json.dumps(v))


def _assert_close(got, want, where):
    if isinstance(want, float):
        assert abs(got - want) <= 1e-6, where
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for g, w in zip(got, want):
            _assert_close(g, w, where)
    elif isinstance(want, dict):
        assert got.keys() == want.keys(), where
        for k in want:
            _assert_close(got[k], want[k], f"{where}.{k}")
    else:
        assert got == want, where
