"""Shared behaviour of the label models: validation, fitted checks, prediction."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from labelmill.exceptions import ConfigError, NotFittedError
from labelmill.labelmodel._validation import VoteMatrix, check_cardinality, check_label_matrix

__all__ = ["BaseLabelModel", "check_class_prior", "break_ties"]


def check_class_prior(class_prior: Any, k: int, owner: str) -> np.ndarray | None:
    """Validate a ``class_prior`` parameter: ``None`` or ``k`` positive numbers summing to 1."""
    if class_prior is None:
        return None
    try:
        prior = np.asarray(class_prior, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(
            f"The 'class_prior' parameter of {owner} must be None or {k} probabilities. "
            f"Got {class_prior!r} instead."
        ) from None
    if prior.shape != (k,) or not np.all(np.isfinite(prior)) or np.any(prior <= 0):
        raise ConfigError(
            f"The 'class_prior' parameter of {owner} must be None or {k} positive probabilities "
            f"(one per class). Got {class_prior!r} instead."
        )
    if abs(prior.sum() - 1.0) > 1e-6:
        raise ConfigError(
            f"The 'class_prior' parameter of {owner} must sum to 1. Got a sum of "
            f"{prior.sum():.6g} instead."
        )
    return prior


def break_ties(proba: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Argmax of each row; ties go to the class with the larger prior, then the lowest index."""
    top = proba.max(axis=1, keepdims=True)
    tied = proba >= top - 1e-12
    rank = np.unique(prior, return_inverse=True)[1].astype(np.float64) + 1.0  # dense rank
    result: np.ndarray = np.argmax(
        tied * rank[None, :] - 1e-9 * np.arange(proba.shape[1])[None, :], axis=1
    )
    return result


class BaseLabelModel(BaseEstimator):  # type: ignore[misc]
    """Base class: the estimator contract shared by all label models.

    Subclasses implement ``_fit(V)`` and ``_predict_proba(V)`` on a validated
    :class:`~labelmill.labelmodel._validation.VoteMatrix`.
    """

    cardinality: int | None
    class_prior: Any

    # --- contract -------------------------------------------------------------------
    def fit(self, L: Any, y: Any = None) -> BaseLabelModel:
        """Learn from a label matrix.

        Parameters
        ----------
        L : (n_items, n_sources) int array, -1 = abstain; or scipy.sparse with label+1
            (0 = abstain).
        y : ignored
            Present for scikit-learn compatibility; label models learn without gold.

        Returns
        -------
        self
        """
        owner = type(self).__name__
        k = check_cardinality(self.cardinality, owner)
        V = check_label_matrix(L, k, owner=owner)
        prior = check_class_prior(self.class_prior, V.k, owner)
        self.cardinality_ = V.k
        self.n_sources_ = V.n_sources
        self.uncovered_ = ~V.covered()
        self._fit(V, prior)
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        """Posterior over classes for every item.

        Parameters
        ----------
        L : (n_items, n_sources) int array, -1 = abstain (or scipy.sparse, label+1).

        Returns
        -------
        proba : (n_items, k) float array, rows sum to 1. Items no source voted on get
            ``class_prior_``.
        """
        V = self._check_input(L)
        return self._predict_proba(V)

    def predict(self, L: Any) -> np.ndarray:
        """Most probable class per item (ties: larger class prior, then lowest index).

        Parameters
        ----------
        L : (n_items, n_sources) int array, -1 = abstain (or scipy.sparse, label+1).

        Returns
        -------
        labels : (n_items,) int array
        """
        return break_ties(self.predict_proba(L), self.class_prior_)

    def uncovered(self, L: Any) -> np.ndarray:
        """Mask of items on which no source voted (they get the class prior).

        Parameters
        ----------
        L : (n_items, n_sources) int array, -1 = abstain (or scipy.sparse, label+1).

        Returns
        -------
        mask : (n_items,) bool array
        """
        return ~self._check_input(L).covered()

    def source_accuracies(self) -> np.ndarray:
        """Estimated accuracy of each source: P(vote is right | the source voted).

        Returns
        -------
        acc : (n_sources,) float array; NaN for a source that never voted.
        """
        self._check_fitted()
        return np.asarray(self.source_accuracies_, dtype=np.float64)

    # --- helpers ------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "cardinality_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with a "
                "label matrix before using this method."
            )

    def _check_input(self, L: Any) -> VoteMatrix:
        self._check_fitted()
        return check_label_matrix(
            L, self.cardinality_, owner=type(self).__name__, n_sources=self.n_sources_
        )

    def _fit(self, V: VoteMatrix, prior: np.ndarray | None) -> None:  # pragma: no cover
        raise NotImplementedError

    def _predict_proba(self, V: VoteMatrix) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError
