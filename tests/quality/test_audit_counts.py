from __future__ import annotations

import numpy as np
from scipy.stats import hypergeom

from labelmill.quality._audit_counts import above, build_table
from labelmill.quality._audit_design import locate_audit_sample


def test_above_counts_and_sums():
    scores = np.array([0.9, 0.5, 0.7, 0.7])
    grid = np.array([0.8, 0.7, 0.0])
    assert above(scores, grid).tolist() == [1, 3, 4]
    assert above(scores, grid, [1, 2, 3, 4]).tolist() == [1.0, 8.0, 10.0]
    assert above(np.array([]), grid).tolist() == [0, 0, 0]


def _table():
    rng = np.random.default_rng(3)
    a_scores, a_wrong = rng.uniform(0.5, 1, 40), rng.uniform(size=40) < 0.1
    a_keys, a_cls = rng.uniform(0, 0.1, 40), rng.integers(0, 2, 40)
    p_scores, p_cls = rng.uniform(0.5, 1, 300), rng.integers(0, 2, 300)
    p_keys = rng.uniform(0.1, 1, 300)
    a_keys[:3] = 0.5  # audited out of order: extra
    sample = locate_audit_sample(a_keys, np.ones(40), p_keys, np.ones(300))
    grid = np.array([0.9, 0.7, 0.5])
    t = build_table(a_scores, a_wrong, a_cls, p_scores, p_cls, sample, grid)
    return t, (a_scores, a_wrong, a_cls, sample.in_sample, p_scores, p_cls, grid)


def test_table_counts_match_brute_force():
    t, (a_s, a_w, a_c, ins, p_s, p_c, grid) = _table()
    for g in (0, 1):
        for j, thr in enumerate(grid):
            assert t.population[g, 0, j] == ((p_c == g) & (p_s >= thr)).sum()
            sel = (a_c == g) & (a_s >= thr)
            assert t.sample[g, 0, j] == (sel & ins).sum()
            assert t.sample_wrong[g, 0, j] == (sel & ins & a_w).sum()
            assert t.extra[g, 0, j] == (sel & ~ins).sum()
            assert t.extra_wrong[g, 0, j] == (sel & ~ins & a_w).sum()


def test_the_null_counts_the_known_wrong_labels_and_the_test_is_hypergeometric():
    t, _ = _table()
    g, j = 1, 1
    n_pop = int(t.population[g, 0, j])
    known = int(t.sample_wrong[g, 0, j] + t.extra_wrong[g, 0, j])
    assert t.null_wrong(g, j, 0.9) == int(np.floor(0.1 * n_pop + 1e-9)) + 1 + known
    s = t.strata(g, j)[0]
    p_one = hypergeom.cdf(s.n_wrong, s.size, t.null_wrong(g, j, 0.9), s.n_audited)
    outcome, p = t.test(j, 0.9, level=1.0)
    assert outcome == "passed" and p >= p_one - 1e-12  # the worse of the two classes


def test_empty_sets_pass_and_bounds_are_below_one():
    t, _ = _table()
    empty = build_table(
        np.array([0.6]),
        np.array([False]),
        np.array([0]),
        np.array([]),
        np.array([], dtype=int),
        locate_audit_sample(np.array([0.01]), np.ones(1), np.array([]), np.array([])),
        np.array([0.5]),
    )
    assert empty.test(0, 0.9, 0.05) == ("empty", 0.0)
    lb = t.lower_bound(2, 0.05)
    assert 0.0 <= lb < 1.0
