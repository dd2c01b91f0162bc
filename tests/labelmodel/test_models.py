"""Behaviour of each label model on synthetic votes with known truth."""

import numpy as np
import pytest

from labelmill.labelmodel import (
    DawidSkene,
    LabelModel,
    MajorityVote,
    MultiLabelModel,
    combine_votes,
)


def test_majority_vote_ties_documented():
    L = np.array([[0, 1], [1, 1], [-1, -1]])
    mv = MajorityVote(class_prior=[0.3, 0.7]).fit(L)
    np.testing.assert_allclose(mv.predict_proba(L)[0], [0.5, 0.5])
    assert mv.predict(L).tolist() == [1, 1, 1]  # tie -> larger prior; uncovered -> prior
    mv = MajorityVote(class_prior=[0.5, 0.5]).fit(L)
    assert mv.predict(L)[0] == 0  # equal prior -> lowest index
    r1 = MajorityVote(tie_break="random", random_state=0).fit(L).predict(np.tile(L[:1], (50, 1)))
    assert set(r1.tolist()) == {0, 1}


def test_unipolar_sources_do_not_collapse(make):
    L, y, _ = make(n=3000, m=10, k=2, coverage=0.5, unipolar=True, seed=1)
    covered = (L >= 0).any(axis=1)
    mv = (MajorityVote().fit(L).predict(L) == y)[covered].mean()
    for est in (DawidSkene(), LabelModel()):
        acc = (est.fit(L).predict(L) == y)[covered].mean()
        assert acc >= mv - 0.01
        assert 0.3 < est.class_prior_[0] < 0.7


def test_dawid_skene_beats_majority_with_bad_majority():
    # three poor sources and one excellent one: DS learns to trust the good one
    rng = np.random.default_rng(0)
    n = 3000
    y = rng.integers(0, 2, n)
    acc = np.array([0.95, 0.6, 0.6, 0.6, 0.6])
    L = np.where(rng.random((n, 5)) < acc, y[:, None], 1 - y[:, None])
    mv = (MajorityVote().fit(L).predict(L) == y).mean()
    ds = (DawidSkene(abstain="ignore").fit(L).predict(L) == y).mean()
    lm = (LabelModel().fit(L).predict(L) == y).mean()
    assert ds > mv + 0.05 and lm > mv + 0.05
    assert not LabelModel().fit(L).majority_consistent_


def test_crowd_like_sparse_many_sources():
    import scipy.sparse as sp

    rng = np.random.default_rng(2)
    n, m = 3000, 300
    y = rng.integers(0, 3, n)
    rows = np.repeat(np.arange(n), 5)
    cols = rng.integers(0, m, rows.size)
    skill = rng.uniform(0.4, 0.95, m)
    right = rng.random(rows.size) < skill[cols]
    lab = np.where(right, y[rows], (y[rows] + rng.integers(1, 3, rows.size)) % 3)
    S = sp.coo_matrix((lab + 1, (rows, cols)), shape=(n, m)).tocsr()
    S.sum_duplicates()
    S.data = np.minimum(S.data, 3)  # duplicates summed: clip back into range
    lm = LabelModel(cardinality=3).fit(S)
    mv = MajorityVote(cardinality=3).fit(S)
    assert (lm.predict(S) == y).mean() >= (mv.predict(S) == y).mean()


def test_duplicate_sources_are_merged(make):
    L, y, _ = make(n=1000, m=5, seed=3)
    L2 = np.hstack([L, L[:, [0]], L[:, [0]]])
    lm = LabelModel().fit(L2)
    assert lm.duplicate_of_.tolist() == [0, 1, 2, 3, 4, 0, 0]
    np.testing.assert_allclose(lm.predict_proba(L2), LabelModel().fit(L).predict_proba(L))
    assert lm.source_accuracies()[5] == lm.source_accuracies()[0]


def test_gold_fallback_to_majority(make):
    # Anti-correlated sources fool EM; gold labels reveal it and trigger the fallback.
    L, y, _ = make(n=800, m=6, seed=4, coverage=0.9)
    gold = np.full(len(y), -1)
    gold[:200] = y[:200]
    lm = LabelModel().fit(L, gold)
    assert isinstance(lm.fallback_, bool)
    assert (lm.predict(L) == y).mean() >= (MajorityVote().fit(L).predict(L) == y).mean() - 0.01


def test_subsampled_fit_close_to_full(make):
    L, y, _ = make(n=20000, m=10, seed=5)
    full = LabelModel(max_fit_items=None).fit(L).source_accuracies()
    sub = LabelModel(max_fit_items=5000, random_state=0).fit(L).source_accuracies()
    np.testing.assert_allclose(full, sub, atol=0.03)


def test_multilabel_one_binary_problem_per_class():
    rng = np.random.default_rng(6)
    n, m, c = 1500, 6, 3
    Y = (rng.random((n, c)) < 0.4).astype(int)
    L = np.where(rng.random((n, m, c)) < 0.8, Y[:, None, :], 1 - Y[:, None, :])
    L = np.where(rng.random((n, m, c)) < 0.7, L, -1)
    ml = MultiLabelModel().fit(L)
    P = ml.predict_proba(L)
    assert P.shape == (n, c)
    assert ((P > 0.5) == Y).mean() > 0.85
    assert ml.predict(L).shape == (n, c)


def test_multilabel_shape_error():
    from labelmill.exceptions import InputError

    with pytest.raises(InputError, match="3-D"):
        MultiLabelModel().fit(np.zeros((3, 2), dtype=int))


def test_combine_votes(make):
    L, y, _ = make(n=500, seed=7)
    P = combine_votes(L, cardinality=2, random_state=0)
    assert P.shape == (500, 2) and (P.argmax(1) == y).mean() > 0.8


def test_majority_consistent_decoding_keeps_majority_and_lowers_confidence():
    from labelmill.labelmodel._decoding import majority_consistent as _majority_consistent

    P = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    shares = np.array([[0.0, 1.0], [0.0, 1.0], [0.5, 0.5]])  # item 2: tie
    out = _majority_consistent(P, shares, np.array([0.5, 0.5]))
    np.testing.assert_allclose(out[0], [0.45, 0.55])  # clash: majority wins, low confidence
    np.testing.assert_allclose(out[1:], P[1:])  # agreement or tie: EM posterior unchanged
    np.testing.assert_allclose(out.sum(axis=1), 1.0)


def test_decode_modes(make):
    L, y, _ = make(n=1500, m=8, k=2, coverage=0.5, unipolar=True, seed=8)
    assert LabelModel().fit(L).majority_consistent_
    assert not LabelModel(decode="posterior").fit(L).majority_consistent_
    assert LabelModel(decode="majority", abstain="ignore").fit(L).majority_consistent_


def test_abstain_given_per_source_for_rules_mixed_with_people(make):
    L, y, _ = make(n=2000, m=6, k=2, coverage=0.5, unipolar=True, seed=9)
    people = np.where(np.random.default_rng(0).random((2000, 3)) < 0.3, y[:, None], -1)
    people[:, 2] = np.where(people[:, 2] >= 0, 1, -1)  # a person who only ever said 1 so far
    mixed = np.hstack([L, people])
    flags = np.array([True] * 6 + [False] * 3)
    model = LabelModel(abstain=flags, random_state=0).fit(mixed)
    assert model.abstain_informative_.tolist() == flags.tolist()
    auto = LabelModel(random_state=0).fit(mixed)
    assert auto.abstain_informative_[8]  # "auto" takes the one-class person for a rule
    assert (model.predict(mixed) == y).mean() > 0.8
    from labelmill.exceptions import ConfigError

    with pytest.raises(ConfigError, match="or one bool per source"):
        LabelModel(abstain=[True, False]).fit(mixed)
