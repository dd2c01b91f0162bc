"""The featurizer interface shared by text, image and tabular featurizers (private).

A featurizer turns payloads (text -> ``str``, image -> file path ``str``, tabular ->
``dict`` of column -> value or a DataFrame row) into a float32 matrix ``(n, d)``.

Failures are per item, never per batch: :meth:`Featurizer.transform_partial` returns a
:class:`FeatureBatch` whose ``failed`` mask and ``reasons`` say which items could not be
featurized and why (their rows in ``X`` are zeros); :meth:`Featurizer.transform` is the
strict variant that raises :class:`~labelmill.exceptions.InputError` naming the failing
positions.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator

from labelmill.exceptions import InputError, NotFittedError

__all__ = ["FeatureBatch", "Featurizer", "as_payload_list", "digest"]

_MAX_REASONS_IN_MESSAGE = 5


class FeatureBatch(NamedTuple):
    """Features of a batch of payloads, with the items that failed.

    Attributes
    ----------
    X : (n_items, n_features) float32 array
        One row per payload, in input order; rows of failed items are zeros.
    failed : (n_items,) bool array
        True where the payload could not be featurized.
    reasons : dict of int -> str
        Position (0-based, in the input) -> why that item failed.
    """

    X: NDArray[np.float32]
    failed: NDArray[np.bool_]
    reasons: dict[int, str]


def digest(*parts: Any) -> str:
    """Return a short stable hex digest of JSON-serializable ``parts`` (for versions)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


def as_payload_list(payloads: Any, *, owner: str) -> list[Any]:
    """Return ``payloads`` as a list; a DataFrame becomes a list of row dicts."""
    import pandas as pd

    if isinstance(payloads, pd.DataFrame):
        return payloads.to_dict(orient="records")
    if isinstance(payloads, pd.Series):
        return payloads.tolist()
    if isinstance(payloads, (str, bytes, dict)):
        raise InputError(
            f"{owner} expects a sequence of payloads (one per item). Got a single "
            f"{type(payloads).__name__} instead; wrap it in a list."
        )
    if isinstance(payloads, np.ndarray):
        return payloads.tolist()
    if not isinstance(payloads, Sequence):
        try:
            return list(payloads)
        except TypeError as exc:
            raise InputError(
                f"{owner} expects a sequence of payloads. Got {type(payloads).__name__} instead."
            ) from exc
    return list(payloads)


def failure_message(owner: str, n_items: int, reasons: dict[int, str]) -> str:
    """Build the message of the error raised by the strict ``transform``."""
    shown = "; ".join(
        f"item {pos}: {why}" for pos, why in sorted(reasons.items())[:_MAX_REASONS_IN_MESSAGE]
    )
    more = len(reasons) - _MAX_REASONS_IN_MESSAGE
    tail = f"; and {more} more" if more > 0 else ""
    return (
        f"{owner} could not featurize {len(reasons)} of {n_items} items ({shown}{tail}). "
        "Fix or drop these items, or call transform_partial to get a failure mask instead."
    )


class Featurizer(BaseEstimator, ABC):  # type: ignore[misc]
    """Base class of every featurizer.

    Subclasses implement :meth:`_featurize` (and :meth:`_fit` when they learn something),
    and :meth:`_version_parts`. ``__init__`` only stores keyword arguments.

    Attributes
    ----------
    name : str
        Short name of the featurizer family (``"text-minilm"``, ``"image-pixels"``...).
    requires_fit : bool
        True when :meth:`fit` learns state that :meth:`transform` needs.
    """

    name: str = "featurizer"
    requires_fit: bool = False

    # ----------------------------------------------------------------- public API
    @property
    def version(self) -> str:
        """A string that changes whenever the output of :meth:`transform` would change.

        It names the featurizer, its parameters, its model identity and, for featurizers
        that learn (tabular, PCA), a digest of the learned state. It is the key under
        which :class:`~labelmill.features.FeatureCache` stores vectors.
        """
        if self.requires_fit and not self._is_fitted():
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet, so it has no "
                "version. Call 'fit' with the payloads before using 'version'."
            )
        return f"{self.name}:{digest(self._version_parts())}"

    def fit(self, payloads: Any, y: Any = None) -> Featurizer:
        """Learn what the featurizer needs from ``payloads`` (no-op for pretrained ones).

        Parameters
        ----------
        payloads : sequence of payloads or DataFrame
            The items to learn from. Items that cannot be read are skipped.
        y : ignored
            Present for scikit-learn pipeline compatibility.

        Returns
        -------
        self : Featurizer
        """
        self._check_params()
        items = as_payload_list(payloads, owner=type(self).__name__)
        self._fit(items)
        self.fitted_ = True
        return self

    def transform(self, payloads: Any) -> NDArray[np.float32]:
        """Featurize ``payloads``; raise if any item fails.

        Parameters
        ----------
        payloads : sequence of payloads or DataFrame

        Returns
        -------
        X : (n_items, n_features) float32 array

        Raises
        ------
        InputError
            If any item cannot be featurized; the message lists positions and reasons.
        """
        batch = self.transform_partial(payloads)
        if batch.reasons:
            raise InputError(failure_message(type(self).__name__, len(batch.failed), batch.reasons))
        return batch.X

    def transform_partial(self, payloads: Any) -> FeatureBatch:
        """Featurize ``payloads``, reporting items that fail instead of raising.

        Parameters
        ----------
        payloads : sequence of payloads or DataFrame

        Returns
        -------
        FeatureBatch
            ``X`` (failed rows are zeros), ``failed`` mask and ``reasons`` by position.
        """
        self._check_params()
        if self.requires_fit and not self._is_fitted():
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using 'transform'."
            )
        items = as_payload_list(payloads, owner=type(self).__name__)
        if not items:
            return FeatureBatch(
                np.zeros((0, self._n_features_or_zero()), dtype=np.float32),
                np.zeros(0, dtype=bool),
                {},
            )
        X, reasons = self._featurize(items)
        X = np.ascontiguousarray(X, dtype=np.float32)
        failed = np.zeros(len(items), dtype=bool)
        if reasons:
            failed[list(reasons)] = True
            X[failed] = 0.0
        bad = ~np.isfinite(X).all(axis=1) & ~failed
        for pos in np.flatnonzero(bad):
            reasons[int(pos)] = "the features contain NaN or infinity"
        if bad.any():
            failed |= bad
            X[bad] = 0.0
        return FeatureBatch(X, failed, reasons)

    def fit_transform(self, payloads: Any, y: Any = None) -> NDArray[np.float32]:
        """Fit on ``payloads``, then return ``transform(payloads)``."""
        return self.fit(payloads).transform(payloads)

    # ------------------------------------------------------------ for subclasses
    def _check_params(self) -> None:
        """Validate constructor parameters; raise ConfigError."""

    def _fit(self, items: list[Any]) -> None:
        """Learn state from ``items`` (default: nothing)."""

    def _is_fitted(self) -> bool:
        return bool(getattr(self, "fitted_", False))

    def _n_features_or_zero(self) -> int:
        return 0

    @abstractmethod
    def _featurize(self, items: list[Any]) -> tuple[NDArray[Any], dict[int, str]]:
        """Return ``(X, reasons)`` for a non-empty list of payloads."""

    @abstractmethod
    def _version_parts(self) -> Any:
        """JSON-serializable description of everything that determines the output."""
