"""Multi-label aggregation: one binary label model per class."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from labelmill.exceptions import InputError, NotFittedError

__all__ = ["MultiLabelModel", "combine_votes"]


class MultiLabelModel(BaseEstimator):  # type: ignore[misc]
    """Multi-label aggregation as one binary problem per class.

    Parameters
    ----------
    estimator : label model or None, default=None
        Binary label model cloned for every class; ``None`` uses ``LabelModel()``.
    random_state : int or None, default=None
        Passed to every clone that has a ``random_state`` parameter.

    Attributes
    ----------
    estimators_ : list of fitted binary label models, one per class
    n_classes_ : int

    Notes
    -----
    ``L`` is ``(n_items, n_sources, n_classes)``: ``L[i, j, c]`` is 1 when source ``j``
    says class ``c`` applies to item ``i``, 0 when it says it does not, -1 when it
    abstains on that class.
    """

    def __init__(self, estimator: Any = None, *, random_state: Any = None) -> None:
        self.estimator = estimator
        self.random_state = random_state

    def fit(self, L: Any, y: Any = None) -> MultiLabelModel:
        """Fit one binary model per class.

        Parameters
        ----------
        L : (n_items, n_sources, n_classes) int array in {-1, 0, 1}
        y : ignored

        Returns
        -------
        self
        """
        arr = self._check(L)
        from labelmill.labelmodel._label_model import LabelModel

        base = self.estimator if self.estimator is not None else LabelModel()
        self.estimators_ = []
        for c in range(arr.shape[2]):
            est = clone(base)
            params: dict[str, Any] = {"cardinality": 2}
            if "random_state" in est.get_params():
                params["random_state"] = self.random_state
            est.set_params(**params)
            self.estimators_.append(est.fit(arr[:, :, c]))
        self.n_classes_ = arr.shape[2]
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        """Probability that each class applies: ``(n_items, n_classes)``.

        Rows need not sum to 1 (classes are not exclusive).
        """
        if not hasattr(self, "estimators_"):
            raise NotFittedError(
                "This MultiLabelModel instance is not fitted yet. Call 'fit' first."
            )
        arr = self._check(L)
        if arr.shape[2] != self.n_classes_:
            raise InputError(
                f"L passed to MultiLabelModel has {arr.shape[2]} classes; the model was fitted "
                f"on {self.n_classes_}."
            )
        return np.column_stack(
            [est.predict_proba(arr[:, :, c])[:, 1] for c, est in enumerate(self.estimators_)]
        )

    def predict(self, L: Any, threshold: float = 0.5) -> np.ndarray:
        """0/1 indicator matrix ``(n_items, n_classes)``: probability above ``threshold``."""
        return (self.predict_proba(L) > threshold).astype(np.int64)

    @staticmethod
    def _check(L: Any) -> np.ndarray:
        arr = np.asarray(L)
        if arr.ndim != 3:
            raise InputError(
                "L passed to MultiLabelModel must be 3-D (n_items, n_sources, n_classes) with "
                f"values -1 (abstain), 0 (class absent), 1 (present). Got shape {arr.shape}."
            )
        if arr.dtype.kind not in "iu" or arr.size and (arr.min() < -1 or arr.max() > 1):
            raise InputError(
                "L passed to MultiLabelModel must hold -1, 0 or 1 "
                f"(got dtype {arr.dtype}, values {np.unique(arr)[:5].tolist()}...)."
            )
        return arr


def combine_votes(
    L: Any, *, cardinality: int | None = None, random_state: Any = None, y: Any = None
) -> np.ndarray:
    """Combine the votes of all sources into posteriors with the default LabelModel.

    Parameters
    ----------
    L : (n_items, n_sources) int array, -1 = abstain (or scipy.sparse, label + 1)
    cardinality : int or None
    random_state : int or None
    y : (n_items,) int array or None
        Known gold labels (-1 = unknown), used as in :meth:`LabelModel.fit`.

    Returns
    -------
    proba : (n_items, k) float array, rows sum to 1
    """
    from labelmill.labelmodel._label_model import LabelModel

    model = LabelModel(cardinality=cardinality, random_state=random_state).fit(L, y)
    return model.predict_proba(L)
