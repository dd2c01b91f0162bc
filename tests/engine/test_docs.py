"""The Examples sections of labelmill.engine (and of the round's sparse votes) run as doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "labelmill.engine",
    "labelmill.engine._base",
    "labelmill.engine._local",
    "labelmill.pipeline.round_data",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
