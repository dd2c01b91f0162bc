"""Find exact and near-duplicate items."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import ConfigError, InputError

__all__ = ["find_duplicates"]


def find_duplicates(
    data: Any, *, threshold: float = 0.98, block_size: int = 2048
) -> list[list[int]]:
    """Groups of positions of duplicate items.

    Parameters
    ----------
    data : (n_items,) array of hashes, or (n_items, n_features) float array
        1-D: content hashes (or any hashable values); items with equal values are
        exact duplicates. 2-D: embeddings; items whose cosine similarity is
        ``>= threshold`` are near duplicates, and groups are the connected
        components of that relation (so a chain a~b~c is one group).
    threshold : float, default=0.98
        Cosine similarity in (-1, 1] for 2-D input; ignored for hashes.
    block_size : int, default=2048
        Rows per block of the similarity computation; memory is
        ``O(block_size * n_items)``. Only the upper triangle is computed
        (``n_items^2 * n_features / 2`` multiply-adds, float32).

    Returns
    -------
    list of list of int
        Each group sorted, with at least two positions; groups ordered by their
        first position.

    Raises
    ------
    ConfigError
        ``threshold`` or ``block_size`` out of range.
    InputError
        ``data`` is neither 1-D nor 2-D, or has NaN rows.

    Examples
    --------
    >>> find_duplicates(["a1", "b2", "a1", "c3", "b2"])
    [[0, 2], [1, 4]]
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.001], [0.7, 0.7]])
    >>> find_duplicates(X, threshold=0.99)
    [[0, 2]]
    """
    if not isinstance(threshold, int | float) or isinstance(threshold, bool) or not (
        -1.0 < threshold <= 1.0
    ):
        raise ConfigError(
            "The 'threshold' parameter of find_duplicates must be a float in (-1, 1]. "
            f"Got {threshold!r} instead."
        )
    if not isinstance(block_size, int) or isinstance(block_size, bool) or block_size < 1:
        raise ConfigError(
            "The 'block_size' parameter of find_duplicates must be a positive int. "
            f"Got {block_size!r} instead."
        )
    arr = np.asarray(data)
    if arr.ndim == 1:
        return _exact_groups(arr)
    if arr.ndim != 2:
        raise InputError(
            "find_duplicates expects content hashes (n_items,) or features "
            f"(n_items, n_features). Got an array of shape {arr.shape} instead."
        )
    return _near_groups(arr, threshold, block_size)


def _exact_groups(values: NDArray[Any]) -> list[list[int]]:
    if values.size == 0:
        return []
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(counts)[:-1]
    groups = [g.tolist() for g in np.split(order, bounds) if g.size > 1]
    return sorted(groups, key=lambda g: g[0])


def _near_groups(X: NDArray[Any], threshold: float, block_size: int) -> list[list[int]]:
    try:
        F = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InputError("find_duplicates expects numeric features.") from exc
    if not np.all(np.isfinite(F)):
        raise InputError(
            "find_duplicates expects finite features. Got NaN or infinity; drop those rows."
        )
    n = F.shape[0]
    norms = np.linalg.norm(F, axis=1, keepdims=True)
    F = F / np.maximum(norms, 1e-12)
    parent = np.arange(n)

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    for start in range(0, n, block_size):
        stop = min(start + block_size, n)
        sims = F[start:stop] @ F[start:].T  # upper triangle band only
        rows, cols = np.nonzero(sims >= threshold - 1e-6)
        cols = cols + start
        rows = rows + start
        keep = cols > rows
        for a, b in zip(rows[keep].tolist(), cols[keep].tolist(), strict=True):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(i) for i in range(n)])
    return _exact_groups(roots)
