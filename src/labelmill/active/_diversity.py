"""Diversity sampling on the embeddings: k-center greedy (core-set) and clustering.

Both work on a random subsample of the pool so that a batch from millions of items
costs the same as one from thousands: k-center greedy runs over at most
``max_candidates`` random candidates and measures coverage against at most
``max_reference`` random labeled items; clustering runs k-means on at most
``max_candidates`` random candidates.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from labelmill.active._base import (
    QueryContext,
    QueryStrategy,
    gather,
    require_positive_int,
    subsample,
)
from labelmill.active._uncertainty import margin_scores
from labelmill.exceptions import ConfigError

__all__ = ["ClusterDiversity", "KCenterGreedy", "kmeans"]


def _sq_dists(x: np.ndarray, centers: np.ndarray, x_sq: np.ndarray | None = None) -> np.ndarray:
    """Squared euclidean distances (m, c) from the rows of x to the centers."""
    if x_sq is None:
        x_sq = np.einsum("ij,ij->i", x, x)
    c_sq = np.einsum("ij,ij->i", centers, centers)
    d = x_sq[:, None] + c_sq[None, :] - 2.0 * (x @ centers.T)
    return np.asarray(np.maximum(d, 0.0))


def _min_sq_dist(x: np.ndarray, ref: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """For each row of x, the squared distance to its nearest row of ref."""
    x_sq = np.einsum("ij,ij->i", x, x)
    out = np.full(x.shape[0], np.inf, dtype=x.dtype)
    for start in range(0, ref.shape[0], chunk):
        d = _sq_dists(x, ref[start : start + chunk], x_sq)
        np.minimum(out, d.min(axis=1), out=out)
    return out


def kmeans(
    x: np.ndarray, n_clusters: int, *, rng: np.random.Generator, n_iter: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means with k-means++ seeding (Arthur & Vassilvitskii 2007).

    Parameters
    ----------
    x : (m, d) float array (float32 keeps it fast)
    n_clusters : int, <= m
    rng : numpy Generator
    n_iter : int
        Lloyd iterations after seeding.

    Returns
    -------
    centers : (n_clusters, d) float array
    assign : (m,) int array, the cluster of each row
    """
    m = x.shape[0]
    n_clusters = min(n_clusters, m)
    x_sq = np.einsum("ij,ij->i", x, x)
    first = int(rng.integers(m))
    centers_idx = [first]
    d2 = _sq_dists(x, x[[first]], x_sq)[:, 0].astype(np.float64)
    for _ in range(1, n_clusters):
        total = d2.sum()
        nxt = int(rng.choice(m, p=d2 / total)) if total > 0 else int(rng.integers(m))
        centers_idx.append(nxt)
        np.minimum(d2, _sq_dists(x, x[[nxt]], x_sq)[:, 0], out=d2)
    centers = x[centers_idx].copy()
    assign = np.zeros(m, dtype=np.int64)
    for _ in range(n_iter):
        assign = _sq_dists(x, centers, x_sq).argmin(axis=1)
        counts = np.bincount(assign, minlength=n_clusters)
        onehot = np.zeros((n_clusters, m), dtype=x.dtype)
        onehot[assign, np.arange(m)] = 1.0
        sums = onehot @ x
        nonempty = counts > 0
        new = centers.copy()
        new[nonempty] = sums[nonempty] / counts[nonempty, None].astype(x.dtype)
        if np.allclose(new, centers, rtol=1e-4, atol=1e-6):
            centers = new
            break
        centers = new
    assign = _sq_dists(x, centers, x_sq).argmin(axis=1)
    return centers, assign


class KCenterGreedy(QueryStrategy):
    """Core-set selection: repeatedly pick the candidate farthest from everything labeled
    or already picked (Sener & Savarese 2018, greedy 2-approximation).

    Parameters
    ----------
    max_candidates : int, default=10000
        Run over a uniform random subsample of at most this many candidates.
    max_reference : int, default=1000
        Measure distance to at most this many (random) labeled items.
    max_similarity : float or None, default=0.95
        Batch de-duplication threshold on cosine similarity.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [0.0, 0.1]])
    >>> proba = np.full((4, 2), 0.5)
    >>> labeled = np.array([True, False, False, False])
    >>> KCenterGreedy().select(proba, x, candidates=~labeled, batch_size=1, random_state=0)
    array([2])
    """

    name: ClassVar[str] = "kcenter"
    needs_features: ClassVar[bool] = True

    def __init__(
        self,
        *,
        max_candidates: int = 10000,
        max_reference: int = 1000,
        max_similarity: float | None = 0.95,
    ) -> None:
        super().__init__(max_similarity=max_similarity)
        self.max_candidates = max_candidates
        self.max_reference = max_reference

    def _check_params(self, committee: list[np.ndarray]) -> None:
        require_positive_int(self.max_candidates, name="max_candidates", owner="KCenterGreedy")
        require_positive_int(self.max_reference, name="max_reference", owner="KCenterGreedy")

    def _rank(self, ctx: QueryContext, n_wanted: int) -> np.ndarray:
        sub = subsample(ctx.candidates, self.max_candidates, ctx.rng)
        x = gather(ctx, sub)
        ref_pos = subsample(ctx.reference(), self.max_reference, ctx.rng)
        no_ref = np.full(sub.size, np.inf)
        mind = _min_sq_dist(x, gather(ctx, ref_pos)) if ref_pos.size else no_ref
        x_sq = np.einsum("ij,ij->i", x, x)
        picked: list[int] = []
        for _ in range(min(n_wanted, sub.size)):
            j = int(ctx.rng.integers(sub.size)) if np.isinf(mind).all() else int(mind.argmax())
            picked.append(j)
            mind[j] = -1.0
            np.minimum(mind, _sq_dists(x, x[[j]], x_sq)[:, 0], out=mind, where=mind >= 0)
        return sub[np.asarray(picked, dtype=np.int64)]


class ClusterDiversity(QueryStrategy):
    """Cluster the pool into ``batch_size`` k-means clusters; take one item per cluster.

    Clusters are visited biggest first; when near-duplicates force more picks, the
    second-best member of each cluster follows, and so on (round robin).

    Parameters
    ----------
    pick : {"central", "uncertain"}, default="central"
        Which member of each cluster to take: the one nearest the centroid
        (representative), or the one with the smallest margin (cluster-then-uncertainty).
    max_candidates : int, default=5000
        Cluster a uniform random subsample of at most this many candidates.
    n_iter : int, default=10
        Lloyd iterations.
    max_similarity : float or None, default=0.95
        Batch de-duplication threshold on cosine similarity.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.vstack([rng.normal(0, 0.1, (20, 2)), rng.normal(5, 0.1, (20, 2))])
    >>> proba = np.full((40, 2), 0.5)
    >>> picks = ClusterDiversity().select(proba, x, candidates=np.arange(40), batch_size=2,
    ...                                   random_state=0)
    >>> sorted(int(p) // 20 for p in picks)
    [0, 1]
    """

    name: ClassVar[str] = "cluster"
    needs_features: ClassVar[bool] = True

    def __init__(
        self,
        *,
        pick: str = "central",
        max_candidates: int = 5000,
        n_iter: int = 10,
        max_similarity: float | None = 0.95,
    ) -> None:
        super().__init__(max_similarity=max_similarity)
        self.pick = pick
        self.max_candidates = max_candidates
        self.n_iter = n_iter

    def _check_params(self, committee: list[np.ndarray]) -> None:
        if self.pick not in ("central", "uncertain"):
            raise ConfigError(
                "The 'pick' parameter of ClusterDiversity must be 'central' or 'uncertain'. "
                f"Got {self.pick!r} instead."
            )
        require_positive_int(self.max_candidates, name="max_candidates", owner="ClusterDiversity")
        require_positive_int(self.n_iter, name="n_iter", owner="ClusterDiversity")

    def _rank(self, ctx: QueryContext, n_wanted: int) -> np.ndarray:
        sub = subsample(ctx.candidates, self.max_candidates, ctx.rng)
        x = gather(ctx, sub)
        centers, assign = kmeans(x, ctx.batch_size, rng=ctx.rng, n_iter=self.n_iter)
        if self.pick == "central":
            key = np.sum((x - centers[assign]) ** 2, axis=1)
        else:
            key = -margin_scores(ctx.proba[sub])
        counts = np.bincount(assign, minlength=centers.shape[0])
        # rank inside each cluster by key, then round-robin over clusters, biggest first
        order = np.lexsort((key, assign))
        starts = np.searchsorted(assign[order], np.arange(centers.shape[0]))
        rank_in_cluster = np.empty(sub.size, dtype=np.int64)
        rank_in_cluster[order] = np.arange(sub.size) - starts[assign[order]]
        size_rank = np.empty(centers.shape[0], dtype=np.int64)
        size_rank[np.argsort(-counts, kind="stable")] = np.arange(centers.shape[0])
        final = np.lexsort((size_rank[assign], rank_in_cluster))
        return sub[final[:n_wanted]]
