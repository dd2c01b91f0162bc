"""``query``: the one call that picks the next batch for people to label."""

from __future__ import annotations

from typing import Any

import numpy as np

from labelmill.active._bandit import StrategyBandit
from labelmill.active._base import QueryStrategy
from labelmill.active._registry import STRATEGIES, make_strategy
from labelmill.exceptions import ConfigError, InputError
from labelmill.utils._validation import check_random_state

__all__ = ["query"]


def query(
    proba: Any,
    features: Any = None,
    *,
    labeled_mask: Any,
    batch_size: int,
    strategy: str | QueryStrategy = "auto",
    random_state: Any = None,
    committee: Any = None,
    bandit: StrategyBandit | None = None,
    audit_accuracy: float | None = None,
    max_similarity: float | None = 0.95,
) -> np.ndarray:
    """Pick the ``batch_size`` unlabeled items whose human labels help most.

    Parameters
    ----------
    proba : (n_items, n_classes) float array
        The end model's probabilities for every item.
    features : (n_items, n_features) float array or None
        Item embeddings. Needed by "kcenter", "cluster" and "hybrid" (the bandit skips
        those arms without them) and used by all strategies to keep near-duplicates out
        of one batch.
    labeled_mask : (n_items,) bool array
        True for items that must not be picked: already labeled, in the audit sample, or
        waiting in the review queue.
    batch_size : int
        How many items to return.
    strategy : str or QueryStrategy, default="auto"
        A registry name ("random", "least_confidence", "margin", "entropy", "committee",
        "kcenter", "cluster", "hybrid"), a strategy object, or "auto": let ``bandit``
        choose the strategy for this batch.
    random_state : None, int, numpy Generator or RandomState
    committee : list of (n_items, n_classes) arrays or None
        Extra committee members, e.g. ``[label_model_posterior]``; the end model
        (``proba``) is always a member. Without it the bandit skips "committee".
    bandit : StrategyBandit or None
        Used (and updated in place) when ``strategy="auto"``: load it with
        ``StrategyBandit.from_dict`` and save ``bandit.to_dict()`` after the call. None
        starts a fresh bandit, which then learns nothing across calls.
    audit_accuracy : float or None
        The current model's (importance-weighted) accuracy on the random audit sample;
        when given with ``strategy="auto"`` the bandit is first credited with the gain
        since the previous call (``bandit.observe``).
    max_similarity : float or None, default=0.95
        Items with cosine similarity above this to an item already in the batch are
        skipped (for strategies given by name and for "auto"; a strategy object keeps its own).

    Returns
    -------
    (<= batch_size,) int64 array
        Item positions, most informative first; never a position with
        ``labeled_mask`` True. Shorter than ``batch_size`` only when the pool runs out.

    Raises
    ------
    InputError
        When an array has the wrong shape or values.
    ConfigError
        When a parameter is invalid or the strategy is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.9, 0.1], [0.55, 0.45], [0.6, 0.4], [0.5, 0.5]])
    >>> labeled = np.array([False, False, False, True])
    >>> query(proba, labeled_mask=labeled, batch_size=2, strategy="margin", random_state=0)
    array([1, 2])
    """
    p = np.asarray(proba)  # validated once, by the strategy's select
    n_items = p.shape[0] if p.ndim == 2 else -1
    mask = np.asarray(labeled_mask)
    if mask.dtype != bool or mask.shape != (n_items,):
        raise InputError(
            f"The 'labeled_mask' argument of query must be a boolean array of shape "
            f"({n_items},), one entry per item of proba. Got dtype {mask.dtype}, shape "
            f"{mask.shape}."
        )
    rng = check_random_state(random_state, owner="query")
    if isinstance(strategy, QueryStrategy):
        chosen: QueryStrategy = strategy
    elif strategy == "auto":
        if bandit is None:
            bandit = StrategyBandit()
        elif not isinstance(bandit, StrategyBandit):
            raise ConfigError(
                "The 'bandit' argument of query must be a StrategyBandit (use "
                f"StrategyBandit.from_dict(state)). Got {type(bandit).__name__} instead."
            )
        if audit_accuracy is not None:
            bandit.observe(audit_accuracy)
        available = [
            name
            for name, cls in STRATEGIES.items()
            if (features is not None or not cls.needs_features)
            and (committee is not None or not cls.needs_committee)
        ]
        arm = bandit.choose(rng, available=available)
        chosen = make_strategy(arm, max_similarity=max_similarity)
    elif isinstance(strategy, str):
        chosen = make_strategy(strategy, max_similarity=max_similarity)
    else:
        raise ConfigError(
            "The 'strategy' argument of query must be a strategy name, a QueryStrategy or "
            f"'auto'. Got {type(strategy).__name__} instead."
        )
    return chosen.select(
        p,
        features,
        candidates=~mask,
        batch_size=batch_size,
        random_state=rng,
        committee=committee,
    )
