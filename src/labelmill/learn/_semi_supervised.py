"""Semi-supervised learning over the embedding space: label spreading."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.semi_supervised import LabelSpreading

from labelmill.exceptions import ConfigError, InputError
from labelmill.learn._checks import as_features
from labelmill.utils._validation import check_positive

__all__ = ["label_spreading"]


def label_spreading(
    X: Any,
    labels: Any,
    *,
    n_classes: int | None = None,
    n_neighbors: int = 10,
    alpha: float = 0.2,
    max_iter: int = 30,
) -> NDArray[np.float64]:
    """Spread known labels to unlabeled items along a k-nearest-neighbour graph.

    Uses scikit-learn's ``LabelSpreading`` (Zhou et al., 2004) with the ``knn``
    kernel, so memory stays ``O(n_items * n_neighbors)``.

    Parameters
    ----------
    X : (n_items, n_features) float array
        Item features (embeddings).
    labels : (n_items,) int array
        Known classes in ``0..k-1`` and ``-1`` for unlabeled items.
    n_classes : int, optional
        Number of classes; by default ``max(labels) + 1``. Classes with no known
        item get a zero column.
    n_neighbors : int, default=10
    alpha : float, default=0.2
        How much a known label may be changed by its neighbours, in ``(0, 1)``.
    max_iter : int, default=30

    Returns
    -------
    (n_items, k) float array
        Posterior per item (rows sum to 1). Known items keep (mostly) their label.

    Raises
    ------
    ConfigError
        A parameter is out of range.
    InputError
        No item is labeled, or shapes disagree.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]])
    >>> post = label_spreading(X, np.array([0, -1, -1, 1, -1, -1]), n_neighbors=3)
    >>> post.argmax(axis=1).tolist()
    [0, 0, 0, 1, 1, 1]
    """
    owner = "label_spreading"
    check_positive(n_neighbors, "n_neighbors", owner, integer=True)
    check_positive(max_iter, "max_iter", owner, integer=True)
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise ConfigError(
            f"The 'alpha' parameter of {owner} must be a float in (0, 1). Got {alpha!r} instead."
        )
    Xa = as_features(X, owner=owner)
    y = np.asarray(labels)
    if y.shape != (Xa.shape[0],) or y.dtype.kind not in "iu":
        raise InputError(
            f"{owner} expects labels as an int array of shape ({Xa.shape[0]},) with -1 for "
            f"unlabeled items. Got dtype {y.dtype} and shape {y.shape} instead."
        )
    known = y >= 0
    if not np.any(known):
        raise InputError(f"{owner} needs at least one labeled item. Got only -1 labels.")
    if y.min() < -1:
        raise InputError(f"{owner} expects labels >= -1. Got {int(y.min())} instead.")
    k = int(y.max()) + 1 if n_classes is None else int(n_classes)
    if y.max() >= k:
        raise InputError(
            f"{owner} expects labels in 0..{k - 1} (n_classes={k}). Got {int(y.max())} instead."
        )
    model = LabelSpreading(
        kernel="knn",
        n_neighbors=min(n_neighbors, Xa.shape[0] - 1) or 1,
        alpha=alpha,
        max_iter=max_iter,
    )
    model.fit(Xa, y)
    dist = np.asarray(model.label_distributions_, dtype=np.float64)
    out = np.zeros((Xa.shape[0], k))
    out[:, np.asarray(model.classes_, dtype=np.int64)] = dist
    sums = out.sum(axis=1, keepdims=True)
    empty = sums[:, 0] <= 0
    out[empty] = 1.0 / k
    sums[empty] = 1.0
    return np.asarray(out / sums)
