"""Find items whose given label is probably wrong.

Default method (``"noise_posterior"``)
--------------------------------------
1. Estimate the noise matrix ``T`` (``T[j, i]``: chance that an item of true class ``j``
   was labeled ``i``) from anchors, with empirical-Bayes shrinkage, on temperature-scaled
   out-of-sample probabilities: :func:`estimate_noise_matrix`.
2. Score each item by the posterior probability that its label is wrong (Bayes' rule
   with ``T`` as the likelihood of the given label and the model's probabilities as the
   prior over the true class)::

       q = 1 - p[y] * T[y, y] / sum_j p[j] * T[j, y]

   Unlike ``1 - p[y]``, this knows where flips come from: an item in a region of class
   ``j`` labeled ``i`` is suspicious in proportion to how often ``j`` is flipped to ``i``,
   and an inherently ambiguous item (``p`` spread over classes) is not blamed for it.
3. Flag the ``round(sum_j N[j] * (1 - T[j, j]))`` items with the highest ``q``: as many
   as the estimated number of label errors.

The confident-learning methods (Northcutt, Jiang and Chuang, 2021) stay available:
``"confident_learning"`` (off-diagonal of the confident joint) and ``"prune_by_class"``
(per class, the estimated number of errors of lowest self-confidence; formerly called
``"self_confidence"``). They count ambiguous items the model gets wrong as label errors,
so they flag too many items when the model is weak (see docs/bench/quality.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from labelmill.exceptions import InputError
from labelmill.quality._noise import noise_from_calibrated, temperature_scale
from labelmill.quality._validation import check_labels_and_probs
from labelmill.utils._validation import check_choice

__all__ = [
    "compute_confident_joint",
    "find_label_issues",
    "label_quality_scores",
    "rank_label_issues",
]

_METHODS = ("noise_posterior", "prune_by_class", "confident_learning", "self_confidence")
_SCORES = ("noise_posterior", "self_confidence", "normalized_margin")


def _posterior_error(
    y: NDArray[np.int64], p: NDArray[np.float64], T: NDArray[np.float64]
) -> NDArray[np.float64]:
    rows = np.arange(y.shape[0])
    clean = p[rows, y] * T[y, y]
    total = (p @ T)[rows, y]
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(total > 0, 1.0 - clean / total, 0.0)
    return np.asarray(np.clip(q, 0.0, 1.0))


def _noise_posterior(
    y: NDArray[np.int64], p: NDArray[np.float64]
) -> tuple[NDArray[np.float64], int, NDArray[np.int64]]:
    """Posterior error score per item, the number of issues, and the suggested label.

    The suggested label is the model's top class when it differs from the given label,
    else the class that most likely flipped into the given one (``argmax_{j != y}
    p[j] * T[j, y]``), so a flagged item always suggests a different class.
    """
    scaled, _ = temperature_scale(y, p)
    T, true_counts, _ = noise_from_calibrated(y, scaled)
    q = _posterior_error(y, scaled, T)
    n_issues = int(np.clip(np.rint(np.sum(true_counts * (1.0 - np.diag(T)))), 0, y.shape[0]))
    rows = np.arange(y.shape[0])
    source = scaled * T[:, y].T  # p[j] * T[j, y]: how likely class j flipped into y
    source[rows, y] = -1.0
    top = scaled.argmax(axis=1)
    suggested = np.where(top != y, top, source.argmax(axis=1))
    return q, n_issues, suggested.astype(np.int64)


def label_quality_scores(
    labels: Any, pred_probs: Any, *, method: str = "self_confidence"
) -> NDArray[np.float64]:
    """Score each label in [0, 1]; low means probably wrong.

    Parameters
    ----------
    labels : (n_items,) int array
        Given labels in ``0..k-1``.
    pred_probs : (n_items, k) float array
        Out-of-sample probabilities, rows summing to 1.
    method : {"self_confidence", "normalized_margin", "noise_posterior"}
        ``self_confidence``: ``p[label]``. ``normalized_margin``:
        ``(p[label] - max_{j != label} p[j] + 1) / 2``. ``noise_posterior``: one minus
        the posterior probability that the label is wrong given the estimated noise
        matrix (see the module docstring); the score :func:`find_label_issues` ranks by.

    Returns
    -------
    (n_items,) float array

    Raises
    ------
    ConfigError
        Unknown ``method``.
    InputError
        Bad ``labels`` or ``pred_probs`` (see :func:`find_label_issues`).

    Examples
    --------
    >>> import numpy as np
    >>> label_quality_scores([0, 1], np.array([[0.8, 0.2], [0.9, 0.1]])).tolist()
    [0.8, 0.1]
    """
    check_choice(method, "method", "label_quality_scores", _SCORES)
    y, p = check_labels_and_probs(labels, pred_probs, owner="label_quality_scores")
    return _scores(y, p, method)


def _scores(y: NDArray[np.int64], p: NDArray[np.float64], method: str) -> NDArray[np.float64]:
    rows = np.arange(len(y))
    self_conf = p[rows, y]
    if method == "self_confidence":
        return np.asarray(self_conf)
    if method == "noise_posterior":
        q, _, _ = _noise_posterior(y, p)
        return np.asarray(1.0 - q)
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

    Raises
    ------
    InputError
        Bad ``labels`` or ``pred_probs`` (see :func:`find_label_issues`).

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.95, 0.05]])
    >>> cj, true = compute_confident_joint([0, 0, 1, 1], p)
    >>> cj.tolist(), true.tolist()
    ([[1, 0], [1, 1]], [0, -1, 1, 0])
    """
    y, p = check_labels_and_probs(labels, pred_probs, owner="compute_confident_joint")
    return _confident_joint(y, p)


def _confident_joint(
    y: NDArray[np.int64], p: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    k = p.shape[1]
    counts = np.bincount(y, minlength=k)
    sums = np.bincount(y, weights=p[np.arange(len(y)), y], minlength=k)
    thresholds = np.where(counts > 0, sums / np.maximum(counts, 1), np.inf)
    above = p >= thresholds[None, :] - 1e-12
    masked = np.where(above, p, -np.inf)
    likely = np.where(above.any(axis=1), masked.argmax(axis=1), -1)
    has = likely >= 0
    joint = np.zeros((k, k), dtype=np.int64)
    np.add.at(joint, (y[has], likely[has]), 1)
    return joint, likely.astype(np.int64)


def _prune_by_class(y: NDArray[np.int64], p: NDArray[np.float64]) -> NDArray[np.bool_]:
    joint, _ = _confident_joint(y, p)
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
    return mask


def _flag_top(q: NDArray[np.float64], tie: NDArray[np.float64], n: int) -> NDArray[np.bool_]:
    """The ``n`` highest ``q`` (ties: lowest ``tie`` first), sorting only the candidates."""
    mask = np.zeros(q.shape[0], dtype=bool)
    if n <= 0:
        return mask
    candidates = np.arange(q.shape[0])
    if n < q.shape[0]:
        kth = np.partition(q, q.shape[0] - n)[q.shape[0] - n]
        candidates = np.flatnonzero(q >= kth)
    order = candidates[np.lexsort((tie[candidates], -q[candidates]))]
    mask[order[:n]] = True
    return mask


def find_label_issues(
    labels: Any,
    pred_probs: Any,
    *,
    method: str = "noise_posterior",
    return_indices_ranked_by: str | None = None,
) -> NDArray[Any]:
    """Flag items whose given label is probably wrong.

    Parameters
    ----------
    labels : (n_items,) int array
        Given labels in ``0..k-1`` (imported labels, people's answers, auto labels...).
    pred_probs : (n_items, k) float array
        Out-of-sample predicted probabilities (from :func:`cross_val_pred_probs`, or from
        a model that did not train on these labels), rows summing to 1.
    method : {"noise_posterior", "prune_by_class", "confident_learning"}
        ``noise_posterior`` (default): as many items as the estimated number of label
        errors, those with the highest posterior probability of a wrong label (see the
        module docstring). ``prune_by_class``: per given class ``i``, the estimated
        number of errors (from the calibrated confident joint) with the lowest ``p[i]``
        (``"self_confidence"`` is accepted as its former name). ``confident_learning``:
        items whose confident class differs from their label.
    return_indices_ranked_by : {None, "noise_posterior", "self_confidence", \
"normalized_margin"}
        ``None`` returns a bool mask. Otherwise the indices of flagged items, most
        likely errors first, ranked by that score of :func:`label_quality_scores`.

    Returns
    -------
    (n_items,) bool array, or (n_issues,) int array of indices

    Raises
    ------
    ConfigError
        ``method`` or ``return_indices_ranked_by`` is not a known option.
    InputError
        ``labels`` and ``pred_probs`` disagree in length, are empty, ``pred_probs`` has
        one column, negative or non-finite values, or rows that do not sum to 1, or a
        label is outside ``0..k-1``.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.9, 0.1], [0.85, 0.15], [0.2, 0.8], [0.1, 0.9], [0.95, 0.05]])
    >>> find_label_issues([0, 0, 1, 1, 1], p, method="confident_learning").tolist()
    [False, False, False, False, True]
    >>> find_label_issues([0, 0, 1, 1, 1], p, return_indices_ranked_by="self_confidence")
    array([4])
    """
    check_choice(method, "method", "find_label_issues", _METHODS)
    if return_indices_ranked_by is not None:
        check_choice(
            return_indices_ranked_by, "return_indices_ranked_by", "find_label_issues", _SCORES
        )
    y, p = check_labels_and_probs(labels, pred_probs, owner="find_label_issues")
    self_conf = p[np.arange(len(y)), y]
    q: NDArray[np.float64] | None = None
    if method == "confident_learning":
        _, likely = _confident_joint(y, p)
        mask = (likely >= 0) & (likely != y)
    elif method in ("prune_by_class", "self_confidence"):
        mask = _prune_by_class(y, p)
    else:
        q, n_issues, _ = _noise_posterior(y, p)
        mask = _flag_top(q, self_conf, n_issues)
    if return_indices_ranked_by is None:
        return np.asarray(mask)
    if return_indices_ranked_by == "noise_posterior" and q is not None:
        scores = 1.0 - q
    else:
        scores = _scores(y, p, return_indices_ranked_by)
    flagged = np.flatnonzero(mask)
    return np.asarray(flagged[np.lexsort((self_conf[flagged], scores[flagged]))])


def rank_label_issues(
    labels: Any,
    pred_probs: Any,
    *,
    item_ids: Any = None,
    class_names: Any = None,
    source: Any = None,
    only_issues: bool = False,
) -> pd.DataFrame:
    """Every item (or every flagged item) with its label-issue score, worst first.

    One table for any label source: imported labels, people's answers, auto labels.
    It can feed a review queue: ``is_issue`` rows first, each with the label the
    data suggest instead.

    Parameters
    ----------
    labels : (n_items,) int array
        Given labels in ``0..k-1``.
    pred_probs : (n_items, k) float array
        Out-of-sample probabilities of the same items.
    item_ids : (n_items,) array, optional
        Item ids for the ``item_id`` column; default ``0..n_items-1``.
    class_names : sequence of str, optional
        Names of the ``k`` classes for the label columns; default the class indices.
    source : str or (n_items,) array of str, optional
        Where each label came from (e.g. ``"import"``, ``"human:ada"``, ``"auto"``);
        copied to a ``source`` column.
    only_issues : bool, default=False
        Keep only the flagged rows.

    Returns
    -------
    DataFrame
        Columns ``item_id, given_label, suggested_label, issue_score, label_quality,
        self_confidence, is_issue`` (and ``source``), sorted by ``issue_score``
        descending. ``issue_score`` (``1 - label_quality``) is the noise-aware posterior
        of the module docstring: it ranks items (the model's probabilities, used as the
        prior, already contain the noise, so it understates clear errors: read it as a
        rank, not as a calibrated probability). ``suggested_label`` is the model's top
        class, or when that is the given label, the class most likely flipped into it.
        ``is_issue`` marks what :func:`find_label_issues` flags.

    Raises
    ------
    InputError
        Bad ``labels``/``pred_probs``, or ``item_ids``, ``class_names`` or ``source``
        of the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.1, 0.9], [0.97, 0.03]])
    >>> table = rank_label_issues([0, 0, 1, 1, 1], p, item_ids=list("abcde"),
    ...                          class_names=["ham", "spam"])
    >>> table.iloc[0][["item_id", "given_label", "suggested_label"]].tolist()
    ['e', 'spam', 'ham']
    """
    y, p = check_labels_and_probs(labels, pred_probs, owner="rank_label_issues")
    n, k = p.shape
    ids = np.arange(n) if item_ids is None else np.asarray(item_ids)
    if ids.shape != (n,):
        raise InputError(
            f"rank_label_issues expects item_ids of shape ({n},), one per label. Got "
            f"{ids.shape} instead."
        )
    names = np.arange(k) if class_names is None else np.asarray(list(class_names), dtype=object)
    if names.shape != (k,):
        raise InputError(
            f"rank_label_issues expects {k} class_names, one per column of pred_probs. Got "
            f"{names.shape[0]} instead."
        )
    q, n_issues, suggested = _noise_posterior(y, p)
    self_conf = p[np.arange(n), y]
    mask = _flag_top(q, self_conf, n_issues)
    table = pd.DataFrame(
        {
            "item_id": ids,
            "given_label": names[y],
            "suggested_label": names[suggested],
            "issue_score": q,
            "label_quality": 1.0 - q,
            "self_confidence": self_conf,
            "is_issue": mask,
        }
    )
    if source is not None:
        src = np.asarray(source, dtype=object)
        if src.ndim == 0:
            src = np.full(n, src.item(), dtype=object)
        if src.shape != (n,):
            raise InputError(
                f"rank_label_issues expects source as one string or {n} strings. Got shape "
                f"{src.shape} instead."
            )
        table["source"] = src
    order = np.lexsort((self_conf, -q))
    table = table.iloc[order].reset_index(drop=True)
    if only_issues:
        table = table[table["is_issue"]].reset_index(drop=True)
    return table
