"""gluon.data.vision: datasets from synthetic files in MXNet's formats (and what happens
without them: no network is touched, MXNET_GLUON_REPO points at a local directory),
transforms on images and batches, the DataLoader's batched transform path.  Values
against real MXNet are in tests/mxnet_diff/cases/cases_vision.py."""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import random
import struct
import tarfile

import numpy as onp
import pytest

import ndengine as mx
from ndengine import gluon, np
from ndengine.gluon.data import vision
from ndengine.gluon.data.vision import transforms as T


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    """Downloads go to an empty local 'repository' and MXNET_HOME to a fresh dir."""
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.setenv("MXNET_GLUON_REPO", repo.as_uri())
    monkeypatch.setenv("MXNET_HOME", str(tmp_path / "home"))
    return repo


def write_idx(root, prefix, n, seed=0, rows=28, cols=28):
    rs = onp.random.RandomState(seed)
    os.makedirs(root, exist_ok=True)
    imgs = rs.randint(0, 256, (n, rows, cols)).astype("uint8")
    labels = rs.randint(0, 10, n).astype("uint8")
    with gzip.open(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">IIII", 2051, n, rows, cols) + imgs.tobytes())
    with gzip.open(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">II", 2049, n) + labels.tobytes())
    return imgs, labels


def cifar_records(n, label_bytes, seed=0):
    rs = onp.random.RandomState(seed)
    labels = rs.randint(0, 10, (n, label_bytes)).astype("uint8")
    pixels = rs.randint(0, 256, (n, 3072)).astype("uint8")
    return onp.concatenate([labels, pixels], axis=1), labels, pixels


# ----------------------------------------------------------------------------- datasets
def test_mnist_reads_idx_files(tmp_path):
    imgs, labels = write_idx(tmp_path / "m", "train", 7)
    ds = vision.MNIST(root=str(tmp_path / "m"))
    assert len(ds) == 7
    img, label = ds[5]
    assert img.shape == (28, 28, 1) and img.dtype == onp.uint8
    assert label.shape == () and label.dtype == onp.int32
    onp.testing.assert_array_equal(img.asnumpy()[:, :, 0], imgs[5])
    assert int(label) == labels[5]


def test_default_root_follows_mxnet_home(tmp_path):
    write_idx(tmp_path / "home" / "datasets" / "fashion-mnist", "t10k", 3)
    assert len(vision.FashionMNIST(train=False)) == 3


def test_missing_files_name_files_directory_and_url(tmp_path, no_network):
    root = tmp_path / "empty"
    with pytest.raises(FileNotFoundError) as e:
        vision.FashionMNIST(root=str(root))
    msg = str(e.value)
    assert "train-images-idx3-ubyte.gz" in msg and "train-labels-idx1-ubyte.gz" in msg
    assert str(root) in msg
    assert no_network.as_uri() + "/gluon/dataset/fashion-mnist/" in msg
    assert os.listdir(root) == []                  # no partial file left behind


def test_download_is_checked_and_never_leaves_a_partial_file(tmp_path, no_network):
    src = tmp_path / "src"
    write_idx(src, "t10k", 2)
    dst = no_network / "gluon" / "dataset" / "mnist"
    dst.mkdir(parents=True)
    for f in os.listdir(src):
        (dst / f).write_bytes((src / f).read_bytes())
    root = tmp_path / "r"
    with pytest.raises(FileNotFoundError, match="SHA-1"):   # not the published files
        vision.MNIST(root=str(root), train=False)
    assert os.listdir(root) == []

    def sha(name):
        return hashlib.sha1((src / name).read_bytes()).hexdigest()

    class Local(vision.MNIST):
        _test_data = ("t10k-images-idx3-ubyte.gz", sha("t10k-images-idx3-ubyte.gz"))
        _test_label = ("t10k-labels-idx1-ubyte.gz", sha("t10k-labels-idx1-ubyte.gz"))

    assert len(Local(root=str(root), train=False)) == 2
    assert sorted(os.listdir(root)) == ["t10k-images-idx3-ubyte.gz",
                                        "t10k-labels-idx1-ubyte.gz"]


def test_bad_idx_file_is_a_clear_error(tmp_path):
    write_idx(tmp_path, "train", 3)
    with gzip.open(tmp_path / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 2049, 4) + bytes(4))
    with pytest.raises(ValueError, match="3 images.*4 labels"):
        vision.MNIST(root=str(tmp_path))


def test_cifar10_batches_and_tarball(tmp_path):
    recs = [cifar_records(2, 1, seed=i) for i in range(6)]
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    buf = tmp_path / "cifar-10-binary.tar.gz"
    with tarfile.open(buf, "w:gz") as tar:
        for name, (rec, _, _) in zip(names, recs):
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = rec.nbytes
            tar.addfile(info, io.BytesIO(rec.tobytes()))
    ds = vision.CIFAR10(root=str(tmp_path))
    assert len(ds) == 10
    img, label = ds[3]
    assert img.shape == (32, 32, 3) and img.dtype == onp.uint8 and label.dtype == onp.int32
    want = recs[1][2][1].reshape(3, 32, 32).transpose(1, 2, 0)
    onp.testing.assert_array_equal(img.asnumpy(), want)
    assert int(label) == recs[1][1][1, 0]
    assert len(vision.CIFAR10(root=str(tmp_path), train=False)) == 2


def test_cifar100_fine_and_coarse(tmp_path):
    rec, labels, _ = cifar_records(3, 2)
    for name in ("train.bin", "test.bin"):
        (tmp_path / name).write_bytes(rec.tobytes())
    coarse = vision.CIFAR100(root=str(tmp_path))
    fine = vision.CIFAR100(root=str(tmp_path), fine_label=True)
    assert [int(coarse[i][1]) for i in range(3)] == labels[:, 0].tolist()
    assert [int(fine[i][1]) for i in range(3)] == labels[:, 1].tolist()


def test_cifar_bad_size(tmp_path):
    (tmp_path / "train.bin").write_bytes(bytes(100))
    with pytest.raises(ValueError, match="not a whole number"):
        vision.CIFAR100(root=str(tmp_path))


def test_image_folder_dataset(tmp_path):
    from PIL import Image

    tmp_path = tmp_path / "folders"
    tmp_path.mkdir()
    for cls in ("b", "a"):
        (tmp_path / cls).mkdir()
        Image.fromarray(onp.full((3, 4, 3), 9, "uint8")).save(tmp_path / cls / "x.png")
    (tmp_path / "a" / "notes.txt").write_text("skip me")
    with pytest.warns(UserWarning, match="Ignoring"):
        ds = vision.ImageFolderDataset(str(tmp_path),
                                       transform=lambda d, l: (d.astype("float32"), l))
    assert ds.synsets == ["a", "b"] and len(ds) == 2
    img, label = ds[1]
    assert img.shape == (3, 4, 3) and img.dtype == onp.float32 and label == 1
    with pytest.raises(FileNotFoundError):
        vision.ImageFolderDataset(str(tmp_path / "nope"))


# ----------------------------------------------------------------------------- transforms
def _img(h=6, w=8, c=3, seed=0):
    return np.array(onp.random.RandomState(seed).randint(0, 256, (h, w, c)), dtype="uint8")


def test_transforms_on_images_and_batches():
    x = _img()
    batch = np.stack([x, _img(seed=1)])
    for t in (T.ToTensor(), T.Resize(4), T.Resize((5, 3), keep_ratio=True), T.Cast(),
              T.CenterCrop(4), T.CropResize(1, 1, 4, 3, size=5),
              T.Compose([T.Resize(5), T.ToTensor(), T.Normalize(0.5, 0.2)])):
        one = t(x).asnumpy()
        many = t(batch).asnumpy()
        onp.testing.assert_allclose(many[0], one, rtol=1e-6)


@pytest.mark.parametrize("t", [T.RandomFlipLeftRight(), T.RandomFlipTopBottom(),
                               T.RandomBrightness(0.5), T.RandomContrast(0.5),
                               T.RandomSaturation(0.5), T.RandomHue(0.2),
                               T.RandomColorJitter(0.3, 0.3, 0.3, 0.1), T.RandomLighting(0.5)])
def test_random_transforms_take_batches(t):
    batch = np.stack([_img(seed=s) for s in range(4)])
    out = t(batch)
    assert out.shape == batch.shape and out.dtype == batch.dtype


def test_compose_does_not_change_the_list():
    ts = [T.Resize(3), T.ToTensor()]
    T.Compose(ts)
    assert len(ts) == 2


def test_random_resized_crop_takes_one_image():
    with pytest.raises(ValueError, match=r"one \(H, W, C\) image"):
        T.RandomResizedCrop(3)(np.stack([_img(), _img()]))


def test_random_apply_probability():
    random.seed(0)
    t = T.RandomApply(T.Cast("float64"), p=0.3)
    hits = sum(t(_img()).dtype == onp.float64 for _ in range(200))
    assert 30 < hits < 90


# ----------------------------------------------------------------------------- loader
def test_loader_batches_transformed_dataset_as_per_sample(tmp_path):
    write_idx(tmp_path, "train", 23, rows=10, cols=12)
    trans = T.Compose([T.Resize((8, 6)), T.ToTensor(), T.Normalize(0.3, 0.2)])
    ds = vision.MNIST(root=str(tmp_path)).transform_first(trans)
    fast = gluon.data.DataLoader(ds, 5, last_batch="keep")
    assert fast._plan is not None
    slow = gluon.data.DataLoader(ds, 5, batchify_fn=gluon.data.default_batchify_fn)
    assert slow._plan is None
    for (xa, ya), (xb, yb) in zip(fast, slow):
        assert xa.shape == xb.shape and xa.dtype == xb.dtype and ya.dtype == yb.dtype
        onp.testing.assert_allclose(xa.asnumpy(), xb.asnumpy(), rtol=1e-6)
        onp.testing.assert_array_equal(ya.asnumpy(), yb.asnumpy())
    assert len(fast) == 5


def test_loader_with_random_crop_goes_per_sample(tmp_path):
    write_idx(tmp_path, "train", 6)
    ds = vision.MNIST(root=str(tmp_path)).transform_first(
        T.Compose([T.RandomResizedCrop(20), T.ToTensor()]))
    loader = gluon.data.DataLoader(ds, 4, shuffle=True, num_workers=4)
    assert loader._plan is None
    shapes = [(x.shape, y.shape) for x, y in loader]
    assert shapes == [((4, 1, 20, 20), (4,)), ((2, 1, 20, 20), (2,))]


def test_loader_applies_random_flips_per_image_of_a_batch(tmp_path):
    imgs, labels = write_idx(tmp_path, "train", 64)
    ds = vision.MNIST(root=str(tmp_path)).transform_first(
        T.Compose([T.RandomFlipLeftRight(), T.Cast("float32")]))
    loader = gluon.data.DataLoader(ds, 32)
    assert loader._plan is not None
    mx.random.seed(5)
    out = onp.concatenate([x.asnumpy() for x, _ in loader])[..., 0]
    flipped = [onp.array_equal(out[i], imgs[i, :, ::-1]) for i in range(64)]
    kept = [onp.array_equal(out[i], imgs[i]) for i in range(64)]
    assert all(f or k for f, k in zip(flipped, kept)) and 10 < sum(flipped) < 54
    mx.random.seed(5)
    again = onp.concatenate([x.asnumpy() for x, _ in loader])[..., 0]
    onp.testing.assert_array_equal(out, again)


def test_samples_are_views_that_copy_on_write(tmp_path):
    imgs, _ = write_idx(tmp_path, "train", 3)
    ds = vision.MNIST(root=str(tmp_path))
    img, label = ds[1]
    img += 1
    onp.testing.assert_array_equal(ds[1][0].asnumpy()[:, :, 0], imgs[1])
    onp.testing.assert_array_equal(img.asnumpy()[:, :, 0], imgs[1] + 1)


def test_loader_shuffle_follows_numpys_seed(tmp_path):
    write_idx(tmp_path, "train", 9)
    ds = vision.MNIST(root=str(tmp_path))
    labels = []
    for _ in range(2):
        onp.random.seed(3)
        labels.append(onp.concatenate([y.asnumpy() for _, y in
                                       gluon.data.DataLoader(ds, 4, shuffle=True,
                                                             num_workers=4)]))
    onp.testing.assert_array_equal(*labels)
    assert sorted(labels[0].tolist()) == sorted(ds._label.asnumpy().tolist())
    assert labels[0].tolist() != ds._label.asnumpy().tolist()


def test_vision_is_an_attribute_of_gluon_data():
    assert mx.gluon.data.vision is vision
    assert vision.transforms is T
