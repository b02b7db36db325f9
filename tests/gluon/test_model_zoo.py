"""gluon.model_zoo.vision against real MXNet 1.9.1 (fixtures made by
tests/fixtures/model_zoo/make_fixtures.py): every model's parameters have MXNet's
structural names, prefixed names and declared shapes, in MXNet's order; a model of each
family and block kind computes MXNet's outputs from the same parameters, in np and nd
mode, imperative and hybridized; MXNet's pretrained files are found, checked and fetched
as MXNet does."""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import re
import zipfile
from pathlib import Path

import numpy as onp
import pytest

import ndengine as mx
from ndengine import np, npx
from ndengine.gluon import nn
from ndengine.gluon.contrib import nn as cnn
from ndengine.gluon.model_zoo import model_store, vision

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "model_zoo"
_spec = importlib.util.spec_from_file_location("mz_fixtures", FIX / "make_fixtures.py")
MAKE = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(MAKE)
NAMES = json.load(gzip.open(FIX / "names.json.gz", "rt"))


@pytest.fixture(autouse=True)
def _nd_mode():
    was = npx.is_np_array()
    npx.reset_np()
    yield
    (npx.set_np if was else npx.reset_np)()


def test_model_table_is_mxnets():
    with pytest.raises(ValueError) as e:
        vision.get_model("nosuchnet")
    listed = [ln.strip() for ln in str(e.value).splitlines()[1:] if ln.strip()]
    assert sorted(listed) == sorted(NAMES)
    assert vision.get_model("ResNet18_V1").__class__ is vision.ResNetV1


@pytest.mark.parametrize("model", sorted(NAMES))
def test_parameter_names_and_shapes(model):
    want = NAMES[model]
    net = vision.get_model(model)
    alias = re.sub(r"\d+_$", "", want["prefix"])
    assert re.sub(r"\d+_$", "", net.prefix) == alias
    got = [[s, p.name[len(net.prefix):], list(p.shape)]
           for s, p in net._collect_params_with_prefix().items()]
    assert got == want["params"]
    assert repr(net).splitlines()[0] == want["repr"]


def _set_params(net):
    for sname, p in net._collect_params_with_prefix().items():
        v = MAKE.param_values(sname, p.shape, sname.rsplit(".", 1)[-1])
        p.set_data(mx.nd.array(v) if not npx.is_np_array() else np.array(v))


@pytest.mark.parametrize("model,kwargs,shape", MAKE.CASES, ids=[c[0] for c in MAKE.CASES])
def test_outputs_match_mxnet(model, kwargs, shape):
    want = onp.load(FIX / f"{model}.npz")
    x = MAKE.make_input(shape)
    for mode in ("nd", "np"):
        (npx.set_np if mode == "np" else npx.reset_np)()
        net = vision.get_model(model, **kwargs)
        net.initialize()
        arr = np.array(x) if mode == "np" else mx.nd.array(x)
        net(arr)
        _set_params(net)
        y = net(arr).asnumpy()
        net.hybridize()
        yh = net(arr).asnumpy()
        # MXNet has no np-mode output where its own layers fail (see make_fixtures.py);
        # ndengine's must then equal its nd-mode one
        ref = want[f"y_{mode}"] if f"y_{mode}" in want else want["y_nd"]
        scale = float(abs(ref).max())
        onp.testing.assert_allclose(y, ref, rtol=2e-4, atol=2e-4 * scale)
        onp.testing.assert_allclose(yh, ref, rtol=2e-4, atol=2e-4 * scale)
    npx.reset_np()


def test_training_step_runs_and_changes_parameters():
    npx.set_np()
    net = vision.resnet18_v2(classes=4, thumbnail=True)
    net.initialize(mx.init.Xavier())
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    x = np.array(MAKE.make_input((4, 3, 16, 16)))
    y = np.array([0, 1, 2, 3])
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    losses = []
    for _ in range(5):
        with mx.autograd.record():
            loss = loss_fn(net(x), y).mean()
        loss.backward()
        trainer.step(1)
        losses.append(float(loss))
    assert losses[-1] < losses[0]


def test_pretrained_file_found_checked_and_fetched(tmp_path, monkeypatch):
    # a real file ndengine wrote, served as resnet18_v1's pretrained parameters
    src = vision.resnet18_v1(classes=3, thumbnail=True)
    src.initialize()
    src(mx.nd.ones((1, 3, 8, 8)))
    raw = tmp_path / "raw.params"
    src.save_parameters(str(raw))
    payload = raw.read_bytes()
    sha1 = hashlib.sha1(payload).hexdigest()
    monkeypatch.setitem(model_store._SHA1, "resnet18_v1", sha1)
    fname = f"resnet18_v1-{sha1[:8]}"
    repo = tmp_path / "repo" / "gluon" / "models"
    repo.mkdir(parents=True)
    with zipfile.ZipFile(repo / f"{fname}.zip", "w") as zf:
        zf.writestr(f"{fname}.params", payload)
    monkeypatch.setenv("MXNET_GLUON_REPO", (tmp_path / "repo").as_uri())
    root = tmp_path / "models"
    # missing: downloaded from the repository, checked, no temporary left behind
    net = vision.resnet18_v1(classes=3, thumbnail=True, pretrained=True, root=str(root))
    assert sorted(os.listdir(root)) == [f"{fname}.params"]
    for (k, a), (_, b) in zip(sorted(net._collect_params_with_prefix().items()),
                              sorted(src._collect_params_with_prefix().items())):
        onp.testing.assert_array_equal(a.data().asnumpy(), b.data().asnumpy())
    # present and right: used without the repository
    monkeypatch.setenv("MXNET_GLUON_REPO", (tmp_path / "nowhere").as_uri())
    assert model_store.get_model_file("resnet18_v1", root=str(root)) == str(root / f"{fname}.params")
    # corrupted: fetched again, and a failing fetch says what to do
    (root / f"{fname}.params").write_bytes(b"junk")
    with pytest.raises(RuntimeError, match="could not be downloaded.*Copy resnet18_v1-"):
        model_store.get_model_file("resnet18_v1", root=str(root))
    model_store.purge(str(root))
    assert os.listdir(root) == []
    with pytest.raises(ValueError, match="Pretrained model for resnet18_v9 is not available"):
        model_store.get_model_file("resnet18_v9", root=str(root))


def test_concurrent_and_pixel_shuffle():
    c = cnn.HybridConcurrent(axis=1)
    c.add(nn.Dense(2), cnn.Identity())
    c.initialize()
    assert c.prefix.startswith("hybridconcurrent")
    assert c(mx.nd.ones((2, 3))).shape == (2, 5)
    x = onp.arange(12 * 2 * 3, dtype="float32").reshape(1, 12, 2, 3)
    y = cnn.PixelShuffle2D((2, 3))(mx.nd.array(x)).asnumpy()
    # channel c*6 + i*3 + j lands at [c, h*2 + i, w*3 + j]
    ref = x.reshape(1, 2, 2, 3, 2, 3).transpose(0, 1, 4, 2, 5, 3).reshape(1, 2, 4, 9)
    onp.testing.assert_array_equal(y, ref)
    with pytest.raises(ValueError, match="PixelShuffle2D: 12 channels are not a multiple of"):
        cnn.PixelShuffle2D(5)(mx.nd.array(x))
    with pytest.raises(ValueError, match="PixelShuffle1D: factor must be"):
        cnn.PixelShuffle1D(0)


def test_legacy_prefix_named_files_load():
    """MXNet's oldest pretrained files were written by ``save_params``: prefixed names
    with the model's own prefix stripped (``conv0_weight``), not structural ones."""
    src = vision.mobilenet0_25(classes=3)
    src.initialize()
    src(mx.nd.ones((1, 3, 32, 32)))
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "legacy.params")
        src.collect_params().save(f, strip_prefix=src.prefix)
        dst = vision.mobilenet0_25(classes=3)       # another prefix counter
        assert dst.prefix != src.prefix
        dst.load_parameters(f)
    for (_, a), (_, b) in zip(sorted(src._collect_params_with_prefix().items()),
                              sorted(dst._collect_params_with_prefix().items())):
        onp.testing.assert_array_equal(a.data().asnumpy(), b.data().asnumpy())
