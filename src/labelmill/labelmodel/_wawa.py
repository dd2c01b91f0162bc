"""Wawa: worker agreement with the aggregate, then a vote weighted by that agreement."""

from __future__ import annotations

from typing import Any

import numpy as np

from labelmill.labelmodel._base import BaseLabelModel
from labelmill.labelmodel._em import initial_posterior
from labelmill.labelmodel._validation import VoteMatrix

__all__ = ["Wawa"]


class Wawa(BaseLabelModel):
    """Worker Agreement With Aggregate: a majority vote weighted by each source's agreement.

    Two steps, no iteration: the majority vote (ties shared evenly), then each source's
    skill = the share of its votes that agree with it, then the vote weighted by skill.
    Fast and robust when sources are many and answers per source few.

    Parameters
    ----------
    cardinality : int or None, default=None
        Number of classes; ``None`` infers ``max(L) + 1``.
    class_prior : (k,) array-like or None, default=None
        Class balance given to items no source voted on (and used to break ties);
        ``None`` estimates it from the weighted vote (add-one smoothed).
    random_state : None
        Unused; kept for the shared estimator API.

    Attributes
    ----------
    skills_ : (n_sources,) float array
        Agreement of each source with the majority vote (NaN if it never voted).
    class_prior_ : (k,) float array
    source_accuracies_ : (n_sources,) float array
        Same as ``skills_``.
    uncovered_ : (n_items,) bool array

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 1, 0], [0, 1, 0], [1, 0, 1]])
    >>> Wawa().fit(L).predict(L).tolist()
    [0, 1, 0, 1, 0, 1]
    """

    def __init__(
        self, *, cardinality: int | None = None, class_prior: Any = None, random_state: Any = None
    ) -> None:
        self.cardinality = cardinality
        self.class_prior = class_prior
        self.random_state = random_state

    def _fit(self, V: VoteMatrix, prior: np.ndarray | None) -> None:
        P = initial_posterior(V)
        n_votes = V.source_votes().sum(axis=1)
        agree = np.einsum(
            "jcc->j", np.asarray(V.XT @ P).reshape(V.n_sources, V.k, V.k)
        )  # sum over votes of the majority share of the voted class
        with np.errstate(invalid="ignore", divide="ignore"):
            skills = agree / n_votes
        self.skills_ = skills
        self.source_accuracies_ = skills
        if prior is None:
            W = self._weighted(V)
            covered = V.covered()
            prior = (W[covered].sum(axis=0) + 1.0) / (covered.sum() + V.k)
        self.class_prior_ = prior

    def _weighted(self, V: VoteMatrix) -> np.ndarray:
        weights = np.nan_to_num(self.skills_, nan=0.0)
        S = np.asarray(V.X @ np.kron(weights[:, None], np.eye(V.k)))  # (n, k) weighted votes
        total = S.sum(axis=1, keepdims=True)
        # Sources whose votes all disagree with the majority weigh 0: fall back to the
        # plain vote shares on items where every voter has weight 0.
        plain = initial_posterior(V)
        result: np.ndarray = np.where(total > 0, S / np.where(total > 0, total, 1.0), plain)
        return result

    def _predict_proba(self, V: VoteMatrix) -> np.ndarray:
        P = self._weighted(V)
        P[~V.covered()] = self.class_prior_
        return P
