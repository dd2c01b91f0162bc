"""Declarative rules: vectorised votes equal to a row-by-row Python evaluation."""

import re

import numpy as np
import pandas as pd
import pytest

from labelmill.exceptions import InputError
from labelmill.lf import apply_lfs, rules_from_dicts

TEXTS = [
    "Check out my channel!",
    "subscribe to MY channel please",
    "great song",
    "channels are fun",  # no word-boundary match for 'channel'
    "Café au lait, café",
    None,
    "call 555-1234 now",
    "naïve channel",
]


def test_keywords_match_python_regex():
    rules = rules_from_dicts(
        [
            {"name": "kw", "kind": "keywords", "keywords": ["channel", "subscribe"], "label": 1},
            {
                "name": "cs",
                "kind": "keywords",
                "keywords": ["MY"],
                "label": 1,
                "case_sensitive": True,
            },
            {
                "name": "nb",
                "kind": "keywords",
                "keywords": ["chan"],
                "label": 0,
                "word_boundary": False,
            },
            {"name": "uni", "kind": "keywords", "keywords": ["caf"], "label": 0},
        ]
    )
    df = pd.DataFrame({"text": TEXTS})
    L = apply_lfs(rules, df)
    expect = {
        "kw": re.compile(r"\b(?:channel|subscribe)\b", re.I),
        "cs": re.compile(r"\b(?:MY)\b"),
        "nb": re.compile(r"(?:chan)", re.I),
        "uni": re.compile(r"\b(?:caf)\b", re.I),  # Unicode \b: 'Café' does not match 'caf'
    }
    for j, r in enumerate(rules):
        want = [
            r.params["label"] if t is not None and expect[r.name].search(t) else -1 for t in TEXTS
        ]
        assert L[:, j].tolist() == want, r.name


def test_regex_rule_and_python_only_syntax():
    rules = rules_from_dicts(
        [
            {"name": "phone", "kind": "regex", "pattern": r"\d{3}-\d{4}", "label": 1},
            {"name": "look", "kind": "regex", "pattern": r"channel(?!s)", "label": 0},
        ]
    )
    L = apply_lfs(rules, pd.DataFrame({"text": TEXTS}))
    assert L[:, 0].tolist() == [-1, -1, -1, -1, -1, -1, 1, -1]
    assert L[:, 1].tolist() == [0, 0, -1, -1, -1, -1, -1, 0]  # lookahead falls back to re


def test_threshold_lookup_model_rules():
    df = pd.DataFrame(
        {
            "n": [1, 5, None, "x", 10],
            "country": ["FR ", "de", "US", None, "fr"],
            "pred": [0, 1, "2", None, 1],
            "score": [0.9, 0.4, 0.95, 0.99, 0.8],
        }
    )
    rules = rules_from_dicts(
        [
            {"name": "big", "kind": "threshold", "column": "n", "op": ">=", "value": 5, "label": 1},
            {
                "name": "eu",
                "kind": "lookup",
                "column": "country",
                "values": ["fr", "de"],
                "label": 0,
                "case_sensitive": False,
            },
            {"name": "eu_cs", "kind": "lookup", "column": "country", "values": ["fr"], "label": 0},
            {
                "name": "clf",
                "kind": "model",
                "column": "pred",
                "score_column": "score",
                "min_score": 0.5,
            },
            {
                "name": "clf1",
                "kind": "model",
                "column": "pred",
                "score_column": "score",
                "min_score": 0.5,
                "classes_voted": [1],
            },
        ]
    )
    L = apply_lfs(rules, df)
    assert L[:, 0].tolist() == [-1, 1, -1, -1, 1]
    assert L[:, 1].tolist() == [0, 0, -1, -1, 0]
    assert L[:, 2].tolist() == [-1, -1, -1, -1, 0]
    assert L[:, 3].tolist() == [0, -1, 2, -1, 1]
    assert L[:, 4].tolist() == [-1, -1, -1, -1, 1]


def test_model_rule_class_names():
    rules = rules_from_dicts(
        [{"name": "m", "kind": "model", "column": "p", "score_column": "s", "min_score": 0.5}],
        classes=["ham", "spam"],
    )
    df = pd.DataFrame({"p": ["spam", "ham", "other"], "s": [0.9, 0.9, 0.9]})
    assert apply_lfs(rules, df)[:, 0].tolist() == [1, 0, -1]


def test_unknown_column_at_apply_names_rule_and_line():
    rules = rules_from_dicts(
        [{"name": "kw", "kind": "keywords", "keywords": ["a"], "label": 1, "column": "body"}],
        source="r.yaml",
        lines=[3],
    )
    with pytest.raises(InputError, match=r"r.yaml line 3: rule 'kw' reads column 'body'"):
        apply_lfs(rules, pd.DataFrame({"text": ["a"]}))


def test_rule_versions_and_definitions():
    a = rules_from_dicts([{"name": "kw", "kind": "keywords", "keywords": ["a"], "label": 1}])[0]
    b = rules_from_dicts([{"name": "kw", "kind": "keywords", "keywords": ["b"], "label": 1}])[0]
    a2 = rules_from_dicts([{"name": "kw", "kind": "keywords", "keywords": ["a"], "label": 1}])[0]
    assert a.version != b.version and a.version == a2.version
    import json

    json.dumps(a.definition)
    assert a.definition["keywords"] == ["a"] and a.definition["kind"] == "keywords"


def test_rule_called_on_a_row():
    from labelmill.lf import Row

    r = rules_from_dicts([{"name": "kw", "kind": "keywords", "keywords": ["hi"], "label": 1}])[0]
    assert r(Row({"text": "oh hi"})) == 1 and r(Row({"text": "high"})) == -1


def test_rule_field_errors():
    with pytest.raises(InputError, match="unknown kind 'kw'; expected one of keywords"):
        rules_from_dicts([{"name": "a", "kind": "kw"}])
    with pytest.raises(InputError, match=r"missing field\(s\) 'keywords'"):
        rules_from_dicts([{"name": "a", "kind": "keywords", "label": 1}])
    with pytest.raises(InputError, match=r"unknown field\(s\) 'colour'"):
        rules_from_dicts(
            [{"name": "a", "kind": "keywords", "keywords": ["x"], "label": 1, "colour": 2}]
        )
    with pytest.raises(InputError, match="invalid regex"):
        rules_from_dicts([{"name": "a", "kind": "regex", "pattern": "(", "label": 1}])
    with pytest.raises(InputError, match="has no 'name'"):
        rules_from_dicts([{"kind": "regex"}])
    with pytest.raises(InputError, match="must be a mapping"):
        rules_from_dicts(["x"])
    with pytest.raises(InputError, match="unknown label 'spam'; pass classes"):
        rules_from_dicts([{"name": "a", "kind": "keywords", "keywords": ["x"], "label": "spam"}])
    with pytest.raises(InputError, match="only 2 classes"):
        rules_from_dicts(
            [{"name": "a", "kind": "keywords", "keywords": ["x"], "label": 5}], classes=["a", "b"]
        )
    with pytest.raises(InputError, match="class indices start at 0"):
        rules_from_dicts([{"name": "a", "kind": "keywords", "keywords": ["x"], "label": -1}])
    with pytest.raises(InputError, match="non-empty list of strings"):
        rules_from_dicts([{"name": "a", "kind": "keywords", "keywords": "x", "label": 1}])
    with pytest.raises(InputError, match="op '=>'; expected one of"):
        rules_from_dicts(
            [{"name": "a", "kind": "threshold", "column": "n", "op": "=>", "value": 1, "label": 1}]
        )
    with pytest.raises(InputError, match="needs a number as 'value'"):
        rules_from_dicts(
            [{"name": "a", "kind": "threshold", "column": "n", "op": ">", "value": "1", "label": 1}]
        )
    with pytest.raises(InputError, match="needs a list as 'values'"):
        rules_from_dicts(
            [{"name": "a", "kind": "lookup", "column": "n", "values": "x", "label": 1}]
        )
    with pytest.raises(InputError, match="needs a number as 'min_score'"):
        rules_from_dicts(
            [{"name": "a", "kind": "model", "column": "p", "score_column": "s", "min_score": "x"}]
        )
    with pytest.raises(InputError, match="expected a class"):
        rules_from_dicts([{"name": "a", "kind": "keywords", "keywords": ["x"], "label": True}])


def test_unicode_rows_match_python_re():
    rng = np.random.default_rng(0)
    pieces = ["naïve", "café", "٣٤٥٦٧", "12345", "he is", "ship", "\u00a0", " ", "ab", "Ünï", "😀"]
    texts = ["".join(rng.choice(pieces, size=6)) for _ in range(400)]
    specs = [r"\d{5,}", r"\b(?:he|ab) is\b", r"\w+é\b", r"\s\d", r"[^a]\d", r"caf\B"]
    rules = rules_from_dicts(
        [{"name": f"r{i}", "kind": "regex", "pattern": p, "label": 1} for i, p in enumerate(specs)]
        + [{"name": "kw", "kind": "keywords", "keywords": ["ship", "caf", "naïve"], "label": 0}]
    )
    L = apply_lfs(rules, pd.DataFrame({"text": texts}))
    for j, r in enumerate(rules):
        pat = r.pattern if r.kind == "keywords" else r.params["pattern"]
        c = re.compile(pat, re.IGNORECASE)
        want = [r.params["label"] if c.search(t) else -1 for t in texts]
        assert L[:, j].tolist() == want, pat


def test_special_case_folds_match_python():
    texts = ["EMİNEM rocks", "ſhip", "\u212aaty", "plain", "emınem"]
    rules = rules_from_dicts(
        [
            {"name": "kw", "kind": "keywords", "keywords": ["eminem", "ship", "katy"], "label": 1},
            {"name": "re", "kind": "regex", "pattern": "s?hip|katy", "label": 1},
        ]
    )
    L = apply_lfs(rules, pd.DataFrame({"text": texts}))
    for j, r in enumerate(rules):
        pat = r.pattern if r.kind == "keywords" else r.params["pattern"]
        c = re.compile(pat, re.IGNORECASE)
        assert L[:, j].tolist() == [1 if c.search(t) else -1 for t in texts], pat
