"""Estimate the label-noise matrix from out-of-sample probabilities.

Model (class-conditional noise): an item of true class ``j`` is given label ``i`` with
probability ``T[j, i]``, whatever its features. A model trained on the given labels then
estimates ``P(given = i | x) = sum_j P(true = j | x) T[j, i]``.

Anchors
-------
Items a model is surest of for class ``j`` are almost all truly of class ``j``
("anchor points", Liu and Tao 2016; Patrini et al. 2017, "Making deep neural networks
robust to label noise: a loss correction approach"), so the labels they were given
estimate row ``j`` of ``T``. The anchors of class ``j`` are the items with the highest
probability of ``j`` among those whose most probable class is ``j``.

How many? Few anchors are pure but give a noisy estimate; many give a precise estimate
but start to include items that are truly ambiguous, which look like label noise. The
number is chosen per class by Lepski's method (Lepski, 1990; the adaptive choice of a
window in nonparametric estimation): try growing shares of the class
(``anchor_fractions``, at least ``min_anchors`` items) and keep the largest whose noise
rate stays within two standard errors of the rate of every smaller one. Where the model
is sure of most items (e.g. spam filters) the estimate uses many anchors; where classes
overlap it stops early.

Empirical Bayes
---------------
With few anchors the per-class rates are noisy, and the direction of the flips (which
wrong label an item of class ``j`` gets) is noisier still. Both are shrunk toward their
pooled value by the amount the data support:

- rates: a random-effects model of the per-class noise rates, the between-class variance
  estimated by the method of moments (DerSimonian and Laird, 1986), each class's rate a
  precision-weighted mean of its own and the pooled rate;
- directions: a Dirichlet-multinomial around uniform flips, its concentration estimated
  from the pooled chi-square dispersion of the off-diagonal anchor counts. Uniform noise
  gives no overdispersion, hence uniform directions; flips concentrated on a few classes
  keep their shape.

Temperature
-----------
Out-of-sample probabilities of a regularised model are often under- or overconfident.
They are first temperature-scaled (Guo et al., 2017) to the given labels, which is what
they predict; the scaling keeps each item's most probable class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar, nnls
from scipy.special import log_softmax

from labelmill.exceptions import ConfigError
from labelmill.quality._validation import check_labels_and_probs

__all__ = ["NoiseEstimate", "estimate_noise_matrix"]

_EPS = 1e-12
#: Shares of a class tried as its anchors, smallest first (see the module docstring).
ANCHOR_FRACTIONS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.5, 0.7)
#: At least this many anchors per class (when that many items are predicted in it).
MIN_ANCHORS = 50
_TEMPERATURE_SAMPLE = 100_000


@dataclass(frozen=True)
class NoiseEstimate:
    """The estimated label noise of a labeled data set.

    Attributes
    ----------
    noise_matrix : (k, k) float array
        ``T[j, i]``: probability that an item of true class ``j`` was given label ``i``.
        Rows sum to 1.
    true_class_counts : (k,) float array
        Estimated number of items of each true class (``N`` with ``N @ T`` closest to
        the counts of given labels, ``N >= 0``).
    n_label_errors : float
        Expected number of wrong labels, ``sum_j N[j] * (1 - T[j, j])``.
    anchor_counts : (k, k) int array
        Row ``j``: the given labels of the anchors of class ``j``.
    temperature : float
        Temperature applied to ``pred_probs`` before anything else (1 = unchanged).
    calibrated_probs : (n_items, k) float array
        ``pred_probs`` after temperature scaling.
    """

    noise_matrix: NDArray[np.float64]
    true_class_counts: NDArray[np.float64]
    n_label_errors: float
    anchor_counts: NDArray[np.int64]
    temperature: float
    calibrated_probs: NDArray[np.float64]

    @property
    def noise_rates(self) -> NDArray[np.float64]:
        """``1 - T[j, j]``: share of the items of each true class that carry a wrong label."""
        return np.asarray(1.0 - np.diag(self.noise_matrix))


def temperature_scale(
    labels: NDArray[np.int64], pred_probs: NDArray[np.float64]
) -> tuple[NDArray[np.float64], float]:
    """``softmax(log p / t)`` with ``t`` minimising the negative log-likelihood of ``labels``
    (fitted on a fixed random sample of 100,000 items when there are more: one parameter
    needs no more, and the fit stays fast at millions of items)."""
    logp = np.log(np.clip(pred_probs, _EPS, 1.0))
    fit_rows = np.arange(labels.shape[0])
    if fit_rows.size > _TEMPERATURE_SAMPLE:
        fit_rows = np.sort(
            np.random.default_rng(0).choice(fit_rows.size, _TEMPERATURE_SAMPLE, replace=False)
        )
    fit_logp, fit_labels = logp[fit_rows], labels[fit_rows]
    rows = np.arange(fit_rows.size)

    def nll(log_t: float) -> float:
        return float(-np.mean(log_softmax(fit_logp / math.exp(log_t), axis=1)[rows, fit_labels]))

    res = minimize_scalar(nll, bounds=(math.log(0.05), math.log(20.0)), method="bounded")
    t = float(math.exp(res.x))
    return np.asarray(np.exp(log_softmax(logp / t, axis=1))), t


def _anchor_counts(
    y: NDArray[np.int64],
    p: NDArray[np.float64],
    fractions: tuple[float, ...],
    min_anchors: int,
    z: float = 2.0,
) -> NDArray[np.int64]:
    n, k = p.shape
    given = np.bincount(y, minlength=k)
    top = p.argmax(axis=1)
    counts = np.zeros((k, k), dtype=np.int64)
    for j in range(k):
        candidates = np.flatnonzero(top == j)
        if given[j] == 0 or candidates.size == 0:
            continue
        order = candidates[np.argsort(-p[candidates, j], kind="stable")]
        accepted: list[tuple[float, float]] = []
        size = 0
        for fraction in fractions:
            m = min(candidates.size, max(min_anchors, math.ceil(fraction * given[j])))
            rate = float(np.mean(y[order[:m]] != j))
            se = math.sqrt(max(rate * (1.0 - rate), 1.0 / m) / m)
            if any(abs(rate - r0) > z * se0 for r0, se0 in accepted):
                break
            accepted.append((rate, se))
            size = m
            if m == candidates.size:
                break
        counts[j] = np.bincount(y[order[:size]], minlength=k)
    return counts


def _shrunk_rates(errors: NDArray[np.int64], sizes: NDArray[np.int64]) -> NDArray[np.float64]:
    """Per-class noise rates shrunk toward the pooled rate (DerSimonian-Laird moments)."""
    has = sizes > 0
    if not has.any():
        return np.zeros(sizes.shape[0])
    e, m = errors[has].astype(np.float64), sizes[has].astype(np.float64)
    pooled = e.sum() / m.sum()
    out = np.full(sizes.shape[0], pooled)
    if pooled <= 0.0 or pooled >= 1.0 or has.sum() < 2:
        out[has] = e / m if has.sum() == 1 else pooled
        return out
    rates = e / m
    q = float(np.sum(m * (rates - pooled) ** 2))
    spread = m.sum() - np.sum(m**2) / m.sum()
    within = pooled * (1.0 - pooled)
    tau2 = max(0.0, (q - (m.size - 1) * within) / spread) if spread > 0 else 0.0
    weight = tau2 / (tau2 + within / m)
    out[has] = weight * rates + (1.0 - weight) * pooled
    return out


def _shrunk_directions(off: NDArray[np.int64]) -> NDArray[np.float64]:
    """Rows: where the wrong labels of each true class go, shrunk toward uniform."""
    k = off.shape[0]
    uniform = 1.0 - np.eye(k)
    if k <= 2:
        return uniform
    errors = off.sum(axis=1).astype(np.float64)
    used = errors >= 2
    if not used.any():
        return uniform / (k - 1)
    expected = errors[used, None] / (k - 1)
    cells = off[used].astype(np.float64)
    chi2 = float(np.sum(np.where(uniform[used] > 0, (cells - expected) ** 2 / expected, 0.0)))
    dispersion = chi2 / (used.sum() * (k - 2))
    mean_errors = float(errors[used].mean())
    if dispersion <= 1.0:
        return uniform / (k - 1)
    concentration = max((mean_errors - dispersion) / (dispersion - 1.0), 1e-3)
    weights = (off + concentration / (k - 1)) * uniform
    return np.asarray(weights / weights.sum(axis=1, keepdims=True))


def noise_from_calibrated(
    y: NDArray[np.int64],
    p: NDArray[np.float64],
    *,
    anchor_fractions: tuple[float, ...] = ANCHOR_FRACTIONS,
    min_anchors: int = MIN_ANCHORS,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Noise matrix, true-class counts and anchor counts from checked, scaled inputs."""
    k = p.shape[1]
    anchors = _anchor_counts(y, p, anchor_fractions, min_anchors)
    sizes = anchors.sum(axis=1)
    rates = _shrunk_rates(sizes - np.diag(anchors), sizes)
    off = anchors.copy()
    np.fill_diagonal(off, 0)
    T = _shrunk_directions(off) * rates[:, None]
    np.fill_diagonal(T, 1.0 - rates)
    absent = np.bincount(y, minlength=k) == 0
    T[absent] = np.eye(k)[absent]
    counts = np.bincount(y, minlength=k).astype(np.float64)
    true_counts, _ = nnls(T.T, counts)
    return T, np.asarray(true_counts), anchors


def estimate_noise_matrix(
    labels: Any,
    pred_probs: Any,
    *,
    anchor_fractions: Any = ANCHOR_FRACTIONS,
    min_anchors: int = MIN_ANCHORS,
) -> NoiseEstimate:
    """Estimate how often each class was given each wrong label.

    See the module docstring for the method (anchors, empirical-Bayes shrinkage,
    temperature scaling).

    Parameters
    ----------
    labels : (n_items,) int array
        Given labels in ``0..k-1``.
    pred_probs : (n_items, k) float array
        Out-of-sample probabilities (see :func:`cross_val_pred_probs`), rows summing to 1.
    anchor_fractions : sequence of float, default=(0.1, 0.2, 0.3, 0.5, 0.7)
        Shares of the items labeled ``j`` tried as anchors of class ``j``, increasing.
    min_anchors : int, default=50
        At least this many anchors per class (when that many items are predicted ``j``).

    Returns
    -------
    NoiseEstimate

    Raises
    ------
    ConfigError
        ``anchor_fractions`` not increasing values in (0, 1], or ``min_anchors`` not a
        positive int.
    InputError
        Bad ``labels`` or ``pred_probs`` (see :func:`find_label_issues`).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.integers(0, 2, 2000)
    >>> given = np.where(rng.uniform(size=2000) < 0.1, 1 - truth, truth)
    >>> p_true = np.where(truth[:, None] == [0, 1], 0.97, 0.03)
    >>> P = p_true @ np.array([[0.9, 0.1], [0.1, 0.9]])  # what a model of `given` learns
    >>> est = estimate_noise_matrix(given, P)
    >>> [round(float(r), 1) for r in est.noise_rates], round(est.n_label_errors / 2000, 1)
    ([0.1, 0.1], 0.1)
    """
    try:
        fractions = tuple(float(f) for f in anchor_fractions)
    except (TypeError, ValueError):
        fractions = ()
    if (
        not fractions
        or any(not 0 < f <= 1 for f in fractions)
        or list(fractions) != sorted(set(fractions))
    ):
        raise ConfigError(
            "The 'anchor_fractions' parameter of estimate_noise_matrix must be increasing "
            f"floats in (0, 1]. Got {anchor_fractions!r} instead."
        )
    if not isinstance(min_anchors, int) or isinstance(min_anchors, bool) or min_anchors < 1:
        raise ConfigError(
            "The 'min_anchors' parameter of estimate_noise_matrix must be a positive int. "
            f"Got {min_anchors!r} instead."
        )
    y, p = check_labels_and_probs(labels, pred_probs, owner="estimate_noise_matrix")
    scaled, t = temperature_scale(y, p)
    T, true_counts, anchors = noise_from_calibrated(
        y, scaled, anchor_fractions=fractions, min_anchors=min_anchors
    )
    return NoiseEstimate(
        noise_matrix=T,
        true_class_counts=true_counts,
        n_label_errors=float(np.sum(true_counts * (1.0 - np.diag(T)))),
        anchor_counts=anchors,
        temperature=t,
        calibrated_probs=scaled,
    )
