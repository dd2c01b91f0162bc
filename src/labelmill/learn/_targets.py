"""Assemble the end model's training rows from posteriors and human labels."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import ConfigError, InputError
from labelmill.learn._checks import as_probabilities

__all__ = ["training_targets"]


def training_targets(
    posteriors: Any,
    human_labels: Any = None,
    *,
    covered: Any = None,
    exclude: Any = None,
    human_weight: float = 5.0,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Rows, targets and weights for ``EndModel.fit`` (people outrank the rules).

    Parameters
    ----------
    posteriors : (n_items, k) float array
        The aggregator's posterior per item (rows sum to 1).
    human_labels : (n_items,) int array, optional
        A person's (or gold) class per item, ``-1`` where there is none. Such rows
        become one-hot targets with weight ``human_weight``.
    covered : (n_items,) bool array, optional
        Items with at least one non-abstain vote; the posterior of an uncovered
        item is only the prior, so it is not trained on (unless a person labeled it).
    exclude : (n_items,) bool array, optional
        Items never to train on: the audit sample (it certifies the threshold).
    human_weight : float, default=5.0
        Weight of a human row; posterior rows weigh 1.

    Returns
    -------
    rows : (n_rows,) int array
        Positions of the training items (index ``X`` with it).
    Y : (n_rows, k) float array
        Targets: posteriors, or one-hot rows for human labels.
    sample_weight : (n_rows,) float array

    Raises
    ------
    ConfigError
        ``human_weight`` is not positive.
    InputError
        Shapes disagree or labels are out of range.

    Examples
    --------
    >>> import numpy as np
    >>> post = np.array([[0.7, 0.3], [0.5, 0.5], [0.2, 0.8]])
    >>> rows, Y, w = training_targets(post, [-1, 1, -1], covered=[True, False, True],
    ...                               exclude=[False, False, True])
    >>> rows.tolist(), Y.tolist(), w.tolist()
    ([0, 1], [[0.7, 0.3], [0.0, 1.0]], [1.0, 5.0])
    """
    owner = "training_targets"
    if (
        not isinstance(human_weight, int | float)
        or isinstance(human_weight, bool)
        or not (human_weight > 0)
    ):
        raise ConfigError(
            f"The 'human_weight' parameter of {owner} must be a positive float. "
            f"Got {human_weight!r} instead."
        )
    P = as_probabilities(posteriors, owner=owner)
    n, k = P.shape

    def mask(value: Any, name: str, default: bool) -> NDArray[np.bool_]:
        if value is None:
            return np.full(n, default)
        arr = np.asarray(value)
        if arr.shape != (n,) or arr.dtype != np.bool_:
            raise InputError(
                f"{owner} expects '{name}' as a bool array of shape ({n},). "
                f"Got dtype {arr.dtype} and shape {arr.shape} instead."
            )
        return arr

    cov = mask(covered, "covered", True)
    exc = mask(exclude, "exclude", False)
    if human_labels is None:
        h = np.full(n, -1, dtype=np.int64)
    else:
        h = np.asarray(human_labels)
        if h.shape != (n,) or h.dtype.kind not in "iu" or (h.size and h.min() < -1):
            raise InputError(
                f"{owner} expects human_labels as ints of shape ({n},), -1 where none. "
                f"Got dtype {h.dtype} and shape {h.shape} instead."
            )
        if h.size and h.max() >= k:
            raise InputError(
                f"{owner} expects human labels in 0..{k - 1}. Got {int(h.max())} instead."
            )
    has_human = h >= 0
    rows = np.flatnonzero(~exc & (cov | has_human))
    Y = P[rows].copy()
    w = np.ones(rows.size)
    hr = has_human[rows]
    Y[hr] = 0.0
    Y[np.flatnonzero(hr), h[rows][hr]] = 1.0
    w[hr] = float(human_weight)
    return rows.astype(np.int64), Y, w
