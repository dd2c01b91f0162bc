"""aggregate(): one label per item from workers' answers."""

import numpy as np
import pandas as pd
import pytest

from labelmill.crowd import METHODS, aggregate, make_aggregator
from labelmill.exceptions import ConfigError, InputError
from labelmill.labelmodel import DawidSkene


@pytest.mark.parametrize("method", METHODS)
def test_every_method_returns_a_table_of_labels_and_posteriors(method, answers):
    df, gold, _ = answers
    out = aggregate(df, method=method, random_state=0)
    assert list(out.columns) == [
        "item",
        "label",
        "confidence",
        "n_answers",
        "proba_cat",
        "proba_dog",
        "proba_fox",
    ]
    assert out["item"].tolist() == pd.unique(df["item"]).tolist()
    P = out[["proba_cat", "proba_dog", "proba_fox"]].to_numpy()
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(out["confidence"], P.max(axis=1))
    assert (out["n_answers"] == 5).all()
    acc = np.mean(out["label"].to_numpy() == gold.loc[out["item"]].to_numpy())
    assert acc > 0.85
    assert out.attrs == {"method": method, "classes": ["cat", "dog", "fox"]}


def test_default_is_at_least_majority_vote(answers):
    df, gold, _ = answers
    truth = gold.loc[pd.unique(df["item"])].to_numpy()
    auto = np.mean(aggregate(df)["label"].to_numpy() == truth)
    mv = np.mean(aggregate(df, method="majority")["label"].to_numpy() == truth)
    assert auto >= mv


def test_label_model_instance_as_method(answers):
    df, _, _ = answers
    out = aggregate(df, method=DawidSkene(abstain="ignore", smoothing=0.1))
    assert out.attrs["method"] == "DawidSkene"
    assert make_aggregator("mace", 3, random_state=1).get_params()["random_state"] == 1


def test_single_worker_gives_its_answers_with_confidence_one():
    df = pd.DataFrame({"item": [1, 2, 3], "worker": ["solo"] * 3, "label": ["a", "b", "a"]})
    for method in METHODS:
        out = aggregate(df, method=method)
        assert out["label"].tolist() == ["a", "b", "a"]
        assert (out["confidence"] == 1.0).all()


def test_conflicting_answers_of_one_worker_share_one_vote():
    df = pd.DataFrame(
        {
            "item": ["q"] * 4,
            "worker": ["w1", "w1", "w1", "w2"],
            "label": ["a", "a", "b", "b"],
        }
    )
    out = aggregate(df, method="majority")
    assert out["label"].tolist() == ["b"]  # w1: 2/3 a + 1/3 b; w2: b
    assert out["n_answers"].tolist() == [3]  # kept answer rows: (w1, a), (w1, b), (w2, b)
    out = aggregate(df, method="majority", duplicates="all")
    assert out["label"].tolist() == ["a"]


def test_errors(answers):
    df, _, _ = answers
    with pytest.raises(ConfigError, match="'method' parameter of aggregate must be one of"):
        aggregate(df, method="bayes")
    with pytest.raises(ConfigError, match="or a label model instance. Got 3"):
        aggregate(df, method=3)
    with pytest.raises(InputError, match="has no rows"):
        aggregate(df.iloc[:0])
    with pytest.raises(InputError, match=r"not in classes \['cat', 'dog'\]"):
        aggregate(df, classes=["cat", "dog"])
    with pytest.raises(InputError, match="missing worker id"):
        aggregate(df.assign(worker=None))


def test_large_sparse_crowd_is_fast():
    import time

    rng = np.random.default_rng(0)
    n, m = 100_000, 2000
    truth = rng.integers(0, 2, n)
    items = np.repeat(np.arange(n), 3)
    workers = rng.integers(0, m, items.size)
    labels = np.where(rng.random(items.size) < 0.8, truth[items], 1 - truth[items])
    df = pd.DataFrame({"item": items, "worker": workers, "label": labels})
    start = time.perf_counter()
    out = aggregate(df)
    assert time.perf_counter() - start < 30
    assert np.mean(out["label"].to_numpy() == truth) > 0.85
