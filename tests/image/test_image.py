"""mxnet.image and the image ops: gradients against finite differences, what runs
asynchronously, errors, decoding (Pillow), borders, seeds.  Values against real
MXNet are in tests/mxnet_diff/cases/cases_image.py."""
from __future__ import annotations

import io
import random
import sys

import numpy as onp
import pytest

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[1] / "autograd"))

import ndengine as mx  # noqa: E402
from ndengine import image, np  # noqa: E402
from ndengine.base import MXNetError  # noqa: E402
from ndengine.image import _ops  # noqa: E402
from ndengine.image import _resize  # noqa: E402

from ag_helpers import check_grad  # noqa: E402

PIL = pytest.importorskip("PIL.Image")


def _img(h=5, w=7, c=3, dtype="uint8", seed=0):
    return onp.random.RandomState(seed).randint(0, 256, (h, w, c)).astype(dtype)


# ----------------------------------------------------------------------------- gradients
def test_to_tensor_gradient():
    # the output is float32 whatever the input: differences over a wide step (it is linear)
    check_grad("to_tensor", _ops.to_tensor, [_img(3, 4).astype("float64")], eps=0.5,
               rtol=1e-4, atol=1e-6)


def test_to_tensor_gradient_of_a_batch():
    check_grad("to_tensor", _ops.to_tensor, [_img(3, 4).astype("float64")[None]], eps=0.5,
               rtol=1e-4, atol=1e-6)


def test_normalize_gradient():
    x = onp.random.RandomState(1).rand(3, 2, 4)
    check_grad("normalize", lambda a: _ops.normalize(a, (0.1, 0.2, 0.3), (0.5, 2.0, 4.0)), [x])


def test_crop_gradient():
    x = onp.random.RandomState(2).rand(2, 5, 6, 3)
    check_grad("crop", lambda a: _ops.crop(a, 1, 2, 3, 2), [x])


def test_flip_gradients():
    x = onp.random.RandomState(3).rand(3, 5, 2)
    check_grad("image_flip", _ops.flip_left_right, [x])
    check_grad("image_flip", _ops.flip_top_bottom, [x])


def test_rotate_gradient_wrt_the_image():
    x = onp.random.RandomState(4).rand(1, 2, 4, 5).astype("float32")
    xs = np.array(x)
    xs.attach_grad()
    head = onp.random.RandomState(5).rand(1, 2, 4, 5).astype("float32")
    with mx.autograd.record():
        y = image.imrotate(xs, 33.0)
        loss = (y * np.array(head)).sum()
    loss.backward()
    # the op is linear in the image: its gradient is the transpose of the map
    basis = onp.eye(x.size, dtype="float32").reshape((x.size,) + x.shape)
    cols = onp.stack([image.imrotate(np.array(b), 33.0).asnumpy().reshape(-1) for b in basis],
                     axis=1)
    want = (cols.T @ head.reshape(-1)).reshape(x.shape)
    onp.testing.assert_allclose(xs.grad.asnumpy(), want, rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------------- async
def test_ops_return_before_their_values(monkeypatch):
    """The ops push and return: an op blocked in the engine does not block the call."""
    import threading

    gate = threading.Event()
    x = np.array(_img())
    from ndengine import engine

    engine.push(lambda: gate.wait(5), (), (x._var,), x.device, 0, "hold")
    outs = [_ops.to_tensor(x), _ops.resize(x, (3, 2)), _ops.random_brightness(x, 0.5, 1.5),
            _ops.flip_left_right(x), image.imresize(x, 4, 4), _ops.random_color_jitter(x, 0.2)]
    assert [o.shape for o in outs] == [(3, 5, 7), (2, 3, 3), (5, 7, 3), (5, 7, 3), (4, 4, 3),
                                       (5, 7, 3)]
    gate.set()
    mx.waitall()


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("fn,msg", [
    (lambda: _ops.to_tensor(np.ones((2, 3))), r"to_tensor: .*\(H, W, C\).*\(2, 3\).*cpu"),
    (lambda: _ops.normalize(np.ones((4, 2, 2)), 0.5, 1.0), r"normalize: .*1 or 3.*\(4, 2, 2\)"),
    (lambda: _ops.resize(np.ones((2, 3, 3), dtype="int32"), 2), r"resize: .*int32"),
    (lambda: _ops.resize(np.ones((2, 3, 3)), (2, 2), False, 7), r"resize: interpolation"),
    (lambda: _ops.crop(np.ones((2, 3, 3)), 2, 0, 2, 1), r"crop: .*does not fit"),
    (lambda: _ops.random_brightness(np.ones((2, 2, 2)), 1, 2), r"random_brightness: .*1 or 3"),
    (lambda: image.imresize(np.ones((2, 3)), 2, 2), r"imresize: .*\(H, W, C\)"),
    (lambda: image.imresize(onp.ones((2, 3, 3)), 2, 2), r"imresize: expected an image"),
    (lambda: image.copyMakeBorder(np.ones((2, 2, 1)), 1, 1, 1, 1, type=9), r"type"),
    (lambda: image.imrotate(np.ones((3, 3, 3)), 10, zoom_in=True, zoom_out=True), r"zoom"),
])
def test_bad_input_fails_at_the_call(fn, msg):
    with pytest.raises((MXNetError, ValueError, TypeError), match=msg):
        fn()


def test_interp_codes():
    assert image.image._get_interp_method(9, (2, 2, 4, 4)) == 2
    assert image.image._get_interp_method(9, (4, 4, 2, 2)) == 3
    assert image.image._get_interp_method(9, (4, 2, 2, 4)) == 1
    random.seed(0)
    assert {image.image._get_interp_method(10) for _ in range(50)} == {0, 1, 2, 3, 4}
    with pytest.raises(ValueError, match="Unknown interp"):
        image.image._get_interp_method(7)


# ----------------------------------------------------------------------------- resize
def test_resize_kernel_matches_a_plain_reference_for_float_bilinear():
    """Bilinear with the pixel-centre rule, written out with loops (small image)."""
    x = onp.random.RandomState(6).rand(4, 5, 2).astype("float32")
    h, w = 7, 3
    want = onp.zeros((h, w, 2), "float32")
    for i in range(h):
        fy = (i + 0.5) * 4 / h - 0.5
        y0 = int(onp.floor(fy))
        ty = fy - y0
        for j in range(w):
            fx = (j + 0.5) * 5 / w - 0.5
            x0 = int(onp.floor(fx))
            tx = fx - x0
            if x0 < 0 or x0 >= 4:
                x0, tx = min(max(x0, 0), 4), 0.0
            ys = [min(max(y0, 0), 3), min(max(y0 + 1, 0), 3)]
            xs = [x0, min(x0 + 1, 4)]
            want[i, j] = ((1 - ty) * ((1 - tx) * x[ys[0], xs[0]] + tx * x[ys[0], xs[1]])
                          + ty * ((1 - tx) * x[ys[1], xs[0]] + tx * x[ys[1], xs[1]]))
    onp.testing.assert_allclose(_resize.resize_kernel(onp, x, h, w, 1), want, rtol=1e-5)


def test_resize_area_of_whole_factor_is_the_box_mean():
    x = onp.random.RandomState(7).rand(6, 8, 3).astype("float32")
    want = x.reshape(3, 2, 2, 4, 3).mean(axis=(1, 3))
    onp.testing.assert_allclose(_resize.resize_kernel(onp, x, 3, 2, 3), want, rtol=1e-6)


def test_resize_batch_is_per_image():
    xs = onp.stack([_img(seed=s) for s in range(3)])
    batch = _ops.resize(np.array(xs), (4, 9), False, 2).asnumpy()
    for i in range(3):
        onp.testing.assert_array_equal(batch[i], _ops.resize(np.array(xs[i]), (4, 9), False,
                                                             2).asnumpy())


def test_nearest_picks_source_pixels():
    x = _img(4, 6)
    out = _resize.resize_kernel(onp, x, 2, 3, 0)
    onp.testing.assert_array_equal(out, x[::2, ::2])


# ----------------------------------------------------------------------------- decoding
def _encode(arr, fmt, **kw):
    buf = io.BytesIO()
    mode = "L" if arr.shape[2] == 1 else "RGB"
    PIL.fromarray(arr.reshape(arr.shape[:2]) if mode == "L" else arr, mode).save(buf, fmt, **kw)
    return buf.getvalue()


def test_imdecode_png_is_exact_and_bgr_on_request():
    arr = _img(6, 4)
    data = _encode(arr, "PNG")
    onp.testing.assert_array_equal(image.imdecode(data).asnumpy(), arr)
    onp.testing.assert_array_equal(image.imdecode(data, to_rgb=False).asnumpy(), arr[:, :, ::-1])


def test_imdecode_jpeg_is_close():
    arr = onp.clip(onp.arange(16 * 16 * 3).reshape(16, 16, 3), 0, 255).astype("uint8")
    out = image.imdecode(_encode(arr, "JPEG", quality=95)).asnumpy()
    assert out.shape == (16, 16, 3) and out.dtype == onp.uint8
    assert onp.abs(out.astype(int) - arr).mean() < 4
    gray = image.imdecode(_encode(arr, "JPEG", quality=95), flag=0)
    assert gray.shape == (16, 16, 1)


def test_imdecode_applies_exif_orientation():
    arr = _img(2, 5)
    img = PIL.fromarray(arr)
    exif = img.getexif()
    exif[0x0112] = 6                       # rotate 90 degrees clockwise to display
    buf = io.BytesIO()
    img.save(buf, "PNG", exif=exif.tobytes())
    out = image.imdecode(buf.getvalue())
    assert out.shape == (5, 2, 3)
    onp.testing.assert_array_equal(out.asnumpy(), onp.rot90(arr, -1))


def test_imdecode_16_bit_png_scales_to_8_bits():
    arr = (onp.arange(12).reshape(3, 4) * 5000).astype("uint16")
    buf = io.BytesIO()
    PIL.fromarray(arr).save(buf, "PNG")
    out = image.imdecode(buf.getvalue(), flag=0).asnumpy()
    onp.testing.assert_array_equal(out[:, :, 0], (arr >> 8).astype("uint8"))


def test_imdecode_into_out():
    arr = _img(3, 3)
    out = np.zeros((3, 3, 3), dtype="uint8")
    assert image.imdecode(_encode(arr, "PNG"), out=out) is out
    onp.testing.assert_array_equal(out.asnumpy(), arr)


def test_imread_without_pillow_says_pip_install(monkeypatch, tmp_path):
    path = tmp_path / "a.png"
    path.write_bytes(_encode(_img(2, 2), "PNG"))
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        image.imread(str(path))


def test_imread_missing_file():
    with pytest.raises(FileNotFoundError, match="couldn't open file"):
        image.imread("/no/such/file.png")


# ----------------------------------------------------------------------------- borders
@pytest.mark.parametrize("kind,mode", [(1, "symmetric"), (2, "reflect"), (3, "edge"),
                                       (4, "wrap")])
def test_copy_make_border_modes_are_opencvs(kind, mode):
    x = _img(3, 4)
    out = image.copyMakeBorder(np.array(x), 2, 1, 3, 2, type=kind).asnumpy()
    onp.testing.assert_array_equal(out, onp.pad(x, ((2, 1), (3, 2), (0, 0)), mode=mode))


def test_copy_make_border_constant_values():
    x = _img(2, 2)
    out = image.copyMakeBorder(np.array(x), 1, 0, 0, 1, values=(1, 2, 3)).asnumpy()
    assert out.shape == (3, 3, 3)
    onp.testing.assert_array_equal(out[0, 0], [1, 2, 3])
    onp.testing.assert_array_equal(out[1:, :2], x)
    assert (image.copyMakeBorder(np.array(x), 1, 1, 1, 1, value=7).asnumpy()[0] == 7).all()


# ----------------------------------------------------------------------------- randomness
def test_random_ops_repeat_for_a_seed():
    x = np.array(_img())
    outs = []
    for _ in range(2):
        mx.random.seed(42)
        outs.append([_ops.random_color_jitter(x, 0.3, 0.3, 0.3, 0.1).asnumpy(),
                     _ops.random_flip_left_right(np.stack([x] * 6)).asnumpy(),
                     _ops.random_lighting(x.astype("float32"), 0.5).asnumpy()])
    for a, b in zip(*outs):
        onp.testing.assert_array_equal(a, b)


def test_random_flip_of_a_batch_draws_per_image():
    x = np.array(onp.stack([_img(seed=s) for s in range(16)]))
    mx.random.seed(0)
    out = _ops.random_flip_left_right(x).asnumpy()
    flipped = [onp.array_equal(out[i], x.asnumpy()[i, :, ::-1]) for i in range(16)]
    kept = [onp.array_equal(out[i], x.asnumpy()[i]) for i in range(16)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 0 < sum(flipped) < 16


def test_random_brightness_factor_in_range():
    x = np.full((2, 2, 3), 100.0)
    vals = {float(_ops.random_brightness(x, 0.5, 1.5).asnumpy()[0, 0, 0]) for _ in range(20)}
    assert all(50 <= v <= 150 for v in vals) and len(vals) > 10


def test_augmenters_follow_pythons_random():
    x = np.array(_img(8, 10))
    random.seed(3)
    a = image.RandomCropAug((4, 4))(x).asnumpy()
    random.seed(3)
    b = image.random_crop(x, (4, 4))[0].asnumpy()
    onp.testing.assert_array_equal(a, b)


def test_create_augmenter_checks_mean():
    with pytest.raises(ValueError, match="mean must have 1 or 3"):
        image.CreateAugmenter((3, 4, 4), mean=onp.zeros(2))
    with pytest.raises(ValueError, match="rand_resize requires rand_crop"):
        image.CreateAugmenter((3, 4, 4), rand_resize=True)
