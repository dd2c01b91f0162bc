"""A Snorkel-style notebook runs on labelmill with its imports changed, and nothing else.

The notebook below (written for this test, in the style of Snorkel's spam tutorial, on the
YouTube spam comments of ../shared/data) is one string, executed twice: once under
Snorkel's imports and once under labelmill's. Its votes, LF summaries, filtered rows,
predictions and error buckets must be equal. Where Snorkel is not installed (labelmill's
own environment), labelmill's results are compared with values recorded from Snorkel
0.10.0 instead. Label models are left out (labelmill.labelmodel's own tests cover
Snorkel's LabelModel names).
"""

from __future__ import annotations

import hashlib
import importlib.util

import numpy as np
import pandas as pd
import pytest

from tests.conftest import shared_data

HAS_SNORKEL = importlib.util.find_spec("snorkel") is not None

SNORKEL_IMPORTS = """
from snorkel.labeling import LabelingFunction, labeling_function, PandasLFApplier, LFAnalysis
from snorkel.labeling import filter_unlabeled_dataframe
from snorkel.preprocess import preprocessor
from snorkel.utils import probs_to_preds
from snorkel.analysis import get_label_buckets
"""

LABELMILL_IMPORTS = """
from labelmill.lf import LabelingFunction, labeling_function, PandasLFApplier, LFAnalysis
from labelmill.lf import filter_unlabeled_dataframe
from labelmill.lf import preprocessor
from labelmill.lf import probs_to_preds
from labelmill.lf import get_label_buckets
"""

NOTEBOOK = """
import re
import numpy as np

ABSTAIN, HAM, SPAM = -1, 0, 1


def keyword_lookup(x, keywords, label):
    return label if any(word in x.text.lower() for word in keywords) else ABSTAIN


def make_keyword_lf(keywords, label=SPAM):
    return LabelingFunction(
        name=f"keyword_{keywords[0]}",
        f=keyword_lookup,
        resources=dict(keywords=keywords, label=label),
    )


keyword_my = make_keyword_lf(keywords=["my"])
keyword_subscribe = make_keyword_lf(keywords=["subscribe"])
keyword_link = make_keyword_lf(keywords=["http"])
keyword_please = make_keyword_lf(keywords=["please", "plz"])
keyword_song = make_keyword_lf(keywords=["song"], label=HAM)


@labeling_function()
def regex_check_out(x):
    return SPAM if re.search(r"check.*out", x.text, flags=re.I) else ABSTAIN


@labeling_function()
def short_comment(x):
    return HAM if len(x.text.split()) < 5 else ABSTAIN


STATS_CALLS = []


@preprocessor(memoize=True)
def text_stats(x):
    STATS_CALLS.append(x.text)
    letters = [c for c in x.text if c.isalpha()]
    x.caps = sum(c.isupper() for c in letters) / max(len(letters), 1)
    x.n_words = len(x.text.split())
    return x


@labeling_function(pre=[text_stats])
def shouting(x):
    return SPAM if x.caps > 0.5 and x.n_words > 2 else ABSTAIN


@labeling_function(pre=[text_stats])
def chatty(x):
    return HAM if x.caps < 0.1 and x.n_words > 25 else ABSTAIN


@labeling_function()
def missing_field(x):
    # pandas Series methods on the row
    return HAM if x.isnull().any() or not x.to_dict()["author"] else ABSTAIN


@labeling_function()
def mentions_money(x):
    return 1.0 if "$" in x.text else -1.0  # floats, stored as ints


@labeling_function()
def starts_with_plus(x):
    return x.text.startswith("+")  # a bool: True votes 1, False votes 0


lfs = [
    keyword_my,
    keyword_subscribe,
    keyword_link,
    keyword_please,
    keyword_song,
    regex_check_out,
    short_comment,
    shouting,
    chatty,
    missing_field,
    mentions_money,
    starts_with_plus,
]

applier = PandasLFApplier(lfs=lfs)
L_train = applier.apply(df=df_train, progress_bar=False)
L_dev = applier.apply(df=df_dev, progress_bar=False)
summary_train = LFAnalysis(L=L_train, lfs=lfs).lf_summary()
summary_dev = LFAnalysis(L=L_dev, lfs=lfs).lf_summary(Y=df_dev.label.values)

# without a label model: the share of SPAM votes among the functions that voted
spam_votes = (L_train == SPAM).sum(axis=1)
voted = (L_train != ABSTAIN).sum(axis=1)
p_spam = np.where(voted > 0, spam_votes / np.maximum(voted, 1), 0.5)
probs_train = np.column_stack([1 - p_spam, p_spam])
df_train_filtered, probs_train_filtered = filter_unlabeled_dataframe(
    X=df_train, y=probs_train, L=L_train
)
preds_train = probs_to_preds(probs=probs_train_filtered)
buckets = get_label_buckets(df_train_filtered.label.values, preds_train)
"""


def load_youtube() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Files 1-4 for training, file 5 (Shakira) for development, as in the tutorial."""
    folder = shared_data("youtube_spam")
    frames = []
    for video, path in enumerate(sorted(folder.glob("Youtube0*.csv")), start=1):
        df = pd.read_csv(path, encoding="utf-8")
        df = df.rename(
            columns={"AUTHOR": "author", "DATE": "date", "CONTENT": "text", "CLASS": "label"}
        ).drop(columns=["COMMENT_ID"])
        df["video"] = video
        frames.append(df)
    train = pd.concat(frames[:4], ignore_index=True)
    return train, frames[4]


def run_notebook(imports: str) -> dict:
    df_train, df_dev = load_youtube()
    namespace: dict = {"df_train": df_train, "df_dev": df_dev}
    exec(compile(imports + NOTEBOOK, "<notebook>", "exec"), namespace)
    return namespace


def digest(array) -> str:
    return hashlib.sha256(np.ascontiguousarray(array, dtype=np.int64).tobytes()).hexdigest()[:16]


def summary_values(frame: pd.DataFrame) -> dict:
    out = {}
    for col in frame.columns:
        if col == "Polarity":
            out[col] = [[int(v) for v in p] for p in frame[col]]
        else:
            out[col] = np.round(frame[col].to_numpy(dtype=np.float64), 6).tolist()
    return out


# Recorded from the same notebook under Snorkel 0.10.0 (pandas 2.3.3), by this test's
# ``record`` helper below.
RECORDED = {
    "label_stats": [1.0, 0.881081, 0.42973],
    "normalized": "dc3a676924264b77",
    "empirical_probs": "8c88d6b93fa6f269",
    "L_dev": ("370x12", "c73094da88a68773"),
    "L_train": ("1586x12", "e8e2d5ccf4767ef1"),
    "buckets": {"(0, 0)": 727, "(0, 1)": 28, "(1, 0)": 449, "(1, 1)": 382},
    "filtered_index": "009ae5c738143a2e",
    "preds_train": "17bd21b9c29acce6",
    "summary_dev": {
        "Conflicts": [
            0.175676,
            0.124324,
            0.021622,
            0.086486,
            0.094595,
            0.191892,
            0.02973,
            0.075676,
            0.064865,
            0.0,
            0.037838,
            0.42973,
        ],
        "Correct": [58.0, 46.0, 8.0, 32.0, 64.0, 71.0, 119.0, 19.0, 3.0, 0.0, 14.0, 196.0],
        "Coverage": [
            0.175676,
            0.124324,
            0.021622,
            0.086486,
            0.243243,
            0.191892,
            0.351351,
            0.075676,
            0.113514,
            0.0,
            0.037838,
            1.0,
        ],
        "Emp. Acc.": [
            0.892308,
            1.0,
            1.0,
            1.0,
            0.711111,
            1.0,
            0.915385,
            0.678571,
            0.071429,
            0.0,
            1.0,
            0.52973,
        ],
        "Incorrect": [7.0, 0.0, 0.0, 0.0, 26.0, 0.0, 11.0, 9.0, 39.0, 0.0, 0.0, 174.0],
        "Overlaps": [
            0.175676,
            0.124324,
            0.021622,
            0.086486,
            0.243243,
            0.191892,
            0.351351,
            0.075676,
            0.113514,
            0.0,
            0.037838,
            0.881081,
        ],
        "Polarity": [[1], [1], [1], [1], [0], [1], [0], [1], [0], [], [1], [0]],
        "j": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0],
    },
    "summary_index": [
        "keyword_my",
        "keyword_subscribe",
        "keyword_http",
        "keyword_please",
        "keyword_song",
        "regex_check_out",
        "short_comment",
        "shouting",
        "chatty",
        "missing_field",
        "mentions_money",
        "starts_with_plus",
    ],
    "summary_train": {
        "Conflicts": [
            0.198613,
            0.127364,
            0.119168,
            0.112232,
            0.046658,
            0.233922,
            0.08512,
            0.063682,
            0.067465,
            0.143127,
            0.015132,
            0.541614,
        ],
        "Coverage": [
            0.198613,
            0.127364,
            0.119168,
            0.112232,
            0.141866,
            0.233922,
            0.225725,
            0.063682,
            0.095208,
            0.154477,
            0.015132,
            1.0,
        ],
        "Overlaps": [
            0.198613,
            0.127364,
            0.119168,
            0.112232,
            0.141866,
            0.233922,
            0.225725,
            0.063682,
            0.095208,
            0.154477,
            0.015132,
            0.775536,
        ],
        "Polarity": [[1], [1], [1], [1], [0], [1], [0], [1], [0], [0], [1], [0, 1]],
        "j": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0],
    },
}


@pytest.fixture(scope="module")
def ours() -> dict:
    return run_notebook(LABELMILL_IMPORTS)


@pytest.fixture(scope="module")
def reference(ours) -> dict:
    """Snorkel's results when it is installed, else the recorded ones."""
    if not HAS_SNORKEL:
        return RECORDED
    return record(run_notebook(SNORKEL_IMPORTS))


def record(ns: dict) -> dict:
    analysis = ns["LFAnalysis"](L=ns["L_dev"], lfs=ns["lfs"])
    gold = ns["df_dev"].label.values
    return {
        "label_stats": [
            round(float(analysis.label_coverage()), 6),
            round(float(analysis.label_overlap()), 6),
            round(float(analysis.label_conflict()), 6),
        ],
        "normalized": digest(
            np.round(1e6 * analysis.lf_overlaps(normalize_by_coverage=True))
            + np.round(1e6 * analysis.lf_conflicts(normalize_by_overlaps=True))
        ),
        "empirical_probs": digest(np.round(1e6 * analysis.lf_empirical_probs(gold, 2))),
        "L_train": (f"{ns['L_train'].shape[0]}x{ns['L_train'].shape[1]}", digest(ns["L_train"])),
        "L_dev": (f"{ns['L_dev'].shape[0]}x{ns['L_dev'].shape[1]}", digest(ns["L_dev"])),
        "summary_train": summary_values(ns["summary_train"]),
        "summary_dev": summary_values(ns["summary_dev"]),
        "summary_index": list(ns["summary_train"].index),
        "filtered_index": digest(ns["df_train_filtered"].index.to_numpy()),
        "preds_train": digest(ns["preds_train"]),
        "buckets": {
            str(tuple(int(v) for v in k)): len(idx) for k, idx in sorted(ns["buckets"].items())
        },
    }


def test_votes_equal(ours, reference):
    got = record(ours)
    assert got["L_train"] == reference["L_train"]
    assert got["L_dev"] == reference["L_dev"]


def test_summaries_equal_with_snorkel_names(ours, reference):
    got = record(ours)
    assert got["summary_index"] == reference["summary_index"]
    assert list(ours["summary_dev"].columns) == [
        "j", "Polarity", "Coverage", "Overlaps", "Conflicts", "Correct", "Incorrect", "Emp. Acc.",
    ]  # fmt: skip
    for key in ("summary_train", "summary_dev"):
        assert got[key].keys() == reference[key].keys()
        for col, values in reference[key].items():
            if col == "Polarity":
                assert got[key][col] == values, col
            else:
                np.testing.assert_allclose(got[key][col], values, atol=1e-6, err_msg=col)


def test_filter_preds_and_buckets_equal(ours, reference):
    got = record(ours)
    for key in ("filtered_index", "preds_train", "buckets"):
        assert got[key] == reference[key], key


def test_other_analysis_methods_equal(ours, reference):
    got = record(ours)
    for key in ("label_stats", "normalized", "empirical_probs"):
        assert got[key] == reference[key], key


def test_memoized_preprocessor_runs_once_per_row(ours):
    n_rows = len(ours["df_train"]) + len(ours["df_dev"])
    assert len(ours["STATS_CALLS"]) == n_rows  # two functions use it, one call per row


def test_labelmill_names_give_the_same_numbers(ours):
    from labelmill.lf import analyze_lfs

    own = analyze_lfs(ours["L_dev"], ours["df_dev"].label.values, lfs=ours["lfs"])
    theirs = ours["summary_dev"]
    np.testing.assert_allclose(own["coverage"], theirs["Coverage"])
    np.testing.assert_allclose(own["empirical_accuracy"].fillna(0), theirs["Emp. Acc."])
    assert own["correct"].tolist() == theirs["Correct"].tolist()


@pytest.mark.skipif(not HAS_SNORKEL, reason="needs snorkel (the benchmark environment)")
def test_snorkel_memoized_preprocessor_hits_its_cache_under_labelmill():
    from snorkel.preprocess import preprocessor as snorkel_preprocessor

    from labelmill.lf import apply_lfs, labeling_function

    calls = []

    @snorkel_preprocessor(memoize=True)
    def expensive(x):
        calls.append(1)
        x.length = len(x.text)
        return x

    @labeling_function(pre=[expensive])
    def long_text(x):
        return 1 if x.length > 40 else -1

    @labeling_function(pre=[expensive])
    def short_text(x):
        return 0 if x.length < 10 else -1

    df_train, _ = load_youtube()
    L = apply_lfs([long_text, short_text], df_train.iloc[:200])
    assert L.shape == (200, 2)
    assert len(calls) <= 200  # once per row at most (Snorkel's key also merges duplicates)


@pytest.mark.skipif(
    importlib.util.find_spec("spacy") is None or not HAS_SNORKEL,
    reason="needs spaCy with en_core_web_sm and snorkel",
)
def test_nlp_labeling_function_equals_snorkel():  # pragma: no cover - not installed here
    from snorkel.labeling import PandasLFApplier as SnorkelApplier
    from snorkel.labeling.lf.nlp import nlp_labeling_function as snorkel_nlp_lf

    from labelmill.lf import apply_lfs, nlp_labeling_function

    def has_person(x):
        return 1 if any(ent.label_ == "PERSON" for ent in x.doc.ents) else -1

    df_train, _ = load_youtube()
    sub = df_train.iloc[:100]
    ours_L = apply_lfs([nlp_labeling_function()(has_person)], sub)
    theirs_L = SnorkelApplier([snorkel_nlp_lf()(has_person)]).apply(sub, progress_bar=False)
    np.testing.assert_array_equal(ours_L, theirs_L)
