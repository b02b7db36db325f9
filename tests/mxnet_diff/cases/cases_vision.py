"""gluon.data.vision: the transforms (values where they are deterministic or follow
Python's random) and the datasets read from small synthetic files in MXNet's formats."""
import gzip
import os
import random
import struct
import zlib

import numpy as onp

from _diff import case


def _T(mx):
    return mx.gluon.data.vision.transforms


def _img(np, h=6, w=8, c=3, dtype="uint8", seed=0):
    rs = onp.random.RandomState(seed)
    return np.array(rs.randint(0, 256, (h, w, c)).astype(dtype), dtype=dtype)


def _nd(mx, a, dtype="float32"):
    a = onp.asarray(a).astype(dtype)
    return mx.nd.array(a, dtype=dtype) if hasattr(mx.nd, "array") else mx.np.array(a, dtype=dtype)


def _offline(mx):
    """Real MXNet downloads any file whose SHA-1 is not the published one: serve the
    synthetic files in root as they are (ndengine uses files in root as they are)."""
    ds = mx.gluon.data.vision.datasets
    if hasattr(ds, "download"):
        ds.download = lambda url, path=None, sha1_hash=None, **kw: \
            os.path.join(path, url.split("/")[-1])
        ds.check_sha1 = lambda *a, **kw: True


def _write_idx(root, prefix, n, seed):
    rs = onp.random.RandomState(seed)
    os.makedirs(root, exist_ok=True)
    imgs = rs.randint(0, 256, (n, 28, 28)).astype("uint8")
    labels = rs.randint(0, 10, n).astype("uint8")
    with gzip.open(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">IIII", 2051, n, 28, 28) + imgs.tobytes())
    with gzip.open(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">II", 2049, n) + labels.tobytes())


def _write_cifar(root, names, n, label_bytes, seed):
    rs = onp.random.RandomState(seed)
    os.makedirs(root, exist_ok=True)
    for name in names:
        rec = onp.concatenate([rs.randint(0, 20 if label_bytes == 2 else 10, (n, label_bytes)),
                               rs.randint(0, 256, (n, 3072))], axis=1).astype("uint8")
        if label_bytes == 2:
            rec[:, 1] = rs.randint(0, 100, n)
        with open(os.path.join(root, name), "wb") as f:
            f.write(rec.tobytes())


def _png(arr):
    h, w, c = arr.shape
    raw = b"".join(b"\x00" + arr[i].tobytes() for i in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + \
            struct.pack(">I", zlib.crc32(tag + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# ----------------------------------------------------------------------------- transforms
@case
def to_tensor_and_normalize(mx, np, npx):
    T = _T(mx)
    x = _img(np, 4, 5)
    t = T.ToTensor()(x)
    return (t, T.ToTensor()(np.stack([x, x])),
            T.Normalize((0.5, 0.4, 0.3), (0.2, 0.25, 0.3))(t),
            T.Normalize(0.5, 0.25)(T.ToTensor()(np.stack([x, x]))))


@case
def resize_forms(mx, np, npx):
    T = _T(mx)
    x = _img(np, 6, 9)
    return (T.Resize(4)(x), T.Resize((5, 3))(x), T.Resize(4, keep_ratio=True)(x),
            T.Resize((12, 10), interpolation=2)(x), T.Resize(4)(np.stack([x, x])),
            T.Resize(3, interpolation=0)(x))


@case
def compose_resize_to_tensor_like_d2l(mx, np, npx):
    T = _T(mx)
    trans = T.Compose([T.Resize((32, 32)), T.ToTensor()])
    return trans(_img(np, 28, 28, 1)), len(trans)


@case
def compose_groups_hybrid_blocks(mx, np, npx):
    T = _T(mx)
    trans = T.Compose([T.Resize(4), T.CenterCrop(3), T.ToTensor(), T.Normalize(0.5, 0.5)])
    return len(trans), [type(b).__name__ for b in trans], trans(_img(np))


@case
def cast_transform(mx, np, npx):
    T = _T(mx)
    x = _img(np)
    return T.Cast()(x), T.Cast("float64")(x), T.Cast("int32")(x)


@case
def center_crop_transform(mx, np, npx):
    T = _T(mx)
    x = _img(np, 6, 8)
    return T.CenterCrop(4)(x), T.CenterCrop((5, 3))(x), T.CenterCrop(10)(x)


@case
def random_resized_crop_follows_pythons_random(mx, np, npx):
    random.seed(4)
    T = _T(mx)
    x = _img(np, 12, 16)
    t = T.RandomResizedCrop(5)
    return [t(x) for _ in range(3)] + [T.RandomResizedCrop((6, 4), scale=(0.5, 0.9))(x)]


@case
def random_apply_follows_pythons_random(mx, np, npx):
    random.seed(1)
    T = _T(mx)
    t = T.RandomApply(T.Resize(3), p=0.5)
    x = _img(np)
    return [t(x).shape for _ in range(6)]


@case(values=False)
def random_transforms_shapes_and_dtypes(mx, np, npx):
    T = _T(mx)
    x = _img(np)
    return (T.RandomFlipLeftRight()(x), T.RandomFlipTopBottom()(x), T.RandomBrightness(0.3)(x),
            T.RandomContrast(0.3)(x), T.RandomSaturation(0.3)(x), T.RandomHue(0.3)(x),
            T.RandomColorJitter(0.1, 0.2, 0.3, 0.1)(x), T.RandomLighting(0.1)(x),
            T.RandomBrightness(0.3)(x.astype("float32")))


@case
def random_transforms_with_no_jitter_are_identity(mx, np, npx):
    T = _T(mx)
    x = _img(np)
    return (T.RandomBrightness(0)(x), T.RandomContrast(0)(x), T.RandomHue(0)(x),
            T.RandomLighting(0)(x))


@case(differs="MXNet's random_color_jitter with every amount 0 applies nothing and never "
              "writes its output (uninitialised memory comes out); ndengine returns the "
              "image unchanged")
def color_jitter_with_no_jitter(mx, np, npx):
    return _T(mx).RandomColorJitter()(_img(np))


@case(mode="nd", rtol=1e-4, atol=1e-4)
def rotate_transforms_on_legacy_arrays(mx, np, npx):
    onp.random.seed(2)
    T = _T(mx)
    x = _nd(mx, onp.arange(2 * 4 * 5).reshape(2, 4, 5))
    return (T.Rotate(45)(x).asnumpy(), T.Rotate(20, zoom_in=True)(x).asnumpy(),
            T.RandomRotation((-30, 30))(x).asnumpy())


@case
def random_rotation_with_bad_limits_fails(mx, np, npx):
    return _T(mx).RandomRotation((30, -30))


@case
def rotate_of_uint8_fails(mx, np, npx):
    return _T(mx).Rotate(30)(_img(np).transpose(2, 0, 1))


@case(differs="MXNet's Rotate tests `x.dtype is np.float32`, which an np array's "
              "numpy.dtype never is: it rejects every np-mode array")
def transforms_rotate_takes_np_float32(mx, np, npx):
    return _T(mx).Rotate(30)(np.ones((1, 3, 3)))


@case(differs="MXNet's CropResize calls a legacy-only op: np arrays are rejected")
def crop_resize_takes_np_arrays(mx, np, npx):
    return _T(mx).CropResize(1, 1, 3, 2, size=(4, 4))(_img(np))


@case(mode="nd")
def crop_resize_on_legacy_arrays(mx, np, npx):
    T = _T(mx)
    x = _nd(mx, _img(np).asnumpy(), "uint8")
    return T.CropResize(1, 1, 3, 2)(x).asnumpy(), T.CropResize(1, 1, 3, 2, 5, 1)(x).asnumpy()


@case(differs="MXNet's Augmenters call legacy-only ops: np arrays are rejected")
def augmenters_take_np_arrays(mx, np, npx):
    return mx.image.HorizontalFlipAug(1.0)(_img(np))


# ----------------------------------------------------------------------------- datasets
@case
def mnist_from_idx_files(mx, np, npx):
    _offline(mx)
    _write_idx("mnist", "train", 10, 0)
    _write_idx("mnist", "t10k", 4, 1)
    V = mx.gluon.data.vision
    train, test = V.MNIST(root="mnist"), V.MNIST(root="mnist", train=False)
    img, label = train[3]
    return len(train), len(test), img, label, test[1][1], train[9][0][10:12, 10:12]


@case
def fashion_mnist_transform_and_loader_like_d2l(mx, np, npx):
    _offline(mx)
    _write_idx("fm", "train", 12, 2)
    V = mx.gluon.data.vision
    T = V.transforms
    trans = T.Compose([T.Resize((32, 32)), T.ToTensor()])
    ds = V.FashionMNIST(root="fm").transform_first(trans)
    X, y = next(iter(mx.gluon.data.DataLoader(ds, 5)))
    first = ds[2]
    return X, y, first, len(ds)


@case
def mnist_transform_argument(mx, np, npx):
    _offline(mx)
    _write_idx("m2", "t10k", 6, 3)
    ds = mx.gluon.data.vision.MNIST(root="m2", train=False,
                                    transform=lambda d, l: (d.astype("float32") / 255, l + 1))
    return ds[4]


@case
def cifar10_from_binary_batches(mx, np, npx):
    _offline(mx)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    _write_cifar("c10", names, 3, 1, 4)
    V = mx.gluon.data.vision
    train, test = V.CIFAR10(root="c10"), V.CIFAR10(root="c10", train=False)
    img, label = train[7]
    return len(train), len(test), img[:3, :3], label, test[2][1], img.shape


@case
def cifar100_coarse_and_fine_labels(mx, np, npx):
    _offline(mx)
    _write_cifar("c100", ["train.bin", "test.bin"], 4, 2, 5)
    V = mx.gluon.data.vision
    coarse, fine = V.CIFAR100(root="c100"), V.CIFAR100(root="c100", fine_label=True)
    return ([coarse[i][1] for i in range(4)], [fine[i][1] for i in range(4)], fine[1][0][0, :2],
            len(V.CIFAR100(root="c100", train=False)))


@case
def cifar_loader_batches(mx, np, npx):
    _offline(mx)
    _write_cifar("c10b", [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"],
                 2, 1, 6)
    V = mx.gluon.data.vision
    ds = V.CIFAR10(root="c10b")
    X, y = next(iter(mx.gluon.data.DataLoader(ds, 4)))
    T = V.transforms
    Xn, yn = next(iter(mx.gluon.data.DataLoader(
        ds.transform_first(T.Compose([T.ToTensor(), T.Normalize(0.5, 0.2)])), 3)))
    return X, y, Xn, yn


@case
def image_folder_dataset(mx, np, npx):
    rs = onp.random.RandomState(7)
    for cls, n in (("cat", 2), ("dog", 1)):
        os.makedirs(os.path.join("folder", cls), exist_ok=True)
        for i in range(n):
            with open(os.path.join("folder", cls, f"{i}.png"), "wb") as f:
                f.write(_png(rs.randint(0, 256, (3 + i, 4, 3)).astype("uint8")))
    ds = mx.gluon.data.vision.ImageFolderDataset("folder")
    img, label = ds[2]
    gray = mx.gluon.data.vision.ImageFolderDataset("folder", flag=0)[0][0]
    return (ds.synsets, len(ds), [os.path.basename(p) for p, _ in ds.items],
            [lab for _, lab in ds.items], img, label, gray.shape)
