"""Metrics of labels against gold, with exact intervals: per-class precision/recall/F1,
the confusion matrix, and the accuracy of each rule."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    precision_recall_fscore_support,
)

from labelmill.exceptions import InputError
from labelmill.quality._intervals import exact_interval
from labelmill.utils._validation import check_unit_interval

__all__ = ["classification_metrics", "estimate_rule_accuracy"]


def classification_metrics(
    y_true: Any,
    y_pred: Any,
    *,
    n_classes: int | None = None,
    class_names: Any = None,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Accuracy, macro F1, Cohen's kappa, per-class precision/recall/F1 and the confusion
    matrix, with exact intervals for the proportions.

    Parameters
    ----------
    y_true, y_pred : (n_items,) int arrays
        Gold and predicted classes in ``0..k-1``.
    n_classes : int, optional
        ``k``; by default ``max(y_true, y_pred) + 1``.
    class_names : sequence of str, optional
        Index of the per-class table; defaults to ``"0".."k-1"``.
    confidence : float, default=0.95
        Level of the exact (Clopper-Pearson) intervals of accuracy, precision and recall
        (each a proportion of gold items; F1 has no exact interval and gets none).

    Returns
    -------
    dict
        ``accuracy``, ``accuracy_lower``, ``accuracy_upper``, ``macro_f1``,
        ``cohen_kappa`` (floats), ``n_items`` (int), ``per_class`` (DataFrame with
        precision, precision_lower, precision_upper, recall, recall_lower, recall_upper,
        f1, support, n_predicted) and ``confusion`` (DataFrame: rows gold, columns
        predicted, counts).

    Raises
    ------
    InputError
        Lengths differ, the arrays are empty, or labels are out of range.

    Examples
    --------
    >>> m = classification_metrics([0, 1, 1, 0], [0, 1, 0, 0])
    >>> m["accuracy"], float(m["per_class"].loc["1", "recall"])
    (0.75, 0.5)
    """
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    if t.ndim != 1 or t.shape != p.shape or t.size == 0:
        raise InputError(
            "classification_metrics expects y_true and y_pred as non-empty 1-D arrays of the "
            f"same length. Got shapes {t.shape} and {p.shape} instead."
        )
    if t.dtype.kind not in "iu" or p.dtype.kind not in "iu" or min(t.min(), p.min()) < 0:
        raise InputError(
            "classification_metrics expects class indices 0..k-1 (ints). Got "
            f"dtypes {t.dtype}/{p.dtype} or negative values instead; drop unlabeled items."
        )
    k = int(max(t.max(), p.max())) + 1 if n_classes is None else int(n_classes)
    if max(t.max(), p.max()) >= k:
        raise InputError(
            f"classification_metrics got a label >= n_classes={k}. Pass the right n_classes."
        )
    names = [str(c) for c in range(k)] if class_names is None else [str(c) for c in class_names]
    if len(names) != k:
        raise InputError(
            f"classification_metrics expects {k} class_names. Got {len(names)} instead."
        )
    confidence = check_unit_interval(confidence, "confidence", "classification_metrics")
    labels = list(range(k))
    prec, rec, f1, support = precision_recall_fscore_support(t, p, labels=labels, zero_division=0.0)
    cm = confusion_matrix(t, p, labels=labels)
    hits = np.diag(cm)
    predicted = cm.sum(axis=0)
    p_lo, p_hi = exact_interval(hits, predicted, confidence=confidence)
    r_lo, r_hi = exact_interval(hits, cm.sum(axis=1), confidence=confidence)
    per_class = pd.DataFrame(
        {
            "precision": prec,
            "precision_lower": p_lo,
            "precision_upper": p_hi,
            "recall": rec,
            "recall_lower": r_lo,
            "recall_upper": r_hi,
            "f1": f1,
            "support": support,
            "n_predicted": predicted,
        },
        index=names,
    )
    confusion = pd.DataFrame(
        cm, index=pd.Index(names, name="gold"), columns=pd.Index(names, name="predicted")
    )
    a_lo, a_hi = exact_interval([int(hits.sum())], [int(t.size)], confidence=confidence)
    present = support > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = float(cohen_kappa_score(t, p, labels=labels))
    return {
        "n_items": int(t.size),
        "accuracy": float(accuracy_score(t, p)),
        "accuracy_lower": float(a_lo[0]),
        "accuracy_upper": float(a_hi[0]),
        "macro_f1": float(np.mean(f1[present])) if present.any() else 0.0,
        "cohen_kappa": kappa,
        "per_class": per_class,
        "confusion": confusion,
    }


def estimate_rule_accuracy(
    L: Any,
    gold: Any,
    *,
    rule_names: Any = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Accuracy of each rule on the items with a gold (or audited) label, with intervals.

    Parameters
    ----------
    L : (n_items, n_rules) int array
        Rule votes, -1 = abstain.
    gold : (n_items,) int array
        Reference label, -1 = unknown. Use the blind audit sample (a random sample) for
        an unbiased estimate; review answers are not random (active learning picks them).
    rule_names : sequence of str, optional
        Default ``rule_0, rule_1, ...``.
    confidence : float, default=0.95

    Returns
    -------
    DataFrame
        One row per rule, least accurate first: ``rule, coverage`` (share of all items it
        votes on), ``n_votes, n_judged`` (votes on gold items), ``n_correct, accuracy,
        lower, upper``.

    Raises
    ------
    ConfigError
        ``confidence`` not in (0, 1).
    InputError
        ``L`` not a 2-D int array >= -1, ``gold`` of the wrong length, or wrong number
        of ``rule_names``.

    Examples
    --------
    >>> t = estimate_rule_accuracy([[0, 1], [1, 1], [0, -1]], [0, 1, 1], rule_names=["a", "b"])
    >>> t[["rule", "n_judged", "accuracy"]].values.tolist()
    [['b', 2, 0.5], ['a', 3, 0.6666666666666666]]
    """
    owner = "estimate_rule_accuracy"
    confidence = check_unit_interval(confidence, "confidence", owner)
    V = np.asarray(L)
    if V.ndim != 2 or (V.size and (V.dtype.kind not in "iu" or V.min() < -1)):
        raise InputError(
            f"{owner} expects L as a 2-D int array (n_items, n_rules) with -1 = abstain. Got "
            f"shape {V.shape}, dtype {V.dtype} instead."
        )
    n, m = V.shape
    g = np.asarray(gold)
    if g.shape != (n,) or (g.size and g.dtype.kind not in "iu"):
        raise InputError(
            f"{owner} expects gold as a 1-D int array of shape ({n},), -1 = unknown. Got "
            f"shape {g.shape}, dtype {g.dtype} instead."
        )
    names = [f"rule_{j}" for j in range(m)] if rule_names is None else list(rule_names)
    if len(names) != m:
        raise InputError(
            f"{owner} expects {m} rule_names, one per column of L. Got {len(names)} instead."
        )
    votes = V >= 0
    judged = votes & (g >= 0)[:, None]
    correct = judged & (g[:, None] == V)
    n_judged = judged.sum(axis=0)
    n_correct = correct.sum(axis=0)
    lo, hi = exact_interval(n_correct, n_judged, confidence=confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(n_judged > 0, n_correct / np.maximum(n_judged, 1), np.nan)
    table = pd.DataFrame(
        {
            "rule": names,
            "coverage": votes.mean(axis=0) if n else np.zeros(m),
            "n_votes": votes.sum(axis=0),
            "n_judged": n_judged,
            "n_correct": n_correct,
            "accuracy": acc,
            "lower": lo,
            "upper": hi,
        }
    )
    return table.sort_values(["accuracy", "rule"], na_position="last", kind="stable").reset_index(
        drop=True
    )
