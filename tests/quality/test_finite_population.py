from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import hypergeom

from labelmill.exceptions import InputError
from labelmill.quality._finite_population import (
    StratumCounts,
    errors_pvalue,
    errors_upper_bound,
)


@pytest.mark.parametrize(
    ("size", "n", "x", "k"), [(1000, 59, 0, 51), (200, 50, 3, 20), (30, 30, 2, 5)]
)
def test_one_stratum_is_the_hypergeometric_tail(size, n, x, k):
    p = errors_pvalue([StratumCounts(size, n, x)], k)
    assert p == pytest.approx(hypergeom.cdf(x, size, k, n), rel=1e-9)


def test_edge_values():
    s = [StratumCounts(100, 20, 0)]
    assert errors_pvalue(s, 0) == 1.0
    assert errors_pvalue(s, 101) == 0.0  # more wrong labels than items
    # a stratum nobody audited can hold every wrong label: no evidence against
    blind = [StratumCounts(100, 20, 0), StratumCounts(10, 0, 0)]
    assert errors_pvalue(blind, 10) == 1.0
    assert errors_pvalue(blind, 15) == pytest.approx(hypergeom.cdf(0, 100, 5, 20))
    assert errors_pvalue([StratumCounts(0, 0, 0), *s], 5) == errors_pvalue(s, 5)


def test_two_strata_match_brute_force_over_every_split():
    rng = np.random.default_rng(0)
    for _ in range(60):
        m1, m2 = (int(v) for v in rng.integers(4, 25, 2))
        n1, n2 = int(rng.integers(1, m1 + 1)), int(rng.integers(1, m2 + 1))
        x1, x2 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n2 + 1))
        k = int(rng.integers(1, m1 + m2 + 1))
        w1, w2 = m1 / n1, m2 / n2
        s_obs = w1 * x1 + w2 * x2
        worst = 0.0
        for k1 in range(max(0, k - m2), min(k, m1) + 1):
            y1 = np.arange(n1 + 1)[:, None]
            y2 = np.arange(n2 + 1)[None, :]
            joint = hypergeom.pmf(y1, m1, k1, n1) * hypergeom.pmf(y2, m2, k - k1, n2)
            worst = max(worst, joint[w1 * y1 + w2 * y2 <= s_obs + 1e-9].sum())
        got = errors_pvalue([StratumCounts(m1, n1, x1), StratumCounts(m2, n2, x2)], k)
        assert got == pytest.approx(worst, abs=1e-10)


def test_pvalue_falls_as_the_null_grows():
    strata = [StratumCounts(300, 40, 1), StratumCounts(500, 20, 0)]
    p = [errors_pvalue(strata, k) for k in range(1, 120)]
    assert all(b <= a + 1e-12 for a, b in zip(p, p[1:], strict=False))


def test_upper_bound_inverts_the_test_and_covers():
    strata = [StratumCounts(1000, 59, 0)]
    ub = errors_upper_bound(strata, alpha=0.05)
    assert errors_pvalue(strata, ub) > 0.05 >= errors_pvalue(strata, ub + 1)
    assert errors_upper_bound([StratumCounts(10, 10, 0)], alpha=0.05) == 0
    assert errors_upper_bound([StratumCounts(10, 0, 0)], alpha=0.05) == 10
    # coverage: the true number of wrong labels exceeds the bound in <= alpha of samples
    rng = np.random.default_rng(1)
    wrong = np.zeros(400, bool)
    wrong[:30] = True
    misses = 0
    for _ in range(400):
        a = rng.choice(400, 60, replace=False)
        ub = errors_upper_bound([StratumCounts(400, 60, int(wrong[a].sum()))], alpha=0.1)
        misses += ub < 30
    assert misses <= 0.1 * 400 + 3 * np.sqrt(400 * 0.1 * 0.9)


def test_more_than_two_audited_strata_is_an_error():
    strata = [StratumCounts(10, 2, 0)] * 3
    with pytest.raises(InputError, match=r"combines at most two audited strata\. Got 3"):
        errors_pvalue(strata, 2)
