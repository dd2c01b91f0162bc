"""Out-of-sample predicted probabilities by K-fold cross-validation.

Label-issue detection needs, for every item, the probabilities of a model that did
not see that item's label: otherwise the model memorises wrong labels and vouches for
them. :func:`cross_val_pred_probs` fits one fresh estimator per fold (from a factory)
and predicts the held-out fold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality._validation import check_labels
from labelmill.utils._validation import check_positive, check_random_state

__all__ = ["cross_val_pred_probs", "stratified_folds"]


def stratified_folds(labels: Any, *, n_folds: int = 5, random_state: Any = None) -> NDArray[Any]:
    """Assign every item to one of ``n_folds`` folds, spreading each class evenly.

    Within each class the items are shuffled and dealt to the folds in turn, starting
    where the previous class stopped, so fold sizes differ by at most one and every
    class with at least ``n_folds`` items appears in every fold.

    Parameters
    ----------
    labels : (n_items,) int array
    n_folds : int, default=5
    random_state : int, numpy Generator or None

    Returns
    -------
    (n_items,) int array
        Fold of each item, in ``0..n_folds-1``.

    Examples
    --------
    >>> stratified_folds([0, 0, 1, 1, 1, 0], n_folds=2, random_state=0).tolist()
    [1, 0, 1, 0, 1, 0]
    """
    n_folds = check_positive(n_folds, "n_folds", "stratified_folds", integer=True)
    y = np.asarray(labels)
    rng = check_random_state(random_state, owner="stratified_folds")
    fold = np.empty(y.shape[0], dtype=np.int64)
    offset = 0
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        fold[members] = (offset + np.arange(members.size)) % n_folds
        offset = (offset + members.size) % n_folds
    return fold


def _rows(X: Any, index: NDArray[Any]) -> Any:
    if hasattr(X, "iloc"):
        return X.iloc[index]
    if isinstance(X, list):
        return [X[i] for i in index]
    return X[index]


def _n_rows(X: Any) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    return len(X)


def cross_val_pred_probs(
    X: Any,
    labels: Any,
    *,
    make_estimator: Callable[[], Any],
    n_classes: int | None = None,
    n_folds: int = 5,
    sample_weight: Any = None,
    random_state: Any = None,
) -> NDArray[np.float64]:
    """Out-of-sample ``pred_probs`` for every item by stratified K-fold cross-validation.

    Each fold is predicted by a fresh estimator from ``make_estimator()`` fitted on the
    other folds, so no item's probabilities come from a model that saw its label. Feed
    the result to :func:`find_label_issues` or :func:`rank_label_issues`.

    Parameters
    ----------
    X : (n_items, n_features) array, sparse matrix, DataFrame or list
        Features, indexed by rows (``.iloc`` for DataFrames).
    labels : (n_items,) int array
        The labels to check, in ``0..k-1`` (imported labels, people's answers, auto
        labels...).
    make_estimator : callable
        ``make_estimator()`` returns a new unfitted estimator with ``fit(X, y)`` (and
        ``sample_weight=`` if ``sample_weight`` is given) and ``predict_proba(X)``. If the
        estimator has ``classes_`` its columns are mapped onto ``0..k-1``; a class absent
        from a training fold gets probability 0.
    n_classes : int, optional
        ``k``; by default ``max(labels) + 1``.
    n_folds : int, default=5
        Number of folds, at least 2 and at most ``n_items``.
    sample_weight : (n_items,) float array, optional
        Passed to ``fit`` for the training rows of each fold.
    random_state : int, numpy Generator or None
        Seeds the fold assignment (see :func:`stratified_folds`).

    Returns
    -------
    (n_items, k) float array
        Rows sum to 1.

    Raises
    ------
    ConfigError
        ``make_estimator`` is not callable, or ``n_folds``/``n_classes`` out of range.
    InputError
        ``labels`` and ``X`` differ in length, labels hold one class only, or the
        estimator returns probabilities of the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.r_[np.zeros((10, 1)), np.ones((10, 1))] + np.linspace(0, 0.1, 20)[:, None]
    >>> y = np.repeat([0, 1], 10)
    >>> P = cross_val_pred_probs(X, y, make_estimator=LogisticRegression, random_state=0)
    >>> P.shape, bool(np.all(P.argmax(1) == y))
    ((20, 2), True)
    """
    owner = "cross_val_pred_probs"
    if not callable(make_estimator):
        raise ConfigError(
            f"The 'make_estimator' parameter of {owner} must be a callable returning a new "
            f"estimator (e.g. a class, or lambda: LogisticRegression()). Got "
            f"{make_estimator!r} instead."
        )
    n_folds = check_positive(n_folds, "n_folds", owner, integer=True)
    n = _n_rows(X)
    raw = np.asarray(labels)
    if raw.ndim != 1 or raw.shape[0] != n:
        raise InputError(
            f"{owner} expects labels of shape ({n},), one per row of X. Got shape {raw.shape} "
            "instead; pass labels and features of the same items in the same order."
        )
    if n_classes is None:
        k = 2 if raw.size == 0 or raw.dtype.kind not in "iuf" else int(np.max(raw)) + 1
    else:
        k = check_positive(n_classes, "n_classes", owner, integer=True)
    y = check_labels(raw, n_classes=max(k, 1), owner=owner, n_items=n)
    if n_folds < 2 or n_folds > n:
        raise ConfigError(
            f"The 'n_folds' parameter of {owner} must be an int in [2, n_items={n}]. "
            f"Got {n_folds!r} instead."
        )
    present = np.unique(y)
    if present.size < 2:
        raise InputError(
            f"{owner} needs labels of at least 2 classes. Got only class {int(present[0])}; "
            "a model cannot learn from one class, so label some items of the other classes "
            "first."
        )
    w = None
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.shape != (n,):
            raise InputError(
                f"{owner} expects sample_weight of shape ({n},). Got {w.shape} instead."
            )
    folds = stratified_folds(y, n_folds=n_folds, random_state=random_state)
    out = np.zeros((n, k), dtype=np.float64)
    for f in range(n_folds):
        test = np.flatnonzero(folds == f)
        train = np.flatnonzero(folds != f)
        if test.size == 0:
            continue
        if np.unique(y[train]).size < 2:
            raise InputError(
                f"{owner}: fold {f} leaves a single class to train on. Got too few items of "
                "the other classes for n_folds={n_folds}; use fewer folds or label more items."
            )
        model = make_estimator()
        if w is None:
            model.fit(_rows(X, train), y[train])
        else:
            model.fit(_rows(X, train), y[train], sample_weight=w[train])
        proba = np.asarray(model.predict_proba(_rows(X, test)), dtype=np.float64)
        classes = getattr(model, "classes_", None)
        columns = np.arange(k) if classes is None else np.asarray(classes).astype(np.int64)
        if proba.shape != (test.size, columns.size):
            raise InputError(
                f"{owner} expects predict_proba to return ({test.size}, {columns.size}) for "
                f"fold {f}. Got {proba.shape} instead; the estimator must return one column "
                "per class it was fitted on."
            )
        out[np.ix_(test, columns)] = proba
    sums = out.sum(axis=1, keepdims=True)
    if np.any(~np.isfinite(sums)) or np.any(sums <= 0):
        raise InputError(
            f"{owner} expects predict_proba to return probabilities. Got rows that sum to 0 "
            "or are not finite; check the estimator."
        )
    return np.asarray(out / np.maximum(sums, 1e-300))
