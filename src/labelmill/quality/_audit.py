"""Accuracy of each label status, estimated from the blind audit sample."""

from __future__ import annotations

from typing import Any

import numpy as np

from labelmill.exceptions import InputError
from labelmill.quality._binomial import AccuracyEstimate, as_correct, estimate_accuracy

__all__ = ["estimate_accuracy_by_group", "estimate_accuracy_by_status"]


def estimate_accuracy_by_group(
    correct: Any, groups: Any, *, confidence: float = 0.95
) -> dict[str, AccuracyEstimate]:
    """Accuracy with exact intervals for every group of audited items, and overall.

    Parameters
    ----------
    correct : (n_audit,) bool array
        Was the label of each audited item right?
    groups : (n_audit,) array of str
        The group of each audited item (e.g. the status its label would get).
    confidence : float, default=0.95
        Two-sided Clopper-Pearson level.

    Returns
    -------
    dict of str to AccuracyEstimate
        One entry per group (sorted by name) plus ``"all"``.

    Raises
    ------
    InputError
        ``correct`` and ``groups`` differ in length, or a group is named ``"all"``.

    Examples
    --------
    >>> est = estimate_accuracy_by_group([1, 1, 0, 1], ["a", "a", "b", "b"])
    >>> est["a"].accuracy, est["b"].accuracy, est["all"].accuracy
    (1.0, 0.5, 0.75)
    """
    ok = as_correct(correct, owner="estimate_accuracy_by_group")
    g = np.asarray(groups).astype(str)
    if g.shape != ok.shape:
        raise InputError(
            f"estimate_accuracy_by_group expects one group per audited item, shape {ok.shape}. "
            f"Got groups of shape {g.shape} instead."
        )
    out: dict[str, AccuracyEstimate] = {}
    for name in sorted(set(g.tolist())):
        if name == "all":
            raise InputError(
                "estimate_accuracy_by_group reserves the group name 'all' for the total. "
                "Got a group named 'all'; rename it."
            )
        out[name] = estimate_accuracy(ok[g == name], confidence=confidence)
    out["all"] = estimate_accuracy(ok, confidence=confidence)
    return out


def estimate_accuracy_by_status(
    confidence_scores: Any,
    correct: Any,
    threshold: float | None,
    *,
    confidence: float = 0.95,
) -> dict[str, AccuracyEstimate]:
    """Accuracy of the model's labels that would be ``auto`` vs sent to ``review``.

    Parameters
    ----------
    confidence_scores : (n_audit,) float array
        Confidence of the audited items.
    correct : (n_audit,) bool array
        Whether the model's label was right on each audited item.
    threshold : float or None
        The auto-accept threshold (None: nothing is auto-accepted).
    confidence : float, default=0.95

    Returns
    -------
    dict
        ``{"auto": ..., "review": ..., "all": ...}`` AccuracyEstimates. ``review``
        is the accuracy of the model's suggestion on items sent to people.

    Examples
    --------
    >>> est = estimate_accuracy_by_status([0.99, 0.97, 0.6, 0.5], [1, 1, 1, 0], 0.9)
    >>> est["auto"].n, est["review"].accuracy
    (2, 0.5)
    """
    scores = np.asarray(confidence_scores, dtype=np.float64)
    ok = as_correct(correct, owner="estimate_accuracy_by_status")
    if scores.shape != ok.shape:
        raise InputError(
            f"estimate_accuracy_by_status expects one score per audited item, shape {ok.shape}. "
            f"Got scores of shape {scores.shape} instead."
        )
    auto = np.zeros(ok.shape, bool) if threshold is None else scores >= threshold
    return {
        "auto": estimate_accuracy(ok[auto], confidence=confidence),
        "review": estimate_accuracy(ok[~auto], confidence=confidence),
        "all": estimate_accuracy(ok, confidence=confidence),
    }
