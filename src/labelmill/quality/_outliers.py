"""Outliers in the feature space: items far from every other item.

Score: the mean distance from an item to its ``n_neighbors`` nearest items of a
reference set (all items, or a seeded random sample of ``max_reference`` items on large
sets, so the cost is ``O(n_items * max_reference * d)``). An item is flagged when its
robust z-score of the log score, ``0.6745 * (log s - median) / MAD``, exceeds 3.5, the cut
Iglewicz and Hoaglin (1993) recommend for the modified z-score (logs because distances
are right-skewed). In few dimensions the tails of a smooth distribution are flagged too:
they are where the data are sparse.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from labelmill.exceptions import InputError
from labelmill.utils._validation import check_choice, check_positive, check_random_state

__all__ = ["find_outliers"]

_Z_CUT = 3.5


def _prepare(X: Any, metric: str) -> NDArray[np.float32]:
    try:
        F = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InputError(
            "find_outliers expects numeric features (n_items, n_features). Got values that "
            "are not numbers; pass embeddings or scaled numeric columns."
        ) from exc
    if F.ndim != 2:
        raise InputError(
            "find_outliers expects features of shape (n_items, n_features). Got shape "
            f"{F.shape} instead."
        )
    if not np.all(np.isfinite(F)):
        raise InputError(
            "find_outliers expects finite features. Got NaN or infinity; impute or drop "
            "those rows first."
        )
    if metric == "cosine":
        F = F / np.maximum(np.linalg.norm(F, axis=1, keepdims=True), 1e-12)
    return np.asarray(F, dtype=np.float32)


def find_outliers(
    X: Any,
    *,
    n_neighbors: int = 10,
    metric: str = "euclidean",
    max_reference: int = 5000,
    block_size: int = 2048,
    labels: Any = None,
    item_ids: Any = None,
    random_state: Any = 0,
) -> pd.DataFrame:
    """Score every item by how isolated it is in the feature space; flag the outliers.

    Parameters
    ----------
    X : (n_items, n_features) float array
        Embeddings or scaled features.
    n_neighbors : int, default=10
    metric : {"euclidean", "cosine"}, default="euclidean"
        ``"cosine"`` for sentence or image embeddings.
    max_reference : int, default=5000
        Neighbours are searched among at most this many items (a seeded random sample).
    block_size : int, default=2048
        Rows per block of the distance computation.
    labels : (n_items,) int array, optional
        Copied to a ``label`` column.
    item_ids : optional
    random_state : int, Generator or None, default=0
        Seeds the reference sample.

    Returns
    -------
    DataFrame
        One row per item: ``item_id, outlier_score, robust_z, is_outlier, reason`` (and
        ``label``), most isolated first.

    Raises
    ------
    ConfigError
        A parameter is out of range.
    InputError
        ``X`` not a finite 2-D numeric array with at least ``n_neighbors + 1`` rows, or
        ``labels``/``item_ids`` of the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(200, 16))
    >>> X[50] += 8.0
    >>> t = find_outliers(X, n_neighbors=5)
    >>> int(t.iloc[0]["item_id"]), bool(t.iloc[0]["is_outlier"]), int(t["is_outlier"].sum())
    (50, True, 1)
    """
    owner = "find_outliers"
    n_neighbors = check_positive(n_neighbors, "n_neighbors", owner, integer=True)
    max_reference = check_positive(max_reference, "max_reference", owner, integer=True)
    block_size = check_positive(block_size, "block_size", owner, integer=True)
    check_choice(metric, "metric", owner, ("euclidean", "cosine"))
    F = _prepare(X, metric)
    n = F.shape[0]
    if n < n_neighbors + 1:
        raise InputError(
            f"{owner} needs more items than n_neighbors={n_neighbors}. Got {n} items; lower "
            "n_neighbors or check more items at once."
        )
    ids = np.arange(n) if item_ids is None else np.asarray(item_ids)
    if ids.shape != (n,):
        raise InputError(f"{owner} expects item_ids of shape ({n},). Got {ids.shape} instead.")
    rng = check_random_state(random_state, owner=owner)
    if n > max_reference:
        ref_idx = np.sort(rng.choice(n, size=max_reference, replace=False))
    else:
        ref_idx = np.arange(n)
    R = F[ref_idx]
    r_sq = np.einsum("ij,ij->i", R, R)
    position_in_ref = np.full(n, -1)
    position_in_ref[ref_idx] = np.arange(ref_idx.size)
    kk = min(n_neighbors, ref_idx.size - 1)
    scores = np.empty(n, dtype=np.float64)
    for start in range(0, n, block_size):
        B = F[start : start + block_size]
        d2 = np.einsum("ij,ij->i", B, B)[:, None] + r_sq[None, :] - 2.0 * (B @ R.T)
        np.maximum(d2, 0.0, out=d2)
        rows = np.arange(B.shape[0])
        own = position_in_ref[start : start + B.shape[0]]
        is_ref = own >= 0
        d2[rows[is_ref], own[is_ref]] = np.inf  # an item is not its own neighbour
        nearest = np.partition(d2, kk - 1, axis=1)[:, :kk]
        scores[start : start + B.shape[0]] = np.sqrt(nearest).mean(axis=1)
    logs = np.log(np.maximum(scores, 1e-12))  # distances are right-skewed; logs are not
    median = float(np.median(logs))
    mad = float(np.median(np.abs(logs - median)))
    z = 0.6745 * (logs - median) / mad if mad > 0 else np.where(logs > median, np.inf, 0.0)
    flagged = z > _Z_CUT
    table = pd.DataFrame(
        {
            "item_id": ids,
            "outlier_score": scores,
            "robust_z": z,
            "is_outlier": flagged,
            "reason": np.where(
                flagged,
                [f"far from other items (robust z = {v:.1f} > {_Z_CUT})" for v in z],
                "",
            ),
        }
    )
    if labels is not None:
        y = np.asarray(labels)
        if y.shape != (n,):
            raise InputError(f"{owner} expects labels of shape ({n},). Got {y.shape} instead.")
        table["label"] = y
    order = np.argsort(-scores, kind="stable")
    return table.iloc[order].reset_index(drop=True)
