"""Calibration of shown confidences: reliability-diagram bins, ECE and MCE, with intervals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from labelmill.exceptions import InputError
from labelmill.quality._intervals import exact_interval
from labelmill.utils._validation import check_choice, check_positive, check_unit_interval

__all__ = ["CALIBRATION_COLUMNS", "CalibrationResult", "compute_calibration"]

#: Columns of :attr:`CalibrationResult.table`.
CALIBRATION_COLUMNS = [
    "bin_lower",
    "bin_upper",
    "n",
    "mean_confidence",
    "accuracy",
    "lower",
    "upper",
    "gap",
]


@dataclass(frozen=True)
class CalibrationResult:
    """Reliability diagram data and calibration errors.

    Attributes
    ----------
    table : DataFrame
        One row per non-empty bin, columns :data:`CALIBRATION_COLUMNS`: the bin's edges,
        its item count, mean confidence, accuracy with an exact interval, and
        ``gap = accuracy - mean_confidence`` (negative: overconfident).
    ece : float
        Expected calibration error: item-weighted mean of ``|gap|`` (Guo et al., 2017).
    mce : float
        Maximum calibration error: the largest ``|gap|`` over non-empty bins.
    n_items : int
    accuracy, mean_confidence : float
        Over all items.
    """

    table: pd.DataFrame
    ece: float
    mce: float
    n_items: int
    accuracy: float
    mean_confidence: float


def compute_calibration(
    correct: Any,
    confidence_scores: Any,
    *,
    n_bins: int = 15,
    strategy: str = "uniform",
    confidence: float = 0.95,
) -> CalibrationResult:
    """Bin items by confidence and compare each bin's accuracy with its mean confidence.

    Parameters
    ----------
    correct : (n_items,) bool array
        Was each item's label right (e.g. on the blind audit sample)?
    confidence_scores : (n_items,) float array in [0, 1]
        The confidence shown for that label. From probabilities and true classes:
        ``confidence_scores = proba.max(1)``, ``correct = proba.argmax(1) == y_true``.
    n_bins : int, default=15
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width bins of [0, 1], or bins holding equal numbers of items.
    confidence : float, default=0.95
        Level of the exact interval of each bin's accuracy.

    Returns
    -------
    CalibrationResult

    Raises
    ------
    ConfigError
        ``n_bins``, ``strategy`` or ``confidence`` out of range.
    InputError
        Lengths differ, no item, ``correct`` not boolean, or scores outside [0, 1].

    Examples
    --------
    >>> res = compute_calibration([1, 1, 0, 1], [0.9, 0.95, 0.6, 0.7], n_bins=2)
    >>> res.table[["bin_lower", "n", "accuracy"]].values.tolist()
    [[0.5, 4.0, 0.75]]
    >>> round(res.ece, 4)
    0.0375
    """
    owner = "compute_calibration"
    n_bins = check_positive(n_bins, "n_bins", owner, integer=True)
    check_choice(strategy, "strategy", owner, ("uniform", "quantile"))
    confidence = check_unit_interval(confidence, "confidence", owner)
    ok = np.asarray(correct)
    conf = np.asarray(confidence_scores, dtype=np.float64)
    if ok.ndim != 1 or ok.shape != conf.shape:
        raise InputError(
            f"{owner} expects correct and confidence_scores as 1-D arrays of the same length. "
            f"Got shapes {ok.shape} and {conf.shape} instead."
        )
    if ok.size == 0:
        raise InputError(
            f"{owner} expects at least one item. Got none; calibration needs items whose "
            "correctness is known (e.g. the audit sample)."
        )
    if ok.dtype != np.bool_:
        if ok.dtype.kind not in "iuf" or not np.all(np.isin(ok, (0, 1))):
            raise InputError(f"{owner} expects correct as booleans (or 0/1). Got other values.")
        ok = ok.astype(bool)
    if not np.all(np.isfinite(conf)) or conf.min() < 0 or conf.max() > 1:
        raise InputError(
            f"{owner} expects confidence_scores in [0, 1]. Got values from {np.nanmin(conf):.3g} "
            f"to {np.nanmax(conf):.3g}; pass probabilities, not logits."
        )
    edges: NDArray[np.float64]
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        inner = np.quantile(conf, np.linspace(0.0, 1.0, n_bins + 1))[1:-1]
        edges = np.unique(np.r_[0.0, inner, 1.0])
    which = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, edges.size - 2)
    counts = np.bincount(which, minlength=edges.size - 1)
    hits = np.bincount(which, weights=ok.astype(np.float64), minlength=edges.size - 1)
    sums = np.bincount(which, weights=conf, minlength=edges.size - 1)
    used = counts > 0
    acc = hits[used] / counts[used]
    mean_conf = sums[used] / counts[used]
    lo, hi = exact_interval(hits[used].astype(int), counts[used], confidence=confidence)
    gap = acc - mean_conf
    table = pd.DataFrame(
        {
            "bin_lower": edges[:-1][used],
            "bin_upper": edges[1:][used],
            "n": counts[used],
            "mean_confidence": mean_conf,
            "accuracy": acc,
            "lower": lo,
            "upper": hi,
            "gap": gap,
        }
    )
    weights = counts[used] / ok.size
    return CalibrationResult(
        table=table,
        ece=float(np.sum(weights * np.abs(gap))),
        mce=float(np.max(np.abs(gap))),
        n_items=int(ok.size),
        accuracy=float(ok.mean()),
        mean_confidence=float(conf.mean()),
    )
