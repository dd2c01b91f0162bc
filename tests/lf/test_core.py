"""Labeling functions and preprocessors: Snorkel's decorator semantics."""

import pytest

from labelmill.exceptions import ConfigError
from labelmill.lf import LabelingFunction, Row, labeling_function, preprocessor


def test_snorkel_style_lf_runs_unchanged():
    @labeling_function()
    def lf_contains_link(x):
        return 1 if "http" in x.text.lower() else -1

    assert isinstance(lf_contains_link, LabelingFunction)
    assert lf_contains_link.name == "lf_contains_link"
    assert lf_contains_link(Row({"text": "see HTTP://x"})) == 1
    assert lf_contains_link(Row({"text": "nothing"})) == -1


def test_name_resources_and_pre():
    @preprocessor()
    def lower(x):
        x.text = x.text.lower()
        return x

    @labeling_function(name="kw", resources={"words": {"free"}}, pre=[lower])
    def f(x, words):
        return 1 if any(w in x.text for w in words) else -1

    row = Row({"text": "FREE stuff"})
    assert f.name == "kw" and f(row) == 1
    assert row.text == "FREE stuff"  # preprocessors work on a copy


def test_bare_decorator_accepted():
    @labeling_function
    def g(x):
        return 0

    assert g.name == "g" and g(Row({})) == 0


def test_version_changes_with_source():
    def make(src):
        ns = {}
        exec(src, ns)
        return LabelingFunction("same", ns["f"])

    a = make("def f(x):\n    return 1\n")
    b = make("def f(x):\n    return 0\n")
    a2 = make("def f(x):\n    return 1\n")
    assert a.version != b.version
    assert a.version == a2.version and len(a.version) == 12
    assert a.definition["kind"] == "python"


def test_row_access():
    row = Row({"text": "a", "n": 2}, name=7)
    assert row["n"] == 2 and row.get("zz", 5) == 5 and "text" in row and row.name == 7
    with pytest.raises(KeyError, match="zz"):
        row["zz"]


def test_misuse_errors():
    with pytest.raises(ConfigError, match="non-empty string name"):
        LabelingFunction("", lambda x: 0)
    with pytest.raises(ConfigError, match="must wrap a callable"):
        LabelingFunction("a", 3)
    with pytest.raises(ConfigError, match="'pre' entry .* must be callable"):
        LabelingFunction("a", lambda x: 0, pre=[3])
    with pytest.raises(ConfigError, match="'name' argument of labeling_function"):
        labeling_function(name=3)
    with pytest.raises(ConfigError, match="preprocessor must wrap a callable"):
        preprocessor(3)
