from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality import compute_confident_joint, find_label_issues, label_quality_scores


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
    proba = cross_val_predict(LogisticRegression(), X, y, cv=5, method="predict_proba")
    return y, proba, y != y_true


@pytest.mark.parametrize("method", ["self_confidence", "confident_learning"])
def test_finds_flipped_labels(noisy, method):
    y, proba, is_error = noisy
    mask = find_label_issues(y, proba, method=method)
    precision = is_error[mask].mean()
    recall = mask[is_error].mean()
    assert precision > 0.8, precision
    assert recall > 0.7, recall


def test_ranked_indices_put_worst_first(noisy):
    y, proba, _ = noisy
    idx = find_label_issues(y, proba, return_indices_ranked_by="self_confidence")
    mask = find_label_issues(y, proba)
    assert sorted(idx.tolist()) == np.flatnonzero(mask).tolist()
    sc = label_quality_scores(y, proba)[idx]
    assert np.all(np.diff(sc) >= 0)
    idx2 = find_label_issues(y, proba, return_indices_ranked_by="normalized_margin")
    assert set(idx2.tolist()) == set(idx.tolist())


def test_clean_labels_give_few_issues():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 500)
    proba = np.where(y[:, None] == np.arange(2), 0.9, 0.1) + rng.uniform(-0.05, 0.05, (500, 1)) * [
        1,
        -1,
    ]
    assert find_label_issues(y, proba).sum() == 0


def test_confident_joint_counts():
    p = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.95, 0.05]])
    joint, likely = compute_confident_joint([0, 0, 1, 1], p)
    assert joint.tolist() == [[1, 0], [1, 1]]
    assert likely.tolist() == [0, -1, 1, 0]


def test_normalized_margin():
    s = label_quality_scores(
        [0, 1], np.array([[0.7, 0.2, 0.1], [0.7, 0.2, 0.1]]), method="normalized_margin"
    )
    np.testing.assert_allclose(s, [0.75, 0.25])


def test_errors():
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    with pytest.raises(
        ConfigError,
        match=r"The 'method' parameter of find_label_issues must be one of 'self_confidence', "
        r"'confident_learning'\. Got 'prune' instead\.",
    ):
        find_label_issues([0, 1], p, method="prune")
    with pytest.raises(
        ConfigError, match=r"The 'return_indices_ranked_by' parameter of find_label_issues"
    ):
        find_label_issues([0, 1], p, return_indices_ranked_by="entropy")
    with pytest.raises(ConfigError, match=r"The 'method' parameter of label_quality_scores"):
        label_quality_scores([0, 1], p, method="entropy")
    with pytest.raises(InputError, match=r"pred_probs of shape \(n_items, n_classes >= 2\)"):
        find_label_issues([0, 1], np.array([0.9, 0.1]))
    with pytest.raises(InputError, match=r"labels of shape \(2,\)"):
        find_label_issues([0], p)
    with pytest.raises(InputError, match=r"labels as ints in 0\.\.1"):
        find_label_issues([0, -1], p)
    with pytest.raises(InputError, match=r"finite non-negative pred_probs"):
        find_label_issues([0, 1], np.array([[np.nan, 1.0], [0.2, 0.8]]))
