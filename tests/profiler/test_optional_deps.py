"""Optional dependencies (matplotlib, Pillow, mpi4py) that are missing: a clear error
naming what needs them and the install command, never a raw ModuleNotFoundError; and
``dependency_graph`` with nothing recorded says why instead of a silent one-node graph.

The missing module is simulated by ``sys.modules[name] = None`` (Python's own "import
halted" marker), set and restored by monkeypatch."""
from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

import ndengine as mx
from ndengine import np, npx
from ndengine.base import MissingDependencyError, optional_import
from ndengine.profiler import __main__ as cli
from ndengine.profiler import core as prof_core



def _block(monkeypatch, top: str) -> None:
    """Make ``import top`` and ``import top.anything`` fail as if *top* were not installed."""
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")] + [top]:
        monkeypatch.setitem(sys.modules, name, None)


def _recorded_trace(prof) -> str:
    prof.set_state("run")
    x = np.ones((8, 8))
    (np.sin(x).dot(x)).copyto(mx.cpu(1)).wait_to_read()
    npx.waitall()
    prof.set_state("stop")
    return prof.dump()


# ---------------------------------------------------------------------- the helper itself
def test_optional_import_names_the_feature_and_the_extra(monkeypatch):
    _block(monkeypatch, "matplotlib")
    with pytest.raises(MissingDependencyError) as ei:
        optional_import("matplotlib.figure", "drawing X")
    msg = str(ei.value)
    assert msg.startswith("drawing X needs matplotlib, which is not installed")
    assert "pip install ndengine[demo]" in msg
    assert isinstance(ei.value, ImportError) and ei.value.name == "matplotlib"
    assert ei.value.__cause__ is None and ei.value.__suppress_context__


def test_optional_import_of_an_unlisted_package_says_pip_install_it():
    with pytest.raises(MissingDependencyError, match="Y needs no_such_pkg_ndengine, which "
                       "is not installed: pip install no_such_pkg_ndengine"):
        optional_import("no_such_pkg_ndengine.sub", "Y")


def test_optional_import_returns_the_module():
    assert optional_import("json.decoder", "Z") is importlib.import_module("json.decoder")


def test_a_broken_install_is_not_reported_as_missing(monkeypatch):
    """The package is there but one of *its* imports fails: that error propagates."""
    class Finder:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name == "fakepkg_ndengine":
                return importlib.util.spec_from_loader(name, Loader())
            return None

    class Loader:
        def create_module(self, spec):
            return None

        def exec_module(self, module):
            import kiwisolver_not_here_ndengine  # noqa: F401

    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    with pytest.raises(ModuleNotFoundError) as ei:
        optional_import("fakepkg_ndengine", "W")
    assert not isinstance(ei.value, MissingDependencyError)
    assert ei.value.name == "kiwisolver_not_here_ndengine"


# ---------------------------------------------------------------------------- matplotlib
def test_profiler_timeline_stays_the_function_after_its_submodule_is_imported():
    import ndengine.profiler.timeline as mod  # noqa: F401  (used to rebind the name)

    assert callable(mx.profiler.timeline) and mx.profiler.timeline.__module__ == \
        "ndengine.profiler"


def test_profiler_cli_without_matplotlib_says_which_extra(prof, tmp_path, monkeypatch, capsys):
    trace = _recorded_trace(prof)
    out = tmp_path / "t.png"
    _block(monkeypatch, "matplotlib")
    assert cli.main([trace, "--png", str(out)]) == 2
    err = capsys.readouterr().err
    assert "needs matplotlib, which is not installed: pip install ndengine[demo]" in err
    assert "Traceback" not in err and not out.exists()
    assert cli.main([trace, "--quiet"]) == 0        # the table alone needs no matplotlib


def test_profiler_cli_process_without_matplotlib_prints_no_traceback(prof, tmp_path):
    trace = _recorded_trace(prof)
    code = ("import sys; sys.modules['matplotlib'] = None; "
            "from ndengine.profiler.__main__ import main; sys.exit(main(sys.argv[1:]))")
    r = subprocess.run([sys.executable, "-c", code, trace, "--png", str(tmp_path / "t.png")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert "pip install ndengine[demo]" in r.stderr


def test_timeline_and_depgraph_render_without_matplotlib(prof, tmp_path, monkeypatch):
    trace = _recorded_trace(prof)
    prof.set_state("run")
    x = np.ones((2, 2))
    z = x * 2 + 1
    z.wait_to_read()
    prof.set_state("stop")
    g = prof.dependency_graph(z, names=dict(x=x, z=z))
    monkeypatch.setattr("shutil.which", lambda name: None)          # no Graphviz either
    _block(monkeypatch, "matplotlib")
    with pytest.raises(MissingDependencyError, match=r"drawing a profiler timeline needs "
                       r"matplotlib.*ndengine\[demo\]"):
        prof.timeline(trace, str(tmp_path / "t.png"))
    with pytest.raises(MissingDependencyError, match=r"DepGraph.render \(without Graphviz's "
                       r"'dot' on PATH.*ndengine\[demo\]"):
        g.render(str(tmp_path / "g.svg"))
    g.render(str(tmp_path / "g.dot"))                                # DOT text needs neither
    assert (tmp_path / "g.dot").read_text() == g.to_dot()


# -------------------------------------------------------------------- Pillow, mpi4py
def test_recordio_unpack_img_without_pillow(monkeypatch):
    from ndengine import recordio

    s = recordio.pack(recordio.IRHeader(0, 1.0, 0, 0), b"not decoded anyway")
    _block(monkeypatch, "PIL")
    with pytest.raises(MissingDependencyError, match="needs Pillow, which is not installed: "
                       "pip install pillow"):
        recordio.unpack_img(s)


def test_distributed_without_mpi4py_names_the_dist_extra(monkeypatch):
    world = importlib.import_module("ndengine.distributed.world")
    _block(monkeypatch, "mpi4py")
    with pytest.raises(world.DistError, match=r"distributed training needs mpi4py, which is "
                       r"not installed: pip install ndengine\[dist\]"):
        world._import_mpi()


# ------------------------------------------------------- dependency_graph, nothing recorded
def test_dependency_graph_with_the_profiler_off_warns_what_to_do(prof):
    x = np.ones((1, 2))
    y = np.ones((1, 2))
    z = x * y + 2
    with pytest.warns(UserWarning, match=r"no recorded op produced these arrays.*"
                      r"set_state\('run'\)") as rec:
        g = prof.dependency_graph(z, names=locals())
    assert rec[0].filename == __file__                  # points at the caller's line
    assert [n["type"] for n in g.nodes.values()] == ["array"]
    with pytest.warns(UserWarning, match=r"\(last=N\): no op is recorded.*set_state\('run'\)"):
        prof.dependency_graph(last=5)


def test_dependency_graph_of_arrays_from_before_the_run_warns(prof):
    x = np.ones((1, 2))
    z = x + 1                                            # computed with the profiler off
    _recorded_trace(prof)                                # other ops are recorded
    with pytest.warns(UserWarning, match="computed while the profiler was not running"):
        prof.dependency_graph(z, names=dict(x=x, z=z))


def test_dependency_graph_of_recorded_ops_does_not_warn(prof):
    prof.set_state("run")
    x = np.ones((1, 2))
    z = x * 3
    z.wait_to_read()
    prof.set_state("stop")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = prof.dependency_graph(z, names=dict(x=x, z=z))
        assert any(n["type"] == "op" for n in g.nodes.values())
        assert prof.dependency_graph(last=0).nodes == {}
    assert prof_core.PROFILER.state == "stop"
