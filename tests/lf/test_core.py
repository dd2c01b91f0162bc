"""Labeling functions and preprocessors: Snorkel's decorator semantics."""

import pickle
from copy import copy, deepcopy
from types import SimpleNamespace

import pandas as pd
import pytest

from labelmill.exceptions import ConfigError, InputError
from labelmill.lf import (
    BasePreprocessor,
    LabelingFunction,
    LambdaPreprocessor,
    Preprocessor,
    Row,
    apply_lfs,
    labeling_function,
    memoize_key,
    preprocessor,
)


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
    with pytest.raises(AttributeError, match=r"no column 'zz'\. Columns: \['text', 'n'\]"):
        _ = row.zz


def test_row_behaves_as_the_series_snorkel_passes():
    values = {"text": "Hi", "name": "ann", "count": 3, "n": None, "f": float("nan")}
    row = Row(values, name="id7")
    series = pd.Series(list(values.values()), index=list(values), name="id7")
    assert row.name == series.name == "id7"  # the index label, not the 'name' column
    assert row["name"] == series["name"] == "ann"
    assert row.count() == series.count() == 3  # pandas' method, not the column
    assert row["count"] == 3
    assert row.isnull().tolist() == series.isnull().tolist() == [False] * 3 + [True, True]
    assert row.to_dict() == pytest.approx(series.to_dict(), nan_ok=True)
    assert list(row.index) == list(series.index) and len(row) == len(series)
    assert list(row)[:4] == list(series)[:4]  # iteration yields values, as for a Series
    assert row[["text", "count"]].tolist() == ["Hi", 3]
    assert isinstance(row.to_series(), pd.Series)
    with pytest.raises(AttributeError, match=r"x\.count is an attribute of pandas\.Series"):
        row.count = 4
    row["count"] = 4
    assert row["count"] == 4


def test_row_copies_pickles_and_hashes_by_value():
    row = Row({"text": "a", "tags": ["x"]}, name=1)
    twin = Row({"text": "a", "tags": ["x"]}, name=1)
    assert row == twin and hash(row) == hash(twin) and row != Row({"text": "a"}, name=1)
    assert row != Row({"text": "a", "tags": ["x"]}, name=2)
    c = copy(row)
    c.text = "b"
    assert row.text == "a" and c.name == 1
    d = deepcopy(row)
    d.tags.append("y")
    assert row.tags == ["x"]
    assert pickle.loads(pickle.dumps(row)) == row
    assert Row({"f": float("nan")}) == Row({"f": float("nan")})


def test_memoized_preprocessor_runs_once_per_row():
    calls = []

    @preprocessor(memoize=True)
    def sentiment(x):
        calls.append(x.text)
        x.polarity = len(x.text)
        return x

    @labeling_function(pre=[sentiment])
    def positive(x):
        return 1 if x.polarity > 3 else -1

    @labeling_function(pre=[sentiment])
    def negative(x):
        return 0 if x.polarity <= 3 else -1

    df = pd.DataFrame({"text": ["good day", "bad", "good day"]})
    L = apply_lfs([positive, negative], df)
    assert L.tolist() == [[1, -1], [-1, 0], [1, -1]]
    assert calls == ["good day", "bad", "good day"]  # once per row: index labels differ
    apply_lfs([positive, negative], df)
    assert len(calls) == 3  # the cache outlives the call
    sentiment.reset_cache()
    apply_lfs([positive], df)
    assert len(calls) == 6


def test_memoize_key_and_nested_pre():
    calls = []

    @preprocessor()
    def strip(x):
        x.text = x.text.strip()
        return x

    @preprocessor(pre=[strip], memoize=True, memoize_key=lambda x: x.text)
    def upper(x):
        calls.append(x.text)
        x.text = x.text.upper()
        return x

    assert upper(Row({"text": " a "}, name=0)).text == "A"
    assert upper(Row({"text": " a "}, name=1)).text == "A"  # same key: cached
    assert calls == ["a"]
    assert memoize_key(Row({"t": [1]}, name=2)) == memoize_key(Row({"t": [1]}, name=2))


def test_snorkel_style_preprocessor_subclass_and_lambda():
    class Concat(Preprocessor):
        def __init__(self):
            super().__init__(
                "concat",
                field_names={"a": "title", "b": "body"},
                mapped_field_names={"joined": "article"},
                memoize=True,
            )

        def run(self, a, b):
            return {"joined": f"{a} {b}"}

    class Length(Preprocessor):
        def run(self, text):  # field names from run's arguments
            return {"length": len(text)}

    x = Concat()(Row({"title": "T", "body": "B"}))
    assert x.article == "T B" and Concat().name == "concat"
    assert Length()(Row({"text": "abc"})).length == 3
    ns = Length()(SimpleNamespace(text="ab"))
    assert ns.length == 2
    lam = LambdaPreprocessor("up", lambda x: x.text.upper(), memoize=True)
    assert lam.name == "up" and lam(Row({"text": "a"})) == "A"
    assert BasePreprocessor is Preprocessor
    named = preprocessor("renamed")(lambda x: x)
    assert named.name == "renamed"


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
    with pytest.raises(ConfigError, match="or subclass Preprocessor and implement run"):
        Preprocessor("no_run")
    with pytest.raises(ConfigError, match="preprocessor must wrap a callable"):
        LambdaPreprocessor("x", 3)
    with pytest.raises(ConfigError, match="'pre' entry of preprocessor 'f' must be callable"):
        Preprocessor(lambda x: x, pre=[3], name="f")
    with pytest.raises(ConfigError, match="'memoize_key' argument of preprocessor"):
        Preprocessor(lambda x: x, memoize=True, memoize_key=3)
    with pytest.raises(ValueError, match=r"preprocessor 'none', run before 'f', returned None"):
        Preprocessor(lambda x: x, pre=[Preprocessor(lambda x: None, name="none")], name="f")(
            Row({})
        )
    with pytest.raises(InputError, match="Cannot memoize on a value of type bytearray"):
        Preprocessor(lambda x: x, memoize=True)(Row({"o": [bytearray(b"x")]}))
