"""Checks of the data the quality functions take: labels, probability matrices, tables.

Every check names the function that asked (``owner``), says what was expected, what came
instead and what to do, and raises :class:`~labelmill.exceptions.InputError`. Parameter
checks (a threshold, a method name) use :mod:`labelmill.utils._validation` instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import InputError

__all__ = ["ROW_SUM_ATOL", "check_labels", "check_pred_probs", "check_labels_and_probs"]

#: How far a row of ``pred_probs`` may sum from 1 (float32 models and rounding in stores).
ROW_SUM_ATOL = 1e-3


def check_pred_probs(pred_probs: Any, *, owner: str, name: str = "pred_probs") -> NDArray[Any]:
    """Return ``pred_probs`` as a float64 ``(n_items, k)`` array with rows summing to 1.

    Raises
    ------
    InputError
        Not 2-D, fewer than 2 columns, no rows, non-finite or negative values, or a row
        that does not sum to 1 (within :data:`ROW_SUM_ATOL`).

    Examples
    --------
    >>> check_pred_probs([[0.25, 0.75]], owner="demo").shape
    (1, 2)
    """
    try:
        p = np.asarray(pred_probs, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{owner} expects {name} as a numeric (n_items, n_classes) array. Got values that "
            "are not numbers; pass model.predict_proba(X) or a float array."
        ) from exc
    if p.ndim != 2:
        raise InputError(
            f"{owner} expects {name} of shape (n_items, n_classes), one row of class "
            f"probabilities per item. Got shape {p.shape} instead; pass a 2-D array such as "
            "model.predict_proba(X)."
        )
    if p.shape[1] < 2:
        raise InputError(
            f"{owner} expects {name} with at least 2 classes (columns). Got {p.shape[1]} "
            "column; with a single class no label can be wrong, so there is nothing to check."
        )
    if p.shape[0] == 0:
        raise InputError(
            f"{owner} expects at least one item. Got an empty {name} (0 rows); check that the "
            "data set or the selection of items is not empty."
        )
    if not np.all(np.isfinite(p)) or p.min() < 0:
        bad = int(np.sum(~np.isfinite(p).all(axis=1) | (np.nan_to_num(p).min(axis=1) < 0)))
        raise InputError(
            f"{owner} expects finite, non-negative {name}. Got {bad} row(s) with NaN, infinite "
            "or negative values instead; pass probabilities (apply a softmax to scores)."
        )
    sums = p.sum(axis=1)
    off = np.abs(sums - 1.0) > ROW_SUM_ATOL
    if off.any():
        first = int(np.flatnonzero(off)[0])
        raise InputError(
            f"{owner} expects each row of {name} to sum to 1 (within {ROW_SUM_ATOL:g}). Got "
            f"{int(off.sum())} row(s) that do not, e.g. row {first} sums to {sums[first]:.4g}. "
            "Pass probabilities, not scores or logits: apply a softmax, or divide each row by "
            "its sum."
        )
    return p


def check_labels(
    labels: Any, *, n_classes: int, owner: str, n_items: int | None = None, name: str = "labels"
) -> NDArray[np.int64]:
    """Return ``labels`` as an int64 array of classes in ``0..n_classes-1``.

    Raises
    ------
    InputError
        Not 1-D, wrong length, not integers, or outside ``0..n_classes-1``.

    Examples
    --------
    >>> check_labels([0, 2, 1], n_classes=3, owner="demo").tolist()
    [0, 2, 1]
    """
    y = np.asarray(labels)
    if y.ndim != 1:
        raise InputError(
            f"{owner} expects {name} as a 1-D array of class indices. Got shape {y.shape} "
            "instead; for one-hot or soft labels pass their argmax."
        )
    if n_items is not None and y.shape[0] != n_items:
        raise InputError(
            f"{owner} expects {name} of shape ({n_items},), one per row of pred_probs. "
            f"Got {y.shape[0]} labels instead; pass labels and pred_probs of the same items in "
            "the same order."
        )
    if y.size == 0:
        raise InputError(
            f"{owner} expects at least one item. Got empty {name}; check that the data set or "
            "the selection of items is not empty."
        )
    if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        y = y.astype(np.int64)
    if y.dtype.kind not in "iu":
        raise InputError(
            f"{owner} expects {name} as integer class indices 0..{n_classes - 1}. Got dtype "
            f"{y.dtype} instead; map class names to indices first (e.g. schema.encode)."
        )
    if y.min() < 0 or y.max() >= n_classes:
        raise InputError(
            f"{owner} expects {name} in 0..{n_classes - 1}. Got values from {int(y.min())} to "
            f"{int(y.max())} instead; drop unlabeled items (-1) and check n_classes."
        )
    return y.astype(np.int64)


def check_labels_and_probs(
    labels: Any, pred_probs: Any, *, owner: str
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Check ``labels`` against ``pred_probs``: same items, classes in range.

    Examples
    --------
    >>> y, p = check_labels_and_probs([1, 0], [[0.2, 0.8], [0.6, 0.4]], owner="demo")
    >>> y.tolist(), p.shape
    ([1, 0], (2, 2))
    """
    labels_arr = np.asarray(labels)
    probs_arr = np.asarray(pred_probs)
    if labels_arr.size == 0 and probs_arr.size == 0:
        raise InputError(
            f"{owner} expects at least one item. Got empty labels and pred_probs; check that "
            "the data set or the selection of items is not empty."
        )
    p = check_pred_probs(pred_probs, owner=owner)
    y = check_labels(labels, n_classes=p.shape[1], owner=owner, n_items=p.shape[0])
    return y, p
