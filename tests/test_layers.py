"""The layers import only downward: device -> engine -> ndarray -> numpy/npx, autograd -> gluon.

Every module of the package is parsed with ``ast`` (nothing is imported to find the
imports); ``importlib.import_module("...")`` / ``__import__("...")`` calls with a literal
name count as imports too.  Imports under ``if TYPE_CHECKING:`` are ignored.  An import
inside a function is *lazy* (it runs on first call); at module or class level it is a
*top-level* import.

Rules (one test per rule, parametrized per module so a failure names the file):
  * engine/ imports from ndengine only base, device and engine, lazily or not, and no
    array library: the engine knows nothing of arrays.
  * device/ imports from ndengine only base and device.
  * ndarray/ imports none of the layers above it at top level; a lazy import of one is
    tolerated only where listed in ALLOWED_LAZY, with the reason.
  * autograd/ and gluon/ never touch threads (threading, _thread, concurrent.futures)
    and never reach into the engine's internals (its submodules other than the public
    package, private names, ``get_engine()._x``).
  * autograd/ never imports gluon.
  * profiler/ imports from ndengine only the engine hooks and public names (listed in
    the ``__all__`` of the module imported from), never engine internals.

Every ``OpDef(...)`` is made by ``ndarray.ops.register`` (one test over all modules).

Known violations are kept as strict xfails in KNOWN_VIOLATIONS (so a fix flips them).
"""
from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

import ndengine

PKG_DIR = Path(ndengine.__file__).parent
ROOT = PKG_DIR.parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG_DIR.rglob("*.py"))}
PACKAGES = {_module_name(p) for p in PKG_DIR.rglob("__init__.py")}

# The layers above ndarray (what ndarray/ must not import at top level).
ABOVE_NDARRAY = {"numpy", "npx", "autograd", "gluon", "kvstore", "distributed", "optimizer",
                 "init", "profiler", "d2l", "random", "compat", "legacy", "util", "runtime",
                 "libinfo", "io", "callback", "<root>"}

# Lazy imports of upper layers from ndarray/ that predate this test, with why.
# (file relative to ndengine/, function qualname, layer imported) -> reason
ALLOWED_LAZY = {
    ("ndarray/__init__.py", "_legacy", "legacy"):
        "mx.nd is this package (as MXNet's mxnet/ndarray holds the core and the legacy "
        "API): its legacy names come from ndengine.legacy, imported on first use",
    ("ndarray/tape.py", "autograd", "autograd"):
        "autograd methods of NDArray import ndengine.autograd on first use (importlib), "
        "so the array layer never imports it statically",
}

# (rule, file relative to ndengine/) -> reason: violations found, reported, kept visible.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}

THREAD_MODULES = {"threading", "_thread", "concurrent", "concurrent.futures"}
ENGINE_INTERNALS = {"ndengine.engine.threaded", "ndengine.engine.state", "ndengine.engine.var",
                    "ndengine.engine.naive", "ndengine.engine.bulk"}


@dataclass(frozen=True)
class Import:
    file: str           # relative to ndengine/
    line: int
    scope: str          # "<top>" or the qualname of the enclosing function
    target: str         # absolute module name
    names: tuple        # names imported from it ("from X import a, b"), else ()

    @property
    def lazy(self) -> bool:
        return self.scope != "<top>"

    @property
    def layer(self) -> str | None:
        """The ndengine layer imported (second name part), "<root>", or None if external."""
        parts = self.target.split(".")
        if parts[0] != "ndengine":
            return None
        return parts[1] if len(parts) > 1 else "<root>"

    def __str__(self) -> str:
        what = f"from {self.target} import {', '.join(self.names)}" if self.names else \
            f"import {self.target}"
        where = "" if self.scope == "<top>" else f" (in {self.scope})"
        return f"ndengine/{self.file}:{self.line}: {what}{where}"


def _resolve_from(modname: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_pkg = modname in PACKAGES
    base = modname.split(".")
    drop = node.level - 1 if is_pkg else node.level
    base = base[:len(base) - drop] if drop else base
    return ".".join(base + ([node.module] if node.module else []))


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or \
        (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports_of(modname: str) -> list[Import]:
    path = MODULES[modname]
    rel = str(path.relative_to(PKG_DIR))
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, scope: list[str], in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub, scope, in_function)
                continue
            where = ".".join(scope) if in_function else "<top>"
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(rel, child.lineno, where, alias.name, ()))
            elif isinstance(child, ast.ImportFrom):
                target = _resolve_from(modname, child)
                plain = []
                for alias in child.names:
                    sub = f"{target}.{alias.name}"
                    if sub in MODULES:        # "from .. import numpy" imports a module
                        found.append(Import(rel, child.lineno, where, sub, ()))
                    else:
                        plain.append(alias.name)
                if plain:
                    found.append(Import(rel, child.lineno, where, target, tuple(plain)))
            elif isinstance(child, ast.Call):
                name = _dynamic_import_name(child)
                if name is not None:
                    found.append(Import(rel, child.lineno, where, name, ()))
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                label = getattr(child, "name", "<lambda>")
                visit(child, scope + [label], True)
            elif isinstance(child, ast.ClassDef):
                visit(child, scope + [child.name], in_function)
            else:
                visit(child, scope, in_function)

    visit(tree, [], False)
    return found


def _dynamic_import_name(call: ast.Call) -> str | None:
    f = call.func
    fname = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
    if fname not in ("import_module", "__import__"):
        return None
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        name = call.args[0].value
        return None if name.startswith(".") else name
    return None


def private_engine_accesses(modname: str) -> list[str]:
    """``engine._x`` / ``_engine._x`` / ``get_engine()._x`` and ``.threaded`` lookups."""
    path = MODULES[modname]
    rel = str(path.relative_to(PKG_DIR))
    out = []
    tree = ast.parse(path.read_text())
    # ``engine.bulk(n)`` is the public context manager (engine.__all__), which shadows
    # the submodule's name; only ``engine.bulk.<x>`` reaches into the submodule
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        if node.attr == "bulk" and id(node) in called:
            continue
        base = node.value
        on_engine = (isinstance(base, ast.Name) and base.id in ("engine", "_engine")) or (
            isinstance(base, ast.Call) and (
                (isinstance(base.func, ast.Name) and base.func.id == "get_engine")
                or (isinstance(base.func, ast.Attribute) and base.func.attr == "get_engine")))
        if (on_engine and node.attr.startswith("_") and not node.attr.startswith("__")) or \
                (on_engine and node.attr in ("threaded", "state", "var", "naive", "bulk")):
            out.append(f"ndengine/{rel}:{node.lineno}: {ast.unparse(node)}")
    return out


def modules_under(layer: str) -> list[str]:
    return [m for m in MODULES if m == f"ndengine.{layer}" or m.startswith(f"ndengine.{layer}.")]


def params(rule: str, layer: str) -> list:
    out = []
    for m in modules_under(layer):
        rel = str(MODULES[m].relative_to(PKG_DIR))
        reason = KNOWN_VIOLATIONS.get((rule, rel))
        marks = [pytest.mark.xfail(strict=True, reason=f"layer violation: {reason}")] if reason else []
        out.append(pytest.param(m, id=rel, marks=marks))
    return out


def _fail(rule: str, bad: list) -> None:
    if bad:
        pytest.fail(f"{rule}:\n  " + "\n  ".join(str(b) for b in bad), pytrace=False)


# --------------------------------------------------------------------- the rules
@pytest.mark.parametrize("mod", params("engine", "engine"))
def test_engine_imports_only_base_device_and_itself(mod):
    bad = [i for i in imports_of(mod)
           if (i.layer is not None and i.layer not in ("base", "device", "engine"))
           or i.target.split(".")[0] in ("numpy", "cupy")]
    _fail("engine/ must know nothing of arrays or the layers above it", bad)


@pytest.mark.parametrize("mod", params("device", "device"))
def test_device_imports_nothing_above_it(mod):
    bad = [i for i in imports_of(mod) if i.layer is not None and i.layer not in ("base", "device")]
    _fail("device/ may import from ndengine only base and device", bad)


@pytest.mark.parametrize("mod", params("ndarray", "ndarray"))
def test_ndarray_does_not_import_the_layers_above_it(mod):
    bad = []
    for i in imports_of(mod):
        if i.layer not in ABOVE_NDARRAY:
            continue
        if i.lazy and (i.file, i.scope, i.layer) in ALLOWED_LAZY:
            continue
        bad.append(i)
    _fail("ndarray/ imports an upper layer (top level, or lazily outside ALLOWED_LAZY)", bad)


@pytest.mark.parametrize("mod", params("threads", "autograd") + params("threads", "gluon"))
def test_autograd_and_gluon_never_touch_threads(mod):
    bad = [i for i in imports_of(mod)
           if i.target in THREAD_MODULES or i.target.split(".")[0] in ("threading", "_thread")]
    _fail("autograd/ and gluon/ must not use threads (the engine owns them)", bad)


@pytest.mark.parametrize("mod", params("internals", "autograd") + params("internals", "gluon"))
def test_autograd_and_gluon_use_only_the_engine_api(mod):
    bad: list = [i for i in imports_of(mod)
                 if i.target in ENGINE_INTERNALS
                 or (i.target == "ndengine.engine" and any(n.startswith("_") for n in i.names))]
    bad += private_engine_accesses(mod)
    _fail("autograd/ and gluon/ may use only ndengine.engine's public API", bad)


@pytest.mark.parametrize("mod", params("autograd-gluon", "autograd"))
def test_autograd_does_not_import_gluon(mod):
    bad = [i for i in imports_of(mod) if i.layer == "gluon"]
    _fail("autograd/ sits below gluon/", bad)


def _public_names(target: str) -> set[str]:
    return set(getattr(importlib.import_module(target), "__all__", ()))


@pytest.mark.parametrize("mod", params("profiler", "profiler"))
def test_profiler_uses_only_engine_hooks_and_public_apis(mod):
    bad: list = []
    for i in imports_of(mod):
        if i.layer is None or i.layer == "profiler" or i.target == "ndengine.engine.hooks":
            continue
        if i.target in ENGINE_INTERNALS or any(p.startswith("_") for p in i.target.split(".")):
            bad.append(i)
        elif not i.names:
            if i.target not in PACKAGES and i.target not in ("ndengine.base",):
                bad.append(i)          # a whole non-package module: not a public API
        elif not set(i.names) <= _public_names(i.target) or any(n.startswith("_") for n in i.names):
            bad.append(i)
    bad += private_engine_accesses(mod)
    _fail("profiler/ may import only engine hooks and public names", bad)


def _opdef_calls(node: ast.AST, tree: ast.AST | None = None) -> list[ast.Call]:
    """Calls of OpDef, under its name or an alias it is imported as (in *tree*)."""
    names = {"OpDef"} | {a.asname for n in ast.walk(tree or node) if isinstance(n, ast.ImportFrom)
                         for a in n.names if a.name == "OpDef" and a.asname}
    return [n for n in ast.walk(node) if isinstance(n, ast.Call) and (
        (isinstance(n.func, ast.Name) and n.func.id in names)
        or (isinstance(n.func, ast.Attribute) and n.func.attr == "OpDef"))]


def test_every_opdef_is_made_by_the_one_register_function():
    """``OpDef(...)`` is called only by ``ndarray.ops.register``, so that every op is
    defined one way and listed in a table (OPS, or the legacy API's LEGACY_OPS)."""
    bad = []
    for mod, path in MODULES.items():
        tree = ast.parse(path.read_text())
        allowed: set[int] = set()
        if mod == "ndengine.ndarray.ops":
            reg = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "register"]
            assert reg, "ndarray/ops.py has no register function"
            allowed = {id(c) for c in _opdef_calls(reg[0])}
            assert allowed, "ndarray.ops.register does not make the OpDef"
        bad += [f"ndengine/{path.relative_to(PKG_DIR)}:{c.lineno}: {ast.unparse(c)[:60]}"
                for c in _opdef_calls(tree) if id(c) not in allowed]
    _fail("OpDef(...) outside ndarray.ops.register (use register(...))", bad)


# --------------------------------------------------------------------- the checker itself
def test_the_parser_sees_known_imports():
    """Guards the rules above against a checker that silently finds nothing."""
    threaded = {i.target for i in imports_of("ndengine.engine.threaded")}
    assert {"ndengine.engine.state", "ndengine.engine.var", "ndengine.base", "threading"} <= threaded
    nd = imports_of("ndengine.ndarray.ndarray")
    assert any(i.target == "ndengine.engine" and not i.lazy for i in nd)
    init = imports_of("ndengine.ndarray")
    assert any(i.target == "ndengine.legacy" and i.scope == "_legacy" for i in init)
    tape = imports_of("ndengine.ndarray.tape")
    assert any(i.target == "ndengine.autograd" and i.lazy for i in tape)
    for layer in ("engine", "device", "ndarray", "autograd", "gluon", "profiler"):
        assert modules_under(layer), layer


def test_allowed_lazy_exceptions_are_lazy_and_real():
    """Each listed exception names a function that exists in that file."""
    for file, scope, layer in ALLOWED_LAZY:
        mod = _module_name(PKG_DIR / file)
        scopes = {(i.scope, i.layer) for i in imports_of(mod) if i.lazy}
        assert (scope, layer) in scopes, f"ALLOWED_LAZY entry {file} {scope} is stale"
