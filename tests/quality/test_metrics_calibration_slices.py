from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality import (
    CALIBRATION_COLUMNS,
    SLICE_COLUMNS,
    analyze_slices,
    classification_metrics,
    cluster_slices,
    compute_calibration,
    estimate_rule_accuracy,
    exact_interval,
    rule_slices,
)


def test_metrics_have_confusion_and_exact_intervals():
    y = np.array([0, 0, 1, 1, 2, 2, 2])
    p = np.array([0, 1, 1, 1, 2, 0, 2])
    m = classification_metrics(y, p, class_names=["a", "b", "c"])
    assert m["confusion"].loc["c", "a"] == 1 and m["confusion"].to_numpy().sum() == 7
    row = m["per_class"].loc["b"]
    assert row["precision"] == pytest.approx(2 / 3) and row["n_predicted"] == 3
    lo, hi = exact_interval([2], [3])
    assert (row["precision_lower"], row["precision_upper"]) == pytest.approx((lo[0], hi[0]))
    assert m["accuracy_lower"] < m["accuracy"] < m["accuracy_upper"]
    with pytest.raises(ConfigError, match=r"'confidence' parameter of classification_metrics"):
        classification_metrics(y, p, confidence=2)


def test_rule_accuracy_worst_first():
    L = np.array([[0, 1, -1], [1, 1, -1], [0, 0, -1], [1, -1, -1]])
    gold = np.array([0, 1, 1, -1])
    t = estimate_rule_accuracy(L, gold, rule_names=["a", "b", "silent"])
    assert t["rule"].tolist() == ["b", "a", "silent"]
    b = t.set_index("rule").loc["b"]
    assert (b["n_votes"], b["n_judged"], b["n_correct"]) == (3, 3, 1)
    assert t.set_index("rule").loc["a", "coverage"] == 1.0
    silent = t.set_index("rule").loc["silent"]
    assert np.isnan(silent["accuracy"]) and (silent["lower"], silent["upper"]) == (0.0, 1.0)
    with pytest.raises(InputError, match=r"gold as a 1-D int array of shape \(4,\)"):
        estimate_rule_accuracy(L, [0, 1])
    with pytest.raises(InputError, match=r"L as a 2-D int array"):
        estimate_rule_accuracy([0, 1], [0, 1])
    with pytest.raises(InputError, match=r"expects 3 rule_names"):
        estimate_rule_accuracy(L, gold, rule_names=["a"])


def test_calibration_detects_overconfidence():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.5, 1.0, 20_000)
    calibrated = compute_calibration(rng.uniform(size=conf.size) < conf, conf)
    over = compute_calibration(rng.uniform(size=conf.size) < conf - 0.1, conf)
    assert calibrated.ece < 0.015 < 0.08 < over.ece
    assert list(over.table.columns) == CALIBRATION_COLUMNS
    assert (over.table["gap"] < 0).all()
    assert over.mce >= over.ece
    t = calibrated.table
    covered = (t["lower"] <= t["mean_confidence"]) & (t["mean_confidence"] <= t["upper"])
    assert covered.mean() > 0.8
    q = compute_calibration(calibrated.table["n"] > 0, np.full(len(t), 0.5), strategy="quantile")
    assert q.n_items == len(t)


def test_calibration_errors():
    with pytest.raises(InputError, match=r"same length\. Got shapes \(2,\) and \(1,\)"):
        compute_calibration([1, 0], [0.5])
    with pytest.raises(InputError, match=r"at least one item"):
        compute_calibration([], [])
    with pytest.raises(InputError, match=r"confidence_scores in \[0, 1\]\. Got values from"):
        compute_calibration([1], [1.5])
    with pytest.raises(InputError, match=r"correct as booleans"):
        compute_calibration([2], [0.5])
    with pytest.raises(ConfigError, match=r"'strategy' parameter of compute_calibration"):
        compute_calibration([1], [0.5], strategy="log")


def test_slices_find_the_planted_bad_slice():
    rng = np.random.default_rng(3)
    n = 1200
    source = rng.choice(["web", "mail", "chat", "fax"], n)
    cluster = rng.integers(0, 5, n)
    p_ok = np.where(source == "fax", 0.6, 0.93)
    correct = rng.uniform(size=n) < p_ok
    t = analyze_slices(correct, pd.DataFrame({"meta:source": source, "cluster": cluster}))
    assert list(t.columns) == SLICE_COLUMNS
    assert (t.iloc[0]["slice"], t.iloc[0]["value"]) == ("meta:source", "fax")
    assert t.iloc[0]["worse_than_rest"] and t.iloc[0]["error_lift"] > 2
    assert t["worse_than_rest"].sum() == 1  # clusters are not worse: no false alarm
    assert t["error_share"].groupby(t["slice"]).sum().round(6).eq(1.0).all()
    assert (t["lower"] <= t["accuracy"]).all() and (t["accuracy"] <= t["upper"]).all()


def test_slice_helpers_and_small_slices():
    L = np.array([[0, -1], [1, 1], [-1, 1]])
    cols = rule_slices(L, rule_names=["kw", "re"], class_names=["ham", "spam"])
    assert cols["rule:kw"].tolist() == ["ham", "spam", "abstain"]
    t = analyze_slices([True, False, True], cols, min_size=2)
    tiny = t[t["n"] < 2]
    assert tiny["p_value"].isna().all() and not tiny["worse_than_rest"].any()
    ids = cluster_slices(np.r_[np.zeros((20, 3)), np.full((20, 3), 5.0)], n_clusters=2)
    assert len(set(ids[:20])) == 1 and ids[0] != ids[-1]
    many = analyze_slices(np.ones(100, bool), {"id": np.arange(100)}, max_values=7)
    assert len(many) == 7
    with_nan = analyze_slices([True, False], {"meta": ["a", None]}, min_size=1)
    assert with_nan["value"].tolist() == ["a"]


def test_slice_errors():
    with pytest.raises(InputError, match=r"every slice column to have 2 values"):
        analyze_slices([True, False], {"a": [1, 2, 3]})
    with pytest.raises(InputError, match=r"non-empty 1-D bool array"):
        analyze_slices([], {})
    with pytest.raises(InputError, match=r"correct as booleans"):
        analyze_slices(["x"], {"a": [1]})
    with pytest.raises(ConfigError, match=r"'alpha' parameter of analyze_slices"):
        analyze_slices([True], {"a": [1]}, alpha=0)
    with pytest.raises(InputError, match=r"rule_slices expects 2 rule_names"):
        rule_slices([[0, 1]], rule_names=["a"])
    with pytest.raises(InputError, match=r"at least 2 class_names"):
        rule_slices([[0, 1]], class_names=["a"])
    with pytest.raises(InputError, match=r"n_items >= n_clusters=10"):
        cluster_slices(np.zeros((3, 2)))
