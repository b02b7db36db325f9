"""Draw a :class:`~.graph.DepGraph` with matplotlib when Graphviz is not installed.

A plain layered layout: each node's column is the length of the longest path reaching
it; nodes of one column are stacked in the order they were added.  Good enough for the
small graphs people draw (a few dozen nodes); Graphviz does better when it is there.
"""
from __future__ import annotations

from typing import Any

from ..base import optional_import
from .kinds import KIND_COLORS

__all__ = ["draw_graph", "layers"]


def layers(nodes: list[str], edges: list[tuple[str, str, str]]) -> dict[str, int]:
    """Column of each node: the longest path from a source (cycles are not expected)."""
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    for s, d, _ in edges:
        preds[d].append(s)
    col: dict[str, int] = {}

    def depth(n: str, guard: int = 0) -> int:
        if n in col:
            return col[n]
        if guard > len(nodes):
            return 0
        col[n] = 0      # provisional, stops a cycle
        col[n] = max((depth(p, guard + 1) + 1 for p in preds[n]), default=0)
        return col[n]

    for n in nodes:
        depth(n)
    return col


def draw_graph(graph: Any, path: str, fmt: str) -> None:
    # no pyplot: the user's backend is untouched
    Figure = optional_import("matplotlib.figure", "DepGraph.render (without Graphviz's "
                             "'dot' on PATH it draws with matplotlib)").Figure
    from matplotlib.patches import Ellipse, FancyBboxPatch

    nodes = list(graph.nodes)
    col = layers(nodes, graph.edges)
    rows: dict[int, list[str]] = {}
    for n in nodes:
        rows.setdefault(col[n], []).append(n)
    height = max((len(v) for v in rows.values()), default=1)
    pos = {}
    for c, members in rows.items():
        for i, n in enumerate(members):          # each column centred on y = 0
            pos[n] = (c * 2.2, (len(members) - 1) / 2 - i)
    ncols = max(rows, default=0) + 1
    fig = Figure(figsize=(max(3.0, 1.6 * ncols), max(2.0, 1.0 * height + 0.6)))
    ax = fig.subplots()
    for s, d, kind in graph.edges:
        (x0, y0), (x1, y1) = pos[s], pos[d]
        ax.annotate("", xy=(x1 - 0.55, y1), xytext=(x0 + 0.55, y0),
                    arrowprops=dict(arrowstyle="-|>", color="#555555", lw=1.2,
                                    linestyle="-" if kind == "data" else "--"))
    for n in nodes:
        x, y = pos[n]
        info = graph.nodes[n]
        if info["type"] == "op":
            color = KIND_COLORS.get(info.get("kind", "compute"), KIND_COLORS["compute"])
            ax.add_patch(FancyBboxPatch((x - 0.55, y - 0.22), 1.1, 0.44,
                                        boxstyle="round,pad=0.02", fc=color, ec="none"))
            ax.text(x, y, info["label"], ha="center", va="center", color="white", fontsize=9)
        else:
            ax.add_patch(Ellipse((x, y), 1.1, 0.5, fc="white", ec="#333333"))
            ax.text(x, y, info["label"], ha="center", va="center", fontsize=10)
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.savefig(path, format=fmt, bbox_inches="tight")
