"""Accuracy per status and per class from the blind audit, and the coverage of its intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality import (
    AUDIT_COLUMNS,
    DEFAULT_THRESHOLDS,
    choose_threshold,
    estimate_audit_accuracy,
    exact_interval,
)


def test_rows_per_status_and_class_with_population_counts():
    labels = np.array([0, 0, 1, 1, 2, 0])
    audit = np.array([0, 1, 1, 1, 2, 0])
    statuses = ["auto", "auto", "review", "human", "human", "auto"]
    t = estimate_audit_accuracy(
        labels,
        audit,
        statuses=statuses,
        class_names=["a", "b", "c", "d"],
        population_statuses=["auto"] * 50 + ["review"] * 30 + ["human"] * 20 + ["gold"] * 3,
        population_labels=np.r_[np.zeros(60, int), np.ones(40, int), [2, 2, 3]],
    )
    assert list(t.columns) == AUDIT_COLUMNS
    rows = {(r.group_by, r.group): r for r in t.itertuples()}
    assert rows["all", "all"].n_audited == 6 and rows["all", "all"].n_items == 103
    assert rows["status", "auto"].accuracy == pytest.approx(2 / 3)
    assert rows["status", "auto"].n_items == 50
    assert math.isnan(rows["status", "gold"].accuracy)  # no audited gold item
    assert (rows["status", "gold"].lower, rows["status", "gold"].upper) == (0.0, 1.0)
    assert [r.group for r in t.itertuples() if r.group_by == "class"] == ["a", "b", "c", "d"]
    assert rows["class", "a"].n_audited == 3 and rows["class", "d"].n_items == 1
    lo, hi = exact_interval([2], [3])
    assert rows["class", "a"].lower == pytest.approx(lo[0])
    assert rows["class", "a"].upper == pytest.approx(hi[0])


def test_threshold_adjustment_widens_only_the_threshold_statuses():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    audit = np.where(rng.uniform(size=400) < 0.1, 1 - labels, labels)
    statuses = np.where(np.arange(400) < 300, "auto", "human")
    plain = estimate_audit_accuracy(labels, audit, statuses=statuses).set_index("group")
    wide = estimate_audit_accuracy(
        labels, audit, statuses=statuses, threshold_candidates=40
    ).set_index("group")
    assert wide.loc["auto", "lower"] < plain.loc["auto", "lower"]
    assert wide.loc["auto", "upper"] > plain.loc["auto", "upper"]
    assert wide.loc["auto", "confidence"] == 0.95
    assert wide.loc["human", "lower"] == plain.loc["human", "lower"]


def test_audit_errors():
    with pytest.raises(InputError, match=r"same length, one per audited item\. Got shapes"):
        estimate_audit_accuracy([0, 1], [0])
    with pytest.raises(InputError, match=r"audit_labels as class indices >= 0"):
        estimate_audit_accuracy([0, 1], [0, -1])
    with pytest.raises(InputError, match=r"statuses of shape \(2,\)"):
        estimate_audit_accuracy([0, 1], [0, 1], statuses=["auto"])
    with pytest.raises(InputError, match=r"at least 2 class_names"):
        estimate_audit_accuracy([0, 1], [0, 1], class_names=["a"])
    with pytest.raises(ConfigError, match=r"'confidence' parameter of estimate_audit_accuracy"):
        estimate_audit_accuracy([0], [0], confidence=1.0)
    with pytest.raises(ConfigError, match=r"'threshold_candidates' parameter"):
        estimate_audit_accuracy([0], [0], threshold_candidates=0)
    with pytest.raises(InputError, match=r"0 <= n_success <= n"):
        exact_interval([3], [2])


# ------------------------------------------------------------------- coverage
N_ITEMS = 6000


def _min_covered(runs: int) -> int:
    """Fewest covering runs allowed out of ``runs`` at 95%: the 0.1% quantile."""
    return int(binom.ppf(0.001, runs, 0.95))


def _population(rng):
    label = rng.choice(3, N_ITEMS, p=[0.6, 0.3, 0.1])
    score = 1 - 0.6 * rng.beta(1.0, 4.0, N_ITEMS)
    p_ok = np.clip(score + np.array([0.0, -0.04, -0.10])[label], 0, 1)
    machine_ok = rng.uniform(size=N_ITEMS) < p_ok
    reviewed = rng.uniform(size=N_ITEMS) < 0.15 * (score < 0.9)
    human_ok = rng.uniform(size=N_ITEMS) < 0.97
    return label, score, np.where(reviewed, human_ok, machine_ok), reviewed


def _choose(score, correct, reviewed, a, target):
    machine = ~reviewed[a]
    t = choose_threshold(score[a][machine], correct[a][machine], target_accuracy=target).threshold
    m = sum(bool(np.any(score[a][machine] >= g)) for g in DEFAULT_THRESHOLDS)
    auto = score >= t if t is not None else np.zeros(N_ITEMS, bool)
    return np.where(reviewed, "human", np.where(auto, "auto", "review")), m


@pytest.mark.slow
def test_intervals_cover_the_true_accuracy_per_status_and_class():
    """600 audits of 800 items; the threshold is chosen on each audit, as in a round."""
    label, score, correct, reviewed = _population(np.random.default_rng(7))
    truth = {("all", "all"): correct.mean()}
    truth.update({("class", str(c)): correct[label == c].mean() for c in range(3)})
    covered: dict[tuple[str, str], list[bool]] = {}
    for run in range(600):
        a = np.random.default_rng(1000 + run).choice(N_ITEMS, 800, replace=False)
        status, m = _choose(score, correct, reviewed, a, target=0.9)
        audit = np.where(correct[a], label[a], (label[a] + 1) % 3)
        table = estimate_audit_accuracy(label[a], audit, statuses=status[a], threshold_candidates=m)
        for row in table.itertuples():
            key = (row.group_by, row.group)
            if row.group_by == "status":
                members = status == row.group
                if not members.any():
                    continue
                truth[key] = correct[members].mean()
            covered.setdefault(key, []).append(row.lower <= truth[key] <= row.upper)
    assert set(covered) == {
        ("all", "all"),
        ("status", "auto"),
        ("status", "review"),
        ("status", "human"),
        ("class", "0"),
        ("class", "1"),
        ("class", "2"),
    }
    assert len(covered["status", "auto"]) > 300  # the auto status exists in most runs
    for group, hits in covered.items():
        assert sum(hits) >= _min_covered(len(hits)), (group, np.mean(hits), len(hits))


@pytest.mark.slow
def test_unadjusted_auto_interval_undercovers_when_the_threshold_is_chosen_on_the_audit():
    """Without the adjustment the same check fails where accepting is rare (target 0.95):
    a threshold passes when its audit looks good, so its plain interval is optimistic."""
    label, score, correct, reviewed = _population(np.random.default_rng(7))
    plain, adjusted = [], []
    for run in range(3000):
        a = np.random.default_rng(1000 + run).choice(N_ITEMS, 800, replace=False)
        status, m = _choose(score, correct, reviewed, a, target=0.95)
        if not np.any(status == "auto"):
            continue
        truth = correct[status == "auto"].mean()
        ok = correct[a][status[a] == "auto"]
        for level, out in ((0.95, plain), (1 - 0.05 / m, adjusted)):
            lo, hi = exact_interval([ok.sum()], [ok.size], confidence=level)
            out.append(lo[0] <= truth <= hi[0])
    assert len(plain) > 100
    assert np.mean(plain) < 0.95, np.mean(plain)
    assert sum(adjusted) >= _min_covered(len(adjusted)), np.mean(adjusted)
