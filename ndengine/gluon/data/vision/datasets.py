"""``mxnet.gluon.data.vision`` datasets: MNIST, FashionMNIST, CIFAR10, CIFAR100 and
ImageFolderDataset.

The downloaded datasets read MXNet's standard files from *root* (default
``$MXNET_HOME/datasets/<name>``, MXNET_HOME defaulting to ``~/.mxnet``, looked up when
the dataset is made): the gzipped IDX files of (Fashion-)MNIST, the binary batches of
CIFAR (or their tarball, which is unpacked).  A file that is absent is downloaded from
MXNet's repository (``MXNET_GLUON_REPO``, as MXNet) into a temporary file that becomes
the file only once complete and checked against its SHA-1; when that fails (no
network), the error names the files, the directory and the URL.  Files already there
are used as they are (MXNet re-downloads a file whose SHA-1 differs).

Samples are ``(image, label)``: a uint8 (H, W, C) image and an int32 0-d label, as in
MXNet's np mode.  ``transform=fn`` maps each sample to ``fn(image, label)``.
"""
from __future__ import annotations

import gzip
import os
import shutil
import struct
import tarfile
import tempfile
import warnings
from typing import Any, Callable

import numpy as _onp

from .... import image
from ....base import MXNetError, atomic_write
from ....ndarray.ndarray import from_buffer
from ..dataset import Dataset, RecordFileDataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "ImageRecordDataset",
           "ImageFolderDataset", "DatasetNotFoundError"]

_DEFAULT_REPO = "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/"
_TIMEOUT = 30.0


class DatasetNotFoundError(MXNetError, FileNotFoundError):
    """A dataset's files are not in its root and could not be downloaded."""


def data_dir() -> str:
    """MXNet's data directory: ``$MXNET_HOME``, else ``~/.mxnet``."""
    return os.getenv("MXNET_HOME", os.path.join(os.path.expanduser("~"), ".mxnet"))


def _repo_url() -> str:
    url = os.environ.get("MXNET_GLUON_REPO", _DEFAULT_REPO)
    return url if url.endswith("/") else url + "/"


def _sha1(path: str) -> str:
    import hashlib

    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _download(url: str, path: str, sha1: str) -> None:
    """*url* to *path* through a temporary file in the same directory: *path* appears
    only complete and with the right SHA-1."""
    import urllib.request

    fd, tmp = tempfile.mkstemp(prefix=".download-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as f, urllib.request.urlopen(url, timeout=_TIMEOUT) as r:
            for chunk in iter(lambda: r.read(1 << 20), b""):
                f.write(chunk)
        got = _sha1(tmp)
        if got != sha1:
            raise OSError(f"the downloaded file's SHA-1 is {got}, expected {sha1}")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class _DownloadedDataset(Dataset):
    """Base of the downloaded datasets: ``_data`` (N, H, W, C) uint8 images and
    ``_label`` (N,) int32 labels, as arrays."""

    _namespace = ""

    def __init__(self, root: str | None, transform: Callable | None) -> None:
        super().__init__()
        self._transform = transform
        self._data: Any = None
        self._label: Any = None
        self._host_data: Any = None
        self._host_label: Any = None
        if root is None:
            root = os.path.join(data_dir(), "datasets", self._namespace)
        self._root = os.path.expanduser(root)
        os.makedirs(self._root, exist_ok=True)
        self._get_data()

    def _set(self, data: Any, label: Any) -> None:
        """The samples, held as host arrays that ``_data`` / ``_label`` wrap: a sample
        is a view of them wrapped as an array, made without pushing an op (a write into
        it copies first, so the dataset keeps its values)."""
        self._host_data, self._host_label = data, label
        self._data, self._label = from_buffer(data), from_buffer(label)

    def __getitem__(self, idx: int) -> Any:
        data = from_buffer(self._host_data[idx])
        label = from_buffer(self._host_label[idx, ...])
        if self._transform is not None:
            return self._transform(data, label)
        return data, label

    def __len__(self) -> int:
        return len(self._host_label)

    def _batch_plan(self) -> Any:
        """A DataLoader gathers whole batches of images and labels (no transform)."""
        return None if self._transform is not None else ([self._data, self._label], None)

    def _url(self, name: str) -> str:
        return f"{_repo_url()}gluon/dataset/{self._namespace}/{name}"

    def _fetch(self, files: list[tuple[str, str]]) -> list[str]:
        """The paths of *files* ((name, sha1) pairs) in root, downloading those absent."""
        paths = []
        for name, sha1 in files:
            path = os.path.join(self._root, name)
            if not os.path.exists(path):
                url = self._url(name)
                try:
                    _download(url, path, sha1)
                except Exception as e:           # noqa: BLE001  (any failure: the same advice)
                    raise self._not_found(files, url, e) from None
            paths.append(path)
        return paths

    def _not_found(self, files: list[tuple[str, str]], url: str, e: BaseException) -> Exception:
        names = ", ".join(n for n, _ in files)
        base = url.rsplit("/", 1)[0] + "/"
        return DatasetNotFoundError(
            f"{type(self).__name__}: the dataset files ({names}) are not in {self._root} "
            f"and downloading {url} failed ({type(e).__name__}: {e}). Fetch them from "
            f"{base} into {self._root}, or pass root= to a directory that has them.")

    def _get_data(self) -> None:
        raise NotImplementedError


def _read_idx(path: str, magic: int, ndim: int) -> tuple[tuple, bytes]:
    """(dims, payload) of a gzipped IDX file."""
    try:
        with gzip.open(path, "rb") as f:
            head = f.read(4 + 4 * ndim)
            payload = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f"{path}: not a gzipped IDX file ({e})") from None
    if len(head) < 4 + 4 * ndim or struct.unpack(">I", head[:4])[0] != magic:
        raise ValueError(f"{path}: not an IDX file of {ndim}-d data (magic number "
                         f"{struct.unpack('>I', head[:4])[0] if len(head) >= 4 else None}, "
                         f"expected {magic})")
    dims = struct.unpack(f">{ndim}I", head[4:])
    want = int(_onp.prod(dims))
    if len(payload) != want:
        raise ValueError(f"{path}: the header says {dims} ({want} bytes of data), the file "
                         f"has {len(payload)}")
    return dims, payload


class MNIST(_DownloadedDataset):
    """MNIST handwritten digits (``train-images-idx3-ubyte.gz`` ... in *root*, default
    ``$MXNET_HOME/datasets/mnist``): (28, 28, 1) uint8 images, int32 labels."""

    _namespace = "mnist"
    _train_data = ("train-images-idx3-ubyte.gz", "6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d")
    _train_label = ("train-labels-idx1-ubyte.gz", "2a80914081dc54586dbdf242f9805a6b8d2a15fc")
    _test_data = ("t10k-images-idx3-ubyte.gz", "c3a25af1f52dad7f726cce8cacb138654b760d48")
    _test_label = ("t10k-labels-idx1-ubyte.gz", "763e7fa3757d93b0cdec073cef058b2004252c17")

    def __init__(self, root: str | None = None, train: bool = True,
                 transform: Callable | None = None) -> None:
        self._train = train
        super().__init__(root, transform)

    def _get_data(self) -> None:
        files = [self._train_data, self._train_label] if self._train else \
            [self._test_data, self._test_label]
        data_file, label_file = self._fetch(files)
        (n_label,), labels = _read_idx(label_file, 2049, 1)
        (n, rows, cols), pixels = _read_idx(data_file, 2051, 3)
        if n != n_label:
            raise ValueError(f"{type(self).__name__}: {data_file} has {n} images, "
                             f"{label_file} {n_label} labels")
        label = _onp.frombuffer(labels, dtype=_onp.uint8).astype(_onp.int32)
        data = _onp.frombuffer(pixels, dtype=_onp.uint8).reshape(n, rows, cols, 1)
        self._set(data, label)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (MNIST's file names, in *root*, default
    ``$MXNET_HOME/datasets/fashion-mnist``)."""

    _namespace = "fashion-mnist"
    _train_data = ("train-images-idx3-ubyte.gz", "0cf37b0d40ed5169c6b3aba31069a9770ac9043d")
    _train_label = ("train-labels-idx1-ubyte.gz", "236021d52f1e40852b06a4c3008d8de8aef1e40b")
    _test_data = ("t10k-images-idx3-ubyte.gz", "626ed6a7c06dd17c0eec72fa3be1740f146a2863")
    _test_label = ("t10k-labels-idx1-ubyte.gz", "17f9ab60e7257a1620f4ad76bbbaf857c3920701")


class CIFAR10(_DownloadedDataset):
    """CIFAR-10 (``data_batch_1.bin`` ... ``test_batch.bin`` in *root*, default
    ``$MXNET_HOME/datasets/cifar10``, or the tarball ``cifar-10-binary.tar.gz``):
    (32, 32, 3) uint8 images, int32 labels."""

    _namespace = "cifar10"
    _archive_file = ("cifar-10-binary.tar.gz", "fab780a1e191a7eda0f345501ccd62d20f7ed891")
    _train_files = [("data_batch_1.bin", "aadd24acce27caa71bf4b10992e9e7b2d74c2540"),
                    ("data_batch_2.bin", "c0ba65cce70568cd57b4e03e9ac8d2a5367c1795"),
                    ("data_batch_3.bin", "1dd00a74ab1d17a6e7d73e185b69dbf31242f295"),
                    ("data_batch_4.bin", "aab85764eb3584312d3c7f65fd2fd016e36a258e"),
                    ("data_batch_5.bin", "26e2849e66a845b7f1e4614ae70f4889ae604628")]
    _test_files = [("test_batch.bin", "67eb016db431130d61cd03c7ad570b013799c88c")]
    _label_bytes = 1

    def __init__(self, root: str | None = None, train: bool = True,
                 transform: Callable | None = None) -> None:
        self._train = train
        super().__init__(root, transform)

    def _label_column(self) -> int:
        return 0

    def _read_batch(self, path: str) -> tuple[Any, Any]:
        with open(path, "rb") as f:
            raw = _onp.frombuffer(f.read(), dtype=_onp.uint8)
        rec = 3072 + self._label_bytes
        if raw.size % rec:
            raise ValueError(f"{path}: {raw.size} bytes is not a whole number of "
                             f"{rec}-byte CIFAR records")
        raw = raw.reshape(-1, rec)
        images = raw[:, self._label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return images, raw[:, self._label_column()].astype(_onp.int32)

    def _files_in_archive(self, names: list[str]) -> bool:
        """Unpack the tarball in root (if there) when it holds the batch files (found
        at any depth, as the official archives nest them in a folder)."""
        archive = os.path.join(self._root, self._archive_file[0])
        if not os.path.exists(archive):
            return False
        with tarfile.open(archive) as tar:
            members = {os.path.basename(m.name): m for m in tar.getmembers() if m.isfile()}
            if not all(n in members for n in names):
                return False
            for n in names:
                src = tar.extractfile(members[n])
                with atomic_write(os.path.join(self._root, n), "dataset") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
        return True

    def _get_data(self) -> None:
        files = self._train_files if self._train else self._test_files
        names = [n for n, _ in files]
        missing = [n for n in names if not os.path.exists(os.path.join(self._root, n))]
        if missing and not self._files_in_archive(missing):
            archive = os.path.join(self._root, self._archive_file[0])
            url = self._url(self._archive_file[0])
            try:
                _download(url, archive, self._archive_file[1])
            except Exception as e:               # noqa: BLE001
                raise self._not_found(files + [self._archive_file], url, e) from None
            if not self._files_in_archive(missing):
                raise DatasetNotFoundError(f"{type(self).__name__}: {archive} does not hold "
                                           f"{', '.join(missing)}")
        parts = [self._read_batch(os.path.join(self._root, n)) for n in names]
        data = _onp.ascontiguousarray(_onp.concatenate([p[0] for p in parts]))
        label = _onp.concatenate([p[1] for p in parts])
        self._set(data, label)


class CIFAR100(CIFAR10):
    """CIFAR-100 (``train.bin``, ``test.bin`` in *root*, default
    ``$MXNET_HOME/datasets/cifar100``, or ``cifar-100-binary.tar.gz``): the 20 coarse
    labels, or the 100 fine ones with ``fine_label=True``."""

    _namespace = "cifar100"
    _archive_file = ("cifar-100-binary.tar.gz", "a0bb982c76b83111308126cc779a992fa506b90b")
    _train_files = [("train.bin", "e207cd2e05b73b1393c74c7f5e7bea451d63e08e")]
    _test_files = [("test.bin", "8fb6623e830365ff53cf14adec797474f5478006")]
    _label_bytes = 2

    def __init__(self, root: str | None = None, fine_label: bool = False, train: bool = True,
                 transform: Callable | None = None) -> None:
        self._fine_label = fine_label
        super().__init__(root, train, transform)

    def _label_column(self) -> int:
        return 1 if self._fine_label else 0


class ImageRecordDataset(RecordFileDataset):
    """The images of a RecordIO file (made with ``im2rec`` or ``recordio.pack_img``):
    sample i is ``(image, label)``, the image decoded with *flag* (1 colour RGB, 0
    grey), the label the record header's (a float, or a float32 array)."""

    def __init__(self, filename: str, flag: int = 1, transform: Callable | None = None) -> None:
        super().__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx: int) -> Any:
        from .... import recordio

        header, img = recordio.unpack(super().__getitem__(idx))
        data = image.imdecode(img, self._flag)
        if self._transform is not None:
            return self._transform(data, header.label)
        return data, header.label


class ImageFolderDataset(Dataset):
    """Images in one folder per class (``root/car/0001.jpg``, ``root/bus/023.png``...):
    ``synsets`` are the folder names (sorted; label i is ``synsets[i]``), ``items`` the
    (path, label) pairs.  Images are decoded with ``flag`` (1 colour, 0 grey)."""

    def __init__(self, root: str, flag: int = 1, transform: Callable | None = None) -> None:
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self._exts = [".jpg", ".jpeg", ".png"]
        self._list_images(self._root)

    def _list_images(self, root: str) -> None:
        self.synsets: list[str] = []
        self.items: list[tuple[str, int]] = []
        if not os.path.isdir(root):
            raise FileNotFoundError(f"ImageFolderDataset: {root!r} is not a directory")
        for folder in sorted(os.listdir(root)):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                warnings.warn(f"Ignoring {path}, which is not a directory.", stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(os.listdir(path)):
                filename = os.path.join(path, filename)
                ext = os.path.splitext(filename)[1]
                if ext.lower() not in self._exts:
                    warnings.warn(f"Ignoring {filename} of type {ext}. Only support "
                                  f"{', '.join(self._exts)}")
                    continue
                self.items.append((filename, label))

    def __getitem__(self, idx: int) -> Any:
        img = image.imread(self.items[idx][0], self._flag)
        label = self.items[idx][1]
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self) -> int:
        return len(self.items)
