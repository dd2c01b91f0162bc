"""GLAD: source expertise and item difficulty (Whitehill et al., NIPS 2009)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit, log_expit

from labelmill.labelmodel._base import BaseLabelModel
from labelmill.labelmodel._em import class_balance, initial_posterior, normalize_log
from labelmill.labelmodel._validation import VoteMatrix
from labelmill.utils._validation import check_positive

__all__ = ["GLAD"]


def _m_step(
    items: np.ndarray,
    sources: np.ndarray,
    weights: np.ndarray,
    p_ans: np.ndarray,
    alpha: np.ndarray,
    b: np.ndarray,
    a0: float,
    fit_alpha: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """One Fisher-scoring step for the item log-difficulties, then one for the expertise.

    The expected complete log-likelihood is a sum over answers of
    ``p log sigmoid(z) + (1 - p) log((1 - sigmoid(z)) / (k - 1))`` with
    ``z = alpha[source] * exp(b[item])``: separable per item given ``alpha`` and per
    source given ``b``, so each step is a vector of one-dimensional Newton steps with
    the expected (always negative) curvature, clipped for safety.
    """
    n, m = b.shape[0], alpha.shape[0]
    beta = np.exp(b[items])
    z = alpha[sources] * beta
    s = expit(z)
    g = weights * (p_ans - s)
    h = weights * s * (1.0 - s)
    grad_b = np.bincount(items, weights=g * z, minlength=n) - b
    curv_b = np.bincount(items, weights=h * z * z, minlength=n) + 1.0
    b = b + np.clip(grad_b / curv_b, -1.0, 1.0)
    if fit_alpha:
        beta = np.exp(b[items])
        z = alpha[sources] * beta
        s = expit(z)
        g = weights * (p_ans - s)
        h = weights * s * (1.0 - s)
        grad_a = np.bincount(sources, weights=g * beta, minlength=m) - (alpha - a0)
        curv_a = np.bincount(sources, weights=h * beta * beta, minlength=m) + 1.0
        alpha = alpha + np.clip(grad_a / curv_a, -2.0, 2.0)
    return alpha, b


def _log_scores(
    items: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    z: np.ndarray,
    n: int,
    k: int,
    log_prior: np.ndarray,
) -> np.ndarray:
    """Unnormalised log posterior of every item: answers right with probability sigmoid(z)."""
    right = log_expit(z)
    wrong = log_expit(-z) - np.log(k - 1)
    S = np.bincount(items, weights=weights * wrong, minlength=n)[:, None] + log_prior[None, :]
    delta = np.bincount(items * k + labels, weights=weights * (right - wrong), minlength=n * k)
    result: np.ndarray = S + delta.reshape(n, k)
    return result


class GLAD(BaseLabelModel):
    """GLAD: P(answer right) = sigmoid(alpha_source * beta_item), fitted by EM.

    Each source has an expertise ``alpha`` (negative = systematically wrong) and each item
    a difficulty ``1 / beta`` with ``beta = exp(b) > 0``; wrong answers are spread evenly
    over the other classes; abstains are ignored. EM alternates the posterior over true
    classes with Fisher-scoring steps on ``b`` and ``alpha`` under Gaussian priors
    ``alpha ~ N(alpha_mean, 1)`` and ``b ~ N(0, 1)``. The class balance is held uniform
    by default, as in the paper: learning it (``learn_class_prior=True``, Dirichlet(1)
    prior) lets hard items, whose posterior falls back to the class balance, feed the
    largest class until it swallows them (on the S_Rel crowd set accuracy drops from 52%
    to 27%).

    The item difficulties belong to the rows of the matrix: ``predict_proba(L)`` infers
    them again for the rows of ``L`` with the sources' expertise fixed (so the training
    matrix gets back its fitted posteriors, up to ``tol``).

    Parameters
    ----------
    cardinality : int or None, default=None
    class_prior : (k,) array-like or None, default=None
        Fixed class balance; ``None`` means uniform, or learned with
        ``learn_class_prior=True``.
    learn_class_prior : bool, default=False
    alpha_mean : float, default=1.0
        Prior mean of every source's expertise.
    max_iter : int, default=100
        EM iterations.
    m_step_iter : int, default=2
        Fisher-scoring steps per M-step (a generalised EM step).
    tol : float, default=1e-4
        Stop when no posterior moves by more than ``tol`` or the penalised marginal
        likelihood changes by less than ``tol / 100`` of its value.
    random_state : None
        Unused (the fit is deterministic).

    Attributes
    ----------
    alpha_ : (n_sources,) float array
        Expertise of each source.
    beta_ : (n_items,) float array
        Inverse difficulty of each training item.
    class_prior_ : (k,) float array
    source_accuracies_ : (n_sources,) float array
        Mean P(right) of each source over the items it answered.
    posterior_ : (n_items, k) float array
        Posteriors of the training items.
    uncovered_ : (n_items,) bool array
    n_iter_ : int

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 1, 0], [0, 1, 0], [1, 0, 1]])
    >>> GLAD().fit(L).predict(L).tolist()
    [0, 1, 0, 1, 0, 1]
    """

    def __init__(
        self,
        *,
        cardinality: int | None = None,
        class_prior: Any = None,
        learn_class_prior: bool = False,
        alpha_mean: float = 1.0,
        max_iter: int = 100,
        m_step_iter: int = 2,
        tol: float = 1e-4,
        random_state: Any = None,
    ) -> None:
        self.cardinality = cardinality
        self.class_prior = class_prior
        self.learn_class_prior = learn_class_prior
        self.alpha_mean = alpha_mean
        self.max_iter = max_iter
        self.m_step_iter = m_step_iter
        self.tol = tol
        self.random_state = random_state

    def _fit(self, V: VoteMatrix, prior: np.ndarray | None) -> None:
        owner = type(self).__name__
        max_iter = check_positive(self.max_iter, "max_iter", owner, integer=True)
        m_iter = check_positive(self.m_step_iter, "m_step_iter", owner, integer=True)
        tol = float(check_positive(self.tol, "tol", owner))
        a0 = float(self.alpha_mean)
        if prior is None and not self.learn_class_prior:
            prior = np.full(V.k, 1.0 / V.k)
        P, alpha, b, pi, n_iter = self._em(
            V, np.full(V.n_sources, a0), prior, a0, max_iter, m_iter, tol, fit_alpha=True
        )
        items, sources, _, weights = V.answers()
        p_right = expit(alpha[sources] * np.exp(b[items]))
        n_votes = np.bincount(sources, weights=weights, minlength=V.n_sources)
        with np.errstate(invalid="ignore", divide="ignore"):
            acc = np.bincount(sources, weights=weights * p_right, minlength=V.n_sources) / n_votes
        self.alpha_ = alpha
        self.beta_ = np.exp(b)
        self.class_prior_ = pi
        self.posterior_ = P
        self.n_iter_ = n_iter
        self.source_accuracies_ = acc

    def _em(
        self,
        V: VoteMatrix,
        alpha: np.ndarray,
        prior: np.ndarray | None,
        a0: float,
        max_iter: int,
        m_iter: int,
        tol: float,
        *,
        fit_alpha: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
        n, k = V.n_items, V.k
        items, sources, labels, weights = V.answers()
        P = initial_posterior(V)
        b = np.zeros(n)
        pi = prior if prior is not None else class_balance(P, 1.0)
        n_iter = 0
        last = -np.inf
        uncovered = ~V.covered()
        for step in range(1, max_iter + 1):
            n_iter = step
            p_ans = P[items, labels]  # posterior that each answer is right
            for _ in range(m_iter):
                alpha, b = _m_step(items, sources, weights, p_ans, alpha, b, a0, fit_alpha)
            if prior is None:
                pi = class_balance(P, 1.0)
            z = alpha[sources] * np.exp(b[items])
            S = _log_scores(items, labels, weights, z, n, k, np.log(pi))
            top = S.max(axis=1)
            marginal = float(np.sum(top + np.log(np.exp(S - top[:, None]).sum(axis=1))))
            marginal -= 0.5 * float(np.dot(b, b))
            if fit_alpha:
                marginal -= 0.5 * float(np.dot(alpha - a0, alpha - a0))
            new_P = normalize_log(S)
            new_P[uncovered] = pi
            delta = float(np.abs(new_P - P).max(initial=0.0))
            P = new_P
            flat = abs(marginal - last) < 1e-2 * tol * abs(marginal)
            last = marginal
            if delta < tol or flat:
                break
        return P, alpha, b, pi, n_iter

    def _predict_proba(self, V: VoteMatrix) -> np.ndarray:
        P, _, _, _, _ = self._em(
            V,
            self.alpha_,
            self.class_prior_,
            float(self.alpha_mean),
            int(self.max_iter),
            int(self.m_step_iter),
            float(self.tol),
            fit_alpha=False,
        )
        return P
