"""Accuracy of each label status and class, estimated from the blind audit sample.

People label a uniform random *audit sample* blind. For any group of items fixed before
the audit labels are looked at (a status, a class, a rule, a slice), the audited members
of the group are a uniform random sample of it, so the exact (Clopper-Pearson) interval
of their accuracy covers the accuracy of the whole group with probability at least the
stated confidence (conditionally on how many audited items fall in the group, hence
also unconditionally; sampling without replacement only narrows the spread).

One caveat: the ``auto``/``review`` split is decided by a threshold chosen on the same
audit sample. :func:`estimate_audit_accuracy` reports the plain interval; the simulation
in ``benchmarks/quality.py coverage`` measures its coverage with the threshold chosen on
the audit, as the pipeline does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from labelmill.exceptions import InputError
from labelmill.quality._binomial import AccuracyEstimate, as_correct, estimate_accuracy
from labelmill.quality._intervals import exact_interval
from labelmill.utils._validation import check_positive, check_unit_interval

__all__ = [
    "AUDIT_COLUMNS",
    "estimate_accuracy_by_group",
    "estimate_accuracy_by_status",
    "estimate_audit_accuracy",
]

#: Columns of the table :func:`estimate_audit_accuracy` returns.
AUDIT_COLUMNS = [
    "group_by",
    "group",
    "n_audited",
    "n_correct",
    "accuracy",
    "lower",
    "upper",
    "confidence",
    "n_items",
]


def estimate_accuracy_by_group(
    correct: Any, groups: Any, *, confidence: float = 0.95
) -> dict[str, AccuracyEstimate]:
    """Accuracy with exact intervals for every group of audited items, and overall.

    Parameters
    ----------
    correct : (n_audit,) bool array
        Was the label of each audited item right?
    groups : (n_audit,) array of str
        The group of each audited item (e.g. the status its label would get).
    confidence : float, default=0.95
        Two-sided Clopper-Pearson level.

    Returns
    -------
    dict of str to AccuracyEstimate
        One entry per group (sorted by name) plus ``"all"``.

    Raises
    ------
    InputError
        ``correct`` and ``groups`` differ in length, or a group is named ``"all"``.

    Examples
    --------
    >>> est = estimate_accuracy_by_group([1, 1, 0, 1], ["a", "a", "b", "b"])
    >>> est["a"].accuracy, est["b"].accuracy, est["all"].accuracy
    (1.0, 0.5, 0.75)
    """
    ok = as_correct(correct, owner="estimate_accuracy_by_group")
    g = np.asarray(groups).astype(str)
    if g.shape != ok.shape:
        raise InputError(
            f"estimate_accuracy_by_group expects one group per audited item, shape {ok.shape}. "
            f"Got groups of shape {g.shape} instead."
        )
    out: dict[str, AccuracyEstimate] = {}
    for name in sorted(set(g.tolist())):
        if name == "all":
            raise InputError(
                "estimate_accuracy_by_group reserves the group name 'all' for the total. "
                "Got a group named 'all'; rename it."
            )
        out[name] = estimate_accuracy(ok[g == name], confidence=confidence)
    out["all"] = estimate_accuracy(ok, confidence=confidence)
    return out


def estimate_accuracy_by_status(
    confidence_scores: Any,
    correct: Any,
    threshold: float | None,
    *,
    confidence: float = 0.95,
) -> dict[str, AccuracyEstimate]:
    """Accuracy of the model's labels that would be ``auto`` vs sent to ``review``.

    Parameters
    ----------
    confidence_scores : (n_audit,) float array
        Confidence of the audited items.
    correct : (n_audit,) bool array
        Whether the model's label was right on each audited item.
    threshold : float or None
        The auto-accept threshold (None: nothing is auto-accepted).
    confidence : float, default=0.95

    Returns
    -------
    dict
        ``{"auto": ..., "review": ..., "all": ...}`` AccuracyEstimates. ``review``
        is the accuracy of the model's suggestion on items sent to people.

    Examples
    --------
    >>> est = estimate_accuracy_by_status([0.99, 0.97, 0.6, 0.5], [1, 1, 1, 0], 0.9)
    >>> est["auto"].n, est["review"].accuracy
    (2, 0.5)
    """
    scores = np.asarray(confidence_scores, dtype=np.float64)
    ok = as_correct(correct, owner="estimate_accuracy_by_status")
    if scores.shape != ok.shape:
        raise InputError(
            f"estimate_accuracy_by_status expects one score per audited item, shape {ok.shape}. "
            f"Got scores of shape {scores.shape} instead."
        )
    auto = np.zeros(ok.shape, bool) if threshold is None else scores >= threshold
    return {
        "auto": estimate_accuracy(ok[auto], confidence=confidence),
        "review": estimate_accuracy(ok[~auto], confidence=confidence),
        "all": estimate_accuracy(ok, confidence=confidence),
    }


def _group_rows(
    group_by: str,
    keys: Any,
    ok: Any,
    confidence: float,
    population: Any,
) -> list[tuple[Any, ...]]:
    keys = np.asarray(keys).astype(str)
    names = sorted(set(keys.tolist()) | (set(population) if population is not None else set()))
    n = np.array([int(np.sum(keys == g)) for g in names])
    k = np.array([int(np.sum(ok[keys == g])) for g in names])
    lo, hi = exact_interval(k, n, confidence=confidence)
    rows = []
    for g, ni, ki, low, high in zip(names, n, k, lo, hi, strict=True):
        size = population.get(g) if population is not None else None
        acc = ki / ni if ni else float("nan")
        rows.append((group_by, g, int(ni), int(ki), acc, float(low), float(high), confidence, size))
    return rows


def estimate_audit_accuracy(
    labels: Any,
    audit_labels: Any,
    *,
    statuses: Any = None,
    class_names: Any = None,
    confidence: float = 0.95,
    population_statuses: Any = None,
    population_labels: Any = None,
    threshold_candidates: int = 1,
    threshold_statuses: Any = ("auto", "review"),
) -> pd.DataFrame:
    """Accuracy of the labels overall, per status and per class, from the blind audit.

    Parameters
    ----------
    labels : (n_audit,) int array
        The label each audited item has, or would have without the audit: the model's
        label for ``auto``/``review`` items, the person's answer for ``human`` items...
    audit_labels : (n_audit,) int array
        The blind audit answer for the same items (the reference).
    statuses : (n_audit,) array of str, optional
        The status each audited item has or would have (``auto``, ``review``, ``human``).
    class_names : sequence of str, optional
        Names for the per-class rows (by the label given, i.e. the precision of each
        class); default the class indices.
    confidence : float, default=0.95
        Level of the two-sided exact (Clopper-Pearson) intervals.
    population_statuses, population_labels : (n_items,) arrays, optional
        Status and label of every item, to report how many items each estimate speaks
        for (``n_items``) and to list groups no audited item fell in.

    Returns
    -------
    DataFrame
        Columns :data:`AUDIT_COLUMNS`: one ``all`` row, then one row per status
        (``group_by == "status"``) and per class (``group_by == "class"``). Groups with
        no audited item have ``accuracy`` NaN and the interval ``[0, 1]``.

    Raises
    ------
    ConfigError
        ``confidence`` not in (0, 1).
    InputError
        Lengths differ, labels are not ints >= 0, or ``class_names`` is too short.

    Examples
    --------
    >>> t = estimate_audit_accuracy([0, 1, 1, 0], [0, 1, 0, 0],
    ...                             statuses=["auto", "auto", "review", "review"])
    >>> t[["group_by", "group", "n_audited", "accuracy"]].values.tolist()[:3]
    [['all', 'all', 4, 0.75], ['status', 'auto', 2, 1.0], ['status', 'review', 2, 0.5]]
    """
    owner = "estimate_audit_accuracy"
    confidence = check_unit_interval(confidence, "confidence", owner)
    m = check_positive(threshold_candidates, "threshold_candidates", owner, integer=True)
    selected = {str(s) for s in threshold_statuses}
    y = np.asarray(labels)
    ref = np.asarray(audit_labels)
    if y.ndim != 1 or y.shape != ref.shape:
        raise InputError(
            f"{owner} expects labels and audit_labels as 1-D arrays of the same length, one "
            f"per audited item. Got shapes {y.shape} and {ref.shape} instead."
        )
    for name, arr in (("labels", y), ("audit_labels", ref)):
        if arr.size and (arr.dtype.kind not in "iu" or arr.min() < 0):
            raise InputError(
                f"{owner} expects {name} as class indices >= 0. Got dtype {arr.dtype} or "
                "negative values instead; keep only audited items that have a label."
            )
    ok = y == ref
    k = int(max(y.max(initial=-1), ref.max(initial=-1))) + 1
    if population_labels is not None:
        pl = np.asarray(population_labels)
        k = max(k, int(pl.max(initial=-1)) + 1)
    names = [str(c) for c in range(k)] if class_names is None else [str(c) for c in class_names]
    if len(names) < k:
        raise InputError(
            f"{owner} expects at least {k} class_names (labels go up to {k - 1}). Got "
            f"{len(names)} instead."
        )
    n_pop = None
    if population_statuses is not None:
        n_pop = len(population_statuses)
    elif population_labels is not None:
        n_pop = len(population_labels)
    rows = _group_rows("all", np.full(y.shape, "all"), ok, confidence, None)
    if n_pop is not None:
        rows[0] = (*rows[0][:-1], n_pop)
    if statuses is not None:
        st = np.asarray(statuses).astype(str)
        if st.shape != y.shape:
            raise InputError(
                f"{owner} expects statuses of shape {y.shape}, one per audited item. Got "
                f"{st.shape} instead."
            )
        pop = None
        if population_statuses is not None:
            values, counts = np.unique(
                np.asarray(population_statuses).astype(str), return_counts=True
            )
            pop = {str(v): int(c) for v, c in zip(values, counts, strict=True)}
        status_rows = _group_rows("status", st, ok, confidence, pop)
        if m > 1:
            adjusted = 1.0 - (1.0 - confidence) / m
            wide = {r[1]: r for r in _group_rows("status", st, ok, adjusted, pop)}
            status_rows = [
                (*wide[r[1]][:7], confidence, r[8]) if r[1] in selected else r for r in status_rows
            ]
        rows += status_rows
    pop_cls = None
    if population_labels is not None:
        pl = np.asarray(population_labels)
        pl = pl[pl >= 0]
        counts = np.bincount(pl, minlength=len(names))
        pop_cls = {names[c]: int(counts[c]) for c in range(len(names))}
    cls_keys = np.array([names[c] for c in y], dtype=object) if y.size else np.array([], str)
    rows += _group_rows("class", cls_keys, ok, confidence, pop_cls)
    table = pd.DataFrame(rows, columns=AUDIT_COLUMNS)
    if class_names is not None:
        order = {name: i for i, name in enumerate(names)}
        is_cls = table["group_by"] == "class"
        cls_part = table[is_cls].sort_values("group", key=lambda s: s.map(order))
        table = pd.concat([table[~is_cls], cls_part], ignore_index=True)
    return table
