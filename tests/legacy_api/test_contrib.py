"""mx.contrib (nd, sym, autograd) against real MXNet 1.9.1: the client code of
contrib_cases.py runs unchanged on ndengine and gives what MXNet gave (fixtures from
tests/fixtures/mxnet_contrib/make_contrib_fixtures.py)."""
import json
import os
import sys

import pytest

import ndengine

ndengine.alias_as_mxnet()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import mxnet as mx  # noqa: E402

import contrib_cases  # noqa: E402
from compare import check  # noqa: E402

EXPECTED = json.load(open(os.path.join(HERE, "..", "fixtures", "mxnet_contrib", "expected.json")))


@pytest.mark.parametrize("name", sorted(contrib_cases.CASES))
def test_matches_mxnet(name):
    with mx.name.NameManager():     # auto-names counted per case, as the fixture script does
        got = contrib_cases.CASES[name]()
    check(got, EXPECTED[name], name)

