"""Input checks shared by the query strategies, the bandit and the stopping rule.

Checks stay cheap on large pools: the (n_items, n_features) embedding matrix is never
copied or scanned as a whole here; strategies check the rows they actually read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labelmill.exceptions import InputError

__all__ = [
    "check_committee",
    "check_features",
    "check_proba",
    "check_rows_finite",
    "resolve_candidates",
]


def check_proba(proba: Any, *, name: str = "proba", owner: str = "query") -> np.ndarray:
    """Return ``proba`` as a float64 (n_items, n_classes) array whose rows sum to 1."""
    arr = np.asarray(proba)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise InputError(
            f"The '{name}' argument of {owner} must be a 2-D (n_items, n_classes) array with at "
            f"least 2 classes. Got an array of shape {arr.shape} instead; pass the output of "
            "predict_proba."
        )
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise InputError(
            f"The '{name}' argument of {owner} must hold real numbers. Got dtype {arr.dtype}."
        )
    arr = arr.astype(np.float64, copy=False)
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise InputError(
            f"The '{name}' argument of {owner} must be finite. Row {bad} holds NaN or inf; "
            "fix the model that produced it."
        )
    if (arr < 0).any():
        bad = int(np.flatnonzero((arr < 0).any(axis=1))[0])
        raise InputError(
            f"The '{name}' argument of {owner} must hold probabilities >= 0. Row {bad} has a "
            "negative entry."
        )
    sums = arr.sum(axis=1)
    off = np.abs(sums - 1.0) > 1e-3
    if off.any():
        bad = int(np.flatnonzero(off)[0])
        raise InputError(
            f"The rows of '{name}' in {owner} must sum to 1. Row {bad} sums to "
            f"{sums[bad]:.6g}; normalise the probabilities first."
        )
    return arr


def check_features(features: Any, n_items: int, *, required: bool, owner: str) -> np.ndarray | None:
    """Check the shape of ``features`` without copying it; None is allowed unless required."""
    if features is None:
        if required:
            raise InputError(
                f"{owner} needs 'features', the (n_items, n_features) embedding matrix. Got None; "
                "pass the item embeddings, or use an uncertainty strategy that needs none."
            )
        return None
    arr = np.asarray(features)
    if arr.ndim != 2 or arr.shape[0] != n_items:
        raise InputError(
            f"The 'features' argument of {owner} must be a 2-D array with one row per item "
            f"({n_items} rows, as in proba). Got shape {arr.shape} instead."
        )
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise InputError(
            f"The 'features' argument of {owner} must be a numeric array. Got dtype {arr.dtype}."
        )
    return arr


def check_rows_finite(x: np.ndarray, rows: np.ndarray, *, owner: str) -> None:
    """Raise when some gathered feature rows hold NaN or inf."""
    finite = np.isfinite(x).all(axis=1)
    if not finite.all():
        bad = int(rows[np.flatnonzero(~finite)[0]])
        raise InputError(
            f"The 'features' argument of {owner} must be finite. Item {bad} has NaN or inf in "
            "its embedding; recompute or drop it."
        )


def resolve_candidates(candidates: Any, n_items: int, *, owner: str) -> np.ndarray:
    """Return the candidate pool as sorted, unique int64 item positions.

    ``candidates`` is a boolean mask of length ``n_items`` (True = may be picked) or a
    sequence of item positions.
    """
    arr = np.asarray(candidates)
    if arr.dtype == bool:
        if arr.shape != (n_items,):
            raise InputError(
                f"A boolean 'candidates' mask for {owner} must have shape ({n_items},), one entry "
                f"per item. Got shape {arr.shape} instead."
            )
        return np.flatnonzero(arr).astype(np.int64, copy=False)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise InputError(
            f"The 'candidates' argument of {owner} must be a boolean mask or a 1-D array of item "
            f"positions. Got an array of dtype {arr.dtype} and shape {arr.shape} instead."
        )
    if arr.min() < 0 or arr.max() >= n_items:
        raise InputError(
            f"The 'candidates' positions for {owner} must lie in [0, {n_items}). Got values from "
            f"{arr.min()} to {arr.max()}."
        )
    out = np.unique(arr.astype(np.int64, copy=False))
    if out.size != arr.size:
        raise InputError(
            f"The 'candidates' positions for {owner} must be unique. Got {arr.size - out.size} "
            "repeated positions; deduplicate them first."
        )
    return out


def check_committee(
    committee: Any, n_items: int, n_classes: int, *, owner: str
) -> list[np.ndarray]:
    """Return the committee as a list of (n_items, n_classes) probability matrices."""
    if committee is None:
        return []
    if isinstance(committee, np.ndarray):
        if committee.ndim != 3:
            raise InputError(
                f"An array 'committee' for {owner} must be 3-D (n_members, n_items, n_classes). "
                f"Got shape {committee.shape} instead; or pass a list of probability matrices."
            )
        members = list(committee)
    else:
        members = list(committee)
    out = []
    for i, m in enumerate(members):
        arr = check_proba(m, name=f"committee[{i}]", owner=owner)
        if arr.shape != (n_items, n_classes):
            raise InputError(
                f"Every committee member for {owner} must have the shape of proba "
                f"({n_items}, {n_classes}). committee[{i}] has shape {arr.shape}."
            )
        out.append(arr)
    return out
