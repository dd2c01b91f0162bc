"""Expectation-maximisation for class-conditional source confusion matrices.

Each source ``j`` has, for every true class ``c``, a distribution ``theta[j, c, :]`` over
its ``k + 1`` outcomes: a vote for class ``0..k-1`` or abstain (last column). Modelling
the abstain outcome is what lets unipolar sources (that only ever vote one class) carry
information: how often they fire depends on the true class. With
``abstain_weight=0`` abstains are ignored (classic Dawid-Skene on sparse answers, where
who answers what is decided by an assignment, not by the item).

All work is vectorised as products of the sparse vote indicator with small dense
matrices, so an iteration over a million items and fifty sources costs a fraction
of a second.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labelmill.labelmodel._validation import VoteMatrix

__all__ = [
    "EMResult",
    "class_balance",
    "confusion_counts",
    "coverage_prior",
    "initial_posterior",
    "normalize_log",
    "posterior",
    "run_em",
    "with_abstain_column",
]


class EMResult:
    """Parameters learned by :func:`run_em`."""

    def __init__(self, theta: np.ndarray, prior: np.ndarray, n_iter: int) -> None:
        self.theta = theta  # (m, k, k + 1)
        self.prior = prior  # (k,)
        self.n_iter = n_iter


def posterior(
    V: VoteMatrix, theta: np.ndarray, prior: np.ndarray, abstain_weight: Any
) -> np.ndarray:
    """Posterior ``P(y | votes)`` for every item: ``(n_items, k)``.

    ``abstain_weight`` is a scalar or one weight per source (1 = abstain informative,
    0 = ignored).
    """
    w = np.broadcast_to(np.asarray(abstain_weight, dtype=np.float64), (V.n_sources,))
    return normalize_log(_log_joint(V, theta, prior, w))


def normalize_log(scores: np.ndarray) -> np.ndarray:
    """Rows of log-scores to probabilities (in place, numerically stable)."""
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


def confusion_counts(V: VoteMatrix, P: np.ndarray) -> np.ndarray:
    """Expected (weighted) vote counts ``N[j, true, vote]`` under the posterior ``P``."""
    k, m = V.k, V.n_sources
    result: np.ndarray = np.asarray(V.XT @ P).reshape(m, k, k).transpose(0, 2, 1)
    return result


def with_abstain_column(conf: np.ndarray) -> np.ndarray:
    """``(m, k, k)`` vote distributions to the ``(m, k, k + 1)`` layout, abstain ignored."""
    tiny = np.full(conf.shape[:2] + (1,), 1e-12)
    return np.concatenate([conf, tiny], axis=2)


def initial_posterior(V: VoteMatrix) -> np.ndarray:
    """Majority-vote shares for covered items (ties split evenly), uniform for the others."""
    counts = V.class_counts()
    top = counts.max(axis=1, keepdims=True)
    win = ((counts >= top - 1e-12) & (top > 0)).astype(np.float64)
    total = win.sum(axis=1, keepdims=True)
    P = np.divide(win, total, out=np.zeros_like(win), where=total > 0)
    P[total[:, 0] == 0] = 1.0 / V.k
    return P


def class_balance(P: np.ndarray, prior_alpha: float) -> np.ndarray:
    """Posterior mean of the class balance under a symmetric Dirichlet(prior_alpha) prior."""
    counts = P.sum(axis=0) + prior_alpha
    result: np.ndarray = counts / counts.sum()
    return result


def _m_step(V: VoteMatrix, P: np.ndarray, alpha: np.ndarray, abstain_weight: Any) -> np.ndarray:
    m = V.n_sources
    w = np.broadcast_to(np.asarray(abstain_weight, dtype=np.float64), (m,))
    N = confusion_counts(V, P)  # (m, true, vote)
    total = P.sum(axis=0)  # (k,)
    n_abs = np.maximum(total[None, :] - N.sum(axis=2), 0.0)
    n_abs = np.where((w > 0)[:, None], n_abs, 0.0)
    counts = np.concatenate([N, n_abs[:, :, None]], axis=2) + alpha
    result: np.ndarray = counts / counts.sum(axis=2, keepdims=True)
    return result


def coverage_prior(V: VoteMatrix, *, accuracy: float, strength: float, abstain: bool) -> np.ndarray:
    """Dirichlet pseudo-counts ``(m, k, k + 1)`` centred on each source's observed coverage.

    The prior mean of ``theta[j, c, :]`` is: vote ``c`` with probability
    ``cov_j * accuracy``, each other class with ``cov_j * (1 - accuracy) / (k - 1)``,
    abstain with ``1 - cov_j``; ``strength`` is the total pseudo-count per row.
    """
    k, m, n = V.k, V.n_sources, max(V.n_items, 1)
    cov = V.source_votes().sum(axis=1) / n
    if not abstain:
        cov = np.ones(m)
    cov = np.clip(cov, 1e-3, 1.0)
    eye = np.eye(k)
    vote_mean = eye * accuracy + (1 - eye) * (1 - accuracy) / max(k - 1, 1)  # (true, vote)
    mean = np.empty((m, k, k + 1))
    mean[:, :, :k] = cov[:, None, None] * vote_mean[None, :, :]
    mean[:, :, k] = (1 - cov)[:, None]
    return strength * mean + 1e-6


def _log_joint(V: VoteMatrix, theta: np.ndarray, prior: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``log P(votes of item i, y = c)`` for every item and class: ``(n_items, k)``."""
    k, m = V.k, V.n_sources
    votes = theta[:, :, :k]
    log_theta = np.log(theta)
    W = np.where(
        (w > 0)[:, None, None],
        log_theta[:, :, :k] - w[:, None, None] * log_theta[:, :, k:],
        np.log(votes / votes.sum(axis=2, keepdims=True)),
    )
    base = (w[:, None] * log_theta[:, :, k]).sum(axis=0)
    Wm = W.transpose(0, 2, 1).reshape(m * k, k)
    joint: np.ndarray = np.asarray(V.X @ Wm)
    joint += (base + np.log(prior))[None, :]
    return joint


def _penalty(
    theta: np.ndarray, prior: np.ndarray, alpha: np.ndarray, w: np.ndarray, prior_alpha: float
) -> float:
    """The pseudo-count terms EM's M-step maximises along with the likelihood.

    The M-step takes posterior means, ``(counts + alpha) / total``: the maximiser of
    ``sum (counts + alpha) log theta`` (a Dirichlet(alpha + 1) prior's mode).
    """
    k = prior.shape[0]
    cond = theta[:, :, :k] / theta[:, :, :k].sum(axis=2, keepdims=True)
    pen_full = (alpha * np.log(theta)).sum(axis=(1, 2))
    pen_cond = (alpha[:, :, :k] * np.log(cond)).sum(axis=(1, 2))
    penalty = float(np.where(w > 0, pen_full, pen_cond).sum())
    return penalty + prior_alpha * float(np.log(prior).sum())


def run_em(
    V: VoteMatrix,
    P0: np.ndarray,
    *,
    alpha: np.ndarray,
    class_prior: np.ndarray | None,
    prior_alpha: float,
    abstain_weight: Any,
    max_iter: int,
    tol: float,
    clamp: np.ndarray | None = None,
) -> EMResult:
    """Fit confusion matrices (and the class balance unless fixed) by accelerated EM.

    EM steps are extrapolated with SQUAREM (Varadhan and Roland, Scand. J. Statist.
    35, 2008): two EM steps give a direction, a step along it is taken when it keeps
    the parameters valid and does not lower the objective, else the plain EM step is
    kept. Same fixed points as EM, usually several times fewer steps when many sparse
    sources converge slowly.

    Parameters
    ----------
    V : VoteMatrix
    P0 : (n_items, k) float array
        Initial posterior (e.g. from majority vote).
    alpha : (m, k, k + 1) float array
        Dirichlet pseudo-counts added to the expected counts (MAP estimate).
    class_prior : (k,) float array or None
        Fixed class balance; ``None`` estimates it (with ``prior_alpha`` pseudo-counts).
    prior_alpha : float
    abstain_weight : float or (m,) float array
        1 models abstains as an outcome, 0 ignores them.
    max_iter : int
        Maximum number of EM steps (extrapolations count as one).
    tol : float
        Stop when an EM step moves no parameter by more than ``tol`` or raises the
        objective by less than ``tol`` times its absolute value / 100.
    clamp : (n_items,) int array or None
        Known classes (-1 = unknown): those items keep a one-hot posterior.

    Returns
    -------
    EMResult
    """
    k, m = V.k, V.n_sources
    w = np.broadcast_to(np.asarray(abstain_weight, dtype=np.float64), (m,))
    known = clamp >= 0 if clamp is not None else None
    eye = np.eye(k)

    def step(theta: np.ndarray, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        P = _log_joint(V, theta, prior, w)
        top = P.max(axis=1, keepdims=True)
        P -= top
        np.exp(P, out=P)
        total = P.sum(axis=1, keepdims=True)
        loglik = top[:, 0] + np.log(total[:, 0])
        P /= total
        if clamp is not None and known is not None:
            # a clamped item contributes log P(votes, y = gold) = loglik + log P(gold | votes)
            loglik[known] += np.log(np.maximum(P[known, clamp[known]], 1e-300))
            P[known] = eye[clamp[known]]
        objective = float(loglik.sum()) + _penalty(theta, prior, alpha, w, prior_alpha)
        new_theta = _m_step(V, P, alpha, w)
        new_prior = class_prior if class_prior is not None else class_balance(P, prior_alpha)
        return new_theta, new_prior, objective

    theta = _m_step(V, P0, alpha, w)
    prior = class_prior if class_prior is not None else class_balance(P0, prior_alpha)
    n_iter = 0
    last = -np.inf
    while n_iter < max_iter:
        t1, p1, obj0 = step(theta, prior)
        n_iter += 1
        moved = max(np.abs(t1 - theta).max(initial=0.0), np.abs(p1 - prior).max())
        flat = abs(obj0 - last) < 1e-2 * tol * abs(obj0)
        last = obj0
        if moved < tol or flat:
            theta, prior = t1, p1
            break
        if n_iter >= max_iter:
            theta, prior = t1, p1
            break
        t2, p2, _ = step(t1, p1)
        n_iter += 1
        r_t, r_p = t1 - theta, p1 - prior
        v_t, v_p = t2 - 2.0 * t1 + theta, p2 - 2.0 * p1 + prior
        norm_r = np.sqrt(float((r_t**2).sum() + (r_p**2).sum()))
        norm_v = np.sqrt(float((v_t**2).sum() + (v_p**2).sum()))
        theta, prior = t2, p2
        if norm_v == 0.0 or n_iter >= max_iter:
            continue
        a = min(-norm_r / norm_v, -1.0)
        ts = (t1 - r_t) - 2.0 * a * r_t + a * a * v_t
        ps = (p1 - r_p) - 2.0 * a * r_p + a * a * v_p
        if np.all(ts > 0) and np.all(ps > 0):
            t3, p3, obj_s = step(ts / ts.sum(axis=2, keepdims=True), ps / ps.sum())
            n_iter += 1
            if obj_s > obj0 + 1e-12 * abs(obj0):
                theta, prior = t3, p3
                last = obj_s
    return EMResult(theta, prior, n_iter)
