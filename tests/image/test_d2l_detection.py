"""d2l 1.0.3's anchor-box, object-detection-dataset and SSD sections (their MXNet code,
unchanged: tests/image/d2l_ssd_scenario.py) on ndengine through ``alias_as_mxnet()``,
against what real MXNet 1.9.1 computed on the same synthetic banana set and weights
(tests/fixtures/detect/make_d2l_ssd.py wrote d2l_ssd.json).  The book's own
``d2l.multibox_*`` and MXNet's ``npx.multibox_*`` both run."""
from __future__ import annotations

import json
import os

import numpy as onp
import pytest

pytest.importorskip("d2l")
pytest.importorskip("matplotlib")
pytest.importorskip("pandas")
pytest.importorskip("PIL")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import ndengine  # noqa: E402

ndengine.alias_as_mxnet()

import d2l_ssd_scenario as scenario  # noqa: E402

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "detect")
with open(os.path.join(HERE, "d2l_ssd.json")) as _f:
    MXNET = json.load(_f)


@pytest.fixture(scope="module")
def got(tmp_path_factory):
    from ndengine import npx

    try:
        return scenario.run(scenario.make_bananas(str(tmp_path_factory.mktemp("banana"))))
    finally:
        npx.reset_np()


EXACT = ["base_shape", "batch_shapes", "concat_shape", "down_shape", "pred_shapes",
         "ssd_shapes"]


@pytest.mark.parametrize("key", EXACT)
def test_shapes_and_counts_as_on_mxnet(got, key):
    assert got[key] == MXNET[key]


def test_anchor_box_examples_as_on_mxnet(got):
    for key in ("anchor_labels", "anchor_labels_npx"):
        for g, w in zip(got[key], MXNET[key]):
            onp.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)
    for key in ("anchor_detection", "anchor_detection_npx", "prior_npx", "prior_d2l"):
        onp.testing.assert_allclose(got[key], MXNET[key], rtol=1e-6, atol=1e-7)
    # npx.multibox_detection sorts ties in anchor order (stable), as MXNet: the dog box
    # (anchor 0) comes before the cat box (anchor 3), both with score 0.9
    assert [r[0] for r in got["anchor_detection_npx"][0]] == [0, 1, -1, -1]


def test_ssd_training_and_prediction_as_on_mxnet(got):
    # the first step's loss agrees to float32 rounding; SGD at the book's learning rate
    # (0.2) then amplifies the conv and batch-norm layers' rounding differences (their
    # summation orders differ from MXNet's), so the later numbers agree to 1e-3 or so
    # and the count of detections above threshold to a few borderline boxes
    assert got["batch_label_sum"] == pytest.approx(MXNET["batch_label_sum"], rel=1e-6)
    assert got["losses"][0] == pytest.approx(MXNET["losses"][0], rel=1e-5)
    onp.testing.assert_allclose(got["losses"], MXNET["losses"], rtol=5e-3)
    assert got["cls_err"] == pytest.approx(MXNET["cls_err"], abs=2e-3)
    assert got["bbox_mae"] == pytest.approx(MXNET["bbox_mae"], rel=1e-2)
    # MXNet's op and the book's function label the same batches alike on both
    onp.testing.assert_allclose(got["npx_target_vs_d2l"], MXNET["npx_target_vs_d2l"],
                                atol=2e-5)
    for key in ("predict_rows", "predict_npx_rows"):
        assert abs(got[key] - MXNET[key]) <= 2
    for key in ("predict_top", "predict_npx_top"):
        onp.testing.assert_allclose(got[key], MXNET[key], rtol=5e-3, atol=1e-3)
