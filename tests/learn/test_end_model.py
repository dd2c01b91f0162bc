from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from labelmill.exceptions import ConfigError, InputError, NotFittedError
from labelmill.learn import EndModel, soft_cross_entropy


def test_logistic_head_matches_sklearn_on_hard_labels(blobs):
    X, y = blobs
    w = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    ours = EndModel(C=0.3, tol=1e-10, max_iter=2000).fit(X, y, sample_weight=w)
    ref = LogisticRegression(C=0.3, tol=1e-10, max_iter=2000).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-4)


def test_soft_labels_equal_expanded_weighted_rows(blobs):
    """Soft-label CE == hard labels expanded into k rows weighted by the posterior."""
    X, y = blobs
    rng = np.random.default_rng(1)
    Y = rng.dirichlet(np.ones(3), size=len(y)) * 0.5
    Y[np.arange(len(y)), y] += 0.5
    soft = EndModel(C=1.0, tol=1e-10, max_iter=2000).fit(X, Y)
    Xr = np.repeat(X, 3, axis=0)
    yr = np.tile(np.arange(3), len(y))
    ref = LogisticRegression(C=1.0, tol=1e-10, max_iter=2000).fit(Xr, yr, sample_weight=Y.ravel())
    np.testing.assert_allclose(soft.predict_proba(X), ref.predict_proba(X), atol=1e-4)


def test_soft_labels_learn_the_signal(blobs):
    X, y = blobs
    Y = np.full((len(y), 3), 0.15)
    Y[np.arange(len(y)), y] = 0.7
    model = EndModel().fit(X, Y)
    assert np.mean(model.predict(X) == y) > 0.9
    # soft targets give softer probabilities than hard ones
    hard = EndModel().fit(X, y)
    assert model.predict_proba(X).max(1).mean() < hard.predict_proba(X).max(1).mean()


def test_human_rows_outrank_rules_through_weight():
    X = np.array([[0.0], [0.0], [1.0], [1.0]])
    # the rules say class 1 at x=0 (wrong); one human says class 0 there
    Y = np.array([[0.2, 0.8], [1.0, 0.0], [0.1, 0.9], [0.1, 0.9]])
    light = EndModel(C=100.0).fit(X, Y, sample_weight=[1, 1, 1, 1])
    heavy = EndModel(C=100.0).fit(X, Y, sample_weight=[1, 10, 1, 1])
    assert light.predict_proba([[0.0]])[0, 0] < heavy.predict_proba([[0.0]])[0, 0]
    assert heavy.predict([[0.0]])[0] == 0


def test_absent_class_gets_a_column(blobs):
    X, y = blobs
    keep = y < 2
    model = EndModel(n_classes=4).fit(X[keep], y[keep])
    proba = model.predict_proba(X)
    assert proba.shape == (150, 4)
    assert model.classes_.tolist() == [0, 1, 2, 3]
    assert proba[:, 2:].max() < 0.05
    np.testing.assert_allclose(proba.sum(1), 1.0)


def test_float32_features_are_accepted(blobs):
    X, y = blobs
    a = EndModel().fit(X.astype(np.float32), y).predict_proba(X.astype(np.float32))
    b = EndModel().fit(X, y).predict_proba(X)
    np.testing.assert_allclose(a, b, atol=1e-3)


def test_mlp_head_learns_and_is_seeded(blobs):
    X, y = blobs
    kw = dict(head="mlp", hidden_size=16, n_epochs=15, batch_size=50, learning_rate=3e-2)
    a = EndModel(**kw, random_state=3, n_threads=1).fit(X, y)
    b = EndModel(**kw, random_state=3, n_threads=1).fit(X, y)
    c = EndModel(**kw, random_state=4, n_threads=1).fit(X, y)
    assert np.mean(a.predict(X) == y) > 0.9
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))
    assert a.decision_function(X).shape == (150, 3)


def test_mlp_restores_torch_threads(blobs):
    torch = pytest.importorskip("torch")
    X, y = blobs
    before = torch.get_num_threads()
    EndModel(head="mlp", hidden_size=4, n_epochs=1, n_threads=1, random_state=0).fit(X, y)
    assert torch.get_num_threads() == before


def test_soft_cross_entropy():
    assert soft_cross_entropy(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])) == pytest.approx(0)
    val = soft_cross_entropy(
        np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.5, 0.5], [0.0, 1.0]]), sample_weight=[1, 3]
    )
    assert val == pytest.approx(np.log(2) / 4)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (
            {"head": "forest"},
            r"The 'head' parameter of EndModel must be one of 'logistic', 'mlp'\. "
            r"Got 'forest' instead\.",
        ),
        ({"C": 0}, r"The 'C' parameter of EndModel must be a positive number\. Got 0 instead\."),
        ({"max_iter": 1.5}, r"The 'max_iter' parameter of EndModel must be a positive int"),
        ({"tol": -1.0}, r"'tol' parameter of EndModel must be a positive number"),
        ({"hidden_size": 0}, r"'hidden_size' parameter of EndModel"),
        ({"n_epochs": True}, r"'n_epochs' parameter of EndModel"),
        ({"batch_size": None}, r"'batch_size' parameter of EndModel"),
        ({"learning_rate": "fast"}, r"'learning_rate' parameter of EndModel"),
        ({"alpha": -0.1}, r"The 'alpha' parameter of EndModel must be a non-negative float"),
        ({"n_threads": 0}, r"The 'n_threads' parameter of EndModel must be a positive int or None"),
        ({"n_classes": 1}, r"The 'n_classes' parameter of EndModel must be an int >= 2 or None"),
    ],
)
def test_bad_parameters_raise_config_error(blobs, params, match):
    X, y = blobs
    with pytest.raises(ConfigError, match=match):
        EndModel(**params).fit(X, y)


@pytest.mark.parametrize(
    ("X", "Y", "w", "match"),
    [
        (np.zeros(4), np.zeros(4, int), None, r"expects X as a 2-D array"),
        (np.zeros((0, 2)), np.zeros(0, int), None, r"at least one item in X\. Got 0 rows"),
        (np.array([["a", "b"]] * 2), np.array([0, 1]), None, r"expects numeric features in X"),
        (np.array([[np.nan, 1.0], [0.0, 1.0]]), np.array([0, 1]), None, r"finite features in X"),
        (np.zeros((3, 2)), np.zeros(4, int), None, r"expects Y as hard labels of shape \(3,\)"),
        (np.zeros((2, 2)), np.array(["a", "b"]), None, r"hard labels as integers 0\.\.k-1"),
        (np.zeros((2, 2)), np.array([0, -1]), None, r"Got -1 instead; drop unlabeled"),
        (np.zeros((2, 2)), np.array([[0.5, 0.6], [1, 0]]), None, r"Row 0 sums to 1\.1"),
        (np.zeros((2, 2)), np.array([[1.5, -0.5], [1, 0]]), None, r"non-negative finite"),
        (np.zeros((2, 2)), np.array([0, 1]), [1.0], r"sample_weight of shape \(2,\)"),
        (np.zeros((2, 2)), np.array([0, 1]), [1.0, -1.0], r"non-negative sample_weight"),
        (np.zeros((2, 2)), np.array([0, 0]), None, r"needs at least 2 classes"),
    ],
)
def test_bad_inputs_raise_input_error(X, Y, w, match):
    with pytest.raises(InputError, match=match):
        EndModel().fit(X, Y, sample_weight=w)


def test_labels_beyond_n_classes_and_soft_width_mismatch():
    X = np.zeros((2, 2))
    with pytest.raises(InputError, match=r"hard labels in 0\.\.1 \(n_classes=2\)\. Got 2"):
        EndModel(n_classes=2).fit(X, np.array([0, 2]))
    with pytest.raises(InputError, match=r"soft labels with n_classes=3 columns\. Got 2"):
        EndModel(n_classes=3).fit(X, np.array([[1.0, 0.0], [0.0, 1.0]]))


def test_predict_checks(blobs):
    X, y = blobs
    with pytest.raises(
        NotFittedError, match=r"This EndModel instance is not fitted yet.*'predict'"
    ):
        EndModel().predict(X)
    model = EndModel().fit(X, y)
    with pytest.raises(InputError, match=r"fitted on 5 features\. Got X with 2 features"):
        model.predict_proba(X[:, :2])
