"""The query-strategy plug-in point and the batch de-duplication every strategy shares.

A strategy is a tiny object with one public method, :meth:`QueryStrategy.select`. A
subclass only implements ``_rank``: given the validated inputs it returns candidate item
positions in priority order. ``select`` then walks that ranking and rejects every item
whose cosine similarity to an item already in the batch exceeds ``max_similarity``, so
one batch never spends two human labels on near-duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from threadpoolctl import threadpool_limits

from labelmill.active._validation import (
    check_committee,
    check_features,
    check_proba,
    check_rows_finite,
    resolve_candidates,
)
from labelmill.exceptions import ConfigError
from labelmill.utils._validation import check_fraction, check_positive, check_random_state

__all__ = ["QueryContext", "QueryStrategy", "drop_near_duplicates"]


@dataclass
class QueryContext:
    """Validated inputs of one selection, handed to ``QueryStrategy._rank``.

    Attributes
    ----------
    proba : (n_items, n_classes) float array
    features : (n_items, n_features) array or None
    candidates : (n_candidates,) int array, sorted positions that may be picked
    committee : list of (n_items, n_classes) float arrays (may be empty)
    rng : numpy Generator
    owner : str, the name used in error messages
    batch_size : int, the requested batch size
    """

    proba: np.ndarray
    features: np.ndarray | None
    candidates: np.ndarray
    committee: list[np.ndarray]
    rng: np.random.Generator
    owner: str
    batch_size: int = 1
    cache: dict[str, Any] = field(default_factory=dict)

    def reference(self) -> np.ndarray:
        """Positions outside the candidate pool (the labeled items)."""
        if "reference" not in self.cache:
            mask = np.ones(self.proba.shape[0], dtype=bool)
            mask[self.candidates] = False
            self.cache["reference"] = np.flatnonzero(mask)
        return self.cache["reference"]  # type: ignore[no-any-return]


def top_k(
    scores: np.ndarray, positions: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """Return the ``k`` positions with the highest scores, best first, ties broken at random."""
    k = min(k, positions.size)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    order = rng.permutation(positions.size)
    shuffled = scores[order]
    if k < positions.size:
        part = np.argpartition(-shuffled, k - 1)[:k]
    else:
        part = np.arange(positions.size)
    part = part[np.argsort(-shuffled[part], kind="stable")]
    return positions[order[part]]


def drop_near_duplicates(
    ranked: np.ndarray,
    features: np.ndarray | None,
    *,
    batch_size: int,
    max_similarity: float | None,
    owner: str = "query",
) -> np.ndarray:
    """Keep the first ``batch_size`` ranked items that are not near-duplicates of each other.

    Parameters
    ----------
    ranked : (m,) int array
        Item positions in priority order.
    features : (n_items, n_features) array or None
        Embeddings; None (or ``max_similarity=None``) skips the check.
    batch_size : int
        How many items to keep at most.
    max_similarity : float or None
        An item whose cosine similarity to an item already kept exceeds this is skipped.

    Returns
    -------
    (<= batch_size,) int array of item positions, in priority order.
    """
    if features is None or max_similarity is None or ranked.size == 0:
        return ranked[:batch_size]
    x = np.asarray(features[ranked], dtype=np.float64)
    check_rows_finite(x, ranked, owner=owner)
    norms = np.linalg.norm(x, axis=1)
    norms[norms == 0] = 1.0
    u = x / norms[:, None]
    keep: list[int] = []
    kept = np.zeros((min(batch_size, ranked.size), u.shape[1]))
    for i in range(ranked.size):
        if keep and float(np.max(kept[: len(keep)] @ u[i])) > max_similarity:
            continue
        kept[len(keep)] = u[i]
        keep.append(i)
        if len(keep) == batch_size:
            break
    return ranked[np.asarray(keep, dtype=np.int64)]


class QueryStrategy:
    """Base class of the query strategies: pick a batch of items for people to label.

    Parameters
    ----------
    max_similarity : float or None, default=0.95
        Batch de-duplication: an item whose cosine similarity (on ``features``) to an item
        already in the batch exceeds this is skipped. None disables the check.
    """

    #: registry name of the strategy
    name: ClassVar[str] = ""
    needs_features: ClassVar[bool] = False
    needs_committee: ClassVar[bool] = False

    def __init__(self, *, max_similarity: float | None = 0.95) -> None:
        self.max_similarity = max_similarity

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"

    def select(
        self,
        proba: Any,
        features: Any = None,
        *,
        candidates: Any,
        batch_size: int,
        random_state: Any = None,
        committee: Any = None,
    ) -> np.ndarray:
        """Select a batch of items from the candidate pool.

        Parameters
        ----------
        proba : (n_items, n_classes) float array
            Current model probabilities, rows summing to 1.
        features : (n_items, n_features) float array or None
            Item embeddings; required by the diversity and hybrid strategies, used by all
            for batch de-duplication.
        candidates : bool mask (n_items,) or int array
            The unlabeled pool: only these items can be picked.
        batch_size : int
            How many items to pick.
        random_state : None, int, numpy Generator or RandomState
            Randomness for tie-breaking and sampling.
        committee : list of (n_items, n_classes) arrays or (m, n_items, n_classes) array
            Ensemble of probability matrices (for committee disagreement).

        Returns
        -------
        (<= batch_size,) int64 array
            Item positions, most informative first. Fewer than ``batch_size`` only when the
            pool holds fewer items that are not near-duplicates of each other.

        Raises
        ------
        InputError
            When an argument does not have the expected shape or values.
        ConfigError
            When a parameter is out of range.
        """
        owner = f"{type(self).__name__}.select"
        proba = check_proba(proba, owner=owner)
        n_items, n_classes = proba.shape
        feats = check_features(features, n_items, required=self.needs_features, owner=owner)
        cand = resolve_candidates(candidates, n_items, owner=owner)
        batch_size = check_positive(batch_size, "batch_size", owner, integer=True)
        max_sim = check_fraction(
            self.max_similarity,
            "max_similarity",
            type(self).__name__,
            low=-1.0,
            allow_none=True,
        )
        members = check_committee(committee, n_items, n_classes, owner=owner)
        self._check_params(members)
        rng = check_random_state(random_state, owner=owner)
        if cand.size == 0:
            return np.zeros(0, dtype=np.int64)
        ctx = QueryContext(proba, feats, cand, members, rng, owner, batch_size)
        n_wanted = min(cand.size, 2 * batch_size if feats is not None else batch_size)
        while True:
            # the products inside a selection are small (thousands x hundreds): threaded BLAS
            # only adds overhead there, up to 25x on a busy 2-core machine (measured)
            with threadpool_limits(limits=1, user_api="blas"):
                ranked = np.asarray(self._rank(ctx, n_wanted), dtype=np.int64)
            chosen = drop_near_duplicates(
                ranked, feats, batch_size=batch_size, max_similarity=max_sim, owner=owner
            )
            if chosen.size >= batch_size or ranked.size < n_wanted or n_wanted >= cand.size:
                return chosen
            n_wanted = min(cand.size, 4 * n_wanted)

    def _check_params(self, committee: list[np.ndarray]) -> None:
        """Validate strategy parameters; subclasses extend."""

    def _rank(self, ctx: QueryContext, n_wanted: int) -> np.ndarray:
        """Return up to ``n_wanted`` candidate positions in priority order."""
        raise NotImplementedError  # pragma: no cover


def gather(ctx: QueryContext, rows: np.ndarray) -> np.ndarray:
    """Return ``features[rows]`` as float32, checked finite."""
    assert ctx.features is not None  # guaranteed by needs_features
    x = np.asarray(ctx.features[rows], dtype=np.float32)
    check_rows_finite(x, rows, owner=ctx.owner)
    return x


def subsample(positions: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A uniform random subset of at most ``size`` positions (sorted)."""
    if positions.size <= size:
        return positions
    return np.sort(rng.choice(positions, size=size, replace=False))


def require_positive_int(value: Any, *, name: str, owner: str) -> int:
    """Return ``value`` as a positive int or raise ConfigError."""
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be a positive int. Got {value!r} instead."
        )
    return int(value)
