"""Majority vote over the sources."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone

from labelmill.labelmodel._base import TIE_BREAK_POLICIES, BaseLabelModel
from labelmill.labelmodel._validation import VoteMatrix
from labelmill.utils._validation import check_choice

__all__ = ["MajorityLabelVoter", "MajorityVote"]


class MajorityVote(BaseLabelModel):
    """Unweighted majority vote.

    Needs no fit: ``MajorityVote().predict(L)`` works on an unfitted instance as Snorkel's
    ``MajorityLabelVoter`` does (it then estimates the class balance from ``L`` itself).

    Parameters
    ----------
    cardinality : int or None, default=None
        Number of classes; ``None`` infers ``max(L) + 1`` at fit time.
    class_prior : (k,) array-like or None, default=None
        Prior over classes. ``None`` estimates it from the covered items' vote shares
        (ties split evenly, add-one smoothed).
    tie_break : {"prior", "balance", "random", "true-random", "abstain"}, default="prior"
        Default policy of ``predict`` for ties (see :func:`labelmill.labelmodel.decide`).
        ``"prior"``: the tied class with the larger class prior, then the lowest class
        index. ``"random"``: a uniformly random tied class drawn with ``random_state``.
        ``predict_proba`` always shares the mass evenly among the tied classes.
    random_state : int, numpy Generator or None, default=None
        Used by the random policies.

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
    >>> MajorityVote().predict(L, tie_break_policy="abstain").tolist()  # no fit needed
    [0, 1, -1]
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

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags

    def _fit(self, V: VoteMatrix, prior: np.ndarray | None) -> None:
        check_choice(self.tie_break, "tie_break", type(self).__name__, TIE_BREAK_POLICIES)
        counts = V.class_counts()
        covered = counts.sum(axis=1) > 0
        shares = _shares(counts)
        if prior is None:
            prior = (shares[covered].sum(axis=0) + 1.0) / (covered.sum() + V.k)
        self.class_prior_ = prior
        n_votes = V.source_votes()
        hits = np.asarray(V.XT @ shares).reshape(V.n_sources, V.k, V.k)
        right = np.einsum("jcc->j", hits)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.source_accuracies_ = right / n_votes.sum(axis=1)

    def _predict_proba(self, V: VoteMatrix) -> np.ndarray:
        counts = V.class_counts()
        proba = _shares(counts)
        uncovered = counts.sum(axis=1) == 0
        proba[uncovered] = self.class_prior_
        return proba

    def _default_policy(self) -> str:
        return str(self.tie_break)

    def _fitted_or_fit(self, L: Any) -> MajorityVote:
        if hasattr(self, "cardinality_"):
            return self
        return clone(self).fit(L)

    def predict_proba(self, L: Any) -> np.ndarray:
        """Vote shares of every class (ties share evenly; uncovered items get the prior).

        Works unfitted (fits on ``L`` first, without storing anything).

        Parameters
        ----------
        L : (n_items, n_sources) int array, -1 = abstain (or scipy.sparse, label+1).

        Returns
        -------
        proba : (n_items, k) float array, rows sum to 1
        """
        model = self._fitted_or_fit(L)
        return BaseLabelModel.predict_proba(model, L)

    def predict(
        self, L: Any, return_probs: bool = False, tie_break_policy: str | None = None
    ) -> Any:
        """Majority class per item; ties decided by ``tie_break_policy`` (default ``tie_break``).

        Works unfitted (fits on ``L`` first, without storing anything).

        Parameters
        ----------
        L : (n_items, n_sources) int array, -1 = abstain (or scipy.sparse, label+1).
        return_probs : bool, default=False
        tie_break_policy : str or None
            See :meth:`BaseLabelModel.predict`; ``None`` uses ``tie_break``.

        Returns
        -------
        labels : (n_items,) int array, or ``(labels, proba)`` with ``return_probs``.
        """
        model = self._fitted_or_fit(L)
        return BaseLabelModel.predict(
            model, L, return_probs=return_probs, tie_break_policy=tie_break_policy
        )


class MajorityLabelVoter(MajorityVote):
    """Snorkel's name for :class:`MajorityVote`: ``MajorityLabelVoter(cardinality=2)``.

    A drop-in for ``snorkel.labeling.model.MajorityLabelVoter``: no fit needed,
    ``predict(L, return_probs=..., tie_break_policy=...)``, ``predict_proba(L)`` and
    ``score(L, Y, metrics=[...])``. One difference: the default tie-break policy is
    ``"prior"`` (the tied class with the larger class balance), not Snorkel's
    ``"abstain"`` (-1); pass ``tie_break_policy="abstain"`` to get Snorkel's output.

    Parameters
    ----------
    cardinality : int, default=2
    class_prior, tie_break, random_state
        As in :class:`MajorityVote`.

    Examples
    --------
    >>> import numpy as np
    >>> MajorityLabelVoter().predict(np.array([[0, 0, -1], [1, -1, 1]])).tolist()
    [0, 1]
    """

    def __init__(
        self,
        cardinality: int | None = 2,
        *,
        class_prior: Any = None,
        tie_break: str = "prior",
        random_state: Any = None,
    ) -> None:
        super().__init__(
            cardinality=cardinality,
            class_prior=class_prior,
            tie_break=tie_break,
            random_state=random_state,
        )


def _shares(counts: np.ndarray) -> np.ndarray:
    """One-hot of the top class per row, mass shared among tied classes; zero rows stay 0."""
    top = counts.max(axis=1, keepdims=True)
    win = ((counts == top) & (top > 0)).astype(np.float64)
    total = win.sum(axis=1, keepdims=True)
    result: np.ndarray = np.divide(win, total, out=np.zeros_like(win), where=total > 0)
    return result
