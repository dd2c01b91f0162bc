"""Exact (Clopper-Pearson) intervals, vectorised, for tables of many groups at once."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import beta

from labelmill.exceptions import InputError
from labelmill.utils._validation import check_unit_interval

__all__ = ["exact_interval"]


def exact_interval(
    n_success: Any, n: Any, *, confidence: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two-sided Clopper-Pearson interval of binomial proportions, element-wise.

    Covers the true proportion with probability at least ``confidence`` for every true
    proportion and sample size (Clopper and Pearson, 1934). ``n == 0`` gives ``[0, 1]``.

    Parameters
    ----------
    n_success, n : int arrays of the same shape
        Successes and trials, ``0 <= n_success <= n``.
    confidence : float, default=0.95

    Returns
    -------
    lower, upper : float arrays of that shape

    Raises
    ------
    ConfigError
        ``confidence`` not in (0, 1).
    InputError
        ``n_success`` outside ``[0, n]``.

    Examples
    --------
    >>> lo, hi = exact_interval([9, 0], [10, 0])
    >>> lo.round(3).tolist(), hi.round(3).tolist()
    ([0.555, 0.0], [0.997, 1.0])
    """
    confidence = check_unit_interval(confidence, "confidence", "exact_interval")
    x = np.asarray(n_success, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    if x.shape != m.shape or np.any(x < 0) or np.any(x > m):
        raise InputError(
            "exact_interval expects n_success and n of the same shape with "
            "0 <= n_success <= n. Got values outside that range instead."
        )
    a = (1.0 - confidence) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = beta.ppf(a, np.maximum(x, 1e-300), m - x + 1.0)
        hi = beta.ppf(1.0 - a, x + 1.0, np.maximum(m - x, 1e-300))
    lo = np.where(x > 0, lo, 0.0)
    hi = np.where(x < m, hi, 1.0)
    lo = np.where(m > 0, lo, 0.0)
    return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
