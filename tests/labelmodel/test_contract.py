"""The estimator contract, shared by every label model."""

import numpy as np
import pytest
from sklearn.base import clone

from labelmill.exceptions import NotFittedError
from labelmill.labelmodel import DawidSkene, LabelModel, MajorityVote

ESTIMATORS = [MajorityVote, DawidSkene, LabelModel]


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_init_stores_params_only(cls):
    est = cls(cardinality=3, random_state=1)
    assert est.get_params()["cardinality"] == 3
    assert not hasattr(est, "cardinality_")


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_clone_and_fit_returns_self(cls, votes):
    L, _, _ = votes
    est = clone(cls(random_state=0))
    assert est.fit(L) is est
    assert est.cardinality_ == 2 and est.n_sources_ == L.shape[1]


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["predict", "predict_proba", "source_accuracies"])
def test_not_fitted(cls, method, votes):
    L, _, _ = votes
    est = cls()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(est, method)(L) if method != "source_accuracies" else est.source_accuracies()


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_proba_rows_sum_to_one_and_predict_matches(cls, votes):
    L, y, _ = votes
    est = cls(random_state=0).fit(L)
    P = est.predict_proba(L)
    assert P.shape == (L.shape[0], 2)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert (est.predict(L) == y).mean() > 0.8


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_same_seed_same_result(cls, votes):
    L, _, _ = votes
    a = cls(random_state=3).fit(L).predict_proba(L)
    b = cls(random_state=3).fit(L).predict_proba(L)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_uncovered_items_get_class_prior(cls, votes):
    L, _, _ = votes
    L = L.copy()
    L[:5] = -1
    est = cls().fit(L)
    assert est.uncovered_[:5].all() and not est.uncovered_[5:].all()
    np.testing.assert_allclose(est.predict_proba(L)[:5], np.tile(est.class_prior_, (5, 1)))
    assert est.uncovered(L)[:5].all()


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_fixed_class_prior_is_used(cls, votes):
    L, _, _ = votes
    est = cls(class_prior=[0.3, 0.7]).fit(L)
    np.testing.assert_allclose(est.class_prior_, [0.3, 0.7])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_sparse_input_matches_dense(cls, votes):
    import scipy.sparse as sp

    L, _, _ = votes
    S = sp.csr_matrix(L + 1)  # label + 1, 0 = abstain
    np.testing.assert_allclose(
        cls(random_state=0).fit(S).predict_proba(S), cls(random_state=0).fit(L).predict_proba(L)
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_source_accuracies_shape(cls, votes):
    L, _, acc = votes
    est = cls().fit(L)
    got = est.source_accuracies()
    assert got.shape == (L.shape[1],)
    assert np.corrcoef(got, acc)[0, 1] > 0.8
