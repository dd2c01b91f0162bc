"""The Examples sections of labelmill.active run as doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "labelmill.active._bandit",
    "labelmill.active._base",
    "labelmill.active._committee",
    "labelmill.active._diversity",
    "labelmill.active._hybrid",
    "labelmill.active._query",
    "labelmill.active._registry",
    "labelmill.active._stopping",
    "labelmill.active._uncertainty",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
