"""SelfTraining: pseudo-labels only from the rows it is given, deterministic, checked."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from labelmill.exceptions import ConfigError, NotFittedError
from labelmill.learn import EndModel, SelfTraining, select_pseudo_labels

RNG = np.random.default_rng(3)
X = np.vstack([RNG.normal(-2, 1, size=(20, 2)), RNG.normal(2, 1, size=(20, 2))])
y = np.repeat([0, 1], 20)
U = np.vstack([RNG.normal(-2, 1, size=(50, 2)), RNG.normal(2, 1, size=(50, 2))])


class Spy(EndModel):
    """An EndModel that records every matrix it is fitted on (class-level log)."""

    fitted: list[np.ndarray] = []  # noqa: RUF012 - a test spy shared by clones

    def fit(self, X, y=None, sample_weight=None, **kw):
        Spy.fitted.append(np.asarray(X).copy())
        return super().fit(X, y, sample_weight=sample_weight, **kw)


def test_pseudo_labels_come_only_from_the_unlabeled_rows_it_is_given():
    Spy.fitted = []
    off_limits = RNG.normal(50, 1, size=(5, 2))  # e.g. audit items: never passed in
    model = SelfTraining(Spy(C=1.0), threshold=0.8).fit(X, y, X_unlabeled=U)
    assert model.pseudo_rows_.size > 50
    allowed = {tuple(r) for r in np.vstack([X, U])}
    for fitted in Spy.fitted:
        assert {tuple(r) for r in fitted} <= allowed
        assert not ({tuple(r) for r in off_limits} & {tuple(r) for r in fitted})
    assert len(Spy.fitted) == 1 + model.n_iter_
    truth = (U[model.pseudo_rows_, 0] > 0).astype(int)
    assert (model.pseudo_labels_ == truth).mean() > 0.9


def test_same_seed_same_model_and_the_estimator_contract():
    base = EndModel(head="mlp", hidden_size=8, n_epochs=3, n_threads=1, random_state=5)
    est = SelfTraining(base, threshold=0.7)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        clone(est).predict_proba(X)
    first = clone(est)
    assert first.fit(X, y, X_unlabeled=U) is first
    second = clone(est).fit(X, y, X_unlabeled=U)
    np.testing.assert_array_equal(first.predict_proba(U), second.predict_proba(U))
    np.testing.assert_array_equal(first.pseudo_rows_, second.pseudo_rows_)
    np.testing.assert_allclose(first.predict_proba(X).sum(axis=1), 1.0)


def test_without_unlabeled_rows_it_is_a_plain_fit():
    model = SelfTraining(EndModel()).fit(X, y)
    plain = EndModel().fit(X, np.eye(2)[y])
    np.testing.assert_allclose(model.predict_proba(U), plain.predict_proba(U))
    assert model.n_iter_ == 0 and model.pseudo_rows_.size == 0


def test_select_pseudo_labels_caps_each_class():
    P = np.array([[0.95, 0.05], [0.99, 0.01], [0.97, 0.03], [0.1, 0.9], [0.5, 0.5]])
    rows, labels = select_pseudo_labels(P, threshold=0.9, max_per_class=2)
    assert rows.tolist() == [1, 2, 3] and labels.tolist() == [0, 0, 1]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"threshold": 0.0}, r"'threshold' parameter of SelfTraining must be a float in \(0, 1\]"),
        ({"threshold": 1.5}, r"Got 1.5 instead"),
        ({"max_iter": 0}, r"'max_iter'"),
        ({"pseudo_weight": -1.0}, r"'pseudo_weight'"),
        ({"estimator": object()}, r"'estimator' parameter of SelfTraining must be a classifier"),
    ],
)
def test_bad_parameters_say_which(params, message):
    est = SelfTraining(params.pop("estimator", EndModel()), **params)
    with pytest.raises(ConfigError, match=message):
        est.fit(X, y, X_unlabeled=U)
