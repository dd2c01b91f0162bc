"""Transformation functions: the decorator, the class form, their checks."""

import numpy as np
import pytest

from labelmill.augment import TransformationFunction, transformation_function
from labelmill.exceptions import ConfigError


def test_decorator_with_name_resources_and_pre():
    def strip(x):
        return x.strip()

    @transformation_function(name="suffix", resources={"tail": "!"}, pre=[strip])
    def add_tail(x, tail):
        return x + tail

    assert isinstance(add_tail, TransformationFunction)
    assert add_tail.name == "suffix"
    assert add_tail("  hi ") == "hi!"
    assert add_tail.definition["resources"] == ["tail"]
    assert len(add_tail.version) == 12


def test_bare_decorator_and_context_by_parameter_name():
    @transformation_function
    def jitter(x, rng, label):
        return f"{x} {label} {rng.integers(100)}"

    assert jitter.name == "jitter"
    a = jitter("q", rng=np.random.default_rng(3), label=2)
    b = jitter("q", rng=np.random.default_rng(3), label=2)
    assert a == b and a.startswith("q 2 ")


def test_var_keyword_function_gets_the_context():
    seen = {}

    @transformation_function()
    def plain(x, **kwargs):
        seen.update(kwargs)
        return x

    plain("a", label=4)
    assert seen["label"] == 4 and isinstance(seen["rng"], np.random.Generator)

    @transformation_function()
    def only_x(x):
        return x * 2

    assert only_x("ab", rng=np.random.default_rng(0), label=1) == "abab"


def test_class_form():
    class Upper(TransformationFunction):
        def __init__(self):
            super().__init__("upper")

        def transform(self, x, *, rng, label):
            return x.upper()

    assert Upper()("abc") == "ABC"
    assert "Upper" in repr(Upper())


def test_version_changes_with_the_source():
    a = TransformationFunction("f", lambda x: x + "a")
    b = TransformationFunction("f", lambda x: x + "b")
    assert a.version != b.version


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "", "f": str.upper}, "non-empty string name. Got ''"),
        ({"name": "f", "f": 3}, "TransformationFunction 'f' must wrap a callable. Got 3"),
        ({"name": "f"}, "must wrap a callable .or subclass"),
        ({"name": "f", "f": str.upper, "pre": [1]}, "'pre' entry of transformation function 'f'"),
    ],
)
def test_bad_construction(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        TransformationFunction(**kwargs)


def test_decorator_rejects_a_non_string_name():
    with pytest.raises(ConfigError, match="'name' argument of transformation_function"):
        transformation_function(name=3)


def test_pre_returning_none_is_an_error():
    tf = TransformationFunction("f", str.upper, pre=[lambda x: None])
    with pytest.raises(ValueError, match="pre-processor .* of 'f' returned None"):
        tf("a")


def test_built_in_versions_change_with_their_parameters():
    from labelmill.augment import TokenDropout

    assert TokenDropout(0.1).version == TokenDropout(0.1).version
    assert TokenDropout(0.1).version != TokenDropout(0.2).version
