"""The accelerated EM core: same fixed point as plain EM, objective never lowered."""

import numpy as np

from labelmill.labelmodel._em import _m_step, class_balance, initial_posterior, posterior, run_em
from labelmill.labelmodel._validation import check_label_matrix


def plain_em(V, alpha, w, n_steps):
    P = initial_posterior(V)
    theta, prior = _m_step(V, P, alpha, w), class_balance(P, 1.0)
    for _ in range(n_steps):
        P = posterior(V, theta, prior, w)
        theta, prior = _m_step(V, P, alpha, w), class_balance(P, 1.0)
    return theta, prior


def test_squarem_reaches_the_plain_em_fixed_point(make):
    L, _, _ = make(n=800, m=6, k=3, seed=21)
    V = check_label_matrix(L, 3)
    alpha = np.full((6, 3, 4), 0.5)
    w = np.zeros(6)
    theta, prior = plain_em(V, alpha, w, 2000)
    fast = run_em(
        V,
        initial_posterior(V),
        alpha=alpha,
        class_prior=None,
        prior_alpha=1.0,
        abstain_weight=w,
        max_iter=2000,
        tol=1e-9,
    )
    np.testing.assert_allclose(fast.theta[:, :, :3], theta[:, :, :3], atol=1e-4)
    np.testing.assert_allclose(fast.prior, prior, atol=1e-5)
    assert fast.n_iter < 2000


def test_clamped_items_keep_their_class(make):
    L, y, _ = make(n=400, m=5, seed=22)
    V = check_label_matrix(L, 2)
    clamp = np.full(400, -1)
    clamp[:50] = 1 - y[:50]  # deliberately wrong: they must stay as given
    result = run_em(
        V,
        initial_posterior(V),
        alpha=np.full((5, 2, 3), 1.0),
        class_prior=None,
        prior_alpha=1.0,
        abstain_weight=np.ones(5),
        max_iter=50,
        tol=1e-6,
        clamp=clamp,
    )
    assert result.theta.shape == (5, 2, 3)
    np.testing.assert_allclose(result.theta.sum(axis=2), 1.0)
