"""``mx.visualization`` / ``mx.viz``: a symbol's layers as MXNet 1.9.1 prints them
(:func:`print_summary`) and as a Graphviz graph (:func:`plot_network`, needs the
optional ``graphviz`` Python package).

``print_summary`` prints MXNet's table row for row — the rows are the first node (the
data variable) and every op node in the graph's JSON order, the output shape without
the batch dimension, the parameter count by MXNet's rule (Convolution and
FullyConnected from the number of channels/features of their inputs that are layers,
BatchNorm twice its channels, Embedding input_dim x output_dim, others 0) and the
layers each reads."""
from __future__ import annotations

import json
from typing import Any

__all__ = ["print_summary", "plot_network"]


def _tuple_attr(s: str) -> tuple:
    from .symbol._ops import parse_attr

    v = parse_attr(s)
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


def _row(fields: list, positions: list) -> str:
    line = ""
    for field, stop in zip(fields, positions):
        line = (line + str(field))[:stop]
        line += " " * (stop - len(line))
    return line


def print_summary(symbol: Any, shape: dict | None = None, line_length: int = 120,
                  positions: list = (.44, .64, .74, 1.)) -> None:
    """Print the layers of *symbol*: name(op), output shape (with *shape*: the input
    shapes by name), parameter count and previous layers, then the total."""
    from .symbol import Symbol

    if not isinstance(symbol, Symbol):
        raise TypeError(f"print_summary: symbol must be an mx.sym.Symbol, got "
                        f"{type(symbol).__name__}")
    shapes: dict = {}
    if shape is not None:
        internals = symbol.get_internals()
        _, outs, _ = internals.infer_shape(**shape)
        if outs is None:
            raise ValueError("Input shape is incomplete")
        shapes = dict(zip(internals.list_outputs(), outs))
    graph = json.loads(symbol.tojson())
    nodes = graph["nodes"]
    heads = set(graph["heads"][0])      # MXNet's rule: the entries of the first head
    positions = list(positions)
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    out = ["_" * line_length,
           _row(["Layer (type)", "Output Shape", "Param #", "Previous Layer"], positions),
           "=" * line_length]

    def key(node: dict) -> str:
        return node["name"] if node["op"] == "null" else node["name"] + "_output"

    def layer(node: dict, out_shape: tuple) -> int:
        op = node["op"]
        attrs = node.get("attrs", {})
        prev: list[str] = []
        channels = 0
        if op != "null":
            for src, _, _ in node["inputs"]:
                inp = nodes[src]
                if inp["op"] != "null" or src in heads:
                    prev.append(inp["name"])
                    s = shapes.get(key(inp)) if shape is not None else None
                    if s is not None:
                        channels += int(s[1:][0])
        params = 0
        no_bias = attrs.get("no_bias") == "True"
        if op == "Convolution":
            params = channels * int(attrs["num_filter"]) // int(attrs.get("num_group", "1"))
            for k in _tuple_attr(attrs["kernel"]):
                params *= int(k)
            if not no_bias:
                params += int(attrs["num_filter"])
        elif op == "FullyConnected":
            params = (channels + (0 if no_bias else 1)) * int(attrs["num_hidden"])
        elif op == "BatchNorm" and shape is not None:
            params = int(shapes[node["name"] + "_output"][1]) * 2
        elif op == "Embedding":
            params = int(attrs["input_dim"]) * int(attrs["output_dim"])
        out.append(_row([f"{node['name']}({op})", "x".join(str(d) for d in out_shape),
                         params, prev[0] if prev else ""], positions))
        for p in prev[1:]:
            out.append(_row(["", "", "", p], positions))
        return params

    total = 0
    for i, node in enumerate(nodes):
        if node["op"] == "null" and i > 0:
            continue
        out_shape: tuple = ()
        if (node["op"] != "null" or i in heads) and shape is not None:
            s = shapes.get(key(node))
            if s is not None:
                out_shape = tuple(s[1:])
        total += layer(node, out_shape)
        out.append("=" * line_length if i == len(nodes) - 1 else "_" * line_length)
    out.append(f"Total params: {total}")
    out.append("_" * line_length)
    print("\n".join(out))


_COLORS = ("#8dd3c7", "#fb8072", "#ffffb3", "#bebada", "#80b1d3", "#fdb462", "#b3de69",
           "#fccde5")


def _label(node: dict) -> tuple[str, str]:
    """The node's label and fill colour (by op, as MXNet draws them)."""
    op = node["op"]
    a = node.get("attrs", {})
    if op == "null":
        return node["name"], _COLORS[0]
    if op == "Convolution":
        kernel = "x".join(str(k) for k in _tuple_attr(a["kernel"]))
        stride = "x".join(str(k) for k in _tuple_attr(a.get("stride", "(1,)")))
        return f"Convolution\n{kernel}/{stride}, {a['num_filter']}", _COLORS[1]
    if op == "FullyConnected":
        return f"FullyConnected\n{a['num_hidden']}", _COLORS[1]
    if op == "BatchNorm":
        return op, _COLORS[3]
    if op in ("Activation", "LeakyReLU"):
        return f"{op}\n{a.get('act_type', '')}", _COLORS[2]
    if op == "Pooling":
        kernel = "x".join(str(k) for k in _tuple_attr(a.get("kernel", "(1,)")))
        return f"Pooling\n{a.get('pool_type', 'max')}, {kernel}", _COLORS[4]
    if op in ("Concat", "Flatten", "Reshape"):
        return op, _COLORS[5]
    if op == "Softmax" or op.endswith("Output"):
        return op, _COLORS[6]
    return op, _COLORS[7]


def plot_network(symbol: Any, title: str = "plot", save_format: str = "pdf",
                 shape: dict | None = None, dtype: Any = None, node_attrs: dict | None = None,
                 hide_weights: bool = True) -> Any:
    """A ``graphviz.Digraph`` of *symbol* (with *shape*, edges are labelled with the
    shapes); parameter variables are hidden when *hide_weights*.  Needs the optional
    ``graphviz`` Python package."""
    try:
        from graphviz import Digraph
    except ImportError:
        raise ImportError("plot_network needs the graphviz Python package, an optional "
                          "extra of ndengine: pip install graphviz (and the Graphviz "
                          "programs to render it)") from None
    from .symbol import Symbol

    if not isinstance(symbol, Symbol):
        raise TypeError(f"plot_network: symbol must be an mx.sym.Symbol, got "
                        f"{type(symbol).__name__}")
    shapes: dict = {}
    if shape is not None:
        internals = symbol.get_internals()
        _, outs, _ = internals.infer_shape(**shape)
        if outs is None:
            raise ValueError("Input shape is incomplete")
        shapes = dict(zip(internals.list_outputs(), outs))
    style = {"shape": "box", "fixedsize": "true", "width": "1.3", "height": "0.8034",
             "style": "filled"}
    style.update(node_attrs or {})
    dot = Digraph(name=title, format=save_format)
    graph = json.loads(symbol.tojson())
    nodes = graph["nodes"]
    hidden = set()
    for i, node in enumerate(nodes):
        if node["op"] == "null" and hide_weights and i > 0 and \
                node["name"].rsplit("_", 1)[-1] in ("weight", "bias", "gamma", "beta",
                                                     "var", "mean", "label", "parameters"):
            hidden.add(i)
            continue
        label, color = _label(node)
        dot.node(name=node["name"], label=label, **dict(style, fillcolor=color))
    for node in nodes:
        for src, out_i, _ in node.get("inputs", []):
            if src in hidden:
                continue
            inp = nodes[src]
            attrs = {"dir": "back", "arrowtail": "open"}
            if shapes:
                k = inp["name"] if inp["op"] == "null" else inp["name"] + "_output"
                if k in shapes:
                    attrs["label"] = "x".join(str(d) for d in shapes[k][1:])
            dot.edge(tail_name=node["name"], head_name=inp["name"], **attrs)
    return dot
