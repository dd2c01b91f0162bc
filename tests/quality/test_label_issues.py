from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality import (
    compute_confident_joint,
    cross_val_pred_probs,
    estimate_noise_matrix,
    find_label_issues,
    label_quality_scores,
    rank_label_issues,
)


def _f1(mask, truth):
    tp = np.sum(mask & truth)
    return 2 * tp / max(mask.sum() + truth.sum(), 1)


@pytest.fixture(scope="module")
def noisy():
    """3 separable-ish blobs, 15% of labels flipped; cross-validated pred_probs."""
    rng = np.random.default_rng(5)
    n = 900
    y_true = rng.integers(0, 3, n)
    centers = np.array([[3, 0], [0, 3], [-3, -3]], dtype=float)
    X = centers[y_true] + rng.normal(size=(n, 2))
    flip = rng.uniform(size=n) < 0.15
    y = np.where(flip, (y_true + rng.integers(1, 3, n)) % 3, y_true)
    proba = cross_val_pred_probs(X, y, make_estimator=LogisticRegression, random_state=0)
    return y, proba, y != y_true


@pytest.fixture(scope="module")
def ambiguous():
    """Two overlapping classes (Bayes accuracy ~0.84) with 5% of labels flipped: the case
    where confident learning counts the model's own mistakes as label errors."""
    rng = np.random.default_rng(11)
    n = 4000
    y_true = (rng.uniform(size=n) < 0.3).astype(int)
    X = rng.normal(size=(n, 2)) + np.where(y_true[:, None] == 1, [1.0, 1.0], [-0.4, -0.4])
    flip = rng.uniform(size=n) < 0.05
    y = np.where(flip, 1 - y_true, y_true)
    proba = cross_val_pred_probs(X, y, make_estimator=LogisticRegression, random_state=0)
    return y, proba, flip


@pytest.mark.parametrize("method", ["noise_posterior", "prune_by_class", "confident_learning"])
def test_finds_flipped_labels(noisy, method):
    y, proba, is_error = noisy
    mask = find_label_issues(y, proba, method=method)
    precision = is_error[mask].mean()
    recall = mask[is_error].mean()
    assert precision > 0.8, precision
    assert recall > 0.7, recall


def test_noise_posterior_does_not_blame_ambiguous_items(ambiguous):
    y, proba, flip = ambiguous
    ours = find_label_issues(y, proba)
    by_class = find_label_issues(y, proba, method="prune_by_class")
    # prune_by_class flags about twice the true number of errors here
    assert by_class.sum() > 1.5 * flip.sum()
    assert 0.6 * flip.sum() < ours.sum() < 1.4 * flip.sum()
    assert _f1(ours, flip) > _f1(by_class, flip) + 0.05


def test_noise_matrix_recovers_uniform_and_class_dependent_rates():
    rng = np.random.default_rng(3)
    n, k = 20_000, 3
    truth = rng.integers(0, k, n)
    T = np.array([[0.8, 0.2, 0.0], [0.0, 0.95, 0.05], [0.1, 0.0, 0.9]])
    given = (rng.uniform(size=(n, 1)) > np.cumsum(T[truth], axis=1)).sum(axis=1)
    sure = np.full((n, k), 0.01)
    sure[np.arange(n), truth] = 0.98
    est = estimate_noise_matrix(given, sure @ T)
    np.testing.assert_allclose(est.noise_rates, [0.2, 0.05, 0.1], atol=0.04)
    assert est.noise_matrix[0, 1] > est.noise_matrix[0, 2]  # flips of class 0 go to class 1
    np.testing.assert_allclose(est.noise_matrix.sum(axis=1), 1.0)
    assert est.n_label_errors == pytest.approx(np.sum(given != truth), rel=0.2)
    assert est.anchor_counts.sum(axis=1).min() >= 50


def test_clean_labels_give_no_issues():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 500)
    proba = np.where(y[:, None] == np.arange(2), 0.9, 0.1) + rng.uniform(-0.05, 0.05, (500, 1)) * [
        1,
        -1,
    ]
    for method in ("noise_posterior", "prune_by_class"):
        assert find_label_issues(y, proba, method=method).sum() == 0


def test_ranked_indices_put_worst_first(noisy):
    y, proba, _ = noisy
    mask = find_label_issues(y, proba)
    for score in ("noise_posterior", "self_confidence", "normalized_margin"):
        idx = find_label_issues(y, proba, return_indices_ranked_by=score)
        assert sorted(idx.tolist()) == np.flatnonzero(mask).tolist()
        s = label_quality_scores(y, proba, method=score)[idx]
        assert np.all(np.diff(s) >= 0)


def test_label_quality_scores_methods():
    p = np.array([[0.7, 0.2, 0.1], [0.7, 0.2, 0.1]])
    s = label_quality_scores([0, 1], p, method="normalized_margin")
    np.testing.assert_allclose(s, [0.75, 0.25])
    np.testing.assert_allclose(label_quality_scores([0, 1], p), [0.7, 0.2])
    post = label_quality_scores([0, 1], p, method="noise_posterior")
    assert post.shape == (2,) and np.all((post >= 0) & (post <= 1))


def test_confident_joint_counts():
    p = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.95, 0.05]])
    joint, likely = compute_confident_joint([0, 0, 1, 1], p)
    assert joint.tolist() == [[1, 0], [1, 1]]
    assert likely.tolist() == [0, -1, 1, 0]
    # the former name of prune_by_class still works
    np.testing.assert_array_equal(
        find_label_issues([0, 0, 1, 1], p, method="self_confidence"),
        find_label_issues([0, 0, 1, 1], p, method="prune_by_class"),
    )


def test_rank_label_issues_table(noisy):
    y, proba, is_error = noisy
    ids = np.array([f"item{i}" for i in range(len(y))])
    table = rank_label_issues(y, proba, item_ids=ids, class_names=["a", "b", "c"], source="import")
    assert list(table.columns) == [
        "item_id",
        "given_label",
        "suggested_label",
        "issue_score",
        "label_quality",
        "self_confidence",
        "is_issue",
        "source",
    ]
    assert len(table) == len(y)
    assert table["issue_score"].is_monotonic_decreasing
    flagged = set(table.loc[table["is_issue"], "item_id"])
    assert flagged == set(ids[find_label_issues(y, proba)])
    top = table.iloc[: int(table["is_issue"].sum())]
    assert top["is_issue"].all()  # issues come first
    assert (top["given_label"] != top["suggested_label"]).mean() > 0.9
    only = rank_label_issues(y, proba, only_issues=True, source=np.full(len(y), "human:ada"))
    assert only["is_issue"].all() and len(only) == len(flagged)
    assert set(only["source"]) == {"human:ada"}


def test_cross_val_pred_probs_is_out_of_sample():
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int)
    y[:10] = 1 - y[:10]  # ten wrong labels

    # a 1-NN in-sample would vouch for every label; out of sample it must not
    P = cross_val_pred_probs(
        X, y, make_estimator=lambda: KNeighborsClassifier(1), n_folds=4, random_state=0
    )
    assert P.shape == (200, 2)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert P[np.arange(10), y[:10]].mean() < 0.5
    again = cross_val_pred_probs(
        X, y, make_estimator=lambda: KNeighborsClassifier(1), n_folds=4, random_state=0
    )
    np.testing.assert_array_equal(P, again)


def test_cross_val_pred_probs_maps_classes_and_passes_weights():
    import pandas as pd

    class Recorder:
        seen_weights: list[np.ndarray] = []

        def fit(self, X, y, sample_weight=None):
            self.classes_ = np.unique(y)
            Recorder.seen_weights.append(sample_weight)
            return self

        def predict_proba(self, X):
            return np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))

    X = pd.DataFrame({"a": np.arange(12.0)})
    y = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2])  # class 2 is absent from some folds
    P = cross_val_pred_probs(
        X, y, make_estimator=Recorder, n_folds=3, sample_weight=np.ones(12), n_classes=4
    )
    assert P.shape == (12, 4)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert np.all(P[:, 3] == 0)
    assert all(w is not None and len(w) == 8 for w in Recorder.seen_weights)


def test_label_issue_errors():
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    with pytest.raises(
        ConfigError,
        match=r"The 'method' parameter of find_label_issues must be one of 'noise_posterior', "
        r"'prune_by_class', 'confident_learning', 'self_confidence'\. Got 'prune' instead\.",
    ):
        find_label_issues([0, 1], p, method="prune")
    with pytest.raises(
        ConfigError, match=r"The 'return_indices_ranked_by' parameter of find_label_issues"
    ):
        find_label_issues([0, 1], p, return_indices_ranked_by="entropy")
    with pytest.raises(ConfigError, match=r"The 'method' parameter of label_quality_scores"):
        label_quality_scores([0, 1], p, method="entropy")
    with pytest.raises(ConfigError, match=r"'anchor_fractions' parameter .* Got \(0\.5, 0\.2\)"):
        estimate_noise_matrix([0, 1], p, anchor_fractions=(0.5, 0.2))
    with pytest.raises(ConfigError, match=r"'anchor_fractions' parameter .* Got 0 instead"):
        estimate_noise_matrix([0, 1], p, anchor_fractions=0)
    with pytest.raises(ConfigError, match=r"'min_anchors' parameter .* Got 0\.5 instead"):
        estimate_noise_matrix([0, 1], p, min_anchors=0.5)


@pytest.mark.parametrize(
    ("labels", "probs", "message"),
    [
        (
            [0, 1],
            [[0.9, 0.3], [0.2, 0.8]],
            r"each row of pred_probs to sum to 1 .* row 0 sums "
            r"to 1\.2\. Pass probabilities, not scores or logits",
        ),
        ([0, 1], [[2.0, -1.0], [0.2, 0.8]], r"finite, non-negative pred_probs\. Got 1 row"),
        ([0, 1], [[np.nan, 1.0], [0.2, 0.8]], r"finite, non-negative pred_probs"),
        (
            [0],
            [[0.9, 0.1], [0.2, 0.8]],
            r"labels of shape \(2,\), one per row of pred_probs\. "
            r"Got 1 labels instead",
        ),
        ([0, 0], [[1.0], [1.0]], r"at least 2 classes \(columns\)\. Got 1 column"),
        ([], np.zeros((0, 2)), r"at least one item\. Got empty labels and pred_probs"),
        ([0, 1], [0.9, 0.1], r"pred_probs of shape \(n_items, n_classes\).*Got shape \(2,\)"),
        ([0, 2], [[0.9, 0.1], [0.2, 0.8]], r"labels in 0\.\.1\. Got values from 0 to 2"),
        ([0, -1], [[0.9, 0.1], [0.2, 0.8]], r"drop unlabeled items \(-1\)"),
        (["a", "b"], [[0.9, 0.1], [0.2, 0.8]], r"integer class indices 0\.\.1\. Got dtype <U1"),
        ([0.5, 1], [[0.9, 0.1], [0.2, 0.8]], r"integer class indices"),
        ([[0], [1]], [[0.9, 0.1], [0.2, 0.8]], r"labels as a 1-D array"),
        ([0, 1], [["x", "y"], ["z", "w"]], r"numeric \(n_items, n_classes\) array"),
    ],
)
@pytest.mark.parametrize(
    "fn", [find_label_issues, label_quality_scores, rank_label_issues, estimate_noise_matrix]
)
def test_bad_inputs_say_what_and_what_to_do(fn, labels, probs, message):
    with pytest.raises(InputError, match=message):
        fn(labels, probs)


def test_cross_val_errors():
    X = np.zeros((6, 1))
    y = np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(ConfigError, match=r"'make_estimator' parameter .* must be a callable"):
        cross_val_pred_probs(X, y, make_estimator=LogisticRegression())
    with pytest.raises(ConfigError, match=r"'n_folds' parameter .* in \[2, n_items=6\]"):
        cross_val_pred_probs(X, y, make_estimator=LogisticRegression, n_folds=7)
    with pytest.raises(ConfigError, match=r"'n_folds' parameter .* Got 0"):
        cross_val_pred_probs(X, y, make_estimator=LogisticRegression, n_folds=0)
    with pytest.raises(InputError, match=r"labels of shape \(6,\), one per row of X"):
        cross_val_pred_probs(X, y[:5], make_estimator=LogisticRegression)
    with pytest.raises(InputError, match=r"at least 2 classes\. Got only class 0"):
        cross_val_pred_probs(X, np.zeros(6, int), make_estimator=LogisticRegression)
    with pytest.raises(InputError, match=r"sample_weight of shape \(6,\)"):
        cross_val_pred_probs(X, y, make_estimator=LogisticRegression, sample_weight=[1.0])
    with pytest.raises(InputError, match=r"fold \d leaves a single class"):
        cross_val_pred_probs(
            np.zeros((4, 1)),
            np.array([0, 0, 0, 1]),
            make_estimator=LogisticRegression,
            n_folds=2,
            random_state=0,
        )

    class Bad:
        def fit(self, X, y):
            return self

        def predict_proba(self, X):
            return np.ones((len(X), 5))

    with pytest.raises(InputError, match=r"predict_proba to return \(2, 2\) for fold 0"):
        cross_val_pred_probs(X, y, make_estimator=Bad, n_folds=3)
