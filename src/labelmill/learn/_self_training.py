"""Self-training: fit, pseudo-label the unlabeled items the model is sure of, fit again.

The caller decides which items may be pseudo-labeled (``X_unlabeled``): in a round, never
an item a person answered and never a blind audit item (the guarantee's sample), so the
audit answers stay out of the model whose confidence routes items to ``auto``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from labelmill.exceptions import ConfigError
from labelmill.learn._checks import (
    as_features,
    as_weights,
    check_is_fitted,
    encode_targets,
)
from labelmill.utils._validation import check_positive

__all__ = ["SelfTraining", "select_pseudo_labels"]


def select_pseudo_labels(
    proba: Any,
    *,
    threshold: float = 0.9,
    max_per_class: int | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The rows of ``proba`` confident enough to pseudo-label, and their classes.

    Parameters
    ----------
    proba : (n_items, k) float array
        Predicted probabilities of the candidate items.
    threshold : float, default=0.9
        A row is taken when its top probability is at least this.
    max_per_class : int, optional
        Keep at most this many rows per predicted class (the most confident ones), so one
        easy class does not flood the training set.

    Returns
    -------
    rows : (n_taken,) int array
        Positions in ``proba``, in increasing order.
    labels : (n_taken,) int array
        The predicted class of each.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.95, 0.05], [0.6, 0.4], [0.02, 0.98], [0.99, 0.01]])
    >>> rows, labels = select_pseudo_labels(p, threshold=0.9, max_per_class=1)
    >>> rows.tolist(), labels.tolist()
    ([2, 3], [1, 0])
    """
    P = np.asarray(proba, dtype=np.float64)
    conf, pred = P.max(axis=1), P.argmax(axis=1)
    taken = np.flatnonzero(conf >= threshold)
    if max_per_class is not None and taken.size:
        keep = []
        for c in np.unique(pred[taken]):
            mine = taken[pred[taken] == c]
            order = np.argsort(-conf[mine], kind="stable")
            keep.append(mine[order[:max_per_class]])
        taken = np.sort(np.concatenate(keep))
    return taken.astype(np.int64), pred[taken].astype(np.int64)


class SelfTraining(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Self-training around any classifier that takes soft targets and ``sample_weight``.

    Each iteration fits a clone of ``estimator`` on the labeled rows plus the pseudo-labels
    so far, predicts the unlabeled rows, and pseudo-labels (one-hot, weight
    ``pseudo_weight``) those whose top probability reaches ``threshold``; it stops after
    ``max_iter`` refits or when the set of pseudo-labels no longer changes. A pseudo-label
    is re-decided every iteration (one the model no longer believes is dropped).

    Parameters
    ----------
    estimator : classifier
        Fitted as ``estimator.fit(X, Y, sample_weight=w)`` with ``Y`` a ``(n, k)`` soft-label
        matrix (e.g. :class:`labelmill.learn.EndModel`); it carries its own
        ``random_state``.
    threshold : float in (0, 1], default=0.9
        Top probability an unlabeled row needs to be pseudo-labeled.
    max_iter : int >= 1, default=2
        Refits after the first fit.
    pseudo_weight : float > 0, default=0.5
        Sample weight of a pseudo-labeled row (labeled rows keep theirs).
    max_per_class : int, optional
        At most this many pseudo-labels per class per iteration (the most confident).
    n_classes : int, optional
        Number of classes, as :class:`EndModel`'s.

    Attributes
    ----------
    estimator_ : classifier
        The last fit.
    classes_ : (k,) array
    pseudo_rows_ : (n_pseudo,) int array
        Positions in ``X_unlabeled`` of the pseudo-labeled rows of the last fit.
    pseudo_labels_ : (n_pseudo,) int array
        Their classes (column indices of ``classes_``).
    n_iter_ : int
        Refits run.

    Examples
    --------
    >>> import numpy as np
    >>> from labelmill.learn import EndModel
    >>> X = np.array([[0.0], [1.0]])
    >>> U = np.array([[0.1], [0.2], [0.8], [0.9]])
    >>> model = SelfTraining(EndModel(C=10.0), threshold=0.6).fit(X, [0, 1], X_unlabeled=U)
    >>> model.pseudo_labels_.tolist()
    [0, 0, 1, 1]
    """

    def __init__(
        self,
        estimator: Any,
        *,
        threshold: float = 0.9,
        max_iter: int = 2,
        pseudo_weight: float = 0.5,
        max_per_class: int | None = None,
        n_classes: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.threshold = threshold
        self.max_iter = max_iter
        self.pseudo_weight = pseudo_weight
        self.max_per_class = max_per_class
        self.n_classes = n_classes

    def _validate_params(self) -> None:
        owner = type(self).__name__
        if not (
            isinstance(self.threshold, int | float)
            and not isinstance(self.threshold, bool)
            and 0 < self.threshold <= 1
        ):
            raise ConfigError(
                f"The 'threshold' parameter of {owner} must be a float in (0, 1]. "
                f"Got {self.threshold!r} instead."
            )
        check_positive(self.max_iter, "max_iter", owner, integer=True)
        check_positive(self.pseudo_weight, "pseudo_weight", owner)
        check_positive(self.max_per_class, "max_per_class", owner, integer=True, allow_none=True)
        if not (hasattr(self.estimator, "fit") and hasattr(self.estimator, "predict_proba")):
            raise ConfigError(
                f"The 'estimator' parameter of {owner} must be a classifier with fit and "
                f"predict_proba. Got {self.estimator!r} instead."
            )

    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, *, X_unlabeled: Any = None
    ) -> SelfTraining:
        """Fit on the labeled rows ``(X, y)`` and pseudo-labels among ``X_unlabeled``.

        Parameters
        ----------
        X : (n_items, n_features) float array
        y : (n_items,) array or (n_items, k) float array
            Hard labels or soft targets, as :meth:`EndModel.fit` takes them.
        sample_weight : (n_items,) float array, optional
        X_unlabeled : (n_unlabeled, n_features) float array, optional
            The only rows that may be pseudo-labeled. None or empty: a plain fit.

        Returns
        -------
        self : SelfTraining
        """
        owner = type(self).__name__
        self._validate_params()
        Xa = as_features(X, owner=owner)
        T, classes = encode_targets(y, Xa.shape[0], self.n_classes, owner=owner)
        w = as_weights(sample_weight, Xa.shape[0], owner=owner)
        empty = X_unlabeled is None or np.shape(X_unlabeled)[0] == 0
        U = np.empty((0, Xa.shape[1])) if empty else as_features(X_unlabeled, owner=owner)
        k = T.shape[1]
        self.classes_ = classes
        rows = np.empty(0, dtype=np.int64)
        labels = np.empty(0, dtype=np.int64)
        model = clone(self.estimator).fit(Xa, T, sample_weight=w)
        self.n_iter_ = 0
        for _ in range(self.max_iter if U.shape[0] else 0):
            new_rows, new_labels = select_pseudo_labels(
                model.predict_proba(U), threshold=self.threshold, max_per_class=self.max_per_class
            )
            if np.array_equal(new_rows, rows) and np.array_equal(new_labels, labels):
                break
            rows, labels = new_rows, new_labels
            if rows.size == 0:
                model = clone(self.estimator).fit(Xa, T, sample_weight=w)
            else:
                pseudo = np.zeros((rows.size, k))
                pseudo[np.arange(rows.size), labels] = 1.0
                model = clone(self.estimator).fit(
                    np.vstack([Xa, U[rows]]),
                    np.vstack([T, pseudo]),
                    sample_weight=np.concatenate([w, np.full(rows.size, self.pseudo_weight)]),
                )
            self.n_iter_ += 1
        self.estimator_ = model
        self.pseudo_rows_ = rows
        self.pseudo_labels_ = labels
        return self

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Class probabilities of the last fit, ``(n_items, k)``."""
        check_is_fitted(self, "estimator_", "predict_proba")
        return np.asarray(self.estimator_.predict_proba(X), dtype=np.float64)

    def predict(self, X: Any) -> NDArray[Any]:
        """Most probable class per item (values of ``classes_``)."""
        return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])
