"""Every writer of a user's file keeps the previous file when a save fails (issue 18).

Each writer (npx.save, nd.save, save_parameters, ParameterDict.save, Trainer.save_states,
kvstore.save_optimizer_states, export's two files, Symbol.save, the profiler's dump and
DepGraph.render) first writes a good file, then saves again while the disk "fills up"
half-way through the write (``os.fdopen``'s file raises ENOSPC after a few bytes), while
fsync fails, and without permission to create a file in the folder.  The old file must
be there byte for byte, no temporary file may be left, and the error must name the file.
"""
from __future__ import annotations

import errno
import os

import pytest

import ndengine
from ndengine import autograd, gluon, npx
from ndengine import numpy as np
from ndengine.base import atomic_write
from ndengine.gluon import nn


class _FillingFile:
    """A file that takes *room* bytes, then fails as a full disk does."""

    def __init__(self, f, room: int) -> None:
        self._f = f
        self._room = room

    def write(self, b) -> int:
        if not isinstance(b, str):
            b = memoryview(b).cast("B")
        if len(b) > self._room:
            self._f.write(b[:self._room])
            self._room = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= len(b)
        return self._f.write(b)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()


def _net():
    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=2), nn.Dense(1, in_units=3))
    net.initialize()
    return net


def _trainer(net):
    t = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    with autograd.record():
        loss = net(np.ones((4, 2))).sum()
    loss.backward()
    t.step(4)
    return t


def _kvstore():
    kv = ndengine.kv.create("local")
    kv.set_optimizer(ndengine.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    kv.init(0, np.ones(3))
    kv.push(0, np.ones(3))
    return kv


def _writers(tmp_path):
    """name -> (path, save()) for every writer; each call writes new contents."""
    counter = iter(range(1, 10_000))
    net = _net()
    trainer = _trainer(net)
    kv = _kvstore()
    hnet = _net()
    hnet.hybridize()
    hnet(np.ones((1, 2)))
    p = lambda n: str(tmp_path / n)              # noqa: E731

    def bump():
        k = next(counter)
        for prm in net.collect_params().values():
            prm.set_data(np.full(prm.shape, float(k)))
        for prm in hnet.collect_params().values():
            prm.set_data(np.full(prm.shape, float(k)))
        return k

    def graph_render(path):
        from ndengine.profiler.graph import DepGraph
        bump()
        g = DepGraph.__new__(DepGraph)
        g.to_dot = lambda: "digraph { a -> b }" + " " * next(counter)
        DepGraph.render(g, path)

    return {
        "npx.save": (p("a.npx"), lambda f: npx.save(f, {"w": np.full(3, float(bump()))})),
        "nd.save": (p("a.nd"), lambda f: ndengine.nd.save(f, [ndengine.nd.ones(3) * bump()])),
        "save_parameters": (p("a.params"), lambda f: (bump(), net.save_parameters(f))),
        "ParameterDict.save": (p("b.params"), lambda f: (bump(), net.collect_params().save(f))),
        "Trainer.save_states": (p("t.states"), lambda f: (bump(), _step(net, trainer),
                                                          trainer.save_states(f))),
        "kvstore.save_optimizer_states": (p("kv.states"),
                                          lambda f: (kv.push(0, np.ones(3)),
                                                     kv.save_optimizer_states(f))),
        "export.params": (p("m-0000.params"),
                          lambda f: (bump(), hnet.export(f[:-len("-0000.params")]))),
        "export.symbol": (p("e-symbol.json"),
                          lambda f: (bump(), _rename_later(hnet, f))),
        "Symbol.save": (p("s.json"),
                        lambda f: (ndengine.sym.var("x") * float(next(counter))).save(f)),
        "DepGraph.render": (p("g.dot"), graph_render),
    }


def _step(net, trainer):
    with autograd.record():
        loss = net(np.ones((4, 2))).sum()
    loss.backward()
    trainer.step(4)


def _rename_later(hnet, f):
    # export writes PREFIX-symbol.json first: fail there (the params are then not written)
    hnet.export(f[:-len("-symbol.json")])


WRITERS = ["npx.save", "nd.save", "save_parameters", "ParameterDict.save",
           "Trainer.save_states", "kvstore.save_optimizer_states", "export.params",
           "export.symbol", "Symbol.save", "DepGraph.render"]


def _failing_fdopen(monkeypatch, target, room):
    real = os.fdopen

    def fdopen(fd, *a, **k):
        f = real(fd, *a, **k)
        name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}")) if os.path.exists(
            f"/proc/self/fd/{fd}") else ""
        if os.path.basename(target) in name:
            return _FillingFile(f, room)
        return f
    monkeypatch.setattr(os, "fdopen", fdopen)


def _files(d):
    return sorted(n for n in os.listdir(d))


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("room", [0, 7])
def test_full_disk_mid_write_keeps_the_old_file(tmp_path, monkeypatch, writer, room):
    path, save = _writers(tmp_path)[writer]
    save(path)
    before = open(path, "rb").read()
    listing = _files(tmp_path)
    with monkeypatch.context() as m:
        _failing_fdopen(m, path, room)
        with pytest.raises(OSError) as e:
            save(path)
    assert e.value.errno == errno.ENOSPC
    assert os.path.basename(path) in str(e.value) and "No space left" in str(e.value)
    assert open(path, "rb").read() == before
    assert _files(tmp_path) == listing           # no temporary file left behind
    save(path)                                   # and the next save works again
    if writer != "export.symbol":                # (the graph is the same each time)
        assert open(path, "rb").read() != before


@pytest.mark.parametrize("writer", ["npx.save", "save_parameters", "Trainer.save_states",
                                    "kvstore.save_optimizer_states", "Symbol.save"])
def test_failed_fsync_keeps_the_old_file(tmp_path, monkeypatch, writer):
    path, save = _writers(tmp_path)[writer]
    save(path)
    before = open(path, "rb").read()

    def fsync(fd):
        raise OSError(errno.EIO, "Input/output error")
    with monkeypatch.context() as m:
        m.setattr(os, "fsync", fsync)
        with pytest.raises(OSError, match=os.path.basename(path)):
            save(path)
    assert open(path, "rb").read() == before
    assert len(_files(tmp_path)) == 1


@pytest.mark.parametrize("writer", WRITERS)
def test_no_permission_keeps_the_old_file(tmp_path, monkeypatch, writer):
    """Creating the temporary file is refused (as in a read-only folder: simulated, so
    that it holds when the tests run as root, who may write anywhere)."""
    path, save = _writers(tmp_path)[writer]
    save(path)
    before = open(path, "rb").read()
    real = os.open

    def no_create(name, flags, *a, **k):
        if flags & os.O_CREAT and os.path.dirname(os.path.abspath(name)) == str(tmp_path):
            raise PermissionError(errno.EACCES, "Permission denied", name)
        return real(name, flags, *a, **k)
    with monkeypatch.context() as m:
        m.setattr(os, "open", no_create)
        with pytest.raises(PermissionError) as e:
            save(path)
    # (export writes its -symbol.json first: that is the file it cannot write)
    name = "m-symbol.json" if writer == "export.params" else os.path.basename(path)
    assert name in str(e.value) and "Permission denied" in str(e.value)
    assert open(path, "rb").read() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_keeps_the_old_file(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    f = str(d / "x.params")
    npx.save(f, [np.ones(2)])
    before = open(f, "rb").read()
    os.chmod(d, 0o555)
    try:
        with pytest.raises(PermissionError, match="x.params"):
            npx.save(f, [np.zeros(2)])
        assert open(f, "rb").read() == before
    finally:
        os.chmod(d, 0o755)


def test_interrupt_while_writing_keeps_the_old_file(tmp_path):
    f = tmp_path / "x"
    f.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(str(f), "test") as out:
            out.write(b"new, half")
            raise KeyboardInterrupt
    assert f.read_bytes() == b"old" and _files(tmp_path) == ["x"]


def test_a_replaced_file_keeps_its_mode_and_a_symlink_stays(tmp_path):
    real = tmp_path / "real.params"
    npx.save(str(real), [np.ones(2)])
    os.chmod(real, 0o640)
    link = tmp_path / "link.params"
    link.symlink_to(real)
    npx.save(str(link), [np.zeros(2)])
    assert link.is_symlink() and real.stat().st_mode & 0o777 == 0o640
    assert npx.load(str(real))[0].asnumpy().tolist() == [0.0, 0.0]
