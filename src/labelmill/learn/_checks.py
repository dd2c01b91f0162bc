"""Input checks shared by the learners (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import InputError

__all__ = [
    "as_features",
    "as_probabilities",
    "as_targets",
    "as_true_labels",
    "as_weights",
]

_ROW_SUM_TOL = 1e-4


def as_features(X: Any, *, owner: str) -> NDArray[np.floating[Any]]:
    """Return ``X`` as a finite 2-D float array (float32 kept, anything else float64)."""
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise InputError(
            f"{owner} expects X as a 2-D array (n_items, n_features). "
            f"Got an array of shape {arr.shape} instead; reshape it or featurize the items first."
        )
    if arr.shape[0] == 0:
        raise InputError(f"{owner} expects at least one item in X. Got 0 rows instead.")
    if arr.dtype != np.float32:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"{owner} expects numeric features in X. Got dtype {arr.dtype} instead."
            ) from exc
    if not np.all(np.isfinite(arr)):
        raise InputError(
            f"{owner} expects finite features in X. Got NaN or infinity in "
            f"{int(np.sum(~np.isfinite(arr).all(axis=1)))} rows; impute or drop them first."
        )
    return arr


def as_targets(Y: Any, n_items: int, n_classes: int | None, *, owner: str) -> NDArray[np.float64]:
    """Return targets as an ``(n_items, k)`` matrix of class probabilities.

    ``Y`` is either hard labels ``(n_items,)`` in ``0..k-1`` or soft labels
    ``(n_items, k)`` whose rows are probability vectors.
    """
    arr = np.asarray(Y)
    if arr.ndim not in (1, 2) or arr.shape[0] != n_items:
        raise InputError(
            f"{owner} expects Y as hard labels of shape ({n_items},) or soft labels of shape "
            f"({n_items}, n_classes). Got an array of shape {arr.shape} instead."
        )
    if arr.ndim == 1:
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise InputError(
                    f"{owner} expects hard labels as integers 0..k-1. Got dtype {arr.dtype} "
                    "instead; map class names to indices first."
                )
        if arr.min() < 0:
            raise InputError(
                f"{owner} expects hard labels in 0..k-1. Got {int(arr.min())} instead; drop "
                "unlabeled (-1) items or use label_spreading for them."
            )
        k = int(arr.max()) + 1 if n_classes is None else n_classes
        if arr.max() >= k:
            raise InputError(
                f"{owner} expects hard labels in 0..{k - 1} (n_classes={k}). "
                f"Got {int(arr.max())} instead."
            )
        out = np.zeros((n_items, k), dtype=np.float64)
        out[np.arange(n_items), arr] = 1.0
        return out
    arr = arr.astype(np.float64)
    k = arr.shape[1]
    if n_classes is not None and k != n_classes:
        raise InputError(
            f"{owner} expects soft labels with n_classes={n_classes} columns. "
            f"Got {k} columns instead."
        )
    if k < 1 or not np.all(np.isfinite(arr)) or arr.min() < 0:
        raise InputError(
            f"{owner} expects soft labels as non-negative finite probabilities. "
            "Got negative, NaN or infinite values instead."
        )
    sums = arr.sum(axis=1)
    bad = np.abs(sums - 1.0) > _ROW_SUM_TOL
    if np.any(bad):
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{owner} expects soft-label rows that sum to 1. Row {first} sums to "
            f"{sums[first]:.6g} ({int(bad.sum())} rows are off); normalize the posteriors."
        )
    return np.asarray(arr / sums[:, None], dtype=np.float64)


def as_weights(sample_weight: Any, n_items: int, *, owner: str) -> NDArray[np.float64]:
    """Return sample weights as a non-negative float vector (ones when ``None``)."""
    if sample_weight is None:
        return np.ones(n_items, dtype=np.float64)
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n_items,):
        raise InputError(
            f"{owner} expects sample_weight of shape ({n_items},). Got {w.shape} instead."
        )
    if not np.all(np.isfinite(w)) or w.min() < 0 or w.sum() <= 0:
        raise InputError(
            f"{owner} expects finite, non-negative sample_weight with a positive sum. "
            "Got negative, NaN or all-zero weights instead."
        )
    return w


def as_probabilities(
    proba: Any, *, owner: str, n_classes: int | None = None
) -> NDArray[np.float64]:
    """Return ``proba`` as an ``(n_items, k)`` float array of probability rows."""
    arr = np.asarray(proba, dtype=np.float64)
    if arr.ndim == 1:
        # binary top-class-free shortcut: a vector of P(class 1)
        arr = np.column_stack([1.0 - arr, arr])
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] < 2:
        raise InputError(
            f"{owner} expects probabilities of shape (n_items, n_classes) with n_classes >= 2. "
            f"Got an array of shape {arr.shape} instead."
        )
    if n_classes is not None and arr.shape[1] != n_classes:
        raise InputError(
            f"{owner} was fitted on {n_classes} classes. Got probabilities with "
            f"{arr.shape[1]} columns instead."
        )
    if not np.all(np.isfinite(arr)) or arr.min() < 0:
        raise InputError(
            f"{owner} expects non-negative finite probabilities. Got negative, NaN or "
            "infinite values instead."
        )
    sums = arr.sum(axis=1)
    if np.any(np.abs(sums - 1.0) > _ROW_SUM_TOL):
        raise InputError(
            f"{owner} expects probability rows that sum to 1. Got rows summing to values "
            f"between {sums.min():.6g} and {sums.max():.6g} instead."
        )
    return np.asarray(arr / sums[:, None], dtype=np.float64)


def as_true_labels(y: Any, n_items: int, n_classes: int, *, owner: str) -> NDArray[np.int64]:
    """Return true labels as an int vector in ``0..n_classes-1``."""
    arr = np.asarray(y)
    if arr.shape != (n_items,):
        raise InputError(
            f"{owner} expects y_true of shape ({n_items},), one label per row of the "
            f"probabilities. Got {arr.shape} instead."
        )
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise InputError(
                f"{owner} expects integer class labels in y_true. Got dtype {arr.dtype} instead."
            )
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise InputError(
            f"{owner} expects labels in 0..{n_classes - 1}. Got values from {int(arr.min())} "
            f"to {int(arr.max())} instead."
        )
    return arr.astype(np.int64)
