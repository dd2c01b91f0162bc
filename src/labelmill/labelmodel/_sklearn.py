"""A scikit-learn classifier adapter around a label model (for pipelines and estimator checks).

Label models read vote matrices, not feature matrices, and their ``score`` returns a
Snorkel-style dict. :class:`VoteClassifier` turns one into an ordinary scikit-learn
classifier: ``fit(X, y)`` / ``predict(X)`` / ``predict_proba(X)`` / ``score(X, y)``
(accuracy), class labels of any type, ``classes_`` and ``n_features_in_``. It is also
how the label models run under ``sklearn.utils.estimator_checks``, whose checks feed
arbitrary numeric features.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from labelmill.exceptions import InputError

__all__ = ["VoteClassifier"]


class VoteClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Use a label model as a scikit-learn classifier over a feature matrix.

    Every column of ``X`` is a source. A column holding only whole numbers from -1 to
    ``k - 1`` (``k`` = number of classes in ``y``) is used as votes as it is (-1 =
    abstain). Any other column is discretised into ``k`` bins at its training quantiles,
    bin ``c`` voting class ``c``, so that numeric features become (crude) sources. ``y``
    is passed to the label model's ``fit`` as gold labels when it accepts them (as
    :class:`LabelModel` does: supervised EM, people's answers as ``y``); unsupervised
    models ignore it.

    Parameters
    ----------
    label_model : labelmill label model or None, default=None
        Cloned at fit; ``None`` uses ``LabelModel()``.

    Attributes
    ----------
    label_model_ : the fitted clone
    classes_ : (k,) array of the class labels seen in ``y``
    n_features_in_ : int
    is_vote_column_ : (n_features,) bool array
        Columns used as votes as they are.
    bin_edges_ : list of (k - 1,) float arrays
        Quantile cut points of the discretised columns (empty for vote columns).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 1, -1]] * 5)
    >>> y = np.array(["ham", "spam", "ham", "spam"] * 5)
    >>> clf = VoteClassifier().fit(X, y)
    >>> clf.predict(X[:4]).tolist(), clf.score(X, y)
    (['ham', 'spam', 'ham', 'spam'], 1.0)
    """

    def __init__(self, label_model: Any = None) -> None:
        self.label_model = label_model

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

    def fit(self, X: Any, y: Any) -> VoteClassifier:
        """Fit the label model on the votes of ``X``, with ``y`` as gold when it is used.

        Parameters
        ----------
        X : (n_items, n_features) array-like
        y : (n_items,) array-like of class labels (at least two distinct)

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_codes = np.unique(y, return_inverse=True)
        k = len(self.classes_)
        if k < 2:
            raise InputError(
                "VoteClassifier needs at least two classes in y to fit a label model; y holds "
                f"one class only ({self.classes_.tolist()}). Add items of the other classes."
            )
        integral = np.all(np.mod(X, 1) == 0, axis=0)
        self.is_vote_column_ = integral & (X.min(axis=0) >= -1) & (X.max(axis=0) <= k - 1)
        qs = np.linspace(0, 1, k + 1)[1:-1]
        self.bin_edges_ = [
            np.array([]) if vote else np.quantile(X[:, j], qs)
            for j, vote in enumerate(self.is_vote_column_)
        ]
        from labelmill.labelmodel._label_model import LabelModel

        model = clone(self.label_model) if self.label_model is not None else LabelModel()
        if "cardinality" in model.get_params():
            model.set_params(cardinality=k)
        L = self._votes(X)
        try:
            model.fit(L, y_codes.astype(np.int64))
        except TypeError:  # a model whose fit takes no y
            model.fit(L)
        self.label_model_ = model
        return self

    def _votes(self, X: np.ndarray) -> np.ndarray:
        L = np.empty(X.shape, dtype=np.int64)
        for j, vote in enumerate(self.is_vote_column_):
            if vote:
                L[:, j] = X[:, j].astype(np.int64)
            else:
                L[:, j] = np.searchsorted(self.bin_edges_[j], X[:, j], side="right")
        return L

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior over ``classes_`` for every row: ``(n_items, k)``."""
        check_is_fitted(self, "label_model_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        result: np.ndarray = self.label_model_.predict_proba(self._votes(X))
        return result

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class label of every row."""
        check_is_fitted(self, "label_model_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        result: np.ndarray = self.classes_[self.label_model_.predict(self._votes(X))]
        return result
