"""Find exact and near-duplicate items."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import ConfigError, InputError
from labelmill.utils._validation import check_random_state

__all__ = ["find_duplicates"]


def find_duplicates(
    data: Any,
    *,
    threshold: float = 0.98,
    block_size: int = 2048,
    method: str = "exact",
    n_tables: int = 8,
    n_bits: int = 12,
    random_state: Any = None,
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
    method : {"exact", "lsh"}, default="exact"
        2-D input only. ``"lsh"``: random-hyperplane hashing (Charikar, 2002)
        into ``n_tables`` tables of ``n_bits`` bits; only items sharing a bucket
        are compared, exactly. Much faster on large sets; may miss a pair (a pair
        at cosine 0.98 is found with probability about 0.99 with the defaults),
        never reports a false one.
    n_tables, n_bits : int, default=8, 12
        LSH tables and bits per table.
    random_state : int, numpy Generator/RandomState or None
        Seeds the LSH hyperplanes.

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
    if (
        not isinstance(threshold, int | float)
        or isinstance(threshold, bool)
        or not (-1.0 < threshold <= 1.0)
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
    if method not in ("exact", "lsh"):
        raise ConfigError(
            "The 'method' parameter of find_duplicates must be one of 'exact', 'lsh'. "
            f"Got {method!r} instead."
        )
    for name, value in (("n_tables", n_tables), ("n_bits", n_bits)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 62:
            raise ConfigError(
                f"The '{name}' parameter of find_duplicates must be an int in [1, 62]. "
                f"Got {value!r} instead."
            )
    arr = np.asarray(data)
    if arr.ndim == 1:
        return _exact_groups(arr)
    if arr.ndim != 2:
        raise InputError(
            "find_duplicates expects content hashes (n_items,) or features "
            f"(n_items, n_features). Got an array of shape {arr.shape} instead."
        )
    if method == "lsh":
        return _lsh_groups(arr, threshold, block_size, n_tables, n_bits, random_state)
    return _near_groups(arr, threshold, block_size)


def _exact_groups(values: NDArray[Any]) -> list[list[int]]:
    if values.size == 0:
        return []
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(counts)[:-1]
    groups = [g.tolist() for g in np.split(order, bounds) if g.size > 1]
    return sorted(groups, key=lambda g: g[0])


def _normalized(X: NDArray[Any]) -> NDArray[np.float32]:
    try:
        F = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InputError("find_duplicates expects numeric features.") from exc
    if not np.all(np.isfinite(F)):
        raise InputError(
            "find_duplicates expects finite features. Got NaN or infinity; drop those rows."
        )
    norms = np.linalg.norm(F, axis=1, keepdims=True)
    return np.asarray(F / np.maximum(norms, 1e-12), dtype=np.float32)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = int(parent[root])
        while parent[i] != root:
            parent[i], i = root, int(parent[i])
        return root

    def union_pairs(self, rows: NDArray[Any], cols: NDArray[Any]) -> None:
        for a, b in zip(rows.tolist(), cols.tolist(), strict=True):
            ra, rb = self.find(a), self.find(b)
            if ra != rb:
                self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        roots = np.array([self.find(i) for i in range(len(self.parent))])
        return _exact_groups(roots)


def _near_groups(X: NDArray[Any], threshold: float, block_size: int) -> list[list[int]]:
    F = _normalized(X)
    n = F.shape[0]
    uf = _UnionFind(n)
    for start in range(0, n, block_size):
        stop = min(start + block_size, n)
        sims = F[start:stop] @ F[start:].T  # upper triangle band only
        rows, cols = np.nonzero(sims >= threshold - 1e-6)
        rows, cols = rows + start, cols + start
        keep = cols > rows
        uf.union_pairs(rows[keep], cols[keep])
    return uf.groups()


def _lsh_groups(
    X: NDArray[Any],
    threshold: float,
    block_size: int,
    n_tables: int,
    n_bits: int,
    random_state: Any,
) -> list[list[int]]:
    F = _normalized(X)
    n, d = F.shape
    rng = check_random_state(random_state, owner="find_duplicates")
    uf = _UnionFind(n)
    weights = (1 << np.arange(n_bits, dtype=np.int64))[None, :]
    for _ in range(n_tables):
        planes = rng.standard_normal((d, n_bits)).astype(np.float32)
        keys = ((F @ planes) > 0).astype(np.int64) @ weights.T
        order = np.argsort(keys[:, 0], kind="stable")
        _, starts = np.unique(keys[order, 0], return_index=True)
        for members in np.split(order, starts[1:]):
            if members.size < 2:
                continue
            members = np.sort(members)
            for start in range(0, members.size, block_size):
                block = members[start : start + block_size]
                sims = F[block] @ F[members[start:]].T
                r, c = np.nonzero(sims >= threshold - 1e-6)
                rows, cols = block[r], members[start:][c]
                keep = cols > rows
                uf.union_pairs(rows[keep], cols[keep])
    return uf.groups()
