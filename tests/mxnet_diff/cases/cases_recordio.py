"""mx.recordio: the bytes of RecordIO files (records split at the magic number,
padding, the .idx index), image-record headers, and the datasets over them."""
import struct
import zlib

import numpy as onp

from _diff import case

MAGIC = struct.pack("<I", 0xced7230a)
RECORDS = [b"", b"a", b"abcd", b"abcde" * 3, MAGIC, b"xy" + MAGIC + b"zw" + MAGIC,
           b"abcd" + MAGIC + b"efgh" + MAGIC + MAGIC + b"ij", MAGIC * 3 + b"k"]


def _bytes(path):
    with open(path, "rb") as f:
        return onp.frombuffer(f.read(), dtype="uint8")


def _png(arr):
    h, w, c = arr.shape
    raw = b"".join(b"\x00" + arr[i].tobytes() for i in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + \
            struct.pack(">I", zlib.crc32(tag + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@case
def record_file_bytes_and_read_back(mx, np, npx):
    w = mx.recordio.MXRecordIO("a.rec", "w")
    for r in RECORDS:
        w.write(r)
    w.close()
    r = mx.recordio.MXRecordIO("a.rec", "r")
    got = []
    while True:
        item = r.read()
        if item is None:
            break
        got.append(item)
    r.reset()
    first = r.read()
    r.close()
    return _bytes("a.rec"), [g == want for g, want in zip(got, RECORDS)], len(got), first == b""


@case
def indexed_records(mx, np, npx):
    w = mx.recordio.MXIndexedRecordIO("b.idx", "b.rec", "w")
    tells = []
    for i, r in enumerate(RECORDS):
        tells.append(w.tell())
        w.write_idx(i * 10, r)
    w.close()
    r = mx.recordio.MXIndexedRecordIO("b.idx", "b.rec", "r")
    with open("b.idx") as f:
        idx_text = f.read()
    return (tells, idx_text, r.keys, r.read_idx(50) == RECORDS[5], r.read_idx(0) == b"",
            r.read_idx(70) == RECORDS[7])


@case
def indexed_records_with_str_keys(mx, np, npx):
    w = mx.recordio.MXIndexedRecordIO("c.idx", "c.rec", "w", key_type=str)
    w.write_idx("x", b"one")
    w.write_idx("y", b"two!")
    w.close()
    r = mx.recordio.MXIndexedRecordIO("c.idx", "c.rec", "r", key_type=str)
    return r.keys, r.read_idx("y") == b"two!", _bytes("c.rec")


@case
def pack_and_unpack_headers(mx, np, npx):
    R = mx.recordio
    s1 = R.pack(R.IRHeader(0, 3.5, 7, 0), b"payload")
    s2 = R.pack(R.IRHeader(0, [1.0, 2.5, -3.0], 8, 1), b"xy")
    h1, p1 = R.unpack(s1)
    h2, p2 = R.unpack(s2)
    return (onp.frombuffer(s1, "uint8"), onp.frombuffer(s2, "uint8"),
            (h1.flag, h1.label, h1.id, h1.id2, p1 == b"payload"),
            (h2.flag, h2.label, h2.id, h2.id2, p2 == b"xy"))


@case
def record_datasets(mx, np, npx):
    R = mx.recordio
    rs = onp.random.RandomState(0)
    w = R.MXIndexedRecordIO("d.idx", "d.rec", "w")
    for i in range(3):
        img = rs.randint(0, 256, (3 + i, 4, 3)).astype("uint8")
        label = float(i) if i != 2 else [1.0, 2.0]
        w.write_idx(i, R.pack(R.IRHeader(0, label, i, 0), _png(img)))
    w.close()
    raw = mx.gluon.data.RecordFileDataset("d.rec")
    imgs = mx.gluon.data.vision.ImageRecordDataset("d.rec")
    gray = mx.gluon.data.vision.ImageRecordDataset("d.rec", flag=0)
    a, la = imgs[1]
    b, lb = imgs[2]
    return len(raw), len(raw[0]), a, la, b, lb, gray[0][0].shape


@case
def read_of_bad_file_fails(mx, np, npx):
    with open("bad.rec", "wb") as f:
        f.write(b"not a record file")
    return mx.recordio.MXRecordIO("bad.rec", "r").read()


@case
def bad_flag_fails(mx, np, npx):
    return mx.recordio.MXRecordIO("x.rec", "a")
