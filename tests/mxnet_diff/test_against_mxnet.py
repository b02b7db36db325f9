"""Every differential case gives on ndengine what it gave on real MXNet 1.9.1.

The cases are in ``cases/cases_*.py``, MXNet's results in ``fixtures/`` (made by
``make_fixtures.py`` on real MXNet; see ``_diff.py``).  One test per case.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import _diff

import ndengine

ndengine.alias_as_mxnet()
import mxnet as mx  # noqa: E402  (ndengine, through the alias)
from mxnet import np, npx  # noqa: E402


def _params():
    out = []
    for module in _diff.case_modules():
        for name in _diff.load_cases(module):
            out.append(pytest.param(module, name, id=f"{module.stem[6:]}::{name}"))
    return out


_FIXTURES: dict = {}
DIFFERENCES = Path(__file__).parents[2] / "docs" / "mxnet-differences.md"


def _fixture(module):
    if module not in _FIXTURES:
        path = _diff.fixture_path(module)
        assert path.exists(), (f"no MXNet fixture for {module.name}: run make_fixtures.py "
                               f"{module.stem[6:]} with real MXNet (see _diff.py)")
        _FIXTURES[module] = _diff.load_fixture(module)
    return _FIXTURES[module]


_LAST_MODULE: list = [None]


def _fresh_block_names(module) -> None:
    """make_fixtures.py runs each module's cases in a fresh process, in order, so MXNet's
    automatic block names (conv0_, dense3_, ...) count from 0 at the module's first case:
    start ndengine's counters afresh there too."""
    if _LAST_MODULE[0] != module:
        from ndengine.gluon import block as _block

        _block._NAMES.counts.clear()
        _LAST_MODULE[0] = module


@pytest.mark.parametrize("module, name", _params())
def test_case_matches_mxnet(module, name, tmp_path):
    _fresh_block_names(module)
    fn = _diff.load_cases(module)[name]
    meta, arrays = _fixture(module)
    entry = meta["cases"].get(name)
    assert entry is not None, f"{name} has no MXNet result: run make_fixtures.py {module.stem[6:]}"
    assert entry["hash"] == _diff.source_hash(fn), (
        f"{name} changed since its MXNet result was made: run make_fixtures.py "
        f"{module.stem[6:]} with real MXNet")
    (npx.set_np if fn.__diff_case__["mode"] == "np" else npx.reset_np)()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        got, got_arrays = _diff.run_case(fn, mx, np, npx)
        npx.waitall()
    finally:
        os.chdir(cwd)
        npx.set_np()
    reason = fn.__diff_case__["differs"]
    if reason is None:
        _diff.compare(entry["result"], arrays, got, got_arrays, fn.__diff_case__)
        return
    with pytest.raises(AssertionError):
        _diff.compare(entry["result"], arrays, got, got_arrays, fn.__diff_case__)
    assert f"`{name}`" in DIFFERENCES.read_text(), \
        f"{name} differs from MXNet on purpose ({reason}): say so in {DIFFERENCES.name}"


def test_every_fixture_has_its_case_module():
    stems = {m.stem for m in _diff.case_modules()}
    orphans = [p.name for p in _diff.FIXTURES_DIR.glob("*.npz") if p.stem not in stems]
    assert not orphans, f"fixtures without a case module: {orphans}"
