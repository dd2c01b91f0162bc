"""load_rules: YAML and Python rule files, and every error naming file, rule and line."""

import textwrap

import pandas as pd
import pytest

from labelmill.exceptions import InputError
from labelmill.lf import KeywordRule, LabelingFunction, apply_lfs, load_rules

YAML = """\
rules:
  - name: mentions_prize
    kind: keywords
    keywords: [prize, winner]
    label: spam
  - name: has_number
    kind: regex
    pattern: '\\d{4,}'
    label: 1
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_load_yaml(tmp_path):
    rules = load_rules(write(tmp_path, "r.yaml", YAML), classes=["ham", "spam"])
    assert [r.name for r in rules] == ["mentions_prize", "has_number"]
    assert isinstance(rules[0], KeywordRule) and rules[0].params["label"] == 1
    L = apply_lfs(rules, pd.DataFrame({"text": ["You are a WINNER", "code 12345", "hi"]}))
    assert L.tolist() == [[1, -1], [-1, 1], [-1, -1]]


def test_top_level_list_and_empty(tmp_path):
    p = write(tmp_path, "r.yml", "- {name: a, kind: keywords, keywords: [x], label: 0}\n")
    assert len(load_rules(p)) == 1
    assert load_rules(write(tmp_path, "e.yaml", "")) == []


def test_editing_a_rule_changes_version(tmp_path):
    v1 = load_rules(write(tmp_path, "a.yaml", YAML), classes=["ham", "spam"])[0].version
    v2 = load_rules(
        write(tmp_path, "b.yaml", YAML.replace("winner", "winners")), classes=["ham", "spam"]
    )[0].version
    assert v1 != v2


def test_yaml_errors_name_file_rule_line(tmp_path):
    p = write(tmp_path, "bad.yaml", "rules:\n  - name: a\n    kind: [unclosed\n")
    with pytest.raises(InputError, match=r"bad.yaml line \d+: YAML syntax error"):
        load_rules(p)
    p = write(
        tmp_path,
        "k.yaml",
        "rules:\n  - name: ok\n    kind: regex\n    pattern: a\n    label: 0\n"
        "  - name: b\n    kind: magic\n",
    )
    with pytest.raises(InputError, match=r"k.yaml line 6: rule 'b' has unknown kind 'magic'"):
        load_rules(p)
    p = write(tmp_path, "m.yaml", "- name: c\n  kind: regex\n  label: 1\n")
    with pytest.raises(
        InputError, match=r"m.yaml line 1: rule 'c' \(kind regex\) is missing field\(s\) 'pattern'"
    ):
        load_rules(p)
    p = write(tmp_path, "x.yaml", "- name: d\n  kind: regex\n  pattern: '[a-'\n  label: 1\n")
    with pytest.raises(InputError, match=r"x.yaml line 1: rule 'd' has an invalid regex"):
        load_rules(p)
    p = write(tmp_path, "s.yaml", "just a string\n")
    with pytest.raises(InputError, match="list of rules or a mapping"):
        load_rules(p)
    p = write(tmp_path, "d.yaml", "rulez: []\n")
    with pytest.raises(InputError, match="mapping with a 'rules:' list"):
        load_rules(p)
    p = write(
        tmp_path,
        "dup.yaml",
        "- {name: a, kind: regex, pattern: x, label: 0}\n"
        "- {name: a, kind: regex, pattern: y, label: 0}\n",
    )
    with pytest.raises(InputError, match="two rules are named 'a'"):
        load_rules(p)


def test_file_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_rules(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match=r"must end in .yaml, .yml or .py"):
        load_rules(write(tmp_path, "r.txt", "x"))


PY = """\
from labelmill.lf import labeling_function
import re

@labeling_function()
def lf_link(x):
    return 1 if "http" in x.text else -1

@labeling_function(name="short")
def lf_short(x):
    return 0 if len(x.text.split()) < 3 else -1

helper = 3
"""


def test_load_python(tmp_path):
    rules = load_rules(write(tmp_path, "rules.py", PY))
    assert [r.name for r in rules] == ["lf_link", "short"]
    assert all(isinstance(r, LabelingFunction) and len(r.version) == 12 for r in rules)
    L = apply_lfs(rules, pd.DataFrame({"text": ["see http://x now please", "hi"]}))
    assert L.tolist() == [[1, -1], [-1, 0]]


def test_python_errors(tmp_path):
    with pytest.raises(InputError, match=r"bad.py line 2: Python syntax error"):
        load_rules(write(tmp_path, "bad.py", "x = 1\ndef (:\n"))
    with pytest.raises(
        InputError, match=r"boom.py line 2: importing the rule file raised ZeroDivisionError"
    ):
        load_rules(write(tmp_path, "boom.py", "x = 1\ny = 1 / 0\n"))
