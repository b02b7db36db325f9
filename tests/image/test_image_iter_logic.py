"""mx.image.ImageIter / ImageDetIter batch logic (Hypothesis against a model of MXNet
1.9.1's rules, which the fixtures of test_image_iter.py pin down case by case) and the
errors: labels identify the images, so the batches' labels show which images came in
which order."""
from __future__ import annotations

import io
import os
import random

import numpy as onp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndengine as mx
from ndengine import recordio
from ndengine.base import MXNetError
from ndengine.image.image import ImageIterDecodeError, ImageIterError, ImageIterFileError

PIL = pytest.importorskip("PIL.Image")

MAX_N = 9


def _png(h=6, w=6, seed=0):
    arr = onp.random.RandomState(seed).randint(0, 256, (h, w, 3)).astype("uint8")
    buf = io.BytesIO()
    PIL.fromarray(arr).save(buf, "PNG")
    return buf.getvalue(), arr


@pytest.fixture(autouse=True)
def _legacy_mode():
    mx.npx.reset_np()        # the suite's conftest puts np mode back afterwards
    yield


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("image_iter")
    png, arr = _png()
    (d / "a.png").write_bytes(png)
    rec = recordio.MXIndexedRecordIO(str(d / "r.idx"), str(d / "r.rec"), "w")
    for k in range(MAX_N):
        rec.write_idx(k, recordio.pack(recordio.IRHeader(0, float(k), k, 0), png))
    rec.close()
    return {"dir": str(d), "png": png, "arr": arr}


def _iter(files, source, n, bs, mode, **kw):
    d = files["dir"]
    common = dict(batch_size=bs, data_shape=(3, 6, 6), last_batch_handle=mode, **kw)
    if source == "imglist":
        return mx.image.ImageIter(imglist=[[float(k), "a.png"] for k in range(n)],
                                  path_root=d, **common)
    # a record file of n records (the module's has MAX_N; the index is cut to n)
    sub = os.path.join(d, f"r{n}")
    if not os.path.exists(sub + ".rec"):
        rec = recordio.MXIndexedRecordIO(sub + ".idx", sub + ".rec", "w")
        for k in range(n):
            rec.write_idx(k, recordio.pack(recordio.IRHeader(0, float(k), k, 0),
                                           files["png"]))
        rec.close()
    if source == "rec":
        return mx.image.ImageIter(path_imgrec=sub + ".rec", **common)
    return mx.image.ImageIter(path_imgrec=sub + ".rec", path_imgidx=sub + ".idx", **common)


def _epochs(it, epochs):
    out = []
    for e in range(epochs):
        if e:
            it.reset()
        out.append([(batch.label[0].asnumpy().tolist(), batch.pad) for batch in it])
    return out


def _model(n, bs, mode, epochs):
    """MXNet's batches (labels, pad) for images 0..n-1 in order, epoch by epoch."""
    order = [float(k) for k in range(n)]
    out, left = [], []
    for _ in range(epochs):
        ep = []
        if mode == "roll_over":
            stream = left + order
            first_pad = bs - len(left) if left else 0
            k = 0
            while k + bs <= len(stream):
                ep.append((stream[k:k + bs], first_pad if k == 0 else 0))
                k += bs
            left = stream[k:]
        else:
            for k in range(0, n, bs):
                chunk = order[k:k + bs]
                if len(chunk) == bs:
                    ep.append((chunk, 0))
                elif mode == "pad":
                    pad = bs - len(chunk)
                    fill = order[:min(n, pad)]
                    ep.append((chunk + fill + [0.0] * (pad - len(fill)), pad))
        out.append(ep)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, MAX_N), bs=st.integers(1, 6),
       mode=st.sampled_from(["pad", "discard", "roll_over"]),
       source=st.sampled_from(["imglist", "rec", "rec_idx"]), epochs=st.integers(1, 3))
def test_last_batch_rules_follow_mxnet(files, n, bs, mode, source, epochs):
    if mode == "roll_over" and n < bs:
        bs = n               # (MXNet's roll-over of less than a batch is not modelled)
    it = _iter(files, source, n, bs, mode)
    assert _epochs(it, epochs) == _model(n, bs, mode, epochs)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, MAX_N), bs=st.integers(1, 4), seed=st.integers(0, 2**16),
       mode=st.sampled_from(["pad", "discard"]), source=st.sampled_from(["imglist", "rec_idx"]))
def test_shuffle_covers_every_image_once_per_epoch(files, n, bs, seed, mode, source):
    random.seed(seed)
    it = _iter(files, source, n, bs, mode, shuffle=True)
    orders = []
    for ep in _epochs(it, 3):
        seen = []
        for labels, pad in ep:
            seen += labels[:bs - pad]
        if mode == "pad":
            assert sorted(seen) == [float(k) for k in range(n)]
        else:
            assert len(seen) == n // bs * bs and len(set(seen)) == len(seen)
        orders.append(seen)
    # the same seed, the same orders (Python's random.shuffle, as MXNet)
    random.seed(seed)
    again = [[v for labels, pad in ep for v in labels[:bs - pad]]
             for ep in _epochs(_iter(files, source, n, bs, mode, shuffle=True), 3)]
    assert again == orders


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, MAX_N), parts=st.integers(1, 4), bs=st.integers(1, 3),
       source=st.sampled_from(["imglist", "rec_idx"]))
def test_num_parts_split_the_images(files, n, parts, bs, source):
    per = n // parts
    if per == 0:
        return               # MXNet gives every part no image (and the iterator none)
    got = []
    for p in range(parts):
        it = _iter(files, source, n, bs, "pad", num_parts=parts, part_index=p)
        assert it.num_image == per
        seen = []
        for labels, pad in _epochs(it, 1)[0]:
            seen += labels[:bs - pad]
        assert seen == [float(k) for k in range(p * per, (p + 1) * per)]
        got += seen
    assert len(set(got)) == len(got) == per * parts


def test_is_a_dataiter_and_batches_are_databatches(files):
    it = _iter(files, "imglist", 5, 2, "pad")
    assert isinstance(it, mx.io.DataIter)
    batch = next(iter(it))
    assert isinstance(batch, mx.io.DataBatch)
    assert batch.data[0].shape == (2, 3, 6, 6) and batch.label[0].shape == (2,)
    # RGB, CHW, float32, the decoded pixels themselves (the default centre crop of a
    # 6x6 image is the image)
    onp.testing.assert_array_equal(batch.data[0].asnumpy()[0],
                                   files["arr"].transpose(2, 0, 1).astype("float32"))
    assert it.provide_data == [("data", (2, 3, 6, 6))]
    assert it.provide_label == [("softmax_label", (2,))]


def test_hard_reset_drops_the_rolled_over_images(files):
    it = _iter(files, "imglist", 5, 2, "roll_over")
    assert [b.label[0].asnumpy().tolist() for b in it] == [[0, 1], [2, 3]]
    it.hard_reset()
    assert [b.label[0].asnumpy().tolist() for b in it] == [[0, 1], [2, 3]]
    it.reset()               # the roll-over of image 4 is kept by reset()
    assert [(b.label[0].asnumpy().tolist(), b.pad) for b in it] == [([4, 0], 1), ([1, 2], 0),
                                                                    ([3, 4], 0)]


def test_np_mode_gives_np_arrays(files):
    mx.npx.set_np()
    it = _iter(files, "imglist", 3, 2, "pad")
    batch = it.next()
    assert isinstance(batch.data[0], mx.np.ndarray) and isinstance(batch.label[0], mx.np.ndarray)
    assert isinstance(it.imglist["1"][0], mx.np.ndarray)


# ----------------------------------------------------------------------------- errors
def test_missing_image_file_names_it(files, tmp_path):
    lst = tmp_path / "x.lst"
    lst.write_text("0\t1.0\ta.png\n1\t2.0\tmissing.png\n")
    it = mx.image.ImageIter(1, (3, 6, 6), path_imglist=str(lst), path_root=files["dir"])
    it.next()
    with pytest.raises(ImageIterFileError, match="missing.png.*x.lst"):
        it.next()


def test_missing_files_are_named(files, tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.lst"):
        mx.image.ImageIter(1, (3, 6, 6), path_imglist=str(tmp_path / "nothere.lst"))
    with pytest.raises(MXNetError, match="nothere.rec"):
        mx.image.ImageIter(1, (3, 6, 6), path_imgrec=str(tmp_path / "nothere.rec"))
    with pytest.raises(FileNotFoundError, match="nothere.idx"):
        mx.image.ImageIter(1, (3, 6, 6), path_imgrec=os.path.join(files["dir"], "r.rec"),
                           path_imgidx=str(tmp_path / "nothere.idx"))


def test_bad_lst_line_is_named(tmp_path):
    lst = tmp_path / "bad.lst"
    lst.write_text("0\t1.0\ta.png\nxx\t1.0\tb.png\n")
    with pytest.raises(ImageIterError, match=r"bad.lst, line 2"):
        mx.image.ImageIter(1, (3, 6, 6), path_imglist=str(lst))


def test_broken_record_names_its_key(files, tmp_path):
    rec = recordio.MXIndexedRecordIO(str(tmp_path / "b.idx"), str(tmp_path / "b.rec"), "w")
    rec.write_idx(0, recordio.pack(recordio.IRHeader(0, 0.0, 0, 0), files["png"]))
    rec.write_idx(7, recordio.pack(recordio.IRHeader(0, 1.0, 7, 0), b"not an image"))
    rec.close()
    it = mx.image.ImageIter(2, (3, 6, 6), path_imgrec=str(tmp_path / "b.rec"),
                            path_imgidx=str(tmp_path / "b.idx"))
    with pytest.raises(ImageIterDecodeError, match=r"b.rec.*record key 7") as info:
        it.next()
    assert isinstance(info.value, RuntimeError)     # as MXNet's 'Broken image' error
    seq = mx.image.ImageIter(2, (3, 6, 6), path_imgrec=str(tmp_path / "b.rec"))
    with pytest.raises(ImageIterDecodeError, match=r"record 1 \(in file order\)"):
        seq.next()


def test_truncated_image_names_its_record_at_the_sync_point(tmp_path):
    png, _ = _png(30, 30)
    rec = recordio.MXIndexedRecordIO(str(tmp_path / "t.idx"), str(tmp_path / "t.rec"), "w")
    rec.write_idx(3, recordio.pack(recordio.IRHeader(0, 1.0, 3, 0), png[:len(png) // 2]))
    rec.close()
    it = mx.image.ImageIter(1, (3, 6, 6), path_imgrec=str(tmp_path / "t.rec"),
                            path_imgidx=str(tmp_path / "t.idx"))
    batch = it.next()        # the header reads; the decode runs on a worker
    with pytest.raises(MXNetError, match=r"t.rec', record key 3: decoding failed"):
        batch.data[0].asnumpy()


def test_label_width_mismatch_names_the_record(files, tmp_path):
    rec = recordio.MXIndexedRecordIO(str(tmp_path / "m.idx"), str(tmp_path / "m.rec"), "w")
    rec.write_idx(0, recordio.pack(recordio.IRHeader(0, [1.0, 2.0, 3.0], 0, 0), files["png"]))
    rec.close()
    it = mx.image.ImageIter(1, (3, 6, 6), path_imgrec=str(tmp_path / "m.rec"), label_width=2)
    with pytest.raises(ImageIterError, match=r"m.rec.*record 0.*3 values, label_width is 2"):
        it.next()
    # one value fills every label place (MXNet broadcasts it)
    it = mx.image.ImageIter(1, (3, 6, 6), imglist=[[5.0, "a.png"]], path_root=files["dir"],
                            label_width=3)
    assert it.next().label[0].asnumpy().tolist() == [[5.0, 5.0, 5.0]]


def test_image_of_the_wrong_size_without_a_resize_is_named(files, tmp_path):
    big, _ = _png(8, 10)
    (tmp_path / "big.png").write_bytes(big)
    it = mx.image.ImageIter(1, (3, 6, 6), imglist=[[0.0, "big.png"]], path_root=str(tmp_path),
                            aug_list=[mx.image.CastAug()])
    with pytest.raises(ImageIterError, match=r"big.png.*\(3, 8, 10\).*ForceResizeAug"):
        it.next()


def test_bad_arguments():
    with pytest.raises(AssertionError, match="path_imgrec, path_imglist or an imglist"):
        mx.image.ImageIter(1, (3, 6, 6))
    with pytest.raises(AssertionError, match="last_batch_handle"):
        mx.image.ImageIter(1, (3, 6, 6), imglist=[[0.0, "a.png"]], last_batch_handle="x")
    with pytest.raises(AssertionError, match="batch_size"):
        mx.image.ImageIter(0, (3, 6, 6), imglist=[[0.0, "a.png"]])
    with pytest.raises(ValueError, match=r"imglist\[1\]"):
        mx.image.ImageIter(1, (3, 6, 6), imglist=[[0.0, "a.png"], ["x", "b.png"]])
    with pytest.raises(TypeError):
        mx.image.ImageIter(1, (3, 6, 6), imglist=[[0.0, "a.png"]], no_such_option=1)


# ----------------------------------------------------------------------------- detection
def _det_rec(tmp_path, files, labels):
    rec = recordio.MXIndexedRecordIO(str(tmp_path / "d.idx"), str(tmp_path / "d.rec"), "w")
    for k, lab in enumerate(labels):
        rec.write_idx(k, recordio.pack(recordio.IRHeader(0, lab, k, 0), files["png"]))
    rec.close()
    return str(tmp_path / "d.rec")


def test_det_bad_labels_name_the_record(files, tmp_path):
    good = [2, 5, 0, 0.1, 0.1, 0.5, 0.5]
    path = _det_rec(tmp_path, files, [good, [2, 5, 0, 0.1, 0.1, 0.5, 0.5, 1.0]])
    with pytest.raises(RuntimeError, match=r"d.rec.*record 1.*annotation width 5"):
        mx.image.ImageDetIter(1, (3, 6, 6), path_imgrec=path)
    path = _det_rec(tmp_path, files, [good, [2, 5, 0, 0.5, 0.1, 0.1, 0.5]])
    with pytest.raises(RuntimeError, match=r"record 1.*no valid label"):
        mx.image.ImageDetIter(1, (3, 6, 6), path_imgrec=path)


def test_det_labels_are_padded_with_minus_one_and_extra_header_skipped(files, tmp_path):
    labels = [[4, 6, 9, 9, 1, 0.1, 0.2, 0.5, 0.6, 1],
              [4, 6, 9, 9, 0, 0.0, 0.0, 1.0, 1.0, 0, 2, 0.2, 0.2, 0.4, 0.4, 1]]
    it = mx.image.ImageDetIter(2, (3, 6, 6), path_imgrec=_det_rec(tmp_path, files, labels))
    assert it.label_shape == (2, 6) and it.provide_label == [("label", (2, 2, 6))]
    got = it.next().label[0].asnumpy()
    onp.testing.assert_allclose(got, onp.array([[labels[0][4:10], [-1] * 6],
                                                [labels[1][4:10], labels[1][10:]]],
                                               dtype="float32"))


def test_draw_next_draws_the_boxes(files, tmp_path):
    labels = [[2, 5, 0, 0.0, 0.0, 0.5, 0.5]]
    it = mx.image.ImageDetIter(1, (3, 6, 6), path_imgrec=_det_rec(tmp_path, files, labels))
    images = list(it.draw_next(color=(255, 0, 0), thickness=1))
    assert len(images) == 1
    img = images[0]
    assert img.dtype == onp.uint8 and img.shape == (6, 6, 3)
    # BGR: red is (0, 0, 255); the box runs from pixel 0 to pixel 3 on both axes
    assert (img[0, 0:4] == (0, 0, 255)).all() and (img[0:4, 3] == (0, 0, 255)).all()
    inside = files["arr"][1:3, 1:3, ::-1]
    onp.testing.assert_array_equal(img[1:3, 1:3], inside)
