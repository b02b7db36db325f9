"""mx.recordio beyond the byte-level cases against MXNet (cases_recordio.py):
pack_img / unpack_img (MXNet needs cv2 for them, so there is no oracle), pickling,
errors, and the record datasets in a DataLoader."""
from __future__ import annotations

import pickle

import numpy as onp
import pytest

import ndengine as mx
from ndengine import recordio

pytest.importorskip("PIL")


def _img(h=5, w=6, c=3, seed=0):
    return onp.random.RandomState(seed).randint(0, 256, (h, w, c)).astype("uint8")


def test_pack_img_png_round_trip_is_exact_and_bgr():
    img = _img()
    s = recordio.pack_img(recordio.IRHeader(0, 2.0, 5, 0), img, quality=3, img_fmt=".png")
    header, out = recordio.unpack_img(s)
    assert header.label == 2.0 and header.id == 5
    onp.testing.assert_array_equal(out, img)
    _, rgb_decoded = recordio.unpack(s)
    onp.testing.assert_array_equal(mx.image.imdecode(rgb_decoded).asnumpy(), img[:, :, ::-1])
    _, gray = recordio.unpack_img(recordio.pack_img((0, 1.0, 0, 0), img[:, :, :1],
                                                    img_fmt=".png"))
    assert gray.shape == (5, 6)
    onp.testing.assert_array_equal(gray, img[:, :, 0])


def test_pack_img_jpeg_is_close():
    img = onp.full((8, 8, 3), (10, 120, 240), "uint8")
    _, out = recordio.unpack_img(recordio.pack_img((0, 0.0, 0, 0), img, quality=95), 1)
    assert onp.abs(out.astype(int) - img).max() <= 4


def test_pack_img_rejects_bad_input():
    with pytest.raises(ValueError, match="img_fmt"):
        recordio.pack_img((0, 0.0, 0, 0), _img(), img_fmt=".gif")
    with pytest.raises(TypeError, match="uint8"):
        recordio.pack_img((0, 0.0, 0, 0), _img().astype("float32"))


def test_reader_survives_pickling(tmp_path):
    rec, idx = str(tmp_path / "a.rec"), str(tmp_path / "a.idx")
    w = recordio.MXIndexedRecordIO(idx, rec, "w")
    for i in range(3):
        w.write_idx(i, b"record %d" % i)
    w.close()
    r = recordio.MXIndexedRecordIO(idx, rec, "r")
    r2 = pickle.loads(pickle.dumps(r))
    assert r2.read_idx(2) == b"record 2" and r2.keys == [0, 1, 2]
    with pytest.raises(KeyError, match="no record with key 9"):
        r2.read_idx(9)


def test_truncated_file_is_an_error(tmp_path):
    rec = str(tmp_path / "t.rec")
    w = recordio.MXRecordIO(rec, "w")
    w.write(b"x" * 10)
    w.close()
    with open(rec, "r+b") as f:
        f.truncate(12)
    with pytest.raises(recordio.RecordIOError, match="truncated"):
        recordio.MXRecordIO(rec, "r").read()
    with pytest.raises(recordio.RecordIOError, match="cannot open"):
        recordio.MXRecordIO(str(tmp_path / "none.rec"), "r")


def test_image_record_dataset_in_a_loader(tmp_path):
    rec, idx = str(tmp_path / "i.rec"), str(tmp_path / "i.idx")
    w = recordio.MXIndexedRecordIO(idx, rec, "w")
    imgs = [_img(seed=i) for i in range(5)]
    for i, img in enumerate(imgs):
        w.write_idx(i, recordio.pack_img((0, float(i), i, 0), img[:, :, ::-1], img_fmt=".png"))
    w.close()
    T = mx.gluon.data.vision.transforms
    ds = mx.gluon.data.vision.ImageRecordDataset(rec).transform_first(T.ToTensor())
    batches = list(mx.gluon.data.DataLoader(ds, 2, num_workers=4))
    assert [b[0].shape for b in batches] == [(2, 3, 5, 6), (2, 3, 5, 6), (1, 3, 5, 6)]
    onp.testing.assert_allclose(batches[1][0].asnumpy()[1], imgs[3].transpose(2, 0, 1) / 255,
                                rtol=1e-6)
    onp.testing.assert_array_equal(batches[2][1].asnumpy(), [4.0])
