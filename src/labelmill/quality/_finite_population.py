"""Exact tests of the number of wrong labels in a finite set, from a random audit sample.

The audit draws items without replacement. Inside one *stratum* (items that were all
drawn at the same rate, see :mod:`labelmill.quality._audit_design`) the audited items are
a simple random sample of the stratum, so the number of wrong labels the audit finds among
``n`` audited items of a set of ``M`` items holding ``K`` wrong labels follows the
hypergeometric law ``Hypergeom(M, K, n)``. That law is exact for the finite set: no
binomial or normal approximation, and no "infinite population" assumption (with a
sizeable sampling fraction it is tighter than Clopper-Pearson, which is its limit).

Two strata (a region audited at a higher rate, and the rest) are combined through the
Horvitz-Thompson estimate of the number of wrong labels, ``S = w1 X1 + w2 X2`` with
``w = M / n``; the p-value of ``K1 + K2 >= K`` is the largest tail probability over every
split of the ``K`` wrong labels between the strata (the split is a nuisance parameter;
the largest tail over it is a valid p-value for the composite null, and the tail of each
split falls as either ``K1`` or ``K2`` grows, so the boundary ``K1 + K2 = K`` suffices).
A stratum with no audited item carries no evidence: its items are all counted as wrong.

References
----------
Horvitz, D. G. and Thompson, D. J. (1952). A generalization of sampling without
replacement from a finite universe. JASA 47(260).
Lehmann, E. L. and Romano, J. P. (2005). Testing Statistical Hypotheses, 3rd ed.,
section 3.4 (p-values of composite nulls as the supremum over the null).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from labelmill.exceptions import InputError

__all__ = ["StratumCounts", "errors_pvalue", "errors_upper_bound"]

_EPS = 1e-9


@dataclass(frozen=True)
class StratumCounts:
    """What the audit knows about one stratum of a set.

    Attributes
    ----------
    size : int
        Items of the stratum in the set (audited or not), ``M``.
    n_audited : int
        Of those, audited by the stratum's random sample, ``n``.
    n_wrong : int
        Of the audited ones, how many had a wrong label, ``x``.
    """

    size: int
    n_audited: int
    n_wrong: int


def _log_comb(a: Any, b: Any) -> NDArray[np.float64]:
    """log of the binomial coefficient C(a, b), elementwise."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.asarray(gammaln(a + 1.0) - gammaln(b + 1.0) - gammaln(a - b + 1.0))


def _logpmf(x: NDArray[np.float64], size: int, wrong: Any, n: int) -> NDArray[np.float64]:
    """log P(X = x) for X ~ Hypergeom(size, wrong, n); -inf outside the support."""
    ok = (x >= np.maximum(0.0, n - (size - wrong))) & (x <= np.minimum(n, wrong))
    xs = np.where(ok, x, 0.0)
    ws = np.broadcast_to(wrong, np.broadcast(x, wrong).shape)
    out = (
        _log_comb(ws, np.minimum(xs, ws))
        + _log_comb(size - ws, np.clip(n - xs, 0.0, size - ws))
        - _log_comb(size, n)
    )
    return np.where(ok, out, -np.inf)


def _single_pvalue(x_obs: int, size: int, wrong: int, n: int) -> float:
    """P(X <= x_obs) for X ~ Hypergeom(size, wrong, n)."""
    if wrong > size:
        return 0.0
    xs = np.arange(0, min(x_obs, n) + 1, dtype=np.float64)
    return float(min(1.0, np.exp(_logpmf(xs, size, np.float64(wrong), n)).sum()))


def errors_pvalue(strata: tuple[StratumCounts, ...] | list[StratumCounts], n_wrong: int) -> float:
    """p-value of "the set holds at least ``n_wrong`` wrong labels".

    Small values are evidence that the set holds *fewer* wrong labels. Exact for one
    stratum (hypergeometric tail); for two strata, the largest tail probability of the
    Horvitz-Thompson estimate over every split of ``n_wrong`` between them.

    Parameters
    ----------
    strata : sequence of one or two StratumCounts
        The set, split by audit rate.
    n_wrong : int
        The null value ``K`` (wrong labels in the whole set, audited ones included).

    Returns
    -------
    float

    Raises
    ------
    InputError
        More than two strata hold audited items.

    Examples
    --------
    >>> one = [StratumCounts(size=1000, n_audited=59, n_wrong=0)]
    >>> round(errors_pvalue(one, 51), 4)  # 51 wrong of 1000: 59 right in a row is rare
    0.0414
    >>> errors_pvalue(one, 1001)  # more wrong labels than items: impossible
    0.0
    """
    strata = [s for s in strata if s.size > 0]
    if n_wrong <= 0:
        return 1.0
    total = sum(s.size for s in strata)
    if n_wrong > total:
        return 0.0
    blind = [s for s in strata if s.n_audited == 0]
    seen = [s for s in strata if s.n_audited > 0]
    # a stratum with no audited item gives no evidence: the worst case puts errors there
    k = n_wrong - sum(s.size for s in blind)
    if k <= 0:
        return 1.0
    if len(seen) == 1:
        s = seen[0]
        return _single_pvalue(s.n_wrong, s.size, k, s.n_audited)
    if len(seen) != 2:
        raise InputError(
            "errors_pvalue combines at most two audited strata. Got "
            f"{len(seen)} strata with audited items instead; merge strata of equal weight."
        )
    return _two_strata_pvalue(seen[0], seen[1], k)


def _two_strata_pvalue(a: StratumCounts, b: StratumCounts, k: int) -> float:
    wa, wb = a.size / a.n_audited, b.size / b.n_audited
    s_obs = wa * a.n_wrong + wb * b.n_wrong
    ka = np.arange(max(0, k - b.size), min(k, a.size) + 1, dtype=np.float64)[:, None]
    kb = k - ka
    xa = np.arange(0, min(a.n_audited, int(np.floor(s_obs / wa + _EPS))) + 1, dtype=np.float64)
    xb_max = min(b.n_audited, int(np.floor(s_obs / wb + _EPS)))
    xb = np.arange(0, xb_max + 1, dtype=np.float64)
    pa = np.exp(_logpmf(xa[None, :], a.size, ka, a.n_audited))  # (splits, xa)
    cdf_b = np.cumsum(np.exp(_logpmf(xb[None, :], b.size, kb, b.n_audited)), axis=1)
    limit = np.floor((s_obs - wa * xa) / wb + _EPS).astype(np.int64)  # largest xb allowed
    usable = limit >= 0
    idx = np.clip(limit, 0, xb_max)
    tail = np.where(usable[None, :], cdf_b[:, idx], 0.0)
    return float(min(1.0, (pa * tail).sum(axis=1).max()))


def errors_upper_bound(
    strata: tuple[StratumCounts, ...] | list[StratumCounts], *, alpha: float
) -> int:
    """Largest number of wrong labels in the set that the audit does not reject at ``alpha``.

    ``P(true wrong labels > bound) <= alpha``: the one-sided confidence bound obtained by
    inverting :func:`errors_pvalue` (which falls as the null value grows).

    Examples
    --------
    >>> errors_upper_bound([StratumCounts(size=1000, n_audited=59, n_wrong=0)], alpha=0.05)
    48
    """
    hi = sum(s.size for s in strata)
    if errors_pvalue(strata, 1) <= alpha:
        return 0
    if errors_pvalue(strata, hi) > alpha:
        return hi
    lo = 1  # invariant: pvalue(lo) > alpha >= pvalue(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if errors_pvalue(strata, mid) > alpha:
            lo = mid
        else:
            hi = mid
    return lo
