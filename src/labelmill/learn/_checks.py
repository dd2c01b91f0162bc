"""Input checks shared by the learners (private)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.exceptions import DataConversionWarning
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import validate_data

from labelmill.exceptions import InputError
from labelmill.exceptions import NotFittedError as LabelmillNotFittedError

__all__ = [
    "EstimatorNotFittedError",
    "FeatureTypeError",
    "as_features",
    "as_probabilities",
    "as_targets",
    "as_true_labels",
    "as_weights",
    "check_is_fitted",
    "check_feature_names",
    "encode_targets",
]

_ROW_SUM_TOL = 1e-4


class EstimatorNotFittedError(LabelmillNotFittedError, SklearnNotFittedError):
    """Not fitted yet: labelmill's ``NotFittedError`` and scikit-learn's at once.

    Raised by the estimators of :mod:`labelmill.learn`, so that ``except`` clauses
    written for either library catch it (scikit-learn's meta-estimators and checks look
    for theirs). It is not the base of ``labelmill.exceptions.NotFittedError`` itself
    because importing scikit-learn from ``labelmill.exceptions`` would add about two
    seconds to every CLI start.
    """


class FeatureTypeError(InputError, TypeError):
    """X holds values that are not numbers (an :class:`InputError` and a ``TypeError``)."""


def check_is_fitted(estimator: Any, attribute: str, method: str) -> None:
    """Raise :class:`EstimatorNotFittedError` unless ``estimator`` has ``attribute``."""
    if not hasattr(estimator, attribute):
        raise EstimatorNotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
            f"appropriate arguments before using '{method}'."
        )


def check_feature_names(estimator: Any, X: Any, *, reset: bool) -> None:
    """Set (``reset``) or check ``n_features_in_`` and ``feature_names_in_`` from ``X``.

    scikit-learn's own bookkeeping (``validate_data`` without re-validating the array,
    which :func:`as_features` already did); its ``ValueError`` becomes an InputError.
    """
    try:
        validate_data(estimator, X, reset=reset, skip_check_array=True)
    except ValueError as exc:
        raise InputError(f"{type(estimator).__name__}: {exc}") from None


def as_features(X: Any, *, owner: str, accept_sparse: bool = False) -> Any:
    """Return ``X`` as a finite 2-D float array (float32 kept, anything else float64).

    With ``accept_sparse``, a scipy sparse matrix or array comes back as CSR (its stored
    values checked the same way); otherwise sparse input is refused with a clear message.
    """
    if sp.issparse(X):
        if not accept_sparse:
            raise InputError(
                f"{owner} does not accept sparse X. Got a {type(X).__name__}; pass a dense "
                "array instead (X.toarray()) if it fits in memory."
            )
        Xs = X.tocsr()
        _check_shape(Xs.shape, owner)
        if Xs.dtype.kind == "c":
            raise InputError(f"{owner}: Complex data not supported in X. Got dtype {Xs.dtype}.")
        if Xs.dtype != np.float32:
            Xs = Xs.astype(np.float64)
        if not np.all(np.isfinite(Xs.data)):
            raise InputError(
                f"{owner} expects finite features in X. Got NaN or infinity in the sparse "
                "matrix; impute or drop them first."
            )
        return Xs
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise InputError(
            f"{owner} expects X as a 2-D array (n_items, n_features). Got an array of shape "
            f"{arr.shape} instead. Reshape your data (X.reshape(-1, 1) for a single feature, "
            "X.reshape(1, -1) for a single item) or featurize the items first."
        )
    _check_shape(arr.shape, owner)
    if arr.dtype.kind == "c":
        raise InputError(f"{owner}: Complex data not supported in X. Got dtype {arr.dtype}.")
    if arr.dtype != np.float32:
        try:
            arr = arr.astype(np.float64)
        except TypeError as exc:
            raise FeatureTypeError(
                f"{owner} expects numeric features in X. Got dtype {arr.dtype} holding a "
                f"value that is not a number ({exc}); encode or drop such columns."
            ) from None
        except ValueError as exc:
            raise InputError(
                f"{owner} expects numeric features in X. Got dtype {arr.dtype} instead "
                f"({exc}); encode text columns first (e.g. CountVectorizer)."
            ) from None
    if not np.all(np.isfinite(arr)):
        raise InputError(
            f"{owner} expects finite features in X. Got NaN or infinity in "
            f"{int(np.sum(~np.isfinite(arr).all(axis=1)))} rows; impute or drop them first."
        )
    return arr


def _check_shape(shape: tuple[int, ...], owner: str) -> None:
    if shape[0] == 0:
        raise InputError(f"{owner} expects at least one item in X. Got 0 rows instead.")
    if shape[1] == 0:
        raise InputError(
            f"{owner} expects at least one feature in X: found 0 feature(s) "
            f"(shape=({shape[0]}, 0)) while a minimum of 1 is required."
        )


def encode_targets(
    y: Any, n_items: int, n_classes: int | None, *, owner: str
) -> tuple[NDArray[np.float64], NDArray[Any]]:
    """Targets as an ``(n_items, k)`` probability matrix, and the classes its columns mean.

    ``y`` is either hard labels ``(n_items,)`` of any label set scikit-learn accepts
    (ints, strings, bools; the classes are the sorted distinct labels), or, when
    ``n_classes`` is given, class indices ``0..n_classes-1``; or soft labels
    ``(n_items, k)`` whose rows are probability vectors (classes ``0..k-1``). A column
    vector ``(n_items, 1)`` is read as hard labels, with scikit-learn's
    ``DataConversionWarning``.
    """
    if y is None:
        raise InputError(
            f"{owner} requires y to be passed, but the target y is None. Pass hard labels "
            f"({n_items},) or soft labels ({n_items}, n_classes)."
        )
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the "
            "shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        arr = arr.ravel()
    if arr.ndim == 2:
        T = as_targets(arr, n_items, n_classes, owner=owner)
        return T, np.arange(T.shape[1])
    if arr.ndim != 1 or arr.shape[0] != n_items:
        return as_targets(arr, n_items, n_classes, owner=owner), np.arange(0)  # raises
    if n_classes is not None:
        T = as_targets(arr, n_items, n_classes, owner=owner)
        return T, np.arange(T.shape[1])
    if arr.dtype.kind == "c":
        raise InputError(f"{owner}: Complex data not supported in y. Got dtype {arr.dtype}.")
    kind = type_of_target(arr)
    if kind not in ("binary", "multiclass"):
        hint = (
            "; pass soft labels as an (n_items, n_classes) matrix instead"
            if kind == "continuous"
            else ""
        )
        raise InputError(f"{owner} expects class labels in y. Unknown label type: {kind!r}{hint}.")
    try:
        classes, index = np.unique(arr, return_inverse=True)
    except TypeError:
        raise InputError(
            f"{owner} expects class labels of one type in y. Unknown label type: a mix of "
            "strings and numbers; convert them to one type."
        ) from None
    T = np.zeros((n_items, classes.size), dtype=np.float64)
    T[np.arange(n_items), index.ravel()] = 1.0
    return T, classes


def as_targets(Y: Any, n_items: int, n_classes: int | None, *, owner: str) -> NDArray[np.float64]:
    """Return targets as an ``(n_items, k)`` matrix of class probabilities.

    ``Y`` is either hard labels ``(n_items,)`` in ``0..k-1`` or soft labels
    ``(n_items, k)`` whose rows are probability vectors.
    """
    arr = np.asarray(Y)
    if arr.ndim not in (1, 2) or arr.shape[0] != n_items:
        raise InputError(
            f"{owner} expects y as hard labels of shape ({n_items},) or soft labels of shape "
            f"({n_items}, n_classes). Got an array of shape {arr.shape} instead."
        )
    if arr.ndim == 1:
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise InputError(
                    f"{owner} expects hard labels as integers 0..k-1 when n_classes is given. "
                    f"Got dtype {arr.dtype} instead; map class names to indices, or leave "
                    "n_classes unset to use the labels as they are."
                )
        if arr.min() < 0:
            raise InputError(
                f"{owner} expects hard labels in 0..k-1. Got {int(arr.min())} instead; drop "
                "unlabeled (-1) items or use label_spreading for them."
            )
        k = int(arr.max()) + 1 if n_classes is None else n_classes
        if arr.max() >= k:
            raise InputError(
                f"{owner} expects hard labels in 0..{k - 1} (n_classes={k}). "
                f"Got {int(arr.max())} instead."
            )
        out = np.zeros((n_items, k), dtype=np.float64)
        out[np.arange(n_items), arr] = 1.0
        return out
    arr = arr.astype(np.float64)
    k = arr.shape[1]
    if n_classes is not None and k != n_classes:
        raise InputError(
            f"{owner} expects soft labels with n_classes={n_classes} columns. "
            f"Got {k} columns instead."
        )
    if k < 1 or not np.all(np.isfinite(arr)) or arr.min() < 0:
        raise InputError(
            f"{owner} expects soft labels as non-negative finite probabilities. "
            "Got negative, NaN or infinite values instead."
        )
    sums = arr.sum(axis=1)
    bad = np.abs(sums - 1.0) > _ROW_SUM_TOL
    if np.any(bad):
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{owner} expects soft-label rows that sum to 1. Row {first} sums to "
            f"{sums[first]:.6g} ({int(bad.sum())} rows are off); normalize the posteriors."
        )
    return np.asarray(arr / sums[:, None], dtype=np.float64)


def as_weights(sample_weight: Any, n_items: int, *, owner: str) -> NDArray[np.float64]:
    """Return sample weights as a non-negative float vector (ones when ``None``)."""
    if sample_weight is None:
        return np.ones(n_items, dtype=np.float64)
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n_items,):
        raise InputError(
            f"{owner} expects sample_weight of shape ({n_items},). Got {w.shape} instead."
        )
    if not np.all(np.isfinite(w)) or w.min() < 0 or w.sum() <= 0:
        raise InputError(
            f"{owner} expects finite, non-negative sample_weight with a positive sum. "
            "Got negative, NaN or all-zero weights instead."
        )
    return w


def as_probabilities(
    proba: Any, *, owner: str, n_classes: int | None = None
) -> NDArray[np.float64]:
    """Return ``proba`` as an ``(n_items, k)`` float array of probability rows."""
    if sp.issparse(proba):
        raise InputError(
            f"{owner} expects dense probabilities; sparse input is not supported. Got a "
            f"{type(proba).__name__}; pass proba.toarray()."
        )
    raw = np.asarray(proba)
    if raw.dtype.kind == "c":
        raise InputError(f"{owner}: Complex data not supported. Got dtype {raw.dtype}.")
    try:
        arr = raw.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise FeatureTypeError(
            f"{owner} expects probabilities as numbers. Got dtype {raw.dtype} ({exc})."
        ) from None
    if arr.ndim == 1:
        # binary top-class-free shortcut: a vector of P(class 1)
        arr = np.column_stack([1.0 - arr, arr])
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] < 2:
        found = (
            f"found {arr.shape[1]} feature(s) (shape=({arr.shape[0]}, {arr.shape[1]})) while "
            "a minimum of 2 is required"
            if arr.ndim == 2 and arr.shape[0] > 0
            else f"got an array of shape {arr.shape}"
        )
        raise InputError(
            f"{owner} expects probabilities of shape (n_items, n_classes) with n_classes >= 2: "
            f"{found}. Pass one column per class (or, for two classes, a vector of P(class 1))."
        )
    if n_classes is not None and arr.shape[1] != n_classes:
        raise InputError(
            f"{owner} was fitted on {n_classes} classes. Got probabilities with "
            f"{arr.shape[1]} columns instead."
        )
    if not np.all(np.isfinite(arr)):
        raise InputError(
            f"{owner} expects non-negative finite probabilities. Got NaN or infinite "
            "values instead."
        )
    if arr.min() < 0:
        raise InputError(
            f"Negative values in data passed to {owner}: it expects non-negative finite "
            f"probabilities. Got a minimum of {arr.min():.6g} instead (logits? apply softmax)."
        )
    sums = arr.sum(axis=1)
    if np.any(np.abs(sums - 1.0) > _ROW_SUM_TOL):
        raise InputError(
            f"{owner} expects probability rows that sum to 1. Got rows summing to values "
            f"between {sums.min():.6g} and {sums.max():.6g} instead."
        )
    return np.asarray(arr / sums[:, None], dtype=np.float64)


def as_true_labels(y: Any, n_items: int, n_classes: int, *, owner: str) -> NDArray[np.int64]:
    """Return true labels as an int vector in ``0..n_classes-1``."""
    arr = np.asarray(y)
    if arr.shape != (n_items,):
        raise InputError(
            f"{owner} expects y_true of shape ({n_items},), one label per row of the "
            f"probabilities. Got {arr.shape} instead."
        )
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise InputError(
                f"{owner} expects integer class labels in y_true. Got dtype {arr.dtype} instead."
            )
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise InputError(
            f"{owner} expects labels in 0..{n_classes - 1}. Got values from {int(arr.min())} "
            f"to {int(arr.max())} instead."
        )
    return arr.astype(np.int64)
