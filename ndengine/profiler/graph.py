"""The dependency graph of recorded ops, as DOT text and as SVG/PNG pictures.

``dependency_graph(z, names={"x": x, "y": y, "z": z})`` walks back from ``z`` through
the ops the profiler recorded, following each op's inputs to the op that produced them,
and stops at arrays named in *names* (they become the graph's inputs) or whose producer
was not recorded.  Intermediate arrays nobody named are not drawn: their producer points
straight at their consumer.  For ``z = x * y + 2`` that is the seed's figure: ``x`` and
``y`` into ``multiply``, into ``add``, into ``z``.

Pictures come from Graphviz's ``dot`` when it is installed, otherwise from a small
layered layout drawn with matplotlib (the ``demo`` extra).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any, Iterable

from ..base import write_text
from .kinds import KIND_COLORS, op_kind
from .recorder import DATA, OpRecord, Recorder, describe

__all__ = ["DepGraph", "graph_of_arrays", "graph_of_last_ops"]


class DepGraph:
    """Nodes (arrays and ops) and edges ``(src, dst, kind)``; ``kind`` is ``data`` or an
    ordering dependency (``write-after-write``, ``write-after-read``)."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: list[tuple[str, str, str]] = []
        self._edge_set: set[tuple[str, str, str]] = set()

    # -- building --------------------------------------------------------------
    def add_array(self, key: str, label: str, meta: str | None = None) -> str:
        if key not in self.nodes:
            self.nodes[key] = {"type": "array", "label": label, "meta": meta}
        return key

    def add_op(self, rec: OpRecord) -> str:
        key = f"op{rec.id}"
        if key not in self.nodes:
            label = rec.full_name
            if rec.consts:
                label += " (" + ", ".join(_const(c) for c in rec.consts[:3]) + ")"
            self.nodes[key] = {"type": "op", "label": label, "op": rec.full_name,
                               "kind": op_kind(rec.name, rec.copy), "id": rec.id,
                               "device": str(rec.device)}
        return key

    def add_edge(self, src: str, dst: str, kind: str = DATA) -> None:
        e = (src, dst, kind)
        if e not in self._edge_set:
            self._edge_set.add(e)
            self.edges.append(e)

    # -- reading ---------------------------------------------------------------
    def labels(self) -> list[str]:
        return [n["label"] for n in self.nodes.values()]

    def edge_labels(self, kind: str | None = None) -> set[tuple[str, str]]:
        """``{(source label, target label)}`` (of one *kind* if given)."""
        return {(self.nodes[s]["label"], self.nodes[d]["label"]) for s, d, k in self.edges
                if kind is None or k == kind}

    def __repr__(self) -> str:
        return f"<DepGraph {len(self.nodes)} nodes, {len(self.edges)} edges>"

    # -- output ----------------------------------------------------------------
    def to_dot(self, rankdir: str = "LR") -> str:
        """Graphviz DOT text of the graph."""
        lines = ["digraph ndengine {", f"  rankdir={rankdir};",
                 '  node [fontname="Helvetica", fontsize=12];',
                 '  edge [color="#555555"];']
        for key, n in self.nodes.items():
            label = _dot_str(n["label"])
            if n["type"] == "array":
                tip = f', tooltip={_dot_str(n["meta"])}' if n.get("meta") else ""
                lines.append(f"  {key} [label={label}, shape=ellipse{tip}];")
            else:
                color = KIND_COLORS.get(n["kind"], KIND_COLORS["compute"])
                tip = _dot_str(f'{n["op"]} #{n["id"]} on {n["device"]}')
                lines.append(f'  {key} [label={label}, shape=box, style="rounded,filled", '
                             f'fillcolor="{color}", fontcolor="white", tooltip={tip}];')
        for s, d, k in self.edges:
            style = "" if k == DATA else f' [style=dashed, label={_dot_str(k)}, fontsize=9]'
            lines.append(f"  {s} -> {d}{style};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def render(self, path: str, format: str | None = None, engine: str = "auto") -> str:
        """Write the graph to *path* as ``svg``, ``png`` or ``dot`` (from the suffix unless
        *format* is given).  *engine*: ``dot`` (Graphviz), ``matplotlib``, or ``auto``
        (Graphviz when its ``dot`` is on PATH).  Returns *path*."""
        fmt = (format or os.path.splitext(path)[1].lstrip(".") or "svg").lower()
        if fmt == "dot" or fmt == "gv":
            write_text(path, self.to_dot(), "DepGraph.render")
            return path
        if fmt not in ("svg", "png", "pdf"):
            raise ValueError(f"render: format must be svg, png, pdf or dot, got {fmt!r}")
        if engine not in ("auto", "dot", "matplotlib"):
            raise ValueError(f"render: engine must be 'auto', 'dot' or 'matplotlib', "
                             f"got {engine!r}")
        dot = shutil.which("dot") if engine != "matplotlib" else None
        if engine == "dot" and dot is None:
            raise RuntimeError("render: Graphviz's 'dot' is not on PATH; install graphviz "
                               "or use engine='matplotlib' (or to_dot() for the text)")
        if dot is not None:
            subprocess.run([dot, f"-T{fmt}", "-o", path], input=self.to_dot(), text=True,
                           check=True, capture_output=True, timeout=60)
            return path
        from .drawing import draw_graph
        draw_graph(self, path, fmt)
        return path

    def _repr_svg_(self) -> str | None:   # shown inline in Jupyter when Graphviz is there
        dot = shutil.which("dot")
        if dot is None:
            return None
        r = subprocess.run([dot, "-Tsvg"], input=self.to_dot(), text=True,
                           capture_output=True, timeout=60)
        return r.stdout if r.returncode == 0 else None


def _const(c: Any) -> str:
    """A scalar operand as written in code: 2 for 2.0, 0.5, True."""
    return f"{c:g}" if isinstance(c, float) else repr(c)


def _dot_str(s: Any) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _array_label(var: Any, names: dict[Any, str], meta: str | None) -> str:
    if var is not None and var in names:
        return names[var]
    return meta or "array"


def graph_of_arrays(rec: Recorder, arrays: Iterable[Any], names: dict[Any, str]) -> DepGraph:
    """The graph that produced *arrays*, back to arrays in *names* (var -> name)."""
    g = DepGraph()
    by_id = rec.by_id
    stack: list[int] = []
    for a in arrays:
        v = a._var
        meta = f"{tuple(a._shape)} {a._dtype}"
        node = g.add_array(f"v{id(v)}", _array_label(v, names, meta), meta)
        p = rec.writer_of(v)
        if p in by_id:
            g.add_edge(g.add_op(by_id[p]), node)
            stack.append(p)
    seen: set[int] = set()
    while stack:
        oid = stack.pop()
        if oid in seen:
            continue
        seen.add(oid)
        r = by_id[oid]
        me = g.add_op(r)
        for i, (ref, prod, meta) in enumerate(r.inputs):
            v = ref()
            meta = describe(meta)
            if v is not None and v in names:            # a named array: an input leaf
                g.add_edge(g.add_array(f"v{id(v)}", names[v], meta), me)
            elif prod in by_id:
                g.add_edge(g.add_op(by_id[prod]), me)
                stack.append(prod)
            else:                                       # produced before recording
                key = f"v{id(v)}" if v is not None else f"in{oid}_{i}"
                g.add_edge(g.add_array(key, meta or "array", meta), me)
    return g


def graph_of_last_ops(rec: Recorder, n: int, names: dict[Any, str]) -> DepGraph:
    """The last *n* recorded ops and every dependency among them; arrays in *names*
    appear as nodes where those ops read or write them."""
    g = DepGraph()
    records = rec.snapshot()[0][-n:] if n > 0 else []
    ids = {r.id for r in records}
    for r in records:
        me = g.add_op(r)
        for dep, kind in r.deps:
            if dep in ids:
                g.add_edge(g.add_op(rec.by_id[dep]), me, kind)
        for ref, _, meta in r.inputs:
            v = ref()
            if v is not None and v in names:
                g.add_edge(g.add_array(f"v{id(v)}", names[v], describe(meta)), me)
        for ref, meta in r.outputs:
            v = ref()
            if v is not None and v in names:
                g.add_edge(me, g.add_array(f"v{id(v)}", names[v], describe(meta)))
    return g
