"""The crowd estimators (Wawa, one-coin DS, DS, GLAD, MACE) on answers with known truth."""

import numpy as np
import pytest

from labelmill.labelmodel import (
    GLAD,
    MACE,
    DawidSkene,
    LabelModel,
    MajorityVote,
    OneCoinDawidSkene,
    Wawa,
)


def accuracy(model, S, y):
    return float(np.mean(model.fit(S).predict(S) == y))


@pytest.mark.parametrize(
    "model",
    [
        Wawa(),
        OneCoinDawidSkene(),
        DawidSkene(abstain="ignore"),
        GLAD(),
        MACE(n_restarts=3, random_state=0),
        LabelModel(abstain="ignore"),
    ],
    ids=lambda m: type(m).__name__,
)
def test_weighted_models_beat_majority_vote_on_mixed_skills(model, crowd):
    S, y, _ = crowd(seed=1, spammers=15)
    mv = accuracy(MajorityVote(cardinality=3), S, y)
    model.set_params(cardinality=3)
    assert accuracy(model, S, y) > mv + 0.01


def test_one_coin_recovers_skills_and_class_balance(crowd):
    S, y, skill = crowd(n=4000, seed=2)
    model = OneCoinDawidSkene(cardinality=3).fit(S)
    np.testing.assert_allclose(model.accuracy_, skill, atol=0.08)
    np.testing.assert_allclose(model.class_prior_, np.bincount(y) / len(y), atol=0.02)
    assert model.confusion_.shape == (60, 3, 4)


def test_wawa_skills_are_agreement_with_majority(crowd):
    S, y, skill = crowd(seed=3)
    model = Wawa(cardinality=3).fit(S)
    assert np.corrcoef(model.skills_, skill)[0, 1] > 0.9
    assert np.all((model.skills_ >= 0) & (model.skills_ <= 1))


def test_mace_finds_spammers(crowd):
    S, y, _ = crowd(seed=4, spammers=10)
    model = MACE(cardinality=3, n_restarts=3, random_state=0).fit(S)
    assert model.competence_[-10:].max() < model.competence_[:-10].min() + 0.1
    assert model.competence_[-10:].mean() < 0.2
    np.testing.assert_allclose(model.strategy_.sum(axis=1), 1.0)


def test_mace_restarts_keep_the_best_likelihood(crowd):
    S, _, _ = crowd(seed=5)
    one = MACE(cardinality=3, n_restarts=1, random_state=0).fit(S)
    many = MACE(cardinality=3, n_restarts=4, random_state=0).fit(S)
    assert many.log_likelihood_ >= one.log_likelihood_ - 1e-9


def test_glad_finds_hard_items_and_keeps_uniform_balance_by_default(crowd):
    import scipy.sparse as sp

    rng = np.random.default_rng(6)
    n, m = 600, 20
    y = rng.integers(0, 2, n)
    hard = np.arange(n) < 150
    p_right = np.where(hard, 0.55, 0.9)
    answers = np.where(rng.random((n, m)) < p_right[:, None], y[:, None], 1 - y[:, None])
    S = sp.csr_matrix(answers + 1)
    model = GLAD(cardinality=2).fit(S)
    assert np.median(model.beta_[hard]) < np.median(model.beta_[~hard])
    np.testing.assert_allclose(model.class_prior_, [0.5, 0.5])
    learned = GLAD(cardinality=2, learn_class_prior=True).fit(S)
    assert not np.allclose(learned.class_prior_, [0.5, 0.5])
    # predict_proba on the training matrix re-infers item difficulties: same labels
    np.testing.assert_array_equal(model.predict(S), model.posterior_.argmax(axis=1))


def test_dawid_skene_recovers_asymmetric_confusion(crowd):
    import scipy.sparse as sp

    rng = np.random.default_rng(7)
    n, m = 3000, 6
    y = rng.integers(0, 2, n)
    # each worker: P(answer 1 | y=0) = 0.1, P(answer 1 | y=1) = 0.7 (misses positives)
    p1 = np.where(y == 1, 0.7, 0.1)
    answers = (rng.random((n, m)) < p1[:, None]).astype(int)
    model = DawidSkene(cardinality=2, abstain="ignore", smoothing=0.5).fit(
        sp.csr_matrix(answers + 1)
    )
    conf = model.confusion_[:, :, :2] / model.confusion_[:, :, :2].sum(axis=2, keepdims=True)
    np.testing.assert_allclose(conf[:, 0, 1], 0.1, atol=0.04)
    np.testing.assert_allclose(conf[:, 1, 1], 0.7, atol=0.04)


@pytest.mark.parametrize("cls", [OneCoinDawidSkene, GLAD, MACE, Wawa, LabelModel])
def test_a_single_worker_gives_back_its_answers(cls):
    L = np.array([[0], [1], [1], [0], [-1]])
    model = cls(cardinality=2).fit(L)
    assert model.predict(L)[:4].tolist() == [0, 1, 1, 0]


def test_dawid_skene_single_source_needs_a_diagonal_prior():
    L = np.array([[0], [1], [1], [0], [-1]])
    kept = DawidSkene(cardinality=2, abstain="ignore", prior_correct=0.5).fit(L)
    assert kept.predict(L)[:4].tolist() == [0, 1, 1, 0]
