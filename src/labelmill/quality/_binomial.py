"""Exact binomial (Clopper-Pearson) bounds and audit sizes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import beta

from labelmill.exceptions import InputError
from labelmill.utils._validation import check_unit_interval

__all__ = [
    "AccuracyEstimate",
    "clopper_pearson_interval",
    "clopper_pearson_lower",
    "estimate_accuracy",
    "required_audit_size",
]


def clopper_pearson_lower(
    n_correct: Any, n: Any, *, confidence: float = 0.95
) -> NDArray[np.float64] | float:
    """One-sided exact lower confidence bound of a binomial proportion.

    ``P(true proportion >= bound) >= confidence`` for every true proportion
    (Clopper and Pearson, 1934). Vectorised over ``n_correct`` and ``n``;
    the bound is 0 when ``n_correct == 0`` (including ``n == 0``).

    Parameters
    ----------
    n_correct : int or int array
        Successes.
    n : int or int array
        Trials, ``n >= n_correct``.
    confidence : float, default=0.95
        One-sided confidence level in (0, 1).

    Returns
    -------
    float or float array

    Examples
    --------
    >>> round(clopper_pearson_lower(59, 59, confidence=0.95), 4)
    0.9505
    >>> round(clopper_pearson_lower(58, 58, confidence=0.95), 4)
    0.9497
    """
    confidence = check_unit_interval(confidence, "confidence", "clopper_pearson_lower")
    x = np.asarray(n_correct, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    if np.any(x < 0) or np.any(x > m):
        raise InputError(
            "clopper_pearson_lower expects 0 <= n_correct <= n. Got n_correct outside that "
            "range instead."
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = beta.ppf(1.0 - confidence, np.maximum(x, 1.0), m - x + 1.0)
    out = np.where(x > 0, lower, 0.0)
    return float(out) if out.ndim == 0 else np.asarray(out, dtype=np.float64)


def clopper_pearson_interval(
    n_correct: int, n: int, *, confidence: float = 0.95
) -> tuple[float, float]:
    """Two-sided exact (Clopper-Pearson) interval at level ``confidence``.

    Examples
    --------
    >>> lo, hi = clopper_pearson_interval(9, 10)
    >>> round(lo, 3), round(hi, 3)
    (0.555, 0.997)
    """
    confidence = check_unit_interval(confidence, "confidence", "clopper_pearson_interval")
    if n <= 0:
        return 0.0, 1.0
    a = (1.0 - confidence) / 2.0
    lo = 0.0 if n_correct == 0 else float(beta.ppf(a, n_correct, n - n_correct + 1))
    hi = 1.0 if n_correct == n else float(beta.ppf(1.0 - a, n_correct + 1, n - n_correct))
    return lo, hi


def required_audit_size(*, target_accuracy: float = 0.95, confidence: float = 0.95) -> int:
    """Smallest number of audited items that, all correct, certify ``target_accuracy``.

    With ``n`` items all right the one-sided Clopper-Pearson lower bound is
    ``(1 - confidence) ** (1 / n)``, so ``n = ceil(log(1 - confidence) / log(target))``.
    Fewer audit labels above a threshold can never certify it.

    Examples
    --------
    >>> required_audit_size(target_accuracy=0.95, confidence=0.95)
    59
    >>> required_audit_size(target_accuracy=0.99, confidence=0.95)
    299
    """
    target = check_unit_interval(target_accuracy, "target_accuracy", "required_audit_size")
    conf = check_unit_interval(confidence, "confidence", "required_audit_size")
    n = max(1, math.ceil(math.log(1.0 - conf) / math.log(target)))
    # guard against floating-point rounding at the boundary
    while n > 1 and (1.0 - conf) ** (1.0 / (n - 1)) >= target:
        n -= 1
    while (1.0 - conf) ** (1.0 / n) < target:
        n += 1
    return n


@dataclass(frozen=True)
class AccuracyEstimate:
    """Accuracy of a set of labels, estimated from audited items.

    Attributes
    ----------
    n : int
        Audited items in the set.
    n_correct : int
        Of those, how many had the right label.
    accuracy : float
        ``n_correct / n`` (NaN when ``n == 0``).
    lower, upper : float
        Two-sided Clopper-Pearson interval at level ``confidence``.
    confidence : float
    """

    n: int
    n_correct: int
    accuracy: float
    lower: float
    upper: float
    confidence: float


def estimate_accuracy(correct: Any, *, confidence: float = 0.95) -> AccuracyEstimate:
    """Accuracy with an exact two-sided interval from audit outcomes.

    Parameters
    ----------
    correct : (n,) bool array
        One entry per audited item: was the label right?
    confidence : float, default=0.95

    Returns
    -------
    AccuracyEstimate

    Examples
    --------
    >>> est = estimate_accuracy([True] * 9 + [False])
    >>> est.accuracy, round(est.lower, 3)
    (0.9, 0.555)
    """
    c = as_correct(correct, owner="estimate_accuracy")
    n = int(c.size)
    k = int(c.sum())
    lo, hi = clopper_pearson_interval(k, n, confidence=confidence)
    return AccuracyEstimate(
        n=n,
        n_correct=k,
        accuracy=k / n if n else float("nan"),
        lower=lo,
        upper=hi,
        confidence=float(confidence),
    )


def as_correct(correct: Any, *, owner: str, n: int | None = None) -> NDArray[np.bool_]:
    """Return audit outcomes as a 1-D bool array (0/1 ints accepted)."""
    arr = np.asarray(correct)
    if arr.ndim != 1 or (n is not None and arr.shape[0] != n):
        expected = "(n,)" if n is None else f"({n},)"
        raise InputError(
            f"{owner} expects 'correct' as a 1-D bool array of shape {expected}. "
            f"Got shape {arr.shape} instead."
        )
    if arr.dtype != np.bool_:
        if arr.size and (arr.dtype.kind not in "iuf" or not np.all(np.isin(arr, (0, 1)))):
            raise InputError(
                f"{owner} expects 'correct' as booleans (or 0/1). Got values other than "
                "0 and 1 instead."
            )
        arr = arr.astype(bool)
    return arr
