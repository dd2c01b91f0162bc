"""Hybrid batch selection: uncertainty and diversity at once (BADGE-style).

BADGE (Ash et al. 2020) represents each item by the gradient of the loss of a
linear (softmax) head at its predicted label, ``g = (p - onehot(argmax p)) ⊗ x``, and
seeds k-means++ in that space: an item's norm grows with the model's uncertainty, and
D²-sampling spreads the batch out. The squared distance between two such outer products
factorises, ``|g_i - g_j|² = |a_i|²|x_i|² + |a_j|²|x_j|² - 2 (a_i·a_j)(x_i·x_j)``, so the
(k·d)-dimensional gradients are never built. For speed the seeding runs over the
``candidate_factor * batch_size`` (at most ``max_candidates``) most uncertain
candidates (smallest margin), as cluster-margin sampling (Citovsky et al. 2021) does:
diversity is sought among the items worth asking about.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from labelmill.active._base import (
    QueryContext,
    QueryStrategy,
    gather,
    require_positive_int,
    top_k,
)
from labelmill.active._uncertainty import margin_scores

__all__ = ["HybridSampling"]


class HybridSampling(QueryStrategy):
    """Uncertain and diverse batches: k-means++ seeding on gradient embeddings (BADGE).

    Parameters
    ----------
    candidate_factor : int, default=10
        Seed over the ``candidate_factor * batch_size`` candidates with the smallest margin.
    max_candidates : int, default=5000
        Upper bound on that number.
    max_similarity : float or None, default=0.95
        Batch de-duplication threshold on cosine similarity.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 0.0], [1.0, 0.01], [0.0, 1.0], [1.0, 1.0]])
    >>> proba = np.array([[0.5, 0.5], [0.5, 0.5], [0.55, 0.45], [0.99, 0.01]])
    >>> picks = HybridSampling().select(proba, x, candidates=np.arange(4), batch_size=2,
    ...                                 random_state=0)
    >>> sorted(int(p) for p in picks) in ([0, 2], [1, 2])
    True
    """

    name: ClassVar[str] = "hybrid"
    needs_features: ClassVar[bool] = True

    def __init__(
        self,
        *,
        candidate_factor: int = 10,
        max_candidates: int = 5000,
        max_similarity: float | None = 0.95,
    ) -> None:
        super().__init__(max_similarity=max_similarity)
        self.candidate_factor = candidate_factor
        self.max_candidates = max_candidates

    def _check_params(self, committee: list[np.ndarray]) -> None:
        require_positive_int(self.max_candidates, name="max_candidates", owner="HybridSampling")
        require_positive_int(self.candidate_factor, name="candidate_factor", owner="HybridSampling")

    def _rank(self, ctx: QueryContext, n_wanted: int) -> np.ndarray:
        cand = ctx.candidates
        m_top = min(max(self.candidate_factor * ctx.batch_size, n_wanted), self.max_candidates)
        if cand.size > m_top:
            cand = top_k(margin_scores(ctx.proba[cand]), cand, m_top, ctx.rng)
        x = gather(ctx, cand).astype(np.float64)
        p = ctx.proba[cand]
        a = p.copy()
        a[np.arange(a.shape[0]), p.argmax(axis=1)] -= 1.0
        a_sq = np.einsum("ij,ij->i", a, a)
        x_sq = np.einsum("ij,ij->i", x, x)
        g_sq = a_sq * x_sq
        m = cand.size
        n_pick = min(n_wanted, m)
        picked = [int(np.argmax(g_sq))]
        d2 = np.full(m, np.inf)
        for _ in range(1, n_pick):
            c = picked[-1]
            dist = g_sq + g_sq[c] - 2.0 * (a @ a[c]) * (x @ x[c])
            np.minimum(d2, np.maximum(dist, 0.0), out=d2)
            d2[picked] = 0.0
            total = d2.sum()
            if total <= 0:
                rest = np.setdiff1d(np.arange(m), picked)
                picked.extend(int(i) for i in rest[: n_pick - len(picked)])
                break
            picked.append(int(ctx.rng.choice(m, p=d2 / total)))
        return cand[np.asarray(picked, dtype=np.int64)]
