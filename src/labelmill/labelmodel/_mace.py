"""MACE: competent or spamming, per answer (Hovy et al., NAACL 2013)."""

from __future__ import annotations

from typing import Any

import numpy as np

from labelmill.labelmodel._base import BaseLabelModel
from labelmill.labelmodel._dawid_skene import accuracies_from_theta
from labelmill.labelmodel._em import (
    class_balance,
    initial_posterior,
    posterior,
    with_abstain_column,
)
from labelmill.labelmodel._validation import VoteMatrix
from labelmill.utils._validation import check_positive, check_random_state

__all__ = ["MACE"]


def mace_confusion(competence: np.ndarray, strategy: np.ndarray) -> np.ndarray:
    """``P(answer l | true c) = competence [l == c] + (1 - competence) strategy[l]``."""
    k = strategy.shape[1]
    t = competence[:, None, None]
    conf = t * np.eye(k)[None, :, :] + (1.0 - t) * strategy[:, None, :]
    return with_abstain_column(conf)


class MACE(BaseLabelModel):
    """MACE: each answer is either the truth (competent) or drawn from a spam strategy.

    Source ``j`` answers competently with probability ``competence_[j]`` (it gives the
    true class) and otherwise "spams": it draws a class from its own strategy
    ``strategy_[j]`` whatever the truth. This is a Dawid-Skene confusion matrix
    constrained to ``competence * I + (1 - competence) * 1 strategy^T``, which needs few
    answers per source and singles out spammers (competence near 0). EM with a
    Beta(``alpha``, ``beta``) prior on competence, a Dirichlet(``smoothing``) prior on
    strategies and (unlike the paper's uniform labels) a Dirichlet(1) prior on the class
    balance; the best of ``n_restarts`` runs by penalised likelihood is kept (the first
    starts from the majority vote, the others from random parameters drawn with
    ``random_state``).

    Parameters
    ----------
    cardinality : int or None, default=None
    class_prior : (k,) array-like or None, default=None
    alpha, beta : float, default=0.5
        Beta prior on competence.
    smoothing : float, default=0.1
        Dirichlet pseudo-count on every strategy entry.
    n_restarts : int, default=10
    max_iter : int, default=50
        EM iterations per restart.
    tol : float, default=1e-5
    random_state : int, numpy Generator or None, default=None

    Attributes
    ----------
    competence_ : (n_sources,) float array
        P(answer competently) of each source.
    strategy_ : (n_sources, k) float array
        Spam distribution of each source.
    confusion_ : (n_sources, k, k + 1) float array
    class_prior_ : (k,) float array
    source_accuracies_ : (n_sources,) float array
    log_likelihood_ : float
        Penalised log-likelihood of the kept restart.
    uncovered_ : (n_items,) bool array

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 1, 0], [0, 1, 0], [1, 0, 1]])
    >>> MACE(random_state=0).fit(L).predict(L).tolist()
    [0, 1, 0, 1, 0, 1]
    """

    def __init__(
        self,
        *,
        cardinality: int | None = None,
        class_prior: Any = None,
        alpha: float = 0.5,
        beta: float = 0.5,
        smoothing: float = 0.1,
        n_restarts: int = 10,
        max_iter: int = 50,
        tol: float = 1e-5,
        random_state: Any = None,
    ) -> None:
        self.cardinality = cardinality
        self.class_prior = class_prior
        self.alpha = alpha
        self.beta = beta
        self.smoothing = smoothing
        self.n_restarts = n_restarts
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _fit(self, V: VoteMatrix, prior: np.ndarray | None) -> None:
        owner = type(self).__name__
        a = float(check_positive(self.alpha, "alpha", owner))
        b = float(check_positive(self.beta, "beta", owner))
        s = float(check_positive(self.smoothing, "smoothing", owner))
        restarts = check_positive(self.n_restarts, "n_restarts", owner, integer=True)
        max_iter = check_positive(self.max_iter, "max_iter", owner, integer=True)
        tol = float(check_positive(self.tol, "tol", owner))
        rng = check_random_state(self.random_state, owner=owner)
        items, sources, labels, weights = V.answers()
        n_votes = np.bincount(sources, weights=weights, minlength=V.n_sources)
        best: tuple[float, np.ndarray, np.ndarray, np.ndarray] | None = None
        for r in range(restarts):
            if r == 0:
                P = initial_posterior(V)
                comp, strat = self._m_step(V, P, np.full(V.n_sources, 0.5), None, a, b, s)
            else:
                comp = rng.uniform(0.3, 0.9, V.n_sources)
                strat = rng.dirichlet(np.ones(V.k), V.n_sources)
            pi = prior if prior is not None else np.full(V.k, 1.0 / V.k)
            for _ in range(max_iter):
                P = posterior(V, mace_confusion(comp, strat), pi, 0.0)
                new_comp, new_strat = self._m_step(V, P, comp, strat, a, b, s)
                new_pi = prior if prior is not None else class_balance(P, 1.0)
                delta = max(
                    np.abs(new_comp - comp).max(initial=0.0),
                    np.abs(new_strat - strat).max(initial=0.0),
                    np.abs(new_pi - pi).max(),
                )
                comp, strat, pi = new_comp, new_strat, new_pi
                if delta < tol:
                    break
            ll = self._penalised_loglik(V, comp, strat, pi, a, b, s)
            if best is None or ll > best[0]:
                best = (ll, comp, strat, pi)
        assert best is not None
        ll, comp, strat, pi = best
        self.competence_ = comp
        self.strategy_ = strat
        self.confusion_ = mace_confusion(comp, strat)
        self.class_prior_ = pi
        self.log_likelihood_ = ll
        acc = accuracies_from_theta(self.confusion_[:, :, : V.k], pi)
        self.source_accuracies_ = np.where(n_votes > 0, acc, np.nan)

    @staticmethod
    def _m_step(
        V: VoteMatrix,
        P: np.ndarray,
        comp: np.ndarray,
        strat: np.ndarray | None,
        a: float,
        b: float,
        s: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        items, sources, labels, weights = V.answers()
        m, k = V.n_sources, V.k
        p_right = P[items, labels]  # the answer equals the truth
        if strat is None:  # first step from the majority vote: right answers are competent
            competent = p_right
        else:
            t, x = comp[sources], strat[sources, labels]
            competent = p_right * t / (t + (1.0 - t) * x)
        n_votes = np.bincount(sources, weights=weights, minlength=m)
        n_comp = np.bincount(sources, weights=weights * competent, minlength=m)
        new_comp = (n_comp + a) / (n_votes + a + b)
        spam = np.bincount(
            sources * k + labels, weights=weights * (1.0 - competent), minlength=m * k
        ).reshape(m, k)
        new_strat = (spam + s) / (spam.sum(axis=1, keepdims=True) + k * s)
        return new_comp, new_strat

    @staticmethod
    def _penalised_loglik(
        V: VoteMatrix,
        comp: np.ndarray,
        strat: np.ndarray,
        pi: np.ndarray,
        a: float,
        b: float,
        s: float,
    ) -> float:
        conf = mace_confusion(comp, strat)[:, :, : V.k]
        W = np.log(conf).transpose(0, 2, 1).reshape(-1, V.k)  # row j*k + l: log P(l | c)
        S = np.asarray(V.X @ W) + np.log(pi)[None, :]
        top = S.max(axis=1)
        ll = float(np.sum(top + np.log(np.exp(S - top[:, None]).sum(axis=1))))
        c = np.clip(comp, 1e-12, 1 - 1e-12)
        ll += float(np.sum((a - 1) * np.log(c) + (b - 1) * np.log(1 - c)))
        ll += float(np.sum((s - 1) * np.log(strat)))
        return ll

    def _predict_proba(self, V: VoteMatrix) -> np.ndarray:
        P = posterior(V, self.confusion_, self.class_prior_, 0.0)
        P[~V.covered()] = self.class_prior_
        return P
