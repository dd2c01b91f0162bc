"""The Examples sections of the featurizer modules this package documents run as doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

from labelmill.features import missing_pretrained_packages

MODULES = [
    "labelmill.features._image",
    "labelmill.features._text",
    "labelmill.features._zero_shot",
    pytest.param(
        "labelmill.features._factory",
        marks=pytest.mark.skipif(
            bool(missing_pretrained_packages()),
            reason="its example shows the pretrained default, whose packages are missing",
        ),
    ),
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0
