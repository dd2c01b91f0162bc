"""Learned dependencies: duplicated sources and refinements (a source nested in another)."""

import numpy as np

from labelmill.labelmodel import LabelModel, MajorityVote
from labelmill.labelmodel._dependencies import drop_refined_votes, learn_refinements
from labelmill.labelmodel._validation import check_label_matrix


def nested_rules(n=4000, seed=0):
    """A generic rule 'what' (class 0) fires on 60% of items; specific rules nested in it
    (they fire only where it fires) vote the right class most of the time."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    generic = rng.random(n) < 0.6
    L = np.full((n, 5), -1)
    L[generic, 0] = 0  # generic, 1/3 accurate
    for j, c in enumerate([1, 2], start=1):  # specific rules inside the generic one
        fire = generic & (y == c) & (rng.random(n) < 0.5)
        L[fire, j] = c
    L[:, 3] = np.where(rng.random(n) < 0.3, np.where(rng.random(n) < 0.8, y, (y + 1) % 3), -1)
    L[:, 4] = np.where(rng.random(n) < 0.3, np.where(rng.random(n) < 0.8, y, (y + 2) % 3), -1)
    return L, y


def test_refinements_are_found_and_their_general_votes_dropped():
    L, y = nested_rules()
    V = check_label_matrix(L, 3)
    pairs = learn_refinements(V, np.ones(5, dtype=bool))
    assert sorted(map(tuple, pairs.tolist())) == [(0, 1), (0, 2)]
    dropped = drop_refined_votes(V, pairs)
    both = (L[:, 0] >= 0) & ((L[:, 1] >= 0) | (L[:, 2] >= 0))
    counts = dropped.source_votes().sum(axis=1)
    assert counts[0] == (L[:, 0] >= 0).sum() - both.sum()
    assert counts[1:].tolist() == (L[:, 1:] >= 0).sum(axis=0).tolist()


def test_no_refinement_among_independent_or_crowd_sources(make):
    L, _, _ = make(n=2000, m=6, seed=3)
    V = check_label_matrix(L, 2)
    assert len(learn_refinements(V, np.ones(6, dtype=bool))) == 0
    assert len(learn_refinements(V, np.zeros(6, dtype=bool))) == 0


def test_label_model_uses_refinements():
    L, y = nested_rules(seed=1)
    with_deps = LabelModel(cardinality=3, random_state=0).fit(L)
    without = LabelModel(cardinality=3, dependencies="none", random_state=0).fit(L)
    assert with_deps.refinements_.tolist() == [[0, 1], [0, 2]]
    assert without.refinements_.shape == (0, 2)
    acc = (with_deps.predict(L) == y).mean()
    assert acc > (without.predict(L) == y).mean()
    assert acc > (MajorityVote(cardinality=3).fit(L).predict(L) == y).mean() + 0.05
