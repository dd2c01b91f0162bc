"""Majority vote over the sources."""

from __future__ import annotations

from typing import Any

import numpy as np

from labelmill.exceptions import ConfigError
from labelmill.labelmodel._base import BaseLabelModel, break_ties
from labelmill.labelmodel._validation import VoteMatrix
from labelmill.utils._validation import check_random_state

__all__ = ["MajorityVote"]


class MajorityVote(BaseLabelModel):
    """Unweighted majority vote.

    Parameters
    ----------
    cardinality : int or None, default=None
        Number of classes; ``None`` infers ``max(L) + 1`` at fit time.
    class_prior : (k,) array-like or None, default=None
        Prior over classes. ``None`` estimates it from the majority winners of the
        covered items (add-one smoothed).
    tie_break : {"prior", "random"}, default="prior"
        How ``predict`` breaks ties. ``"prior"``: the tied class with the larger class
        prior, then the lowest class index. ``"random"``: a uniformly random tied class,
        drawn with ``random_state``. ``predict_proba`` always shares the mass evenly
        among the tied classes.
    random_state : int, numpy Generator or None, default=None
        Used only with ``tie_break="random"``.

    Attributes
    ----------
    cardinality_ : int
    n_sources_ : int
    class_prior_ : (k,) float array
    uncovered_ : (n_items,) bool array
        Items of the training matrix no source voted on; they get ``class_prior_``.
    source_accuracies_ : (n_sources,) float array
        Agreement of each source with the majority vote, on the items it voted on.

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[0, 0, -1], [1, 0, 1], [-1, -1, -1]])
    >>> MajorityVote().fit(L).predict(L).tolist()
    [0, 1, 0]
    """

    def __init__(
        self,
        *,
        cardinality: int | None = None,
        class_prior: Any = None,
        tie_break: str = "prior",
        random_state: Any = None,
    ) -> None:
        self.cardinality = cardinality
        self.class_prior = class_prior
        self.tie_break = tie_break
        self.random_state = random_state

    def _fit(self, V: VoteMatrix, prior: np.ndarray | None) -> None:
        if self.tie_break not in ("prior", "random"):
            raise ConfigError(
                "The 'tie_break' parameter of MajorityVote must be 'prior' or 'random'. "
                f"Got {self.tie_break!r} instead."
            )
        counts = V.class_counts()
        covered = counts.sum(axis=1) > 0
        shares = _shares(counts)
        if prior is None:
            prior = (shares[covered].sum(axis=0) + 1.0) / (covered.sum() + V.k)
        self.class_prior_ = prior
        winners = break_ties(shares, prior)
        n_votes = V.source_votes()
        hits = np.asarray(V.XT @ np.eye(V.k)[winners]).reshape(V.n_sources, V.k, V.k)
        right = np.einsum("jcc->j", hits)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.source_accuracies_ = right / n_votes.sum(axis=1)

    def _predict_proba(self, V: VoteMatrix) -> np.ndarray:
        counts = V.class_counts()
        proba = _shares(counts)
        uncovered = counts.sum(axis=1) == 0
        proba[uncovered] = self.class_prior_
        return proba

    def predict(self, L: Any) -> np.ndarray:
        """Majority class per item; ties broken as set by ``tie_break``.

        Parameters
        ----------
        L : (n_items, n_sources) int array, -1 = abstain (or scipy.sparse, label+1).

        Returns
        -------
        labels : (n_items,) int array
        """
        proba = self.predict_proba(L)
        if self.tie_break == "prior":
            return break_ties(proba, self.class_prior_)
        rng = check_random_state(self.random_state, owner=type(self).__name__)
        noise = rng.random(proba.shape)
        tied = proba >= proba.max(axis=1, keepdims=True) - 1e-12
        result: np.ndarray = np.argmax(np.where(tied, noise, -1.0), axis=1)
        return result


def _shares(counts: np.ndarray) -> np.ndarray:
    """One-hot of the top class per row, mass shared among tied classes; zero rows stay 0."""
    top = counts.max(axis=1, keepdims=True)
    win = ((counts == top) & (top > 0)).astype(np.float64)
    total = win.sum(axis=1, keepdims=True)
    result: np.ndarray = np.divide(win, total, out=np.zeros_like(win), where=total > 0)
    return result
