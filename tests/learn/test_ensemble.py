"""StackedEnsemble and KNeighborsHead: weights from cross-fitted held-out rows, deterministic."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from labelmill.exceptions import ConfigError, NotFittedError
from labelmill.learn import EndModel, KNeighborsHead, StackedEnsemble, mixture_weights

RNG = np.random.default_rng(8)
X = RNG.normal(size=(120, 5))
y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
T = np.eye(2)[y]


def members(seed=0):
    return [
        ("logistic", EndModel()),
        ("mlp", EndModel(head="mlp", hidden_size=8, n_epochs=5, n_threads=1, random_state=seed)),
        ("knn", KNeighborsHead(n_neighbors=5)),
    ]


def test_weights_come_from_held_out_rows_and_favour_the_better_member():
    noise = np.column_stack([RNG.normal(size=120), X[:, 1:]])  # the useless member's view
    held = np.zeros(120, dtype=bool)
    held[:90] = True
    ens = StackedEnsemble(members(), random_state=0).fit(X, T, held_out=held)
    assert ens.weights_.sum() == pytest.approx(1.0)
    assert set(ens.held_out_accuracy_) == {"logistic", "mlp", "knn", "mixture"}
    assert ens.held_out_accuracy_["logistic"] > 0.8
    # a member that sees noise only gets little weight
    good = mixture_weights(
        np.stack(
            [
                EndModel().fit(X[:60], y[:60]).predict_proba(X[60:]),
                EndModel().fit(noise[:60, :1], y[:60]).predict_proba(noise[60:, :1]),
            ]
        ),
        y[60:],
    )
    assert good[0] > 0.7


def test_too_few_held_out_rows_give_equal_weights():
    held = np.zeros(120, dtype=bool)
    held[:10] = True
    ens = StackedEnsemble(members(), min_held_out=30).fit(X, T, held_out=held)
    np.testing.assert_allclose(ens.weights_, 1 / 3)
    assert ens.held_out_accuracy_ == {}


def test_same_seed_same_ensemble_and_the_contract():
    est = StackedEnsemble(members(3), random_state=3)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        clone(est).predict_proba(X)
    a = clone(est)
    assert a.fit(X, T, held_out=np.ones(120, dtype=bool)) is a
    b = clone(est).fit(X, T, held_out=np.ones(120, dtype=bool))
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_allclose(a.predict_proba(X).sum(axis=1), 1.0)
    assert len(a.member_proba(X)) == 3


def test_knn_head_votes_its_neighbours_soft_targets():
    head = KNeighborsHead(n_neighbors=3, smoothing=0.0).fit(X, T)
    assert (head.predict(X) == y).mean() > 0.8
    np.testing.assert_allclose(head.predict_proba(X).sum(axis=1), 1.0)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        KNeighborsHead().predict_proba(X)


@pytest.mark.parametrize(
    ("est", "message"),
    [
        (StackedEnsemble([]), r"'estimators' parameter of StackedEnsemble must be a non-empty"),
        (StackedEnsemble([("a", EndModel())], n_folds=1), r"'n_folds' .* int >= 2\. Got 1"),
        (KNeighborsHead(n_neighbors=0), r"'n_neighbors'"),
        (KNeighborsHead(smoothing=1.0), r"'smoothing' parameter of KNeighborsHead"),
    ],
)
def test_bad_parameters_say_which(est, message):
    with pytest.raises(ConfigError, match=message):
        est.fit(X, T)
