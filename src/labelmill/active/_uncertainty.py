"""Uncertainty sampling: random, least confidence, margin and entropy.

The score functions are plain functions over a probability matrix (higher = more
informative); the strategy classes rank the candidate pool by them.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from labelmill.active._base import QueryContext, QueryStrategy, top_k

__all__ = [
    "EntropySampling",
    "LeastConfidence",
    "MarginSampling",
    "RandomSampling",
    "entropy_scores",
    "least_confidence_scores",
    "margin_scores",
]


def least_confidence_scores(proba: np.ndarray) -> np.ndarray:
    """``1 - max_c p(c)`` per row: high when the model's top class is unsure.

    Examples
    --------
    >>> least_confidence_scores(np.array([[0.9, 0.1], [0.5, 0.5]])).round(2)
    array([0.1, 0.5])
    """
    return np.asarray(1.0 - np.asarray(proba).max(axis=1), dtype=np.float64)


def margin_scores(proba: np.ndarray) -> np.ndarray:
    """``1 - (p_top1 - p_top2)`` per row: high when the two best classes are close.

    Examples
    --------
    >>> margin_scores(np.array([[0.9, 0.1], [0.5, 0.5]])).round(2)
    array([0.2, 1. ])
    """
    p = np.asarray(proba)
    top2 = np.partition(p, p.shape[1] - 2, axis=1)[:, -2:]
    return 1.0 - (top2[:, 1] - top2[:, 0])


def entropy_scores(proba: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) of each row.

    Examples
    --------
    >>> entropy_scores(np.array([[1.0, 0.0], [0.5, 0.5]])).round(3)
    array([0.   , 0.693])
    """
    p = np.asarray(proba)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(p > 0, np.log(np.where(p > 0, p, 1.0)), 0.0)
    return np.asarray(0.0 - (p * logs).sum(axis=1), dtype=np.float64)


class RandomSampling(QueryStrategy):
    """Pick candidates uniformly at random (the baseline every strategy must beat).

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.full((6, 2), 0.5)
    >>> RandomSampling().select(proba, candidates=np.arange(6), batch_size=2,
    ...                         random_state=0).shape
    (2,)
    """

    name: ClassVar[str] = "random"

    def _rank(self, ctx: QueryContext, n_wanted: int) -> np.ndarray:
        n = min(n_wanted, ctx.candidates.size)
        return ctx.rng.choice(ctx.candidates, size=n, replace=False)


class _ScoreStrategy(QueryStrategy):
    """Rank the pool by a per-item score computed from ``proba``."""

    def _scores(self, proba: np.ndarray) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover

    def _rank(self, ctx: QueryContext, n_wanted: int) -> np.ndarray:
        scores = self._scores(ctx.proba[ctx.candidates])
        return top_k(scores, ctx.candidates, n_wanted, ctx.rng)


class LeastConfidence(_ScoreStrategy):
    """Pick the items whose most likely class has the lowest probability (Lewis & Gale 1994).

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.99, 0.01]])
    >>> LeastConfidence().select(proba, candidates=np.arange(3), batch_size=1, random_state=0)
    array([1])
    """

    name: ClassVar[str] = "least_confidence"

    def _scores(self, proba: np.ndarray) -> np.ndarray:
        return least_confidence_scores(proba)


class MarginSampling(_ScoreStrategy):
    """Pick the items with the smallest gap between the two most likely classes.

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.5, 0.3, 0.2], [0.45, 0.45, 0.1], [0.8, 0.1, 0.1]])
    >>> MarginSampling().select(proba, candidates=np.arange(3), batch_size=1, random_state=0)
    array([1])
    """

    name: ClassVar[str] = "margin"

    def _scores(self, proba: np.ndarray) -> np.ndarray:
        return margin_scores(proba)


class EntropySampling(_ScoreStrategy):
    """Pick the items whose predicted class distribution has the highest entropy.

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.5, 0.5, 0.0], [0.34, 0.33, 0.33], [0.8, 0.1, 0.1]])
    >>> EntropySampling().select(proba, candidates=np.arange(3), batch_size=1, random_state=0)
    array([1])
    """

    name: ClassVar[str] = "entropy"

    def _scores(self, proba: np.ndarray) -> np.ndarray:
        return entropy_scores(proba)
