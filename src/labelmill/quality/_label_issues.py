"""Find items whose given label is probably wrong (confident learning).

Given labels and out-of-sample predicted probabilities (e.g. cross-validated),
confident learning (Northcutt, Jiang and Chuang, 2021) counts, for each pair
(given class i, likely true class j), the items labeled i whose probability of j
reaches the average self-confidence of class j: the *confident joint*. Its
off-diagonal entries are the likely label errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import ConfigError, InputError

__all__ = ["compute_confident_joint", "find_label_issues", "label_quality_scores"]

_METHODS = ("self_confidence", "confident_learning")
_SCORES = ("self_confidence", "normalized_margin")


def _check(labels: Any, pred_probs: Any, owner: str) -> tuple[NDArray[np.int64], NDArray[Any]]:
    p = np.asarray(pred_probs, dtype=np.float64)
    y = np.asarray(labels)
    if p.ndim != 2 or p.shape[1] < 2:
        raise InputError(
            f"{owner} expects pred_probs of shape (n_items, n_classes >= 2). Got {p.shape} instead."
        )
    if y.shape != (p.shape[0],):
        raise InputError(
            f"{owner} expects labels of shape ({p.shape[0]},), one per row of pred_probs. "
            f"Got {y.shape} instead."
        )
    if y.size and (y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= p.shape[1]):
        raise InputError(
            f"{owner} expects labels as ints in 0..{p.shape[1] - 1}. Got dtype {y.dtype} with "
            "values outside that range instead; drop unlabeled (-1) items first."
        )
    if not np.all(np.isfinite(p)) or (p.size and p.min() < 0):
        raise InputError(f"{owner} expects finite non-negative pred_probs. Got other values.")
    return y.astype(np.int64), p


def label_quality_scores(
    labels: Any, pred_probs: Any, *, method: str = "self_confidence"
) -> NDArray[np.float64]:
    """Score each label in [0, 1]; low means probably wrong.

    Parameters
    ----------
    labels : (n_items,) int array
    pred_probs : (n_items, k) float array
        Out-of-sample probabilities.
    method : {"self_confidence", "normalized_margin"}
        ``self_confidence``: ``p[label]``. ``normalized_margin``:
        ``(p[label] - max_{j != label} p[j] + 1) / 2``.

    Returns
    -------
    (n_items,) float array

    Examples
    --------
    >>> import numpy as np
    >>> label_quality_scores([0, 1], np.array([[0.8, 0.2], [0.9, 0.1]])).tolist()
    [0.8, 0.1]
    """
    if method not in _SCORES:
        raise ConfigError(
            "The 'method' parameter of label_quality_scores must be one of "
            f"{', '.join(repr(m) for m in _SCORES)}. Got {method!r} instead."
        )
    y, p = _check(labels, pred_probs, "label_quality_scores")
    rows = np.arange(len(y))
    self_conf = p[rows, y]
    if method == "self_confidence":
        return np.asarray(self_conf)
    others = p.copy()
    others[rows, y] = -np.inf
    return np.asarray((self_conf - others.max(axis=1) + 1.0) / 2.0)


def compute_confident_joint(
    labels: Any, pred_probs: Any
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Confident joint and the likely true class of every item.

    Per-class thresholds are the mean self-confidence ``t_j = mean(p[y == j, j])``.
    An item labeled ``i`` counts toward ``C[i, j]`` for the class ``j`` with the
    largest probability among those with ``p[j] >= t_j``; it counts nowhere when
    no class reaches its threshold.

    Returns
    -------
    confident_joint : (k, k) int array
        Rows: given label; columns: likely true label.
    likely_true : (n_items,) int array
        The confident class of each item, ``-1`` when none.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.95, 0.05]])
    >>> cj, true = compute_confident_joint([0, 0, 1, 1], p)
    >>> cj.tolist(), true.tolist()
    ([[1, 0], [1, 1]], [0, -1, 1, 0])
    """
    y, p = _check(labels, pred_probs, "compute_confident_joint")
    k = p.shape[1]
    counts = np.bincount(y, minlength=k)
    sums = np.array([p[y == j, j].sum() for j in range(k)])
    thresholds = np.where(counts > 0, sums / np.maximum(counts, 1), np.inf)
    above = p >= thresholds[None, :] - 1e-12
    masked = np.where(above, p, -np.inf)
    likely = np.where(above.any(axis=1), masked.argmax(axis=1), -1)
    has = likely >= 0
    joint = np.zeros((k, k), dtype=np.int64)
    np.add.at(joint, (y[has], likely[has]), 1)
    return joint, likely.astype(np.int64)


def find_label_issues(
    labels: Any,
    pred_probs: Any,
    *,
    method: str = "self_confidence",
    return_indices_ranked_by: str | None = None,
) -> NDArray[Any]:
    """Flag items whose given label is probably wrong.

    Parameters
    ----------
    labels : (n_items,) int array
        Given labels in ``0..k-1``.
    pred_probs : (n_items, k) float array
        Out-of-sample predicted probabilities (cross-validated, or from a model
        that did not train on these labels), rows summing to 1.
    method : {"self_confidence", "confident_learning"}, default="self_confidence"
        ``confident_learning``: the off-diagonal of the confident joint (items
        whose confident class differs from their label). ``self_confidence``
        ("prune by class"): per given class ``i``, estimate the number of errors
        from the confident joint, calibrated so its row sums match the class
        counts, and flag that many items of class ``i`` with the lowest ``p[i]``.
    return_indices_ranked_by : {None, "self_confidence", "normalized_margin"}
        ``None`` returns a bool mask. Otherwise the indices of flagged items,
        most likely errors first, ranked by that label-quality score.

    Returns
    -------
    (n_items,) bool array, or (n_issues,) int array of indices

    Raises
    ------
    ConfigError
        ``method`` or ``return_indices_ranked_by`` is not a known option.
    InputError
        Shapes or values of ``labels`` / ``pred_probs`` are wrong.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.9, 0.1], [0.85, 0.15], [0.2, 0.8], [0.1, 0.9], [0.95, 0.05]])
    >>> find_label_issues([0, 0, 1, 1, 1], p, method="confident_learning").tolist()
    [False, False, False, False, True]
    >>> find_label_issues([0, 0, 1, 1, 1], p, return_indices_ranked_by="self_confidence")
    array([4])
    """
    if method not in _METHODS:
        raise ConfigError(
            "The 'method' parameter of find_label_issues must be one of "
            f"{', '.join(repr(m) for m in _METHODS)}. Got {method!r} instead."
        )
    if return_indices_ranked_by is not None and return_indices_ranked_by not in _SCORES:
        raise ConfigError(
            "The 'return_indices_ranked_by' parameter of find_label_issues must be None or one "
            f"of {', '.join(repr(m) for m in _SCORES)}. Got {return_indices_ranked_by!r} instead."
        )
    y, p = _check(labels, pred_probs, "find_label_issues")
    joint, likely = compute_confident_joint(y, p)
    if method == "confident_learning":
        mask = (likely >= 0) & (likely != y)
    else:
        k = p.shape[1]
        counts = np.bincount(y, minlength=k)
        row = joint.sum(axis=1)
        off = row - np.diag(joint)
        n_issues = np.where(row > 0, np.rint(off / np.maximum(row, 1) * counts), 0).astype(int)
        self_conf = p[np.arange(len(y)), y]
        mask = np.zeros(len(y), dtype=bool)
        for i in range(k):
            if n_issues[i] <= 0:
                continue
            members = np.flatnonzero(y == i)
            worst = members[np.argsort(self_conf[members], kind="stable")[: n_issues[i]]]
            mask[worst] = True
    if return_indices_ranked_by is None:
        return np.asarray(mask)
    scores = label_quality_scores(y, p, method=return_indices_ranked_by)
    flagged = np.flatnonzero(mask)
    return np.asarray(flagged[np.argsort(scores[flagged], kind="stable")])
