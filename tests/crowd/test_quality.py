"""Worker quality: accuracy with exact intervals, confusion matrices, spammers."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from labelmill.crowd import aggregate, find_spammers, worker_accuracy, worker_confusion
from labelmill.exceptions import ConfigError, InputError


def test_worker_accuracy_against_gold_with_exact_interval(answers):
    df, gold, skill = answers
    partial = gold.iloc[:200]  # gold only for some items
    acc = worker_accuracy(df, partial, confidence=0.9)
    assert list(acc.columns) == [
        "worker",
        "n_answers",
        "n_checked",
        "n_correct",
        "accuracy",
        "ci_low",
        "ci_high",
    ]
    row = acc.iloc[0]
    mine = df[(df["worker"] == row.worker) & df["item"].isin(partial.index)]
    right = int((mine["label"].to_numpy() == partial.loc[mine["item"]].to_numpy()).sum())
    assert (row.n_checked, row.n_correct) == (len(mine), right)
    ci = binomtest(right, len(mine)).proportion_ci(confidence_level=0.9, method="exact")
    assert row.ci_low == pytest.approx(ci.low) and row.ci_high == pytest.approx(ci.high)
    order = np.argsort([int(w[1:]) for w in acc["worker"]])
    assert np.corrcoef(acc["accuracy"].to_numpy()[order], skill)[0, 1] > 0.8


def test_worker_accuracy_without_checked_answers_is_nan():
    df = pd.DataFrame({"item": [1, 2], "worker": ["a", "b"], "label": ["x", "y"]})
    acc = worker_accuracy(df, {1: "x"})
    assert acc["n_checked"].tolist() == [1, 0]
    assert np.isnan(acc.loc[1, "accuracy"]) and np.isnan(acc.loc[1, "ci_low"])
    assert acc.loc[0, "ci_high"] == 1.0


def test_worker_confusion_hard_and_soft(answers):
    df, gold, _ = answers
    hard = worker_confusion(df, gold)
    assert len(hard) == 15 * 9
    per_worker = hard.groupby("worker")["count"].sum()
    assert per_worker.to_dict() == df.groupby("worker").size().astype(float).to_dict()
    rates = hard.groupby(["worker", "true"])["rate"].sum()
    np.testing.assert_allclose(rates.dropna(), 1.0)
    soft = worker_confusion(df, aggregate(df))  # expected counts from the posteriors
    np.testing.assert_allclose(
        soft.groupby("worker")["count"].sum().sort_index(), per_worker.sort_index()
    )


def test_find_spammers():
    from tests.crowd.conftest import make_answers

    df, gold, _ = make_answers(n_items=400, n_workers=12, seed=3)
    rng = np.random.default_rng(0)
    spam = pd.DataFrame(
        {
            "item": df["item"].unique()[:150],
            "worker": "spammer",
            "label": rng.choice(["cat", "dog", "fox"], 150),
        }
    )
    both = pd.concat([df, spam], ignore_index=True)
    found = find_spammers(both)  # against aggregated labels
    assert found.loc[found["is_spammer"], "worker"].tolist() == ["spammer"]
    score = found.set_index("worker")["spammer_score"]
    assert score["spammer"] < 0.05 < score.drop("spammer").min()
    with_gold = find_spammers(both, gold)
    assert with_gold.loc[with_gold["is_spammer"], "worker"].tolist() == ["spammer"]


def test_errors(answers):
    df, gold, _ = answers
    with pytest.raises(ConfigError, match="'confidence' parameter of worker_accuracy"):
        worker_accuracy(df, gold, confidence=1.5)
    with pytest.raises(InputError, match=r"must be aggregate\(\)'s output, a pandas Series"):
        worker_accuracy(df, ["cat"])
    with pytest.raises(InputError, match="columns item, label"):
        worker_accuracy(df, pd.DataFrame({"x": [1]}))
    with pytest.raises(InputError, match="gives item 'a' more than one label"):
        worker_accuracy(df, pd.Series(["x", "y"], index=["a", "a"]))
    with pytest.raises(InputError, match="answer label 'cat' is not in classes"):
        worker_confusion(df, gold, classes=["dog", "fox"])
    with pytest.raises(ConfigError, match="'min_answers' parameter of find_spammers"):
        find_spammers(df, gold, min_answers=0)
