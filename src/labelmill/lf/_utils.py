"""Small helpers Snorkel notebooks call between applying functions and training models.

``filter_unlabeled_dataframe`` (``snorkel.labeling``), ``probs_to_preds`` and
``preds_to_probs`` (``snorkel.utils``), ``get_label_buckets`` and ``get_label_instances``
(``snorkel.analysis``): plain functions over numpy arrays, with Snorkel's arguments and
results.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from labelmill.exceptions import ConfigError, InputError

__all__ = [
    "filter_unlabeled_dataframe",
    "get_label_buckets",
    "get_label_instances",
    "preds_to_probs",
    "probs_to_preds",
]

TIE_BREAK_POLICIES = ("random", "true-random", "abstain")


def filter_unlabeled_dataframe(X: pd.DataFrame, y: Any, L: Any) -> tuple[pd.DataFrame, Any]:
    """Keep the rows that at least one labeling function voted on.

    Parameters
    ----------
    X : pandas.DataFrame
        The items, one row per row of ``L``.
    y : (n_items, ...) array
        Anything indexed by item, typically the label model's probabilities.
    L : (n_items, n_lfs) int array, -1 = abstain

    Returns
    -------
    X_covered : pandas.DataFrame
    y_covered : array

    Raises
    ------
    InputError
        ``X``, ``y`` and ``L`` do not have the same number of rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> L = np.array([[-1, -1], [0, -1], [-1, 1]])
    >>> X, p = filter_unlabeled_dataframe(pd.DataFrame({"t": list("abc")}), np.eye(3), L)
    >>> X["t"].tolist(), p.shape
    (['b', 'c'], (2, 3))
    """
    votes = np.asarray(L)
    if votes.ndim != 2 or len(X) != votes.shape[0] or len(y) != votes.shape[0]:
        raise InputError(
            "filter_unlabeled_dataframe needs X, y and L with one row per item. Got "
            f"{len(X)} rows in X, {len(y)} in y and L of shape {votes.shape}."
        )
    mask = (votes != -1).any(axis=1)
    return X.iloc[mask], y[mask]


def probs_to_preds(probs: Any, tie_break_policy: str = "random", tol: float = 1e-5) -> np.ndarray:
    """The most probable class of each row, ties broken as Snorkel breaks them.

    Parameters
    ----------
    probs : (n_items, k) float array, k >= 2
    tie_break_policy : {"random", "true-random", "abstain"}, default="random"
        Classes within ``tol`` of the row's top probability are tied. ``"random"``
        picks one by a deterministic hash of the row number (Snorkel's: the same
        choices as ``snorkel.utils.probs_to_preds``), ``"true-random"`` picks one at
        random (fresh entropy, not reproducible), ``"abstain"`` returns -1.
    tol : float, default=1e-5

    Returns
    -------
    (n_items,) int array

    Raises
    ------
    ConfigError
        Unknown ``tie_break_policy``.
    InputError
        ``probs`` is not an ``(n_items, k >= 2)`` array.

    Examples
    --------
    >>> import numpy as np
    >>> probs_to_preds(np.array([[0.5, 0.5], [0.2, 0.8]]), tie_break_policy="abstain").tolist()
    [-1, 1]
    """
    if tie_break_policy not in TIE_BREAK_POLICIES:
        raise ConfigError(
            f"The 'tie_break_policy' argument of probs_to_preds must be one of "
            f"{', '.join(TIE_BREAK_POLICIES)}. Got {tie_break_policy!r} instead."
        )
    P = np.asarray(probs, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] < 2:
        raise InputError(
            "probs_to_preds needs probabilities of shape (n_items, n_classes) with "
            f"n_classes >= 2. Got shape {P.shape} instead."
        )
    tied = np.abs(P - P.max(axis=1, keepdims=True)) < tol
    preds = np.argmax(tied, axis=1).astype(np.int64)
    rng = np.random.default_rng() if tie_break_policy == "true-random" else None
    for i in np.flatnonzero(tied.sum(axis=1) > 1):
        options = np.flatnonzero(tied[i])
        if tie_break_policy == "abstain":
            preds[i] = -1
        elif rng is not None:
            preds[i] = rng.choice(options)
        else:
            digest = int(hashlib.sha1(str(int(i)).encode("utf-8")).hexdigest(), 16)
            preds[i] = options[digest % len(options)]
    return preds


def preds_to_probs(preds: Any, num_classes: int) -> np.ndarray:
    """One-hot rows ``(n_items, num_classes)`` from class predictions.

    Raises
    ------
    InputError
        A prediction is -1 (abstain) or outside ``0..num_classes-1``.

    Examples
    --------
    >>> preds_to_probs([1, 0], 2).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    p = np.asarray(preds).reshape(-1).astype(np.int64)
    if p.size and (p.min() < 0 or p.max() >= num_classes):
        raise InputError(
            f"preds_to_probs needs predictions in 0..{num_classes - 1}. Got values from "
            f"{int(p.min())} to {int(p.max())}; an abstain (-1) has no probability row."
        )
    return np.eye(num_classes)[p]


def get_label_buckets(*y: Any) -> dict[tuple[int, ...], np.ndarray]:
    """Item positions grouped by their combination of labels across the arrays ``y``.

    ``get_label_buckets(gold, pred)[(1, 0)]`` are the items of class 1 predicted 0.

    Raises
    ------
    InputError
        No arrays, or arrays of different lengths.

    Examples
    --------
    >>> import numpy as np
    >>> b = get_label_buckets(np.array([1, 1, 0]), np.array([1, -1, -1]))
    >>> {k: v.tolist() for k, v in b.items()}
    {(0, -1): [2], (1, -1): [1], (1, 1): [0]}
    """
    if not y:
        raise InputError("get_label_buckets needs at least one label array.")
    arrays = [np.asarray(a).reshape(-1) for a in y]
    if len({a.size for a in arrays}) != 1:
        raise InputError(
            "get_label_buckets needs label arrays of one length. Got lengths "
            f"{[a.size for a in arrays]}."
        )
    stacked = np.column_stack(arrays)
    keys, inverse = np.unique(stacked, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return {tuple(int(v) for v in key): np.flatnonzero(inverse == b) for b, key in enumerate(keys)}


def get_label_instances(bucket: tuple[int, ...], x: Any, *y: Any) -> Any:
    """The items of ``x`` in one bucket of :func:`get_label_buckets` (``y``)."""
    positions = get_label_buckets(*y).get(tuple(bucket), np.array([], dtype=np.int64))
    return (
        x.iloc[positions] if isinstance(x, pd.DataFrame | pd.Series) else np.asarray(x)[positions]
    )
