"""Run a seed-code file cell by cell, as a notebook would, with ndengine as ``mxnet``.

    python tests/seed_code/run_cells.py FILE [--check CODE]

Each ``# %% cell N`` runs in one shared namespace; a cell ending in an expression
prints its ``repr`` (as a notebook shows it).  Prints ``### cell N ok`` after each
cell; on an error prints ``### cell N failed`` with the traceback and exits 1.
``--check CODE`` runs CODE in the same namespace after the last cell.
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def split_cells(text: str) -> list[tuple[int, str]]:
    parts = re.split(r"^# %% cell (\d+)\n", text, flags=re.M)
    return [(int(parts[i]), parts[i + 1]) for i in range(1, len(parts), 2)]


def run_cell(code: str, ns: dict, filename: str) -> None:
    tree = ast.parse(code, filename)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body.pop()
    exec(compile(tree, filename, "exec"), ns)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), filename, "eval"), ns)
        if value is not None:
            print(repr(value))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--check", default=None)
    args = ap.parse_args()
    import ndengine

    ndengine.alias_as_mxnet()
    ns: dict = {"__name__": "__main__"}
    for n, code in split_cells(Path(args.file).read_text()):
        try:
            run_cell(code, ns, f"{args.file} cell {n}")
        except BaseException:  # noqa: BLE001 - reported with the cell number
            print(f"### cell {n} failed", flush=True)
            traceback.print_exc(file=sys.stdout)
            return 1
        print(f"### cell {n} ok", flush=True)
    if args.check:
        exec(args.check, ns)
        print("### check ok", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
