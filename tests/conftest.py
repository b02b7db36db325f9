"""Suite-wide fixtures.

The suite is written in MXNet's np mode, as the book's code is (``npx.set_np()``):
every test starts in it.  Tests of MXNet's default (legacy) mode leave it themselves
with ``npx.reset_np()``; the mode is restored for the next test."""
import pytest

from ndengine import npx


@pytest.fixture(autouse=True)
def _np_mode():
    npx.set_np()
    yield
    npx.set_np()
