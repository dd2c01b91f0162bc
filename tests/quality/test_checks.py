from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality import (
    CHECKS,
    check_class_balance,
    cross_val_pred_probs,
    find_conflicting_duplicates,
    find_disagreeing_annotators,
    find_outliers,
    find_rule_conflicts,
    find_schema_violations,
    review_queue,
    run_checks,
)

CLASSES = ["ham", "spam"]


# ------------------------------------------------------------------ duplicates
def test_exact_duplicates_with_different_labels():
    labels = np.array([0, 1, 0, 0, -1, 1, 1])
    hashes = ["a", "a", "b", "b", "a", "c", "d"]
    t = find_conflicting_duplicates(
        labels, content_hashes=hashes, item_ids=list("pqrstuv"), class_names=CLASSES
    )
    assert t["item_id"].tolist() == ["p", "q", "t"]  # group b agrees; t is unlabeled
    assert set(t["kind"]) == {"exact"}
    assert t["group_size"].tolist() == [3, 3, 3]
    assert t["group_labels"].iloc[0] == "ham: 1, spam: 1"
    assert t["majority_label"].isna().all()  # a tie has no majority
    assert "identical content" in t["reason"].iloc[0]


def test_near_duplicates_and_majority():
    rng = np.random.default_rng(0)
    E = rng.normal(size=(40, 16))
    E[30] = E[3] + 1e-4
    E[31] = E[3] - 1e-4
    labels = np.zeros(40, dtype=int)
    labels[31] = 1
    t = find_conflicting_duplicates(labels, embeddings=E, threshold=0.99)
    assert sorted(t["item_id"]) == [3, 30, 31]
    assert set(t["kind"]) == {"near"}
    assert t.set_index("item_id").loc[31, "agrees_with_majority"] == False  # noqa: E712
    assert t.set_index("item_id").loc[3, "majority_label"] == 0
    # with hashes as well, an identical pair inside the near group is still 'near' overall
    both = find_conflicting_duplicates(
        labels, embeddings=E, content_hashes=np.arange(40).astype(str), threshold=0.99
    )
    assert sorted(both["item_id"]) == [3, 30, 31]


def test_conflicting_duplicates_errors():
    with pytest.raises(InputError, match=r"needs content_hashes or embeddings .* Got neither"):
        find_conflicting_duplicates([0, 1])
    with pytest.raises(InputError, match=r"content_hashes of shape \(2,\)"):
        find_conflicting_duplicates([0, 1], content_hashes=["a"])
    with pytest.raises(InputError, match=r"embeddings of shape \(2, n_features\)"):
        find_conflicting_duplicates([0, 1], embeddings=np.zeros((3, 2)))
    with pytest.raises(InputError, match=r"labels as class indices 0\.\.k-1 with -1 = no label"):
        find_conflicting_duplicates(["x", "y"], content_hashes=["a", "a"])
    with pytest.raises(InputError, match=r"item_ids of shape \(2,\)"):
        find_conflicting_duplicates([0, 1], content_hashes=["a", "a"], item_ids=[1])
    with pytest.raises(InputError, match=r"at least 2 class_names"):
        find_conflicting_duplicates([0, 1], content_hashes=["a", "a"], class_names=["x"])


# -------------------------------------------------------------- rules vs people
def test_rule_conflicts_worst_rule_first():
    L = np.array([[0, 1, -1], [1, 1, 0], [0, 0, 0], [1, -1, 1], [0, 1, 1]])
    human = np.array([0, 1, 0, -1, 0])
    t = find_rule_conflicts(L, human, rule_names=["a", "b", "c"], class_names=CLASSES)
    # rule b: 2 of 4 agree; rule c: 1 of 3 agree (worst); rule a: all agree
    assert t["rule"].tolist() == ["c", "c", "b", "b"]
    assert t["item_id"].tolist() == [1, 4, 0, 4]
    assert t["rule_agreement"].iloc[0] == pytest.approx(1 / 3)
    assert t["rule_vote"].iloc[0] == "ham" and t["human_label"].iloc[0] == "spam"
    assert "rule 'c' votes 'ham' but a person answered 'spam'" in t["reason"].iloc[0]
    assert find_rule_conflicts(L, np.full(5, -1)).empty


def test_rule_conflict_errors():
    with pytest.raises(InputError, match=r"L as a 2-D int array .* Got shape \(3,\)"):
        find_rule_conflicts([0, 1, 0], [0, 1, 0])
    with pytest.raises(InputError, match=r"human_labels of shape \(2,\)"):
        find_rule_conflicts([[0], [1]], [0])
    with pytest.raises(InputError, match=r"expects 1 rule_names.* Got 2"):
        find_rule_conflicts([[0], [1]], [0, 1], rule_names=["a", "b"])
    with pytest.raises(InputError, match=r"L as a 2-D int array"):
        find_rule_conflicts([[0.5], [1]], [0, 1])


# ---------------------------------------------------------------------- schema
def test_schema_violations():
    answers = ["spam", "Spam", "spma", "", 5, -1, None, ["ham", "spam"], ["ham"], True, 1.0, 0.5]
    t = find_schema_violations(answers, CLASSES)
    got = dict(zip(t["item_id"], t["reason"], strict=True))
    assert set(got) == {1, 2, 3, 4, 7, 9, 11}
    assert got[4] == "class index 5 is outside 0..1"
    assert got[3] == "the answer is empty"
    assert got[7] == "2 classes given in a single-label task"
    assert t.set_index("item_id").loc[1, "suggestion"] == "spam"
    assert t.set_index("item_id").loc[2, "suggestion"] == "spam"
    multi = find_schema_violations([["ham", "spam"], ["ham", "eggs"]], CLASSES, multilabel=True)
    assert multi["item_id"].tolist() == [1]
    with pytest.raises(ConfigError, match=r"'classes' parameter .* unique class names"):
        find_schema_violations(["a"], ["a", "a"])
    with pytest.raises(ConfigError, match=r"'classes' parameter"):
        find_schema_violations(["a"], [])
    with pytest.raises(InputError, match=r"item_ids of shape \(1,\)"):
        find_schema_violations(["a"], CLASSES, item_ids=[1, 2])


# --------------------------------------------------------------- class balance
def test_class_balance():
    labels = np.r_[np.zeros(500, int), np.ones(30, int), np.full(5, 2), -np.ones(9, int)]
    t = check_class_balance(labels, n_classes=4, class_names=["a", "b", "c", "d"])
    assert t["class"].tolist() == ["d", "c", "b", "a"]
    row = t.set_index("class")
    assert row.loc["d", "reason"] == "no labeled example"
    assert bool(row.loc["c", "too_few"]) and bool(row.loc["c", "imbalanced"])
    assert not row.loc["b", "too_few"] and bool(row.loc["b", "imbalanced"])
    assert row.loc["a", "reason"] == "" and row.loc["a", "share"] == pytest.approx(500 / 535)
    with pytest.raises(InputError, match=r"labels in -1\.\.1\. Got 2; check n_classes"):
        check_class_balance([0, 2], n_classes=2)
    with pytest.raises(ConfigError, match=r"'n_classes' parameter of check_class_balance"):
        check_class_balance([0], n_classes=0)
    with pytest.raises(ConfigError, match=r"'max_ratio' parameter"):
        check_class_balance([0], n_classes=2, max_ratio=-1)


# -------------------------------------------------------------------- outliers
def test_outliers_flag_planted_points_only():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 32))
    X[[7, 700]] += 6.0
    t = find_outliers(X, labels=np.zeros(2000, int), max_reference=500)
    assert set(t.loc[t["is_outlier"], "item_id"]) >= {7, 700}
    assert t["is_outlier"].sum() <= 6
    assert t["item_id"].iloc[:2].tolist() in ([7, 700], [700, 7])
    assert "label" in t and (t["outlier_score"].diff().dropna() <= 0).all()
    cos = find_outliers(X, metric="cosine")
    assert cos["item_id"].iloc[0] in (7, 700) or cos["is_outlier"].sum() <= 6


def test_outlier_errors():
    with pytest.raises(InputError, match=r"needs more items than n_neighbors=10\. Got 5"):
        find_outliers(np.zeros((5, 2)))
    with pytest.raises(InputError, match=r"finite features"):
        find_outliers(np.array([[np.nan, 0.0]] * 20))
    with pytest.raises(InputError, match=r"shape \(n_items, n_features\)\. Got shape \(20,\)"):
        find_outliers(np.zeros(20))
    with pytest.raises(InputError, match=r"numeric features"):
        find_outliers([["a", "b"]] * 20)
    with pytest.raises(ConfigError, match=r"'metric' parameter of find_outliers"):
        find_outliers(np.zeros((20, 2)), metric="manhattan")
    with pytest.raises(InputError, match=r"labels of shape \(20,\)"):
        find_outliers(np.random.default_rng(0).normal(size=(20, 2)), labels=[0])


# ---------------------------------------------------------------------- people
def test_disagreeing_annotator_is_flagged_and_fair_people_are_not():
    rng = np.random.default_rng(4)
    who, said, ref = [], [], []
    for person, error in (("ann", 0.05), ("bob", 0.05), ("cy", 0.05), ("dee", 0.35), ("ed", 0.5)):
        n = 60 if person != "ed" else 4
        truth = rng.integers(0, 3, n)
        wrong = rng.uniform(size=n) < error
        who += [person] * n
        said += np.where(wrong, (truth + 1) % 3, truth).tolist()
        ref += truth.tolist()
    t = find_disagreeing_annotators(who, said, ref)
    assert t["annotator"].iloc[0] == "dee"
    assert t.set_index("annotator")["flagged"].to_dict() == {
        "ann": False,
        "bob": False,
        "cy": False,
        "dee": True,
        "ed": False,
    }
    assert "not tested" in t.set_index("annotator").loc["ed", "reason"]
    dee = t.set_index("annotator").loc["dee"]
    assert dee["lower"] <= dee["disagreement_rate"] <= dee["upper"]
    assert dee["p_adjusted"] >= dee["p_value"]


def test_annotator_false_flag_rate_is_controlled():
    """Five equally good people: nobody may be flagged in more than ~alpha of the runs."""
    flagged_runs = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        who = np.repeat(["a", "b", "c", "d", "e"], 40)
        truth = rng.integers(0, 2, 200)
        said = np.where(rng.uniform(size=200) < 0.1, 1 - truth, truth)
        flagged_runs += bool(find_disagreeing_annotators(who, said, truth)["flagged"].any())
    assert flagged_runs <= 200 * 0.05 + 8  # alpha plus binomial slack


def test_annotator_errors():
    with pytest.raises(InputError, match=r"same length\. Got \(2,\), \(1,\) and \(2,\)"):
        find_disagreeing_annotators(["a", "b"], [0], [0, 1])
    with pytest.raises(InputError, match=r"at least one answer on an audited item"):
        find_disagreeing_annotators(["a"], [0], [-1])
    with pytest.raises(ConfigError, match=r"'alpha' parameter"):
        find_disagreeing_annotators(["a"], [0], [0], alpha=1.5)


# ------------------------------------------------------------------- the suite
def test_run_checks_and_review_queue():
    rng = np.random.default_rng(2)
    n = 300
    truth = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 8)) + truth[:, None] * 3.0
    labels = truth.copy()
    labels[:12] = 1 - labels[:12]
    labels[-20:] = -1
    hashes = np.array([f"h{i}" for i in range(n)])
    hashes[100] = hashes[101]
    labels[100], labels[101] = 0, 1
    known = labels >= 0
    P = np.full((n, 2), 0.5)
    P[known] = cross_val_pred_probs(
        X[known], labels[known], make_estimator=_logistic, random_state=0
    )
    L = np.full((n, 1), -1)
    L[:50, 0] = 1
    human = np.full(n, -1)
    human[:50] = truth[:50]
    ids = np.array([f"item{i}" for i in range(n)])
    out = run_checks(
        classes=CLASSES,
        labels=labels,
        item_ids=ids,
        pred_probs=P,
        label_source="import",
        content_hashes=hashes,
        embeddings=rng.normal(size=(n, 32)),
        vote_matrix=L,
        rule_names=["always_spam"],
        human_labels=human,
        raw_answers=["ham", "hma"],
        raw_answer_ids=["item0", "item1"],
        annotators=["a"] * 20 + ["b"] * 20,
        annotator_answers=np.r_[truth[:20], 1 - truth[20:40]],
        annotator_audit_labels=truth[:40],
        max_table_rows=25,
    )
    assert list(out) == list(CHECKS)
    assert all(r.skipped is None for r in out.values())
    issues = out["label_issues"]
    assert len(issues.table) == 25 and issues.n_flagged >= 8
    assert set(issues.table["source"]) == {"import"}
    assert out["conflicting_duplicates"].n_flagged == 2
    assert out["schema_violations"].n_flagged == 1
    assert out["annotators"].table.set_index("annotator").loc["b", "flagged"]
    queue = review_queue(out)
    assert {"item100", "item101", "item1"} <= set(queue["item_id"])
    assert queue["n_checks"].is_monotonic_decreasing
    assert set(queue.columns) == {"item_id", "n_checks", "checks", "reasons", "issue_score"}


def test_run_checks_with_nothing_says_what_is_missing():
    out = run_checks(classes=CLASSES)
    assert {name: r.skipped is not None for name, r in out.items()} == dict.fromkeys(CHECKS, True)
    assert out["label_issues"].skipped == "needs labels and out-of-sample pred_probs"
    assert review_queue(out).empty
    unlabeled = run_checks(classes=CLASSES, labels=[-1, -1], pred_probs=[[0.5, 0.5]] * 2)
    assert unlabeled["label_issues"].skipped == "no item has a label yet"
    with pytest.raises(InputError, match=r"pred_probs of shape \(2, 2\), one row per item"):
        run_checks(classes=CLASSES, labels=[0, 1], pred_probs=[[0.5, 0.5]])
    with pytest.raises(InputError, match=r"item_ids of length 2"):
        run_checks(classes=CLASSES, labels=[0, 1], item_ids=["a"])


def _logistic():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression()


def test_tables_are_dataframes():
    t = find_schema_violations([], CLASSES)
    assert isinstance(t, pd.DataFrame) and t.empty
    assert list(t.columns) == ["item_id", "answer", "reason", "suggestion"]
