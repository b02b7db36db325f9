"""The dependency graph: the seed's ``z = x * y + 2`` figure, last-N ops, DOT, pictures."""
from __future__ import annotations

import shutil

import pytest

from ndengine import np

from .conftest import record


def _seed_graph(prof):
    arrays = {}

    def work():
        x = np.ones((1, 2))
        y = np.ones((1, 2))
        z = x * y + 2
        z.wait_to_read()
        arrays.update(x=x, y=y, z=z)

    record(work)
    return prof.dependency_graph(arrays["z"], names=arrays), arrays


def _node_names(g):
    """Array nodes by label, op nodes by op name."""
    return {n["label"] if n["type"] == "array" else n["op"] for n in g.nodes.values()}


def _edges(g):
    def name(key):
        n = g.nodes[key]
        return n["label"] if n["type"] == "array" else n["op"]
    return {(name(s), name(d)) for s, d, _ in g.edges}


def test_seed_asyncgraph_nodes_and_edges(prof):
    g, _ = _seed_graph(prof)
    assert _node_names(g) == {"x", "y", "multiply", "add", "z"}
    assert len(g.nodes) == 5
    assert _edges(g) == {("x", "multiply"), ("y", "multiply"), ("multiply", "add"),
                         ("add", "z")}
    kinds = {n["type"] for n in g.nodes.values()}
    assert kinds == {"array", "op"}
    add = next(n for n in g.nodes.values() if n.get("op") == "add")
    assert add["label"] == "add (2)"               # the scalar operand is shown


def test_seed_graph_as_dot(prof):
    g, _ = _seed_graph(prof)
    dot = g.to_dot()
    assert dot.startswith("digraph ndengine {") and dot.rstrip().endswith("}")
    assert dot.count("->") == 4
    for label in ('"x"', '"y"', '"z"', '"multiply"', '"add (2)"'):
        assert f"label={label}" in dot


def test_unnamed_inputs_walk_back_to_their_producers(prof):
    arrays = {}

    def work():
        x = np.ones((1, 2))
        z = (x * 2).sum()
        z.wait_to_read()
        arrays["z"] = z

    record(work)
    g = prof.dependency_graph(arrays["z"])
    assert _node_names(g) == {"full", "multiply", "sum", "array 0"}
    assert _edges(g) == {("full", "multiply"), ("multiply", "sum"), ("sum", "array 0")}


def test_graph_of_last_ops(prof):
    arrays = {}

    def work():
        a = np.ones((3,))
        b = np.sin(a)
        c = b + a
        c.wait_to_read()
        arrays.update(a=a, c=c)

    record(work)
    g = prof.dependency_graph(last=2, names=arrays)
    assert _node_names(g) == {"sin", "add", "a", "c"}
    assert ("sin", "add") in _edges(g) and ("a", "sin") in _edges(g)
    assert ("add", "c") in _edges(g)
    with pytest.raises(ValueError, match="last=N"):
        prof.dependency_graph()
    with pytest.raises(TypeError, match="not an NDArray"):
        prof.dependency_graph([1, 2])


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_render_with_matplotlib_when_graphviz_is_missing(prof, tmp_path, monkeypatch, fmt):
    g, _ = _seed_graph(prof)
    monkeypatch.setattr(shutil, "which", lambda name: None)     # as if dot were absent
    with pytest.raises(RuntimeError, match="Graphviz"):
        g.render(str(tmp_path / f"g.{fmt}"), engine="dot")
    out = g.render(str(tmp_path / f"g.{fmt}"))
    data = open(out, "rb").read()
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert b"<svg" in data[:2000]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed "
                    "(the matplotlib fallback is tested above)")
def test_render_with_graphviz(prof, tmp_path):
    g, _ = _seed_graph(prof)
    out = g.render(str(tmp_path / "g.svg"), engine="dot")
    svg = open(out).read()
    assert "<svg" in svg and ">multiply<" in svg and ">z<" in svg
    assert g.render(str(tmp_path / "g.dot")) and open(tmp_path / "g.dot").read() == g.to_dot()
