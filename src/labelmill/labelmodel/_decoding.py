"""Decoding for rule matrices: majority-consistent labels, weighted ties, uncovered items.

EM over labeling functions that vote a single class is weakly identified (its maximum
likelihood parameters on the WRENCH sets sit far from the truth even when started from
it), so :class:`~labelmill.labelmodel.LabelModel` keeps the label among the most-voted
classes, lets an accuracy-weighted vote decide ties, and gives items no rule fired on
the posterior ``P(y | no rule fired)``. These are the pure functions it uses.
"""

from __future__ import annotations

import numpy as np

from labelmill.labelmodel._base import break_ties
from labelmill.labelmodel._validation import VoteMatrix

__all__ = ["majority_consistent", "uncovered_posterior", "vote_weights", "weigh_ties"]


def majority_consistent(P: np.ndarray, shares: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Keep the EM posterior where its top class is among the top-voted classes.

    Elsewhere the label comes from the majority: the posterior becomes the average of the
    EM posterior and the EM posterior restricted to the top-voted classes (so confidence
    stays low where model and majority disagree), or that restriction alone if the
    average would still pick a class outside the majority.
    """
    top = shares > 0
    covered = top.any(axis=1)
    own = break_ties(P, prior)
    clash = covered & ~top[np.arange(len(P)), own]
    if not clash.any():
        return P
    Pc, Tc = P[clash], top[clash]
    R = np.where(Tc, Pc, 0.0)
    total = R.sum(axis=1, keepdims=True)
    R = np.where(total > 0, R / np.where(total > 0, total, 1.0), shares[clash])
    mix = 0.5 * (R + Pc)
    ok = Tc[np.arange(len(mix)), break_ties(mix, prior)]
    out = P.copy()
    out[clash] = np.where(ok[:, None], mix, R)
    return out


def vote_weights(accuracy: np.ndarray, k: int) -> np.ndarray:
    """Log-odds weight of a vote from a source with the given accuracy (NaN: chance)."""
    a = np.clip(np.nan_to_num(accuracy, nan=1.0 / k), 1e-3, 1.0 - 1e-3)
    result: np.ndarray = np.log(a * (k - 1) / (1.0 - a))
    return result


def weigh_ties(
    P: np.ndarray, shares: np.ndarray, V: VoteMatrix, weights: np.ndarray, prior: np.ndarray
) -> np.ndarray:
    """Items whose top vote count is shared: a vote weighted by source accuracy decides.

    Among the tied classes, ``P`` becomes the softmax of the summed log-odds weights of
    the sources voting each class plus the log class balance.
    """
    tied = (shares > 0).sum(axis=1) > 1
    if not tied.any():
        return P
    k = V.k
    S = np.asarray(V.X[tied] @ np.kron(weights[:, None], np.eye(k))) + np.log(prior)[None, :]
    S = np.where(shares[tied] > 0, S, -np.inf)
    S -= S.max(axis=1, keepdims=True)
    np.exp(S, out=S)
    out = P.copy()
    out[tied] = S / S.sum(axis=1, keepdims=True)
    return out


def uncovered_posterior(
    fires: np.ndarray,
    P: np.ndarray,
    n_uncovered: float,
    *,
    max_iter: int = 200,
) -> np.ndarray:
    """P(y | no source voted), when whether a source votes depends on the class.

    With sources that fire independently given the class, an item nobody voted on is
    more likely of a class the sources cover poorly: ``q[c] ~ pi[c] prod_j (1 - f[j, c])``
    with ``f[j, c] = P(source j fires | class c)``. ``pi`` (over all items) and ``f`` come
    from the covered items' posteriors ``P`` plus the uncovered items' own ``q``, solved
    as a fixed point (EM over the uncovered items with the firing counts held).

    Parameters
    ----------
    fires : (m, k) float array
        Expected number of covered items of each class on which each source fired.
    P : (n_covered, k) float array
        Posteriors of the covered items.
    n_uncovered : float
        Number of items no source voted on.

    Returns
    -------
    q : (k,) float array
    """
    k = P.shape[1]
    covered_counts = P.sum(axis=0)
    n = covered_counts.sum() + n_uncovered
    pi = (covered_counts + n_uncovered / k + 1.0) / (n + k)
    q = pi
    for _ in range(max_iter):
        f = np.clip(fires / (n * pi[None, :]), 0.0, 1.0 - 1e-6)
        log_q = np.log(pi) + np.log1p(-f).sum(axis=0)
        q = np.exp(log_q - log_q.max())
        q /= q.sum()
        new_pi = (covered_counts + n_uncovered * q + 1.0) / (n + k)
        if np.abs(new_pi - pi).max() < 1e-10:
            break
        pi = new_pi
    return q
