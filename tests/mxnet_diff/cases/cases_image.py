"""mxnet.image and the image ops (npx.image): OpenCV's resize, crops, decoding, the
colour ops with fixed factors, and their errors."""
import importlib
import random
import struct
import zlib

import numpy as onp

from _diff import case


def _ops(mx):
    """MXNet's npx.image; ndengine's image ops module where npx has no image yet."""
    return mx.npx.image if hasattr(mx.npx, "image") else \
        importlib.import_module("mxnet.image._ops")


def _img(np, h=5, w=7, c=3, dtype="uint8", seed=0):
    rs = onp.random.RandomState(seed)
    x = rs.randint(0, 256, (h, w, c))
    if dtype != "uint8":
        x = x + rs.rand(h, w, c)
    return np.array(x.astype(dtype), dtype=dtype)


def _nd(mx, a, dtype="float32"):
    """A legacy mx.nd array (an np array where ndengine has no mx.nd.array yet: the
    cases return NumPy copies, so the result is the same either way)."""
    a = onp.asarray(a).astype(dtype)
    return mx.nd.array(a, dtype=dtype) if hasattr(mx.nd, "array") else mx.np.array(a, dtype=dtype)


def _host(xs):
    return [x.asnumpy() for x in xs]


def _png(arr):
    """PNG bytes of a uint8 (H, W, C) array (C = 1, 3 or 4), written by hand."""
    h, w, c = arr.shape
    kind = {1: 0, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + arr[i].tobytes() for i in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + \
            struct.pack(">I", zlib.crc32(tag + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, kind, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# ----------------------------------------------------------------------------- imresize
@case
def imresize_uint8_each_method_shrink(mx, np, npx):
    x = _img(np, 9, 13)
    return [mx.image.imresize(x, 5, 4, interp=i) for i in range(5)]


@case
def imresize_uint8_each_method_enlarge(mx, np, npx):
    x = _img(np, 5, 7)
    return [mx.image.imresize(x, 11, 8, interp=i) for i in range(5)]


@case
def imresize_uint8_mixed_and_whole_factors(mx, np, npx):
    x = _img(np, 12, 8, 1)
    return [mx.image.imresize(x, w, h, interp=i) for (w, h) in ((4, 6), (4, 24), (16, 3))
            for i in range(5)]


@case(rtol=1e-4, atol=1e-3)
def imresize_float32_each_method(mx, np, npx):
    x = _img(np, 6, 9, 3, "float32")
    return [mx.image.imresize(x, w, h, interp=i) for (w, h) in ((4, 3), (13, 10))
            for i in range(5)]


@case
def imresize_28_to_224_bilinear_like_fashion_mnist(mx, np, npx):
    x = _img(np, 28, 28, 1, seed=3)
    return mx.image.imresize(x, 224, 224, interp=1)[100:110, 50:60]


@case
def imresize_same_size_is_a_copy(mx, np, npx):
    x = _img(np)
    y = mx.image.imresize(x, 7, 5)
    y[0, 0, 0] = 0
    return x[0, 0, 0], y.shape


@case
def resize_short_interp_9_picks_by_direction(mx, np, npx):
    x = _img(np, 6, 8)
    return mx.image.resize_short(x, 3, interp=9), mx.image.resize_short(x, 12, interp=9)


@case
def imresize_of_2d_array_fails(mx, np, npx):
    return mx.image.imresize(_img(np)[:, :, 0], 3, 2)


@case
def imresize_to_width_0_fails(mx, np, npx):
    return mx.image.imresize(_img(np), 0, 3)


# ----------------------------------------------------------------------------- crops
@case
def scale_down_fits_the_crop(mx, np, npx):
    return (mx.image.scale_down((640, 480), (720, 120)), mx.image.scale_down((100, 50), (20, 80)),
            mx.image.scale_down((10, 10), (5, 5)))


@case
def resize_short_keeps_the_aspect(mx, np, npx):
    x = _img(np, 6, 10)
    return mx.image.resize_short(x, 3), mx.image.resize_short(x.transpose(1, 0, 2), 4, interp=1)


@case
def fixed_crop_and_resize(mx, np, npx):
    x = _img(np, 6, 8)
    return mx.image.fixed_crop(x, 1, 2, 4, 3), mx.image.fixed_crop(x, 1, 2, 4, 3, (6, 5))


@case
def center_crop_returns_image_and_box(mx, np, npx):
    x = _img(np, 6, 8)
    return mx.image.center_crop(x, (4, 2)), mx.image.center_crop(x, (10, 9))


@case
def random_crop_follows_pythons_random(mx, np, npx):
    random.seed(7)
    x = _img(np, 10, 12)
    return [mx.image.random_crop(x, (5, 4)) for _ in range(3)]


@case
def random_size_crop_follows_pythons_random(mx, np, npx):
    random.seed(3)
    x = _img(np, 16, 20)
    return [mx.image.random_size_crop(x, (6, 6), 0.3, (0.75, 1.33), interp=1)
            for _ in range(3)]


@case
def color_normalize_in_place(mx, np, npx):
    x = _img(np, 3, 4, 3, "float32")
    out = mx.image.color_normalize(x, np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 8.0]))
    return out, x


# ----------------------------------------------------------------------------- decoding
@case
def imdecode_png_rgb_bgr_gray(mx, np, npx):
    arr = onp.random.RandomState(1).randint(0, 256, (5, 6, 3)).astype("uint8")
    data = _png(arr)
    return (mx.image.imdecode(data), mx.image.imdecode(data, to_rgb=False),
            mx.image.imdecode(bytearray(data)), mx.image.imdecode(onp.frombuffer(data, "uint8")))


@case
def imdecode_png_greyscale_flag_0(mx, np, npx):
    arr = onp.random.RandomState(2).randint(0, 256, (4, 3, 1)).astype("uint8")
    return mx.image.imdecode(_png(arr), flag=0), mx.image.imdecode(_png(arr))


@case
def imdecode_png_rgba_drops_alpha(mx, np, npx):
    arr = onp.random.RandomState(3).randint(0, 256, (3, 4, 4)).astype("uint8")
    return mx.image.imdecode(_png(arr))


@case
def imread_a_png_file(mx, np, npx):
    arr = onp.random.RandomState(4).randint(0, 256, (7, 5, 3)).astype("uint8")
    with open("img.png", "wb") as f:
        f.write(_png(arr))
    return mx.image.imread("img.png"), mx.image.imread("img.png", 0).shape


@case
def imdecode_of_bad_bytes_fails(mx, np, npx):
    return mx.image.imdecode(b"notanimage")


@case
def imdecode_of_str_fails(mx, np, npx):
    return mx.image.imdecode("abc")


@case
def imread_of_missing_file_fails(mx, np, npx):
    return mx.image.imread("no_such_file.png")


# ----------------------------------------------------------------------------- rotation
@case(mode="nd", rtol=1e-4, atol=1e-4)
def imrotate_with_and_without_zoom(mx, np, npx):
    x = _nd(mx, onp.arange(2 * 4 * 5).reshape(2, 4, 5))
    return _host([mx.image.imrotate(x, 30), mx.image.imrotate(x, -50, zoom_in=True),
                  mx.image.imrotate(x, 30, zoom_out=True)])


@case(mode="nd", rtol=1e-4, atol=1e-4)
def imrotate_batch_with_one_angle_each(mx, np, npx):
    x = _nd(mx, onp.arange(2 * 1 * 3 * 4).reshape(2, 1, 3, 4))
    return mx.image.imrotate(x, _nd(mx, [90.0, 180.0])).asnumpy()


@case
def imrotate_of_uint8_fails(mx, np, npx):
    return mx.image.imrotate(_img(np).transpose(2, 0, 1), 30)


# ----------------------------------------------------------------------------- image ops
@case
def to_tensor_single_batch_and_dtypes(mx, np, npx):
    I = _ops(mx)
    x = _img(np, 4, 5)
    return (I.to_tensor(x), I.to_tensor(np.stack([x, x])), I.to_tensor(x.astype("float32")),
            I.to_tensor(x.astype("float64")).dtype)


@case
def to_tensor_of_2d_fails(mx, np, npx):
    return _ops(mx).to_tensor(_img(np)[:, :, 0])


@case
def normalize_per_channel_and_scalar(mx, np, npx):
    I = _ops(mx)
    t = I.to_tensor(_img(np, 4, 5))
    return (I.normalize(t, (0.1, 0.2, 0.3), (0.5, 0.6, 0.7)), I.normalize(t, 0.5, 2.0),
            I.normalize(np.stack([t, t]), (0.1, 0.2, 0.3), (0.5, 0.6, 0.7)),
            I.normalize(t[:1], 0.5, 0.25))


@case
def normalize_keeps_uint8(mx, np, npx):
    return _ops(mx).normalize(_img(np, 4, 5).transpose(2, 0, 1), 0.5, 2.0)


@case
def normalize_of_4_channels_fails(mx, np, npx):
    return _ops(mx).normalize(np.ones((4, 2, 2)), (0.1, 0.2, 0.3, 0.4), (1, 1, 1, 1))


@case
def normalize_of_hwc_image_fails(mx, np, npx):
    return _ops(mx).normalize(np.ones((2, 2, 3)), 0.5, 2.0)


@case
def normalize_with_2_means_for_3_channels_fails(mx, np, npx):
    return _ops(mx).normalize(np.ones((3, 2, 2)), (0.5, 0.2), 2.0)


@case
def resize_op_size_forms_and_batch(mx, np, npx):
    I = _ops(mx)
    x = _img(np, 4, 6)
    return (I.resize(x, 3), I.resize(x, 3, True), I.resize(x.transpose(1, 0, 2), 3, True),
            I.resize(x, (2, 7)), I.resize(np.stack([x, x]), (5, 3)),
            I.resize(x.astype("float32"), (5, 3), False, 2))


@case
def resize_op_of_size_0_fails(mx, np, npx):
    return _ops(mx).resize(_img(np), 0)


@case
def resize_op_of_3_sizes_fails(mx, np, npx):
    return _ops(mx).resize(_img(np), (1, 2, 3))


@case
def crop_op_single_and_batch(mx, np, npx):
    I = _ops(mx)
    x = _img(np, 4, 5)
    return I.crop(x, 1, 2, 3, 2), I.crop(np.stack([x, x]), 0, 1, 2, 3)


@case
def crop_op_out_of_the_image_fails(mx, np, npx):
    return _ops(mx).crop(_img(np, 4, 5), 3, 2, 3, 2)


@case
def flips(mx, np, npx):
    I = _ops(mx)
    x = _img(np, 4, 6)
    return I.flip_left_right(x), I.flip_top_bottom(x)


@case(differs="MXNet's flips swap rows (columns) pairwise and never copy the middle one "
              "of an odd height (width): that row of the result is garbage")
def flip_of_odd_height_keeps_the_middle_row(mx, np, npx):
    return _ops(mx).flip_top_bottom(_img(np, 3, 4))


@case
def brightness_contrast_hue_with_a_fixed_factor(mx, np, npx):
    I = _ops(mx)
    x = _img(np, 4, 5)
    xf = x.astype("float32")
    return (I.random_brightness(x, 1.3, 1.3), I.random_brightness(xf, 0.6, 0.6),
            I.random_contrast(x, 1.3, 1.3), I.random_contrast(xf, 0.7, 0.7),
            I.random_contrast(x[:, :, :1], 1.5, 1.5),
            I.random_hue(x, 0.1, 0.1), I.random_hue(xf, 0.35, 0.35), I.random_hue(xf, 1.0, 1.0))


@case(differs="MXNet's saturation kernel overwrites the grey level in its channel loop, "
              "so its 'grey' is 0.114 * B alone; ndengine blends with "
              "0.299 R + 0.587 G + 0.114 B as documented")
def saturation_with_a_fixed_factor(mx, np, npx):
    return _ops(mx).random_saturation(_img(np, 4, 5).astype("float32"), 0.6, 0.6)


@case
def saturation_of_one_channel_is_a_copy(mx, np, npx):
    return _ops(mx).random_saturation(_img(np, 4, 5, 1), 1.3, 1.3)


@case
def brightness_keeps_int32_unclamped(mx, np, npx):
    x = np.array([[[250, 250, 250]], [[0, 0, 0]]], dtype="int32")
    return _ops(mx).random_brightness(x, 2.0, 2.0)


@case
def brightness_with_negative_factor_fails(mx, np, npx):
    return _ops(mx).random_brightness(np.ones((2, 2, 3)), -1, 1)


@case(rtol=1e-5, atol=1e-4)
def adjust_lighting_float_and_uint8(mx, np, npx):
    I = _ops(mx)
    x = _img(np, 2, 2)
    return (I.adjust_lighting(x.astype("float32"), (0.1, 0.2, 0.3)),
            I.adjust_lighting(x, (-1, -2, -3)), I.adjust_lighting(x, (1, 2, 3)),
            I.adjust_lighting(x.astype("float64"), (0.1, 0.2, 0.3)).dtype)


@case(differs="MXNet's adjust_lighting writes nothing for a 1-channel image (the output "
              "is all zeros); ndengine returns the image unchanged")
def adjust_lighting_of_one_channel(mx, np, npx):
    return _ops(mx).adjust_lighting(_img(np, 2, 3, 1, "float32"), (0.1, 0.2, 0.3))


@case(values=False)
def random_ops_shapes_and_dtypes(mx, np, npx):
    I = _ops(mx)
    x = _img(np, 4, 5)
    return (I.random_flip_left_right(x), I.random_flip_top_bottom(x),
            I.random_color_jitter(x, 0.1, 0.1, 0.1, 0.1), I.random_lighting(x, 0.1),
            I.random_lighting(x.astype("float32"), 0.1), I.random_brightness(x, 0.5, 1.5))


@case(differs="MXNet's random flips and colour ops take one (H, W, C) image; ndengine "
              "also takes (N, H, W, C) batches, with one draw per image")
def random_ops_take_batches(mx, np, npx):
    x = np.stack([_img(np, 4, 5), _img(np, 4, 5, seed=1)])
    return _ops(mx).random_brightness(x, 1.0, 1.0)


# ----------------------------------------------------------------------------- augmenters
@case(mode="nd")
def augmenters_deterministic(mx, np, npx):
    x = _nd(mx, _img(np, 6, 8).asnumpy(), "uint8")
    return _host([mx.image.ResizeAug(4)(x), mx.image.ForceResizeAug((5, 3))(x),
                  mx.image.CenterCropAug((4, 4))(x), mx.image.CastAug()(x),
                  mx.image.HorizontalFlipAug(1.0)(x), mx.image.HorizontalFlipAug(0.0)(x)])


@case(mode="nd", rtol=1e-4, atol=1e-3)
def augmenters_random_follow_pythons_random(mx, np, npx):
    random.seed(11)
    onp.random.seed(11)
    x = _nd(mx, _img(np, 6, 8).asnumpy())
    augs = [mx.image.RandomCropAug((4, 3)), mx.image.RandomSizedCropAug((4, 4), 0.5, (0.8, 1.2)),
            mx.image.BrightnessJitterAug(0.3), mx.image.ContrastJitterAug(0.3),
            mx.image.SaturationJitterAug(0.3), mx.image.HueJitterAug(0.3),
            mx.image.RandomGrayAug(1.0),
            mx.image.LightingAug(0.1, onp.array([55.46, 4.794, 1.148]),
                                 onp.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                                            [-0.5836, -0.6948, 0.4203]])),
            mx.image.ColorNormalizeAug(_nd(mx, [1.0, 2.0, 3.0]), _nd(mx, [2.0, 2.0, 2.0]))]
    return _host([a(x.copy()) for a in augs])


@case(mode="nd", rtol=1e-4, atol=1e-3)
def create_augmenter_list_and_run(mx, np, npx):
    random.seed(5)
    onp.random.seed(5)
    augs = mx.image.CreateAugmenter((3, 4, 4), resize=5, rand_crop=True, rand_mirror=True,
                                    mean=True, std=True, brightness=0.1, contrast=0.1,
                                    saturation=0.1, hue=0.1, pca_noise=0.1, rand_gray=0.5)
    y = _nd(mx, _img(np, 6, 7).asnumpy(), "uint8")
    for a in augs:
        y = a(y)
    return [str(a.dumps()) for a in augs], y.asnumpy()


@case
def augmenter_dumps(mx, np, npx):
    return (mx.image.ResizeAug(4, 1).dumps(), mx.image.CastAug().dumps(),
            mx.image.SequentialAug([mx.image.CastAug()]).dumps())


# ----------------------------------------------------------------------------- detection
def _det_label():
    return onp.array([[0, 0.1, 0.2, 0.5, 0.6], [1, 0.4, 0.3, 0.9, 0.8],
                      [2, 0.05, 0.7, 0.2, 0.95]])


@case(mode="nd")
def det_flip_crop_pad_follow_pythons_random(mx, np, npx):
    x = _nd(mx, _img(np, 20, 30).asnumpy(), "uint8")
    out = []
    for seed, aug in ((1, mx.image.DetHorizontalFlipAug(1.0)),
                      (2, mx.image.DetRandomCropAug(min_object_covered=0.3)),
                      (3, mx.image.DetRandomCropAug(area_range=(0.3, 0.6), min_eject_coverage=0.5)),
                      (4, mx.image.DetRandomPadAug(pad_val=(1, 2, 3))),
                      (5, mx.image.DetRandomPadAug(area_range=(1.5, 2.0), pad_val=(7,)))):
        random.seed(seed)
        img, label = aug(x, _det_label())
        out.append((img.asnumpy(), label))
    return out


@case(mode="nd", rtol=1e-4, atol=1e-3)
def create_det_augmenter_list_and_run(mx, np, npx):
    random.seed(9)
    onp.random.seed(9)
    augs = mx.image.CreateDetAugmenter((3, 16, 16), resize=24, rand_crop=0.7, rand_pad=0.7,
                                       rand_mirror=True, mean=True, std=True, brightness=0.1,
                                       hue=0.1, pca_noise=0.05, rand_gray=0.3,
                                       min_object_covered=[0.1, 0.5], area_range=(0.3, 2.0))
    outs = []
    for k in range(3):
        img, label = _nd(mx, _img(np, 20, 30, seed=k).asnumpy(), "uint8"), _det_label()
        for a in augs:
            img, label = a(img, label)
        outs.append((img.asnumpy(), label))
    return [str(a.dumps()) for a in augs], outs


@case(mode="nd", differs="MXNet's DetRandomPadAug means `(pad_val)` as a tuple, but it is "
                         "the number itself: OpenCV then pads with (v, 0, 0); ndengine fills "
                         "every channel with v")
def det_pad_with_one_number_fills_every_channel(mx, np, npx):
    random.seed(5)
    img, _ = mx.image.DetRandomPadAug(pad_val=7)(_nd(mx, _img(np, 6, 8).asnumpy(), "uint8"),
                                                _det_label())
    return img.asnumpy()[0, 0]


@case
def det_random_select_of_non_det_augmenter_fails(mx, np, npx):
    return mx.image.DetRandomSelectAug([mx.image.CastAug()])


@case
def det_borrow_of_non_augmenter_fails(mx, np, npx):
    return mx.image.DetBorrowAug(lambda x: x)
