"""The estimator contract, shared by every label model."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from labelmill.exceptions import NotFittedError
from labelmill.labelmodel import (
    GLAD,
    MACE,
    DawidSkene,
    LabelModel,
    MajorityLabelVoter,
    MajorityVote,
    OneCoinDawidSkene,
    VoteMatrix,
    Wawa,
)

ESTIMATORS = [
    MajorityVote,
    Wawa,
    OneCoinDawidSkene,
    DawidSkene,
    GLAD,
    MACE,
    LabelModel,
]
NEEDS_FIT = [e for e in ESTIMATORS if e is not MajorityVote]


def make(cls, **params):
    if cls is MACE:
        params.setdefault("n_restarts", 3)
    return cls(**params)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_init_stores_params_only(cls):
    est = make(cls, cardinality=3, random_state=1)
    assert est.get_params()["cardinality"] == 3
    assert not hasattr(est, "cardinality_")


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_clone_and_fit_returns_self(cls, votes):
    L, _, _ = votes
    est = clone(make(cls, random_state=0))
    assert est.fit(L) is est
    assert est.cardinality_ == 2 and est.n_sources_ == L.shape[1]


@pytest.mark.parametrize("cls", NEEDS_FIT)
@pytest.mark.parametrize("method", ["predict", "predict_proba", "source_accuracies", "score"])
def test_not_fitted(cls, method, votes):
    L, y, _ = votes
    est = make(cls)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        if method == "source_accuracies":
            est.source_accuracies()
        elif method == "score":
            est.score(L, y)
        else:
            getattr(est, method)(L)


@pytest.mark.parametrize("cls", [MajorityVote, MajorityLabelVoter])
def test_majority_vote_needs_no_fit(cls, votes):
    L, y, _ = votes
    est = cls()
    np.testing.assert_array_equal(est.predict(L), cls().fit(L).predict(L))
    np.testing.assert_allclose(est.predict_proba(L), cls().fit(L).predict_proba(L))
    assert est.score(L, y)["accuracy"] > 0.8
    assert not hasattr(est, "cardinality_")  # nothing stored
    with pytest.raises(NotFittedError, match="not fitted yet"):
        est.source_accuracies()


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_proba_rows_sum_to_one_and_predict_matches(cls, votes):
    L, y, _ = votes
    est = make(cls, random_state=0).fit(L)
    P = est.predict_proba(L)
    assert P.shape == (L.shape[0], 2)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert (est.predict(L) == y).mean() > 0.8
    labels, proba = est.predict(L, return_probs=True)
    np.testing.assert_array_equal(labels, est.predict(L))
    np.testing.assert_allclose(proba, P)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_same_seed_same_result(cls, votes):
    L, _, _ = votes
    a = make(cls, random_state=3).fit(L).predict_proba(L)
    b = make(cls, random_state=3).fit(L).predict_proba(L)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_uncovered_items_get_class_prior(cls, votes):
    L, _, _ = votes
    L = L.copy()
    L[:5] = -1
    est = make(cls).fit(L)
    assert est.uncovered_[:5].all() and not est.uncovered_[5:].all()
    expected = getattr(est, "uncovered_proba_", est.class_prior_)
    np.testing.assert_allclose(est.predict_proba(L)[:5], np.tile(expected, (5, 1)))
    assert est.uncovered(L)[:5].all()


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_fixed_class_prior_is_used(cls, votes):
    L, _, _ = votes
    est = make(cls, class_prior=[0.3, 0.7]).fit(L)
    np.testing.assert_allclose(est.class_prior_, [0.3, 0.7])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_sparse_and_vote_matrix_input_match_dense(cls, votes):
    L, _, _ = votes
    S = sp.csr_matrix(L + 1)  # label + 1, 0 = abstain
    rows, cols = np.nonzero(L >= 0)
    V = VoteMatrix.from_answers(
        rows, cols, L[rows, cols], n_items=L.shape[0], n_sources=L.shape[1], k=2
    )
    dense = make(cls, random_state=0).fit(L).predict_proba(L)
    np.testing.assert_allclose(make(cls, random_state=0).fit(S).predict_proba(S), dense)
    np.testing.assert_allclose(make(cls, random_state=0).fit(V).predict_proba(V), dense)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_source_accuracies_track_the_truth(cls, votes):
    L, _, acc = votes
    est = make(cls).fit(L)
    got = est.source_accuracies()
    assert got.shape == (L.shape[1],)
    np.testing.assert_array_equal(est.get_weights(), got)
    assert np.corrcoef(got, acc)[0, 1] > 0.8


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_predict_on_zero_rows_is_empty(cls, votes):
    L, _, _ = votes
    est = make(cls).fit(L)
    assert est.predict_proba(L[:0]).shape == (0, 2)
    assert est.predict(L[:0]).shape == (0,)
