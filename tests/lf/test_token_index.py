"""The token index: keyword votes through it equal Python's re, row by row."""

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from labelmill.lf import apply_lfs, rules_from_dicts
from labelmill.lf._rules import prepare_rules
from labelmill.lf._token_index import TokenIndex, is_exact_phrase, keyword_tokens

PIECES = [
    "free", "FREE", "Free!", "freedom", "win", "winner", "check", "out", "check out",
    "CHECK  out", "i'm", "I'M", "im", "i", "am", "u", "U", "ur", "18+", "18", "£100", "100",
    "naïve", "NAÏVE", "café", "caf", "é", "😀", "_", "a_b", "x9", "subscribe",
    "subscribers", "SUBSCRIBE", "İ", "ı", "ſhip", "ship", "\u212aaty", "katy", "EMİNEM",
    "eminem", " ", " ", ",", ".", "-", "'", "\u00a0", "\n", "ß", "ＦＲＥＥ",
]  # fmt: skip

KEYWORD_RULES = [
    ["free", "win", "winner"],
    ["check out", "i'm", "i am"],
    ["u", "ur"],
    ["18+", "£100"],
    ["naïve", "caf"],
    ["subscribe", "a_b", "x9"],
    ["ship", "katy", "eminem"],
]


def random_texts(n, seed):
    rng = np.random.default_rng(seed)
    texts = []
    for _ in range(n):
        k = int(rng.integers(0, 9))
        glue = rng.choice(["", " ", " "], size=k)
        parts = zip(rng.choice(PIECES, k), glue, strict=True)
        texts.append("".join(str(p) + str(g) for p, g in parts))
    texts[::97] = [None] * len(texts[::97])
    return texts


@pytest.mark.parametrize("seed", [0, 1])
def test_indexed_keyword_votes_equal_python_re(seed):
    texts = random_texts(3000, seed)
    specs = [
        {"name": f"k{i}", "kind": "keywords", "keywords": kw, "label": 1}
        for i, kw in enumerate(KEYWORD_RULES)
    ] + [
        {"name": "cs", "kind": "keywords", "keywords": ["FREE", "Win"], "label": 0,
         "case_sensitive": True},
        {"name": "cs2", "kind": "keywords", "keywords": ["U"], "label": 0, "case_sensitive": True},
    ]  # fmt: skip
    rules = rules_from_dicts(specs)
    df = pd.DataFrame({"text": texts})
    cache = {}
    prepare_rules(rules, df, cache)
    assert cache["text"].index is not None  # several keyword rules: the index is used
    L = apply_lfs(rules, df)
    for j, r in enumerate(rules):
        flags = 0 if r.params["case_sensitive"] else re.IGNORECASE
        c = re.compile(r.pattern, flags)
        want = [r.params["label"] if t is not None and c.search(t) else -1 for t in texts]
        assert L[:, j].tolist() == want, r.name


def test_one_keyword_rule_scans_without_index():
    rules = rules_from_dicts([{"name": "k", "kind": "keywords", "keywords": ["a"], "label": 1}])
    cache = {}
    prepare_rules(rules, pd.DataFrame({"text": ["a b"]}), cache)
    assert cache["text"].index is None


def test_rows_and_phrases_stay_inside_rows():
    arr = pa.array(["say check", "out now", None, "", "Check-Out!", "xcheck out", "check out"])
    index = TokenIndex(arr)
    assert index.rows("check").tolist() == [0, 4, 6]
    assert index.rows("out").tolist() == [1, 4, 5, 6]
    sure, maybe = index.match_phrase("check out")
    assert sure.tolist() == [6] and maybe.tolist() == []  # not across rows 0 and 1
    assert index.match_phrase("check-out")[0].tolist() == [4]
    assert index.n_tokens == 10


def test_sliced_and_non_ascii_neighbours():
    arr = pa.array(["zz", "éfree", "free😀", "FREE", "freeé"], type=pa.large_string()).slice(1)
    sure, maybe = TokenIndex(arr).match_phrase("free")
    assert sure.tolist() == [2] and maybe.tolist() == [0, 1, 3]
    assert TokenIndex(pa.array([], type=pa.string())).rows("a").tolist() == []


def test_keyword_tokens_and_phrases():
    assert keyword_tokens("Check-Out 2day") == ["check", "out", "2day"]
    assert keyword_tokens("£") == []
    assert is_exact_phrase("check out") and is_exact_phrase("i'm")
    assert not is_exact_phrase("18+") and not is_exact_phrase("naïve") and not is_exact_phrase("")
