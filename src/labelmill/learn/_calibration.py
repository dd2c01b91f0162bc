"""Calibration: make the end model's confidence mean what it says.

A confidence of 0.9 should be right 9 times in 10. Calibrators are fitted on
held-out labeled items (never on the items the model was trained on) and map
probabilities to probabilities. Both calibrators here are monotone in the top
confidence, so they never change which items lie above a confidence threshold
relative to each other, only the numbers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.isotonic import IsotonicRegression

from labelmill.exceptions import ConfigError, InputError
from labelmill.learn._checks import (
    as_probabilities,
    as_true_labels,
    check_feature_names,
    check_is_fitted,
)

__all__ = [
    "CalibrationReport",
    "IsotonicCalibrator",
    "TemperatureScaler",
    "calibration_report",
    "expected_calibration_error",
]

_EPS = 1e-12


def expected_calibration_error(y_true: Any, proba: Any, *, n_bins: int = 15) -> float:
    """Top-label expected calibration error (ECE).

    Items are binned by their top confidence into ``n_bins`` equal-width bins of
    ``[0, 1]``; ECE is the item-weighted mean over bins of
    ``|accuracy(bin) - mean confidence(bin)|`` (Guo et al., 2017).

    Parameters
    ----------
    y_true : (n_items,) int array
        True classes.
    proba : (n_items, k) float array
        Predicted probabilities.
    n_bins : int, default=15
        Number of equal-width confidence bins.

    Returns
    -------
    float
        ECE in ``[0, 1]``; 0 is perfectly calibrated.

    Raises
    ------
    ConfigError
        ``n_bins`` is not a positive int.
    InputError
        ``proba`` or ``y_true`` have the wrong shape or values.

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8], [0.2, 0.8]])
    >>> round(expected_calibration_error(np.array([0, 1, 1, 1]), proba, n_bins=10), 3)
    0.3
    """
    if not isinstance(n_bins, int | np.integer) or isinstance(n_bins, bool) or n_bins < 1:
        raise ConfigError(
            "The 'n_bins' parameter of expected_calibration_error must be a positive int. "
            f"Got {n_bins!r} instead."
        )
    p = as_probabilities(proba, owner="expected_calibration_error")
    y = as_true_labels(y_true, p.shape[0], p.shape[1], owner="expected_calibration_error")
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    bins = np.minimum((conf * n_bins).astype(np.int64), n_bins - 1)
    gap = np.bincount(bins, weights=correct - conf, minlength=n_bins)
    return float(np.sum(np.abs(gap)) / len(y))


def _negative_log_likelihood(y: NDArray[np.int64], proba: NDArray[np.float64]) -> float:
    return float(-np.mean(np.log(np.clip(proba[np.arange(len(y)), y], _EPS, 1.0))))


class _Calibrator(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """What both calibrators share: scikit-learn's transformer API over probability rows.

    ``fit(X, y)`` learns from held-out probabilities ``X`` ``(n_items, k)`` (or a vector
    of P(class 1) for two classes) and their true classes ``y`` (ints ``0..k-1``);
    ``transform(X)`` returns calibrated probabilities of the same shape. ``fit_transform``,
    ``set_output`` and ``get_feature_names_out`` come from scikit-learn's mixins.
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.positive_only = True
        return tags

    def fit(self, X: Any = None, y: Any = None, **aliases: Any) -> Any:
        """Fit on held-out probabilities and their true classes; returns ``self``.

        Parameters
        ----------
        X : (n_items, k) float array
            The model's probabilities on held-out labeled items (for temperature
            scaling, ``softmax`` of its logits does as well).
        y : (n_items,) int array
            True classes of those items, ``0..k-1``.
        **aliases
            ``proba=`` and ``y_true=``, the names of ``X`` and ``y`` before scikit-learn
            compatibility: still accepted, with a FutureWarning.

        Returns
        -------
        self

        Raises
        ------
        ConfigError
            A parameter is invalid, or an argument was passed twice or is unknown.
        InputError
            ``X`` is not probability rows, or ``y`` does not match it.
        """
        X, y = _renamed(type(self).__name__, X, y, aliases)
        owner = type(self).__name__
        if X is None:
            raise InputError(f"{owner}.fit needs X, the held-out probabilities (n_items, k).")
        if y is None:
            raise InputError(
                f"{owner} requires y to be passed, but the target y is None. Pass the true "
                "classes of the held-out items."
            )
        p = as_probabilities(X, owner=owner)
        labels = as_true_labels(y, p.shape[0], p.shape[1], owner=owner)
        self._fit(p, labels)
        self.n_classes_ = p.shape[1]
        check_feature_names(self, X if np.ndim(X) == 2 else p, reset=True)
        return self

    def _fit(self, p: NDArray[np.float64], y: NDArray[np.int64]) -> None:  # pragma: no cover
        raise NotImplementedError

    def transform(self, X: Any) -> NDArray[np.float64]:
        """Calibrated probabilities, ``(n_items, k)`` rows summing to 1."""
        check_is_fitted(self, "n_classes_", "transform")
        p = as_probabilities(X, owner=type(self).__name__, n_classes=self.n_classes_)
        check_feature_names(self, X if np.ndim(X) == 2 else p, reset=False)
        return self._transform(p)

    def _transform(self, p: NDArray[np.float64]) -> NDArray[np.float64]:  # pragma: no cover
        raise NotImplementedError

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Alias of :meth:`transform` (calibrated probabilities, always a numpy array)."""
        check_is_fitted(self, "n_classes_", "predict_proba")
        p = as_probabilities(X, owner=type(self).__name__, n_classes=self.n_classes_)
        check_feature_names(self, X if np.ndim(X) == 2 else p, reset=False)
        return self._transform(p)


def _renamed(owner: str, X: Any, y: Any, aliases: dict[str, Any]) -> tuple[Any, Any]:
    """Map ``fit``'s former argument names ``proba`` / ``y_true`` onto ``X`` / ``y``."""
    for old, value in aliases.items():
        if old not in ("proba", "y_true"):
            raise ConfigError(
                f"{owner}.fit got an unexpected argument {old!r}; its arguments are X and y."
            )
        new = "X" if old == "proba" else "y"
        if (X if new == "X" else y) is not None:
            raise ConfigError(
                f"{owner}.fit got both {new} and {old}; {old} is the former name of {new}, "
                f"pass {new} only."
            )
        warnings.warn(
            f"The '{old}' argument of {owner}.fit is deprecated; pass it as {new}.",
            FutureWarning,
            stacklevel=3,
        )
        if new == "X":
            X = value
        else:
            y = value
    return X, y


class TemperatureScaler(_Calibrator):
    """Temperature scaling (Guo et al., 2017): ``softmax(log p / T)``.

    One parameter, fitted by minimising the negative log-likelihood of held-out
    labeled items. ``T > 1`` softens an overconfident model, ``T < 1`` sharpens an
    underconfident one. The predicted class never changes. A scikit-learn transformer
    over probability rows (``fit(X, y)``, ``transform(X)``, ``fit_transform``).

    Parameters
    ----------
    bounds : tuple of float, default=(0.05, 20.0)
        Search interval for the temperature.

    Attributes
    ----------
    temperature_ : float
    n_classes_ : int
    n_features_in_ : int
        Equal to ``n_classes_`` (one input column per class).

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.99, 0.01], [0.99, 0.01], [0.01, 0.99], [0.01, 0.99]])
    >>> scaler = TemperatureScaler().fit(proba, np.array([0, 1, 1, 0]))
    >>> scaler.temperature_ > 1
    True
    """

    def __init__(self, bounds: tuple[float, float] = (0.05, 20.0)) -> None:
        self.bounds = bounds

    def _fit(self, p: NDArray[np.float64], y: NDArray[np.int64]) -> None:
        owner = type(self).__name__
        b = self.bounds
        if not (isinstance(b, tuple | list) and len(b) == 2 and 0 < float(b[0]) < float(b[1])):
            raise ConfigError(
                f"The 'bounds' parameter of {owner} must be a pair (low, high) with "
                f"0 < low < high. Got {b!r} instead."
            )
        logp = np.log(np.clip(p, _EPS, 1.0))
        rows = np.arange(len(y))

        def nll(log_t: float) -> float:
            scaled = log_softmax(logp / np.exp(log_t), axis=1)
            return float(-np.mean(scaled[rows, y]))

        res = minimize_scalar(
            nll, bounds=(np.log(float(b[0])), np.log(float(b[1]))), method="bounded"
        )
        self.temperature_ = float(np.exp(res.x))

    def _transform(self, p: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(softmax(np.log(np.clip(p, _EPS, 1.0)) / self.temperature_, axis=1))


class IsotonicCalibrator(_Calibrator):
    """Isotonic regression of correctness on the top confidence.

    Fits ``P(top class is right | top confidence)`` as a non-decreasing step
    function (Zadrozny and Elkan, 2002), for any number of classes. The new top
    confidence replaces the old one; the remaining mass is shared among the
    other classes in proportion to their original probabilities. The calibrated
    top confidence is floored so that the predicted class never changes. A
    scikit-learn transformer over probability rows (``fit(X, y)``, ``transform(X)``).

    Attributes
    ----------
    isotonic_ : sklearn.isotonic.IsotonicRegression
    n_classes_ : int
    n_features_in_ : int
        Equal to ``n_classes_`` (one input column per class).

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    >>> cal = IsotonicCalibrator().fit(proba, np.array([0, 1, 1, 1]))
    >>> cal.transform(proba).sum(axis=1).round(6).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """

    def _fit(self, p: NDArray[np.float64], y: NDArray[np.int64]) -> None:
        conf = p.max(axis=1)
        correct = (p.argmax(axis=1) == y).astype(np.float64)
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
        iso.fit(conf, correct)
        self.isotonic_ = iso

    def _transform(self, p: NDArray[np.float64]) -> NDArray[np.float64]:
        n = p.shape[0]
        top = p.argmax(axis=1)
        rows = np.arange(n)
        p1 = p[rows, top]
        second = np.partition(p, -2, axis=1)[:, -2]
        new_top = np.asarray(self.isotonic_.predict(p1), dtype=np.float64)
        # floor: after rescaling the others by (1-c)/(1-p1), the runner-up stays <= c
        # (a hair above, so that a tie cannot flip argmax to a lower index)
        floor = second / np.maximum(1.0 - p1 + second, _EPS) + 1e-9
        new_top = np.clip(np.maximum(new_top, floor), 0.0, 1.0)
        rest = 1.0 - p1
        out = np.where(
            rest[:, None] > _EPS,
            p * ((1.0 - new_top) / np.maximum(rest, _EPS))[:, None],
            (1.0 - new_top)[:, None] / max(p.shape[1] - 1, 1),
        )
        out[rows, top] = new_top
        return np.asarray(out / out.sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class CalibrationReport:
    """Calibration of one set of labeled items before and after a calibrator.

    Attributes
    ----------
    n_items : int
    ece_before, ece_after : float
        Top-label expected calibration error.
    nll_before, nll_after : float
        Negative log-likelihood of the true class.
    """

    n_items: int
    ece_before: float
    ece_after: float
    nll_before: float
    nll_after: float


def calibration_report(
    y_true: Any, proba_before: Any, proba_after: Any, *, n_bins: int = 15
) -> CalibrationReport:
    """Compare calibration before and after, on items the calibrator did not see.

    Parameters
    ----------
    y_true : (n_items,) int array
    proba_before, proba_after : (n_items, k) float arrays
    n_bins : int, default=15

    Returns
    -------
    CalibrationReport

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.9, 0.1], [0.2, 0.8]])
    >>> round(calibration_report(np.array([0, 1]), p, p).ece_before, 6)
    0.15
    """
    before = as_probabilities(proba_before, owner="calibration_report")
    after = as_probabilities(proba_after, owner="calibration_report")
    y = as_true_labels(y_true, before.shape[0], before.shape[1], owner="calibration_report")
    as_true_labels(y, after.shape[0], after.shape[1], owner="calibration_report")
    return CalibrationReport(
        n_items=len(y),
        ece_before=expected_calibration_error(y, before, n_bins=n_bins),
        ece_after=expected_calibration_error(y, after, n_bins=n_bins),
        nll_before=_negative_log_likelihood(y, before),
        nll_after=_negative_log_likelihood(y, after),
    )
