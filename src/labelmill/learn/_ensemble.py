"""Ensembles of end-model heads, weighted on held-out people's labels.

:class:`StackedEnsemble` fits several heads on the same training rows and mixes their
probabilities with weights chosen on *cross-fitted* predictions of the rows people labeled
(each such row predicted by members that did not see it); the caller marks those rows
(``held_out``) and keeps blind audit answers out of the training rows altogether.
:class:`KNeighborsHead` is the non-parametric member: a similarity-weighted vote of the
nearest training rows. :func:`mixture_weights` is the stacking step as a plain function.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from labelmill.exceptions import ConfigError
from labelmill.learn._checks import (
    as_features,
    as_weights,
    check_is_fitted,
    encode_targets,
)
from labelmill.utils._validation import check_positive, check_random_state

__all__ = ["KNeighborsHead", "StackedEnsemble", "mixture_weights"]


def mixture_weights(
    member_proba: Any, labels: Any, *, prior_strength: float = 1.0
) -> NDArray[np.float64]:
    """Non-negative weights summing to 1 that minimise the cross-entropy of the mixture
    ``sum_m w_m P_m`` on ``labels``.

    Parameters
    ----------
    member_proba : (n_members, n_items, k) float array
        Each member's (held-out) probabilities.
    labels : (n_items,) int array
        The true class of each item.
    prior_strength : float, default=1.0
        Pulls the weights toward uniform (a penalty of ``prior_strength / n_items`` times
        the KL divergence from uniform), so a handful of labels cannot put all the weight
        on one member.

    Returns
    -------
    (n_members,) float array

    Examples
    --------
    >>> import numpy as np
    >>> good = np.array([[0.9, 0.1], [0.2, 0.8], [0.8, 0.2]])
    >>> bad = good[:, ::-1]
    >>> w = mixture_weights(np.stack([good, bad]), np.array([0, 1, 0]))
    >>> bool(w[0] > 0.9)
    True
    """
    P = np.asarray(member_proba, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    m, n = P.shape[0], P.shape[1]
    picked = np.clip(P[:, np.arange(n), y], 1e-12, 1.0)  # (m, n)
    penalty = prior_strength / max(n, 1)

    def objective(z: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        w = softmax(z)
        mix = w @ picked
        loss = -np.mean(np.log(mix)) + penalty * float(np.sum(w * np.log(w * m + 1e-300)))
        grad_w = -(picked / mix).mean(axis=1) + penalty * (np.log(w * m + 1e-300) + 1.0)
        grad_z = w * (grad_w - np.dot(w, grad_w))
        return float(loss), grad_z

    result = minimize(objective, np.zeros(m), jac=True, method="L-BFGS-B")
    return np.asarray(softmax(result.x))


class KNeighborsHead(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Soft-label k-nearest-neighbours classifier by cosine similarity.

    The probability of a class for an item is the weighted mean of the targets of its
    ``n_neighbors`` most similar training rows (weights: ``sample_weight`` times the
    similarity, floored at 0), smoothed toward uniform by ``smoothing``.

    Parameters
    ----------
    n_neighbors : int, default=15
    smoothing : float, default=0.05
        Mass spread uniformly over the classes (keeps probabilities off 0 and 1).
    n_classes : int, optional
        As :class:`labelmill.learn.EndModel`'s.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> KNeighborsHead(n_neighbors=2).fit(X, [0, 0, 1, 1]).predict([[0.8, 0.3]]).tolist()
    [0]
    """

    def __init__(
        self, n_neighbors: int = 15, *, smoothing: float = 0.05, n_classes: int | None = None
    ) -> None:
        self.n_neighbors = n_neighbors
        self.smoothing = smoothing
        self.n_classes = n_classes

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> KNeighborsHead:
        """Store the normalised training rows, their targets and weights; returns self."""
        owner = type(self).__name__
        check_positive(self.n_neighbors, "n_neighbors", owner, integer=True)
        if not (isinstance(self.smoothing, int | float) and 0 <= self.smoothing < 1):
            raise ConfigError(
                f"The 'smoothing' parameter of {owner} must be a float in [0, 1). "
                f"Got {self.smoothing!r} instead."
            )
        Xa = as_features(X, owner=owner)
        T, classes = encode_targets(y, Xa.shape[0], self.n_classes, owner=owner)
        self.classes_ = classes
        self.X_ = _normalise(Xa)
        self.T_ = T
        self.w_ = as_weights(sample_weight, Xa.shape[0], owner=owner)
        self.n_features_in_ = Xa.shape[1]
        return self

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """``(n_items, k)`` probabilities from the nearest training rows."""
        check_is_fitted(self, "X_", "predict_proba")
        Q = _normalise(as_features(X, owner=type(self).__name__))
        k = self.T_.shape[1]
        nn = min(int(self.n_neighbors), self.X_.shape[0])
        out = np.empty((Q.shape[0], k))
        for start in range(0, Q.shape[0], 2048):
            S = Q[start : start + 2048] @ self.X_.T
            idx = np.argpartition(-S, nn - 1, axis=1)[:, :nn]
            sim = np.clip(np.take_along_axis(S, idx, axis=1), 0.0, None) + 1e-6
            weight = sim * self.w_[idx]
            votes = np.einsum("qn,qnk->qk", weight, self.T_[idx])
            votes /= votes.sum(axis=1, keepdims=True)
            out[start : start + 2048] = votes
        return np.asarray((1.0 - self.smoothing) * out + self.smoothing / k)

    def predict(self, X: Any) -> NDArray[Any]:
        return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])


def _normalise(X: NDArray[np.float64]) -> NDArray[np.float64]:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return np.asarray(X / np.where(norms > 0, norms, 1.0))


class StackedEnsemble(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Several heads mixed with weights fitted on cross-fitted held-out labels.

    Parameters
    ----------
    estimators : list of (name, classifier)
        Members; each is fitted as ``fit(X, Y, sample_weight=w)`` with soft targets ``Y``.
    n_folds : int >= 2, default=3
        Folds of the held-out rows for the cross-fitted predictions.
    min_held_out : int, default=30
        Fewer held-out rows than this: equal weights (too little evidence to stack).
    random_state : int, Generator or None
        Assigns held-out rows to folds.

    Attributes
    ----------
    estimators_ : list of classifiers
        The members fitted on every training row.
    weights_ : (n_members,) float array
    classes_ : (k,) array
    held_out_accuracy_ : dict of str to float
        Each member's and the mixture's accuracy on the cross-fitted held-out rows (empty
        when the weights are equal for want of rows).

    Examples
    --------
    >>> import numpy as np
    >>> from labelmill.learn import EndModel
    >>> X = np.array([[0.0], [0.1], [0.9], [1.0]])
    >>> ens = StackedEnsemble([("a", EndModel(C=10.0)), ("b", KNeighborsHead(n_neighbors=1))])
    >>> ens.fit(X, [0, 0, 1, 1]).predict([[0.05], [0.95]]).tolist()
    [0, 1]
    """

    def __init__(
        self,
        estimators: list[tuple[str, Any]],
        *,
        n_folds: int = 3,
        min_held_out: int = 30,
        random_state: Any = None,
    ) -> None:
        self.estimators = estimators
        self.n_folds = n_folds
        self.min_held_out = min_held_out
        self.random_state = random_state

    def _validate_params(self) -> None:
        owner = type(self).__name__
        if not (
            isinstance(self.estimators, list | tuple)
            and self.estimators
            and all(isinstance(e, tuple) and len(e) == 2 for e in self.estimators)
        ):
            raise ConfigError(
                f"The 'estimators' parameter of {owner} must be a non-empty list of "
                f"(name, classifier) pairs. Got {self.estimators!r} instead."
            )
        check_positive(self.min_held_out, "min_held_out", owner, integer=True)
        if not (isinstance(self.n_folds, int) and self.n_folds >= 2):
            raise ConfigError(
                f"The 'n_folds' parameter of {owner} must be an int >= 2. "
                f"Got {self.n_folds!r} instead."
            )

    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, *, held_out: Any = None
    ) -> StackedEnsemble:
        """Fit every member and choose the weights.

        Parameters
        ----------
        X : (n_items, n_features) float array
        y : (n_items,) array or (n_items, k) float array
        sample_weight : (n_items,) float array, optional
        held_out : (n_items,) bool array, optional
            Rows with a trusted hard label (one-hot target) that may be held out to weigh
            the members: people's review answers, never audit answers. None: equal weights.

        Returns
        -------
        self : StackedEnsemble
        """
        owner = type(self).__name__
        self._validate_params()
        Xa = as_features(X, owner=owner)
        T, classes = encode_targets(y, Xa.shape[0], None, owner=owner)
        w = as_weights(sample_weight, Xa.shape[0], owner=owner)
        self.classes_ = classes
        members = [est for _, est in self.estimators]
        held = np.zeros(Xa.shape[0], dtype=bool) if held_out is None else np.asarray(held_out)
        self.weights_ = np.full(len(members), 1.0 / len(members))
        self.held_out_accuracy_: dict[str, float] = {}
        rows = np.flatnonzero(held)
        if rows.size >= self.min_held_out and len(members) > 1:
            rng = check_random_state(self.random_state, owner=owner)
            fold = rng.permutation(rows.size) % self.n_folds
            cross = np.zeros((len(members), rows.size, T.shape[1]))
            for f in range(self.n_folds):
                test = rows[fold == f]
                train = np.ones(Xa.shape[0], dtype=bool)
                train[test] = False
                for m, est in enumerate(members):
                    fitted = clone(est).fit(Xa[train], T[train], sample_weight=w[train])
                    cross[m, fold == f] = fitted.predict_proba(Xa[test])
            truth = T[rows].argmax(axis=1)
            self.weights_ = mixture_weights(cross, truth)
            mix = np.einsum("m,mnk->nk", self.weights_, cross)
            for (name, _), P in zip(self.estimators, cross, strict=True):
                self.held_out_accuracy_[name] = float((P.argmax(axis=1) == truth).mean())
            self.held_out_accuracy_["mixture"] = float((mix.argmax(axis=1) == truth).mean())
        self.estimators_ = [clone(est).fit(Xa, T, sample_weight=w) for est in members]
        return self

    def member_proba(self, X: Any) -> list[NDArray[np.float64]]:
        """Each fitted member's ``(n_items, k)`` probabilities (a committee)."""
        check_is_fitted(self, "estimators_", "member_proba")
        return [np.asarray(est.predict_proba(X), dtype=np.float64) for est in self.estimators_]

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """The weighted mixture of the members' probabilities, ``(n_items, k)``."""
        check_is_fitted(self, "estimators_", "predict_proba")
        mix = sum(w * P for w, P in zip(self.weights_, self.member_proba(X), strict=True))
        return np.asarray(mix)

    def predict(self, X: Any) -> NDArray[Any]:
        return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])
