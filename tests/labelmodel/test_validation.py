"""Every error a label model raises on bad input or parameters."""

import numpy as np
import pytest
import scipy.sparse as sp

from labelmill.exceptions import ConfigError, InputError
from labelmill.labelmodel import DawidSkene, LabelModel, MajorityVote

ALL = [MajorityVote, DawidSkene, LabelModel]


@pytest.mark.parametrize("cls", ALL)
def test_ragged(cls):
    with pytest.raises(InputError, match="ragged: row 0 has 2 votes but row 1 has 1"):
        cls().fit([[0, 1], [1]])


@pytest.mark.parametrize("cls", ALL)
def test_non_integer(cls):
    with pytest.raises(InputError, match=r"must hold integers.*row 1, column 0"):
        cls().fit(np.array([[0.0, 1.0], [0.5, 1.0]]))
    with pytest.raises(InputError, match="integer class indices"):
        cls().fit(np.array([["a", "b"]]))


@pytest.mark.parametrize("cls", ALL)
def test_below_minus_one(cls):
    with pytest.raises(InputError, match=r"below -1; first at row 1, column 1 \(value -2\)"):
        cls().fit(np.array([[0, 1], [1, -2]]))


@pytest.mark.parametrize("cls", ALL)
def test_above_cardinality(cls):
    with pytest.raises(InputError, match=r">= cardinality 2; first at row 0, column 1"):
        cls(cardinality=2).fit(np.array([[0, 2], [1, 1]]))


@pytest.mark.parametrize("cls", ALL)
def test_not_2d(cls):
    with pytest.raises(InputError, match="must be 2-D"):
        cls().fit(np.array([0, 1, 1]))


@pytest.mark.parametrize("cls", ALL)
def test_wrong_number_of_sources_at_predict(cls):
    est = cls().fit(np.array([[0, 1], [1, 1]]))
    with pytest.raises(InputError, match="has 3 sources .* fitted on 2"):
        est.predict(np.array([[0, 1, 1]]))


@pytest.mark.parametrize("cls", ALL)
def test_bad_cardinality_and_prior(cls):
    L = np.array([[0, 1], [1, 1]])
    with pytest.raises(ConfigError, match="'cardinality' parameter .* Got 1 instead"):
        cls(cardinality=1).fit(L)
    with pytest.raises(ConfigError, match="'class_prior' .* must sum to 1"):
        cls(class_prior=[0.2, 0.2]).fit(L)
    with pytest.raises(ConfigError, match="'class_prior' .* 2 positive probabilities"):
        cls(class_prior=[1.0]).fit(L)
    with pytest.raises(ConfigError, match="'class_prior' parameter"):
        cls(class_prior="x").fit(L)


@pytest.mark.parametrize("cls", ALL)
def test_sparse_errors(cls):
    with pytest.raises(InputError, match=r"holds label 2 \(stored 3\) at row 0, column 1"):
        cls(cardinality=2).fit(sp.csr_matrix(np.array([[1, 3], [0, 1]])))
    with pytest.raises(InputError, match="values must be >= 0"):
        cls().fit(sp.csr_matrix(np.array([[1, -1], [0, 1]])))
    with pytest.raises(InputError, match="must hold integers"):
        cls().fit(sp.csr_matrix(np.array([[1.5, 1], [0, 1]])))


def test_parameter_errors():
    L = np.array([[0, 1], [1, 1]])
    with pytest.raises(ConfigError, match="'tie_break' parameter of MajorityVote must be one of"):
        MajorityVote(tie_break="coin").fit(L)
    with pytest.raises(ConfigError, match="'abstain' parameter of DawidSkene"):
        DawidSkene(abstain="x").fit(L)
    with pytest.raises(ConfigError, match="'smoothing' .* positive number"):
        DawidSkene(smoothing=0).fit(L)
    with pytest.raises(ConfigError, match="'max_iter' .* positive int"):
        DawidSkene(max_iter=1.5).fit(L)
    with pytest.raises(ConfigError, match="'abstain' parameter of LabelModel"):
        LabelModel(abstain="x").fit(L)
    with pytest.raises(ConfigError, match="'decode' parameter"):
        LabelModel(decode="x").fit(L)
    with pytest.raises(ConfigError, match=r"'prior_accuracy' .* \(0.5, 1\)"):
        LabelModel(prior_accuracy=0.4).fit(L)
    with pytest.raises(ConfigError, match="'max_fit_items'"):
        LabelModel(max_fit_items=0).fit(L)


def test_gold_errors():
    L = np.array([[0, 1], [1, 1]])
    with pytest.raises(InputError, match="one entry per row of L"):
        LabelModel().fit(L, np.array([0]))
    with pytest.raises(InputError, match=r"0..1 or -1 \(unknown\). Got 5 at position 1"):
        LabelModel().fit(L, np.array([0, 5]))


ALL_MODELS = [MajorityVote, DawidSkene, LabelModel]


@pytest.mark.parametrize("cls", ALL_MODELS)
def test_zero_rows_or_sources_refused(cls):
    with pytest.raises(InputError, match=r"has 0 rows \(items\); fitting needs at least one"):
        cls(cardinality=2).fit(np.zeros((0, 3), dtype=int))
    with pytest.raises(InputError, match=r"has 0 columns \(sources\)"):
        cls(cardinality=2).fit(np.zeros((4, 0), dtype=int))
    with pytest.raises(InputError, match="has 0 rows"):
        cls().fit(sp.csr_matrix((0, 3)))


def test_vote_matrix_cardinality_mismatch():
    from labelmill.labelmodel import VoteMatrix

    V = VoteMatrix.from_answers([0, 1], [0, 0], [0, 2], n_items=2, n_sources=1, k=3)
    with pytest.raises(InputError, match="VoteMatrix over 3 classes, but cardinality is 2"):
        LabelModel(cardinality=2).fit(V)


def test_crowd_model_parameter_errors():
    from labelmill.labelmodel import GLAD, MACE, OneCoinDawidSkene

    L = np.array([[0, 1], [1, 1], [0, 0]])
    with pytest.raises(ConfigError, match="'smoothing' parameter of OneCoinDawidSkene"):
        OneCoinDawidSkene(smoothing=-1).fit(L)
    with pytest.raises(ConfigError, match="'m_step_iter' parameter of GLAD"):
        GLAD(m_step_iter=0).fit(L)
    with pytest.raises(ConfigError, match="'n_restarts' parameter of MACE"):
        MACE(n_restarts=0).fit(L)
    with pytest.raises(ConfigError, match="'alpha' parameter of MACE"):
        MACE(alpha=0).fit(L)
    with pytest.raises(ConfigError, match="'prior_correct' parameter of DawidSkene"):
        DawidSkene(prior_correct=-1).fit(L)
    with pytest.raises(ConfigError, match="'prior_correct' parameter of LabelModel"):
        LabelModel(prior_correct="x").fit(L)
    with pytest.raises(ConfigError, match="'smoothing' parameter of LabelModel"):
        LabelModel(smoothing=0).fit(L)
    with pytest.raises(ConfigError, match="'dependencies' parameter of LabelModel"):
        LabelModel(dependencies="learn").fit(L)
