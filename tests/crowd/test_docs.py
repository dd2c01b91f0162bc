"""The Examples sections of labelmill.crowd and labelmill.labelmodel run as doctests."""

import doctest
import importlib

import pytest

MODULES = [
    "labelmill.crowd._aggregate",
    "labelmill.crowd._agreement",
    "labelmill.crowd._answers",
    "labelmill.crowd._quality",
    "labelmill.labelmodel._base",
    "labelmill.labelmodel._dawid_skene",
    "labelmill.labelmodel._decoding",
    "labelmill.labelmodel._dependencies",
    "labelmill.labelmodel._glad",
    "labelmill.labelmodel._label_model",
    "labelmill.labelmodel._mace",
    "labelmill.labelmodel._majority",
    "labelmill.labelmodel._one_coin",
    "labelmill.labelmodel._sklearn",
    "labelmill.labelmodel._validation",
    "labelmill.labelmodel._wawa",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
